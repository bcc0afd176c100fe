import type { PostgresBackend } from "../postgres/backend";
import type {
  ClaimedReply,
  ConsentHistoryItem,
  ConsentItem,
  InboundDelivery,
  MessageView,
  OutboxRow,
  ReceiverLedger,
  Recorded,
  StatusDelivery,
  TargetRow,
} from "./ledger";
import { STALE_TARGET } from "./ledger";
import {
  RECORD_COLUMNS,
  toClaimed,
  toConsent,
  toEvent,
  toHistory,
  toOutboxRow,
  toTarget,
  type ConsentDbRow,
  type EventDbRow,
  type HistoryDbRow,
  type OutboxDbRow,
  type RecordDbRow,
} from "./rows";

/**
 * Whether the webhook ($2) and its credential are still, in the delivery's sandbox ($1), at the
 * versions the delivery was checked against (see CheckedAgainst); `$n` are those three parameters.
 */
const checkedAgainst = (n: number): string => `
  ok AS (
    SELECT 1 FROM records w, records c
    WHERE w.id = $2 AND w.sandbox = $1 AND w.kind = 'webhook' AND w.version = $${n}::integer
      AND c.id = $${n + 1} AND c.sandbox = $1 AND c.version = $${n + 2}::integer
  )`;

/**
 * An inbound delivery in one statement (one round trip, atomic, committed when it returns): the
 * delivery row, if the webhook is still as it was read; then, only when that row is new, the consent
 * (its next value from the current one, as nextConsent says), its history and the outbox reply. A
 * repeat inserts nothing.
 */
const RECORD_INBOUND = `
  WITH ${checkedAgainst(17)},
  d AS (
    INSERT INTO receiver_deliveries (sandbox, webhook_id, dedupe_key, kind, message_id, profile_number, sender,
      category, keyword, reply, received_at)
    SELECT $1, $2, $3, 'inbound', $4, $5, $6, $7, $8, $9, $10::timestamptz WHERE EXISTS (SELECT 1 FROM ok)
    ON CONFLICT DO NOTHING RETURNING 1
  ),
  prev AS (SELECT status FROM consents WHERE sandbox = $1 AND number = $5 AND sender = $6),
  nxt AS (
    SELECT CASE $11::text
      WHEN 'opted-out' THEN 'opted-out'
      WHEN 'opted-in' THEN 'opted-in'
      WHEN 'request' THEN CASE WHEN (SELECT status FROM prev) = 'opted-in' THEN 'opted-in' ELSE 'pending' END
      WHEN 'confirm' THEN CASE WHEN (SELECT status FROM prev) = 'pending' THEN 'opted-in' END
    END AS status
    WHERE EXISTS (SELECT 1 FROM d)
  ),
  c AS (
    INSERT INTO consents (sandbox, number, sender, status, keyword, webhook_id, updated_at)
    SELECT $1, $5, $6, nxt.status, $8, $2, $10::timestamptz FROM nxt WHERE nxt.status IS NOT NULL
    ON CONFLICT (sandbox, number, sender) DO UPDATE SET status = EXCLUDED.status, keyword = EXCLUDED.keyword,
      webhook_id = EXCLUDED.webhook_id, updated_at = EXCLUDED.updated_at
    RETURNING status
  ),
  h AS (
    INSERT INTO consent_history (sandbox, number, sender, status, previous_status, keyword, webhook_id, message_id, at)
    SELECT $1, $5, $6, c.status, (SELECT status FROM prev), $8, $2, $4, $10::timestamptz FROM c
  ),
  o AS (
    INSERT INTO reply_outbox (id, sandbox, webhook_id, credential_id, to_number, from_number, body, state, attempts,
      next_attempt_at, created_at)
    SELECT $12, $1, $2, $13, $14, $15, $16, 'pending', 0, $10::timestamptz, $10::timestamptz
    WHERE $12::text IS NOT NULL AND EXISTS (SELECT 1 FROM d)
  )
  SELECT EXISTS (SELECT 1 FROM d) AS fresh, EXISTS (SELECT 1 FROM ok) AS current`;

