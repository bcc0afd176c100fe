/**
 * The contract's diff (provider/handlers/record.ts) through the resource handlers: `sandbox`
 * replaces, a secret is compared through its fingerprint, every other input updates in place,
 * defaults and key order do not count as changes, unknown values do. `diff` asks no Twilio; it asks
 * the store only for the keyed fingerprint of a secret that differs from state's unsalted one
 * (here: an embedded store in a temporary folder).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { channelConfiguration } from "../../provider/handlers/channelConfiguration";
import type { Inputs } from "../../provider/handlers/common";
import type { ProviderContext } from "../../provider/handlers/context";
import { customRcsCredential } from "../../provider/handlers/customRcsCredential";
import { smsApiCredential } from "../../provider/handlers/smsApiCredential";
import { smsWebhook } from "../../provider/handlers/smsWebhook";
import { UNKNOWN } from "../../provider/schema/check";
import { legacyFingerprint as fingerprintSecret } from "../../store/crypto";
import { contextFromConfig } from "../../provider/handlers/context";

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");
const secret = (): string => hex(16);
const recordId = (): string => `rec_${hex(8)}`;

/**
 * `diff` asks the context for nothing but the store (for a keyed fingerprint); any other use fails
 * the test. The store is an embedded one in a temporary folder, opened on first use.
 */
let real: ProviderContext | undefined;
const context = (): ProviderContext => (real ??= contextFromConfig(undefined));
const NO_CONTEXT = new Proxy({} as ProviderContext, {
  get(_t, key) {
    if (key === "store") return () => context().store();
    throw new Error(`diff used the provider context (${String(key)})`);
  },
});

const NO_CHANGE = { changes: false, deleteBeforeReplace: false };
// A change leaves `changes` unset ("unknown"): the engine then diffs the inputs itself and names each
// changed one (the dynamic provider host passes no keys of ours). Compared with `toStrictEqual`, so
// that `changes: true` (a bare update) does not pass for it.
const UPDATE = { deleteBeforeReplace: false };
const REPLACE = { replaces: ["sandbox"], deleteBeforeReplace: false };

/** What the serialized provider adds to every input set: never compared. */
const PROVIDER = { __provider: "exports.handler = require('pulumi-sms-channels/handlers')" };

const savedEnv: Record<string, string | undefined> = {};
let storeDir: string;
beforeAll(() => {
  // Clear the settings so nothing of the host leaks in; the store is a throwaway one.
  for (const k of Object.keys(process.env)) {
    if (k.startsWith("SMSCHANNELS_")) {
      savedEnv[k] = process.env[k];
      delete process.env[k];
    }
  }
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-diff-"));
  process.env["SMSCHANNELS_STORE_PATH"] = path.join(storeDir, "store.db");
});
afterAll(async () => {
  if (real) await (await real.store()).close();
  fs.rmSync(storeDir, { recursive: true, force: true });
  delete process.env["SMSCHANNELS_STORE_PATH"];
  for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
});

/** Outputs as create wrote them: the plain inputs plus the fields only outputs have. */
function outputsOf(inputs: Inputs, extra: Inputs = {}): Inputs {
  const { __provider: _p, ...rest } = inputs;
  return { sandbox: "prod", ...rest, recordId: recordId(), recordVersion: 3, ...extra };
}

