import type { IncomingMessage } from "node:http";
import {
  ACTOR_PATTERN,
  etagOf,
  FINGERPRINT_PATTERN,
  HEADER,
  IDEMPOTENCY_KEY_PATTERN,
  kindOfCollection,
  recordPath,
  versionOfIfMatch,
} from "../api/wire";
import type { CoreStore } from "../core";
import { RECEIVER_ROUTES } from "../receiver/routes";
import { StoreError } from "../errors";
import { checkSandbox } from "../rules";
import type { TokenInfo, TokenRecord } from "../tokens/model";
import type { RecordKind } from "../types";
import { requireAdmin, requireScope } from "./auth";
import { parseCreateBody, parseFingerprintBody, parsePatchBody } from "./bodies";

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly match: readonly string[];
  readonly query: URLSearchParams;
  readonly token: TokenRecord;
  readonly store: CoreStore;
  /** The body as a JSON object, read within the service's size limit. */
  body(): Promise<Record<string, unknown>>;
  /**
   * Takes one fingerprint guess from the token's budget (RATE_LIMITED when it is spent); the returned
   * function gives it back.
   */
  reserveFingerprintGuess(): () => void;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** For logs: what was done, without ids. */
  readonly name: string;
  readonly pattern: RegExp;
  /** The query parameters it reads; the server refuses any other (none when absent). */
  readonly query?: readonly string[];
  handle(ctx: RequestContext): Promise<Reply>;
  /** A status other than the code's usual one, where HTTP has a better word for it. */
  statusFor?(e: StoreError): number | undefined;
}

const COLLECTION = /^\/v1\/sandboxes\/([^/]+)\/([^/]+)$/;
const RECORD = /^\/v1\/sandboxes\/([^/]+)\/([^/]+)\/([^/]+)$/;
const SECRET = /^\/v1\/sandboxes\/([^/]+)\/([^/]+)\/([^/]+)\/secret$/;

interface Target {
  readonly sandbox: string;
  readonly kind: RecordKind;
  readonly id: string;
}

function segment(raw: string | undefined, field: string): string {
  let text: string;
  try {
    text = decodeURIComponent(raw ?? "");
  } catch {
    throw new StoreError("INVALID_INPUT", `${field}: not a valid path segment`, field);
  }
  // PostgreSQL cannot hold NUL: refused here, as a bad request, not met there as a 500.
  if (text.includes("\u0000"))
    throw new StoreError("INVALID_INPUT", `${field}: holds a NUL character`, field);
  return text;
}

/** Sandbox, kind and id from the path, checked before any scope is, so errors name the real fault. */
function target(match: readonly string[]): Target {
  const sandbox = segment(match[1], "sandbox");
  checkSandbox(sandbox);
  const collection = segment(match[2], "kind");
  const kind = kindOfCollection(collection);
  if (!kind)
    throw new StoreError(
      "NOT_FOUND",
      `no such collection "${collection}" (api-credentials, webhooks, channel-configurations)`,
    );
  return { sandbox, kind, id: segment(match[3], "id") };
}

/** What `GET /v1/token` tells about the presented token. */
export function tokenInfo(token: TokenRecord): TokenInfo {
  return {
    id: token.id,
    sandbox: token.sandbox,
    scopes: [...token.scopes],
    ...(token.description !== undefined ? { description: token.description } : {}),
    createdAt: token.createdAt,
  };
}

/**
 * The audit log's actor: the token (what was proven) and, when the client names one, who used it (a
 * person, a pipeline; claimed, not proven, so it is kept beside the token id, never instead of it).
 */
function actorOf(token: TokenRecord, req: IncomingMessage): { actor: string } {
  const claimed = req.headers[HEADER.actor];
  const who = typeof claimed === "string" && ACTOR_PATTERN.test(claimed) ? ` (${claimed})` : "";
  return { actor: `token:${token.id}${who}` };
}
const recordHeaders = (r: { version: number }): Record<string, string> => ({
  [HEADER.etag]: etagOf(r.version),
});

function notFound(t: Target): StoreError {
  // `details.id` tells the client this 404 is about the record, not a wrong URL.
  return new StoreError(
    "NOT_FOUND",
    `${t.kind} ${t.id} does not exist in sandbox "${t.sandbox}"`,
    undefined,
    {
      kind: t.kind,
      id: t.id,
    },
  );
}

