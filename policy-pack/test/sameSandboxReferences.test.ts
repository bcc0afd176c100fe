import { describe, expect, it } from "@jest/globals";
import { sameSandboxReferences as policy } from "../policies";
import {
  UNKNOWN_ARRAY,
  UNKNOWN_STRING,
  channel,
  rcsCredential,
  runStack,
  smsCredential,
  stackArgs,
  webhook,
} from "./helpers";

describe("same-sandbox-references", () => {
  it("refuses a channel whose credential is in another sandbox, naming both sandboxes", async () => {
    const cred = smsCredential("twilio-dev", { sandbox: "dev" });
    const ch = channel("alerts", { apiCredentialId: UNKNOWN_STRING }, { apiCredentialId: [cred] });
    const reported = await runStack(policy, stackArgs([cred, ch]));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ urn: ch.urn, level: "policy" });
    expect(reported[0]?.message).toContain('ChannelConfiguration "alerts" is in sandbox "prod"');
    expect(reported[0]?.message).toContain('SmsApiCredential "twilio-dev" in sandbox "dev"');
  });

  it("takes an omitted sandbox as prod", async () => {
    const cred = smsCredential("twilio", { sandbox: undefined });
    const ch = channel("alerts", { sandbox: "prod" }, { apiCredentialId: [cred] });
    expect(await runStack(policy, stackArgs([cred, ch]))).toEqual([]);
    const devChannel = channel("alerts", { sandbox: "dev" }, { apiCredentialId: [cred] });
    expect(await runStack(policy, stackArgs([cred, devChannel]))).toHaveLength(1);
  });

  it("refuses a channel whose webhook is in another sandbox", async () => {
    const cred = smsCredential("twilio", { sandbox: "qa" });
    const hook = webhook("inbound", { sandbox: "prod" }, { apiCredentialId: [cred] });
    const ch = channel(
      "promo",
      { sandbox: "qa", webhookIds: [UNKNOWN_STRING] },
      { apiCredentialId: [cred], webhookIds: [hook] },
    );
    const reported = await runStack(policy, stackArgs([cred, hook, ch]));
    // The channel refers to a webhook of prod; the webhook refers to a credential of qa.
    expect(reported.map((r) => r.urn).sort()).toEqual([ch.urn, hook.urn].sort());
    expect(reported.find((r) => r.urn === ch.urn)?.message).toContain(
      'SmsWebhook "inbound" in sandbox "prod"',
    );
  });

  it("follows raw ids through the recordId of resources of the stack", async () => {
    const rcs = rcsCredential("vendor", { sandbox: "dev", recordId: "cred_9" });
    const ch = channel("promo", { channel: "rcs", apiCredentialId: "cred_9" });
    expect(await runStack(policy, stackArgs([rcs, ch]))).toHaveLength(1);
  });

  it("accepts references within one sandbox", async () => {
    const cred = smsCredential("twilio", { sandbox: "dev" });
    const hook = webhook("inbound", { sandbox: "dev" }, { apiCredentialId: [cred] });
    const ch = channel("promo", { sandbox: "dev" }, { apiCredentialId: [cred], webhookIds: [hook] });
    expect(await runStack(policy, stackArgs([cred, hook, ch]))).toEqual([]);
  });

  it("skips unknown sandboxes and ids of records outside the stack", async () => {
    const cred = smsCredential("twilio", { sandbox: UNKNOWN_STRING });
    const ch = channel("promo", { sandbox: "dev" }, { apiCredentialId: [cred] });
    expect(await runStack(policy, stackArgs([cred, ch]))).toEqual([]);
    const unknownChannel = channel(
      "promo",
      { sandbox: UNKNOWN_STRING },
      { apiCredentialId: [smsCredential("c")] },
    );
    expect(await runStack(policy, stackArgs([unknownChannel]))).toEqual([]);
    const outside = channel("promo", {
      sandbox: "dev",
      apiCredentialId: "cred_x",
      webhookIds: UNKNOWN_ARRAY,
    });
    expect(await runStack(policy, stackArgs([outside]))).toEqual([]);
  });
});
