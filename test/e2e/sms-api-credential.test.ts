import { openEmbeddedStore } from "../../store/embedded";
import { TwilioEmulator } from "../twilio-emulator";
import { freePort } from "../support/http-server";
import { changes, diagnostics, expectFailure, expectSuccess, TestStack } from "../support/pulumi";

/**
 * SmsApiCredential driven through the real Pulumi CLI on a temporary file backend, against the
 * Twilio emulator on loopback. Each test has its own program folder, state and store.
 */
let emu: TwilioEmulator;
const stacks: TestStack[] = [];

beforeAll(async () => {
  emu = await TwilioEmulator.start();
});
afterAll(async () => {
  for (const s of stacks) s.cleanup();
  await emu.stop();
});

async function stack(fixture: string, config: Record<string, string>, secrets: Record<string, string>) {
  const s = await TestStack.create(fixture, {
    config: { "smschannels:twilioApiUrl": emu.url, ...config },
    secrets,
  });
  stacks.push(s);
  return s;
}

function account() {
  const a = emu.addAccount({ friendlyName: "Acme SMS" });
  const number = emu.addIncomingNumber(a.sid, `+1415555${String(1000 + Math.floor(Math.random() * 8999))}`);
  const service = emu.addService(a.sid, { friendlyName: "Acme notifications" });
  return { ...a, number: number.phoneNumber, serviceSid: service.sid };
}

function accountCalls(sid: string): number {
  return emu.requests.filter((r) => r.path === `/2010-04-01/Accounts/${sid}.json`).length;
}

test("a wrong token fails in preview, names authToken and Twilio error 20003, and prints no token", async () => {
  const a = account();
  const wrongToken = "f".repeat(32);
  const s = await stack("sms-credential", { "test:accountSid": a.sid }, { "test:authToken": wrongToken });
  const r = expectFailure(await s.preview());
  // The engine prints "property authToken value {[secret]} has a problem: <our reason>".
  expect(diagnostics(r, "error")).toMatch(
    /property authToken value .* has a problem: Twilio rejected the credentials of account AC[0-9a-f]{32}: Twilio error 20003/,
  );
  expect(diagnostics(r, "error")).toContain("https://www.twilio.com/docs/errors/20003");
  expect(r.output).not.toContain(wrongToken);
  expect(r.output).not.toContain(a.authToken);
  // Preview writes nothing: no store file was even created.
  expect(require("node:fs").existsSync(s.storePath)).toBe(false);
});

test("a preview whose inputs are still unknown passes without reporting them", async () => {
  const a = account();
  const s = await stack(
    "unknown-inputs",
    { "test:accountSid": a.sid, "test:messagingServiceSid": a.serviceSid },
    { "test:authToken": a.authToken },
  );
  emu.clearRequests();
  const r = expectSuccess(await s.preview());
  expect(changes(r)["create"]).toBe(4);
  // Nothing could be checked yet, so nothing was asked.
  expect(accountCalls(a.sid)).toBe(0);
  expectSuccess(await s.up());
});

