/**
 * The wire contract of the store service (`/v1`), shared by the server and the HTTP client so the two
 * cannot drift: paths, headers, version tags, the error shape and which status each error code gets.
 */
import type { StoreErrorCode } from "../errors";
import { RECORD_KINDS, type RecordKind } from "../types";

export const API_PREFIX = "/v1";

/** Path segment of each record kind: `/v1/sandboxes/{sandbox}/{collection}/{id}`. */
export const COLLECTION_OF: Readonly<Record<RecordKind, string>> = {
  "api-credential": "api-credentials",
  webhook: "webhooks",
  "channel-configuration": "channel-configurations",
};

export function kindOfCollection(collection: string): RecordKind | undefined {
  return RECORD_KINDS.find((k) => COLLECTION_OF[k] === collection);
}

export function collectionPath(sandbox: string, kind: RecordKind): string {
  return `${API_PREFIX}/sandboxes/${encodeURIComponent(sandbox)}/${COLLECTION_OF[kind]}`;
}

export function recordPath(sandbox: string, kind: RecordKind, id: string): string {
  return `${collectionPath(sandbox, kind)}/${encodeURIComponent(id)}`;
}

export function secretPath(sandbox: string, kind: RecordKind, id: string): string {
  return `${recordPath(sandbox, kind, id)}/secret`;
}

/** `GET` it with a token: that token's id, sandbox and scopes (`TokenInfo`). */
export const TOKEN_PATH = `${API_PREFIX}/token`;

/** `POST` a secret here (write scope) to learn the keyed fingerprint a record of it would have. */
export function fingerprintPath(sandbox: string): string {
  return `${API_PREFIX}/sandboxes/${encodeURIComponent(sandbox)}/fingerprints`;
}

export const HEADER = {
  /** Who, behind the token, makes a write (a person, a pipeline): recorded beside the token id. */
  actor: "x-smschannels-actor",
  idempotencyKey: "idempotency-key",
  ifMatch: "if-match",
  etag: "etag",
  retryAfter: "retry-after",
  requestId: "x-request-id",
  /**
   * On a fingerprint request: the fingerprint the caller's state holds. An answer equal to it is not
   * charged to the guess limit (see the fingerprint route); a header, not a body field, so services
   * that predate it ignore it instead of refusing the body.
   */
  stateFingerprint: "x-smschannels-state-fingerprint",
} as const;

/** A `secretFingerprint`: 16 hex characters (keyed, or the unsalted one of 0.1 state). */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

/** An Idempotency-Key: what a client may send (a UUID fits), bounded so it cannot bloat the table. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** An actor header the service records: printable ASCII, bounded. */
export const ACTOR_PATTERN = /^[\x20-\x7e]{1,200}$/;

/** A record's version as a strong entity tag: version 3 → `"3"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The version an If-Match header names; undefined when absent; NaN when it is not one of ours. */
export function versionOfIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*"([1-9][0-9]{0,9})"\s*$/.exec(header);
  return m?.[1] ? Number(m[1]) : NaN;
}

/** Every error answer has this one shape; `code` is a StoreError code, stable across releases. */
export interface ErrorBody {
  readonly error: {
    readonly code: StoreErrorCode;
    readonly message: string;
    readonly field?: string;
    readonly details?: Readonly<Record<string, unknown>>;
    readonly requestId?: string;
  };
}

export const STATUS_OF_CODE: Readonly<Record<StoreErrorCode, number>> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  IN_USE: 409,
  PAYLOAD_TOO_LARGE: 413,
  RULE_VIOLATION: 422,
  RATE_LIMITED: 429,
  KEY_MISSING: 500,
  CORRUPT: 500,
  UNAVAILABLE: 503,
};
