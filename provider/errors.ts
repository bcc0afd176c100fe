/**
 * The provider's error catalogue (after undici's lib/core/errors.js and store/errors.ts): every
 * error the provider throws at its boundary (to the Pulumi engine, or to a program building
 * resources) has a stable `code` to branch on, a message that says what to do, and the lower error
 * as `cause`. `isInstance` reads a `Symbol.for` brand, so two installed copies of the package (a
 * program's and its provider's) recognise each other's errors; `instanceof` would not.
 *
 * Network failures are net/'s (`NetworkError`, `TwilioUnreachableError`, `CustomVendorError`) and
 * the store's are `StoreError`: they reach the engine as the `cause` of a `STORE_FAILED` here or
 * as they are, never re-declared.
 */
import { errorBrand, hasBrand } from "../net/errors";
import type { StoreErrorCode } from "../store/errors";

export const PROVIDER_ERROR_CODES = [
  /** An input fails the schema or a check against Twilio or the store; `failures` name the fields. */
  "INVALID_INPUT",
  /** A setting (`smschannels:*` stack config or its environment variable) is wrong. */
  "INVALID_CONFIG",
  /** The credential store refused or failed; `cause` is its error and, for a StoreError, `storeCode` its code. */
  "STORE_FAILED",
  /** A create found a record of the same name and sandbox that another resource wrote. */
  "NAME_TAKEN",
  /** Twilio answered a write (sample message, Messaging Service update) with an error. */
  "TWILIO_REJECTED",
  /** The state names a resource type this package does not have (an older package). */
  "UNKNOWN_RESOURCE_TYPE",
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

const PROVIDER_ERROR = errorBrand("ProviderError");

export interface ProviderErrorOptions {
  readonly cause?: unknown;
}

export class ProviderError extends Error {
  override readonly name: string = "ProviderError";
  readonly [PROVIDER_ERROR] = true;
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    options?: ProviderErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  /** Works across realms and across copies of this package. */
  static isInstance(e: unknown): e is ProviderError {
    return hasBrand(e, PROVIDER_ERROR);
  }

  static is(e: unknown, code: ProviderErrorCode): e is ProviderError {
    return ProviderError.isInstance(e) && e.code === code;
  }
}

/** A problem with one input, as Pulumi shows it: `property: reason`. */
export interface InputFailure {
  readonly property: string;
  readonly reason: string;
}

/** A resource operation that cannot go on; the message names the fields at fault. */
export class InputError extends ProviderError {
  override readonly name: string = "InputError";
  declare readonly code: "INVALID_INPUT";
  constructor(
    readonly resourceType: string,
    readonly failures: readonly InputFailure[],
    options?: ProviderErrorOptions,
  ) {
    super(
      "INVALID_INPUT",
      failures.length === 1
        ? `${resourceType}: ${failures[0]!.property}: ${failures[0]!.reason}`
        : `${resourceType}: ${failures.length} problems:\n${failures.map((f) => `  - ${f.property}: ${f.reason}`).join("\n")}`,
      options,
    );
  }
}

/** The store refused or failed: its message, the resource it was for, and its code kept. */
export class StoreFailedError extends ProviderError {
  override readonly name: string = "StoreFailedError";
  declare readonly code: "STORE_FAILED";
  constructor(
    message: string,
    readonly storeCode: StoreErrorCode,
    cause: unknown,
  ) {
    super("STORE_FAILED", message, { cause });
  }
}
