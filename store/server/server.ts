import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HEADER } from "../api/wire";
import type { CoreStore } from "../core";
import { StoreError } from "../errors";
import type { TokenRecord } from "../tokens/model";
import type { TokenService } from "../tokens/service";
import { authenticate } from "./auth";
import { parseJsonObject, readBody, sendError, sendJson } from "./http-io";
import { InFlight, listenOn } from "./lifecycle";
import { type Logger, silentLogger } from "./log";
import { type RateLimit, RateLimiter } from "./rate-limit";
import { ROUTES, type Route } from "./routes";

export interface StoreServerOptions {
  readonly store: CoreStore;
  readonly tokens: TokenService;
  readonly logger?: Logger;
  /** Largest request body (default 64 KiB: a record with its secret is a few KiB). */
  readonly maxBodyBytes?: number;
  /** Per bearer token (default 100/s, bursts of 200); `false` turns it off. */
  readonly rateLimit?: RateLimit | false;
  /**
   * Fingerprint guesses (the route is a guess oracle for a write token) per token (default 2/s, bursts
   * of 50); an answer equal to the fingerprint the caller's state names is no guess and not counted.
   */
  readonly fingerprintRateLimit?: RateLimit | false;
  /** Failed authentications per client address (default 1/s, bursts of 10): past it, a bad token gets 429, not 401; a good one still passes. */
  readonly authFailureLimit?: RateLimit | false;
  /** How long shutdown waits for requests in flight before it cuts them off (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** A request that takes longer, headers and body, is cut off (default 30 s). */
  readonly requestTimeoutMs?: number;
}

// A pipeline deploying a few hundred resources makes a few requests for each: room for that, while a
// runaway client still gets 429s.
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 100, burst: 200 };
// A diff of one resource with a secret asks once, naming state's fingerprint: only a secret that
// changed since is charged (twice: in the preview and in the up), so the burst only needs to hold the
// secrets one pipeline rotates at once; a writer testing guesses gets two a second. Measured with 16
// diffs in parallel: 1,000 unchanged secrets all answered (8 s, none charged); 50 changed ones all
// answered, 70 left 11 refused. The old burst, 200 for every ask, refused 535 of 1,000 unchanged.
export const DEFAULT_FINGERPRINT_RATE_LIMIT: RateLimit = { perSecond: 2, burst: 50 };
export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimit = { perSecond: 1, burst: 10 };

/**
 * A query parameter the route does not read is refused, naming it: a typo such as `?nmae=x` would
 * otherwise answer as if there were no filter (every record instead of none), and a repeated one
 * leaves which value counts to the order of the string.
 */
function checkQuery(query: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>();
  for (const key of query.keys()) {
    const shown = JSON.stringify(key.slice(0, 64));
    if (!allowed.includes(key)) {
      const takes = allowed.length > 0 ? `it takes ${allowed.join(", ")}` : "it takes none";
      throw new StoreError(
        "INVALID_INPUT",
        `query: ${shown} is not a parameter of this route (${takes})`,
        "query",
      );
    }
    if (seen.has(key))
      throw new StoreError("INVALID_INPUT", `query: ${shown} is given more than once`, "query");
    seen.add(key);
  }
}

/**
 * The store service: the `/v1` JSON API over one CoreStore, on plain node:http (see README.md for
 * why no framework). One process may run several; they share the database, not memory, except for
 * rate limits, which are per process.
 */
export class StoreServer {
  readonly server: http.Server;
  private readonly logger: Logger;
  private readonly limiter: RateLimiter | undefined;
  private readonly fingerprintLimiter: RateLimiter | undefined;
  private readonly authFailures: RateLimiter | undefined;
  private readonly maxBodyBytes: number;
  private readonly requests = new InFlight();

