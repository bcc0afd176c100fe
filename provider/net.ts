/**
 * The code of a network failure, duck-typed: errors from node's own modules may come from another
 * realm (jest, vm), so `instanceof Error` cannot be trusted. Timeouts of every kind read "timed out".
 */
export function networkErrorCode(e: unknown): string {
  if (typeof e !== "object" || e === null) return "unknown error";
  const x = e as { name?: unknown; code?: unknown; cause?: { code?: unknown } };
  if (x.name === "TimeoutError" || x.name === "AbortError") return "timed out";
  const code =
    typeof x.code === "string" ? x.code : typeof x.cause?.code === "string" ? x.cause.code : undefined;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return "timed out";
  if (code) return code;
  return typeof x.name === "string" ? x.name : "unknown error";
}
