import { describe, expect, it } from "@jest/globals";
import { rcsRequiresCustomCredential as policy } from "../policies";
import {
  TYPES,
  UNKNOWN_STRING,
  channel,
  rcsCredential,
  resourceArgs,
  runResource,
  runStack,
  smsCredential,
  stackArgs,
} from "./helpers";

const rcsChannel = (props: Record<string, unknown>) =>
  resourceArgs(
    TYPES.ChannelConfiguration,
    { name: "promo-rcs", channel: "rcs", ...props },
    { name: "promo" },
  );

describe("rcs-requires-custom-credential on the channel's inputs", () => {
  it("refuses an rcs channel whose apiCredentialType is twilio-sms, naming channel and credential", async () => {
    const reported = await runResource(
      policy,
      rcsChannel({ apiCredentialId: "cred_0a1b", apiCredentialType: "twilio-sms" }),
    );
    expect(reported).toHaveLength(1);
    expect(reported[0]?.level).toBe("policy");
    expect(reported[0]?.message).toContain('ChannelConfiguration "promo-rcs"');
    expect(reported[0]?.message).toContain('credential "cred_0a1b"');
    expect(reported[0]?.message).toContain("Use a CustomRcsCredential");
  });

  it("still refuses when the credential id is unknown in preview", async () => {
    const reported = await runResource(
      policy,
      rcsChannel({ apiCredentialId: UNKNOWN_STRING, apiCredentialType: "twilio-sms" }),
    );
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining(
        "the credential passed as apiCredential (its id is not known before it is created)",
      ),
    ]);
  });

  it.each([
    ["a custom RCS credential", { channel: "rcs", apiCredentialType: "custom-rcs" }],
    ["an sms channel on a Twilio credential", { channel: "sms", apiCredentialType: "twilio-sms" }],
    ["an mms channel on a Twilio credential", { channel: "mms", apiCredentialType: "twilio-sms" }],
    ["a raw id (left to the stack validation)", { channel: "rcs", apiCredentialId: "cred_1" }],
    ["an unknown credential type", { channel: "rcs", apiCredentialType: UNKNOWN_STRING }],
    ["an unknown channel", { channel: UNKNOWN_STRING, apiCredentialType: "twilio-sms" }],
  ])("accepts %s", async (_label, props) => {
    expect(await runResource(policy, rcsChannel(props))).toEqual([]);
  });

  it("ignores other resource types", async () => {
    const args = resourceArgs(TYPES.SmsWebhook, { channel: "rcs", apiCredentialType: "twilio-sms" });
    expect(await runResource(policy, args)).toEqual([]);
  });
});

