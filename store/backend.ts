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
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface IdempotencyRecord {
  readonly recordId: string;
  readonly requestHash: string;
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
