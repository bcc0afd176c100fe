/**
 * The errors of the custom-vendor client. Their messages and fields are safe to print: no secret
 * ever reaches them (see redact.ts); `cause` is the low-level network error, when there was one.
 */
import { errorBrand, hasBrand } from "../errors";

export type CustomVendorErrorCode =
  /** No HTTP answer: connection refused or dropped, DNS, timeout, or the server's certificate is not trusted. */
  | "unreachable"
  /** The SSRF guard refused the URL's host or the address it resolved to (net/ssrf.ts); nothing was sent. */
  | "blocked"
  /** The vendor refused the credentials: HTTP 401/403, or the TLS client certificate was refused or unusable. */
  | "auth-failed"
  /** The vendor answered with any other non-2xx status (a redirect included: none is followed). */
  | "rejected"
  /** The OAuth2 token endpoint could not be reached or answered with a non-2xx status. */
  | "token-failed"
  /** The OAuth2 token endpoint answered 2xx, but not with a usable `{ access_token, token_type, expires_in }`. */
  | "bad-token-response";

const CUSTOM_VENDOR_ERROR = errorBrand("CustomVendorError");

/** A failed send. Its message and fields are safe to print: no secret ever reaches them. */
export class CustomVendorError extends Error {
  override readonly name = "CustomVendorError";
  readonly [CUSTOM_VENDOR_ERROR] = true;
  constructor(
    readonly code: CustomVendorErrorCode,
    message: string,
    /** Origin and path of the URL that failed (providerUrl or tokenUrl), no query. */
    readonly url: string,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
    /** The network or TLS error code (ECONNREFUSED, ERR_SSL_…, "timed out"), when there was no answer. */
    readonly reason?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** Works across realms and across copies of this package. */
  static isInstance(e: unknown): e is CustomVendorError {
    return hasBrand(e, CUSTOM_VENDOR_ERROR);
  }
}
