/** The records the credential store keeps, as every backend and the HTTP API see them. */

import type { CredentialType, RecordKind } from "../contract/records";

/** Record kinds and credential types are the contract's (contract/records.ts). */
export { CREDENTIAL_TYPES, RECORD_KINDS } from "../contract/records";
export type { CredentialType, RecordKind } from "../contract/records";

/** A secret payload: JSON, encrypted at rest, never returned by list/get. */
export type SecretPayload = Record<string, unknown>;

export interface RecordRef {
  readonly kind: RecordKind;
  readonly id: string;
}

/** What a caller gives to create a record. */
export interface RecordInput {
  readonly sandbox: string;
  readonly kind: RecordKind;
  readonly name: string;
  /** Required for `api-credential`, absent otherwise. */
  readonly credentialType?: CredentialType;
  /** Non-secret fields, stored as JSON. */
  readonly data: Record<string, unknown>;
  readonly refs?: readonly RecordRef[];
  readonly secret?: SecretPayload;
  /** The Pulumi URN that wrote it, so a create retried after a crash can adopt its own record. */
  readonly ownerUrn?: string;
  /**
   * Which instance of that resource holds the record (a random id the provider keeps in state): a
   * replacement that adopts the record writes its own, so the old instance's pending delete can tell
   * "taken over" from "edited by someone else".
   */
  readonly ownerInstance?: string;
}

/** What an update changes; fields left out stay as they are. */
export interface RecordPatch {
  /** A rename; still unique per sandbox and kind. */
  readonly name?: string;
  readonly data?: Record<string, unknown>;
  readonly refs?: readonly RecordRef[];
  readonly secret?: SecretPayload;
  readonly ownerUrn?: string;
  readonly ownerInstance?: string;
}

/** A record as read back: never holds a secret, only its fingerprint. */
export interface StoredRecord {
  readonly id: string;
  readonly sandbox: string;
  readonly kind: RecordKind;
  readonly name: string;
  readonly credentialType?: CredentialType;
  readonly version: number;
  readonly data: Record<string, unknown>;
  readonly refs: readonly RecordRef[];
  readonly secretFingerprint?: string;
  readonly ownerUrn?: string;
  readonly ownerInstance?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Who does a write (or a secret read), for the audit log. */
export interface Actor {
  readonly actor: string;
}

export interface CreateOptions extends Actor {
  /** A retried create with the same key returns the first answer instead of a duplicate. */
  readonly idempotencyKey?: string;
  /** Whose keys these are (the service: the token id); keys of other scopes never match. */
  readonly idempotencyScope?: string;
}

/** A delete that names the version it last saw: a record changed since is left alone (`CONFLICT`). */
export interface DeleteOptions extends Actor {
  readonly expectedVersion?: number;
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  /** `fingerprint`: a guess tested through the service's fingerprint route (no record: id and name empty, version 0). */
  readonly action: "create" | "update" | "delete" | "read-secret" | "fingerprint";
  readonly sandbox: string;
  readonly kind: RecordKind;
  readonly recordId: string;
  readonly name: string;
  readonly version: number;
}

/**
 * The credential store, whoever implements it: the embedded SQLite store, PostgreSQL, or the HTTP
 * client of the shared store service. Every method enforces the contract's rules itself.
 */
export interface CredentialStore {
  create(input: RecordInput, options: CreateOptions): Promise<StoredRecord>;
  get(sandbox: string, kind: RecordKind, id: string): Promise<StoredRecord | undefined>;
  findByName(sandbox: string, kind: RecordKind, name: string): Promise<StoredRecord | undefined>;
  list(sandbox: string, kind: RecordKind): Promise<StoredRecord[]>;
  /** Fails with `CONFLICT` when the record is no longer at `expectedVersion`. */
  update(
    sandbox: string,
    kind: RecordKind,
    id: string,
    expectedVersion: number,
    patch: RecordPatch,
    actor: Actor,
  ): Promise<StoredRecord>;
  /**
   * `absent` when there was nothing to delete; fails with `IN_USE` naming the records that refer to it,
   * and with `CONFLICT` when `expectedVersion` is given and the record is no longer at it.
   */
  delete(
    sandbox: string,
    kind: RecordKind,
    id: string,
    options: DeleteOptions,
  ): Promise<"deleted" | "absent">;
  /**
   * The keyed `secretFingerprint` a record of `kind` in `sandbox` holding `secret` has: how `diff`
   * compares a secret input with state. Needs the store's key material (write scope on the service).
   * `stateFingerprint`, the one state holds, lets the service not count an unchanged secret as a guess.
   */
  fingerprint(
    sandbox: string,
    kind: RecordKind,
    secret: SecretPayload,
    stateFingerprint?: string,
  ): Promise<string>;
  /** The decrypted secret of a record; audited. */
  readSecret(sandbox: string, kind: RecordKind, id: string, actor: Actor): Promise<SecretPayload | undefined>;
  close(): Promise<void>;
}
