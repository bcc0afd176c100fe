/**
 * A provider context for handler tests: the real embedded SQLite store in a temporary folder, the
 * Twilio emulator on loopback (in this process), and a stand-in webhook receiver that answers
 * `GET /healthz` as the real one does. No Pulumi engine: tests call the handlers directly.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ProviderContext, type ContextSeams } from "../../provider/handlers/context";
import { resolveSettings } from "../../provider/config";
import type { CredentialStore } from "../../store/types";
import { smsApiCredential } from "../../provider/handlers/smsApiCredential";
import { TwilioEmulator, type AddServiceOptions, type SeededAccount } from "../twilio-emulator";
import type { TestServer } from "./http-server";
import { startReceiverHealthStub } from "./receiver-stub";

// Real SQLite and HTTP on a shared, busy machine: a slow moment must not fail a test (set for every
// test file that imports this).
jest.setTimeout(30_000);

export interface Harness {
  readonly ctx: ProviderContext;
  readonly twilio: TwilioEmulator;
  /** The store the context opened (the same SQLite file). */
  readonly store: CredentialStore;
  /** The stand-in receiver: `smschannels:webhookBaseUrl`. */
  readonly receiver: TestServer;
  close(): Promise<void>;
}

export async function startHarness(
  config: Record<string, string> = {},
  seams: ContextSeams = {},
): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "smschannels-handlers-"));
  const twilio = await TwilioEmulator.start();
  const receiver = await startReceiverHealthStub();
  const values: Record<string, string> = {
    "smschannels:storePath": path.join(dir, "store.db"),
    "smschannels:storeKey": randomBytes(32).toString("base64"),
    "smschannels:twilioApiUrl": twilio.url,
    "smschannels:webhookBaseUrl": receiver.base,
    "smschannels:validation": "strict",
    "smschannels:twilioTimeoutMs": "2000",
    // Custom vendors in these tests are loopback emulators; test/security/ssrf.test.ts sets "false".
    "smschannels:allowPrivateVendorHosts": "true",
    ...config,
  };
  // The environment must not leak into the test's settings.
  const ctx = new ProviderContext(resolveSettings({ get: (k) => values[k] }, {}, dir), undefined, seams);
  const store = await ctx.store();
  return {
    ctx,
    twilio,
    store,
    receiver,
    async close() {
      await ctx.close();
      await Promise.all([twilio.stop(), receiver.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const ACTOR = { actor: "test" };

/** What the engine would give a create of `name`: the URN the resource class puts in `ownerUrn`. */
export function urnOf(type: string, name: string): string {
  return `urn:pulumi:test::handlers::pulumi-nodejs:dynamic/smschannels:${type}::${name}`;
}

let nextNumber = 0;
/** An E.164 number no other test of this process uses (the emulator's numbers are global). */
export function freshNumber(): string {
  nextNumber++;
  return `+1415${String(process.pid % 1000).padStart(3, "0")}${String(nextNumber).padStart(4, "0")}`;
}

export const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString("hex")}`;

/** A Twilio account of the emulator, with a messaging service that owns one fresh number. */
export function twilioAccount(h: Harness, service: AddServiceOptions = {}) {
  const account = h.twilio.addAccount({ friendlyName: "Acme" });
  const number = freshNumber();
  const seeded = h.twilio.addService(account.sid, { ...service, phoneNumbers: [number] });
  return { account, service: seeded, number };
}

/** A stored twilio-sms credential of such an account (made through its own handler), for what refers to one. */
export async function storedTwilioCredential(
  h: Harness,
  service: AddServiceOptions = {},
): Promise<{ id: string; number: string; serviceSid: string; account: SeededAccount }> {
  const { account, service: seeded, number } = twilioAccount(h, service);
  const { id } = await smsApiCredential.create(
    h.ctx,
    twilioCredentialInputs(unique("cred"), account, { messagingServiceSid: seeded.sid }),
  );
  return { id, number, serviceSid: seeded.sid, account };
}

/** Inputs of an SmsApiCredential of `account` that signs in with its auth token. */
export function twilioCredentialInputs(
  name: string,
  account: { sid: string; authToken: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { sandbox: "prod", name, accountSid: account.sid, authToken: account.authToken, ...extra };
}

/** Inputs of a CustomRcsCredential that posts to `providerUrl` with a fresh bearer token. */
export function customCredentialInputs(
  name: string,
  providerUrl: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    sandbox: "prod",
    name,
    providerName: "Acme RCS",
    providerUrl,
    auth: { type: "bearer", token: randomBytes(16).toString("hex") },
    payloadTemplate: '{"to":"{{toNumber}}","from":"{{fromNumber}}","text":"{{message}}"}',
    ...extra,
  };
}