describe("rcs-requires-custom-credential in the stack", () => {
  it("finds the Twilio credential behind apiCredentialId through propertyDependencies", async () => {
    const sms = smsCredential("twilio-main");
    const ch = channel(
      "promo-rcs",
      { channel: "rcs", apiCredentialId: "cred_1" },
      { apiCredentialId: [sms] },
    );
    const reported = await runStack(policy, stackArgs([sms, ch]));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ urn: ch.urn, level: "policy" });
    expect(reported[0]?.message).toContain('ChannelConfiguration "promo-rcs"');
    expect(reported[0]?.message).toContain('SmsApiCredential "twilio-main"');
    expect(reported[0]?.message).toContain("CustomRcsCredential");
  });

  it("finds it while the id is still unknown in preview", async () => {
    const sms = smsCredential("twilio-main");
    const ch = channel(
      "promo-rcs",
      { channel: "rcs", apiCredentialId: UNKNOWN_STRING },
      { apiCredentialId: [sms] },
    );
    expect(await runStack(policy, stackArgs([sms, ch]))).toHaveLength(1);
  });

  it("matches a raw id string to the recordId of a credential of the stack", async () => {
    const sms = smsCredential("twilio-main", { recordId: "cred_abc" });
    const ch = channel("promo-rcs", { channel: "rcs", apiCredentialId: "cred_abc" });
    const reported = await runStack(policy, stackArgs([sms, ch]));
    expect(reported.map((r) => r.level)).toEqual(["policy"]);
    expect(reported[0]?.message).toContain('SmsApiCredential "twilio-main"');
  });

  it("looks past dependencies that are not credentials (e.g. a StackReference)", async () => {
    const ref = { ...smsCredential("shared"), type: "pulumi:pulumi:StackReference" };
    const ch = channel(
      "promo-rcs",
      { channel: "rcs", apiCredentialId: "cred_shared" },
      { apiCredentialId: [ref] },
    );
    const reported = await runStack(policy, stackArgs([ref, ch]));
    expect(reported.map((r) => r.level)).toEqual(["advisory"]);
    expect(reported[0]?.message).toContain('"cred_shared"');
  });

  it("does not report again what the inputs already showed (apiCredentialType twilio-sms)", async () => {
    const sms = smsCredential("twilio-main");
    const ch = channel(
      "promo-rcs",
      { channel: "rcs", apiCredentialType: "twilio-sms" },
      { apiCredentialId: [sms], apiCredentialType: [sms] },
    );
    expect(await runStack(policy, stackArgs([sms, ch]))).toEqual([]);
  });

  it("reports a Twilio credential even when apiCredentialType claims custom-rcs", async () => {
    const sms = smsCredential("twilio-main");
    const ch = channel(
      "promo-rcs",
      { channel: "rcs", apiCredentialType: "custom-rcs" },
      { apiCredentialId: [sms] },
    );
    expect((await runStack(policy, stackArgs([sms, ch]))).map((r) => r.level)).toEqual(["policy"]);
  });

  it("accepts a CustomRcsCredential behind apiCredentialId", async () => {
    const rcs = rcsCredential("vendor");
    const ch = channel("promo-rcs", { channel: "rcs" }, { apiCredentialId: [rcs] });
    expect(await runStack(policy, stackArgs([rcs, ch]))).toEqual([]);
  });

  it("accepts sms channels on Twilio credentials", async () => {
    const sms = smsCredential("twilio-main");
    const ch = channel("promo", { channel: "sms" }, { apiCredentialId: [sms] });
    expect(await runStack(policy, stackArgs([sms, ch]))).toEqual([]);
  });

  it("says it cannot decide for a raw id of a credential outside the stack", async () => {
    const ch = channel("promo-rcs", { channel: "rcs", apiCredentialId: "cred_outside" });
    const reported = await runStack(policy, stackArgs([ch]));
    expect(reported).toHaveLength(1);
    expect(reported[0]?.level).toBe("advisory");
    expect(reported[0]?.message).toMatch(/^cannot decide: /);
    expect(reported[0]?.message).toContain('"cred_outside"');
  });

  it("says it cannot decide for an unknown id from outside the stack with an unknown type", async () => {
    const ch = channel("promo-rcs", {
      channel: "rcs",
      apiCredentialId: UNKNOWN_STRING,
      apiCredentialType: UNKNOWN_STRING,
    });
    const reported = await runStack(policy, stackArgs([ch]));
    expect(reported.map((r) => r.level)).toEqual(["advisory"]);
    expect(reported[0]?.message).toContain("its apiCredentialType is not known yet");
  });

  it("stays silent for a raw id whose type was given as custom-rcs", async () => {
    const ch = channel("promo-rcs", {
      channel: "rcs",
      apiCredentialId: "cred_x",
      apiCredentialType: "custom-rcs",
    });
    expect(await runStack(policy, stackArgs([ch]))).toEqual([]);
  });

  it("stays silent when there is no credential at all (the provider reports the missing input)", async () => {
    const ch = channel("promo-rcs", { channel: "rcs" });
    expect(await runStack(policy, stackArgs([ch]))).toEqual([]);
  });

  it("says it cannot decide when the channel is unknown and the credential is a Twilio one", async () => {
    const sms = smsCredential("twilio-main");
    const ch = channel("promo", { channel: UNKNOWN_STRING }, { apiCredentialId: [sms] });
    const reported = await runStack(policy, stackArgs([sms, ch]));
    expect(reported.map((r) => r.level)).toEqual(["advisory"]);
    expect(reported[0]?.message).toContain("its channel is not known yet");
  });

  it("stays silent when the channel is unknown and the credential is not in sight", async () => {
    const ch = channel("promo", { channel: UNKNOWN_STRING, apiCredentialId: "cred_outside" });
    expect(await runStack(policy, stackArgs([ch]))).toEqual([]);
  });
});
