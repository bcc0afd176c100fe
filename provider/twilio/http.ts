import type { Dispatcher } from "undici";
import { describeNetworkCode, errorBrand, hasBrand, NetworkError } from "../../net/errors";
import { replayOf, TRANSIENT_STATUSES, withRetry, type RetryPolicy } from "../../net/retry";
import { request, undiciParts } from "../../net/undici";

/** One request of our Twilio REST client (rest.ts); the shape the `twilio` package gave its `httpClient`. */
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

/** Twilio's answer, body unparsed. */
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

const TWILIO_UNREACHABLE = errorBrand("TwilioUnreachableError");

/** Twilio could not be reached at all (after retries). Never carries credentials. */
export class TwilioUnreachableError extends NetworkError {
  override readonly name = "TwilioUnreachableError";
  readonly [TWILIO_UNREACHABLE] = true;
  constructor(url: string, causeCode: string, attempts: number, options?: { cause?: unknown }) {
    super(
      `could not reach Twilio at ${url} (${describeNetworkCode(causeCode)}) after ${attempts} attempt(s)`,
      url,
      causeCode,
      attempts,
      options,
    );
  }
  /** The network code (ECONNREFUSED, "timed out", …); the same as `reason`. */
  get causeCode(): string {
    return this.reason;
  }
  static override isInstance(e: unknown): e is TwilioUnreachableError {
    return hasBrand(e, TWILIO_UNREACHABLE);
  }
}

/**
 * 429 and the 5xx that mean "try later". A POST is tried again only on 429 or when it never left:
 * a second CreateMessage after a 503 could send the message twice. Retry-After is honoured up to
 * `maxDelayMs`.
 */
function twilioPolicy(o: TwilioHttpOptions): RetryPolicy {
  const maxDelayMs = o.maxDelayMs ?? 2_000;
  return {
    maxAttempts: o.maxAttempts ?? 4,
    baseDelayMs: o.baseDelayMs ?? 200,
    maxDelayMs,
    retryStatuses: TRANSIENT_STATUSES,
    retryAfter: { maxMs: maxDelayMs, beyond: "cap" },
  };
}

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
 * The transport of our Twilio REST client (rest.ts): honours `twilioApiUrl`, bounds every attempt with a
 * timeout, and retries with exponential backoff and full jitter on 429, 5xx and dropped connections.
 * A POST is retried only when Twilio surely did not act on it (429, or the connection never opened):
 * a second CreateMessage after a 503 could send the message twice.
 */
export class TwilioHttpClient {
  /** Made on the first request: a provider process that never asks Twilio never loads undici. */
  private agent: Dispatcher | undefined;
  private readonly policy: RetryPolicy;
  readonly attemptsMade: { count: number } = { count: 0 };

  constructor(private readonly options: TwilioHttpOptions = {}) {
    this.policy = twilioPolicy(options);
  }

  private dispatcher(): Dispatcher {
    // Made here, not in the constructor: every resource's provider builds a client, but a destroy, a
    // refresh or a channel's update asks Twilio nothing, and need not load undici (issue 13).
    this.agent ??=
      this.options.dispatcher ?? new (undiciParts().Agent)({ keepAliveTimeout: 10_000, connections: 16 });
    return this.agent;
  }

  async request(opts: TwilioRequestOptions): Promise<TwilioResponse> {
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
    const outcome = await withRetry(
      this.policy,
      replayOf(method),
      async () => {
        this.attemptsMade.count++;
        const r = await request(this.dispatcher(), url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
        });
        return {
          status: r.statusCode,
          body: await r.body.text(),
          headers: r.headers as TwilioResponse["headers"],
        };
      },
      { sleep: this.options.sleep, random: this.options.random },
    );
    if (outcome.kind === "failed") {
      throw new TwilioUnreachableError(where, outcome.code, outcome.attempts, { cause: outcome.error });
    }
    const { status, body: text, headers: h } = outcome.answer;
    return { statusCode: status, body: text, headers: h };
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    if (agent && !this.options.dispatcher) await agent.close();
  }
}
