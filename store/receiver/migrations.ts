import type { Migration } from "../sqlite/migrations";

/**
 * The receiver's tables, migration 3 of both backends (the same columns; SQLite keeps times as ISO
 * text, PostgreSQL as timestamptz). Appended to SQLITE_MIGRATIONS and POSTGRES_MIGRATIONS, so the
 * store service, the embedded store and the receiver all bring a database to the same schema.
 *
 * - receiver_deliveries: one row per delivery acknowledged, keyed by what makes a repeat a repeat
 *   (MessageSid, the mapped requestId, MessageSid+MessageStatus for status callbacks): the ledger that
 *   "every 200 is in the database" is counted on, and the answer a repeat gets again.
 * - consents / consent_history: the current consent per (sandbox, profile number, sender), and
 *   every change of it.
 * - messages / message_events: a message's status, which never goes back (rank), and every event.
 * - reply_outbox: replies to custom vendors, written in the transaction of the delivery that caused
 *   them and sent by a worker under a lease.
 */
export const RECEIVER_SQLITE_MIGRATION: Migration = {
  version: 3,
  description: "webhook receiver: deliveries, consents with history, message status and events, reply outbox",
  sql: `
    CREATE TABLE receiver_deliveries (
      sandbox        TEXT NOT NULL,
      webhook_id     TEXT NOT NULL,
      dedupe_key     TEXT NOT NULL,
      kind           TEXT NOT NULL,
      message_id     TEXT,
      profile_number TEXT,
      sender         TEXT,
      category       TEXT,
      keyword        TEXT,
      reply          TEXT,
      received_at    TEXT NOT NULL,
      PRIMARY KEY (sandbox, webhook_id, dedupe_key)
    );
    CREATE TABLE consents (
      sandbox    TEXT NOT NULL,
      number     TEXT NOT NULL,
      sender     TEXT NOT NULL,
      status     TEXT NOT NULL,
      keyword    TEXT,
      webhook_id TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (sandbox, number, sender)
    );
    CREATE TABLE consent_history (
      seq             INTEGER PRIMARY KEY AUTOINCREMENT,
      sandbox         TEXT NOT NULL,
      number          TEXT NOT NULL,
      sender          TEXT NOT NULL,
      status          TEXT NOT NULL,
      previous_status TEXT,
      keyword         TEXT,
      webhook_id      TEXT NOT NULL,
      message_id      TEXT,
      at              TEXT NOT NULL
    );
    CREATE INDEX consent_history_by_number ON consent_history (sandbox, number, seq);
    CREATE TABLE messages (
      sandbox    TEXT NOT NULL,
      message_id TEXT NOT NULL,
      status     TEXT NOT NULL,
      rank       INTEGER NOT NULL,
      error_code TEXT,
      webhook_id TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (sandbox, message_id)
    );
    CREATE TABLE message_events (
      seq        INTEGER PRIMARY KEY AUTOINCREMENT,
      sandbox    TEXT NOT NULL,
      message_id TEXT NOT NULL,
      status     TEXT NOT NULL,
      error_code TEXT,
      webhook_id TEXT NOT NULL,
      at         TEXT NOT NULL
    );
    CREATE INDEX message_events_by_message ON message_events (sandbox, message_id, seq);
    CREATE TABLE reply_outbox (
      id              TEXT PRIMARY KEY,
      sandbox         TEXT NOT NULL,
      webhook_id      TEXT NOT NULL,
      credential_id   TEXT NOT NULL,
      to_number       TEXT NOT NULL,
      from_number     TEXT NOT NULL,
      body            TEXT NOT NULL,
      state           TEXT NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT NOT NULL,
      lease_owner     TEXT,
      lease_until     TEXT,
      last_error      TEXT,
      created_at      TEXT NOT NULL,
      sent_at         TEXT
    );
    CREATE INDEX reply_outbox_due ON reply_outbox (state, next_attempt_at);
  `,
};

export const RECEIVER_POSTGRES_MIGRATION: Migration = {
  version: 3,
  description: RECEIVER_SQLITE_MIGRATION.description,
  sql: `
    CREATE TABLE receiver_deliveries (
      sandbox        text NOT NULL,
      webhook_id     text NOT NULL,
      dedupe_key     text NOT NULL,
      kind           text NOT NULL,
      message_id     text,
      profile_number text,
      sender         text,
      category       text,
      keyword        text,
      reply          text,
      received_at    timestamptz NOT NULL,
      PRIMARY KEY (sandbox, webhook_id, dedupe_key)
    );
    CREATE TABLE consents (
      sandbox    text NOT NULL,
      number     text NOT NULL,
      sender     text NOT NULL,
      status     text NOT NULL,
      keyword    text,
      webhook_id text NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (sandbox, number, sender)
    );
    CREATE TABLE consent_history (
      seq             bigserial PRIMARY KEY,
      sandbox         text NOT NULL,
      number          text NOT NULL,
      sender          text NOT NULL,
      status          text NOT NULL,
      previous_status text,
      keyword         text,
      webhook_id      text NOT NULL,
      message_id      text,
      at              timestamptz NOT NULL
    );
    CREATE INDEX consent_history_by_number ON consent_history (sandbox, number, seq);
    CREATE TABLE messages (
      sandbox    text NOT NULL,
      message_id text NOT NULL,
      status     text NOT NULL,
      rank       integer NOT NULL,
      error_code text,
      webhook_id text NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (sandbox, message_id)
    );
    CREATE TABLE message_events (
      seq        bigserial PRIMARY KEY,
      sandbox    text NOT NULL,
      message_id text NOT NULL,
      status     text NOT NULL,
      error_code text,
      webhook_id text NOT NULL,
      at         timestamptz NOT NULL
    );
    CREATE INDEX message_events_by_message ON message_events (sandbox, message_id, seq);
    CREATE TABLE reply_outbox (
      id              text PRIMARY KEY,
      sandbox         text NOT NULL,
      webhook_id      text NOT NULL,
      credential_id   text NOT NULL,
      to_number       text NOT NULL,
      from_number     text NOT NULL,
      body            text NOT NULL,
      state           text NOT NULL,
      attempts        integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      lease_owner     text,
      lease_until     timestamptz,
      last_error      text,
      created_at      timestamptz NOT NULL,
      sent_at         timestamptz
    );
    CREATE INDEX reply_outbox_due ON reply_outbox (next_attempt_at) WHERE state = 'pending';
  `,
};