/** An optional header that, when sent, must match `pattern`: else 400 naming it as `field`. */
function optionalHeader(
  req: IncomingMessage,
  name: string,
  pattern: RegExp,
  field: string,
  rule: string,
): string | undefined {
  const value = req.headers[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !pattern.test(value))
    throw new StoreError("INVALID_INPUT", `${field}: ${rule}`, field);
  return value;
}

const idempotencyKeyOf = (req: IncomingMessage): string | undefined =>
  optionalHeader(
    req,
    HEADER.idempotencyKey,
    IDEMPOTENCY_KEY_PATTERN,
    "Idempotency-Key",
    `must match ${IDEMPOTENCY_KEY_PATTERN} (a UUID fits)`,
  );

const stateFingerprintOf = (req: IncomingMessage): string | undefined =>
  optionalHeader(
    req,
    HEADER.stateFingerprint,
    FINGERPRINT_PATTERN,
    HEADER.stateFingerprint,
    "must be a secretFingerprint (16 hex characters)",
  );

export const ROUTES: readonly Route[] = [
  ...RECEIVER_ROUTES,
  {
    // Before `create`, whose pattern also matches this path.
    method: "POST",
    name: "fingerprint",
    pattern: /^\/v1\/sandboxes\/([^/]+)\/fingerprints$/,
    /**
     * The keyed fingerprint of a secret, so `diff` through the service can compare a secret input
     * with state. It is a guess oracle for whoever calls it, so: write scope only (a token that may
     * already replace the secret), bound to the sandbox (fingerprints of one sandbox say nothing about
     * another's), and its own tight per-token rate limit, with every guess audited.
     *
     * The provider asks once per resource with a secret on every preview and up, so a stack of 1,000
     * credentials asks 1,000 times in seconds, where a guesser is to get 2 a second. What tells them
     * apart: the provider names the fingerprint its state holds, and an unchanged secret gives exactly
     * that. Such an answer tells the caller only what it said it knew, so it is given back to the
     * budget and not audited. Any other answer is a guess (a secret that changed, or a try at someone
     * else's): charged and audited. Naming a fingerprint cannot skip the charge for a new guess: that
     * would need the guess's fingerprint, which only this route gives.
     *
     * The budget is taken BEFORE the secret is fingerprinted and given back after: were only misses
     * charged, a token over its limit would get 200 for a right guess and 429 for a wrong one, an
     * oracle with no limit at all. This way a spent budget refuses every request alike, and
     * concurrent requests cannot all pass a check made before any of them is charged.
     */
    async handle({ req, match, token, store, body, reserveFingerprintGuess }) {
      const sandbox = segment(match[1], "sandbox");
      checkSandbox(sandbox);
      requireScope(token, sandbox, "write");
      const stated = stateFingerprintOf(req);
      const { kind, secret } = parseFingerprintBody(await body());
      const giveBack = reserveFingerprintGuess();
      let secretFingerprint: string;
      try {
        secretFingerprint = await store.fingerprint(sandbox, kind, secret);
      } catch (e) {
        giveBack(); // nothing was answered
        throw e;
      }
      if (secretFingerprint === stated) giveBack();
      else await store.auditFingerprint(sandbox, kind, actorOf(token, req));
      return { status: 200, body: { secretFingerprint } };
    },
  },
  {
    method: "GET",
    name: "list",
    pattern: COLLECTION,
    query: ["name"],
    async handle({ match, query, token, store }) {
      const { sandbox, kind } = target(match);
      requireScope(token, sandbox, "read");
      const name = query.get("name");
      if (name !== null) {
        if (name.includes("\u0000"))
          throw new StoreError("INVALID_INPUT", "name: holds a NUL character", "name");
        const found = await store.findByName(sandbox, kind, name);
        return { status: 200, body: { items: found ? [found] : [] } };
      }
      return { status: 200, body: { items: await store.list(sandbox, kind) } };
    },
  },
  {
    method: "POST",
    name: "create",
    pattern: COLLECTION,
    async handle({ req, match, token, store, body }) {
      const { sandbox, kind } = target(match);
      requireScope(token, sandbox, "write");
      const idempotencyKey = idempotencyKeyOf(req);
      const input = parseCreateBody(await body());
      const created = await store.create(
        { ...input, sandbox, kind },
        {
          ...actorOf(token, req),
          ...(idempotencyKey ? { idempotencyKey, idempotencyScope: token.id } : {}),
        },
      );
      return {
        status: 201,
        body: created,
        headers: { ...recordHeaders(created), location: recordPath(sandbox, kind, created.id) },
      };
    },
  },
  {
    method: "GET",
    name: "get",
    pattern: RECORD,
    async handle({ match, token, store }) {
      const t = target(match);
      requireScope(token, t.sandbox, "read");
      const found = await store.get(t.sandbox, t.kind, t.id);
      if (!found) throw notFound(t);
      return { status: 200, body: found, headers: recordHeaders(found) };
    },
  },
  {
    method: "PATCH",
    name: "update",
    pattern: RECORD,
    async handle({ req, match, token, store, body }) {
      const t = target(match);
      requireScope(token, t.sandbox, "write");
      const version = versionOfIfMatch(req.headers[HEADER.ifMatch]);
      // Absent: 428, the precondition HTTP requires here. Present but not one of our ETags (a bare
      // 3, or *, which would match any version): 400, a malformed header.
      if (version === undefined) {
        throw new StoreError(
          "INVALID_INPUT",
          'If-Match: an update must name the version it changes, as the ETag of the record (e.g. If-Match: "3")',
          "If-Match",
          { missing: true },
        );
      }
      if (Number.isNaN(version)) {
        throw new StoreError(
          "INVALID_INPUT",
          'If-Match: must be the ETag the record was read with, quotes included (e.g. If-Match: "3"); "*" is not taken, since an update must name the version it changes',
          "If-Match",
        );
      }
      const updated = await store.update(
        t.sandbox,
        t.kind,
        t.id,
        version,
        parsePatchBody(await body()),
        actorOf(token, req),
      );
      return { status: 200, body: updated, headers: recordHeaders(updated) };
    },
    statusFor(e) {
      if (e.code === "CONFLICT") return 412;
      return e.field === "If-Match" && e.details?.["missing"] === true ? 428 : undefined;
    },
  },
  {
    method: "DELETE",
    name: "delete",
    pattern: RECORD,
    async handle({ req, match, token, store }) {
      const t = target(match);
      requireScope(token, t.sandbox, "write");
      // If-Match is optional on a delete; when given, a record changed since is left alone (412).
      const version = versionOfIfMatch(req.headers[HEADER.ifMatch]);
      if (Number.isNaN(version)) {
        throw new StoreError(
          "INVALID_INPUT",
          'If-Match: must be the ETag of the record (e.g. If-Match: "3")',
          "If-Match",
        );
      }
      const options = {
        ...actorOf(token, req),
        ...(version !== undefined ? { expectedVersion: version } : {}),
      };
      if ((await store.delete(t.sandbox, t.kind, t.id, options)) === "absent") throw notFound(t);
      return { status: 204 };
    },
    statusFor(e) {
      return e.code === "CONFLICT" ? 412 : undefined;
    },
  },
  {
    method: "GET",
    name: "read-secret",
    pattern: SECRET,
    async handle({ req, match, token, store }) {
      const t = target(match);
      // Only `runtime`: `read` and `write` tokens never see a secret, whatever else they may do.
      requireScope(token, t.sandbox, "runtime");
      const secret = await store.readSecret(t.sandbox, t.kind, t.id, actorOf(token, req));
      if (!secret) throw notFound(t);
      return { status: 200, body: { secret } };
    },
  },
  {
    method: "GET",
    name: "token",
    pattern: /^\/v1\/token$/,
    // Who am I: the presented token's sandbox and scopes (never the token), so a pipeline can learn
    // in preview what it may not do, instead of halfway through an up.
    async handle({ token }) {
      return { status: 200, body: tokenInfo(token) };
    },
  },
  {
    method: "GET",
    name: "audit",
    pattern: /^\/v1\/audit$/,
    query: ["limit"],
    async handle({ query, token, store }) {
      requireAdmin(token);
      const limit = Number(query.get("limit") ?? "100");
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new StoreError("INVALID_INPUT", "limit: an integer from 1 to 10000", "limit");
      }
      return { status: 200, body: { items: await store.auditLog(limit) } };
    },
  },
];
