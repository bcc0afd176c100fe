/**
 * SmsWebhook's side of the webhook receiver (issue 8), through the handlers on a real embedded store
 * and the Twilio emulator: the health check before a live service is changed, the secrets a webhook
 * keeps for the receiver (twilioAuthToken, verification) and the rules on them.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { resolveSettings } from "../../provider/config";
import type { Inputs } from "../../provider/handlers/common";
import { ProviderContext } from "../../provider/handlers/context";
import { probeReceiver } from "../../provider/handlers/receiver";
import { smsApiCredential } from "../../provider/handlers/smsApiCredential";
import { smsWebhook } from "../../provider/handlers/smsWebhook";
import { UNKNOWN } from "../../provider/schema/check";
import { openEmbeddedStore } from "../../store/embedded";
// State written before the keyed fingerprint: diff still recognises it (see provider/handlers/record.ts).
import { legacyFingerprint as fingerprintSecret } from "../../store/crypto";
import { TwilioEmulator } from "../twilio-emulator";
import { freePort, startRecordingServer, type TestServer } from "../support/http-server";
import { RECEIVER_HEALTH_BODY } from "../support/receiver-stub";

let emu: TwilioEmulator;
let dir: string;
let storePath: string;
const storeKey = randomBytes(32).toString("base64");
/** Where the provider expects the receiver: nothing listens there until a test starts it. */
let receiverPort: number;
let receiverBase: string;
const saved: Record<string, string | undefined> = {};
let ctx: ProviderContext;

beforeAll(async () => {
  emu = await TwilioEmulator.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-attach-"));
  storePath = path.join(dir, "store.db");
  receiverPort = await freePort();
  receiverBase = `http://127.0.0.1:${receiverPort}`;
  for (const k of Object.keys(process.env)) if (k.startsWith("SMSCHANNELS_")) saved[k] = process.env[k];
  for (const k of Object.keys(saved)) delete process.env[k];
  // The provider context of these tests, made from these as a provider process would.
  Object.assign(process.env, {
    SMSCHANNELS_STORE_PATH: storePath,
    SMSCHANNELS_STORE_KEY: storeKey,
    SMSCHANNELS_TWILIO_API_URL: emu.url,
    SMSCHANNELS_WEBHOOK_BASE_URL: receiverBase,
  });
  ctx = new ProviderContext(resolveSettings(undefined));
});
afterAll(async () => {
  for (const k of [
    "SMSCHANNELS_STORE_PATH",
    "SMSCHANNELS_STORE_KEY",
    "SMSCHANNELS_TWILIO_API_URL",
    "SMSCHANNELS_WEBHOOK_BASE_URL",
  ])
    delete process.env[k];
  Object.assign(process.env, saved);
  await ctx.close();
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A real server on the receiver's port, answering its health route as `answer` says. */
async function receiverAt(
  answer: (res: http.ServerResponse) => void = (res) =>
    void res.writeHead(200, { "Content-Type": "application/json" }).end(RECEIVER_HEALTH_BODY),
): Promise<http.Server> {
  const server = http.createServer((req, res) =>
    req.url === "/healthz" ? answer(res) : res.writeHead(404).end(),
  );
  await new Promise<void>((resolve) => server.listen(receiverPort, "127.0.0.1", resolve));
  return server;
}
const closeServer = (s: http.Server) =>
  new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  });

let seq = 0;
async function twilioSetup(opts: { apiKey?: boolean } = {}) {
  const account = emu.addAccount();
  const service = emu.addService(account.sid, { inboundRequestUrl: "https://before.example.com/in" });
  const key = opts.apiKey ? emu.addApiKey(account.sid, "standard") : undefined;
  const created = await smsApiCredential.create(ctx, {
    sandbox: "prod",
    name: `cred-${++seq}`,
    accountSid: account.sid,
    ...(key ? { apiKeySid: key.sid, apiKeySecret: key.secret } : { authToken: account.authToken }),
    messagingServiceSid: service.sid,
  });
  return { account, service, credentialId: created.id };
}

