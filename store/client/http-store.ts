import { createHash, randomUUID } from "node:crypto";
import type { Dispatcher } from "undici";
import {
  ACTOR_PATTERN,
  collectionPath,
  etagOf,
  FINGERPRINT_PATTERN,
  fingerprintPath,
  HEADER,
  IDEMPOTENCY_KEY_PATTERN,
  recordPath,
  secretPath,
  TOKEN_PATH,
} from "../api/wire";
import type { TokenInfo } from "../tokens/model";
import { StoreError } from "../errors";
import type { ConsentItem, MessageView } from "../receiver/ledger";
import type {
  Actor,
  CreateOptions,
  CredentialStore,
  DeleteOptions,
  RecordInput,
  RecordKind,
  RecordPatch,
  SecretPayload,
  StoredRecord,
} from "../types";
import {
  type BackoffOptions,
  DEFAULT_BACKOFF,
  retryAfterMs,
  withRetry,
  type Replay,
  type RetryPolicy,
} from "../../net/retry";
import { type CallContext, errorFromResponse, parseErrorBody, unreachable } from "./errors";
import { isLoopbackHost } from "../../contract/formats";
import { undiciParts } from "../../net/undici";

export interface HttpStoreOptions {
  /** `smschannels:storeUrl`: the service's base URL; a path (behind a proxy) is kept. */
  readonly url: string;
  /** `smschannels:storeToken`: the bearer token. Sent in the Authorization header only, never in errors. */
  readonly token: string;
  /** Time to open a connection (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** Time to the answer's headers, and between its body's chunks (default 15 s). */
  readonly requestTimeoutMs?: number;
  /** Tries and waits for retried calls (default 4 tries, 100 ms doubling, each wait at most 2 s). */
  readonly retry?: Partial<BackoffOptions>;
  /** A 429 or 503 asking for a longer wait than this is not waited for, but reported (default 5 s). */
  readonly maxRetryAfterMs?: number;
  /** Keep-alive connections to the service (default 8). */
  readonly connections?: number;
  /** http:// to a host other than loopback sends the token in clear text: refused unless this is set. */
  readonly allowInsecureHttp?: boolean;
  /** Told about each retry, e.g. to log it. */
  readonly onRetry?: (info: { operation: string; attempt: number; delayMs: number; reason: string }) => void;
  /** For tests: another undici dispatcher than the keep-alive pool. */
  readonly dispatcher?: Dispatcher;
}

/**
 * The service's retry policy: 429 and 502/503/504 are worth another try; a Retry-After longer than
 * `maxRetryAfterMs` is not waited for but reported (RATE_LIMITED names the wait). Per call:
 * - `idempotent`: reads, and creates (their Idempotency-Key makes a repeat return the first answer):
 *   tried again on connection errors, timeouts and those statuses;
 * - `if-never-sent`: updates and deletes: tried again only when the request surely never left (no
 *   connection was made), or on 429, which the service answers before doing anything.
 */
const STORE_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