  constructor(private readonly options: StoreServerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    const limit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.limiter = limit === false ? undefined : new RateLimiter(limit);
    const fpLimit = options.fingerprintRateLimit ?? DEFAULT_FINGERPRINT_RATE_LIMIT;
    this.fingerprintLimiter = fpLimit === false ? undefined : new RateLimiter(fpLimit);
    const authLimit = options.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT;
    this.authFailures = authLimit === false ? undefined : new RateLimiter(authLimit);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.requestTimeout = options.requestTimeoutMs ?? 30_000;
    this.server.headersTimeout = Math.min(10_000, this.server.requestTimeout);
    // Longer than clients keep idle sockets (undici: 4 s), so a client never reuses one we just closed.
    this.server.keepAliveTimeout = 10_000;
  }

  async listen(port = 8787, host = "127.0.0.1"): Promise<string> {
    const url = await listenOn(this.server, port, host);
    this.logger.info("listening", { url });
    return url;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /**
   * Stops taking connections, lets the requests in flight finish (up to shutdownTimeoutMs), then
   * closes every connection. /readyz answers 503 from the first moment, so a balancer stops sending.
   */
  async shutdown(): Promise<void> {
    await this.requests.shutdown(this.server, this.options.shutdownTimeoutMs ?? 10_000, this.logger);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.requests.enter();
    const requestId = randomUUID();
    let route: Route | undefined;
    let tokenId: string | undefined;
    res.on("close", () => {
      this.logger.info("request", {
        requestId,
        method: req.method,
        route: route?.name ?? "-",
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        tokenId,
      });
      this.requests.leave();
    });
    // While draining, each answer closes its connection, so keep-alive clients move on.
    if (this.requests.draining) res.setHeader("connection", "close");
    try {
      const url = new URL(req.url ?? "/", "http://store.invalid");
      if (await this.probe(url.pathname, req, res, requestId)) return;
      const candidates = ROUTES.filter((r) => r.pattern.test(url.pathname));
      route = candidates.find((r) => r.method === req.method);
      if (!route) {
        if (candidates.length === 0)
          throw new StoreError("NOT_FOUND", `no route ${url.pathname}; the API lives under /v1`);
        methodNotAllowed(res, req, candidates.map((r) => r.method).join(", "), requestId);
        return;
      }
      const token = await this.authenticate(req);
      tokenId = token.id;
      const waitMs = this.limiter?.take(token.id) ?? 0;
      if (waitMs > 0) {
        const message = `too many requests for token ${token.id}; retry after ${waitMs} ms`;
        throw new StoreError("RATE_LIMITED", message, undefined, { retryAfterMs: waitMs });
      }
      if (req.method === "POST" || req.method === "PATCH") checkContentType(req);
      checkQuery(url.searchParams, route.query ?? []);
      const match = route.pattern.exec(url.pathname) ?? [];
      const reply = await route.handle({
        req,
        match,
        query: url.searchParams,
        token,
        store: this.options.store,
        body: async () => parseJsonObject(await readBody(req, this.maxBodyBytes)),
        reserveFingerprintGuess: () => {
          const limiter = this.fingerprintLimiter;
          const fpWaitMs = limiter?.take(token.id) ?? 0;
          if (fpWaitMs > 0) {
            const message = `too many fingerprint guesses for token ${token.id}; retry after ${fpWaitMs} ms`;
            throw new StoreError("RATE_LIMITED", message, undefined, { retryAfterMs: fpWaitMs });
          }
          return () => limiter?.refund(token.id);
        },
      });
      sendJson(res, reply.status, reply.body, { ...reply.headers, [HEADER.requestId]: requestId });
    } catch (e) {
      this.fail(res, e, requestId, route);
    }
  }

  /**
   * The request's token. Failed tries are counted per client address, and past the limit a failed
   * try is answered 429 instead of 401. The token is checked first, always: behind a TLS proxy every
   * client shares the proxy's address, so refusing the address before the check would let anyone who
   * can reach the service lock out every pipeline with a stream of bad tokens. Checking first is
   * cheap (a SHA-256 and one indexed lookup; malformed tokens never reach the database), and the
   * limit was never what keeps tokens from being guessed: they are 256 random bits.
   */
  private async authenticate(req: IncomingMessage): Promise<TokenRecord> {
    try {
      return await authenticate(req, this.options.tokens);
    } catch (e) {
      if (StoreError.is(e, "UNAUTHORIZED")) {
        const waitMs = this.authFailures?.take(req.socket.remoteAddress ?? "unknown") ?? 0;
        if (waitMs > 0) throw tooManyFailures(waitMs);
      }
      throw e;
    }
  }

  /**
   * /healthz: the process answers. /readyz: it can reach its database and is not shutting down.
   * HEAD answers as GET does (node leaves the body out), since some balancers check with HEAD; any
   * other method is 405, as on every route, not a 404 that says the probe does not exist.
   */
  private async probe(
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ): Promise<boolean> {
    if (path !== "/healthz" && path !== "/readyz") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      methodNotAllowed(res, req, "GET, HEAD", requestId);
      return true;
    }
    if (path === "/healthz") {
      sendJson(res, 200, { status: "ok" });
      return true;
    }
    if (this.requests.draining) {
      sendError(res, new StoreError("UNAVAILABLE", "shutting down"), requestId);
      return true;
    }
    try {
      await this.options.store.backend.ping();
      sendJson(res, 200, { status: "ready" });
    } catch (e) {
      // Unauthenticated callers learn "unavailable", never where the database is: that is logged.
      this.logger.error("database unavailable", {
        requestId,
        message: StoreError.isInstance(e) ? e.message : e instanceof Error ? e.name : "unknown",
      });
      sendError(res, new StoreError("UNAVAILABLE", "unavailable"), requestId);
    }
    return true;
  }