function webhookInputs(credentialId: string, extra: Inputs = {}): Inputs {
  return {
    sandbox: "prod",
    name: `hook-${++seq}`,
    type: "inbound",
    apiCredentialId: credentialId,
    apiCredentialType: "twilio-sms",
    ...extra,
  };
}

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openEmbeddedStore>>) => Promise<T>) {
  const store = await openEmbeddedStore({ path: storePath, key: storeKey });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe("probeReceiver: does the base URL answer as the receiver?", () => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  async function serving(status: number, type: string, body: string, headers: Record<string, string> = {}) {
    const s = await startRecordingServer((_req, res) =>
      res.writeHead(status, { "Content-Type": type, ...headers }).end(body),
    );
    servers.push(s);
    return s;
  }

  it("accepts the receiver's own answer, asking GET /healthz", async () => {
    const s = await serving(200, "application/json", RECEIVER_HEALTH_BODY);
    expect(await probeReceiver(s.base)).toBeUndefined();
    expect(s.seen.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /healthz"]);
  });

  it("refuses a port where nothing listens, naming the connection error", async () => {
    const base = `http://127.0.0.1:${await freePort()}`;
    expect(await probeReceiver(base)).toBe(`GET ${base}/healthz failed: ECONNREFUSED`);
  });

  it.each([
    [404, "text/plain", "not found", /answered 404 \(text\/plain\), not the receiver's 200/],
    [405, "application/json", '{"error":"method"}', /answered 405/],
    [503, "application/json", RECEIVER_HEALTH_BODY, /answered 503/],
    [200, "text/html", "<html>hello</html>", /answered 200 with text\/html that is not JSON/],
    [200, "application/json", '{"status":"ok"}', /answered 200, but not as the receiver/],
    [200, "application/json", '{"status":"ok","service":"pulumi-sms-channels-store"}', /not as the receiver/],
    [200, "application/json", "null", /not as the receiver/],
  ])("refuses %i %s %s", async (status, type, body, expected) => {
    const s = await serving(status, type, body);
    expect(await probeReceiver(s.base)).toMatch(expected);
  });

  it("does not follow a redirect, even to the receiver", async () => {
    const real = await serving(200, "application/json", RECEIVER_HEALTH_BODY);
    const s = await serving(302, "text/plain", "", { Location: `${real.base}/healthz` });
    expect(await probeReceiver(s.base)).toMatch(/answered 302/);
    expect(real.seen).toHaveLength(0);
  });

  it("reads no more than a small body, and refuses an endless one", async () => {
    const s = await serving(200, "application/json", `{"status":"ok","pad":"${"x".repeat(100_000)}"}`);
    expect(await probeReceiver(s.base)).toMatch(/not JSON/);
  });
});

describe("attachToMessagingService checks the receiver before it changes the service", () => {
  it("refuses while the receiver is down: the service keeps its URL and no record is left", async () => {
    const { service, credentialId } = await twilioSetup();
    const inputs = webhookInputs(credentialId, { attachToMessagingService: true });
    const err = await smsWebhook.create(ctx, inputs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(
      `attachToMessagingService: refused to point Messaging Service ${service.sid}`,
    );
    expect(err?.message).toContain(`GET ${receiverBase}/healthz failed: ECONNREFUSED`);
    expect(err?.message).toContain("the service is unchanged");
    expect(err?.message).toContain(
      `pulumi-sms-channels-store receive --database ${storePath} --listen 127.0.0.1:8788 --public-url ${receiverBase}`,
    );
    expect(emu.getService(service.sid)?.inboundRequestUrl).toBe("https://before.example.com/in");
    // The service was read, never updated.
    expect(
      emu.requests.filter((r) => r.method === "POST" && r.path === `/v1/Services/${service.sid}`),
    ).toEqual([]);
    const left = await withStore((s) => s.findByName("prod", "webhook", String(inputs["name"])));
    expect(left).toBeUndefined();
  });

  it("refuses when something else answers there (a 404), also on an update that turns attaching on", async () => {
    const { service, credentialId } = await twilioSetup();
    const wrong = await receiverAt((res) => void res.writeHead(404).end());
    try {
      const plain = webhookInputs(credentialId);
      const created = await smsWebhook.create(ctx, plain);
      await expect(
        smsWebhook.update(ctx, created.id, created.outs, { ...plain, attachToMessagingService: true }),
      ).rejects.toThrow(/does not answer there \(GET \S+\/healthz answered 404/);
      expect(emu.getService(service.sid)?.inboundRequestUrl).toBe("https://before.example.com/in");
    } finally {
      await closeServer(wrong);
    }
  });

  it("attaches once the receiver answers, and puts the old URL back on delete", async () => {
    const { service, credentialId } = await twilioSetup();
    const up = await receiverAt();
    try {
      const created = await smsWebhook.create(
        ctx,
        webhookInputs(credentialId, { attachToMessagingService: true }),
      );
      expect(created.outs["webhookUrl"]).toBe(`${receiverBase}/v1/sandboxes/prod/webhooks/${created.id}`);
      expect(emu.getService(service.sid)?.inboundRequestUrl).toBe(created.outs["webhookUrl"]);
      await smsWebhook.delete(ctx, created.id, created.outs);
      expect(emu.getService(service.sid)?.inboundRequestUrl).toBe("https://before.example.com/in");
    } finally {
      await closeServer(up);
    }
  });
  it("an update of an attached webhook keeps the attachment in the record: refresh keeps it, delete puts the URL back", async () => {
    const { service, credentialId } = await twilioSetup();
    const up = await receiverAt();
    try {
      const inputs = webhookInputs(credentialId, { attachToMessagingService: true });
      const created = await smsWebhook.create(ctx, inputs);
      const olds = { ...inputs, ...created.outs };
      const { outs } = await smsWebhook.update(ctx, created.id, olds, { ...inputs, defaultReply: "Thanks!" });
      const stored = await withStore((store) => store.get("prod", "webhook", created.id));
      expect(stored?.data["defaultReply"]).toBe("Thanks!");
      expect(stored?.data["attachedServiceSid"]).toBe(service.sid);
      expect(stored?.data["previousServiceUrl"]).toBe("https://before.example.com/in");
      expect(outs["recordVersion"]).toBe(stored?.version);
      const { props } = await smsWebhook.read(ctx, created.id, { ...inputs, ...outs });
      expect(props["attachedServiceSid"]).toBe(service.sid);
      expect(props["previousServiceUrl"]).toBe("https://before.example.com/in");
      expect(emu.getService(service.sid)?.inboundRequestUrl).toBe(created.outs["webhookUrl"]);
      await smsWebhook.delete(ctx, created.id, props);
      expect(emu.getService(service.sid)?.inboundRequestUrl).toBe("https://before.example.com/in");
    } finally {
      await closeServer(up);
    }
  });
});

describe("the webhook's secrets for the receiver", () => {
  it("keeps twilioAuthToken encrypted in the record's secret, a fingerprint in outputs, never the token", async () => {
    const { account, credentialId } = await twilioSetup({ apiKey: true });
    const token = account.authToken;
    const created = await smsWebhook.create(
      ctx,
      webhookInputs(credentialId, { apiCredentialAuth: "api-key", twilioAuthToken: token }),
    );
    expect(JSON.stringify(created.outs)).not.toContain(token);
    const secret = { twilioAuthToken: token };
    expect(created.outs["secretFingerprint"]).toBe(
      await withStore((s) => s.fingerprint("prod", "webhook", secret)),
    );
    const stored = await withStore(async (s) => ({
      record: await s.get("prod", "webhook", created.id),
      secret: await s.readSecret("prod", "webhook", created.id, { actor: "test" }),
    }));
    expect(stored.secret).toEqual(secret);
    expect(JSON.stringify(stored.record?.data)).not.toContain(token);
  });

  it("an hmac-sha256 verification: type and default header in data, only the secret in the secret payload", async () => {
    const credential = await withStore((s) =>
      s.create(
        {
          sandbox: "prod",
          kind: "api-credential",
          name: `vendor-${++seq}`,
          credentialType: "custom-rcs",
          data: {
            providerName: "Vendor",
            providerUrl: "https://vendor.example.com/send",
            authType: "bearer",
            payloadTemplate: '{"to":"{{toNumber}}","from":"{{fromNumber}}","text":"{{message}}"}',
          },
          secret: { auth: { type: "bearer", token: "vendor-token" } },
        },
        { actor: "test" },
      ),
    );
    const hmacSecret = `hmac-${process.pid}-${Date.now()}`;
    const inputs = webhookInputs(credential.id, {
      verification: { type: "hmac-sha256", secret: hmacSecret },
    });
    delete inputs["apiCredentialType"];
    expect((await smsWebhook.check(ctx, {}, inputs)).failures).toEqual([]);
    const created = await smsWebhook.create(ctx, inputs);
    expect(created.outs).toMatchObject({
      verificationType: "hmac-sha256",
      verificationHeader: "X-Signature",
    });
    expect(JSON.stringify(created.outs)).not.toContain(hmacSecret);
    const stored = await withStore(async (s) => ({
      record: await s.get("prod", "webhook", created.id),
      secret: await s.readSecret("prod", "webhook", created.id, { actor: "test" }),
    }));
    expect(stored.record?.data["verification"]).toEqual({ type: "hmac-sha256", header: "X-Signature" });
    expect(stored.record?.data["apiCredentialType"]).toBe("custom-rcs");
    expect(stored.secret).toEqual({ verification: { secret: hmacSecret } });

    // Without verification, the same bare id is refused in check and in create.
    const bare = webhookInputs(credential.id);
    delete bare["apiCredentialType"];
    expect((await smsWebhook.check(ctx, {}, bare)).failures?.map((f) => f.property)).toEqual([
      "verification",
    ]);
    await expect(smsWebhook.create(ctx, bare)).rejects.toThrow(
      /verification: is required for a custom-vendor credential/,
    );
  });

  it("a verification on a Twilio credential is refused: Twilio signs its own requests", async () => {
    const r = await smsWebhook.check(
      ctx,
      {},
      webhookInputs(UNKNOWN, { verification: { type: "bearer", token: "abc" } }),
    );
    expect(r.failures).toEqual([
      {
        property: "verification",
        reason:
          "is for custom-vendor credentials; Twilio's deliveries are checked with X-Twilio-Signature (the account auth token)",
      },
    ]);
  });

  it("diff compares the secret payload's fingerprint: a new token updates, the same one does not", async () => {
    const id = "whk_0";
    const olds = { sandbox: "prod", name: "h", type: "inbound", apiCredentialId: "c", recordVersion: 1 };
    const token = "t".repeat(32);
    const same = await smsWebhook.diff(
      ctx,
      id,
      { ...olds, secretFingerprint: fingerprintSecret({ twilioAuthToken: token }) },
      { ...olds, twilioAuthToken: token },
    );
    expect(same.changes).toBe(false);
    const changed = await smsWebhook.diff(
      ctx,
      id,
      { ...olds, secretFingerprint: fingerprintSecret({ twilioAuthToken: token }) },
      { ...olds, twilioAuthToken: `${token}x` },
    );
    // A change is "unknown" to the engine, which then names the changed input itself.
    expect(changed.changes).not.toBe(false);
    const basic = { type: "basic", username: "u", password: "p" };
    const vfp = fingerprintSecret({ verification: { username: "u", password: "p" } });
    const sameBasic = await smsWebhook.diff(
      ctx,
      id,
      { ...olds, secretFingerprint: vfp },
      { ...olds, verification: basic },
    );
    expect(sameBasic.changes).toBe(false);
    const unknown = await smsWebhook.diff(
      ctx,
      id,
      { ...olds, secretFingerprint: vfp },
      { ...olds, verification: UNKNOWN },
    );
    expect(unknown.changes).not.toBe(false);
  });
});

describe("check: what the credential's kind asks of a webhook", () => {
  it("a credential resource on an API key: twilioAuthToken is required, in preview", async () => {
    const r = await smsWebhook.check(
      ctx,
      {},
      webhookInputs(UNKNOWN, { apiCredentialAuth: "api-key", attachToMessagingService: true }),
    );
    expect(r.failures).toEqual([
      {
        property: "twilioAuthToken",
        reason:
          "is required: the credential signs in with an API key, but Twilio signs webhook requests with the account's auth token, which the receiver needs to check them",
      },
    ]);
  });

  it("a bare id of a stored API-key credential: the same failure, read from the store; create refuses too", async () => {
    const { credentialId } = await twilioSetup({ apiKey: true });
    const inputs = webhookInputs(credentialId);
    delete inputs["apiCredentialType"];
    const r = await smsWebhook.check(ctx, {}, inputs);
    expect(r.failures?.map((f) => f.property)).toEqual(["twilioAuthToken"]);
    await expect(smsWebhook.create(ctx, inputs)).rejects.toThrow(/twilioAuthToken: is required/);
  });

  it("a bare id of a stored auth-token credential needs no twilioAuthToken", async () => {
    const { credentialId } = await twilioSetup();
    const inputs = webhookInputs(credentialId);
    delete inputs["apiCredentialType"];
    expect((await smsWebhook.check(ctx, {}, inputs)).failures).toEqual([]);
  });

  it("a custom-vendor credential (known in preview) needs verification and takes no twilioAuthToken", async () => {
    const r = await smsWebhook.check(
      ctx,
      {},
      webhookInputs(UNKNOWN, { apiCredentialType: "custom-rcs", twilioAuthToken: "x".repeat(32) }),
    );
    expect(r.failures?.map((f) => f.property).sort()).toEqual(["twilioAuthToken", "verification"]);
  });

  it("an unknown verification in preview is not reported", async () => {
    const r = await smsWebhook.check(
      ctx,
      {},
      webhookInputs(UNKNOWN, { apiCredentialType: "custom-rcs", verification: UNKNOWN }),
    );
    expect(r.failures).toEqual([]);
  });
});

describe("webhookBaseUrl has no default", () => {
  it("a webhook without it fails in preview naming smschannels:webhookBaseUrl, even with a store service", async () => {
    const env = process.env;
    process.env = {
      ...env,
      SMSCHANNELS_STORE_URL: "https://store.example.com",
      SMSCHANNELS_STORE_TOKEN: "t",
    };
    delete process.env["SMSCHANNELS_WEBHOOK_BASE_URL"];
    try {
      const fresh = new ProviderContext(resolveSettings(undefined));
      try {
        const r = await smsWebhook.check(fresh, {}, webhookInputs(UNKNOWN));
        expect(fresh.settings.webhookBaseUrl).toBeUndefined();
        expect(r.failures).toEqual([
          expect.objectContaining({
            property: "smschannels:webhookBaseUrl",
            reason: expect.stringContaining("the store service is private and is no default"),
          }),
        ]);
      } finally {
        await fresh.close();
      }
    } finally {
      process.env = env;
    }
  });
});
