import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { keyFileFor } from "../../store/embedded";
import { TwilioEmulator } from "../twilio-emulator";
import { freePort } from "../support/http-server";
import { changes, errors, expectFailure, expectSuccess, TestStack } from "../support/pulumi";
import { consentsList, messageShow, ReceiverProcess } from "../support/receiver-process";

/**
 * The whole loop of issue 8 on the real Pulumi CLI: `pulumi up` points a Twilio service at the
 * webhooks only where the receiver (`pulumi-sms-channels-store receive`, from dist/, on the stack's
 * embedded store file) answers; the emulator then delivers as Twilio does (signed STOP, a forgery,
 * status callbacks out of order) and the ledger shows what the receiver made of them; `pulumi
 * destroy` puts the service's URLs back. Results are read from the engine's events (harness).
 */
let emu: TwilioEmulator;
const receivers: ReceiverProcess[] = [];
const stacks: TestStack[] = [];

beforeAll(async () => {
  emu = await TwilioEmulator.start();
});
afterAll(async () => {
  for (const r of receivers) await r.stop();
  for (const s of stacks) s.cleanup();
  await emu.stop();
});

/**
 * A stack of the webhook-loop program on the emulator, with a fresh store key (none with `keyFile`:
 * the embedded store's key file then, as the quick start has it) and the receiver's port and base URL
 * chosen (nothing listens there yet); `config` and `secrets` are the program's own.
 */
async function loopStack<K extends boolean = false>(
  config: Record<string, string>,
  secrets: Record<string, string>,
  keyFile?: K,
): Promise<{ s: TestStack; key: K extends true ? undefined : string; port: number; base: string }> {
  const key = keyFile ? undefined : randomBytes(32).toString("base64");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const s = await TestStack.create("webhook-loop", {
    config: { "smschannels:twilioApiUrl": emu.url, "smschannels:webhookBaseUrl": base, ...config },
    secrets: { ...secrets, ...(key ? { "smschannels:storeKey": key } : {}) },
  });
  stacks.push(s);
  return { s, key: key as K extends true ? undefined : string, port, base };
}

/**
 * A STOP from `profile`, signed as Twilio signs: answered 200 with the opt-out reply, and the number
 * opted out in the stack's store; then a START signed with `wrongToken`: 403, and nothing changes.
 */
async function stopThenForged(
  s: TestStack,
  key: string | undefined,
  to: { profile: string; number: string },
  wrongToken: string,
): Promise<void> {
  const stop = await emu.deliverInbound({ from: to.profile, to: to.number, body: "STOP" });
  expect(stop.response.status).toBe(200);
  expect(stop.response.body).toContain("<Message>");
  const optedOut = [expect.objectContaining({ number: to.profile, status: "opted-out" })];
  expect((await consentsList(s.storePath, key, "prod", to.profile)).items).toEqual(optedOut);
  const forged = await emu.deliverInbound({
    from: to.profile,
    to: to.number,
    body: "START",
    signing: { kind: "token", authToken: wrongToken },
  });
  expect(forged.response.status).toBe(403);
  expect((await consentsList(s.storePath, key, "prod", to.profile)).items).toEqual(optedOut);
}

test("attach refused while the receiver is down; then up, STOP, a forgery, status callbacks, destroy", async () => {
  const account = emu.addAccount({ friendlyName: "Loop" });
  const number = "+14155550140";
  const profile = "+14155550199";
  const service = emu.addService(account.sid, {
    phoneNumbers: [number],
    inboundRequestUrl: "https://before.example.com/in",
    statusCallback: "https://before.example.com/status",
  });
  const { s, key, port, base } = await loopStack(
    { "test:accountSid": account.sid, "test:messagingServiceSid": service.sid, "test:number": number },
    { "test:authToken": account.authToken },
  );
  const database = s.storePath;

  // 1. Nothing answers at webhookBaseUrl: both attaches are refused, the service is as it was.
  const refused = expectFailure(await s.up());
  const messages = errors(refused).map((d) => d.message);
  expect(
    messages.some((m) => m.includes(`refused to point Messaging Service ${service.sid} at ${base}`)),
  ).toBe(true);
  expect(messages.some((m) => m.includes(`GET ${base}/healthz failed: ECONNREFUSED`))).toBe(true);
  expect(messages.some((m) => m.includes(`pulumi-sms-channels-store receive --database ${database}`))).toBe(
    true,
  );
  expect(emu.getService(service.sid)).toMatchObject({
    inboundRequestUrl: "https://before.example.com/in",
    statusCallback: "https://before.example.com/status",
  });
  expect(emu.requests.filter((r) => r.method === "POST" && r.path === `/v1/Services/${service.sid}`)).toEqual(
    [],
  );

  // 2. With the receiver on the stack's store file, the same up attaches both webhooks.
  receivers.push(await ReceiverProcess.start({ database, key, port, publicUrl: base }));
  const up = expectSuccess(await s.up());
  expect(changes(up)["create"]).toBe(2);
  const out = await s.outputs();
  const inboundUrl = String(out["inboundUrl"]);
  expect(inboundUrl).toBe(`${base}/v1/sandboxes/prod/webhooks/${String(out["inboundId"])}`);
  expect(emu.getService(service.sid)).toMatchObject({
    inboundRequestUrl: inboundUrl,
    statusCallback: out["feedbackUrl"],
  });

  // 3. STOP from a profile number, signed as Twilio signs: the opt-out reply, and the number opted out.
  const stop = await emu.deliverInbound({ from: profile, to: number, body: "STOP" });
  expect(stop.url).toBe(inboundUrl);
  expect(stop.response.status).toBe(200);
  expect(stop.response.contentType).toMatch(/^text\/xml/);
  expect(stop.response.body).toContain("<Message>You are unsubscribed. Reply START to come back.</Message>");
  const optedOut = await consentsList(database, key, "prod", profile);
  expect(optedOut.items).toEqual([
    expect.objectContaining({
      number: profile,
      sender: number,
      status: "opted-out",
      webhookId: out["inboundId"],
    }),
  ]);

  // 4. A forged START (signed with another token), and one signed for another URL: 403, nothing changes.
  const forged = await emu.deliverInbound({
    from: profile,
    to: number,
    body: "START",
    signing: { kind: "token", authToken: randomBytes(16).toString("hex") },
  });
  expect(forged.response.status).toBe(403);
  const elsewhere = await emu.deliverInbound({
    from: profile,
    to: number,
    body: "START",
    signing: { kind: "token", authToken: account.authToken },
    url: inboundUrl.replace("/sandboxes/prod/", "/sandboxes/staging/"),
  });
  expect(elsewhere.response.status).not.toBe(200);
  expect((await consentsList(database, key, "prod", profile)).items).toEqual(optedOut.items);

  // 5. An application sends through the service; Twilio reports delivered, then a late "sent".
  const messageSid = await emu.sendMessage(account, {
    To: "+14155550123",
    MessagingServiceSid: service.sid,
    Body: "Hi",
  });
  const delivered = await emu.deliverStatus({ messageSid, status: "delivered" });
  expect(delivered.url).toBe(out["feedbackUrl"]);
  expect(delivered.response.status).toBe(200);
  expect((await emu.deliverStatus({ messageSid, status: "sent" })).response.status).toBe(200);
  const status = await messageShow(database, key, "prod", messageSid);
  expect(status).toMatchObject({ messageId: messageSid, status: "delivered" });
  expect(status?.["events"]).toHaveLength(2);

  // 6. Destroy puts both of the service's URLs back.
  expectSuccess(await s.destroy());
  expect(emu.getService(service.sid)).toMatchObject({
    inboundRequestUrl: "https://before.example.com/in",
    statusCallback: "https://before.example.com/status",
  });
});

