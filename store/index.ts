// The credential store's public surface: its interface, rules, errors, backends (SQLite, PostgreSQL),
// the store service and its HTTP client.
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
export {
  Keyring,
  Fingerprinter,
  legacyFingerprint,
  canonicalJson,
  keyIdOf,
  type SealedSecret,
  type SecretFormat,
} from "./crypto";
export type { RecordRow, StoreBackend, StoreTx, IdempotencyRecord, MetaRow } from "./backend";
export { CoreStore, newRecordId, toStoredRecord } from "./core";
export { SANDBOX_PATTERN, checkReferences, checkInput } from "./rules";
export { SqliteBackend } from "./sqlite/backend";
export { SQLITE_MIGRATIONS, type Migration } from "./sqlite/migrations";
export { openEmbeddedStore, keyFileFor, type EmbeddedStoreOptions } from "./embedded";
export { PostgresBackend, type PostgresBackendOptions } from "./postgres/backend";
export { POSTGRES_MIGRATIONS } from "./postgres/migrations";
export { openPostgresStore } from "./postgres/open";
export { HttpStore, type HttpStoreOptions } from "./client/http-store";
export {
  TOKEN_SCOPES,
  ALL_SANDBOXES,
  tokenAllows,
  type TokenScope,
  type TokenRecord,
  type TokenRepository,
} from "./tokens/model";
export { TokenService, hashToken, type NewToken } from "./tokens/service";
export { SqliteTokenRepository } from "./sqlite/tokens";
export { PostgresTokenRepository } from "./postgres/tokens";
export { StoreServer, type StoreServerOptions } from "./server/server";
export { openServiceDatabase, isPostgresUrl, type ServiceDatabase } from "./server/database";
export { ReceiverServer, RECEIVER_SERVICE, type ReceiverServerOptions } from "./receiver/server";
export { openLedger, ledgerFor, receiverKeyring } from "./receiver/open";
export { twilioSignature, verifyTwilio } from "./receiver/signature";
export { OutboxWorker, ReplyError, type ReplySender, type VendorReply } from "./receiver/outbox";
export type {
  ReceiverLedger,
  ConsentItem,
  ConsentHistoryItem,
  MessageView,
  MessageEvent,
  OutboxRow,
} from "./receiver/ledger";
export type { ConsentStatus } from "./receiver/keywords";
