import type { SealedSecret } from "./crypto";
import type { AuditEntry, CredentialType, RecordKind, RecordRef } from "./types";

/** A record as a backend stores it: the secret still sealed. */
export interface RecordRow {
  readonly id: string;
  readonly sandbox: string;
  readonly kind: RecordKind;
  readonly name: string;
  readonly credentialType: CredentialType | null;
  readonly version: number;
  readonly data: Record<string, unknown>;
  readonly refs: readonly RecordRef[];
  readonly secret: SealedSecret | null;
  readonly secretFingerprint: string | null;
  readonly ownerUrn: string | null;
  readonly ownerInstance: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface IdempotencyRecord {
  readonly recordId: string;
  readonly requestHash: string;
  /** ISO time it was written; a key older than the store's window is forgotten. */
  readonly createdAt?: string;
}

/** A store setting: plain `value`, or a `secret` sealed with the store key (the fingerprint key). */
export interface MetaRow {
  readonly name: string;
  readonly value: string | null;
  readonly secret: SealedSecret | null;
}

/**
 * The operations a backend offers inside one transaction. The rules live once, in `CoreStore`,
 * above this interface; a backend only has to make each transaction atomic and isolated.
 */
export interface StoreTx {
  /** `forUpdate` locks the row until the transaction ends where the engine supports it. */
  getRecord(id: string, forUpdate?: boolean): Promise<RecordRow | undefined>;
  findByName(sandbox: string, kind: RecordKind, name: string): Promise<RecordRow | undefined>;
  list(sandbox: string, kind: RecordKind): Promise<RecordRow[]>;
  /** Fails with `ALREADY_EXISTS` when (sandbox, kind, name) is taken. */
  insert(row: RecordRow): Promise<void>;
  /** Writes `row` only while the stored version is still `expectedVersion`; false otherwise. */
  replace(row: RecordRow, expectedVersion: number): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** The records whose refs name `id`. */
  referrers(id: string): Promise<RecordRow[]>;
  appendAudit(entry: Omit<AuditEntry, "seq">): Promise<void>;
  getIdempotency(key: string): Promise<IdempotencyRecord | undefined>;
  putIdempotency(key: string, value: IdempotencyRecord): Promise<void>;
  /** Forgets keys written before `before` (ISO time), at most `limit` of them. */
  pruneIdempotency(before: string, limit: number): Promise<void>;
  getMeta(name: string): Promise<MetaRow | undefined>;
  /** Writes `row`; with `ifAbsent`, only when there is no row of that name yet. */
  putMeta(row: MetaRow, ifAbsent?: boolean): Promise<void>;
  /**
   * Up to `limit` records whose secret is in another format than `format` or (unless `keyId` is null)
   * sealed with another key than `keyId`, locked until the transaction ends where the engine can.
   */
  secretsToReseal(keyId: string | null, format: number, limit: number): Promise<RecordRow[]>;
  /** Replaces a record's sealed secret and fingerprint only, while it is still at `version`. */
  reseal(id: string, version: number, secret: SealedSecret, fingerprint: string): Promise<boolean>;
}

export interface StoreBackend {
  /** Runs `fn` in one transaction: its writes commit together or not at all. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Runs read-only `fn` on a consistent snapshot. */
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** The key ids that seal stored secrets, so a store can refuse to open without them. */
  sealedKeyIds(): Promise<string[]>;
  auditLog(limit: number): Promise<AuditEntry[]>;
  /** Fails when the database cannot be reached: the service's readiness check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A `store_meta` row as both engines return it. */
export interface MetaColumns {
  name: string;
  value: string | null;
  secret_key_id: string | null;
  secret_nonce: Buffer | null;
  secret_ciphertext: Buffer | null;
}

export function metaRowOf(row: MetaColumns): MetaRow {
  return {
    name: row.name,
    value: row.value,
    secret:
      row.secret_key_id && row.secret_nonce && row.secret_ciphertext
        ? { keyId: row.secret_key_id, format: 2, nonce: row.secret_nonce, ciphertext: row.secret_ciphertext }
        : null,
  };
}
