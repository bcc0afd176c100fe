import { describe, expect, it } from "@jest/globals";
import { channelNameFormat as policy } from "../policies";
import { TYPES, UNKNOWN_STRING, resourceArgs, runResource } from "./helpers";

const channel = (props: Record<string, unknown>, name = "res") =>
  resourceArgs(TYPES.ChannelConfiguration, props, { name });

describe("channel-name-format", () => {
  it.each(["promo", "Promo_EU.v2", "a", "alerts-2"])("accepts name %j", async (name) => {
    expect(await runResource(policy, channel({ name }))).toEqual([]);
  });

  it("refuses a name with a space and suggests one", async () => {
    const reported = await runResource(policy, channel({ name: "marketing sms" }));
    expect(reported).toHaveLength(1);
    expect(reported[0]?.level).toBe("policy");
    expect(reported[0]?.message).toContain('ChannelConfiguration name "marketing sms"');
    expect(reported[0]?.message).toContain('Did you mean "marketing-sms"?');
  });

  it.each(["1promo", "_promo", "promo/eu", ""])("refuses name %j", async (name) => {
    expect(await runResource(policy, channel({ name }))).toHaveLength(1);
  });

  it("checks the Pulumi resource name when no name is given, since that is the default", async () => {
    expect(await runResource(policy, channel({}, "2fa codes"))).toHaveLength(1);
    expect(await runResource(policy, channel({}, "otp"))).toEqual([]);
  });

  it("skips an unknown name", async () => {
    expect(await runResource(policy, channel({ name: UNKNOWN_STRING }, "bad name"))).toEqual([]);
  });

  it("refuses reserved and malformed subdomains", async () => {
    const reserved = await runResource(policy, channel({ name: "promo", subdomain: "cdn" }));
    expect(reserved.map((r) => r.message)).toEqual([expect.stringContaining('subdomain "cdn" is reserved')]);
    const upper = await runResource(policy, channel({ name: "promo", subdomain: "Promo" }));
    expect(upper.map((r) => r.message)).toEqual([expect.stringContaining('Did you mean "promo"?')]);
    expect(await runResource(policy, channel({ name: "promo", subdomain: "-promo" }))).toHaveLength(1);
    expect(await runResource(policy, channel({ name: "promo", subdomain: "promo_eu" }))).toHaveLength(1);
    expect(await runResource(policy, channel({ name: "promo", subdomain: "promo-eu2" }))).toEqual([]);
    expect(await runResource(policy, channel({ name: "promo", subdomain: UNKNOWN_STRING }))).toEqual([]);
  });

  it("ignores other resource types", async () => {
    expect(await runResource(policy, resourceArgs(TYPES.SmsWebhook, { name: "bad name" }))).toEqual([]);
  });
});