interface Call {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly retry: Replay;
  readonly ctx: CallContext;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A caller's key as the service accepts it: kept when it fits the header's pattern, else its SHA-256
 * (a URN, say), so one logical key always gives the same header.
 */
export function wireIdempotencyKey(key: string): string {
  return IDEMPOTENCY_KEY_PATTERN.test(key) ? key : createHash("sha256").update(key, "utf8").digest("hex");
}

/** The actor header: who, behind the token, does this (the service's audit log records it). */
function actorHeader(actor: Actor): Record<string, string> {
  const text = actor.actor.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  return ACTOR_PATTERN.test(text) ? { [HEADER.actor]: text } : {};
}

/**
 * The credential store as a client of the shared store service (`smschannels:storeUrl`). Same
 * interface and the same errors as the embedded store, so the provider does not care which it has.
 */
export class HttpStore implements CredentialStore {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly authorization: string;
  private readonly policy: RetryPolicy;
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: HttpStoreOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new StoreError(
        "INVALID_INPUT",
        "storeUrl: not a URL (e.g. https://store.example.com)",
        "storeUrl",
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new StoreError("INVALID_INPUT", "storeUrl: must be an https:// URL", "storeUrl");
    }
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !options.allowInsecureHttp) {
      throw new StoreError(
        "INVALID_INPUT",
        `storeUrl: http:// to ${url.hostname} would send the store token in clear text; use https:// (http:// is for loopback hosts only)`,
        "storeUrl",
      );
    }
    if (!options.token || /[\s]/.test(options.token)) {
      throw new StoreError(
        "INVALID_INPUT",
        "storeToken: set smschannels:storeToken to a token of the store service",
        "storeToken",
      );
    }
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.authorization = `Bearer ${options.token}`;
    this.policy = {
      ...DEFAULT_BACKOFF,
      ...options.retry,
      retryStatuses: STORE_RETRY_STATUSES,
      retryAfter: { maxMs: options.maxRetryAfterMs ?? 5_000, beyond: "give-up" },
    };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.ownsDispatcher = options.dispatcher === undefined;
    // Loaded here, not at the top: a provider on the embedded store never pays for undici.
    const { Pool } = undiciParts();
    this.dispatcher =
      options.dispatcher ??
      new Pool(url.origin, {
        connections: options.connections ?? 8,
        connect: { timeout: options.connectTimeoutMs ?? 5_000 },
        keepAliveTimeout: 4_000,
      });
  }

  async create(input: RecordInput, options: CreateOptions): Promise<StoredRecord> {
    const { sandbox, kind, ...body } = input;
    // One key per logical create, the same on every retry: the service answers a repeat with the
    // record the first try made, never a duplicate.
    const key = wireIdempotencyKey(options.idempotencyKey ?? randomUUID());
    const answer = await this.call({
      method: "POST",
      path: collectionPath(sandbox, kind),
      body,
      headers: { [HEADER.idempotencyKey]: key, ...actorHeader(options) },
      retry: "idempotent",
      ctx: this.ctx(`create ${kind} "${input.name}"`, sandbox, "write"),
    });
    return answer.body as StoredRecord;
  }

  async get(sandbox: string, kind: RecordKind, id: string): Promise<StoredRecord | undefined> {
    const ctx = this.ctx(`read ${kind} ${id}`, sandbox, "read");
    const answer = await this.call(
      { method: "GET", path: recordPath(sandbox, kind, id), retry: "idempotent", ctx },
      id,
    );
    return answer.status === 404 ? undefined : (answer.body as StoredRecord);
  }

  async findByName(sandbox: string, kind: RecordKind, name: string): Promise<StoredRecord | undefined> {
    const path = `${collectionPath(sandbox, kind)}?name=${encodeURIComponent(name)}`;
    const ctx = this.ctx(`find ${kind} "${name}"`, sandbox, "read");
    const answer = await this.call({ method: "GET", path, retry: "idempotent", ctx });
    return (answer.body as { items: StoredRecord[] }).items[0];
  }

  async list(sandbox: string, kind: RecordKind): Promise<StoredRecord[]> {
    const ctx = this.ctx(`list ${kind} records`, sandbox, "read");
    const answer = await this.call({
      method: "GET",
      path: collectionPath(sandbox, kind),
      retry: "idempotent",
      ctx,
    });
    return (answer.body as { items: StoredRecord[] }).items;
  }

  async update(
    sandbox: string,
    kind: RecordKind,
    id: string,
    expectedVersion: number,
    patch: RecordPatch,
    actor: Actor,
  ): Promise<StoredRecord> {
    const answer = await this.call({
      method: "PATCH",
      path: recordPath(sandbox, kind, id),
      body: patch,
      headers: { [HEADER.ifMatch]: etagOf(expectedVersion), ...actorHeader(actor) },
      retry: "if-never-sent",
      ctx: this.ctx(`update ${kind} ${id}`, sandbox, "write"),
    });
    return answer.body as StoredRecord;
  }

  async delete(
    sandbox: string,
    kind: RecordKind,
    id: string,
    options: DeleteOptions,
  ): Promise<"deleted" | "absent"> {
    const ctx = this.ctx(`delete ${kind} ${id}`, sandbox, "write");
    const answer = await this.call(
      {
        method: "DELETE",
        path: recordPath(sandbox, kind, id),
        headers: {
          ...actorHeader(options),
          ...(options.expectedVersion !== undefined
            ? { [HEADER.ifMatch]: etagOf(options.expectedVersion) }
            : {}),
        },
        retry: "if-never-sent",
        ctx,
      },
      id,
    );
    return answer.status === 404 ? "absent" : "deleted";
  }

  async readSecret(
    sandbox: string,
    kind: RecordKind,
    id: string,
    actor: Actor,
  ): Promise<SecretPayload | undefined> {
    const ctx = this.ctx(`read the secret of ${kind} ${id}`, sandbox, "runtime");
    const answer = await this.call(
      {
        method: "GET",
        path: secretPath(sandbox, kind, id),
        headers: actorHeader(actor),
        retry: "idempotent",
        ctx,
      },
      id,
    );
    return answer.status === 404 ? undefined : (answer.body as { secret: SecretPayload }).secret;
  }

  /** The receiver's consent ledger (scope `read`): one number's consent per sender, or all of the sandbox. */
  async consents(sandbox: string, number?: string): Promise<ConsentItem[]> {
    const path = `/v1/sandboxes/${encodeURIComponent(sandbox)}/consents${
      number === undefined ? "" : `?number=${encodeURIComponent(number)}`
    }`;
    const ctx = this.ctx("read consents", sandbox, "read");
    const answer = await this.call({ method: "GET", path, retry: "idempotent", ctx });
    return (answer.body as { items: ConsentItem[] }).items;
  }

  /** A message's delivery status and events as the receiver recorded them; undefined when it has none. */
  async message(sandbox: string, messageId: string): Promise<MessageView | undefined> {
    const path = `/v1/sandboxes/${encodeURIComponent(sandbox)}/messages/${encodeURIComponent(messageId)}`;
    const ctx = this.ctx(`read message ${messageId}`, sandbox, "read");
    const answer = await this.call({ method: "GET", path, retry: "idempotent", ctx }, messageId);
    return answer.status === 404 ? undefined : (answer.body as MessageView);
  }

  /** The configured token's sandbox and scopes, as the service knows them (`GET /v1/token`). */
  async tokenInfo(): Promise<TokenInfo> {
    const ctx = this.ctx("describe its token", "*", "any");
    try {
      const answer = await this.call({ method: "GET", path: TOKEN_PATH, retry: "idempotent", ctx });
      return answer.body as TokenInfo;
    } catch (e) {
      // The service always has this route: a 404 (even one in the store's error shape, as the
      // webhook receiver answers) means the URL is something else, or lacks a path prefix.
      if (!StoreError.is(e, "NOT_FOUND")) throw e;
      throw new StoreError(
        "UNAVAILABLE",
        `${this.options.url} answered 404 to GET ${this.basePath}${TOKEN_PATH}, which the store service always answers: is smschannels:storeUrl the base URL of the store service (not the webhook receiver's, and with any path prefix its proxy adds)?`,
        undefined,
        { status: 404 },
        { cause: e },
      );
    }
  }

  async fingerprint(
    sandbox: string,
    kind: RecordKind,
    secret: SecretPayload,
    stateFingerprint?: string,
  ): Promise<string> {
    const answer = await this.call({
      method: "POST",
      path: fingerprintPath(sandbox),
      body: { kind, secret },
      ...(stateFingerprint !== undefined && FINGERPRINT_PATTERN.test(stateFingerprint)
        ? { headers: { [HEADER.stateFingerprint]: stateFingerprint } }
        : {}),
      retry: "idempotent",
      ctx: this.ctx(`fingerprint a ${kind} secret`, sandbox, "write"),
    });
    return (answer.body as { secretFingerprint: string }).secretFingerprint;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private ctx(operation: string, sandbox: string, scope: string): CallContext {
    return { origin: this.origin, operation, sandbox, scope };
  }

  /**
   * One logical call, tried as often as its retry class allows. `absentId`: a 404 that the service
   * says is about this record is an answer (absent), not an error; any other 404 (a wrong URL, a
   * proxy) is an error, so a mistyped storeUrl can never make records look deleted.
   */
  private async call(call: Call, absentId?: string): Promise<Answer> {
    const outcome = await withRetry(
      this.policy,
      call.retry,
      async () => {
        const res = await undiciParts().dispatcherRequest.call(this.dispatcher, {
          origin: this.origin,
          method: call.method,
          path: this.basePath + call.path,
          headers: {
            authorization: this.authorization,
            accept: "application/json",
            ...(call.body !== undefined ? { "content-type": "application/json" } : {}),
            ...call.headers,
          },
          body: call.body === undefined ? null : JSON.stringify(call.body),
          headersTimeout: this.requestTimeoutMs,
          bodyTimeout: this.requestTimeoutMs,
        });
        return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
      },
      {
        onRetry: (info) => this.options.onRetry?.({ operation: call.ctx.operation, ...info }),
      },
    );
    if (outcome.kind === "failed") throw unreachable(call.ctx, outcome.code, outcome.error);
    const { status, headers, text } = outcome.answer;
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (status >= 200 && status < 300) {
      if (body === undefined && status !== 204) {
        throw new StoreError(
          "UNAVAILABLE",
          `the store service at ${this.origin} answered ${status} without JSON to ${call.ctx.operation}`,
        );
      }
      return { status, body };
    }
    if (status === 404 && absentId !== undefined && parseErrorBody(body)?.details?.["id"] === absentId) {
      return { status, body };
    }
    throw errorFromResponse(status, body, call.ctx, retryAfterMs(headers[HEADER.retryAfter]));
  }
}