test("a credential on an API key: preview asks for twilioAuthToken; with it, Twilio's signature checks out", async () => {
  const account = emu.addAccount({ friendlyName: "Loop with a key" });
  const apiKey = emu.addApiKey(account.sid, "standard");
  const number = "+14155550141";
  const profile = "+14155550198";
  const service = emu.addService(account.sid, { phoneNumbers: [number] });
  const { s, key, port, base } = await loopStack(
    {
      "test:accountSid": account.sid,
      "test:apiKeySid": apiKey.sid,
      "test:messagingServiceSid": service.sid,
      "test:number": number,
    },
    { "test:apiKeySecret": apiKey.secret },
  );

  // Preview, before anything exists: the webhook is refused, naming the field (the engine stops the
  // preview at the first resource that fails its check, so one of the two is reported).
  const preview = expectFailure(await s.preview());
  const refusals = errors(preview).filter((d) => d.message.includes("twilioAuthToken"));
  expect(refusals.length).toBeGreaterThan(0);
  for (const r of refusals) expect(["inbound", "feedback"]).toContain(r.urn?.split("::").pop());
  expect(refusals[0]?.message).toContain("the credential signs in with an API key");

  // With the account's auth token on the webhooks, the receiver checks Twilio's signature with it.
  // The failed preview made no store file: the receiver makes it.
  await s.setConfig("test:webhookAuthToken", account.authToken, true);
  receivers.push(await ReceiverProcess.start({ database: s.storePath, key, port, publicUrl: base }));
  expectSuccess(await s.up());
  // Then one signed with the key secret instead (what a confused client might do): refused.
  await stopThenForged(s, key, { profile, number }, apiKey.secret);
  expect(await s.exportText()).not.toContain(account.authToken);
  expectSuccess(await s.destroy());
});

test("the quick start's order on a fresh project: the receiver first makes the store, one up attaches, the key file serves it", async () => {
  const account = emu.addAccount({ friendlyName: "Receiver first" });
  const number = "+14155550142";
  const profile = "+14155550197";
  const service = emu.addService(account.sid, { phoneNumbers: [number] });
  const { s, port, base } = await loopStack(
    { "test:accountSid": account.sid, "test:messagingServiceSid": service.sid, "test:number": number },
    { "test:authToken": account.authToken },
    true,
  );
  // No store file, no key file, no SMSCHANNELS_STORE_KEY: the receiver makes the (empty) store and
  // says so; it has no key to read until the provider makes the key file with the first secret.
  expect(fs.existsSync(s.storePath)).toBe(false);
  const receiver = await ReceiverProcess.start({
    database: s.storePath,
    key: undefined,
    port,
    publicUrl: base,
  });
  receivers.push(receiver);
  expect(receiver.logs.some((l) => l.includes(`created the store file ${s.storePath}`))).toBe(true);
  expect(fs.statSync(s.storePath).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.dirname(s.storePath)).mode & 0o777).toBe(0o700);
  expect(fs.existsSync(keyFileFor(s.storePath))).toBe(false);

  const up = expectSuccess(await s.up());
  expect(changes(up)["create"]).toBe(4); // the stack, the credential, two webhooks
  expect(fs.statSync(keyFileFor(s.storePath)).mode & 0o777).toBe(0o600);
  const out = await s.outputs();
  expect(emu.getService(service.sid)?.inboundRequestUrl).toBe(out["inboundUrl"]);
  // The receiver reads the credential's auth token with the key file the provider made.
  await stopThenForged(s, undefined, { profile, number }, randomBytes(16).toString("hex"));
  expectSuccess(await s.destroy());
});
