/**
 * One corpus, three judges: every value below goes through the provider's input schemas, the store's
 * validation (its own checks and the contract's record-data schemas it validates with) and the
 * policy pack's policies, and each judge that checks the field must give the corpus's verdict.
 * A judge that does not check a format at all says so (`undefined`), and the test requires that at
 * least two judges decide each format, so a format cannot drift unnoticed in one place.
 */
import { describe, expect, it } from "@jest/globals";
import type { Policy } from "@pulumi/policy";
import { recordDataProblems, recordNameProblem } from "../../contract/schema/records";
import { channelConfigurationInputs } from "../../provider/schema/channelConfiguration";
import { customRcsCredentialInputs } from "../../provider/schema/customRcsCredential";
import { smsApiCredentialInputs } from "../../provider/schema/smsApiCredential";
import { smsWebhookInputs } from "../../provider/schema/smsWebhook";
import type { CredentialType, RecordKind } from "../../store/types";
import { checkInput } from "../../store/rules";
import { channelNameFormat } from "../../policy-pack/policies/channelNameFormat";
import { customCredentialHttps } from "../../policy-pack/policies/customCredentialHttps";
import { senderNumberFormat } from "../../policy-pack/policies/senderNumberFormat";
import { TYPES, resourceArgs, runResource } from "../../policy-pack/test/helpers";

const HEX32 = "0123456789abcdef0123456789ABCDEF";
const ACCOUNT = `AC${HEX32}`;
const TEMPLATE = '{"to":"{{toNumber}}","from":"{{fromNumber}}","text":"{{message}}"}';

interface Corpus {
  readonly valid: readonly string[];
  readonly invalid: readonly string[];
}

const CORPUS: Record<string, Corpus> = {
  sender: {
    valid: ["+14155550100", "+447700900123", "+123456789012345", "12345", "123456", "ACME", "A", "1a"],
    invalid: [
      " ACME",
      "ACME ",
      " ",
      "Acme Shop 12",
      "AcmeShopping1",
      "Acme-Shop",
      "Shop!",
      "1234",
      "1234567",
      "14155550100",
      "+04155550100",
      "+1234567890123456",
      "",
      "rcs:acme",
    ],
  },
  e164: {
    valid: ["+14155550100", "+447700900123", "+12", "+123456789012345"],
    invalid: [
      "14155550100",
      "+04155550100",
      "+1",
      "+1234567890123456",
      "+1 415 555 0100",
      "12345",
      "ACME",
      "",
    ],
  },
  accountSid: {
    valid: [ACCOUNT, `AC${"0".repeat(32)}`],
    invalid: [`AC${HEX32.slice(1)}`, `ac${HEX32}`, `SK${HEX32}`, `AC${HEX32}0`, `AC${"g".repeat(32)}`, ""],
  },
  apiKeySid: {
    valid: [`SK${HEX32}`],
    invalid: [`SK${HEX32.slice(1)}`, `AC${HEX32}`, `sk${HEX32}`, ""],
  },
  messagingServiceSid: {
    valid: [`MG${HEX32}`],
    invalid: [`MG${HEX32.slice(1)}`, `AC${HEX32}`, `mg${HEX32}`, ` MG${HEX32}`, ""],
  },
  sandbox: {
    valid: ["prod", "dev", "a", "0", "team-1", "a".repeat(63)],
    invalid: ["Prod", "-dev", "dev_1", "a".repeat(64), "", " prod", "dev.1"],
  },
  channelName: {
    valid: ["marketing-sms", "A", "alerts.v2", "a_b-c.d"],
    invalid: ["marketing sms", "1alerts", "-x", "_x", "", "alerts!"],
  },
  recordName: {
    valid: ["a", "with space", "x".repeat(200)],
    invalid: ["", "x".repeat(201)],
  },
  subdomain: {
    valid: ["acme", "a", "a1", "my-shop", "a".repeat(63)],
    invalid: ["cdn", "data", "Acme", "-acme", "acme-", "a".repeat(64), "my_shop", "my.shop", ""],
  },
  vendorUrl: {
    valid: [
      "https://rcs.example.com/v1/messages",
      "http://127.0.0.1:8080/send",
      "http://127.8.9.10/send",
      "http://localhost/send",
      "http://LOCALHOST:1/x",
      "http://[::1]:9/x",
    ],
    invalid: [
      "http://rcs.example.com/send",
      "http://10.0.0.1/send",
      "http://128.0.0.1/send",
      "http://localhost.example.com/send",
      "https://user:pass@rcs.example.com/send",
      "ftp://rcs.example.com/send",
      "rcs.example.com/send",
      "",
    ],
  },
  keyword: {
    valid: ["Deals", "JOIN", "ofertas", "Ñu", "k1", "a-b", "a_b", "k".repeat(30)],
    invalid: [
      "two words",
      "-dash",
      "_under",
      "stop!",
      "",
      " Stop",
      "k".repeat(31),
      "a.b",
      // A default keyword of another category: keywords are unique across categories.
      "Stop",
      "HELP",
    ],
  },
};

