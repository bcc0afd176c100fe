import { Agent, request, type Dispatcher } from "undici";
import { backoffDelay } from "../../store/client/backoff";
import { networkErrorCode } from "../net";

/** What the `twilio` package hands its `httpClient` (a subset of its RequestClient.RequestOptions). */
export interface TwilioRequestOptions {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  params?: object;
  data?: object;
  timeout?: number;
}

/** The shape the `twilio` package expects back. */
export interface TwilioResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface TwilioHttpOptions {
  /** Replaces `https://<sub>.twilio.com`, path kept: proxies and emulators. */
  readonly apiUrl?: string;
  /** Per attempt, from connect to the last byte. */
  readonly timeoutMs?: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly dispatcher?: Dispatcher;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Twilio could not be reached at all (after retries). Never carries credentials. */
export class TwilioUnreachableError extends Error {
  override readonly name = "TwilioUnreachableError";
  constructor(
    readonly url: string,
    readonly causeCode: string,
    readonly attempts: number,
  ) {
    super(`could not reach Twilio at ${url} (${describeCause(causeCode)}) after ${attempts} attempt(s)`);
  }
  static isInstance(e: unknown): e is TwilioUnreachableError {
    return typeof e === "object" && e !== null && (e as { name?: unknown }).name === "TwilioUnreachableError";
  }
}

function describeCause(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
      return "connection dropped";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    default:
      return code;
  }
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** Errors raised before a request can have reached Twilio: safe to retry even a POST. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
]);

export function rewriteTwilioUrl(uri: string, apiUrl: string | undefined): string {
  if (!apiUrl) return uri;
  const u = new URL(uri);
  if (!/(^|\.)twilio\.com$/.test(u.hostname)) return uri;
  const base = new URL(apiUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return `${base.origin}${prefix}${u.pathname}${u.search}`;
}

function formEncode(data: object): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) out.append(k, String(item));
    else if (v instanceof Date) out.append(k, v.toISOString());
    else out.append(k, typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  return out.toString();
}

/**
 * The `httpClient` we give the `twilio` package: honours `twilioApiUrl`, bounds every attempt with a
 * timeout, and retries with exponential backoff and full jitter on 429, 5xx and dropped connections.
 * A POST is retried only when Twilio surely did not act on it (429, or the connection never opened):
 * a second CreateMessage after a 503 could send the message twice.
 */
export class TwilioHttpClient {
  private readonly dispatcher: Dispatcher;
  readonly attemptsMade: { count: number } = { count: 0 };

  constructor(private readonly options: TwilioHttpOptions = {}) {
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  }

  async request(opts: TwilioRequestOptions): Promise<TwilioResponse> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const method = opts.method.toUpperCase();
    const url = new URL(rewriteTwilioUrl(opts.uri, this.options.apiUrl));
    if (opts.params) {
      const qs = formEncode(opts.params);
      if (qs) url.search = url.search ? `${url.search}&${qs}` : `?${qs}`;
    }
    const headers: Record<string, string> = { accept: "application/json", ...(opts.headers ?? {}) };
    if (opts.username !== undefined && opts.password !== undefined) {
      headers["authorization"] =
        "Basic " + Buffer.from(`${opts.username}:${opts.password}`).toString("base64");
    }
    let body: string | null = null;
    if (opts.data && method !== "GET") {
      body = formEncode(opts.data);
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const where = `${url.origin}${url.pathname}`;
    for (let attempt = 1; ; attempt++) {
      this.attemptsMade.count++;
      let res: TwilioResponse | undefined;
      let failure: string | undefined;
      let mayRetry = false;
      try {
        const r = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
          dispatcher: this.dispatcher,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
        });
        res = {
          statusCode: r.statusCode,
          body: await r.body.text(),
          headers: r.headers as TwilioResponse["headers"],
        };
        mayRetry = RETRYABLE_STATUS.has(res.statusCode) && (method === "GET" || res.statusCode === 429);
      } catch (e) {
        failure = networkErrorCode(e);
        mayRetry = method === "GET" || NOT_SENT_CODES.has(failure);
      }
      if (!mayRetry || attempt >= maxAttempts) {
        if (res) return res;
        throw new TwilioUnreachableError(where, failure ?? "unknown error", attempt);
      }
      await (this.options.sleep ?? defaultSleep)(this.delay(attempt, res));
    }
  }

  /** Full jitter: a random wait in [0, min(cap, base * 2^attempt)], or Twilio's Retry-After when it says. */
  private delay(attempt: number, res: TwilioResponse | undefined): number {
    const cap = this.options.maxDelayMs ?? 2_000;
    const retryAfter = res?.headers["retry-after"];
    const seconds = typeof retryAfter === "string" ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(cap, seconds * 1000);
    return backoffDelay(
      attempt,
      { baseDelayMs: this.options.baseDelayMs ?? 200, maxDelayMs: cap },
      this.options.random,
    );
  }

  async close(): Promise<void> {
    if (!this.options.dispatcher) await this.dispatcher.close();
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
