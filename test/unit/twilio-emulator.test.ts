import { spawn } from "node:child_process";
import path from "node:path";
import twilioSdk from "twilio";
import { TwilioEmulator, type SeededAccount } from "../twilio-emulator";

/** Real server on 127.0.0.1:0, real HTTP requests. */

interface Creds {
  readonly user: string;
  readonly password: string;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

interface CallOptions {
  readonly auth?: Creds;
  readonly form?: Record<string, string>;
  readonly json?: unknown;
  readonly method?: string;
}

let twilio: TwilioEmulator;

beforeEach(async () => {
  twilio = await TwilioEmulator.start();
});

afterEach(async () => {
  await twilio.stop();
});

function basic(c: Creds): string {
  return `Basic ${Buffer.from(`${c.user}:${c.password}`).toString("base64")}`;
}

async function api(pathOrUrl: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.auth) headers["Authorization"] = basic(opts.auth);
  let body: string | undefined;
  if (opts.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  }
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${twilio.url}${pathOrUrl}`;
  const res = await fetch(url, {
    method: opts.method ?? (body !== undefined ? "POST" : "GET"),
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

function tokenOf(a: SeededAccount): Creds {
  return { user: a.sid, password: a.authToken };
}

function expectTwilioError(answer: Answer, status: number, code: number): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    code,
    message: expect.any(String),
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
}

function list(body: Record<string, unknown>, key: string): Array<Record<string, unknown>> {
  const items = body[key];
  if (!Array.isArray(items)) throw new Error(`no ${key} array in ${JSON.stringify(body)}`);
  return items as Array<Record<string, unknown>>;
}

function meta(body: Record<string, unknown>): Record<string, unknown> {
  return body["meta"] as Record<string, unknown>;
}

describe("start and stop", () => {
  it("listens on 127.0.0.1 with a free port and closes kept-alive connections on stop", async () => {
    expect(twilio.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(twilio.url).port)).toBeGreaterThan(0);
    const other = await TwilioEmulator.start();
    const account = other.addAccount();
    const first = await fetch(`${other.url}/2010-04-01/Accounts/${account.sid}.json`, {
      headers: { Authorization: basic(tokenOf(account)) },
    });
    expect(first.status).toBe(200);
    await first.text();
    await other.stop();
    await expect(fetch(`${other.url}/__emulator/health`)).rejects.toThrow();
  });

  it("stop() does not wait for requests held by a latency fault", async () => {
    const other = await TwilioEmulator.start();
    other.injectFault({ kind: "latency", ms: 60_000, times: 1 });
    const pending = fetch(`${other.url}/anything`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await other.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    // fetch fails (TypeError "fetch failed") instead of hanging
    expect(String(await pending)).toMatch(/TypeError/);
  });
});

describe("seeding", () => {
  it("makes Twilio-shaped SIDs and random 32-hex secrets", () => {
    const a = twilio.addAccount({ friendlyName: "Acme", type: "Trial" });
    const b = twilio.addAccount();
    expect(a.sid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(a.authToken).toMatch(/^[0-9a-f]{32}$/);
    expect(a.authToken).not.toBe(b.authToken);
    expect(a).toMatchObject({ friendlyName: "Acme", status: "active", type: "Trial" });
    const key = twilio.addApiKey(a.sid, "standard");
    expect(key.sid).toMatch(/^SK[0-9a-f]{32}$/);
    expect(key.secret).toMatch(/^[0-9a-f]{32}$/);
    const number = twilio.addIncomingNumber(a.sid, "+15005550006");
    expect(number).toEqual({
      sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      phoneNumber: "+15005550006",
      accountSid: a.sid,
    });
    const service = twilio.addService(a.sid, {
      friendlyName: "Alerts",
      inboundRequestUrl: "https://example.com/in",
      phoneNumbers: ["+15005550007"],
      channelSenders: ["rcs:acme_agent"],
    });
    expect(service.sid).toMatch(/^MG[0-9a-f]{32}$/);
    expect(service.channelSenders[0]?.sid).toMatch(/^XE[0-9a-f]{32}$/);
    expect(twilio.getService(service.sid)).toMatchObject({
      friendlyName: "Alerts",
      inboundRequestUrl: "https://example.com/in",
      statusCallback: null,
      phoneNumbers: ["+15005550007"],
      channelSenders: ["rcs:acme_agent"],
    });
    expect(() => twilio.addIncomingNumber(a.sid, "5551234")).toThrow(/E\.164/);
    expect(() => twilio.addIncomingNumber(b.sid, "+15005550006")).toThrow(/already belongs/);
    expect(() => twilio.addChannelSender(service.sid, "acme_agent")).toThrow(/channel address/);
  });
});

describe("authentication", () => {
  let account: SeededAccount;
  beforeEach(() => {
    account = twilio.addAccount({ friendlyName: "Acme Corp" });
  });

  it("fetches the account with its auth token, which the answer shows", async () => {
    const res = await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      sid: account.sid,
      owner_account_sid: account.sid,
      friendly_name: "Acme Corp",
      status: "active",
      type: "Full",
      auth_token: account.authToken,
      uri: `/2010-04-01/Accounts/${account.sid}.json`,
    });
    expect(res.body["date_created"]).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  });

  it("fetches the account with a main key, without revealing the auth token", async () => {
    const key = twilio.addApiKey(account.sid, "main");
    const res = await api(`/2010-04-01/Accounts/${account.sid}.json`, {
      auth: { user: key.sid, password: key.secret },
    });
    expect(res.status).toBe(200);
    expect(res.body["sid"]).toBe(account.sid);
    expect(res.body["auth_token"]).toBeNull();
  });

  it("refuses the Account resource to a standard key, but lets it use the rest", async () => {
    const key = twilio.addApiKey(account.sid, "standard");
    const auth = { user: key.sid, password: key.secret };
    twilio.addIncomingNumber(account.sid, "+15005550006");
    const service = twilio.addService(account.sid, { phoneNumbers: ["+15005550007"] });
    expectTwilioError(await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth }), 401, 20003);
    const numbers = await api(`/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`, { auth });
    expect(numbers.status).toBe(200);
    expect(list(numbers.body, "incoming_phone_numbers")).toHaveLength(2);
    const fetched = await api(`/v1/Services/${service.sid}`, { auth });
    expect(fetched.status).toBe(200);
    expect(fetched.body["sid"]).toBe(service.sid);
    const sent = await api(`/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      auth,
      form: { To: "+15558675310", From: "+15005550006", Body: "hi" },
    });
    expect(sent.status).toBe(201);
    expect(twilio.messages[0]?.authUser).toBe(key.sid);
  });

  it("answers 401/20003 to a wrong secret, a missing header, a revoked key and garbage", async () => {
    const key = twilio.addApiKey(account.sid, "main");
    const accountPath = `/2010-04-01/Accounts/${account.sid}.json`;
    const wrong = await api(accountPath, { auth: { user: account.sid, password: "f".repeat(32) } });
    expectTwilioError(wrong, 401, 20003);
    expect(wrong.body["message"]).toBe("Authenticate");
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    expectTwilioError(
      await api(accountPath, { auth: { user: key.sid, password: `${key.secret}x` } }),
      401,
      20003,
    );
    expectTwilioError(await api(accountPath), 401, 20003);
    expectTwilioError(await api(accountPath, { auth: { user: "nobody", password: "x" } }), 401, 20003);
    twilio.removeApiKey(key.sid);
    expectTwilioError(await api(accountPath, { auth: { user: key.sid, password: key.secret } }), 401, 20003);
  });

  it("rotates an auth token: the new one works, the old one is refused", async () => {
    const accountPath = `/2010-04-01/Accounts/${account.sid}.json`;
    const newToken = twilio.rotateAuthToken(account.sid);
    expect(newToken).toMatch(/^[0-9a-f]{32}$/);
    expect(newToken).not.toBe(account.authToken);
    expectTwilioError(await api(accountPath, { auth: tokenOf(account) }), 401, 20003);
    const res = await api(accountPath, { auth: { user: account.sid, password: newToken } });
    expect(res.status).toBe(200);
    expect(res.body["auth_token"]).toBe(newToken);
  });

  it("keeps each account to its own resources", async () => {
    const other = twilio.addAccount({ friendlyName: "Other" });
    const otherKey = twilio.addApiKey(other.sid, "main");
    const otherService = twilio.addService(other.sid, { phoneNumbers: ["+15005550009"] });
    // credentials of one account on another account's 2010 path
    expectTwilioError(
      await api(`/2010-04-01/Accounts/${other.sid}.json`, { auth: tokenOf(account) }),
      401,
      20003,
    );
    expectTwilioError(
      await api(`/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`, {
        auth: { user: otherKey.sid, password: otherKey.secret },
      }),
      401,
      20003,
    );
    // another account's service does not exist for this one
    expectTwilioError(await api(`/v1/Services/${otherService.sid}`, { auth: tokenOf(account) }), 404, 20404);
    expectTwilioError(
      await api(`/v1/Services/${otherService.sid}/PhoneNumbers`, { auth: tokenOf(account) }),
      404,
      20404,
    );
    // ... nor its number
    twilio.addIncomingNumber(account.sid, "+15005550001");
    const sent = await api(`/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      auth: tokenOf(account),
      form: { To: "+15558675310", From: "+15005550009", Body: "hi" },
    });
    expectTwilioError(sent, 400, 21606);
    const viaService = await api(`/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      auth: tokenOf(account),
      form: { To: "+15558675310", MessagingServiceSid: otherService.sid, Body: "hi" },
    });
    expectTwilioError(viaService, 400, 21701);
    expect(twilio.messages).toHaveLength(0);
  });

  it("lets a suspended account authenticate, shows its status and refuses to send", async () => {
    const suspended = twilio.addAccount({ status: "suspended" });
    twilio.addIncomingNumber(suspended.sid, "+15005550002");
    const fetched = await api(`/2010-04-01/Accounts/${suspended.sid}.json`, { auth: tokenOf(suspended) });
    expect(fetched.status).toBe(200);
    expect(fetched.body["status"]).toBe("suspended");
    const sent = await api(`/2010-04-01/Accounts/${suspended.sid}/Messages.json`, {
      auth: tokenOf(suspended),
      form: { To: "+15558675310", From: "+15005550002", Body: "hi" },
    });
    expectTwilioError(sent, 403, 10001);
    twilio.setAccountStatus(suspended.sid, "active");
    const retried = await api(`/2010-04-01/Accounts/${suspended.sid}/Messages.json`, {
      auth: tokenOf(suspended),
      form: { To: "+15558675310", From: "+15005550002", Body: "hi" },
    });
    expect(retried.status).toBe(201);
  });
});