describe("diff: SmsApiCredential", () => {
  const accountSid = `AC${hex(16)}`;
  const serviceSid = `MG${hex(16)}`;

  function setup(extra: Inputs = {}) {
    const authToken = secret();
    const news: Inputs = {
      ...PROVIDER,
      name: "primary",
      accountSid,
      authToken,
      messagingServiceSid: serviceSid,
      verifyConnection: { to: "+14155550100", message: "hello" },
      ...extra,
    };
    const { authToken: _t, ...plain } = news;
    const olds = outputsOf(plain, {
      vendor: "twilio",
      credentialType: "twilio-sms",
      accountFriendlyName: "Acme",
      accountType: "Full",
      validatedAt: "2024-01-01T00:00:00.000Z",
      secretFingerprint: fingerprintSecret({ authToken }),
    });
    return { authToken, news, olds };
  }

  const diff = (olds: Inputs, news: Inputs) => smsApiCredential.diff(NO_CONTEXT, "rec_1", olds, news);

  it("the same inputs (sandbox omitted, its default in the outputs) are no change", async () => {
    const { news, olds } = setup();
    expect(olds["sandbox"]).toBe("prod");
    expect(news).not.toHaveProperty("sandbox");
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
  });

  it("the same secret, given again, is no change", async () => {
    const { authToken, news, olds } = setup();
    await expect(diff(olds, { ...news, authToken })).resolves.toStrictEqual(NO_CHANGE);
  });

  it("a new secret is a change through the fingerprint, in place", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, authToken: secret() })).resolves.toStrictEqual(UPDATE);
  });

  it("an unknown secret is a change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, authToken: UNKNOWN })).resolves.toStrictEqual(UPDATE);
  });

  it("state with the keyed fingerprint: the same secret is no change, another one a change", async () => {
    const { authToken, news, olds } = setup();
    const store = await context().store();
    olds["secretFingerprint"] = await store.fingerprint("prod", "api-credential", { authToken });
    expect(olds["secretFingerprint"]).not.toBe(fingerprintSecret({ authToken }));
    await expect(diff(olds, news)).resolves.toEqual(NO_CHANGE);
    await expect(diff(olds, { ...news, authToken: secret() })).resolves.toEqual(UPDATE);
  });

  it("asks the store naming state's fingerprint, so the service does not count an unchanged secret as a guess", async () => {
    const { authToken, news, olds } = setup();
    const store = await context().store();
    olds["secretFingerprint"] = await store.fingerprint("prod", "api-credential", { authToken });
    const asked = jest.spyOn(store, "fingerprint");
    try {
      await expect(diff(olds, news)).resolves.toEqual(NO_CHANGE);
      expect(asked).toHaveBeenCalledWith("prod", "api-credential", { authToken }, olds["secretFingerprint"]);
    } finally {
      asked.mockRestore();
    }
  });

  it("a state without a fingerprint sees the secret as a change", async () => {
    const { news, olds } = setup();
    delete olds["secretFingerprint"];
    await expect(diff(olds, news)).resolves.toStrictEqual(UPDATE);
  });

  it("an API key secret is fingerprinted the same way", async () => {
    const apiKeySid = `SK${hex(16)}`;
    const apiKeySecret = secret();
    const news: Inputs = { name: "k", accountSid, apiKeySid, apiKeySecret };
    const olds = outputsOf(
      { name: "k", accountSid, apiKeySid },
      { secretFingerprint: fingerprintSecret({ apiKeySecret }) },
    );
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
    await expect(diff(olds, { ...news, apiKeySecret: secret() })).resolves.toStrictEqual(UPDATE);
  });

  it("a sandbox change replaces, and only sandbox is named", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, sandbox: "dev" })).resolves.toStrictEqual(REPLACE);
  });

  it("a sandbox change with a new secret still replaces on sandbox only", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, sandbox: "dev", authToken: secret() })).resolves.toStrictEqual(
      REPLACE,
    );
  });

  it("an unknown sandbox may replace", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, sandbox: UNKNOWN })).resolves.toStrictEqual(REPLACE);
  });

  it.each([
    ["name", "secondary"],
    ["messagingServiceSid", `MG${hex(16)}`],
    ["inboundNumber", "+14155550199"],
    ["validation", "off"],
    ["verifyConnection", { to: "+14155550100", message: "hello again" }],
  ])("a new %s updates in place", async (field, value) => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, [field]: value })).resolves.toStrictEqual(UPDATE);
  });

  it("a removed optional input is a change", async () => {
    const { news, olds } = setup();
    delete news["messagingServiceSid"];
    await expect(diff(olds, news)).resolves.toStrictEqual(UPDATE);
  });

  it("an unknown non-secret input is a change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, messagingServiceSid: UNKNOWN })).resolves.toStrictEqual(UPDATE);
    await expect(
      diff(olds, { ...news, verifyConnection: { to: UNKNOWN, message: "hello" } }),
    ).resolves.toStrictEqual(UPDATE);
  });

  it("key order inside verifyConnection is no change", async () => {
    const { news, olds } = setup();
    olds["verifyConnection"] = { message: "hello", to: "+14155550100" };
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
  });

  it("outputs-only fields (vendor, validatedAt, recordVersion) are not compared", async () => {
    const { news, olds } = setup();
    await expect(
      diff({ ...olds, vendor: "other", validatedAt: "2030-01-01T00:00:00.000Z", recordVersion: 99 }, news),
    ).resolves.toStrictEqual(NO_CHANGE);
  });
});