type Verdict = "valid" | "invalid";
/** A judge's verdict on one value, or undefined when it does not check this format. */
type Judge = (value: string) => Verdict | undefined;

const at = (path: readonly PropertyKey[], want: readonly PropertyKey[]) =>
  want.every((p, i) => path[i] === p);

function zodJudge(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } },
  base: Record<string, unknown>,
  set: (value: string) => Record<string, unknown>,
  path: readonly PropertyKey[],
): Judge {
  return (value) => {
    const r = schema.safeParse({ ...base, ...set(value) });
    if (r.success) return "valid";
    return r.error!.issues.some((i) => at(i.path, path)) ? "invalid" : "valid";
  };
}

// The provider's inputs, a valid resource each, one field replaced.
const sms = { sandbox: "prod", name: "twilio", accountSid: ACCOUNT, authToken: "token" };
const rcs = {
  sandbox: "prod",
  name: "vendor",
  providerName: "Vendor",
  providerUrl: "https://rcs.example.com/v1",
  auth: { type: "bearer", token: "t" },
  payloadTemplate: TEMPLATE,
};
const hook = { sandbox: "prod", name: "inbound", type: "inbound", apiCredentialId: "cred-1" };
const channel = {
  sandbox: "prod",
  name: "alerts",
  channel: "sms",
  messageType: "transactional",
  apiCredentialId: "cred-1",
  senderNumber: "+14155550100",
};

const provider = {
  sender: zodJudge(channelConfigurationInputs, channel, (v) => ({ senderNumber: v }), ["senderNumber"]),
  senderOfWebhook: zodJudge(smsWebhookInputs, hook, (v) => ({ senderNumber: v }), ["senderNumber"]),
  e164: zodJudge(smsApiCredentialInputs, sms, (v) => ({ inboundNumber: v }), ["inboundNumber"]),
  accountSid: zodJudge(smsApiCredentialInputs, sms, (v) => ({ accountSid: v }), ["accountSid"]),
  apiKeySid: zodJudge(
    smsApiCredentialInputs,
    { sandbox: "prod", name: "k", accountSid: ACCOUNT, apiKeySecret: "s" },
    (v) => ({ apiKeySid: v }),
    ["apiKeySid"],
  ),
  messagingServiceSid: zodJudge(smsApiCredentialInputs, sms, (v) => ({ messagingServiceSid: v }), [
    "messagingServiceSid",
  ]),
  sandbox: zodJudge(channelConfigurationInputs, channel, (v) => ({ sandbox: v }), ["sandbox"]),
  channelName: zodJudge(channelConfigurationInputs, channel, (v) => ({ name: v }), ["name"]),
  recordName: zodJudge(smsApiCredentialInputs, sms, (v) => ({ name: v }), ["name"]),
  subdomain: zodJudge(channelConfigurationInputs, channel, (v) => ({ subdomain: v }), ["subdomain"]),
  vendorUrl: zodJudge(customRcsCredentialInputs, rcs, (v) => ({ providerUrl: v }), ["providerUrl"]),
  oauthTokenUrl: zodJudge(
    customRcsCredentialInputs,
    rcs,
    (v) => ({ auth: { type: "oauth2", tokenUrl: v, body: "grant_type=client_credentials" } }),
    ["auth", "tokenUrl"],
  ),
  keyword: zodJudge(smsWebhookInputs, hook, (v) => ({ keywords: { custom: [{ keyword: v, reply: "r" }] } }), [
    "keywords",
  ]),
};

