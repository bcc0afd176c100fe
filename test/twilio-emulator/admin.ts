import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Delivery, InboundDelivery, StatusDelivery } from "./deliver";
import type { Fault } from "./faults";
import type { LoggedRequest } from "./request-log";
import type { SeedResult } from "./seed";
import type { AccountStatus, SentMessage, ServiceView } from "./state";

/**
 * The admin API under `/__emulator/`, for tests and demos in other processes. No authentication; it
 * answers loopback clients only (403 otherwise). JSON in and out.
 *
 * | method | path | does |
 * | --- | --- | --- |
 * | GET | /__emulator/health | `{ ok: true, url }` |
 * | GET | /__emulator/requests | `{ requests, distinctAuthUsers }` |
 * | DELETE | /__emulator/requests | clears the request log (204) |
 * | GET | /__emulator/faults | `{ faults }`: pending faults with the uses left |
 * | POST | /__emulator/faults | queues one fault or an array of them; `match.path` is a RegExp source (201) |
 * | DELETE | /__emulator/faults | clears pending faults (204) |
 * | GET | /__emulator/messages | `{ messages }`: the messages sent, with raw body and content type |
 * | DELETE | /__emulator/messages | forgets them (204) |
 * | GET | /__emulator/services/{sid} | the service's current settings (404 if unknown) |
 * | POST | /__emulator/seed | seeds (the `--seed-file` format); answers the SIDs with tokens and secrets (201) |
 * | POST | /__emulator/accounts/{sid} | `{ "status": "suspended" }`: changes an account's status |
 * | POST | /__emulator/accounts/{sid}/auth-token | rotates the account's auth token, as the console does: the old one is refused from then on; answers `{ sid, authToken }` (201) |
 * | POST | /__emulator/inbound | `{ from, to, body, optOutType?, signing?, url?, messageSid? }`: Twilio delivers an inbound message; answers the delivery |
 * | POST | /__emulator/status | `{ messageSid, status, errorCode?, signing?, url? }`: Twilio posts a status callback; answers the delivery |
 * | GET | /__emulator/deliveries | `{ deliveries }`: every webhook call with the answer it got |
 * | DELETE | /__emulator/deliveries | forgets them (204) |
 */

export const ADMIN_PREFIX = "/__emulator";

/** What the admin API drives: the emulator itself. */
export interface AdminTarget {
  readonly url: string;
  readonly requests: ReadonlyArray<LoggedRequest>;
  readonly messages: ReadonlyArray<SentMessage>;
  clearRequests(): void;
  clearMessages(): void;
  distinctAuthUsers(): string[];
  injectFault(fault: Fault): void;
  clearFaults(): void;
  pendingFaults(): ReadonlyArray<Fault & { readonly remaining: number }>;
  getService(sid: string): ServiceView | undefined;
  /** Seeds from a parsed seed-file value (checked there). */
  seed(spec: unknown): SeedResult;
  setAccountStatus(accountSid: string, status: AccountStatus): void;
  rotateAuthToken(accountSid: string): string;
  deliverInbound(delivery: InboundDelivery): Promise<Delivery>;
  deliverStatus(delivery: StatusDelivery): Promise<Delivery>;
  readonly deliveries: ReadonlyArray<Delivery>;
  clearDeliveries(): void;
}

const signingSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("account") }).strict(),
  z.object({ kind: z.literal("token"), authToken: z.string().min(1) }).strict(),
  z.object({ kind: z.literal("value"), signature: z.string() }).strict(),
  z.object({ kind: z.literal("none") }).strict(),
]);

const inboundSpec = z
  .object({
    from: z.string(),
    to: z.string(),
    body: z.string(),
    optOutType: z.enum(["STOP", "START", "HELP", "auto"]).nullable().optional(),
    signing: signingSpec.optional(),
    url: z.string().url().optional(),
    messageSid: z
      .string()
      .regex(/^SM[0-9a-f]{32}$/)
      .optional(),
  })
  .strict();

const statusSpec = z
  .object({
    messageSid: z.string(),
    status: z.string().min(1),
    errorCode: z.union([z.string(), z.number().int()]).optional(),
    signing: signingSpec.optional(),
    url: z.string().url().optional(),
  })
  .strict();

const matchSpec = z.object({ method: z.string().optional(), path: z.string().optional() }).strict();

