import type { SealedSecret } from "../crypto";
import type { CredentialType, RecordKind } from "../types";
import type { ConsentChange, ConsentStatus, InboundCategory } from "./keywords";

/** A record row as the receiver needs it: the secret still sealed. */
export interface TargetRow {
  readonly id: string;
  readonly sandbox: string;
  readonly kind: RecordKind;
  readonly credentialType: CredentialType | null;
  /** The record's version: a delivery is written only while its webhook and credential are still at it. */
  readonly version: number;
  readonly data: Record<string, unknown>;
  readonly secret: SealedSecret | null;
}

/** A reply for a custom vendor, queued in the delivery's own transaction. */
export interface OutboxEntry {
  readonly id: string;
  readonly credentialId: string;
  readonly to: string;
  readonly from: string;
  readonly body: string;
}

/**
 * The webhook and credential versions a delivery was checked against (its signature, its keywords).
 * The write finds nothing to do unless both records are still there, in the delivery's sandbox, at
 * these versions: a webhook deleted or changed since it was read (a cached read included) can never
 * take a delivery.
 */
export interface CheckedAgainst {
  readonly webhookVersion: number;
  readonly credentialId: string;
  readonly credentialVersion: number;
}

interface DeliveryBase {
  readonly sandbox: string;
  readonly webhookId: string;
  readonly checked: CheckedAgainst;
  /** What makes a repeat a repeat: MessageSid (inbound), MessageSid:status (status callbacks). */
  readonly dedupeKey: string;
  readonly messageId: string;
  readonly at: string;
}

export interface InboundDelivery extends DeliveryBase {
  readonly profileNumber: string;
  readonly sender: string;
  readonly category: InboundCategory;
  readonly keyword?: string;
  readonly consent?: ConsentChange;
  /** The answer given, kept so a repeat gets it again. */
  readonly reply?: string;
  readonly outbox?: OutboxEntry;
}

export interface StatusDelivery extends DeliveryBase {
  readonly status: string;
  readonly rank: number;
  readonly errorCode?: string;
}

export interface Recorded {
  /** A repeat of a delivery already in the ledger: nothing was written. */
  readonly duplicate: boolean;
  /** The webhook or its credential is gone or changed since it was read (see CheckedAgainst): nothing was written. */
  readonly stale?: true;
  /** For inbound: the reply to answer with (the first answer's, for a repeat). */
  readonly reply?: string;
}

/** What a write answers when its delivery's webhook is not as it was read: nothing was written. */
export const STALE_TARGET: Recorded = { duplicate: false, stale: true };

export interface ConsentItem {
  readonly number: string;
  readonly sender: string;
  readonly status: ConsentStatus;
  readonly keyword?: string;
  readonly webhookId: string;
  readonly updatedAt: string;
}

export interface ConsentHistoryItem {
  readonly number: string;
  readonly sender: string;
  readonly status: ConsentStatus;
  readonly previousStatus?: ConsentStatus;
  readonly keyword?: string;
  readonly webhookId: string;
  readonly messageId?: string;
  readonly at: string;
}

export interface MessageEvent {
  readonly status: string;
  readonly errorCode?: string;
  readonly webhookId: string;
  readonly at: string;
}

export interface MessageView {
  readonly messageId: string;
  readonly status: string;
  readonly errorCode?: string;
  readonly events: MessageEvent[];
}

export interface ClaimedReply {
  readonly id: string;
  readonly sandbox: string;
  readonly webhookId: string;
  readonly credentialId: string;
  readonly to: string;
  readonly from: string;
  readonly body: string;
  /** Attempts so far, this one included. */
  readonly attempts: number;
}

export type OutboxState = "pending" | "sent" | "dead";

export interface OutboxRow extends ClaimedReply {
  readonly state: OutboxState;
  readonly lastError?: string;
  readonly sentAt?: string;
}

/**
 * The receiver's side of the database: the webhook rows it answers for, and its own tables
 * (migration 3). SQLite and PostgreSQL each implement it; every write commits before it resolves,
 * so an answer sent after it is never lost.
 */
export interface ReceiverLedger {
  /** The webhook and the credential it refers to, as stored now. */
  loadTarget(webhookId: string): Promise<{ webhook?: TargetRow; credential?: TargetRow }>;
  /** A credential row alone (the outbox sends with it). */
  loadRecord(id: string): Promise<TargetRow | undefined>;
  recordInbound(d: InboundDelivery): Promise<Recorded>;
  recordStatus(d: StatusDelivery): Promise<Recorded>;
  consents(sandbox: string, number?: string): Promise<ConsentItem[]>;
  consentHistory(sandbox: string, number: string): Promise<ConsentHistoryItem[]>;
  message(sandbox: string, messageId: string): Promise<MessageView | undefined>;
  /** Takes up to `limit` due replies under a lease of `leaseMs` for `owner`; attempts counted. */
  claimReplies(owner: string, leaseMs: number, limit: number): Promise<ClaimedReply[]>;
  /** Marks a claimed reply sent; false when the lease was lost (another worker has it). */
  replySent(id: string, owner: string): Promise<boolean>;
  /** Gives a claimed reply back for another attempt at `nextAttemptAt`, or gives up on it (`dead`). */
  replyFailed(id: string, owner: string, error: string, nextAttemptAt: Date | undefined): Promise<void>;
  outbox(sandbox: string): Promise<OutboxRow[]>;
  /** Rows in receiver_deliveries (benchmarks and tests count acknowledged deliveries with it). */
  deliveryCount(sandbox: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
