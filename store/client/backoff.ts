/**
 * When to try a request again. Exponential backoff with full jitter (a random wait between 0 and
 * the capped exponential step), so clients that failed together do not come back together.
 */
export interface BackoffOptions {
  /** Tries in all, the first one included (default 4). */
  readonly maxAttempts: number;
  /** First step of the exponential (default 100 ms). */
  readonly baseDelayMs: number;
  /** Cap of one wait (default 2 s). */
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };

/** The wait before try `attempt + 1`, after `attempt` tries failed (attempt counts from 1). */
export function backoffDelay(
  attempt: number,
  options: Pick<BackoffOptions, "baseDelayMs" | "maxDelayMs">,
  random: () => number = Math.random,
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * step);
}

/**
 * Connection errors after which the request surely never reached the server: no connection was
 * made. Only these let an update or delete be tried again.
 */
const NEVER_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

export function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

export function surelyNotSent(e: unknown): boolean {
  const code = errorCode(e);
  return code !== undefined && NEVER_SENT.has(code);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