const faultSpec = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("status"),
      status: z.number().int().min(100).max(599),
      code: z.number().int().optional(),
      message: z.string().optional(),
      retryAfterSeconds: z.number().int().min(0).optional(),
      times: z.number().int().min(1).default(1),
      match: matchSpec.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("latency"),
      ms: z.number().min(0),
      times: z.number().int().min(1).default(1),
      match: matchSpec.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("drop"),
      times: z.number().int().min(1).default(1),
      match: matchSpec.optional(),
    })
    .strict(),
]);

/** A fault from admin JSON: `match.path` is compiled as a regular expression. */
export function parseFaultJson(value: unknown): Fault {
  const result = faultSpec.safeParse(value);
  if (!result.success) {
    throw new Error(
      `invalid fault: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const f = result.data;
  const match = f.match
    ? { method: f.match.method, path: f.match.path ? new RegExp(f.match.path) : undefined }
    : undefined;
  return { ...f, match };
}

/** A fault for JSON output: a RegExp path as its source. */
function faultJson(f: Fault & { readonly remaining: number }): unknown {
  const path = f.match?.path;
  return {
    ...f,
    match: f.match ? { ...f.match, path: path instanceof RegExp ? path.source : path } : undefined,
  };
}

export function isLoopback(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" }).end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(text.trim() === "" ? {} : JSON.parse(text));
      } catch {
        reject(new Error("the body is not JSON"));
      }
    });
  });
}

function messageJson(m: SentMessage): unknown {
  return { ...m, dateCreated: m.dateCreated.toISOString() };
}

export async function handleAdmin(
  target: AdminTarget,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) {
    send(res, 403, { error: "the admin API answers loopback clients only" });
    return;
  }
  const method = req.method ?? "GET";
  const path = new URL(req.url ?? "/", "http://emulator.invalid").pathname.slice(ADMIN_PREFIX.length);
  try {
    if (path === "/health" && method === "GET") return send(res, 200, { ok: true, url: target.url });
    if (path === "/requests") {
      if (method === "GET") {
        return send(res, 200, { requests: target.requests, distinctAuthUsers: target.distinctAuthUsers() });
      }
      if (method === "DELETE") return (target.clearRequests(), send(res, 204));
    }
    if (path === "/faults") {
      if (method === "GET") return send(res, 200, { faults: target.pendingFaults().map(faultJson) });
      if (method === "POST") {
        const body = await readJson(req);
        const faults = (Array.isArray(body) ? body : [body]).map(parseFaultJson);
        faults.forEach((f) => target.injectFault(f));
        return send(res, 201, { queued: faults.length, pending: target.pendingFaults().length });
      }
      if (method === "DELETE") return (target.clearFaults(), send(res, 204));
    }
    if (path === "/messages") {
      if (method === "GET") return send(res, 200, { messages: target.messages.map(messageJson) });
      if (method === "DELETE") return (target.clearMessages(), send(res, 204));
    }
    const service = /^\/services\/([^/]+)$/.exec(path);
    if (service?.[1] && method === "GET") {
      const view = target.getService(service[1]);
      return view ? send(res, 200, view) : send(res, 404, { error: `no service ${service[1]}` });
    }
    if (path === "/seed" && method === "POST") {
      return send(res, 201, target.seed(await readJson(req)));
    }
    const account = /^\/accounts\/([^/]+)$/.exec(path);
    if (account?.[1] && method === "POST") {
      const body = z.object({ status: z.enum(["active", "suspended", "closed"]) }).parse(await readJson(req));
      target.setAccountStatus(account[1], body.status);
      return send(res, 200, { sid: account[1], status: body.status });
    }
    const rotate = /^\/accounts\/([^/]+)\/auth-token$/.exec(path);
    if (rotate?.[1] && method === "POST") {
      return send(res, 201, { sid: rotate[1], authToken: target.rotateAuthToken(rotate[1]) });
    }
    if (path === "/inbound" && method === "POST") {
      return send(res, 200, await target.deliverInbound(inboundSpec.parse(await readJson(req))));
    }
    if (path === "/status" && method === "POST") {
      return send(res, 200, await target.deliverStatus(statusSpec.parse(await readJson(req))));
    }
    if (path === "/deliveries") {
      if (method === "GET") return send(res, 200, { deliveries: target.deliveries });
      if (method === "DELETE") return (target.clearDeliveries(), send(res, 204));
    }
    send(res, 404, { error: `no admin endpoint ${method} ${ADMIN_PREFIX}${path}` });
  } catch (err) {
    send(res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
}
