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
import { Batches } from "./batches";
import {
  inboundDeliveryRow,
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
 * The deliveries of a batch whose webhook and credential are still, in the delivery's sandbox, at the
 * versions it was checked against (see CheckedAgainst).
 */
const CHECKED = `
  ok AS (
    SELECT i.* FROM i WHERE EXISTS (
      SELECT 1 FROM records w, records c
      WHERE w.id = i.webhook_id AND w.sandbox = i.sandbox AND w.kind = 'webhook' AND w.version = i.webhook_version
        AND c.id = i.checked_credential AND c.sandbox = i.sandbox AND c.version = i.credential_version)
  )`;

/** Per delivery of the batch (its position n): whether its row is new, whether its webhook was current. */
const ANSWERS = `
  SELECT i.n, d.dedupe_key IS NOT NULL AS fresh, ok.n IS NOT NULL AS current
  FROM i LEFT JOIN ok ON ok.n = i.n
    LEFT JOIN d ON d.sandbox = i.sandbox AND d.webhook_id = i.webhook_id AND d.dedupe_key = i.dedupe_key`;

/**
 * A batch of inbound deliveries in one statement (one round trip, atomic, committed when it
 * returns), each parameter an array with one element per delivery: the delivery rows whose webhook
 * is still as it was read; then, for each row that is new, the consent (its next value from the
 * current one, as nextConsent says), its history and the outbox reply. A repeat inserts nothing.
 * No two deliveries of a batch share a delivery key or a consent (see Batches), so each consent row
 * is written at most once and each answer is its own delivery's.
 */
const RECORD_INBOUND = `
  WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
      $16::text[], $17::integer[], $18::text[], $19::integer[]) WITH ORDINALITY
      AS i(sandbox, webhook_id, dedupe_key, message_id, profile_number, sender, category, keyword, reply, at, consent,
        outbox_id, credential_id, to_number, from_number, body, webhook_version, checked_credential, credential_version, n)
  ),
  ${CHECKED},
  d AS (
    INSERT INTO receiver_deliveries (sandbox, webhook_id, dedupe_key, kind, message_id, profile_number, sender,
      category, keyword, reply, received_at)
    SELECT sandbox, webhook_id, dedupe_key, 'inbound', message_id, profile_number, sender, category, keyword, reply, at
    FROM ok
    ON CONFLICT DO NOTHING RETURNING sandbox, webhook_id, dedupe_key
  ),
  f AS (SELECT ok.* FROM ok JOIN d USING (sandbox, webhook_id, dedupe_key)),
  nxt AS (
    SELECT f.*, p.status AS prev, CASE f.consent
      WHEN 'opted-out' THEN 'opted-out'
      WHEN 'opted-in' THEN 'opted-in'
      WHEN 'request' THEN CASE WHEN p.status = 'opted-in' THEN 'opted-in' ELSE 'pending' END
      WHEN 'confirm' THEN CASE WHEN p.status = 'pending' THEN 'opted-in' END
    END AS next
    FROM f LEFT JOIN consents p ON p.sandbox = f.sandbox AND p.number = f.profile_number AND p.sender = f.sender
    WHERE f.consent IS NOT NULL
  ),
  c AS (
    INSERT INTO consents (sandbox, number, sender, status, keyword, webhook_id, updated_at)
    SELECT sandbox, profile_number, sender, next, keyword, webhook_id, at FROM nxt WHERE next IS NOT NULL
    ON CONFLICT (sandbox, number, sender) DO UPDATE SET status = EXCLUDED.status, keyword = EXCLUDED.keyword,
      webhook_id = EXCLUDED.webhook_id, updated_at = EXCLUDED.updated_at
    RETURNING sandbox, number, sender
  ),
  h AS (
    INSERT INTO consent_history (sandbox, number, sender, status, previous_status, keyword, webhook_id, message_id, at)
    SELECT nxt.sandbox, nxt.profile_number, nxt.sender, nxt.next, nxt.prev, nxt.keyword, nxt.webhook_id,
      nxt.message_id, nxt.at
    FROM nxt JOIN c ON c.sandbox = nxt.sandbox AND c.number = nxt.profile_number AND c.sender = nxt.sender
  ),
  o AS (
    INSERT INTO reply_outbox (id, sandbox, webhook_id, credential_id, to_number, from_number, body, state, attempts,
      next_attempt_at, created_at)
    SELECT outbox_id, sandbox, webhook_id, credential_id, to_number, from_number, body, 'pending', 0, at, at
    FROM f WHERE outbox_id IS NOT NULL
  )
  ${ANSWERS}`;

/** A batch of status events in one statement: the delivery rows, the events, each message's status if it ranks higher. */
const RECORD_STATUS = `
  WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[],
      $8::integer[], $9::integer[], $10::text[], $11::integer[]) WITH ORDINALITY
      AS i(sandbox, webhook_id, dedupe_key, message_id, at, status, error_code, rank, webhook_version,
        checked_credential, credential_version, n)
  ),
  ${CHECKED},
  d AS (
    INSERT INTO receiver_deliveries (sandbox, webhook_id, dedupe_key, kind, message_id, category, received_at)
    SELECT sandbox, webhook_id, dedupe_key, 'status', message_id, status, at FROM ok
    ON CONFLICT DO NOTHING RETURNING sandbox, webhook_id, dedupe_key
  ),
  f AS (SELECT ok.* FROM ok JOIN d USING (sandbox, webhook_id, dedupe_key)),
  e AS (
    INSERT INTO message_events (sandbox, message_id, status, error_code, webhook_id, at)
    SELECT sandbox, message_id, status, error_code, webhook_id, at FROM f
  ),
  m AS (
    INSERT INTO messages (sandbox, message_id, status, rank, error_code, webhook_id, updated_at)
    SELECT sandbox, message_id, status, rank, error_code, webhook_id, at FROM f
    ON CONFLICT (sandbox, message_id) DO UPDATE SET status = EXCLUDED.status, rank = EXCLUDED.rank,
      error_code = COALESCE(EXCLUDED.error_code, messages.error_code), webhook_id = EXCLUDED.webhook_id,
      updated_at = EXCLUDED.updated_at
    WHERE EXCLUDED.rank > messages.rank
  )
  ${ANSWERS}`;

const deliveryKey = (d: InboundDelivery | StatusDelivery): string =>
  `delivery\0${d.sandbox}\0${d.webhookId}\0${d.dedupeKey}`;

/** Deliveries in one statement at most (a burst's first turn can hold hundreds). */
const MAX_BATCH = 64;

/**
 * Batches of one kind written at once by a receiver (see BatchesOptions.maxInFlight): each one
 * statement of up to MAX_BATCH deliveries, so two keep a replica's deliveries moving while its pool
 * stays small and warm.
 */
const MAX_IN_FLIGHT = 2;

/** What the statement says of one delivery. */
interface Written {
  readonly fresh: boolean;
  readonly current: boolean;
}

/**
 * The ledger on the shared store's PostgreSQL: every write one autocommitted statement; the
 * deliveries that arrive together share one (see Batches).
 */
export class PostgresLedger implements ReceiverLedger {
  private readonly inbound = new Batches<InboundDelivery, Written>({
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    keys: (d) => [
      deliveryKey(d),
      ...(d.consent !== undefined ? [`consent\0${d.sandbox}\0${d.profileNumber}\0${d.sender}`] : []),
    ],
    run: (batch) =>
      this.writeBatch(RECORD_INBOUND, "smsc_receiver_inbound", batch, (d) => [
        ...inboundDeliveryRow(d),
        d.consent ?? null,
        d.outbox?.id ?? null,
        d.outbox?.credentialId ?? null,
        d.outbox?.to ?? null,
        d.outbox?.from ?? null,
        d.outbox?.body ?? null,
      ]),
  });

  private readonly statuses = new Batches<StatusDelivery, Written>({
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    keys: (d) => [deliveryKey(d), `message\0${d.sandbox}\0${d.messageId}`],
    run: (batch) =>
      this.writeBatch(RECORD_STATUS, "smsc_receiver_status", batch, (d) => [
        d.sandbox,
        d.webhookId,
        d.dedupeKey,
        d.messageId,
        d.at,
        d.status,
        d.errorCode ?? null,
        d.rank,
      ]),
  });

  constructor(readonly backend: PostgresBackend) {}

  /**
   * One statement for the batch: each parameter an array, one element per delivery (the delivery's
   * `row`, then the versions it was checked against). Its answers come back in the batch's order.
   */
  private async writeBatch<D extends InboundDelivery | StatusDelivery>(
    text: string,
    name: string,
    batch: readonly D[],
    row: (d: D) => unknown[],
  ): Promise<Written[]> {
    const rows = batch.map((d) => [
      ...row(d),
      d.checked.webhookVersion,
      d.checked.credentialId,
      d.checked.credentialVersion,
    ]);
    const columns = (rows[0] ?? []).map((_, c) => rows.map((r) => r[c]));
    const answers = await this.backend.query<{ n: string; fresh: boolean; current: boolean }>(
      text,
      columns,
      name,
    );
    const written: Written[] = batch.map(() => ({ fresh: false, current: false }));
    for (const r of answers.rows) written[Number(r.n) - 1] = { fresh: r.fresh, current: r.current };
    return written;
  }

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
    const r = await this.inbound.add(d);
    if (!r.current) return STALE_TARGET;
    if (r.fresh) return { duplicate: false, ...(d.reply !== undefined ? { reply: d.reply } : {}) };
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
    const r = await this.statuses.add(d);
    if (!r.current) return STALE_TARGET;
    return r.fresh ? { duplicate: false } : { duplicate: true };
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
