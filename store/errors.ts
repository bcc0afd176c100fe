/**
 * The store's error catalogue. Codes are stable: the HTTP service sends them on the wire and the
 * client turns them back into the same errors, so callers branch on `code`, never on text.
 */
export const STORE_ERROR_CODES = [
  "INVALID_INPUT",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "CONFLICT",
  "IN_USE",
  "RULE_VIOLATION",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "PAYLOAD_TOO_LARGE",
  "UNAVAILABLE",
  "KEY_MISSING",
  "CORRUPT",
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

const BRAND = Symbol.for("pulumi-sms-channels.StoreError");

export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly [BRAND] = true;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The input field at fault, when there is one. */
    readonly field?: string,
    /** Extra facts for the caller (ids in use, current version, retry delay). */
    readonly details?: Readonly<Record<string, unknown>>,
    /** `cause`: the lower-level error (a network failure, a driver's error), for logs. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Works across copies of this package (a program and its provider may load two). */
  static isInstance(e: unknown): e is StoreError {
    return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
  }

  static is(e: unknown, code: StoreErrorCode): e is StoreError {
    return StoreError.isInstance(e) && e.code === code;
  }
}

export function isStoreErrorCode(s: unknown): s is StoreErrorCode {
  return typeof s === "string" && (STORE_ERROR_CODES as readonly string[]).includes(s);
}
