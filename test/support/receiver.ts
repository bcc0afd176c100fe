/**
 * The webhook receiver under test: a store (SQLite file or a PostgreSQL database of its own) with
 * credential and webhook records written as the provider writes them, a ReceiverServer on loopback
 * reading them through a connection of its own, and helpers that deliver like Twilio (signed form
 * posts) and like a custom vendor (JSON).
 */
import { createHmac } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { request } from "undici";
import { resolveKeywords, type KeywordsInput } from "../../provider/schema/keywords";
import { CoreStore, Keyring, PostgresBackend, SqliteBackend, type StoredRecord } from "../../store";
import type { ReceiverLedger } from "../../store/receiver/ledger";
import { PostgresLedger } from "../../store/receiver/postgres-ledger";
import { ReceiverServer, type ReceiverServerOptions } from "../../store/receiver/server";
import { twilioSignature } from "../../store/receiver/signature";
import { SqliteLedger } from "../../store/receiver/sqlite-ledger";
import { createTestDatabase } from "./postgres";

export type Engine = "sqlite" | "postgres";
export const PUBLIC_URL = "https://hooks.example.test/sms";
export const ACCOUNT_SID = `AC${"0".repeat(31)}1`;
export const SENDER = "+14155550100";
const actor = { actor: "receiver-test" };

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export class ReceiverHarness {
  private servers: ReceiverServer[] = [];
  private ledgers: ReceiverLedger[] = [];
  private constructor(
    readonly engine: Engine,
    readonly core: CoreStore,
    readonly keyring: Keyring,
    /** The key as SMSCHANNELS_STORE_KEY holds it, for receivers in processes of their own. */
    readonly keyText: string,
    /** The SQLite file or the PostgreSQL URL. */
    readonly database: string,
    private readonly dispose: () => Promise<void>,
  ) {}

  static async open(engine: Engine, pgUrl?: string): Promise<ReceiverHarness> {
    const keyText = Keyring.generateKeyText();
    const keyring = Keyring.parse(keyText);
    if (engine === "sqlite") {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-receiver-"));
      const file = path.join(dir, "store.db");
      const core = await CoreStore.open(new SqliteBackend(file), keyring);
      return new ReceiverHarness(engine, core, keyring, keyText, file, async () =>
        fs.rmSync(dir, { recursive: true, force: true }),
      );
    }
    const db = await createTestDatabase(pgUrl as string, "smsc_recv");
    const core = await CoreStore.open(await PostgresBackend.open(db.url), keyring);
    return new ReceiverHarness(engine, core, keyring, keyText, db.url, () => db.drop());
  }

  /** A ledger on a connection of its own, as a receiver process has (`database`: e.g. through a proxy). */
  async ledger(database = this.database): Promise<ReceiverLedger> {
    const l =
      this.engine === "sqlite"
        ? new SqliteLedger(new SqliteBackend(database, { busyTimeoutMs: 1_000 }))
        : new PostgresLedger(
            await PostgresBackend.open(database, {
              pool: { connectionTimeoutMillis: 1_000 },
              onPoolError: () => undefined,
            }),
          );
    this.ledgers.push(l);
    return l;
  }

  /** A receiver on 127.0.0.1; returns its URL. */
  async start(
    options: Partial<ReceiverServerOptions> = {},
  ): Promise<{ url: string; server: ReceiverServer; ledger: ReceiverLedger }> {
    const ledger = options.ledger ?? (await this.ledger());
    const server = new ReceiverServer({ ledger, keyring: this.keyring, publicUrl: PUBLIC_URL, ...options });
    this.servers.push(server);
    return { url: await server.listen(0), server, ledger };
  }

  twilioCredential(
    name: string,
    secret: Record<string, string>,
    data: Record<string, unknown> = {},
  ): Promise<StoredRecord> {
    return this.core.create(
      {
        sandbox: "prod",
        kind: "api-credential",
        name,
        credentialType: "twilio-sms",
        data: { accountSid: ACCOUNT_SID, ...data },
        secret,
      },
      actor,
    );
  }

  customCredential(
    name: string,
    data: Record<string, unknown> = {},
    sandbox = "prod",
  ): Promise<StoredRecord> {
    return this.core.create(
      {
        sandbox,
        kind: "api-credential",
        name,
        credentialType: "custom-rcs",
        data: {
          providerName: "Vendor",
          providerUrl: "http://127.0.0.1:9/messages",
          payloadTemplate: '{"to":"{{toNumber}}","from":"{{fromNumber}}","text":"{{message}}"}',
          authType: "bearer",
          ...data,
        },
        secret: { auth: { type: "bearer", token: "vendor-token-for-tests" } },
      },
      actor,
    );
  }

  /** A webhook record as the provider writes it (data per PROTOCOL.md). */
  webhook(
    name: string,
    credential: StoredRecord,
    options: {
      type?: "inbound" | "feedback";
      keywords?: KeywordsInput;
      defaultReply?: string;
      senderNumber?: string;
      payloadMapping?: Record<string, string>;
      verification?: { type: "basic" | "bearer" | "hmac-sha256"; header?: string };
      secret?: Record<string, unknown>;
      sandbox?: string;
    } = {},
  ): Promise<StoredRecord> {
    const type = options.type ?? "inbound";
    return this.core.create(
      {
        sandbox: options.sandbox ?? "prod",
        kind: "webhook",
        name,
        data: {
          type,
          apiCredentialId: credential.id,
          apiCredentialType: credential.credentialType,
          ...(type === "inbound" ? { resolvedKeywords: resolveKeywords(options.keywords) } : {}),
          ...(options.keywords ? { keywords: options.keywords } : {}),
          ...(options.defaultReply ? { defaultReply: options.defaultReply } : {}),
          ...(options.senderNumber ? { senderNumber: options.senderNumber } : {}),
          ...(options.payloadMapping ? { payloadMapping: options.payloadMapping } : {}),
          ...(options.verification ? { verification: options.verification } : {}),
        },
        refs: [{ kind: "api-credential", id: credential.id }],
        ...(options.secret ? { secret: options.secret } : {}),
      },
      actor,
    );
  }

  /** The dedupe keys of every delivery in the ledger, read straight from the database. */
  async recordedKeys(): Promise<Set<string>> {
    const backend = this.core.backend;
    const rows =
      backend instanceof SqliteBackend
        ? await backend.run(
            (db) =>
              db.prepare("SELECT dedupe_key FROM receiver_deliveries").all() as { dedupe_key: string }[],
          )
        : (
            await (backend as PostgresBackend).query<{ dedupe_key: string }>(
              "SELECT dedupe_key FROM receiver_deliveries",
            )
          ).rows;
    return new Set(rows.map((r) => r.dedupe_key));
  }

  async close(): Promise<void> {
    for (const s of this.servers) await s.shutdown();
    for (const l of this.ledgers) await l.close();
    await this.core.close();
    await this.dispose();
  }
}