describe("diff: a change made outside Pulumi", () => {
  test("refresh marks it in the outputs; diff then says yes itself, since the inputs show nothing", async () => {
    const news = {
      ...PROVIDER,
      sandbox: "prod",
      name: "main",
      accountSid: "AC" + hex(16),
      authToken: secret(),
    };
    const olds = outputsOf(news, {
      secretFingerprint: fingerprintSecret({ authToken: news.authToken }),
      inboundNumber: "+14155550777",
    });
    delete olds["authToken"];
    await expect(smsApiCredential.diff(NO_CONTEXT, "rec_1", olds, news)).resolves.toStrictEqual(UPDATE);
    await expect(
      smsApiCredential.diff(NO_CONTEXT, "rec_1", { ...olds, changedOutsidePulumi: true }, news),
    ).resolves.toStrictEqual({ changes: true, deleteBeforeReplace: false });
  });
});

describe("diff: SmsWebhook", () => {
  const keywords = {
    optOut: { keywords: ["Halt", "Stop"], reply: "Bye", fuzzy: true },
    custom: [{ keyword: "Promo", reply: "10% off" }],
  };

  function setup(extra: Inputs = {}) {
    const token = secret();
    const news: Inputs = {
      ...PROVIDER,
      name: "inbound",
      type: "inbound",
      apiCredentialId: recordId(),
      apiCredentialType: "custom-rcs",
      // A custom vendor's webhook says how deliveries are verified; the secret is compared by fingerprint.
      verification: { type: "bearer", token },
      keywords,
      payloadMapping: { inboundMessage: "message.text", profileNumber: "from" },
      attachToMessagingService: false,
      ...extra,
    };
    const { apiCredentialType: _t, verification: _v, ...plain } = news;
    const olds = outputsOf(plain, {
      apiCredentialType: "custom-rcs",
      webhookUrl: "https://hooks.example.com/v1/sandboxes/prod/webhooks/x",
      verificationType: "bearer",
      secretFingerprint: fingerprintSecret({ verification: { token } }),
    });
    return { news, olds };
  }

  const diff = (olds: Inputs, news: Inputs) => smsWebhook.diff(NO_CONTEXT, "rec_1", olds, news);

  it("the same inputs are no change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
  });

  it("key order in nested objects (keywords, payloadMapping) is no change", async () => {
    const { news, olds } = setup();
    olds["keywords"] = {
      custom: [{ reply: "10% off", keyword: "Promo" }],
      optOut: { fuzzy: true, reply: "Bye", keywords: ["Halt", "Stop"] },
    };
    olds["payloadMapping"] = { profileNumber: "from", inboundMessage: "message.text" };
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
  });

  it("the order of a keyword list is a change", async () => {
    const { news, olds } = setup();
    const reordered = { ...keywords, optOut: { ...keywords.optOut, keywords: ["Stop", "Halt"] } };
    await expect(diff(olds, { ...news, keywords: reordered })).resolves.toStrictEqual(UPDATE);
  });

  it("a new reply deep in keywords is a change", async () => {
    const { news, olds } = setup();
    const changed = { ...keywords, custom: [{ keyword: "Promo", reply: "20% off" }] };
    await expect(diff(olds, { ...news, keywords: changed })).resolves.toStrictEqual(UPDATE);
  });

  it("an unknown value deep in keywords is a change", async () => {
    const { news, olds } = setup();
    const unknown = { ...keywords, custom: [{ keyword: "Promo", reply: UNKNOWN }] };
    await expect(diff(olds, { ...news, keywords: unknown })).resolves.toStrictEqual(UPDATE);
  });

  it.each([
    ["attachToMessagingService", true],
    ["senderNumber", "12345"],
    ["defaultReply", "Thanks"],
    ["apiCredentialId", "rec_other"],
  ])("a new %s updates in place", async (field, value) => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, [field]: value })).resolves.toStrictEqual(UPDATE);
  });

  it("a new type (inbound to feedback) updates in place", async () => {
    const { news, olds } = setup();
    const feedback: Inputs = { ...news, type: "feedback", payloadMapping: { status: "delivery.status" } };
    delete feedback["keywords"];
    await expect(diff(olds, feedback)).resolves.toStrictEqual(UPDATE);
  });

  it("a sandbox change replaces", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, sandbox: "staging" })).resolves.toStrictEqual(REPLACE);
  });

  it("a new verification secret, or a new twilioAuthToken, updates in place (through the fingerprint)", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, verification: { type: "bearer", token: secret() } })).resolves.toEqual(
      UPDATE,
    );
    const twilio = setup({
      apiCredentialType: "twilio-sms",
      verification: undefined,
      payloadMapping: undefined,
    });
    const token = secret();
    const withToken = { ...twilio.olds, secretFingerprint: fingerprintSecret({ twilioAuthToken: token }) };
    await expect(diff(withToken, { ...twilio.news, twilioAuthToken: token })).resolves.toEqual(NO_CHANGE);
    await expect(diff(withToken, { ...twilio.news, twilioAuthToken: secret() })).resolves.toEqual(UPDATE);
  });

  it("an unknown apiCredentialId is a change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, apiCredentialId: UNKNOWN })).resolves.toStrictEqual(UPDATE);
  });
});

