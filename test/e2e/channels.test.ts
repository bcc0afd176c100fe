import fs from "node:fs";
import https from "node:https";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { openEmbeddedStore } from "../../store/embedded";
import { TwilioEmulator } from "../twilio-emulator";
import {
  changes,
  diagnostics,
  expectFailure,
  expectNoChanges,
  expectSuccess,
  TestStack,
} from "../support/pulumi";
import { makeTestPki, type TestPki } from "../support/tls";
import type { TestServer } from "../support/http-server";
import { startReceiverHealthStub } from "../support/receiver-stub";

/**
 * RCS custom-vendor credentials, webhooks and channel configurations on the real engine, against
 * the Twilio emulator and real loopback vendor servers (HTTPS with mutual TLS, an OAuth2 token server).
 */
let emu: TwilioEmulator;
/** Answers the provider's health check before it attaches a webhook to a service. */
let receiver: TestServer;
const stacks: TestStack[] = [];
const servers: (http.Server | https.Server)[] = [];

beforeAll(async () => {
  emu = await TwilioEmulator.start();
  receiver = await startReceiverHealthStub();
});
afterAll(async () => {
  for (const s of stacks) s.cleanup();
  for (const s of servers) s.close();
  await receiver.close();
  await emu.stop();
});

async function stack(fixture: string, options: Parameters<typeof TestStack.create>[1] = {}) {
  const s = await TestStack.create(fixture, {
    ...options,
    config: {
      "smschannels:twilioApiUrl": emu.url,
      "smschannels:webhookBaseUrl": receiver.base,
      // The RCS vendor is the loopback emulator.
      "smschannels:allowPrivateVendorHosts": "true",
      ...options.config,
    },
  });
  stacks.push(s);
  return s;
}

function seedAccount() {
  const a = emu.addAccount({ friendlyName: "Acme" });
  const number = emu.addIncomingNumber(a.sid, `+1415556${String(1000 + Math.floor(Math.random() * 8999))}`);
  const sms = emu.addService(a.sid, {
    phoneNumbers: [number.phoneNumber],
    inboundRequestUrl: "https://before.example.com/in",
  });
  const rcs = emu.addService(a.sid, { channelSenders: ["rcs:acme_agent"] });
  const plain = emu.addService(a.sid, { friendlyName: "SMS only" });
  return {
    ...a,
    number: number.phoneNumber,
    smsService: sms.sid,
    rcsService: rcs.sid,
    plainService: plain.sid,
  };
}

async function records(
  s: TestStack,
  kind: "api-credential" | "webhook" | "channel-configuration",
  sandbox = "prod",
) {
  const store = await openEmbeddedStore({ path: s.storePath });
  try {
    return await store.list(sandbox, kind);
  } finally {
    await store.close();
  }
}

test("the whole example stack: preview, up, a change, refresh, destroy; the service's inbound URL is set on up and restored on destroy", async () => {
  const a = seedAccount();
  const s = await stack("example", {
    source: "examples/channels",
    pulumiYaml: "name: sms-channels-example\nruntime: nodejs\n",
    config: {
      "sms-channels-example:twilioAccountSid": a.sid,
      "sms-channels-example:messagingServiceSid": a.smsService,
      "sms-channels-example:rcsMessagingServiceSid": a.rcsService,
      "sms-channels-example:inboundNumber": a.number,
    },
    secrets: { "sms-channels-example:twilioAuthToken": a.authToken },
  });
  const preview = expectSuccess(await s.preview());
  expect(changes(preview)).toMatchObject({ create: 7 });
  expect(emu.getService(a.smsService)?.inboundRequestUrl).toBe("https://before.example.com/in");

  const up = expectSuccess(await s.up());
  expect(changes(up)["create"]).toBe(7);
  const out = await s.outputs();
  expect(out["inboundWebhookUrl"]).toMatch(
    new RegExp(`^${receiver.base}/v1/sandboxes/prod/webhooks/whk_[0-9a-f]{24}$`),
  );
  expect(emu.getService(a.smsService)?.inboundRequestUrl).toBe(out["inboundWebhookUrl"]);
  expect(emu.getService(a.smsService)?.statusCallback).toBe(out["feedbackWebhookUrl"]);
  expect(await records(s, "channel-configuration")).toHaveLength(2);
  const state = await s.exportText();
  expect(state).not.toContain(a.authToken);

  // A change: a new description on the RCS channel updates that one record in place.
  const program = path.join(s.dir, "index.ts");
  fs.writeFileSync(
    program,
    fs.readFileSync(program, "utf8").replace("Delivery alerts by RCS", "Delivery and return alerts by RCS"),
  );
  const change = expectSuccess(await s.up());
  expect(changes(change)).toEqual({ update: 1, same: 6 });
  const rcs = (await records(s, "channel-configuration")).find((r) => r.name === "rcs-alerts");
  expect(rcs?.data["description"]).toBe("Delivery and return alerts by RCS");
  expect(rcs?.version).toBe(2);

  expectSuccess(await s.refresh());
  expectNoChanges(await s.preview());

  const destroy = expectSuccess(await s.destroy());
  expect(changes(destroy)["delete"]).toBe(7);
  expect(emu.getService(a.smsService)?.inboundRequestUrl).toBe("https://before.example.com/in");
  expect(emu.getService(a.smsService)?.statusCallback ?? "").toBe("");
  expect(await records(s, "api-credential")).toHaveLength(0);
});