test("up creates; a new token updates in place; a new sandbox replaces; state holds no secret and a small provider", async () => {
  const a = account();
  const key = emu.addApiKey(a.sid, "standard");
  const s = await stack(
    "sms-credential",
    { "test:accountSid": a.sid, "test:messagingServiceSid": a.serviceSid, "test:inboundNumber": a.number },
    { "test:authToken": a.authToken },
  );
  const up = expectSuccess(await s.up());
  expect(changes(up)["create"]).toBe(2);
  const out = await s.outputs();
  expect(out["credentialId"]).toMatch(/^cred_[0-9a-f]{24}$/);
  expect(out["secretFingerprint"]).toMatch(/^[0-9a-f]{16}$/);
  expect(out["accountFriendlyName"]).toBe("Acme SMS");
  expect(out["accountType"]).toBe("Full");

  const checkState = async (secrets: string[]) => {
    const text = await s.exportText();
    for (const secret of secrets) expect(text).not.toContain(secret);
    const resources = await s.exportState();
    const cred = resources.find((r) => r.type === "pulumi-nodejs:dynamic/smschannels:SmsApiCredential");
    const provider = String(cred?.outputs?.["__provider"]);
    expect(provider).toContain('require("pulumi-sms-channels/handlers")');
    expect(Buffer.byteLength(provider)).toBeLessThan(2048);
    return cred;
  };
  const first = await checkState([a.authToken]);

  // Rotate: the account gets a new token; the same record is updated in place.
  const newToken = emu.rotateAuthToken(a.sid);
  await s.setConfig("test:authToken", newToken, true);
  const upd = expectSuccess(await s.up());
  expect(changes(upd)["update"]).toBe(1);
  const after = await s.outputs();
  expect(after["credentialId"]).toBe(out["credentialId"]);
  expect(after["secretFingerprint"]).not.toBe(out["secretFingerprint"]);

  // Switch to an API key: another secret, still in place.
  await s.run(["config", "rm", "test:authToken"]);
  await s.setConfig("test:apiKeySid", key.sid);
  await s.setConfig("test:apiKeySecret", key.secret, true);
  const keyed = expectSuccess(await s.up());
  expect(changes(keyed)["update"]).toBe(1);
  await checkState([a.authToken, newToken, key.secret]);

  // A new sandbox is another record: replace.
  await s.setConfig("test:sandbox", "staging");
  const pre = expectSuccess(await s.preview());
  expect(changes(pre)["replace"]).toBe(1);
  const repl = expectSuccess(await s.up());
  expect(changes(repl)["replace"]).toBe(1);
  const replaced = await s.outputs();
  expect(replaced["sandbox"]).toBe("staging");
  expect(replaced["credentialId"]).not.toBe(out["credentialId"]);
  const store = await openEmbeddedStore({ path: s.storePath });
  try {
    expect(await store.get("prod", "api-credential", String(out["credentialId"]))).toBeUndefined();
    const rec = await store.get("staging", "api-credential", String(replaced["credentialId"]));
    expect(rec?.data["apiKeySid"]).toBe(key.sid);
  } finally {
    await store.close();
  }
  expect(first?.id).toBe(out["credentialId"]);
  expectSuccess(await s.destroy());
});

test("a record deleted outside Pulumi: refresh notices, up recreates, destroy succeeds", async () => {
  const a = account();
  const s = await stack("sms-credential", { "test:accountSid": a.sid }, { "test:authToken": a.authToken });
  expectSuccess(await s.up());
  const id = String((await s.outputs())["credentialId"]);
  const store = await openEmbeddedStore({ path: s.storePath });
  try {
    expect(await store.delete("prod", "api-credential", id, { actor: "e2e-test" })).toBe("deleted");
  } finally {
    await store.close();
  }
  const refresh = expectSuccess(await s.refresh());
  expect(changes(refresh)["delete"]).toBe(1);
  const up = expectSuccess(await s.up());
  expect(changes(up)["create"]).toBe(1);
  const newId = String((await s.outputs())["credentialId"]);
  expect(newId).not.toBe(id);
  const destroy = expectSuccess(await s.destroy());
  expect(changes(destroy)["delete"]).toBe(2);
});

test("two 429s from Twilio, then success: preview passes after retrying", async () => {
  const a = account();
  const s = await stack("sms-credential", { "test:accountSid": a.sid }, { "test:authToken": a.authToken });
  emu.clearRequests();
  emu.injectFault({
    kind: "status",
    status: 429,
    code: 20429,
    times: 2,
    match: { path: `/2010-04-01/Accounts/${a.sid}.json` },
  });
  expectSuccess(await s.preview());
  const calls = emu.requests.filter((q) => q.path === `/2010-04-01/Accounts/${a.sid}.json`);
  expect(calls.map((c) => c.status)).toEqual([429, 429, 200]);
});

test("Twilio unreachable (connection refused): preview fails within the timeout budget with a clear message", async () => {
  const a = account();
  const closedPort = await freePort();
  const s = await stack(
    "sms-credential",
    { "test:accountSid": a.sid, "smschannels:twilioApiUrl": `http://127.0.0.1:${closedPort}` },
    { "test:authToken": a.authToken },
  );
  const r = expectFailure(await s.preview());
  expect(r.output).toMatch(
    /property accountSid value .* has a problem: could not validate account AC[0-9a-f]{32} with Twilio: could not reach Twilio at http:\/\/127\.0\.0\.1:\d+\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\.json \(connection refused\) after 4 attempt\(s\)/,
  );
  expect(r.output).toContain('to "warn"');
  // Four attempts with at most 0.2+0.4+0.8 s of backoff, plus the engine's own start-up.
  expect(r.ms).toBeLessThan(30_000);
  expect(r.output).not.toContain(a.authToken);
});

