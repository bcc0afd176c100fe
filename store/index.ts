// The credential store's public surface: its interface, rules, errors and the embedded backend.
export type {
  Actor,
  AuditEntry,
  CreateOptions,
  CredentialStore,
  CredentialType,
  RecordInput,
  RecordKind,
  RecordPatch,
  RecordRef,
  SecretPayload,
  StoredRecord,
} from "./types";
export { CREDENTIAL_TYPES, RECORD_KINDS } from "./types";
export { StoreError, STORE_ERROR_CODES, isStoreErrorCode, type StoreErrorCode } from "./errors";
export { Keyring, fingerprintSecret, canonicalJson, keyIdOf, type SealedSecret } from "./crypto";
export type { RecordRow, StoreBackend, StoreTx, IdempotencyRecord } from "./backend";
export { CoreStore, newRecordId, toStoredRecord } from "./core";
export { SANDBOX_PATTERN, checkReferences, checkInput } from "./rules";
export { SqliteBackend } from "./sqlite/backend";
export { SQLITE_MIGRATIONS, type Migration } from "./sqlite/migrations";
export { openEmbeddedStore, keyFileFor, type EmbeddedStoreOptions } from "./embedded";
