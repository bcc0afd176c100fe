/**
 * The receiver's commands of `pulumi-sms-channels-store`: `receive` (the internet-facing webhook
 * receiver), `consents list` and `messages show` (reads of its ledger, as the private service gives).
 */
import { StoreError } from "../errors";
import type { Logger } from "../server/log";
import type { ReceiverLedger } from "./ledger";
import { openLedger, receiverKeyring } from "./open";
import { OutboxWorker, type ReplySender } from "./outbox";
import { ReceiverServer } from "./server";
import { VendorReplySender } from "./vendor-sender";
import { E164 } from "../../contract/formats";

export interface ReceiveOptions {
  readonly database: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly keyText: string | undefined;
  readonly logger: Logger;
  readonly stop: Promise<string>;
  readonly onListening?: (url: string) => void;
  /** Sends custom-vendor replies from the outbox (default: through net/vendor's client). */
  readonly sender?: ReplySender;
  /** Lets replies reach loopback, private and metadata hosts (emulators, tests); default: refused (net/ssrf.ts). */
  readonly allowPrivateVendorHosts?: boolean;
}

/** How the receiver's SSRF guard is lifted, for its refusals. */
export const RECEIVER_ALLOW_PRIVATE_HINT =
  "start the receiver with --allow-private-vendor-hosts (or SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS=true) for emulators and tests";

export async function receive(o: ReceiveOptions): Promise<number> {
  const { ledger, where, file, created } = await openLedger(o.database, {
    onPoolError: (message) => o.logger.warn(message),
    create: true,
  });
  try {
    if (created) {
      // Said at start, where a mistyped --database shows: this store is empty, no webhook will answer.
      o.logger.warn(
        `created the store file ${String(file)}: it did not exist; the stack whose smschannels:storePath it is fills it on its next pulumi up (with its key file beside it, or start the receiver with SMSCHANNELS_STORE_KEY when the stack sets smschannels:storeKey)`,
      );
    }
    const keyring = receiverKeyring(o.keyText, file);
    const server = new ReceiverServer({
      ledger,
      keyring,
      publicUrl: o.publicUrl,
      logger: o.logger,
      maxBodyBytes: o.maxBodyBytes,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
    });
    const vendor = o.sender
      ? undefined
      : new VendorReplySender({
          allowPrivateHosts: o.allowPrivateVendorHosts === true,
          howToAllowPrivateHosts: RECEIVER_ALLOW_PRIVATE_HINT,
        });
    const worker = new OutboxWorker({
      ledger,
      keyring,
      sender: o.sender ?? (vendor as ReplySender),
      logger: o.logger,
    });
    const url = await server.listen(o.listen.port, o.listen.host);
    worker.start();
    o.logger.info("serving", { database: where, url, publicUrl: o.publicUrl });
    o.onListening?.(url);
    const signal = await o.stop;
    o.logger.info("signal received", { signal });
    await server.shutdown();
    await worker.stop();
    await vendor?.close();
    return 0;
  } finally {
    await ledger.close();
  }
}

async function withLedger<T>(database: string, fn: (ledger: ReceiverLedger) => Promise<T>): Promise<T> {
  const { ledger } = await openLedger(database);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

export async function consentsList(
  database: string,
  sandbox: string,
  number: string | undefined,
  json: boolean,
  out: (text: string) => void,
): Promise<number> {
  if (number !== undefined && !E164.test(number)) {
    throw new StoreError("INVALID_INPUT", "--number: an E.164 number, e.g. +14155550100", "number");
  }
  const items = await withLedger(database, (l) => l.consents(sandbox, number));
  if (json) out(JSON.stringify({ items }) + "\n");
  else {
    out(
      items
        .map(
          (c) =>
            `${c.number}  sender=${c.sender}  ${c.status}${c.keyword ? `  keyword=${c.keyword}` : ""}  webhook=${c.webhookId}  ${c.updatedAt}\n`,
        )
        .join(""),
    );
  }
  return 0;
}

export async function messagesShow(
  database: string,
  sandbox: string,
  messageId: string,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const view = await withLedger(database, (l) => l.message(sandbox, messageId));
  if (!view) {
    err(`no delivery events for message ${messageId} in sandbox "${sandbox}"\n`);
    return 1;
  }
  out(JSON.stringify(view) + "\n");
  return 0;
}
