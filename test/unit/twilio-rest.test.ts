/**
 * Our Twilio REST client (provider/twilio/rest.ts) against the emulator: the calls the provider
 * makes, both ways of signing in, paging, writes, and Twilio's errors with their codes. It replaced
 * the `twilio` package in the provider process (issue 13); the last test pins that it stays out.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { classifyTwilioError, describeTwilioFailure } from "../../provider/twilio/errors";
import { TwilioHttpClient } from "../../provider/twilio/http";
import { TwilioRest, TwilioRestError } from "../../provider/twilio/rest";
import { TwilioValidator } from "../../provider/twilio/validate";
import { TwilioEmulator } from "../twilio-emulator";

let twilio: TwilioEmulator;
let http: TwilioHttpClient;

beforeAll(async () => {
  twilio = await TwilioEmulator.start({ links: "twilio" });
  http = new TwilioHttpClient({ apiUrl: twilio.url, maxAttempts: 1 });
});

afterAll(async () => {
  await http.close();
  await twilio.stop();
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("TwilioRest", () => {
  it("fetches the account with its auth token", async () => {
    const a = twilio.addAccount({ friendlyName: "Rest Co" });
    const account = await new TwilioRest({ accountSid: a.sid, authToken: a.authToken }, http).fetchAccount();
    expect(account).toMatchObject({ friendly_name: "Rest Co", status: a.status, type: a.type });
  });

  it("signs in with an API key as the key, naming the account in the path", async () => {
    const a = twilio.addAccount();
    const key = twilio.addApiKey(a.sid, "standard");
    twilio.addIncomingNumber(a.sid, "+14155550170");
    const rest = new TwilioRest({ accountSid: a.sid, apiKeySid: key.sid, apiKeySecret: key.secret }, http);
    expect(await rest.incomingNumbers({ pageSize: 1 })).toEqual(["+14155550170"]);
  });

  it("filters incoming numbers by phone number", async () => {
    const a = twilio.addAccount();
    twilio.addIncomingNumber(a.sid, "+14155550171");
    twilio.addIncomingNumber(a.sid, "+14155550172");
    const rest = new TwilioRest({ accountSid: a.sid, authToken: a.authToken }, http);
    expect(await rest.incomingNumbers({ pageSize: 1, phoneNumber: "+14155550172" })).toEqual([
      "+14155550172",
    ]);
    expect(await rest.incomingNumbers({ pageSize: 1, phoneNumber: "+14155550179" })).toEqual([]);
  });

  it("follows next_page_url (a Twilio origin, rewritten) through every page of a service's numbers", async () => {
    const a = twilio.addAccount();
    const numbers = Array.from({ length: 230 }, (_, i) => `+1415556${String(i).padStart(4, "0")}`);
    const s = twilio.addService(a.sid, { phoneNumbers: numbers, channelSenders: ["rcs:acme_agent"] });
    const rest = new TwilioRest({ accountSid: a.sid, authToken: a.authToken }, http);
    expect((await rest.servicePhoneNumbers(s.sid)).sort()).toEqual([...numbers].sort());
    expect(await rest.serviceChannelSenders(s.sid)).toEqual(["rcs:acme_agent"]);
  });

  it("reads and writes a service's webhook fields", async () => {
    const a = twilio.addAccount();
    const s = twilio.addService(a.sid);
    const rest = new TwilioRest({ accountSid: a.sid, authToken: a.authToken }, http);
    await rest.updateService(s.sid, { InboundRequestUrl: "https://hooks.example/in" });
    await rest.updateService(s.sid, { StatusCallback: "https://hooks.example/status" });
    expect(await rest.fetchService(s.sid)).toMatchObject({
      inbound_request_url: "https://hooks.example/in",
      status_callback: "https://hooks.example/status",
    });
    expect(twilio.getService(s.sid)).toMatchObject({ inboundRequestUrl: "https://hooks.example/in" });
  });

  it("creates a message and returns its sid", async () => {
    const a = twilio.addAccount();
    const s = twilio.addService(a.sid, { phoneNumbers: ["+14155550180"] });
    const rest = new TwilioRest({ accountSid: a.sid, authToken: a.authToken }, http);
    const sid = await rest.createMessage({ To: "+14155550181", Body: "hello", MessagingServiceSid: s.sid });
    expect(sid).toMatch(/^(SM|MM)[0-9a-f]{32}$/);
    expect(twilio.messages.find((m) => m.sid === sid)).toMatchObject({
      to: "+14155550181",
      body: "hello",
      messagingServiceSid: s.sid,
    });
  });

  it("a wrong token is Twilio's 20003, classified as auth, and the error never holds the token", async () => {
    const a = twilio.addAccount();
    const wrong = "0".repeat(32);
    const e = await rejection(new TwilioRest({ accountSid: a.sid, authToken: wrong }, http).fetchAccount());
    expect(e).toBeInstanceOf(TwilioRestError);
    const f = classifyTwilioError(e);
    expect(f).toMatchObject({ kind: "auth", status: 401, code: 20003 });
    expect(describeTwilioFailure(f)).toContain("Twilio error 20003");
    expect(JSON.stringify(e) + String(e)).not.toContain(wrong);
  });

  it("an unknown service is 20404, not-found", async () => {
    const a = twilio.addAccount();
    const rest = new TwilioRest({ accountSid: a.sid, authToken: a.authToken }, http);
    const f = classifyTwilioError(await rejection(rest.fetchService(`MG${"1".repeat(32)}`)));
    expect(f).toMatchObject({ kind: "not-found", status: 404, code: 20404 });
  });

  it("the provider's handlers validate a credential without loading the twilio package", async () => {
    const a = twilio.addAccount();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", path.join(__dirname, "fixtures", "twilio-modules-child.ts")],
        {
          env: { ...process.env, TWILIO_URL: twilio.url, TWILIO_ACCOUNT: a.sid, TWILIO_TOKEN: a.authToken },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}`))));
    });
    expect(JSON.parse(out.trim())).toEqual({ failures: 0, twilioModules: 0 });
  }, 60_000);
});

describe("TwilioValidator clients", () => {
  it("builds one client per credential for the process, a new one for a new secret", async () => {
    const a = twilio.addAccount();
    const v = new TwilioValidator(http);
    const first = v.client({ accountSid: a.sid, authToken: a.authToken });
    expect(v.client({ accountSid: a.sid, authToken: a.authToken })).toBe(first);
    expect(v.client({ accountSid: a.sid, authToken: "f".repeat(32) })).not.toBe(first);
    const key = twilio.addApiKey(a.sid, "main");
    const byKey = v.client({ accountSid: a.sid, apiKeySid: key.sid, apiKeySecret: key.secret });
    expect(byKey).not.toBe(first);
    expect(v.client({ accountSid: a.sid, apiKeySid: key.sid, apiKeySecret: key.secret })).toBe(byKey);
    // And the checks of many resources on one credential ask Twilio once.
    const before = twilio.requests.length;
    const reports = await Promise.all(
      Array.from({ length: 20 }, () =>
        v.checkSmsCredential({ auth: { accountSid: a.sid, authToken: a.authToken } }),
      ),
    );
    expect(reports.every((r) => r.failures.length === 0)).toBe(true);
    expect(twilio.requests.length - before).toBe(1);
  });
});

describe("TwilioValidator round trips", () => {
  /** Counts the requests in flight at once, each held for a while as a distant Twilio would. */
  class SlowHttp extends TwilioHttpClient {
    inFlight = 0;
    most = 0;
    override async request(o: Parameters<TwilioHttpClient["request"]>[0]) {
      this.most = Math.max(this.most, ++this.inFlight);
      try {
        await new Promise((r) => setTimeout(r, 40));
        return await super.request(o);
      } finally {
        this.inFlight--;
      }
    }
  }

  it("asks for the service, its numbers and the inbound number together once the account answers", async () => {
    const a = twilio.addAccount();
    twilio.addIncomingNumber(a.sid, "+14155550160");
    const service = twilio.addService(a.sid, { phoneNumbers: ["+14155550161"] });
    const slow = new SlowHttp({ apiUrl: twilio.url, maxAttempts: 1 });
    try {
      const before = twilio.requests.length;
      const report = await new TwilioValidator(slow).checkSmsCredential({
        auth: { accountSid: a.sid, authToken: a.authToken },
        messagingServiceSid: service.sid,
        inboundNumber: "+14155550160",
      });
      expect(report.failures).toEqual([]);
      expect(twilio.requests.length - before).toBe(4);
      // The account first (its failure would make the rest moot), then the other three at once.
      expect(slow.most).toBe(3);
    } finally {
      await slow.close();
    }
  });

  it("a missing service is still named by the service's own answer, and the number is still checked", async () => {
    const a = twilio.addAccount();
    const missing = `MG${"2".repeat(32)}`;
    const report = await new TwilioValidator(http).checkSmsCredential({
      auth: { accountSid: a.sid, authToken: a.authToken },
      messagingServiceSid: missing,
      inboundNumber: "+14155550189",
    });
    expect(report.failures.map((f) => f.property)).toEqual(["messagingServiceSid", "inboundNumber"]);
    expect(report.failures[0]?.reason).toContain(`Messaging Service ${missing} does not exist`);
    expect(report.failures[1]?.reason).toContain("+14155550189 is not an incoming number");
  });
});
