import { TwilioUnreachableError } from "./http";

export type TwilioFailureKind =
  "auth" | "not-found" | "rate-limited" | "unavailable" | "unreachable" | "rejected";

/** A failed Twilio call, classified by HTTP status and Twilio code. Its text never holds a secret. */
export interface TwilioFailure {
  readonly kind: TwilioFailureKind;
  readonly status?: number;
  readonly code?: number;
  readonly moreInfo?: string;
  /** Twilio's own words, or ours for network failures. */
  readonly detail: string;
}

interface RestExceptionLike {
  status?: number;
  code?: number;
  moreInfo?: string;
  message?: string;
}

export function classifyTwilioError(e: unknown): TwilioFailure {
  if (TwilioUnreachableError.isInstance(e)) return { kind: "unreachable", detail: e.message };
  const r = (typeof e === "object" && e !== null ? e : {}) as RestExceptionLike;
  if (typeof r.status !== "number") {
    return {
      kind: "unreachable",
      detail: `Twilio call failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const base = {
    status: r.status,
    ...(typeof r.code === "number" ? { code: r.code } : {}),
    ...(r.moreInfo ? { moreInfo: r.moreInfo } : {}),
    detail: r.message ?? `HTTP ${r.status}`,
  };
  if (r.status === 401 || r.status === 403 || r.code === 20003) return { kind: "auth", ...base };
  if (r.status === 404 || r.code === 20404) return { kind: "not-found", ...base };
  if (r.status === 429 || r.code === 20429) return { kind: "rate-limited", ...base };
  if (r.status >= 500) return { kind: "unavailable", ...base };
  return { kind: "rejected", ...base };
}

/** "Twilio error 20003 (Authenticate; see https://www.twilio.com/docs/errors/20003)". */
export function describeTwilioFailure(f: TwilioFailure): string {
  if (f.kind === "unreachable") return f.detail;
  const code = f.code !== undefined ? `Twilio error ${f.code}` : `Twilio HTTP ${f.status}`;
  const info =
    f.moreInfo ?? (f.code !== undefined ? `https://www.twilio.com/docs/errors/${f.code}` : undefined);
  return `${code} (${f.detail}${info ? `; see ${info}` : ""})`;
}
