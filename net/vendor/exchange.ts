/** One POST to a vendor (a send or a token request), and the retry policies the client declares. */
import type { Dispatcher } from "undici";
import { TRANSIENT_STATUSES, type RetryPolicy } from "../retry";
import { request } from "../undici";

export interface VendorRetryOptions {
  /** Attempts in all of a token fetch, or of a POST whose connection was refused. Default 3. */
  readonly maxAttempts?: number | undefined;
  readonly baseDelayMs?: number | undefined;
  readonly maxDelayMs?: number | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly random?: (() => number) | undefined;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type Exchange = (
  url: URL,
  headers: Record<string, string>,
  body: string,
  dispatcher: Dispatcher,
) => Promise<Answer>;

/**
 * - `send`: a message POST is tried again only when it never left (no status is retried: the vendor
 *   may have sent the message);
 * - `token`: a token request is idempotent: tried again on network errors and 429/5xx.
 */
export function retryPolicyOf(o: VendorRetryOptions, what: "send" | "token"): RetryPolicy {
  const maxDelayMs = o.maxDelayMs ?? 2_000;
  return {
    maxAttempts: Math.max(1, o.maxAttempts ?? 3),
    baseDelayMs: o.baseDelayMs ?? 200,
    maxDelayMs,
    retryStatuses: what === "token" ? TRANSIENT_STATUSES : new Set(),
    retryAfter: { maxMs: maxDelayMs, beyond: "cap" },
  };
}

/** A POST bounded by `timeoutMs` from connect to the last byte of the answer. */
export function exchangeWithin(timeoutMs: number): Exchange {
  return async (url, headers, body, dispatcher) => {
    const r = await request(dispatcher, url, {
      method: "POST",
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: r.statusCode, body: await r.body.text(), headers: r.headers };
  };
}