describe("IncomingPhoneNumbers", () => {
  let account: SeededAccount;
  const numbers = ["+15005550001", "+15005550002", "+15005550003"];
  beforeEach(() => {
    account = twilio.addAccount();
    for (const n of numbers) twilio.addIncomingNumber(account.sid, n);
  });

  it("pages with PageSize=1 by following next_page_uri to the end", async () => {
    const base = `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`;
    let next: string | null = `${base}?PageSize=1`;
    const seen: string[] = [];
    const pages: Array<Record<string, unknown>> = [];
    while (next !== null) {
      const res: Answer = await api(next, { auth: tokenOf(account) });
      expect(res.status).toBe(200);
      pages.push(res.body);
      const items = list(res.body, "incoming_phone_numbers");
      expect(items).toHaveLength(1);
      seen.push(String(items[0]?.["phone_number"]));
      next = res.body["next_page_uri"] as string | null;
      if (next !== null) expect(next.startsWith(`${base}?`)).toBe(true);
      expect(pages.length).toBeLessThanOrEqual(3);
    }
    expect(seen).toEqual(numbers);
    expect(pages.map((p) => [p["page"], p["start"], p["end"], p["page_size"]])).toEqual([
      [0, 0, 0, 1],
      [1, 1, 1, 1],
      [2, 2, 2, 1],
    ]);
    expect(pages[0]?.["previous_page_uri"]).toBeNull();
    expect(pages[1]?.["previous_page_uri"]).toEqual(expect.stringContaining("PageToken=PB"));
    expect(pages[2]?.["first_page_uri"]).toBe(`${base}?PageSize=1&Page=0`);
    expect(pages[0]?.["uri"]).toBe(`${base}?PageSize=1&Page=0`);
  });

  it("answers everything on one page by default (PageSize 50)", async () => {
    const res = await api(`/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`, {
      auth: tokenOf(account),
    });
    expect(list(res.body, "incoming_phone_numbers").map((n) => n["phone_number"])).toEqual(numbers);
    expect(res.body).toMatchObject({ page: 0, page_size: 50, start: 0, end: 2, next_page_uri: null });
    const item = list(res.body, "incoming_phone_numbers")[0];
    expect(item).toMatchObject({
      account_sid: account.sid,
      phone_number: "+15005550001",
      friendly_name: "(500) 555-0001",
      capabilities: { sms: true, mms: true, voice: true, fax: false },
    });
  });

  it("filters by PhoneNumber, keeping the filter in the page links", async () => {
    const base = `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`;
    const one = await api(`${base}?PhoneNumber=${encodeURIComponent("+15005550002")}`, {
      auth: tokenOf(account),
    });
    expect(list(one.body, "incoming_phone_numbers").map((n) => n["phone_number"])).toEqual(["+15005550002"]);
    expect(one.body["uri"]).toBe(`${base}?PhoneNumber=%2B15005550002&PageSize=50&Page=0`);
    // an unencoded "+" arrives as a space: still found
    const raw = await api(`${base}?PhoneNumber=+15005550003`, { auth: tokenOf(account) });
    expect(list(raw.body, "incoming_phone_numbers").map((n) => n["phone_number"])).toEqual(["+15005550003"]);
    const none = await api(`${base}?PhoneNumber=${encodeURIComponent("+15005559999")}`, {
      auth: tokenOf(account),
    });
    expect(none.status).toBe(200);
    expect(list(none.body, "incoming_phone_numbers")).toEqual([]);
    expect(none.body["end"]).toBe(0);
  });

  it("refuses an out-of-range PageSize and an unknown PageToken", async () => {
    const base = `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`;
    expectTwilioError(await api(`${base}?PageSize=0`, { auth: tokenOf(account) }), 400, 20001);
    expectTwilioError(await api(`${base}?PageSize=1001`, { auth: tokenOf(account) }), 400, 20001);
    expectTwilioError(await api(`${base}?PageToken=PAnope`, { auth: tokenOf(account) }), 400, 20001);
  });
});

