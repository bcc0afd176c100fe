/**
 * Fault injection. Faults wait in the order they were injected; each request that matches takes the
 * first pending fault that matches it (one fault a request) and uses up one of its `times`.
 */

export interface FaultMatch {
  /** HTTP method, any case. */
  readonly method?: string | undefined;
  /** A RegExp tested against the path, or a string that must equal the path (no query). */
  readonly path?: RegExp | string | undefined;
}

/** Answers `status` with Twilio's error body (code defaults to 20000 + status, e.g. 20429, 20503). */
export interface StatusFault {
  readonly kind: "status";
  readonly status: number;
  readonly code?: number | undefined;
  readonly message?: string | undefined;
  /** Seconds for the `Retry-After` header; 429 answers send 1 when not set. */
  readonly retryAfterSeconds?: number | undefined;
  readonly times: number;
  readonly match?: FaultMatch | undefined;
}

/** Waits `ms` before handling the request as usual. */
export interface LatencyFault {
  readonly kind: "latency";
  readonly ms: number;
  readonly times: number;
  readonly match?: FaultMatch | undefined;
}

/** Destroys the connection without an answer. */
export interface DropFault {
  readonly kind: "drop";
  readonly times: number;
  readonly match?: FaultMatch | undefined;
}

export type Fault = StatusFault | LatencyFault | DropFault;

interface PendingFault {
  readonly fault: Fault;
  remaining: number;
}

export function validateFault(fault: Fault): void {
  if (!Number.isInteger(fault.times) || fault.times < 1)
    throw new Error("fault.times must be an integer ≥ 1");
  if (fault.kind === "status") {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
      throw new Error("fault.status must be an HTTP status");
    }
  } else if (fault.kind === "latency") {
    if (!(fault.ms >= 0)) throw new Error("fault.ms must be ≥ 0");
  } else if (fault.kind !== "drop") {
    throw new Error(`unknown fault kind ${(fault as { kind: unknown }).kind as string}`);
  }
}

function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.path !== undefined) {
    if (typeof match.path === "string") return match.path === path;
    match.path.lastIndex = 0;
    return match.path.test(path);
  }
  return true;
}

export class FaultQueue {
  private readonly pending: PendingFault[] = [];

  add(fault: Fault): void {
    validateFault(fault);
    this.pending.push({ fault, remaining: fault.times });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** Takes one use of the first pending fault matching the request, if any. */
  take(method: string, path: string): Fault | undefined {
    const index = this.pending.findIndex((p) => matches(p.fault.match, method, path));
    const hit = this.pending[index];
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.pending.splice(index, 1);
    return hit.fault;
  }

  /** The faults still pending, with the uses left, e.g. for the admin API. */
  list(): Array<Fault & { readonly remaining: number }> {
    return this.pending.map((p) => ({ ...p.fault, remaining: p.remaining }));
  }
}