/** A status event in one statement: the delivery row, the event, the message's status if it ranks higher. */
const RECORD_STATUS = `
  WITH ${checkedAgainst(9)},
  d AS (
    INSERT INTO receiver_deliveries (sandbox, webhook_id, dedupe_key, kind, message_id, category, received_at)
    SELECT $1, $2, $3, 'status', $4, $6, $5::timestamptz WHERE EXISTS (SELECT 1 FROM ok)
    ON CONFLICT DO NOTHING RETURNING 1
  ),
  e AS (
    INSERT INTO message_events (sandbox, message_id, status, error_code, webhook_id, at)
    SELECT $1, $4, $6, $7, $2, $5::timestamptz WHERE EXISTS (SELECT 1 FROM d)
  ),
  m AS (
    INSERT INTO messages (sandbox, message_id, status, rank, error_code, webhook_id, updated_at)
    SELECT $1, $4, $6, $8::integer, $7, $2, $5::timestamptz WHERE EXISTS (SELECT 1 FROM d)
    ON CONFLICT (sandbox, message_id) DO UPDATE SET status = EXCLUDED.status, rank = EXCLUDED.rank,
      error_code = COALESCE(EXCLUDED.error_code, messages.error_code), webhook_id = EXCLUDED.webhook_id,
      updated_at = EXCLUDED.updated_at
    WHERE EXCLUDED.rank > messages.rank
  )
  SELECT EXISTS (SELECT 1 FROM d) AS fresh, EXISTS (SELECT 1 FROM ok) AS current`;

const checkedParams = (d: InboundDelivery | StatusDelivery): [number, string, number] => [
  d.checked.webhookVersion,
  d.checked.credentialId,
  d.checked.credentialVersion,
];

/** The ledger on the shared store's PostgreSQL: every write one autocommitted statement. */
export class PostgresLedger implements ReceiverLedger {
  constructor(readonly backend: PostgresBackend) {}

  async loadTarget(webhookId: string): Promise<{ webhook?: TargetRow; credential?: TargetRow }> {
    const { rows } = await this.backend.query<RecordDbRow>(
      `SELECT ${RECORD_COLUMNS} FROM records
       WHERE id = $1 OR id = (SELECT data->>'apiCredentialId' FROM records WHERE id = $1 AND kind = 'webhook')`,
      [webhookId],
      "smsc_receiver_target",
    );
    const w = rows.find((r) => r.id === webhookId);
    if (!w) return {};
    const webhook = toTarget(w);
    const c = rows.find((r) => r.id !== webhookId);
    return c ? { webhook, credential: toTarget(c) } : { webhook };
  }