describe("diff: ChannelConfiguration", () => {
  function setup(extra: Inputs = {}) {
    const news: Inputs = {
      ...PROVIDER,
      name: "marketing-sms",
      channel: "sms",
      messageType: "marketing",
      apiCredentialId: recordId(),
      apiCredentialType: "twilio-sms",
      senderNumber: "+14155550100",
      webhookIds: [recordId(), recordId()],
      ...extra,
    };
    const { apiCredentialType: _t, ...plain } = news;
    // As create wrote them: the schema's default of executionField included.
    const olds = outputsOf(
      { executionField: "mobilePhone.number", ...plain },
      { apiCredentialType: "twilio-sms", status: "stored" },
    );
    return { news, olds };
  }

  const diff = (olds: Inputs, news: Inputs) => channelConfiguration.diff(NO_CONTEXT, "rec_1", olds, news);

  it("an omitted executionField against the default in the outputs is no change", async () => {
    const { news, olds } = setup();
    expect(news).not.toHaveProperty("executionField");
    expect(olds["executionField"]).toBe("mobilePhone.number");
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
  });

  it("the default given explicitly is no change either", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, executionField: "mobilePhone.number" })).resolves.toStrictEqual(
      NO_CHANGE,
    );
  });

  it("an omitted executionField against another value in the outputs is a change", async () => {
    const { news, olds } = setup();
    olds["executionField"] = "contact.phone";
    await expect(diff(olds, news)).resolves.toStrictEqual(UPDATE);
  });

  it("keeps the defaults while an input outside the compared fields is unknown", async () => {
    // apiCredentialType is not compared; its unknown value makes zod fail, yet the defaults apply.
    const { news, olds } = setup({ apiCredentialType: UNKNOWN });
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
  });

  it.each([
    ["executionField", "contact.phone"],
    ["channel", "mms"],
    ["messageType", "transactional"],
    ["senderNumber", "ACME"],
    ["subdomain", "promo"],
    ["description", "Spring sale"],
    ["name", "marketing-sms-2"],
  ])("a new %s updates in place", async (field, value) => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, [field]: value })).resolves.toStrictEqual(UPDATE);
  });

  it("the order of webhookIds is a change", async () => {
    const { news, olds } = setup();
    const ids = news["webhookIds"] as string[];
    await expect(diff(olds, { ...news, webhookIds: [...ids].reverse() })).resolves.toStrictEqual(UPDATE);
  });

  it("an unknown non-secret input is a change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, apiCredentialId: UNKNOWN })).resolves.toStrictEqual(UPDATE);
    await expect(diff(olds, { ...news, webhookIds: [UNKNOWN] })).resolves.toStrictEqual(UPDATE);
  });

  it("a sandbox change replaces", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, sandbox: "dev" })).resolves.toStrictEqual(REPLACE);
  });

  it("an explicit sandbox prod against the default is no change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, sandbox: "prod" })).resolves.toStrictEqual(NO_CHANGE);
  });
});

