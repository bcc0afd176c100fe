import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { SecretOpener } from "../crypto";
import { StoreError } from "../errors";
import { readBody } from "../server/http-io";
import { InFlight, listenOn } from "../server/lifecycle";
import { type Logger, silentLogger } from "../server/log";
import { deliver, type Answer, type Delivery } from "./deliver";
import type { ReceiverLedger, TargetRow } from "./ledger";
import { BadDelivery } from "./payload";
import { resolveTarget } from "./target";

export const RECEIVER_SERVICE = "pulumi-sms-channels-receiver";

export interface ReceiverServerOptions {
  readonly ledger: ReceiverLedger;
  readonly keyring: SecretOpener;
  /** `--public-url`: the base URL senders call; signatures are checked against it, never the Host header. */
  readonly publicUrl: string;
  readonly logger?: Logger;
  /** Largest delivery body (default 64 KiB: Twilio's form is a few KiB, MMS included). */
  readonly maxBodyBytes?: number;
  readonly shutdownTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How long a webhook's rows read for one delivery serve the next ones (default 5 s; 0: never). */
  readonly targetCacheMs?: number;
}

type TargetRows = { webhook?: TargetRow; credential?: TargetRow };

/**
 * Webhook and credential rows read lately, by webhook id (secrets still sealed), so that the
 * deliveries of a busy webhook do not each wait for a lookup before their write. Only a hint: a
 * delivery checked against a remembered read is written only while its webhook and credential are
 * still at the versions read (the ledger checks it in the write's own statement), and any answer but
 * a 200 from a remembered read is given up for one from a new read. So a webhook deleted since gets
 * 404, a changed one is answered as it is now, and a rotated token is checked as it is now.
 * Deliveries that come while a webhook is being read join that read, on the same terms: a burst to a
 * webhook not remembered yet makes one lookup, not one per delivery (each a pooled connection).
 */
class RecentTargets {
  private readonly entries = new Map<string, { readonly until: number; readonly rows: TargetRows }>();
  private readonly reading = new Map<string, Promise<TargetRows>>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1_000,
  ) {}

  get(id: string): TargetRows | undefined {
    const e = this.entries.get(id);
    if (e && e.until > performance.now()) return e.rows;
    this.entries.delete(id);
    return undefined;
  }

  /** The rows of a read of `id` under way, once it answers (undefined if none, or it failed). */
  async joinRead(id: string): Promise<TargetRows | undefined> {
    return this.reading.get(id)?.catch(() => undefined);
  }

  /** Reads `id` (others may join) and remembers what it found. */
  async read(id: string, load: () => Promise<TargetRows>): Promise<TargetRows> {
    const read = load();
    this.reading.set(id, read);
    try {
      const rows = await read;
      this.remember(id, rows);
      return rows;
    } finally {
      if (this.reading.get(id) === read) this.reading.delete(id);
    }
  }

  /** Only a webhook with its credential: a miss proves nothing for the next delivery. */
  private remember(id: string, rows: TargetRows): void {
    this.entries.delete(id);
    if (this.ttlMs <= 0 || !rows.webhook || !rows.credential) return;
    // The oldest entry goes first (a Map keeps insertion order).
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(id, { until: performance.now() + this.ttlMs, rows });
  }
}

const WEBHOOK_PATH = /^\/v1\/sandboxes\/([^/]+)\/webhooks\/([^/]+)$/;

const json = (status: number, body: unknown, outcome: string): Answer => ({
  status,
  contentType: "application/json; charset=utf-8",
  body: JSON.stringify(body),
  outcome,
});
const error = (status: number, code: string, message: string, outcome: string): Answer =>
  json(status, { error: { code, message } }, outcome);

/** One answer for every webhook that is not there to answer for: unknown, deleted, another sandbox. */
const NOT_FOUND = error(404, "NOT_FOUND", "no such webhook", "not found");
const NO_ROUTE = error(404, "NOT_FOUND", "not found", "no route");
const UNAVAILABLE = error(503, "UNAVAILABLE", "the ledger is unavailable; try again", "unavailable");

/** `https://hooks.example.com/sms/` → its origin and its path prefix without the trailing slash. */
export function parsePublicUrl(text: string): { base: string; prefix: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new StoreError("INVALID_INPUT", `--public-url: not a URL: "${text}"`, "publicUrl");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new StoreError("INVALID_INPUT", "--public-url: must be an http(s) URL", "publicUrl");
  }
  if (u.search || u.hash || u.username || u.password) {
    throw new StoreError(
      "INVALID_INPUT",
      "--public-url: a base URL only (no query, fragment or credentials)",
      "publicUrl",
    );
  }
  const prefix = u.pathname.replace(/\/+$/, "");
  return { base: `${u.origin}${prefix}`, prefix };
}

/**
 * The webhook receiver: the one part meant to face the internet. It answers deliveries to
 * `/v1/sandboxes/{sandbox}/webhooks/{id}` and `GET /healthz`; nothing else (404), and nothing of the
 * store's API. It holds no state of its own: replicas share the database.
 */
export class ReceiverServer {
  readonly server: http.Server;
  private readonly logger: Logger;
  private readonly maxBodyBytes: number;
  private readonly base: string;
  private readonly prefix: string;
  private readonly requests = new InFlight();
  private readonly targets: RecentTargets;

