import type { SqliteBackend } from "../sqlite/backend";
import { nextConsent, type ConsentStatus } from "./keywords";
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
 * The ledger in the embedded store's SQLite file. Each delivery is written in the backend's group
 * commit (a savepoint of its own): with full fsync a commit costs a disk flush, and one flush for the
 * deliveries that arrive together is what lets a burst through. Each caller still resolves only
 * after the COMMIT that holds its delivery.
 */
export class SqliteLedger implements ReceiverLedger {
  private flushing = false;

  constructor(readonly backend: SqliteBackend) {}

  // Lookups read what is committed, beside the writer: see SqliteBackend.committedRead.
  loadTarget(webhookId: string): Promise<{ webhook?: TargetRow; credential?: TargetRow }> {
    return this.backend.committedRead((prepared) => {
      const byId = prepared(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = ?`);
      const w = byId.get(webhookId) as RecordDbRow | undefined;
      if (!w) return {};
      const webhook = toTarget(w);
      const credentialId = webhook.data["apiCredentialId"];
      const c =
        typeof credentialId === "string" ? (byId.get(credentialId) as RecordDbRow | undefined) : undefined;
      return c ? { webhook, credential: toTarget(c) } : { webhook };
    });
  }

  loadRecord(id: string): Promise<TargetRow | undefined> {
    return this.backend.committedRead((prepared) => {
      const r = prepared(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = ?`).get(id) as
        RecordDbRow | undefined;
      return r && toTarget(r);
    });
  }

  /** Whether the delivery's webhook and credential are still as they were read (see CheckedAgainst). */
  private current(d: InboundDelivery | StatusDelivery): boolean {
    return (
      this.backend
        .prepared(
          `SELECT 1 FROM records w, records c
           WHERE w.id = ? AND w.sandbox = ? AND w.kind = 'webhook' AND w.version = ?
             AND c.id = ? AND c.sandbox = ? AND c.version = ?`,
        )
        .get(
          d.webhookId,
          d.sandbox,
          d.checked.webhookVersion,
          d.checked.credentialId,
          d.sandbox,
          d.checked.credentialVersion,
        ) !== undefined
    );
  }