test("an rcs channel bound to a Twilio SMS credential by id is refused by the store at up, and nothing of it is written", async () => {
  const a = seedAccount();
  const s = await stack("rcs-on-sms", {
    config: { "test:accountSid": a.sid },
    secrets: { "test:authToken": a.authToken },
  });
  const up = expectFailure(await s.up());
  // The store's own rule (store/rules.ts) refuses it, with the store's words, before anything is written.
  expect(diagnostics(up, "error")).toMatch(
    /property apiCredential value .* has a problem: channel configuration "rcs-promo" is an rcs channel, but api-credential "twilio-sms" \(id cred_[0-9a-f]{24}\) is a twilio-sms credential/,
  );
  expect(diagnostics(up, "error")).toContain(
    "bind the channel to a CustomRcsCredential (custom-rcs) instead",
  );
  expect(await records(s, "channel-configuration")).toHaveLength(0);
  expect(await records(s, "api-credential")).toHaveLength(1);
  expect((await s.exportState()).some((r) => r.type.endsWith(":ChannelConfiguration"))).toBe(false);
});

test("destroying a credential that a channel outside the stack still uses fails and names that channel", async () => {
  const a = seedAccount();
  const s = await stack("sms-credential", {
    config: { "test:accountSid": a.sid },
    secrets: { "test:authToken": a.authToken },
  });
  expectSuccess(await s.up());
  const credentialId = String((await s.outputs())["credentialId"]);
  const store = await openEmbeddedStore({ path: s.storePath });
  const channel = await store.create(
    {
      sandbox: "prod",
      kind: "channel-configuration",
      name: "campaigns-team-sms",
      data: {
        channel: "sms",
        messageType: "marketing",
        senderNumber: "+14155550100",
        apiCredentialId: credentialId,
      },
      refs: [{ kind: "api-credential", id: credentialId }],
    },
    { actor: "another-team" },
  );
  await store.close();
  const destroy = expectFailure(await s.destroy());
  expect(diagnostics(destroy, "error")).toContain(
    `channel-configuration "campaigns-team-sms" (id ${channel.id})`,
  );
  expect(diagnostics(destroy, "error")).toContain("[IN_USE]");
  expect(await records(s, "api-credential")).toHaveLength(1);
  expect((await s.exportState()).some((r) => r.id === credentialId)).toBe(true);
});

const template = JSON.stringify({ to: "{{toNumber}}", from: "{{fromNumber}}", text: "{{message}}" });

test("a template without {{message}} fails in preview", async () => {
  const s = await stack("rcs-credential", {
    config: {
      "test:providerUrl": "https://rcs.example.com/v1/messages",
      "test:payloadTemplate": JSON.stringify({ to: "{{toNumber}}", from: "{{fromNumber}}" }),
    },
    secrets: { "test:auth": JSON.stringify({ type: "bearer", token: "t".repeat(24) }) },
  });
  const r = expectFailure(await s.preview());
  expect(diagnostics(r, "error")).toMatch(
    /property payloadTemplate value .* has a problem: must reference \{\{message\}\}/,
  );
  expect(r.output).not.toContain("t".repeat(24));
});

test("a Twilio messaging service without an RCS sender fails in preview", async () => {
  const a = seedAccount();
  const messagesUrl = `${emu.url}/2010-04-01/Accounts/${a.sid}/Messages.json`;
  const s = await stack("rcs-credential", {
    config: {
      "test:providerUrl": messagesUrl,
      "test:payloadTemplate": template,
      "test:messagingServiceSid": a.plainService,
    },
    secrets: { "test:auth": JSON.stringify({ type: "basic", username: a.sid, password: a.authToken }) },
  });
  const r = expectFailure(await s.preview());
  expect(diagnostics(r, "error")).toMatch(
    /property messagingServiceSid value .* has a problem: Messaging Service MG[0-9a-f]{32} has no RCS sender/,
  );
  // The same credential on the service that has one passes.
  await s.setConfig("test:messagingServiceSid", a.rcsService);
  expectSuccess(await s.preview());
  // And a wrong password is named as auth.password.
  await s.setConfig(
    "test:auth",
    JSON.stringify({ type: "basic", username: a.sid, password: "0".repeat(32) }),
    true,
  );
  const wrong = expectFailure(await s.preview());
  expect(diagnostics(wrong, "error")).toMatch(
    /property auth\.password value .* has a problem: Twilio rejected/,
  );
});

