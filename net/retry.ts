/**
 * The one retry policy of the package's HTTP clients (Twilio, custom vendors, the store service).
 * Each client declares a RetryPolicy and says, per request, whether it may be replayed; this module
 * decides when to try again and how long to wait:
 * - an answer is retried when its status is one the policy lists, and the request is idempotent or
 *   the status is 429 (a server answers 429 before doing anything);
 * - a failure without an answer is retried when the request is idempotent or surely never left
 *   (no connection was made), unless another try cannot help (an untrusted certificate);
 * - the wait is the server's Retry-After (delta-seconds or an HTTP date), else full jitter: a random
 *   wait between 0 and the capped exponential step, so clients that failed together do not come
 *   back together; attempts and, when set, the total time are capped.
 */
import { networkErrorCode, permanentFailure, surelyNeverSent } from "./errors";

export interface BackoffOptions {
  /** Tries in all, the first one included. */
  readonly maxAttempts: number;
  /** First step of the exponential. */
  readonly baseDelayMs: number;
  /** Cap of one jittered wait. */
  readonly maxDelayMs: number;
}

export interface RetryPolicy extends BackoffOptions {
  /** Statuses worth another try (429 is tried again even for a request that is not idempotent). */
  readonly retryStatuses: ReadonlySet<number>;
  /**
   * A Retry-After longer than `maxMs`: `cap` waits `maxMs` and tries again, `give-up` returns the
   * answer so the caller can report the wait it asked for.
   */
  readonly retryAfter: { readonly maxMs: number; readonly beyond: "cap" | "give-up" };
  /** No wait starts that would end later than this after the first try (default: no limit). */
  readonly maxElapsedMs?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };

/** 429 and the 5xx that mean "try later"; a policy may list fewer. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/**
 * `idempotent`: repeating it cannot do the work twice (GET, a POST with an Idempotency-Key, a token
 * request). `if-never-sent`: repeated only when it surely never reached the server, or on 429.
 */
export type Replay = "idempotent" | "if-never-sent";

export function replayOf(method: string): Replay {
  const m = method.toUpperCase();
  return m === "GET" || m === "HEAD" || m === "OPTIONS" ? "idempotent" : "if-never-sent";
}

/** The wait before try `attempt + 1`, after `attempt` tries failed (attempt counts from 1). */
export function backoffDelay(
  attempt: number,
  options: Pick<BackoffOptions, "baseDelayMs" | "maxDelayMs">,
  random: () => number = Math.random,
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * step);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names a weekday and a month; Date.parse alone would also take "3.5" or "soon 2".
  if (!/^[A-Za-z]{3},/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What one try gave: an answer (its status and headers), or a failure without one. */
export interface Answered {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

export type RetryOutcome<A extends Answered> =
  | { readonly kind: "answer"; readonly answer: A; readonly attempts: number }
  | { readonly kind: "failed"; readonly error: unknown; readonly code: string; readonly attempts: number };

export interface RetryHooks {
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly random?: (() => number) | undefined;
  readonly now?: (() => number) | undefined;
  /** The code of a failure (default networkErrorCode); a client may know better (TLS alerts). */
  readonly codeOf?: ((e: unknown) => string) | undefined;
  /** Told before each wait, e.g. to log it. `reason`: `HTTP 503`, or the network code. */
  readonly onRetry?: ((info: { attempt: number; delayMs: number; reason: string }) => void) | undefined;
}

/**
 * Runs `attempt` as often as `policy` and `replay` allow. Never throws what `attempt` throws: the
 * last answer, or the last failure with its code, comes back for the client to turn into its error.
 */
export async function withRetry<A extends Answered>(
  policy: RetryPolicy,
  replay: Replay,
  attempt: (n: number) => Promise<A>,
  hooks: RetryHooks = {},
): Promise<RetryOutcome<A>> {
  const now = hooks.now ?? Date.now;
  const started = now();
  for (let n = 1; ; n++) {
    let outcome: RetryOutcome<A>;
    let delayMs: number | undefined;
    let reason: string;
    try {
      const answer = await attempt(n);
      outcome = { kind: "answer", answer, attempts: n };
      reason = `HTTP ${answer.status}`;
      delayMs = answerDelay(policy, replay, answer, n, hooks.random);
    } catch (error) {
      const code = (hooks.codeOf ?? networkErrorCode)(error);
      outcome = { kind: "failed", error, code, attempts: n };
      reason = code;
      const mayRepeat = !permanentFailure(code) && (replay === "idempotent" || surelyNeverSent(code));
      delayMs = mayRepeat ? backoffDelay(n, policy, hooks.random) : undefined;
    }
    if (delayMs === undefined || n >= policy.maxAttempts) return outcome;
    if (policy.maxElapsedMs !== undefined && now() + delayMs - started > policy.maxElapsedMs) return outcome;
    hooks.onRetry?.({ attempt: n, delayMs, reason });
    await (hooks.sleep ?? defaultSleep)(delayMs);
  }
}

/** The wait before trying again after `answer`, or undefined when it is final. */
function answerDelay(
  policy: RetryPolicy,
  replay: Replay,
  answer: Answered,
  attempt: number,
  random: (() => number) | undefined,
): number | undefined {
  if (!policy.retryStatuses.has(answer.status)) return undefined;
  if (replay !== "idempotent" && answer.status !== 429) return undefined;
  const after = retryAfterMs(answer.headers?.["retry-after"]);
  if (after === undefined) return backoffDelay(attempt, policy, random);
  if (after <= policy.retryAfter.maxMs) return after;
  return policy.retryAfter.beyond === "cap" ? policy.retryAfter.maxMs : undefined;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