  recordInbound(d: InboundDelivery): Promise<Recorded> {
    return this.backend.groupWrite(() => {
      if (!this.current(d)) return STALE_TARGET;
      const fresh = this.backend
        .prepared(
          `INSERT INTO receiver_deliveries (sandbox, webhook_id, dedupe_key, kind, message_id, profile_number, sender,
             category, keyword, reply, received_at)
           VALUES (?, ?, ?, 'inbound', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(...inboundDeliveryRow(d));
      if (fresh.changes === 0) return this.repeat(d);
      if (d.consent) {
        const key = [d.sandbox, d.profileNumber, d.sender];
        const prev = (
          this.backend
            .prepared("SELECT status FROM consents WHERE sandbox = ? AND number = ? AND sender = ?")
            .get(...key) as { status: ConsentStatus } | undefined
        )?.status;
        const next = nextConsent(prev, d.consent);
        if (next !== undefined) {
          this.backend
            .prepared(
              `INSERT INTO consents (sandbox, number, sender, status, keyword, webhook_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (sandbox, number, sender) DO UPDATE SET status = excluded.status, keyword = excluded.keyword,
               webhook_id = excluded.webhook_id, updated_at = excluded.updated_at`,
            )
            .run(...key, next, d.keyword ?? null, d.webhookId, d.at);
          this.backend
            .prepared(
              `INSERT INTO consent_history (sandbox, number, sender, status, previous_status, keyword, webhook_id, message_id, at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(...key, next, prev ?? null, d.keyword ?? null, d.webhookId, d.messageId, d.at);
        }
      }
      if (d.outbox) {
        const o = d.outbox;
        this.backend
          .prepared(
            `INSERT INTO reply_outbox (id, sandbox, webhook_id, credential_id, to_number, from_number, body, state, attempts,
             next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
          )
          .run(o.id, d.sandbox, d.webhookId, o.credentialId, o.to, o.from, o.body, d.at, d.at);
      }
      return { duplicate: false, ...(d.reply !== undefined ? { reply: d.reply } : {}) };
    });
  }

  private repeat(d: InboundDelivery | StatusDelivery): Recorded {
    const prior = this.backend
      .prepared(
        "SELECT reply FROM receiver_deliveries WHERE sandbox = ? AND webhook_id = ? AND dedupe_key = ?",
      )
      .get(d.sandbox, d.webhookId, d.dedupeKey) as { reply: string | null } | undefined;
    return { duplicate: true, ...(prior?.reply ? { reply: prior.reply } : {}) };
  }

  recordStatus(d: StatusDelivery): Promise<Recorded> {
    return this.backend.groupWrite(() => {
      if (!this.current(d)) return STALE_TARGET;
      const fresh = this.backend
        .prepared(
          `INSERT INTO receiver_deliveries (sandbox, webhook_id, dedupe_key, kind, message_id, category, received_at)
           VALUES (?, ?, ?, 'status', ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(d.sandbox, d.webhookId, d.dedupeKey, d.messageId, d.status, d.at);
      if (fresh.changes === 0) return this.repeat(d);
      this.backend
        .prepared(
          "INSERT INTO message_events (sandbox, message_id, status, error_code, webhook_id, at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(d.sandbox, d.messageId, d.status, d.errorCode ?? null, d.webhookId, d.at);
      this.backend
        .prepared(
          `INSERT INTO messages (sandbox, message_id, status, rank, error_code, webhook_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sandbox, message_id) DO UPDATE SET status = excluded.status, rank = excluded.rank,
           error_code = COALESCE(excluded.error_code, messages.error_code), webhook_id = excluded.webhook_id,
           updated_at = excluded.updated_at
         WHERE excluded.rank > messages.rank`,
        )
        .run(d.sandbox, d.messageId, d.status, d.rank, d.errorCode ?? null, d.webhookId, d.at);
      return { duplicate: false };
    });
  }

  consents(sandbox: string, number?: string): Promise<ConsentItem[]> {
    return this.backend.run(() => {
      const rows = (
        number === undefined
          ? this.backend
              .prepared("SELECT * FROM consents WHERE sandbox = ? ORDER BY number, sender")
              .all(sandbox)
          : this.backend
              .prepared("SELECT * FROM consents WHERE sandbox = ? AND number = ? ORDER BY sender")
              .all(sandbox, number)
      ) as ConsentDbRow[];
      return rows.map(toConsent);
    });
  }

  consentHistory(sandbox: string, number: string): Promise<ConsentHistoryItem[]> {
    return this.backend.run(() =>
      (
        this.backend
          .prepared("SELECT * FROM consent_history WHERE sandbox = ? AND number = ? ORDER BY seq")
          .all(sandbox, number) as HistoryDbRow[]
      ).map(toHistory),
    );
  }

  message(sandbox: string, messageId: string): Promise<MessageView | undefined> {
    return this.backend.run(() => {
      const m = this.backend
        .prepared("SELECT status, error_code FROM messages WHERE sandbox = ? AND message_id = ?")
        .get(sandbox, messageId) as { status: string; error_code: string | null } | undefined;
      if (!m) return undefined;
      const events = this.backend
        .prepared(
          "SELECT status, error_code, webhook_id, at FROM message_events WHERE sandbox = ? AND message_id = ? ORDER BY seq",
        )
        .all(sandbox, messageId) as EventDbRow[];
      return {
        messageId,
        status: m.status,
        ...(m.error_code !== null ? { errorCode: m.error_code } : {}),
        events: events.map(toEvent),
      };
    });
  }

  claimReplies(owner: string, leaseMs: number, limit: number): Promise<ClaimedReply[]> {
    return this.backend.runWrite(() => {
      const now = new Date();
      const rows = this.backend
        .prepared(
          `SELECT id FROM reply_outbox WHERE state = 'pending' AND next_attempt_at <= ?
             AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?`,
        )
        .all(now.toISOString(), now.toISOString(), limit) as { id: string }[];
      const until = new Date(now.getTime() + leaseMs).toISOString();
      const claim = this.backend.prepared(
        "UPDATE reply_outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ? RETURNING *",
      );
      return rows.map((r) => toClaimed(claim.get(owner, until, r.id) as OutboxDbRow));
    });
  }

  replySent(id: string, owner: string): Promise<boolean> {
    return this.backend.runWrite(
      () =>
        this.backend
          .prepared(
            `UPDATE reply_outbox SET state = 'sent', sent_at = ?, lease_owner = NULL, lease_until = NULL
             WHERE id = ? AND lease_owner = ? AND state = 'pending'`,
          )
          .run(new Date().toISOString(), id, owner).changes === 1,
    );
  }

  replyFailed(id: string, owner: string, error: string, nextAttemptAt: Date | undefined): Promise<void> {
    return this.backend.runWrite(() => {
      this.backend
        .prepared(
          `UPDATE reply_outbox SET state = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?,
           lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'pending'`,
        )
        .run(nextAttemptAt ? "pending" : "dead", nextAttemptAt?.toISOString() ?? null, error, id, owner);
    });
  }

  outbox(sandbox: string): Promise<OutboxRow[]> {
    return this.backend.run(() =>
      (
        this.backend
          .prepared("SELECT * FROM reply_outbox WHERE sandbox = ? ORDER BY created_at, id")
          .all(sandbox) as OutboxDbRow[]
      ).map(toOutboxRow),
    );
  }

  deliveryCount(sandbox: string): Promise<number> {
    return this.backend.run(
      () =>
        (
          this.backend
            .prepared("SELECT COUNT(*) AS n FROM receiver_deliveries WHERE sandbox = ?")
            .get(sandbox) as {
            n: number;
          }
        ).n,
    );
  }

  ping(): Promise<void> {
    return this.backend.ping();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
