import { RECEIVER_SQLITE_MIGRATION } from "../receiver/migrations";

/**
 * Numbered schema migrations of the SQLite backend. Append only: a released migration never
 * changes, since stores in the field have already applied it.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "records, references, audit log, idempotency keys",
    sql: `
      CREATE TABLE records (
        id                 TEXT PRIMARY KEY,
        sandbox            TEXT NOT NULL,
        kind               TEXT NOT NULL,
        name               TEXT NOT NULL,
        credential_type    TEXT,
        version            INTEGER NOT NULL CHECK (version >= 1),
        data               TEXT NOT NULL,
        secret_ciphertext  BLOB,
        secret_nonce       BLOB,
        secret_key_id      TEXT,
        secret_fingerprint TEXT,
        owner_urn          TEXT,
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL,
        UNIQUE (sandbox, kind, name)
      );
      CREATE TABLE record_refs (
        record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        ref_id    TEXT NOT NULL REFERENCES records(id),
        ref_kind  TEXT NOT NULL,
        position  INTEGER NOT NULL,
        PRIMARY KEY (record_id, ref_id)
      );
      CREATE INDEX record_refs_by_ref ON record_refs(ref_id);
      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        sandbox   TEXT NOT NULL,
        kind      TEXT NOT NULL,
        record_id TEXT NOT NULL,
        name      TEXT NOT NULL,
        version   INTEGER NOT NULL
      );
      CREATE TABLE idempotency_keys (
        key          TEXT PRIMARY KEY,
        record_id    TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        created_at   TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "bearer tokens of the store service, kept as SHA-256 hashes",
    sql: `
      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        token_hash   TEXT NOT NULL UNIQUE,
        sandbox      TEXT NOT NULL,
        scopes       TEXT NOT NULL,
        description  TEXT,
        created_at   TEXT NOT NULL,
        revoked_at   TEXT,
        last_used_at TEXT
      );
    `,
  },
  RECEIVER_SQLITE_MIGRATION,
  {
    version: 4,
    description: "secret format (AAD binds the sandbox, keyed fingerprint) and sealed store settings",
    // secret_format 1: AAD kind+id, unsalted fingerprint (before 0.2); 2: AAD sandbox+kind+id, keyed.
    sql: `
      ALTER TABLE records ADD COLUMN secret_format INTEGER NOT NULL DEFAULT 1;
      CREATE TABLE store_meta (
        name              TEXT PRIMARY KEY,
        value             TEXT,
        secret_key_id     TEXT,
        secret_nonce      BLOB,
        secret_ciphertext BLOB
      );
    `,
  },
  {
    version: 5,
    description: "the instance of the Pulumi resource that holds a record (delete vs. adoption)",
    // NULL for records written before it: their resources delete as before (see provider/handlers/record.ts).
    sql: `ALTER TABLE records ADD COLUMN owner_instance TEXT;`,
  },
];