test('validation "off": Twilio sees no call, in preview or up', async () => {
  const a = account();
  const s = await stack(
    "sms-credential",
    { "test:accountSid": a.sid, "smschannels:validation": "off" },
    { "test:authToken": "0".repeat(32) },
  );
  emu.clearRequests();
  expectSuccess(await s.preview());
  expectSuccess(await s.up());
  expect(emu.requests.filter((q) => q.authUser === a.sid)).toHaveLength(0);
});

test("one preview of 20 credentials over 2 accounts asks Twilio about 2 credentials only", async () => {
  const a = account();
  const b = account();
  const s = await stack(
    "many-credentials",
    { "test:accountSidA": a.sid, "test:accountSidB": b.sid },
    { "test:authTokenA": a.authToken, "test:authTokenB": b.authToken },
  );
  emu.clearRequests();
  const r = expectSuccess(await s.preview());
  expect(changes(r)["create"]).toBe(21);
  expect(new Set(emu.requests.map((q) => q.authUser))).toEqual(new Set([a.sid, b.sid]));
  expect(accountCalls(a.sid)).toBe(1);
  expect(accountCalls(b.sid)).toBe(1);
  expect(emu.requests).toHaveLength(2);
});

test("verifyConnection sends one sample message on up, none in preview, and its SID is an output", async () => {
  const a = account();
  const s = await stack(
    "sms-credential",
    { "test:accountSid": a.sid, "test:inboundNumber": a.number },
    { "test:authToken": a.authToken },
  );
  await s.setConfig(
    "test:verifyConnection",
    JSON.stringify({ to: "+14155550199", message: "Hello from Pulumi" }),
  );
  emu.clearMessages();
  expectSuccess(await s.preview());
  expect(emu.messages).toHaveLength(0);
  expectSuccess(await s.up());
  expect(emu.messages).toHaveLength(1);
  expect(emu.messages[0]).toMatchObject({ to: "+14155550199", from: a.number, body: "Hello from Pulumi" });
  expect((await s.outputs())["verificationMessageSid"]).toMatch(/^SM[0-9a-f]{32}$/);
  // An unchanged verifyConnection sends nothing more.
  expectSuccess(await s.up());
  expect(emu.messages).toHaveLength(1);
});

test("a record changed by someone else since is a conflict, not an overwrite; refresh then up converges", async () => {
  const a = account();
  const s = await stack(
    "sms-credential",
    { "test:accountSid": a.sid, "test:inboundNumber": a.number },
    { "test:authToken": a.authToken },
  );
  expectSuccess(await s.up());
  const id = String((await s.outputs())["credentialId"]);
  // Another team changes the record through the store.
  const store = await openEmbeddedStore({ path: s.storePath });
  try {
    const rec = await store.get("prod", "api-credential", id);
    await store.update(
      "prod",
      "api-credential",
      id,
      rec!.version,
      { data: { ...rec!.data, inboundNumber: "+14155550777" } },
      { actor: "other-team" },
    );
  } finally {
    await store.close();
  }
  await s.setConfig("test:messagingServiceSid", a.serviceSid);
  const conflict = expectFailure(await s.up());
  expect(diagnostics(conflict, "error")).toMatch(
    /was changed by someone else since \(version 1 expected, 2 found\); run `pulumi refresh`/,
  );
  expect(diagnostics(conflict, "error")).toContain("[CONFLICT]");
  // The other team's change is still there: nothing was overwritten.
  const check = await openEmbeddedStore({ path: s.storePath });
  try {
    expect((await check.get("prod", "api-credential", id))?.data["inboundNumber"]).toBe("+14155550777");
  } finally {
    await check.close();
  }
  expectSuccess(await s.refresh());
  const up = expectSuccess(await s.up());
  expect(changes(up)["update"]).toBe(1);
});

test('validation "warn": a wrong token is a warning, and preview goes on', async () => {
  const a = account();
  const wrongToken = "e".repeat(32);
  const s = await stack(
    "sms-credential",
    { "test:accountSid": a.sid, "smschannels:validation": "warn" },
    { "test:authToken": wrongToken },
  );
  const r = expectSuccess(await s.preview());
  expect(r.output).toMatch(
    /warning: smschannels: twilio-main: authToken: Twilio rejected the credentials .* \(validation is "warn": going on\)/,
  );
  expect(r.output).not.toContain(wrongToken);
});
