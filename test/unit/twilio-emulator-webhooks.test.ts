/**
 * The Twilio emulator calling webhooks as Twilio does (test/twilio-emulator/deliver.ts): inbound
 * messages and status callbacks POSTed form-encoded to the service's URLs, signed with the account's
 * auth token (checked here with the official `twilio` library's validator, an independent
 * implementation), and the answers recorded.
 */
import { validateRequest } from "twilio";
import { TwilioEmulator, twilioSignature } from "../twilio-emulator";
import { freePort, startRecordingServer, type TestServer } from "../support/http-server";

let emu: TwilioEmulator;
let hook: TestServer;
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Bye</Message></Response>';

beforeAll(async () => {
  emu = await TwilioEmulator.start();
  hook = await startRecordingServer((req, res) => {
    if (req.url?.startsWith("/in")) res.writeHead(200, { "Content-Type": "text/xml" }).end(TWIML);
    else if (req.url?.startsWith("/forbidden")) res.writeHead(403).end("no");
    else res.writeHead(204).end();
  });
});
afterAll(async () => {
  await hook.close();
  await emu.stop();
});
beforeEach(() => {
  hook.seen.length = 0;
  emu.clearDeliveries();
});

function world(opts: { advancedOptOut?: boolean; statusCallback?: string } = {}) {
  const account = emu.addAccount();
  const number = `+1415555${String(1000 + Math.floor(Math.random() * 8999))}`;
  const service = emu.addService(account.sid, {
    phoneNumbers: [number],
    inboundRequestUrl: `${hook.base}/in?sandbox=prod`,
    ...(opts.statusCallback ? { statusCallback: opts.statusCallback } : {}),
    ...(opts.advancedOptOut ? { advancedOptOut: true } : {}),
  });
  return { account, number, service };
}

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe("twilioSignature", () => {
  it("is what the twilio library validates: URL with query, params sorted by name", () => {
    const token = "a".repeat(32);
    const url = "https://hooks.example.com/v1/sandboxes/prod/webhooks/whk_1?x=1";
    const params = {
      To: "+14155550100",
      From: "+14155550199",
      Body: "STOP",
      AccountSid: `AC${"0".repeat(32)}`,
    };
    const sig = twilioSignature(token, url, params);
    expect(validateRequest(token, sig, url, params)).toBe(true);
    expect(validateRequest(`${token}x`, sig, url, params)).toBe(false);
    expect(validateRequest(token, sig, url.replace("whk_1", "whk_2"), params)).toBe(false);
    expect(validateRequest(token, sig, url, { ...params, Body: "START" })).toBe(false);
  });
});

