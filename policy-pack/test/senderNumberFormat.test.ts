import { describe, expect, it } from "@jest/globals";
import { senderNumberFormat as policy } from "../policies";
import { TYPES, UNKNOWN_STRING, resourceArgs, runResource } from "./helpers";

const channel = (props: Record<string, unknown>) =>
  resourceArgs(TYPES.ChannelConfiguration, { name: "alerts", channel: "sms", ...props });

describe("sender-number-format", () => {
  it.each(["+14155550100", "12345", "123456", "ACME", "Acme Shop"])(
    "accepts senderNumber %j",
    async (sender) => {
      expect(await runResource(policy, channel({ senderNumber: sender }))).toEqual([]);
    },
  );

  it("refuses a number written with spaces and suggests the E.164 form", async () => {
    const reported = await runResource(policy, channel({ senderNumber: "+1 415 555 0100" }));
    expect(reported).toHaveLength(1);
    expect(reported[0]?.level).toBe("policy");
    expect(reported[0]?.message).toContain('ChannelConfiguration "alerts": senderNumber "+1 415 555 0100"');
    expect(reported[0]?.message).toContain('Did you mean "+14155550100"?');
  });

  it.each(["14155550100", "1234", "AcmeShopping1", "Acme-Shop", "+04155550100"])(
    "refuses senderNumber %j",
    async (sender) => {
      const reported = await runResource(policy, channel({ senderNumber: sender }));
      expect(reported.map((r) => r.message)).toEqual([expect.stringContaining(JSON.stringify(sender))]);
    },
  );

  it("refuses a sender that is not a string", async () => {
    const reported = await runResource(policy, channel({ senderNumber: 14155550100 }));
    expect(reported.map((r) => r.message)).toEqual([expect.stringContaining("must be a string, not number")]);
  });

  it("refuses an alphanumeric sender ID on an mms channel", async () => {
    const reported = await runResource(policy, channel({ channel: "mms", senderNumber: "ACME" }));
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining('channel "mms" cannot send from'),
    ]);
    expect(await runResource(policy, channel({ channel: "mms", senderNumber: "+14155550100" }))).toEqual([]);
  });

  it("checks the senderNumber of webhooks and the inboundNumber of Twilio credentials", async () => {
    const hook = resourceArgs(TYPES.SmsWebhook, { name: "in", senderNumber: "555-0100" });
    expect(await runResource(policy, hook)).toHaveLength(1);
    const cred = resourceArgs(TYPES.SmsApiCredential, { name: "twilio", inboundNumber: "12345" });
    const reported = await runResource(policy, cred);
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining(
        'SmsApiCredential "twilio": inboundNumber "12345" is not an E.164 phone number',
      ),
    ]);
    const good = resourceArgs(TYPES.SmsApiCredential, { name: "twilio", inboundNumber: "+14155550100" });
    expect(await runResource(policy, good)).toEqual([]);
  });

  it("skips unknown and absent values", async () => {
    expect(await runResource(policy, channel({ senderNumber: UNKNOWN_STRING }))).toEqual([]);
    expect(await runResource(policy, channel({}))).toEqual([]);
    const unknownChannel = channel({ channel: UNKNOWN_STRING, senderNumber: "ACME" });
    expect(await runResource(policy, unknownChannel)).toEqual([]);
  });

  it("ignores other resource types", async () => {
    const args = resourceArgs(TYPES.CustomRcsCredential, { senderNumber: "nonsense!" });
    expect(await runResource(policy, args)).toEqual([]);
  });
});