// The store: its own input checks, and the contract's record-data schemas it validates with.
function storeData(
  kind: RecordKind,
  type: CredentialType | undefined,
  base: Record<string, unknown>,
  field: string,
) {
  return (value: string): Verdict =>
    recordDataProblems(kind, type, { ...base, [field]: value }).some((p) =>
      p.property.startsWith(`data.${field}`),
    )
      ? "invalid"
      : "valid";
}
const smsData = { accountSid: ACCOUNT };
const rcsData = {
  providerName: "Vendor",
  providerUrl: "https://rcs.example.com/v1",
  payloadTemplate: TEMPLATE,
  authType: "bearer",
};
const hookData = { type: "inbound", apiCredentialId: "cred-1" };
const channelData = {
  channel: "sms",
  messageType: "transactional",
  apiCredentialId: "cred-1",
  senderNumber: "+14155550100",
};
const store = {
  sender: storeData("channel-configuration", undefined, channelData, "senderNumber"),
  senderOfWebhook: storeData("webhook", undefined, hookData, "senderNumber"),
  e164: storeData("api-credential", "twilio-sms", smsData, "inboundNumber"),
  accountSid: storeData("api-credential", "twilio-sms", smsData, "accountSid"),
  apiKeySid: storeData("api-credential", "twilio-sms", smsData, "apiKeySid"),
  messagingServiceSid: storeData("api-credential", "twilio-sms", smsData, "messagingServiceSid"),
  sandbox: (value: string): Verdict => {
    try {
      checkInput({
        sandbox: value,
        kind: "webhook",
        name: "n",
        data: hookData,
        refs: [{ kind: "api-credential", id: "c" }],
      });
      return "valid";
    } catch {
      return "invalid";
    }
  },
  channelName: (value: string): Verdict =>
    recordNameProblem("channel-configuration", value) === undefined ? "valid" : "invalid",
  recordName: (value: string): Verdict => {
    try {
      checkInput({
        sandbox: "prod",
        kind: "api-credential",
        credentialType: "twilio-sms",
        name: value,
        data: smsData,
      });
      return "valid";
    } catch {
      return "invalid";
    }
  },
  subdomain: storeData("channel-configuration", undefined, channelData, "subdomain"),
  vendorUrl: storeData("api-credential", "custom-rcs", rcsData, "providerUrl"),
  oauthTokenUrl: storeData("api-credential", "custom-rcs", rcsData, "authTokenUrl"),
  keyword: (value: string): Verdict =>
    recordDataProblems("webhook", undefined, {
      ...hookData,
      keywords: { custom: [{ keyword: value, reply: "r" }] },
    }).length === 0
      ? "valid"
      : "invalid",
};

// The policy pack (through its generated copy of contract/).
type AsyncJudge = (value: string) => Promise<Verdict>;
function packJudge(policy: Policy, type: string, props: (v: string) => Record<string, unknown>): AsyncJudge {
  return async (value) =>
    (await runResource(policy, resourceArgs(type, props(value)))).length > 0 ? "invalid" : "valid";
}
const pack: Partial<Record<keyof typeof provider, AsyncJudge>> = {
  sender: packJudge(senderNumberFormat, TYPES.ChannelConfiguration, (v) => ({ ...channel, senderNumber: v })),
  senderOfWebhook: packJudge(senderNumberFormat, TYPES.SmsWebhook, (v) => ({ ...hook, senderNumber: v })),
  e164: packJudge(senderNumberFormat, TYPES.SmsApiCredential, (v) => ({ ...sms, inboundNumber: v })),
  channelName: packJudge(channelNameFormat, TYPES.ChannelConfiguration, (v) => ({ ...channel, name: v })),
  subdomain: packJudge(channelNameFormat, TYPES.ChannelConfiguration, (v) => ({ ...channel, subdomain: v })),
  vendorUrl: packJudge(customCredentialHttps, TYPES.CustomRcsCredential, (v) => ({ ...rcs, providerUrl: v })),
  oauthTokenUrl: packJudge(customCredentialHttps, TYPES.CustomRcsCredential, (v) => ({
    ...rcs,
    auth: { type: "oauth2", tokenUrl: v, body: "b" },
  })),
};

/** Which corpus each judged field draws from. */
const FIELDS: Record<keyof typeof provider, keyof typeof CORPUS> = {
  sender: "sender",
  senderOfWebhook: "sender",
  e164: "e164",
  accountSid: "accountSid",
  apiKeySid: "apiKeySid",
  messagingServiceSid: "messagingServiceSid",
  sandbox: "sandbox",
  channelName: "channelName",
  recordName: "recordName",
  subdomain: "subdomain",
  vendorUrl: "vendorUrl",
  oauthTokenUrl: "vendorUrl",
  keyword: "keyword",
};

const cases = (Object.keys(FIELDS) as (keyof typeof provider)[]).flatMap((field) => {
  const corpus = CORPUS[FIELDS[field]]!;
  return [
    ...corpus.valid.map((value) => [field, value, "valid"] as const),
    ...corpus.invalid.map((value) => [field, value, "invalid"] as const),
  ];
});

describe("one corpus, one verdict from the provider, the store and the policy pack", () => {
  it.each(cases)("%s %j is %s", async (field, value, verdict) => {
    const verdicts = {
      provider: provider[field](value),
      store: store[field](value),
      pack: await pack[field]?.(value),
    };
    const deciding = Object.entries(verdicts).filter(([, v]) => v !== undefined);
    expect(deciding.length).toBeGreaterThanOrEqual(2);
    expect(Object.fromEntries(deciding)).toEqual(Object.fromEntries(deciding.map(([who]) => [who, verdict])));
  });

  it('refuses " ACME" everywhere: a sender id with a space at either end is not the one a carrier shows', async () => {
    expect(provider.sender(" ACME")).toBe("invalid");
    expect(store.sender(" ACME")).toBe("invalid");
    expect(await pack.sender?.(" ACME")).toBe("invalid");
  });
});
