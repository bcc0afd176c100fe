import { RECEIVER_POSTGRES_MIGRATION } from "../receiver/migrations";
import type { Migration } from "../sqlite/migrations";

/**
 * Numbered schema migrations of the PostgreSQL backend, in step with SQLITE_MIGRATIONS (1: records,
 * 2: tokens, 3: the webhook receiver, 4: secret format, 5: owner instance). Append only: a released
 * migration never changes, since databases have applied it.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "records, references, audit log, idempotency keys",
    // `json`, not `jsonb`: records come back byte for byte as written (key order, number text), as
    // from SQLite, so a diff of `data` never sees a change that nobody made. Nothing queries into it.
    sql: `
      CREATE TABLE records (
        id                 text PRIMARY KEY,
        sandbox            text NOT NULL,
        kind               text NOT NULL,
        name               text NOT NULL,
        credential_type    text,
        version            integer NOT NULL CHECK (version >= 1),
        data               json NOT NULL,
        secret_ciphertext  bytea,
        secret_nonce       bytea,
        secret_key_id      text,
        secret_fingerprint text,
        owner_urn          text,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL,
        CONSTRAINT records_name_unique UNIQUE (sandbox, kind, name)
      );
      CREATE INDEX records_by_secret_key ON records (secret_key_id) WHERE secret_key_id IS NOT NULL;
      CREATE TABLE record_refs (
        record_id text NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        ref_id    text NOT NULL REFERENCES records(id),
        ref_kind  text NOT NULL,
        position  integer NOT NULL,
        PRIMARY KEY (record_id, ref_id)
      );
      CREATE INDEX record_refs_by_ref ON record_refs (ref_id);
      CREATE TABLE audit_log (
        seq       bigserial PRIMARY KEY,
        at        timestamptz NOT NULL,
        actor     text NOT NULL,
        action    text NOT NULL,
        sandbox   text NOT NULL,
        kind      text NOT NULL,
        record_id text NOT NULL,
        name      text NOT NULL,
        version   integer NOT NULL
      );
      CREATE TABLE idempotency_keys (
        key          text PRIMARY KEY,
        record_id    text NOT NULL,
        request_hash text NOT NULL,
        created_at   timestamptz NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "bearer tokens of the store service, kept as SHA-256 hashes",
    sql: `
      CREATE TABLE api_tokens (
        id           text PRIMARY KEY,
        token_hash   text NOT NULL UNIQUE,
        sandbox      text NOT NULL,
        scopes       text NOT NULL,
        description  text,
        created_at   timestamptz NOT NULL,
        revoked_at   timestamptz,
        last_used_at timestamptz
      );
    `,
  },
  RECEIVER_POSTGRES_MIGRATION,
  {
    version: 4,
    description: "secret format (AAD binds the sandbox, keyed fingerprint) and sealed store settings",
    sql: `
      ALTER TABLE records ADD COLUMN secret_format integer NOT NULL DEFAULT 1;
      CREATE TABLE store_meta (
        name              text PRIMARY KEY,
        value             text,
        secret_key_id     text,
        secret_nonce      bytea,
        secret_ciphertext bytea
      );
    `,
  },
  {
    version: 5,
    description: "the instance of the Pulumi resource that holds a record (delete vs. adoption)",
    sql: `ALTER TABLE records ADD COLUMN owner_instance text;`,
  },
];