describe("verifyConnection of a custom credential", () => {
  let pki: TestPki;
  const quoted = 'She said "hi" \\ then left\nnew line, tab\t and {{toNumber}} "quoted"';

  beforeAll(() => {
    pki = makeTestPki(fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-pki-")));
  });

  function listen(server: http.Server | https.Server): Promise<string> {
    servers.push(server);
    return new Promise((resolve) =>
      server.listen(0, "127.0.0.1", () => {
        const scheme = server instanceof https.Server ? "https" : "http";
        resolve(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`);
      }),
    );
  }

  function collect(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => resolve(body));
    });
  }

  test("reaches a loopback HTTPS server with mutual TLS; the body is valid JSON for a message full of quotes", async () => {
    const received: { body: string; contentType: unknown; clientCn: unknown }[] = [];
    const url = await listen(
      https.createServer(
        {
          cert: pki.serverCert,
          key: pki.serverKey,
          ca: pki.caCert,
          requestCert: true,
          rejectUnauthorized: true,
        },
        async (req, res) => {
          const cert = (req.socket as import("node:tls").TLSSocket).getPeerCertificate();
          received.push({
            body: await collect(req),
            contentType: req.headers["content-type"],
            clientCn: cert.subject?.CN,
          });
          res.writeHead(202, { "content-type": "application/json" }).end('{"accepted":true}');
        },
      ),
    );
    const s = await stack("rcs-credential", {
      env: { NODE_EXTRA_CA_CERTS: pki.caFile },
      config: {
        "test:providerUrl": `${url}/v1/messages`,
        "test:payloadTemplate": template,
        "test:verifyConnection": JSON.stringify({ to: "+14155550123", from: "AcmeAgent", message: quoted }),
      },
      secrets: {
        "test:auth": JSON.stringify({ type: "none", mtls: { cert: pki.clientCert, key: pki.clientKey } }),
      },
    });
    expectSuccess(await s.preview());
    expect(received).toHaveLength(0);
    expectSuccess(await s.up());
    expect(received).toHaveLength(1);
    expect(received[0]?.contentType).toMatch(/^application\/json/);
    expect(received[0]?.clientCn).toBe("test-client");
    expect(JSON.parse(received[0]!.body)).toEqual({ to: "+14155550123", from: "AcmeAgent", text: quoted });
    const out = await s.outputs();
    expect(out["authType"]).toBe("mtls");
    expect(out["verificationStatus"]).toBe(202);
    expect(await s.exportText()).not.toContain(pki.clientKey.split("\n")[1]!);
  });

  test("fetches an OAuth2 token first and sends with it", async () => {
    const secret = `client-secret-${Math.random().toString(36).slice(2)}`;
    const token = `tok-${Math.random().toString(36).slice(2)}`;
    const tokenRequests: string[] = [];
    const tokenUrl = await listen(
      http.createServer(async (req, res) => {
        tokenRequests.push(await collect(req));
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }));
      }),
    );
    const sent: { auth: string | undefined; body: string }[] = [];
    const vendorUrl = await listen(
      http.createServer(async (req, res) => {
        sent.push({ auth: req.headers.authorization, body: await collect(req) });
        res.writeHead(200, { "content-type": "application/json" }).end('{"sid":"SM' + "a".repeat(32) + '"}');
      }),
    );
    const s = await stack("rcs-credential", {
      config: {
        "test:providerUrl": `${vendorUrl}/send`,
        "test:payloadTemplate": template,
        "test:verifyConnection": JSON.stringify({ to: "+14155550123", message: quoted }),
      },
      secrets: {
        "test:auth": JSON.stringify({
          type: "oauth2",
          tokenUrl: `${tokenUrl}/token`,
          body: `grant_type=client_credentials&client_id=acme&client_secret=${secret}`,
        }),
        "test:headers": JSON.stringify({ "X-Tenant": "acme" }),
      },
    });
    expectSuccess(await s.up());
    expect(tokenRequests).toEqual([`grant_type=client_credentials&client_id=acme&client_secret=${secret}`]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.auth).toBe(`Bearer ${token}`);
    expect(JSON.parse(sent[0]!.body)).toEqual({ to: "+14155550123", from: "", text: quoted });
    const out = await s.outputs();
    expect(out["verificationMessageSid"]).toBe("SM" + "a".repeat(32));
    const state = await s.exportText();
    expect(state).not.toContain(secret);
    expect(state).not.toContain(token);
  });
});

test("an attached webhook replaced into another sandbox still puts the service's original URL back on destroy", async () => {
  const a = seedAccount();
  const s = await stack("attached-webhook", {
    config: { "test:accountSid": a.sid, "test:messagingServiceSid": a.smsService },
    secrets: { "test:authToken": a.authToken },
  });
  expectSuccess(await s.up());
  const first = String((await s.outputs())["webhookUrl"]);
  expect(emu.getService(a.smsService)?.inboundRequestUrl).toBe(first);

  await s.setConfig("test:sandbox", "staging");
  const replaced = expectSuccess(await s.up());
  expect(changes(replaced)["replace"]).toBe(2);
  const second = String((await s.outputs())["webhookUrl"]);
  expect(second).toContain("/v1/sandboxes/staging/webhooks/");
  expect(emu.getService(a.smsService)?.inboundRequestUrl).toBe(second);

  expectSuccess(await s.destroy());
  expect(emu.getService(a.smsService)?.inboundRequestUrl).toBe("https://before.example.com/in");
});