export function webhookPath(webhook: { id: string; sandbox: string }): string {
  return `/v1/sandboxes/${webhook.sandbox}/webhooks/${webhook.id}`;
}

/** A form post as Twilio sends it, signed with `token` for `signedUrl` (default: the public URL of the path). */
export async function postTwilio(
  receiverUrl: string,
  urlPath: string,
  params: Record<string, string>,
  token: string | undefined,
  options: { signedUrl?: string; signature?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const body = new URLSearchParams(params).toString();
  const signature =
    options.signature ??
    (token === undefined
      ? undefined
      : twilioSignature(token, options.signedUrl ?? `${PUBLIC_URL}${urlPath}`, Object.entries(params)));
  return post(receiverUrl + urlPath, body, {
    "content-type": "application/x-www-form-urlencoded",
    ...(signature !== undefined ? { "x-twilio-signature": signature } : {}),
    ...options.headers,
  });
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Answer> {
  const res = await request(url, { method: "POST", body, headers });
  return {
    status: res.statusCode,
    contentType: String(res.headers["content-type"] ?? ""),
    body: await res.body.text(),
  };
}

export async function get(url: string): Promise<Answer> {
  const res = await request(url);
  return {
    status: res.statusCode,
    contentType: String(res.headers["content-type"] ?? ""),
    body: await res.body.text(),
  };
}

export function hmacHex(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

let seq = 0;
/** A fresh Twilio-shaped message SID. */
export function messageSid(): string {
  seq++;
  return `SM${Date.now().toString(16).padStart(16, "0")}${seq.toString(16).padStart(16, "0")}`;
}

/** Twilio's inbound form for a text from `from` to our SENDER. */
export function inboundForm(
  from: string,
  body: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const sid = messageSid();
  return {
    ToCountry: "US",
    SmsMessageSid: sid,
    NumMedia: "0",
    SmsSid: sid,
    SmsStatus: "received",
    Body: body,
    To: SENDER,
    NumSegments: "1",
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    From: from,
    ApiVersion: "2010-04-01",
    ...extra,
  };
}

/** Twilio's status callback for our message `sid` from SENDER to `to`. */
export function statusForm(
  sid: string,
  status: string,
  extra: Record<string, string> = {},
  to = "+14155559999",
): Record<string, string> {
  return {
    SmsSid: sid,
    SmsStatus: status,
    MessageStatus: status,
    To: to,
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    From: SENDER,
    ApiVersion: "2010-04-01",
    ...extra,
  };
}
