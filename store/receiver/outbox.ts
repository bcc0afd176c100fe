import { randomUUID } from "node:crypto";
import { backoffDelay } from "../../net/retry";
import { aadFor } from "../keys";
import type { SecretOpener } from "../crypto";
import type { Logger } from "../server/log";
import { silentLogger } from "../server/log";
import type { ClaimedReply, ReceiverLedger, TargetRow } from "./ledger";

/** A reply to send through a custom vendor's own API, with its credential opened. */
export interface VendorReply {
  /** The outbox id: stable across attempts, so a vendor that honours an idempotency key sees one message. */
  readonly id: string;
  readonly to: string;
  readonly from: string;
  readonly message: string;
  /** The custom-rcs credential record: data (providerUrl, payloadTemplate, ...) and opened secret (auth, headers). */
  readonly credential: { readonly data: Record<string, unknown>; readonly secret: Record<string, unknown> };
}

/**
 * Sends one reply. Resolves once the vendor accepted it; throws a ReplyError otherwise, saying
 * whether another attempt may succeed. (Wired to net/vendor's custom-vendor client.)
 */
export interface ReplySender {
  send(reply: VendorReply): Promise<void>;
}

export class ReplyError extends Error {
  override readonly name = "ReplyError";
  constructor(
    message: string,
    /** False for answers that will not change (400, 401, 403, 404, 422, a broken template). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface OutboxWorkerOptions {
  readonly ledger: ReceiverLedger;
  readonly keyring: SecretOpener;
  readonly sender: ReplySender;
  readonly logger?: Logger;
  /** How long a claimed reply is ours before another worker may take it (default 60 s). */
  readonly leaseMs?: number;
  /** Between polls when idle (default 1 s). */
  readonly pollMs?: number;
  /** Attempts before a reply is given up as dead (default 8). */
  readonly maxAttempts?: number;
  /** Backoff base and cap (default 1 s, 5 min): full jitter, doubling per attempt. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly random?: () => number;
}

/**
 * Sends the replies the receiver queued for custom vendors. Each reply is claimed under a lease
 * (replicas never take the same one; a worker that dies loses it when the lease ends), marked sent
 * once the vendor accepted it, and otherwise retried with backoff until maxAttempts, then kept as
 * `dead` with its last error. Nothing is deleted: the outbox is also the record of what was sent.
 */
export class OutboxWorker {
  private readonly owner = `worker_${randomUUID()}`;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the batch in hand (its leases end by themselves if cut off). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then((n) => this.schedule(n > 0 ? 0 : (this.options.pollMs ?? 1000)))
        .catch(() => this.schedule(this.options.pollMs ?? 1000));
    }, ms);
    this.timer.unref?.();
  }

  /** Claims and sends what is due; the number of replies it tried. */
  async runOnce(limit = 16): Promise<number> {
    let claimed: ClaimedReply[];
    try {
      claimed = await this.options.ledger.claimReplies(this.owner, this.options.leaseMs ?? 60_000, limit);
    } catch (e) {
      this.logger.warn("outbox: claim failed", { code: (e as { code?: string }).code });
      throw e;
    }
    await Promise.all(claimed.map((r) => this.sendOne(r)));
    return claimed.length;
  }

  private async sendOne(r: ClaimedReply): Promise<void> {
    const { ledger, keyring, sender } = this.options;
    let error: ReplyError;
    try {
      const credential = await ledger.loadRecord(r.credentialId);
      if (!credential || credential.kind !== "api-credential" || credential.credentialType !== "custom-rcs") {
        throw new ReplyError(
          `credential ${r.credentialId} no longer exists as a custom-rcs credential`,
          false,
        );
      }
      await sender.send({
        id: r.id,
        to: r.to,
        from: r.from,
        message: r.body,
        credential: { data: credential.data, secret: openSecret(credential, keyring) },
      });
      if (await ledger.replySent(r.id, this.owner)) {
        this.logger.info("outbox: reply sent", { id: r.id, attempts: r.attempts });
      } else {
        this.logger.warn("outbox: reply sent after its lease ended", { id: r.id });
      }
      return;
    } catch (e) {
      // Only the error's own words (the vendor client redacts secrets); never the reply's text.
      error = e instanceof ReplyError ? e : new ReplyError(e instanceof Error ? e.message : String(e), true);
    }
    const maxAttempts = this.options.maxAttempts ?? 8;
    const next =
      error.retryable && r.attempts < maxAttempts ? new Date(Date.now() + this.delay(r.attempts)) : undefined;
    await ledger.replyFailed(r.id, this.owner, error.message.slice(0, 500), next).catch(() => undefined);
    this.logger.warn(next ? "outbox: reply failed, will retry" : "outbox: reply failed for good", {
      id: r.id,
      attempts: r.attempts,
      retryable: error.retryable,
      ...(next ? { nextAttemptAt: next.toISOString() } : {}),
    });
  }

  private delay(attempt: number): number {
    return backoffDelay(
      attempt,
      { baseDelayMs: this.options.baseDelayMs ?? 1000, maxDelayMs: this.options.maxDelayMs ?? 300_000 },
      this.options.random,
    );
  }
}

function openSecret(row: TargetRow, keyring: SecretOpener): Record<string, unknown> {
  return row.secret ? keyring.open(row.secret, aadFor(row)) : {};
}
