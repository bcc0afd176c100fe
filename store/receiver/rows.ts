/**
 * Rows of the receiver's tables (and of `records`) as both drivers return them, turned into the
 * ledger's shapes once: SQLite gives times as ISO text and `data` as JSON text, PostgreSQL gives
 * Dates and parsed JSON.
 */
import type { SecretFormat } from "../crypto";
import type { CredentialType, RecordKind } from "../types";
import type { ConsentStatus } from "./keywords";
import type {
  InboundDelivery,
  ClaimedReply,
  ConsentHistoryItem,
  ConsentItem,
  MessageEvent,
  OutboxRow,
  OutboxState,
  TargetRow,
} from "./ledger";

type Time = string | Date;
const iso = (t: Time): string => (t instanceof Date ? t.toISOString() : new Date(t).toISOString());

/**
 * An inbound delivery's row of receiver_deliveries, in the order both ledgers write it: sandbox,
 * webhook_id, dedupe_key, message_id, profile_number, sender, category, keyword, reply, received_at.
 */
export const inboundDeliveryRow = (d: InboundDelivery): (string | null)[] => [
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
];

export const RECORD_COLUMNS =
  "id, sandbox, kind, credential_type, version, data, secret_ciphertext, secret_nonce, secret_key_id, secret_format";

export interface RecordDbRow {
  id: string;
  sandbox: string;
  kind: string;
  credential_type: string | null;
  version: number;
  data: string | Record<string, unknown>;
  secret_ciphertext: Buffer | null;
  secret_nonce: Buffer | null;
  secret_key_id: string | null;
  secret_format: number;
}

export function toTarget(r: RecordDbRow): TargetRow {
  return {
    id: r.id,
    sandbox: r.sandbox,
    kind: r.kind as RecordKind,
    credentialType: r.credential_type as CredentialType | null,
    version: r.version,
    data: typeof r.data === "string" ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
    secret:
      r.secret_ciphertext && r.secret_nonce && r.secret_key_id
        ? {
            keyId: r.secret_key_id,
            format: r.secret_format as SecretFormat,
            nonce: r.secret_nonce,
            ciphertext: r.secret_ciphertext,
          }
        : null,
  };
}

export interface ConsentDbRow {
  number: string;
  sender: string;
  status: ConsentStatus;
  keyword: string | null;
  webhook_id: string;
  updated_at: Time;
}

export function toConsent(r: ConsentDbRow): ConsentItem {
  return {
    number: r.number,
    sender: r.sender,
    status: r.status,
    ...(r.keyword !== null ? { keyword: r.keyword } : {}),
    webhookId: r.webhook_id,
    updatedAt: iso(r.updated_at),
  };
}

export interface HistoryDbRow {
  number: string;
  sender: string;
  status: ConsentStatus;
  previous_status: ConsentStatus | null;
  keyword: string | null;
  webhook_id: string;
  message_id: string | null;
  at: Time;
}

export function toHistory(r: HistoryDbRow): ConsentHistoryItem {
  return {
    number: r.number,
    sender: r.sender,
    status: r.status,
    ...(r.previous_status !== null ? { previousStatus: r.previous_status } : {}),
    ...(r.keyword !== null ? { keyword: r.keyword } : {}),
    webhookId: r.webhook_id,
    ...(r.message_id !== null ? { messageId: r.message_id } : {}),
    at: iso(r.at),
  };
}

export interface EventDbRow {
  status: string;
  error_code: string | null;
  webhook_id: string;
  at: Time;
}

export function toEvent(e: EventDbRow): MessageEvent {
  return {
    status: e.status,
    ...(e.error_code !== null ? { errorCode: e.error_code } : {}),
    webhookId: e.webhook_id,
    at: iso(e.at),
  };
}

export interface OutboxDbRow {
  id: string;
  sandbox: string;
  webhook_id: string;
  credential_id: string;
  to_number: string;
  from_number: string;
  body: string;
  state: string;
  attempts: number;
  last_error: string | null;
  sent_at: Time | null;
}

export function toClaimed(r: OutboxDbRow): ClaimedReply {
  return {
    id: r.id,
    sandbox: r.sandbox,
    webhookId: r.webhook_id,
    credentialId: r.credential_id,
    to: r.to_number,
    from: r.from_number,
    body: r.body,
    attempts: r.attempts,
  };
}

export function toOutboxRow(r: OutboxDbRow): OutboxRow {
  return {
    ...toClaimed(r),
    state: r.state as OutboxState,
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.sent_at !== null ? { sentAt: iso(r.sent_at) } : {}),
  };
}