describe("deliverInbound", () => {
  it("POSTs the message form-encoded and signed to the service's inbound URL, and records the answer", async () => {
    const { account, number, service } = world();
    const d = await emu.deliverInbound({ from: "+14155550199", to: number, body: "STOP" });
    expect(hook.seen).toHaveLength(1);
    const seen = hook.seen[0]!;
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/in?sandbox=prod");
    expect(seen.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    const params = form(seen.body);
    expect(params).toMatchObject({
      From: "+14155550199",
      To: number,
      Body: "STOP",
      AccountSid: account.sid,
      MessagingServiceSid: service.sid,
      SmsStatus: "received",
      NumMedia: "0",
      ApiVersion: "2010-04-01",
    });
    expect(params["MessageSid"]).toMatch(/^SM[0-9a-f]{32}$/);
    expect(params["SmsSid"]).toBe(params["MessageSid"]);
    expect(params).not.toHaveProperty("OptOutType");
    const signature = String(seen.headers["x-twilio-signature"]);
    expect(validateRequest(account.authToken, signature, `${hook.base}/in?sandbox=prod`, params)).toBe(true);
    expect(d).toMatchObject({
      kind: "inbound",
      url: `${hook.base}/in?sandbox=prod`,
      signature,
      response: { status: 200, contentType: "text/xml", body: TWIML },
    });
    expect(emu.deliveries).toEqual([d]);
  });

  it("repeats a MessageSid when asked (Twilio retrying), signed the same", async () => {
    const { number } = world();
    const first = await emu.deliverInbound({ from: "+14155550199", to: number, body: "Hi" });
    const again = await emu.deliverInbound({
      from: "+14155550199",
      to: number,
      body: "Hi",
      messageSid: first.params["MessageSid"],
    });
    expect(again.params).toEqual(first.params);
    expect(again.signature).toBe(first.signature);
  });

  it("Advanced Opt-Out: OptOutType for the service's keywords, case-insensitive; never on other text", async () => {
    const { number } = world({ advancedOptOut: true });
    const cases: [string, string | undefined][] = [
      ["stop", "STOP"],
      [" Unsubscribe ", "STOP"],
      ["START", "START"],
      ["help", "HELP"],
      ["stop please", undefined],
    ];
    for (const [body, expected] of cases) {
      const d = await emu.deliverInbound({ from: "+14155550199", to: number, body });
      expect(d.params["OptOutType"]).toBe(expected);
    }
    const explicitNone = await emu.deliverInbound({
      from: "+14155550199",
      to: number,
      body: "STOP",
      optOutType: null,
    });
    expect(explicitNone.params).not.toHaveProperty("OptOutType");
  });

  it("an explicit OptOutType is sent even without Advanced Opt-Out", async () => {
    const { number } = world();
    const d = await emu.deliverInbound({
      from: "+14155550199",
      to: number,
      body: "Halt",
      optOutType: "STOP",
    });
    expect(d.params["OptOutType"]).toBe("STOP");
  });

  it("forgeries on request: another token, a given value, no signature, a signature for another URL", async () => {
    const { account, number } = world();
    const url = `${hook.base}/in?sandbox=prod`;
    const other = await emu.deliverInbound({
      from: "+14155550199",
      to: number,
      body: "STOP",
      signing: { kind: "token", authToken: "f".repeat(32) },
    });
    expect(validateRequest(account.authToken, other.signature!, url, other.params)).toBe(false);
    const value = await emu.deliverInbound({
      from: "+14155550199",
      to: number,
      body: "STOP",
      signing: { kind: "value", signature: "forged" },
    });
    expect(hook.seen[1]?.headers["x-twilio-signature"]).toBe("forged");
    expect(value.signature).toBe("forged");
    const none = await emu.deliverInbound({
      from: "+14155550199",
      to: number,
      body: "STOP",
      signing: { kind: "none" },
    });
    expect(none.signature).toBeNull();
    expect(hook.seen[2]?.headers).not.toHaveProperty("x-twilio-signature");
    // Signed right, but for the URL it was not sent to.
    const elsewhere = await emu.deliverInbound({
      from: "+14155550199",
      to: number,
      body: "STOP",
      url: `${hook.base}/in?sandbox=staging`,
    });
    expect(validateRequest(account.authToken, elsewhere.signature!, url, elsewhere.params)).toBe(false);
  });

  it("records a refused connection as status 0 with the error, and a non-2xx answer as it came", async () => {
    const { account, number } = world();
    const dead = `http://127.0.0.1:${await freePort()}/hook`;
    const d = await emu.deliverInbound({ from: "+14155550199", to: number, body: "Hi", url: dead });
    expect(d.response).toEqual({ status: 0, contentType: null, body: "", error: "ECONNREFUSED" });
    const svc = emu.addService(account.sid, { inboundRequestUrl: `${hook.base}/forbidden` });
    emu.addServicePhoneNumber(svc.sid, "+14155550777");
    const refused = await emu.deliverInbound({ from: "+14155550199", to: "+14155550777", body: "Hi" });
    expect(refused.response).toMatchObject({ status: 403, body: "no" });
  });

  it.each([
    [{ from: "not a number", to: "+14155550100", body: "x" }, /from must be an E\.164 number/],
    [{ from: "+14155550199", to: "+19995550000", body: "x" }, /is not a number of any emulated account/],
  ])("refuses %p", async (d, message) => {
    await expect(emu.deliverInbound(d)).rejects.toThrow(message);
  });

  it("refuses a number in no service with an inbound URL", async () => {
    const a = emu.addAccount();
    emu.addIncomingNumber(a.sid, "+14155550888");
    await expect(emu.deliverInbound({ from: "+14155550199", to: "+14155550888", body: "x" })).rejects.toThrow(
      /in no Messaging Service with an inbound request URL/,
    );
  });
});

describe("deliverStatus", () => {
  it("posts to the message's own StatusCallback, signed, with MessageStatus and ErrorCode, in the order asked", async () => {
    const { account, number, service } = world({ statusCallback: `${hook.base}/service-status` });
    const sid = await emu.sendMessage(account, {
      To: "+14155550199",
      MessagingServiceSid: service.sid,
      Body: "Your code is 1234",
      StatusCallback: `${hook.base}/own-status`,
    });
    // Out of order: delivered arrives before sent, as Twilio allows.
    const delivered = await emu.deliverStatus({ messageSid: sid, status: "delivered" });
    const sent = await emu.deliverStatus({ messageSid: sid, status: "sent" });
    const failed = await emu.deliverStatus({ messageSid: sid, status: "undelivered", errorCode: 30003 });
    expect(hook.seen.map((s) => [s.url, form(s.body)["MessageStatus"]])).toEqual([
      ["/own-status", "delivered"],
      ["/own-status", "sent"],
      ["/own-status", "undelivered"],
    ]);
    expect(delivered.params).toMatchObject({
      MessageSid: sid,
      SmsSid: sid,
      MessageStatus: "delivered",
      SmsStatus: "delivered",
      To: "+14155550199",
      AccountSid: account.sid,
      MessagingServiceSid: service.sid,
    });
    expect(delivered.params).not.toHaveProperty("ErrorCode");
    expect(failed.params["ErrorCode"]).toBe("30003");
    expect(sent.response.status).toBe(204);
    for (const d of [delivered, sent, failed])
      expect(validateRequest(account.authToken, d.signature!, d.url, d.params)).toBe(true);
    expect(number).toBeDefined();
  });

  it("falls back to the service's status callback", async () => {
    const { account, service } = world({ statusCallback: `${hook.base}/service-status` });
    const sid = await emu.sendMessage(account, {
      To: "+14155550199",
      MessagingServiceSid: service.sid,
      Body: "Hi",
    });
    const d = await emu.deliverStatus({ messageSid: sid, status: "sent" });
    expect(d.url).toBe(`${hook.base}/service-status`);
  });

  it("sendMessage: an application's message is accepted, and a refusal throws with Twilio's answer", async () => {
    const { account, service } = world();
    const sid = await emu.sendMessage(account, {
      To: "+14155550199",
      MessagingServiceSid: service.sid,
      Body: "Hi",
    });
    expect(emu.messages.map((m) => m.sid)).toContain(sid);
    await expect(
      emu.sendMessage({ sid: account.sid, authToken: "0".repeat(32) }, { To: "+14155550199", Body: "Hi" }),
    ).rejects.toThrow(/the emulator refused the message: 401/);
  });

  it("refuses an unknown message, and one with nowhere to post", async () => {
    const { account, service } = world();
    await expect(emu.deliverStatus({ messageSid: `SM${"0".repeat(32)}`, status: "sent" })).rejects.toThrow(
      /no message/,
    );
    const sid = await emu.sendMessage(account, {
      To: "+14155550199",
      MessagingServiceSid: service.sid,
      Body: "Hi",
    });
    await expect(emu.deliverStatus({ messageSid: sid, status: "sent" })).rejects.toThrow(
      /has no StatusCallback/,
    );
  });
});

describe("the admin API drives deliveries from another process", () => {
  async function admin(method: string, path: string, body?: unknown) {
    const res = await fetch(`${emu.adminUrl}${path}`, {
      method,
      ...(body !== undefined
        ? { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }
        : {}),
    });
    return {
      status: res.status,
      body: res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>),
    };
  }

  it("POST /inbound and /status deliver and answer the delivery; GET/DELETE /deliveries", async () => {
    const { account, number, service } = world({ statusCallback: `${hook.base}/service-status` });
    const inbound = await admin("POST", "/inbound", { from: "+14155550199", to: number, body: "STOP" });
    expect(inbound.status).toBe(200);
    expect(inbound.body).toMatchObject({ kind: "inbound", response: { status: 200, body: TWIML } });
    const sid = await emu.sendMessage(account, {
      To: "+14155550199",
      MessagingServiceSid: service.sid,
      Body: "Hi",
    });
    const status = await admin("POST", "/status", { messageSid: sid, status: "delivered" });
    expect(status.body).toMatchObject({ kind: "status", params: { MessageStatus: "delivered" } });
    const all = await admin("GET", "/deliveries");
    expect((all.body?.["deliveries"] as unknown[]).length).toBe(2);
    expect((await admin("DELETE", "/deliveries")).status).toBe(204);
    expect((await admin("GET", "/deliveries")).body).toEqual({ deliveries: [] });
  });

  it.each([
    [{ from: "+14155550199", body: "x" }],
    [{ from: "+14155550199", to: "+14155550100", body: "x", signing: { kind: "bogus" } }],
    [{ from: "+14155550199", to: "+14155550100", body: "x", extra: 1 }],
    [{ from: "+14155550199", to: "+19995550001", body: "x" }],
  ])("answers 400 to a bad inbound request %p", async (body) => {
    const r = await admin("POST", "/inbound", body);
    expect(r.status).toBe(400);
    expect(typeof r.body?.["error"]).toBe("string");
  });
});
