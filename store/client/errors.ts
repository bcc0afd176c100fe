import type { ErrorBody } from "../api/wire";
import { isStoreErrorCode, StoreError } from "../errors";

/** What a failed call was about, so the error can say what to do. Never the token. */
export interface CallContext {
  /** Scheme, host and port of the service, e.g. `https://store.example.com`. */
  readonly origin: string;
  /** e.g. `update webhook whk_123`. */
  readonly operation: string;
  readonly sandbox: string;
  /** The scope this call needs, for a 403. */
  readonly scope: string;
}

export function parseErrorBody(body: unknown): ErrorBody["error"] | undefined {
  const error = (body as Partial<ErrorBody> | null | undefined)?.error;
  return error && isStoreErrorCode(error.code) && typeof error.message === "string" ? error : undefined;
}

/** A store service answer other than success, as the StoreError the embedded store would have thrown. */
export function errorFromResponse(
  status: number,
  body: unknown,
  ctx: CallContext,
  retryAfter?: number,
): StoreError {
  const sent = parseErrorBody(body);
  const details = sent?.details;
  const field = sent?.field;
  const same = (code: StoreError["code"], message: string): StoreError =>
    new StoreError(code, message, field, details);
  switch (status) {
    case 401:
      return new StoreError(
        "UNAUTHORIZED",
        `the store token was refused by ${ctx.origin}: check smschannels:storeToken (or SMSCHANNELS_STORE_TOKEN); it may be mistyped, revoked, or for another store`,
      );
    case 403:
      return new StoreError(
        "FORBIDDEN",
        `the store token may not ${ctx.operation} in sandbox "${ctx.sandbox}": it needs the "${ctx.scope}" scope for sandbox "${ctx.sandbox}". An admin makes one with: npx pulumi-sms-channels-store token create --sandbox ${ctx.sandbox} --scope ${ctx.scope}`,
        undefined,
        { sandbox: ctx.sandbox, scope: ctx.scope },
      );
    case 409:
      // ALREADY_EXISTS (with the existing record's id and owner) and IN_USE (naming the users) keep
      // their codes: callers act on them. Anything else is a conflict.
      return sent && (sent.code === "ALREADY_EXISTS" || sent.code === "IN_USE")
        ? same(sent.code, sent.message)
        : same("CONFLICT", sent?.message ?? `${ctx.operation}: conflict with the stored state`);
    case 412:
      return same(
        "CONFLICT",
        sent?.message ?? `${ctx.operation}: the record was changed by someone else since`,
      );
    case 413:
      return same(
        "PAYLOAD_TOO_LARGE",
        sent?.message ?? `${ctx.operation}: the request is larger than the service accepts`,
      );
    case 429: {
      const seconds = retryAfter === undefined ? undefined : Math.ceil(retryAfter / 1000);
      return new StoreError(
        "RATE_LIMITED",
        `the store service at ${ctx.origin} is rate-limiting this token${seconds === undefined ? "" : `; retry in ${seconds} s`}`,
        undefined,
        retryAfter === undefined ? undefined : { retryAfterMs: retryAfter },
      );
    }
  }
  if (sent && status < 500) return same(sent.code, sent.message);
  if (status === 404) {
    return new StoreError(
      "UNAVAILABLE",
      `${ctx.origin} answered 404 without a store error to ${ctx.operation}: is smschannels:storeUrl the base URL of the store service?`,
      undefined,
      { status },
    );
  }
  if (sent && (sent.code === "KEY_MISSING" || sent.code === "CORRUPT")) return same(sent.code, sent.message);
  return new StoreError(
    "UNAVAILABLE",
    `the store service at ${ctx.origin} answered ${status} to ${ctx.operation}${sent ? `: ${sent.message}` : ""}`,
    undefined,
    { status },
  );
}

/** The request never got an answer: the service is down, unreachable, or too slow. */
export function unreachable(ctx: CallContext, code: string, cause: unknown): StoreError {
  return new StoreError(
    "UNAVAILABLE",
    `the store service at ${ctx.origin} could not be reached to ${ctx.operation} (${code}): is it running, and is smschannels:storeUrl right?`,
    undefined,
    { code },
    { cause },
  );
}
