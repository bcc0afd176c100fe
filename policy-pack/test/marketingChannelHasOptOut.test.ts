import { describe, expect, it } from "@jest/globals";
import { marketingChannelHasOptOut as policy, requiredOptOutKeywords } from "../policies";
import {
  UNKNOWN_ARRAY,
  UNKNOWN_OBJECT,
  UNKNOWN_STRING,
  channel,
  runStack,
  stackArgs,
  webhook,
} from "./helpers";
import type { PolicyResource } from "@pulumi/policy";

const marketing = (hooks: PolicyResource[], props: Record<string, unknown> = {}) =>
  channel(
    "promo",
    { messageType: "marketing", webhookIds: hooks.map(() => UNKNOWN_STRING), ...props },
    {
      webhookIds: hooks,
    },
  );

const run = (resources: PolicyResource[], config: object = {}) =>
  runStack(policy, stackArgs(resources, config));

describe("marketing-channel-has-opt-out", () => {
  it("is advisory by default and configurable", () => {
    expect(policy.enforcementLevel).toBe("advisory");
    expect(policy.configSchema?.properties["requiredOptOutKeywords"]).toMatchObject({ default: ["STOP"] });
  });

  it("flags a marketing channel without webhooks", async () => {
    const ch = marketing([]);
    const reported = await run([ch]);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ urn: ch.urn, level: "policy" });
    expect(reported[0]?.message).toContain('marketing ChannelConfiguration "promo" has no webhooks');
    expect(reported[0]?.message).toContain('"STOP"');
  });

  it("accepts an inbound webhook with the default opt-out keywords (keywords omitted)", async () => {
    const hook = webhook("inbound");
    expect(await run([hook, marketing([hook])])).toEqual([]);
  });

  it("accepts defaults when keywords is given without optOut", async () => {
    const hook = webhook("inbound", { keywords: { help: { keywords: ["HELP"], reply: "Help" } } });
    expect(await run([hook, marketing([hook])])).toEqual([]);
  });

  it("compares keywords case-insensitively", async () => {
    const hook = webhook("inbound", { keywords: { optOut: { keywords: ["stop", "Arret"], reply: "Bye" } } });
    expect(await run([hook, marketing([hook])])).toEqual([]);
  });

  it("flags an inbound webhook whose optOut list lacks STOP", async () => {
    const hook = webhook("inbound", { keywords: { optOut: { keywords: ["CANCEL"], reply: "Bye" } } });
    const reported = await run([hook, marketing([hook])]);
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining('SmsWebhook "inbound" lacks "STOP"'),
    ]);
  });

  it("flags a channel whose only webhook is a feedback webhook", async () => {
    const hook = webhook("status", { type: "feedback" });
    const reported = await run([hook, marketing([hook])]);
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining('SmsWebhook "status" is of type "feedback", not "inbound"'),
    ]);
  });

  it("passes when one of several webhooks qualifies", async () => {
    const feedback = webhook("status", { type: "feedback" });
    const inbound = webhook("inbound");
    expect(await run([feedback, inbound, marketing([feedback, inbound])])).toEqual([]);
  });

  it("uses requiredOptOutKeywords from the config", async () => {
    const hook = webhook("inbound"); // defaults: Stop, Quit, Cancel, End, Unsubscribe, No
    const config = { requiredOptOutKeywords: ["STOP", "ARRET"] };
    const reported = await run([hook, marketing([hook])], config);
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining('SmsWebhook "inbound" lacks "ARRET"'),
    ]);
    expect(await run([hook, marketing([hook])], { requiredOptOutKeywords: ["end", "QUIT"] })).toEqual([]);
  });

  it("reads the config leniently", () => {
    expect(requiredOptOutKeywords({})).toEqual(["STOP"]);
    expect(requiredOptOutKeywords({ requiredOptOutKeywords: "ARRET" })).toEqual(["ARRET"]);
    expect(requiredOptOutKeywords({ requiredOptOutKeywords: [] })).toEqual(["STOP"]);
    expect(requiredOptOutKeywords({ requiredOptOutKeywords: [" END ", 3, ""] })).toEqual(["END"]);
  });

  it("ignores transactional channels and unknown message types", async () => {
    expect(await run([channel("otp", { messageType: "transactional" })])).toEqual([]);
    expect(await run([channel("promo", { messageType: UNKNOWN_STRING })])).toEqual([]);
  });

  it("finds webhooks given as raw ids through their recordId", async () => {
    const hook = webhook("inbound", {
      recordId: "whk_1",
      keywords: { optOut: { keywords: ["END"], reply: "x" } },
    });
    const ch = channel("promo", { messageType: "marketing", webhookIds: ["whk_1"] });
    const reported = await run([hook, ch]);
    expect(reported.map((r) => r.message)).toEqual([
      expect.stringContaining('SmsWebhook "inbound" lacks "STOP"'),
    ]);
  });

  it("says it cannot decide for webhook ids from outside the stack", async () => {
    const ch = channel("promo", { messageType: "marketing", webhookIds: ["whk_outside"] });
    const reported = await run([ch]);
    expect(reported.map((r) => r.level)).toEqual(["advisory"]);
    expect(reported[0]?.message).toContain('"whk_outside"');
  });

  it("says it cannot decide when the webhook list is unknown and comes from no webhook of the stack", async () => {
    const ch = channel("promo", { messageType: "marketing", webhookIds: UNKNOWN_ARRAY });
    expect((await run([ch])).map((r) => r.level)).toEqual(["advisory"]);
  });

  it("says it cannot decide when a webhook's type or keywords are unknown", async () => {
    const unknownType = webhook("a", { type: UNKNOWN_STRING });
    expect((await run([unknownType, marketing([unknownType])])).map((r) => r.level)).toEqual(["advisory"]);
    const unknownKeywords = webhook("b", { keywords: UNKNOWN_OBJECT });
    const reported = await run([unknownKeywords, marketing([unknownKeywords])]);
    expect(reported.map((r) => r.level)).toEqual(["advisory"]);
    expect(reported[0]?.message).toContain('the opt-out keywords of SmsWebhook "b" (not known yet)');
    const someUnknown = webhook("c", {
      keywords: { optOut: { keywords: ["END", UNKNOWN_STRING], reply: "x" } },
    });
    expect((await run([someUnknown, marketing([someUnknown])])).map((r) => r.level)).toEqual(["advisory"]);
  });

  it("decides despite unknown keywords when a known one already answers", async () => {
    const hook = webhook("inbound", {
      keywords: { optOut: { keywords: ["STOP", UNKNOWN_STRING], reply: "x" } },
    });
    expect(await run([hook, marketing([hook])])).toEqual([]);
  });
});