describe("Messaging Services (v1)", () => {
  let account: SeededAccount;
  let serviceSid: string;
  beforeEach(() => {
    account = twilio.addAccount();
    serviceSid = twilio.addService(account.sid, {
      friendlyName: "Alerts",
      inboundRequestUrl: "https://example.com/inbound",
      phoneNumbers: ["+15005550004", "+15005550005", "+15005550006"],
      channelSenders: ["rcs:acme_agent", "whatsapp:+15005550007"],
    }).sid;
  });

  it("fetches a service", async () => {
    const res = await api(`/v1/Services/${serviceSid}`, { auth: tokenOf(account) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      sid: serviceSid,
      account_sid: account.sid,
      friendly_name: "Alerts",
      inbound_request_url: "https://example.com/inbound",
      inbound_method: "POST",
      status_callback: null,
      use_inbound_webhook_on_number: false,
      url: `${twilio.url}/v1/Services/${serviceSid}`,
    });
    expect((res.body["links"] as Record<string, string>)["channel_senders"]).toBe(
      `${twilio.url}/v1/Services/${serviceSid}/ChannelSenders`,
    );
    expect(res.body["date_created"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("updates a service's webhooks, clears one with an empty value, and refuses a bad URL", async () => {
    const res = await api(`/v1/Services/${serviceSid}`, {
      auth: tokenOf(account),
      form: {
        InboundRequestUrl: "https://hooks.example.com/sms",
        StatusCallback: "https://hooks.example.com/status",
      },
    });
    expect(res.status).toBe(200);
    expect(res.body["inbound_request_url"]).toBe("https://hooks.example.com/sms");
    expect(res.body["status_callback"]).toBe("https://hooks.example.com/status");
    expect(twilio.getService(serviceSid)).toMatchObject({
      inboundRequestUrl: "https://hooks.example.com/sms",
      statusCallback: "https://hooks.example.com/status",
      friendlyName: "Alerts",
    });
    const cleared = await api(`/v1/Services/${serviceSid}`, {
      auth: tokenOf(account),
      form: { StatusCallback: "" },
    });
    expect(cleared.body["status_callback"]).toBeNull();
    expect(twilio.getService(serviceSid)?.statusCallback).toBeNull();
    expect(twilio.getService(serviceSid)?.inboundRequestUrl).toBe("https://hooks.example.com/sms");
    const bad = await api(`/v1/Services/${serviceSid}`, {
      auth: tokenOf(account),
      form: { InboundRequestUrl: "not a url", FriendlyName: "Renamed" },
    });
    expectTwilioError(bad, 400, 20001);
    expect(twilio.getService(serviceSid)?.friendlyName).toBe("Alerts");
  });

  it("answers 404 for an unknown service and 405 for a method the resource lacks", async () => {
    expectTwilioError(await api(`/v1/Services/MG${"0".repeat(32)}`, { auth: tokenOf(account) }), 404, 20404);
    const del = await api(`/v1/Services/${serviceSid}`, { auth: tokenOf(account), method: "DELETE" });
    expectTwilioError(del, 405, 20004);
    expectTwilioError(
      await api(`/2010-04-01/Accounts/${account.sid}/Nope.json`, { auth: tokenOf(account) }),
      404,
      20404,
    );
    expect(twilio.getService(serviceSid)).toBeDefined();
  });

  it("removeService deletes it, as the console does: 404/20404 from then on, its numbers back in no service", async () => {
    twilio.removeService(serviceSid);
    expect(twilio.getService(serviceSid)).toBeUndefined();
    expectTwilioError(await api(`/v1/Services/${serviceSid}`, { auth: tokenOf(account) }), 404, 20404);
    // The account keeps the number, which another service may now take.
    const next = twilio.addService(account.sid).sid;
    expect(twilio.addServicePhoneNumber(next, "+15005550004").phoneNumber).toBe("+15005550004");
    expect(() => twilio.removeService(serviceSid)).toThrow(/no emulated Messaging Service/);
  });

  it("lists the service's phone numbers with the v1 envelope, paging through next_page_url", async () => {
    let next: string | null = `/v1/Services/${serviceSid}/PhoneNumbers?PageSize=2`;
    const seen: unknown[] = [];
    const metas: Array<Record<string, unknown>> = [];
    while (next !== null) {
      const res: Answer = await api(next, { auth: tokenOf(account) });
      expect(res.status).toBe(200);
      seen.push(...list(res.body, "phone_numbers").map((n) => n["phone_number"]));
      metas.push(meta(res.body));
      next = meta(res.body)["next_page_url"] as string | null;
    }
    expect(seen).toEqual(["+15005550004", "+15005550005", "+15005550006"]);
    expect(metas.map((m) => [m["page"], m["page_size"], m["key"]])).toEqual([
      [0, 2, "phone_numbers"],
      [1, 2, "phone_numbers"],
    ]);
    expect(metas[0]?.["first_page_url"]).toBe(
      `${twilio.url}/v1/Services/${serviceSid}/PhoneNumbers?PageSize=2&Page=0`,
    );
    expect(metas[0]?.["previous_page_url"]).toBeNull();
    expect(metas[1]?.["previous_page_url"]).toEqual(expect.stringContaining("Page=0&PageToken=PB"));
  });

  it("lists the service's channel senders", async () => {
    const res = await api(`/v1/Services/${serviceSid}/ChannelSenders`, { auth: tokenOf(account) });
    expect(res.status).toBe(200);
    expect(meta(res.body)["key"]).toBe("senders");
    const senders = list(res.body, "senders");
    expect(senders.map((s) => [s["sender"], s["sender_type"], s["messaging_service_sid"]])).toEqual([
      ["rcs:acme_agent", "RCS", serviceSid],
      ["whatsapp:+15005550007", "WhatsApp", serviceSid],
    ]);
    expect(senders[0]?.["sid"]).toMatch(/^XE[0-9a-f]{32}$/);
  });
});

describe("Channels Senders (v2)", () => {
  it("lists the account's senders of a channel, and requires Channel", async () => {
    const account = twilio.addAccount();
    const other = twilio.addAccount();
    const service = twilio.addService(account.sid, {
      channelSenders: ["rcs:acme_agent", "whatsapp:+15005550007"],
    });
    twilio.addSender(account.sid, "rcs:acme_review", { status: "TWILIO_REVIEW" });
    twilio.addSender(other.sid, "rcs:other_agent");
    const res = await api("/v2/Channels/Senders?Channel=rcs", { auth: tokenOf(account) });
    expect(res.status).toBe(200);
    const senders = list(res.body, "senders");
    expect(senders.map((s) => [s["sender_id"], s["status"]])).toEqual([
      ["rcs:acme_agent", "ONLINE"],
      ["rcs:acme_review", "TWILIO_REVIEW"],
    ]);
    expect(senders[0]?.["sid"]).toBe(service.channelSenders[0]?.sid);
    expect(meta(res.body)["url"]).toBe(`${twilio.url}/v2/Channels/Senders?PageSize=50&Page=0&Channel=rcs`);
    expectTwilioError(await api("/v2/Channels/Senders", { auth: tokenOf(account) }), 400, 20001);
  });

  it("can answer Twilio's own origin in absolute URLs", async () => {
    const other = await TwilioEmulator.start({ links: "twilio" });
    try {
      const account = other.addAccount();
      const service = other.addService(account.sid);
      const res = await fetch(`${other.url}/v1/Services/${service.sid}`, {
        headers: { Authorization: basic(tokenOf(account)) },
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect(body["url"]).toBe(`https://messaging.twilio.com/v1/Services/${service.sid}`);
    } finally {
      await other.stop();
    }
  });
});

describe("CreateMessage", () => {
  let account: SeededAccount;
  let messagesPath: string;
  let serviceSid: string;
  beforeEach(() => {
    account = twilio.addAccount();
    twilio.addIncomingNumber(account.sid, "+15005550006");
    serviceSid = twilio.addService(account.sid, { channelSenders: ["rcs:acme_agent"] }).sid;
    messagesPath = `/2010-04-01/Accounts/${account.sid}/Messages.json`;
  });

  const send = (form: Record<string, string>): Promise<Answer> =>
    api(messagesPath, { auth: tokenOf(account), form });

  it("sends from an incoming number (form-encoded) and records the message", async () => {
    const res = await send({ To: "+15558675310", From: "+15005550006", Body: "Hello there" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      account_sid: account.sid,
      to: "+15558675310",
      from: "+15005550006",
      body: "Hello there",
      status: "queued",
      direction: "outbound-api",
      messaging_service_sid: null,
      num_segments: "1",
    });
    expect(res.body["uri"]).toBe(
      `/2010-04-01/Accounts/${account.sid}/Messages/${String(res.body["sid"])}.json`,
    );
    expect(twilio.messages).toHaveLength(1);
    expect(twilio.messages[0]).toMatchObject({
      sid: res.body["sid"],
      contentType: "application/x-www-form-urlencoded",
      rawBody: "To=%2B15558675310&From=%2B15005550006&Body=Hello+there",
      params: { To: "+15558675310", From: "+15005550006", Body: "Hello there" },
    });
  });

  it("takes a JSON body with the same keys, through a Messaging Service", async () => {
    const json = { To: "+15558675310", MessagingServiceSid: serviceSid, Body: "RCS hello" };
    const res = await api(messagesPath, { auth: tokenOf(account), json });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ messaging_service_sid: serviceSid, from: null, status: "accepted" });
    const stored = twilio.messages[0];
    expect(stored?.contentType).toBe("application/json");
    expect(JSON.parse(stored?.rawBody ?? "null")).toEqual(json);
    const bad = await fetch(`${twilio.url}${messagesPath}`, {
      method: "POST",
      headers: { Authorization: basic(tokenOf(account)), "Content-Type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Record<string, unknown>)["code"]).toBe(20001);
  });

  it("sends from a channel sender of the account", async () => {
    const res = await send({ To: "rcs:+15558675310", From: "rcs:acme_agent", Body: "hi" });
    expect(res.status).toBe(201);
    expect(res.body["from"]).toBe("rcs:acme_agent");
  });

  it.each([
    ["no To", { From: "+15005550006", Body: "x" }, 21604],
    ["no From nor service", { To: "+15558675310", Body: "x" }, 21603],
    ["no Body", { To: "+15558675310", From: "+15005550006" }, 21602],
    ["a To that is no number", { To: "555-1234", From: "+15005550006", Body: "x" }, 21211],
    ["a From the account does not own", { To: "+15558675310", From: "+15005550099", Body: "x" }, 21606],
    ["a From that is nothing", { To: "+15558675310", From: "+1-500-555", Body: "x" }, 21212],
    ["an unknown channel sender", { To: "+15558675310", From: "rcs:nobody", Body: "x" }, 63007],
    ["a malformed service SID", { To: "+15558675310", MessagingServiceSid: "MG123", Body: "x" }, 21705],
    [
      "an unknown service",
      { To: "+15558675310", MessagingServiceSid: `MG${"a".repeat(32)}`, Body: "x" },
      21701,
    ],
    ["To equal to From", { To: "+15005550006", From: "+15005550006", Body: "x" }, 21266],
  ])("refuses %s", async (_what, form, code) => {
    const res = await send(form);
    expectTwilioError(res, 400, code);
    expect(twilio.messages).toHaveLength(0);
  });

  it("refuses a service without any sender (21704)", async () => {
    const empty = twilio.addService(account.sid).sid;
    expectTwilioError(await send({ To: "+15558675310", MessagingServiceSid: empty, Body: "x" }), 400, 21704);
  });
});

describe("faults", () => {
  let account: SeededAccount;
  let accountPath: string;
  beforeEach(() => {
    account = twilio.addAccount();
    accountPath = `/2010-04-01/Accounts/${account.sid}.json`;
  });

  it("answers 429 twice with Retry-After, then succeeds", async () => {
    twilio.injectFault({ kind: "status", status: 429, code: 20429, times: 2 });
    const first = await api(accountPath, { auth: tokenOf(account) });
    expectTwilioError(first, 429, 20429);
    expect(first.headers.get("retry-after")).toBe("1");
    expectTwilioError(await api(accountPath, { auth: tokenOf(account) }), 429, 20429);
    const third = await api(accountPath, { auth: tokenOf(account) });
    expect(third.status).toBe(200);
    expect(twilio.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(twilio.pendingFaults()).toHaveLength(0);
  });

  it("answers 503 with code 20503 by default, and a chosen Retry-After", async () => {
    twilio.injectFault({ kind: "status", status: 503, times: 1, retryAfterSeconds: 7 });
    const res = await api(accountPath, { auth: tokenOf(account) });
    expectTwilioError(res, 503, 20503);
    expect(res.headers.get("retry-after")).toBe("7");
  });

  it("delays answers by the injected latency", async () => {
    twilio.injectFault({ kind: "latency", ms: 300, times: 1 });
    const t0 = Date.now();
    const slow = await api(accountPath, { auth: tokenOf(account) });
    const slowMs = Date.now() - t0;
    expect(slow.status).toBe(200);
    expect(slowMs).toBeGreaterThanOrEqual(290);
    const t1 = Date.now();
    await api(accountPath, { auth: tokenOf(account) });
    expect(Date.now() - t1).toBeLessThan(250);
  });

  it("drops the connection without an answer", async () => {
    twilio.injectFault({ kind: "drop", times: 1 });
    await expect(
      fetch(`${twilio.url}${accountPath}`, { headers: { Authorization: basic(tokenOf(account)) } }),
    ).rejects.toThrow();
    expect(twilio.requests).toEqual([expect.objectContaining({ path: accountPath, status: 0 })]);
    expect((await api(accountPath, { auth: tokenOf(account) })).status).toBe(200);
  });

  it("applies a fault only to matching requests, in order of injection", async () => {
    twilio.addIncomingNumber(account.sid, "+15005550006");
    twilio.injectFault({
      kind: "status",
      status: 500,
      times: 1,
      match: { method: "POST", path: /\/Messages\.json$/ },
    });
    twilio.injectFault({ kind: "status", status: 503, times: 1, match: { path: accountPath } });
    twilio.injectFault({ kind: "status", status: 429, times: 1 });
    expectTwilioError(await api(accountPath, { auth: tokenOf(account) }), 503, 20503);
    expectTwilioError(await api(accountPath, { auth: tokenOf(account) }), 429, 20429);
    expect((await api(accountPath, { auth: tokenOf(account) })).status).toBe(200);
    const sent = await api(`/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      auth: tokenOf(account),
      form: { To: "+15558675310", From: "+15005550006", Body: "x" },
    });
    expectTwilioError(sent, 500, 20500);
    expect(twilio.messages).toHaveLength(0);
    twilio.injectFault({ kind: "status", status: 503, times: 5 });
    twilio.clearFaults();
    expect((await api(accountPath, { auth: tokenOf(account) })).status).toBe(200);
  });

  it("refuses malformed faults", () => {
    expect(() => twilio.injectFault({ kind: "status", status: 429, times: 0 })).toThrow(/times/);
    expect(() => twilio.injectFault({ kind: "status", status: 42, times: 1 })).toThrow(/status/);
  });
});

describe("request log", () => {
  it("records method, path, query, auth user and status, never the password", async () => {
    const account = twilio.addAccount();
    const key = twilio.addApiKey(account.sid, "standard");
    twilio.addIncomingNumber(account.sid, "+15005550006");
    await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) });
    await api(
      `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json?PageSize=5&PhoneNumber=%2B1500`,
      {
        auth: { user: key.sid, password: key.secret },
      },
    );
    await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: { user: account.sid, password: "wrong" } });
    await api("/nowhere");
    await fetch(`${twilio.url}/__emulator/requests`); // admin calls are not logged
    const log = twilio.requests;
    expect(log.map((r) => [r.method, r.path, r.authUser, r.status])).toEqual([
      ["GET", `/2010-04-01/Accounts/${account.sid}.json`, account.sid, 200],
      ["GET", `/2010-04-01/Accounts/${account.sid}/IncomingPhoneNumbers.json`, key.sid, 200],
      ["GET", `/2010-04-01/Accounts/${account.sid}.json`, account.sid, 401],
      ["GET", "/nowhere", undefined, 401],
    ]);
    expect(log[1]?.query).toEqual({ PageSize: "5", PhoneNumber: "+1500" });
    expect(log[0]?.at).toBeGreaterThan(Date.now() - 60_000);
    expect("authUser" in (log[3] ?? {})).toBe(false);
    const text = JSON.stringify(log);
    expect(text).not.toContain(account.authToken);
    expect(text).not.toContain(key.secret);
    expect(twilio.distinctAuthUsers()).toEqual([account.sid, key.sid]);
    twilio.clearRequests();
    expect(twilio.requests).toEqual([]);
    expect(twilio.distinctAuthUsers()).toEqual([]);
  });
});

describe("admin API", () => {
  const admin = async (p: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${twilio.adminUrl}${p}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  it("reads and clears the request log", async () => {
    const account = twilio.addAccount();
    await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) });
    const got = await admin("/requests");
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      requests: [expect.objectContaining({ method: "GET", authUser: account.sid, status: 200 })],
      distinctAuthUsers: [account.sid],
    });
    expect(JSON.stringify(got.body)).not.toContain(account.authToken);
    expect((await admin("/requests", { method: "DELETE" })).status).toBe(204);
    expect(twilio.requests).toHaveLength(0);
  });

  it("queues faults given as JSON, with a path regex", async () => {
    const account = twilio.addAccount();
    const posted = await admin("/faults", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify([
        { kind: "status", status: 503, times: 1, match: { path: "^/v1/Services/" } },
        { kind: "status", status: 429, times: 2, match: { method: "GET", path: "\\.json$" } },
      ]),
    });
    expect(posted).toEqual({ status: 201, body: { queued: 2, pending: 2 } });
    const listed = await admin("/faults");
    expect(listed.body).toEqual({
      faults: [
        expect.objectContaining({
          kind: "status",
          status: 503,
          remaining: 1,
          match: { path: new RegExp("^/v1/Services/").source },
        }),
        expect.objectContaining({ kind: "status", status: 429, remaining: 2 }),
      ],
    });
    expectTwilioError(
      await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) }),
      429,
      20429,
    );
    const service = twilio.addService(account.sid);
    expectTwilioError(await api(`/v1/Services/${service.sid}`, { auth: tokenOf(account) }), 503, 20503);
    expect((await admin("/faults", { method: "DELETE" })).status).toBe(204);
    expect((await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) })).status).toBe(
      200,
    );
    const bad = await admin("/faults", {
      method: "POST",
      body: JSON.stringify({ kind: "explode", times: 1 }),
    });
    expect(bad.status).toBe(400);
  });

  it("shows sent messages and a service's current settings", async () => {
    const account = twilio.addAccount();
    const service = twilio.addService(account.sid, { phoneNumbers: ["+15005550006"] });
    await api(`/2010-04-01/Accounts/${account.sid}/Messages.json`, {
      auth: tokenOf(account),
      json: { To: "+15558675310", MessagingServiceSid: service.sid, Body: "admin check" },
    });
    await api(`/v1/Services/${service.sid}`, {
      auth: tokenOf(account),
      form: { InboundRequestUrl: "https://example.com/new" },
    });
    const messages = await admin("/messages");
    expect(messages.body).toEqual({
      messages: [
        expect.objectContaining({
          to: "+15558675310",
          body: "admin check",
          contentType: "application/json",
          messagingServiceSid: service.sid,
        }),
      ],
    });
    const got = await admin(`/services/${service.sid}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ sid: service.sid, inboundRequestUrl: "https://example.com/new" });
    expect((await admin(`/services/MG${"0".repeat(32)}`)).status).toBe(404);
    expect((await admin("/messages", { method: "DELETE" })).status).toBe(204);
    expect(twilio.messages).toHaveLength(0);
  });

  it("seeds accounts and changes an account's status", async () => {
    const seeded = await admin("/seed", {
      method: "POST",
      body: JSON.stringify({
        accounts: [
          {
            friendlyName: "Seeded",
            apiKeys: ["standard"],
            services: [{ channelSenders: ["rcs:seed_agent"] }],
          },
        ],
      }),
    });
    expect(seeded.status).toBe(201);
    const account = (
      seeded.body as { accounts: Array<SeededAccount & { apiKeys: Array<{ sid: string; secret: string }> }> }
    ).accounts[0];
    if (!account) throw new Error("no seeded account");
    const fetched = await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) });
    expect(fetched.body["friendly_name"]).toBe("Seeded");
    expect(account.apiKeys[0]?.secret).toMatch(/^[0-9a-f]{32}$/);
    const changed = await admin(`/accounts/${account.sid}`, {
      method: "POST",
      body: JSON.stringify({ status: "suspended" }),
    });
    expect(changed.status).toBe(200);
    const after = await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) });
    expect(after.body["status"]).toBe("suspended");
    // A rotation, as the console makes it: the new token signs in, the old one no longer does.
    const rotated = await admin(`/accounts/${account.sid}/auth-token`, { method: "POST" });
    expect(rotated.status).toBe(201);
    const { authToken } = rotated.body as { authToken: string };
    expect(authToken).toMatch(/^[0-9a-f]{32}$/);
    expect(authToken).not.toBe(account.authToken);
    const withNew = await api(`/2010-04-01/Accounts/${account.sid}.json`, {
      auth: tokenOf({ ...account, authToken }),
    });
    expect(withNew.status).toBe(200);
    expect((await api(`/2010-04-01/Accounts/${account.sid}.json`, { auth: tokenOf(account) })).status).toBe(
      401,
    );
    expect((await admin(`/accounts/AC${"0".repeat(32)}/auth-token`, { method: "POST" })).status).toBe(400);
    expect(
      (await admin("/seed", { method: "POST", body: JSON.stringify({ accounts: [{ bogus: 1 }] }) })).status,
    ).toBe(400);
    expect((await admin("/nothing")).status).toBe(404);
  });
});

describe("with the official twilio package", () => {
  interface SdkRequest {
    method: string;
    uri: string;
    username?: string;
    password?: string;
    headers?: Record<string, string>;
    params?: Record<string, unknown>;
    data?: Record<string, unknown>;
  }

  /** An httpClient for the twilio package that sends `https://<sub>.twilio.com/…` to the emulator. */
  const httpClient = {
    async request(opts: SdkRequest) {
      const from = new URL(opts.uri);
      const url = new URL(
        from.hostname.endsWith("twilio.com") ? `${twilio.url}${from.pathname}${from.search}` : opts.uri,
      );
      for (const [k, v] of Object.entries(opts.params ?? {}))
        if (v !== undefined) url.searchParams.append(k, String(v));
      const headers: Record<string, string> = { ...opts.headers };
      headers["Authorization"] = basic({ user: opts.username ?? "", password: opts.password ?? "" });
      let body: string | undefined;
      if (opts.data) {
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(opts.data)) if (v !== undefined) form.append(k, String(v));
        body = form.toString();
        headers["Content-Type"] = "application/x-www-form-urlencoded";
      }
      const res = await fetch(url, { method: opts.method.toUpperCase(), headers, ...(body ? { body } : {}) });
      return { statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
    },
  };

  it("serves the calls the provider makes through the SDK, paging included", async () => {
    const account = twilio.addAccount({ friendlyName: "SDK" });
    const key = twilio.addApiKey(account.sid, "standard");
    for (const n of ["+15005550001", "+15005550002", "+15005550003"])
      twilio.addIncomingNumber(account.sid, n);
    const service = twilio.addService(account.sid, {
      phoneNumbers: ["+15005550004", "+15005550005"],
      channelSenders: ["rcs:sdk_agent"],
    });
    const client = twilioSdk(account.sid, account.authToken, { httpClient: httpClient as never });
    const fetched = await client.api.v2010.accounts(account.sid).fetch();
    expect([fetched.friendlyName, fetched.type, fetched.status]).toEqual(["SDK", "Full", "active"]);
    const numbers = await client.incomingPhoneNumbers.list({ pageSize: 1 });
    expect(numbers.map((n) => n.phoneNumber)).toEqual([
      "+15005550001",
      "+15005550002",
      "+15005550003",
      "+15005550004",
      "+15005550005",
    ]);
    const svc = await client.messaging.v1.services(service.sid).fetch();
    expect(svc.sid).toBe(service.sid);
    const pool = await client.messaging.v1.services(service.sid).phoneNumbers.list({ pageSize: 1 });
    expect(pool.map((n) => n.phoneNumber)).toEqual(["+15005550004", "+15005550005"]);
    const senders = await client.messaging.v1.services(service.sid).channelSenders.list({ pageSize: 100 });
    expect(senders.map((s) => s.sender)).toEqual(["rcs:sdk_agent"]);
    const updated = await client.messaging.v1
      .services(service.sid)
      .update({ inboundRequestUrl: "https://example.com/x" });
    expect(updated.inboundRequestUrl).toBe("https://example.com/x");
    const keyed = twilioSdk(key.sid, key.secret, {
      accountSid: account.sid,
      httpClient: httpClient as never,
    });
    const msg = await keyed.messages.create({ to: "+15558675310", from: "+15005550001", body: "via SDK" });
    expect(msg.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(twilio.messages[0]?.params).toMatchObject({
      To: "+15558675310",
      From: "+15005550001",
      Body: "via SDK",
    });
    const denied = await keyed.api.v2010
      .accounts(account.sid)
      .fetch()
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({
      status: 401,
      code: 20003,
      moreInfo: "https://www.twilio.com/docs/errors/20003",
    });
    const wrong = twilioSdk(account.sid, "0".repeat(32), { httpClient: httpClient as never });
    await expect(wrong.api.v2010.accounts(account.sid).fetch()).rejects.toMatchObject({
      status: 401,
      code: 20003,
    });
  });
});

describe("CLI", () => {
  it("prints one JSON line with the URL and seeded SIDs, no secrets, and stops on SIGTERM", async () => {
    const root = path.resolve(__dirname, "../..");
    const fs = await import("node:fs");
    const os = await import("node:os");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "twilio-emulator-cli-"));
    const seedFile = path.join(dir, "seed.json");
    fs.writeFileSync(
      seedFile,
      JSON.stringify({
        accounts: [{ friendlyName: "CLI", apiKeys: ["main"], incomingNumbers: ["+15005550006"] }],
      }),
    );
    const child = spawn(
      process.execPath,
      [
        path.join(root, "node_modules/tsx/dist/cli.mjs"),
        "test/twilio-emulator/cli.ts",
        "--seed-file",
        seedFile,
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const nl = out.indexOf("\n");
          if (nl >= 0) resolve(out.slice(0, nl));
        });
        child.once("exit", (code) => reject(new Error(`cli exited with ${code}`)));
      });
      const printed = JSON.parse(line) as {
        url: string;
        seed: { accounts: Array<Record<string, unknown> & { apiKeys: Array<Record<string, unknown>> }> };
      };
      expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const account = printed.seed.accounts[0];
      expect(account?.["sid"]).toMatch(/^AC[0-9a-f]{32}$/);
      expect(account?.["friendlyName"]).toBe("CLI");
      expect(account && "authToken" in account).toBe(false);
      expect(account?.apiKeys[0]?.["sid"]).toMatch(/^SK/);
      expect(account?.apiKeys[0] && "secret" in account.apiKeys[0]).toBe(false);
      const health = await fetch(`${printed.url}/__emulator/health`);
      expect(await health.json()).toEqual({ ok: true, url: printed.url });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