describe("diff: CustomRcsCredential", () => {
  const TEMPLATE = '{"to":"{{toNumber}}","from":"{{fromNumber}}","body":"{{message}}"}';

  function setup() {
    const auth = { type: "basic", username: "acme", password: secret() };
    const headers = { "X-Tenant": "acme", "X-Signature": secret() };
    const news: Inputs = {
      ...PROVIDER,
      name: "vendor",
      providerName: "Acme RCS",
      providerUrl: "https://rcs.example.com/v1/messages",
      auth,
      headers,
      payloadTemplate: TEMPLATE,
    };
    const { auth: _a, headers: _h, ...plain } = news;
    const olds = outputsOf(plain, {
      vendor: "custom",
      credentialType: "custom-rcs",
      authType: "basic",
      headerNames: ["X-Signature", "X-Tenant"],
      secretFingerprint: fingerprintSecret({ auth, headers }),
    });
    return { auth, headers, news, olds };
  }

  const diff = (olds: Inputs, news: Inputs) => customRcsCredential.diff(NO_CONTEXT, "rec_1", olds, news);

  it("the same auth and headers are no change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, news)).resolves.toStrictEqual(NO_CHANGE);
  });

  it("key order inside auth and headers is no change", async () => {
    const { auth, headers, news, olds } = setup();
    const reordered = {
      ...news,
      auth: { password: auth.password, username: auth.username, type: auth.type },
      headers: { "X-Signature": headers["X-Signature"], "X-Tenant": headers["X-Tenant"] },
    };
    await expect(diff(olds, reordered)).resolves.toStrictEqual(NO_CHANGE);
  });

  it("a new password is a change", async () => {
    const { auth, news, olds } = setup();
    await expect(diff(olds, { ...news, auth: { ...auth, password: secret() } })).resolves.toStrictEqual(
      UPDATE,
    );
  });

  it("a new header value (a secret) is a change", async () => {
    const { headers, news, olds } = setup();
    await expect(diff(olds, { ...news, headers: { ...headers, "X-Signature": secret() } })).resolves.toEqual(
      UPDATE,
    );
  });

  it("removing the headers is a change", async () => {
    const { news, olds } = setup();
    delete news["headers"];
    await expect(diff(olds, news)).resolves.toStrictEqual(UPDATE);
  });

  it("an unknown auth, or an unknown value inside it, is a change", async () => {
    const { auth, news, olds } = setup();
    await expect(diff(olds, { ...news, auth: UNKNOWN })).resolves.toStrictEqual(UPDATE);
    await expect(diff(olds, { ...news, auth: { ...auth, password: UNKNOWN } })).resolves.toStrictEqual(
      UPDATE,
    );
  });

  it.each([
    ["payloadTemplate", '{"to":"{{toNumber}}","from":"{{fromNumber}}","text":"{{message}}"}'],
    ["providerUrl", "https://rcs.example.com/v2/messages"],
    ["providerName", "Acme"],
    ["verifyConnection", { to: "+14155550100", message: "hi" }],
  ])("a new %s updates in place", async (field, value) => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, [field]: value })).resolves.toStrictEqual(UPDATE);
  });

  it("an unknown payloadTemplate is a change", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, payloadTemplate: UNKNOWN })).resolves.toStrictEqual(UPDATE);
  });

  it("a sandbox change replaces", async () => {
    const { news, olds } = setup();
    await expect(diff(olds, { ...news, sandbox: "dev" })).resolves.toStrictEqual(REPLACE);
  });
});
