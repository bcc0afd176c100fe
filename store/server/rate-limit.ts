/**
 * Token buckets, one per key (a bearer token; a client address for failed authentications): `burst`
 * requests at once, refilled at `perSecond`. A client over its budget gets 429 with how long until
 * one request fits again.
 */
import { StoreError } from "../errors";

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets that have refilled completely carry no information; past this many they are swept. */
const SWEEP_ABOVE = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1))
      throw new StoreError("INVALID_INPUT", "rate limit: perSecond > 0 and burst >= 1", "rateLimit");
  }

  /** 0 when the request may go ahead (and is counted), else the milliseconds until it would. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(
      this.limit.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond,
    );
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= SWEEP_ABOVE) this.sweep(now);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / this.limit.perSecond) * 1000);
  }

  /** Gives back one request `take` counted (it turned out not to be one to charge). */
  refund(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.limit.burst, bucket.tokens + 1);
  }

  private sweep(now: number): void {
    const full = (this.limit.burst / this.limit.perSecond) * 1000;
    for (const [key, b] of this.buckets) if (now - b.at >= full) this.buckets.delete(key);
  }
}
