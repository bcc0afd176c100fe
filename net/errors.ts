/**
 * What a failed request's low-level error was, read the same way by every HTTP client of the
 * package, and the error type for "no answer at all".
 *
 * Errors from node's own modules may come from another realm (jest, vm), and a program may load two
 * copies of this package, so nothing here trusts `instanceof`: codes are read duck-typed, and our
 * errors carry a `Symbol.for` brand that every copy recognises (as undici's and Pulumi's errors do).
 */

/** A brand shared by every copy of this package: `Symbol.for` is one registry per process. */
export function errorBrand(name: string): symbol {
  return Symbol.for(`pulumi-sms-channels.${name}`);
}

export function hasBrand(e: unknown, brand: symbol): boolean {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

/**
 * The code of a network failure: the first string `code` along the `cause` chain (undici wraps
 * node's), with every kind of timeout read as "timed out"; the error's name when it has no code.
 */
export function networkErrorCode(e: unknown): string {
  let cur: unknown = e;
  for (let depth = 0; typeof cur === "object" && cur !== null && depth < 4; depth++) {
    const x = cur as { name?: unknown; code?: unknown; cause?: unknown };
    if (x.name === "TimeoutError" || x.name === "AbortError") return "timed out";
    if (typeof x.code === "string") {
      return x.code === "UND_ERR_HEADERS_TIMEOUT" || x.code === "UND_ERR_BODY_TIMEOUT" ? "timed out" : x.code;
    }
    cur = x.cause;
  }
  const name = typeof e === "object" && e !== null ? (e as { name?: unknown }).name : undefined;
  return typeof name === "string" ? name : "unknown error";
}

/**
 * Failures after which the request surely never reached the server: no connection was made. Only
 * these let a request that is not idempotent (a POST, an update) be sent again.
 */
const NEVER_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

export function surelyNeverSent(code: string): boolean {
  return NEVER_SENT.has(code);
}

/** Our verdicts on the server's TLS certificate: trying again cannot change them. */
export const SERVER_CERT_UNTRUSTED: ReadonlySet<string> = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * A failure that another try will not fix: an untrusted certificate, or an address the SSRF guard
 * refuses (net/ssrf.ts; the string is repeated here so this module imports nothing).
 */
export function permanentFailure(code: string): boolean {
  return SERVER_CERT_UNTRUSTED.has(code) || code === "SSRF_BLOCKED";
}

/** A network code in words, for messages; the code itself when there are none better. */
export function describeNetworkCode(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection dropped";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "SSRF_BLOCKED":
      return "address not allowed: not a public host";
    default:
      return code;
  }
}

const NETWORK_ERROR = errorBrand("NetworkError");

/**
 * `unreachable`: no answer after the tries. `SSRF_BLOCKED`: the SSRF guard refused the address
 * before a byte was sent (net/ssrf.ts); never retried.
 */
export type NetworkErrorCode = "unreachable" | "SSRF_BLOCKED";

/**
 * No answer from `url` after `attempts` tries, or a connection the SSRF guard refused. `code` is
 * stable (NetworkErrorCode); `reason` is the network code (ECONNREFUSED, "timed out", …); `cause`
 * is the last low-level error. Never holds a credential: the message names the origin and path only.
 */
export class NetworkError extends Error {
  override readonly name: string = "NetworkError";
  readonly [NETWORK_ERROR] = true;
  readonly code: NetworkErrorCode;
  constructor(
    message: string,
    /** Origin and path, no query, no userinfo (a refused connection: its host). */
    readonly url: string,
    readonly reason: string,
    readonly attempts: number,
    options?: { cause?: unknown; code?: NetworkErrorCode },
  ) {
    super(message, options && "cause" in options ? { cause: options.cause } : undefined);
    this.code = options?.code ?? "unreachable";
  }

  /** Works across realms and across copies of this package. */
  static isInstance(e: unknown): e is NetworkError {
    return hasBrand(e, NETWORK_ERROR);
  }
}