  async loadRecord(id: string): Promise<TargetRow | undefined> {
    const { rows } = await this.backend.query<RecordDbRow>(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE id = $1`,
      [id],
    );
    return rows[0] && toTarget(rows[0]);
  }

  async recordInbound(d: InboundDelivery): Promise<Recorded> {
    const o = d.outbox;
    const { rows } = await this.backend.query<{ fresh: boolean; current: boolean }>(
      RECORD_INBOUND,
      [
        d.sandbox,
        d.webhookId,
        d.dedupeKey,
        d.messageId,
        d.profileNumber,
        d.sender,
        d.category,
        d.keyword ?? null,
        d.reply ?? null,
        d.at,
        d.consent ?? null,
        o?.id ?? null,
        o?.credentialId ?? null,
        o?.to ?? null,
        o?.from ?? null,
        o?.body ?? null,
        ...checkedParams(d),
      ],
      "smsc_receiver_inbound",
    );
    if (!rows[0]?.current) return STALE_TARGET;
    if (rows[0].fresh) return { duplicate: false, ...(d.reply !== undefined ? { reply: d.reply } : {}) };
    return this.repeat(d);
  }

  /** The first answer to a repeated delivery (committed: the repeat's insert waited for it). */
  private async repeat(d: InboundDelivery | StatusDelivery): Promise<Recorded> {
    const { rows } = await this.backend.query<{ reply: string | null }>(
      "SELECT reply FROM receiver_deliveries WHERE sandbox = $1 AND webhook_id = $2 AND dedupe_key = $3",
      [d.sandbox, d.webhookId, d.dedupeKey],
    );
    const reply = rows[0]?.reply;
    return { duplicate: true, ...(reply ? { reply } : {}) };
  }

  async recordStatus(d: StatusDelivery): Promise<Recorded> {
    const { rows } = await this.backend.query<{ fresh: boolean; current: boolean }>(
      RECORD_STATUS,
      [
        d.sandbox,
        d.webhookId,
        d.dedupeKey,
        d.messageId,
        d.at,
        d.status,
        d.errorCode ?? null,
        d.rank,
        ...checkedParams(d),
      ],
      "smsc_receiver_status",
    );
    if (!rows[0]?.current) return STALE_TARGET;
    return rows[0].fresh ? { duplicate: false } : { duplicate: true };
  }

  async consents(sandbox: string, number?: string): Promise<ConsentItem[]> {
    const { rows } = await this.backend.query<ConsentDbRow>(
      number === undefined
        ? `SELECT * FROM consents WHERE sandbox = $1 ORDER BY number COLLATE "C", sender COLLATE "C"`
        : `SELECT * FROM consents WHERE sandbox = $1 AND number = $2 ORDER BY sender COLLATE "C"`,
      number === undefined ? [sandbox] : [sandbox, number],
    );
    return rows.map(toConsent);
  }

  async consentHistory(sandbox: string, number: string): Promise<ConsentHistoryItem[]> {
    const { rows } = await this.backend.query<HistoryDbRow>(
      "SELECT * FROM consent_history WHERE sandbox = $1 AND number = $2 ORDER BY seq",
      [sandbox, number],
    );
    return rows.map(toHistory);
  }

  async message(sandbox: string, messageId: string): Promise<MessageView | undefined> {
    // One statement: the message and its events from one snapshot.
    const { rows } = await this.backend.query<{
      status: string;
      error_code: string | null;
      events: EventDbRow[];
    }>(
      `SELECT m.status, m.error_code, COALESCE((SELECT json_agg(json_build_object('status', e.status,
         'error_code', e.error_code, 'webhook_id', e.webhook_id, 'at', e.at) ORDER BY e.seq)
         FROM message_events e WHERE e.sandbox = m.sandbox AND e.message_id = m.message_id), '[]'::json) AS events
       FROM messages m WHERE m.sandbox = $1 AND m.message_id = $2`,
      [sandbox, messageId],
    );
    const m = rows[0];
    if (!m) return undefined;
    return {
      messageId,
      status: m.status,
      ...(m.error_code !== null ? { errorCode: m.error_code } : {}),
      events: m.events.map(toEvent),
    };
  }

  async claimReplies(owner: string, leaseMs: number, limit: number): Promise<ClaimedReply[]> {
    // SKIP LOCKED: replicas claiming at once take different rows, never wait on each other.
    const { rows } = await this.backend.query<OutboxDbRow>(
      `UPDATE reply_outbox SET lease_owner = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000),
         attempts = attempts + 1
       WHERE id IN (SELECT id FROM reply_outbox WHERE state = 'pending' AND next_attempt_at <= now()
         AND (lease_until IS NULL OR lease_until < now()) ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, leaseMs, limit],
    );
    return rows.map(toClaimed);
  }

  async replySent(id: string, owner: string): Promise<boolean> {
    const { rowCount } = await this.backend.query(
      `UPDATE reply_outbox SET state = 'sent', sent_at = now(), lease_owner = NULL, lease_until = NULL
       WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`,
      [id, owner],
    );
    return rowCount === 1;
  }

  async replyFailed(
    id: string,
    owner: string,
    error: string,
    nextAttemptAt: Date | undefined,
  ): Promise<void> {
    await this.backend.query(
      `UPDATE reply_outbox SET state = $3, next_attempt_at = COALESCE($4::timestamptz, next_attempt_at), last_error = $5,
         lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`,
      [id, owner, nextAttemptAt ? "pending" : "dead", nextAttemptAt ?? null, error],
    );
  }

  async outbox(sandbox: string): Promise<OutboxRow[]> {
    const { rows } = await this.backend.query<OutboxDbRow>(
      "SELECT * FROM reply_outbox WHERE sandbox = $1 ORDER BY created_at, id",
      [sandbox],
    );
    return rows.map(toOutboxRow);
  }

  async deliveryCount(sandbox: string): Promise<number> {
    const { rows } = await this.backend.query<{ n: string }>(
      "SELECT COUNT(*) AS n FROM receiver_deliveries WHERE sandbox = $1",
      [sandbox],
    );
    return Number(rows[0]?.n ?? 0);
  }

  ping(): Promise<void> {
    return this.backend.ping();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