  constructor(private readonly options: ReceiverServerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    ({ base: this.base, prefix: this.prefix } = parsePublicUrl(options.publicUrl));
    this.targets = new RecentTargets(options.targetCacheMs ?? 5_000);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.requestTimeout = options.requestTimeoutMs ?? 15_000;
    this.server.headersTimeout = Math.min(10_000, this.server.requestTimeout);
    this.server.keepAliveTimeout = 10_000;
  }

  async listen(port = 8788, host = "127.0.0.1"): Promise<string> {
    const url = await listenOn(this.server, port, host);
    this.logger.info("listening", { url, publicUrl: this.base });
    return url;
  }

  /** Stops taking connections, lets deliveries in flight commit and answer, then closes. */
  async shutdown(): Promise<void> {
    await this.requests.shutdown(this.server, this.options.shutdownTimeoutMs ?? 10_000, this.logger);
  }

  /** The route's path: the request's, less the public URL's path prefix when a proxy kept it. */
  private routePath(pathname: string): string {
    return this.prefix && pathname.startsWith(`${this.prefix}/`)
      ? pathname.slice(this.prefix.length)
      : pathname;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    this.requests.enter();
    let answer: Answer | undefined;
    let webhookId: string | undefined;
    res.on("close", () => {
      this.logger.info("delivery", {
        requestId,
        method: req.method,
        webhookId,
        status: res.statusCode,
        outcome: answer?.outcome ?? "aborted",
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
      this.requests.leave();
    });
    if (this.requests.draining) res.setHeader("connection", "close");
    try {
      answer = await this.answer(req, requestId, (id) => (webhookId = id));
    } catch (e) {
      answer = this.failure(e, requestId);
    }
    this.send(res, answer, requestId);
  }

  private async answer(
    req: IncomingMessage,
    requestId: string,
    onWebhook: (id: string) => void,
  ): Promise<Answer> {
    const url = new URL(req.url ?? "/", "http://receiver.invalid");
    const path = this.routePath(url.pathname);
    if (path === "/healthz" && req.method === "GET") {
      return json(200, { status: "ok", service: RECEIVER_SERVICE }, "healthz");
    }
    const m = WEBHOOK_PATH.exec(path);
    if (!m || req.method !== "POST") return NO_ROUTE;
    let sandbox: string;
    let id: string;
    try {
      sandbox = decodeURIComponent(m[1] as string);
      id = decodeURIComponent(m[2] as string);
    } catch {
      return NOT_FOUND;
    }
    onWebhook(id);
    const raw = await readBody(req, this.maxBodyBytes);
    // The URL the sender signed: ours as the public knows it, whatever Host the request carries.
    const delivery: Delivery = { publicUrl: `${this.base}${path}${url.search}`, headers: req.headers, raw };
    const remembered = this.targets.get(id) ?? (await this.targets.joinRead(id));
    if (remembered) {
      const a = await this.deliverTo(sandbox, remembered, delivery).catch((e: unknown) => {
        if (e instanceof BadDelivery) return undefined;
        throw e;
      });
      // A 200 was written (or found a repeat) while the webhook was still as remembered.
      if (a?.status === 200) return a;
    }
    const rows = await this.targets.read(id, () => this.options.ledger.loadTarget(id));
    const answer = await this.deliverTo(sandbox, rows, delivery);
    if (answer.status === 403)
      this.logger.warn("delivery refused: bad signature", { requestId, webhookId: id });
    return answer;
  }

  private deliverTo(sandbox: string, rows: TargetRows, delivery: Delivery): Promise<Answer> {
    const target = resolveTarget(sandbox, rows, this.options.keyring);
    return target ? deliver(target, delivery, this.options.ledger) : Promise.resolve(NOT_FOUND);
  }

  private failure(e: unknown, requestId: string): Answer {
    if (e instanceof BadDelivery) return error(400, "INVALID_INPUT", e.message, "bad delivery");
    if (StoreError.isInstance(e)) {
      if (e.code === "PAYLOAD_TOO_LARGE") return error(413, e.code, e.message, "too large");
      if (e.code === "INVALID_INPUT") return error(400, e.code, e.message, "bad delivery");
      this.logger.error("ledger error", { requestId, code: e.code });
      return UNAVAILABLE;
    }
    // Driver errors not classified as StoreErrors: their text may quote data, so only the class.
    const code = (e as { code?: unknown } | null)?.code;
    this.logger.error("internal error", {
      requestId,
      error: e instanceof Error ? e.name : typeof e,
      code: typeof code === "string" ? code : undefined,
    });
    // 503, not 500: Twilio retries it, and the delivery was not acknowledged.
    return UNAVAILABLE;
  }

  private send(res: ServerResponse, a: Answer, requestId: string): void {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {
      "content-type": a.contentType,
      "content-length": String(Buffer.byteLength(a.body)),
      "cache-control": "no-store",
      "x-request-id": requestId,
    };
    if (a.status === 413) headers["connection"] = "close";
    if (a.status === 503) headers["retry-after"] = "1";
    res.writeHead(a.status, headers);
    res.end(a.body);
  }
}