  private fail(res: ServerResponse, e: unknown, requestId: string, route: Route | undefined): void {
    if (StoreError.isInstance(e)) {
      if (e.code === "UNAVAILABLE" || e.code === "CORRUPT" || e.code === "KEY_MISSING") {
        this.logger.error("store error", { requestId, code: e.code, message: e.message });
        // Their text names the database (host, port, file): it stays in the log. A 401 answered
        // while the database is down would otherwise tell anyone where it lives.
        const generic =
          e.code === "UNAVAILABLE"
            ? "unavailable; try again (the service log has more under this request id)"
            : `internal error (${e.code}); the service log has more under this request id`;
        sendError(
          res,
          new StoreError(e.code, generic, undefined, e.details),
          requestId,
          route?.statusFor?.(e),
        );
        return;
      }
      sendError(res, e, requestId, route?.statusFor?.(e));
      return;
    }
    // Unknown errors: their text may quote data, so only their class and code reach the log or the wire.
    const name = e instanceof Error ? e.name : typeof e;
    const code = (e as { code?: unknown } | null)?.code;
    this.logger.error("internal error", {
      requestId,
      error: name,
      code: typeof code === "string" ? code : undefined,
    });
    sendError(
      res,
      new StoreError("UNAVAILABLE", `internal error (request ${requestId}); the service log has more`),
      requestId,
      500,
    );
  }
}

/** 405 with the methods the path takes in `Allow`. */
function methodNotAllowed(res: ServerResponse, req: IncomingMessage, allow: string, requestId: string): void {
  res.setHeader("allow", allow);
  sendError(res, new StoreError("INVALID_INPUT", `method ${req.method} is not allowed here`), requestId, 405);
}

function tooManyFailures(waitMs: number): StoreError {
  return new StoreError(
    "RATE_LIMITED",
    `too many failed authentications from this address; retry after ${waitMs} ms`,
    undefined,
    { retryAfterMs: waitMs },
  );
}

/** A body is JSON, and says so: anything else is refused before it is read (415). */
function checkContentType(req: IncomingMessage): void {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new StoreError("INVALID_INPUT", "Content-Type: the body must be application/json", "Content-Type", {
      status: 415,
    });
  }
}
