/** What an inbound text means under a webhook's keywords: categories, consent, replies, fuzzy near misses. */
import { resolveKeywords } from "../../provider/schema/keywords";
import {
  decideInbound,
  decideTwilioOptOutType,
  editDistance,
  keywordsOf,
  nextConsent,
} from "../../store/receiver/keywords";
import { statusRank } from "../../store/receiver/status";
import { escapeXml, twiml } from "../../store/receiver/twiml";

const defaults = keywordsOf(resolveKeywords(undefined));

describe("decideInbound", () => {
  test("the contract's default keywords, trimmed and case-insensitive", () => {
    expect(decideInbound("  STOP\n", defaults, undefined)).toMatchObject({
      category: "optOut",
      keyword: "Stop",
      consent: "opted-out",
    });
    expect(decideInbound("unsubscribe", defaults, undefined)).toMatchObject({
      category: "optOut",
      consent: "opted-out",
    });
    expect(decideInbound("yes", defaults, undefined)).toMatchObject({
      category: "optIn",
      keyword: "Yes",
      consent: "opted-in",
    });
    expect(decideInbound("Info", defaults, undefined)).toMatchObject({ category: "help", keyword: "Info" });
    expect(decideInbound("Info", defaults, undefined).consent).toBeUndefined();
  });

  test("the reply: the category's, else defaultReply, else none", () => {
    const k = keywordsOf(resolveKeywords({ custom: [{ keyword: "Hours", reply: "9-5" }] }));
    expect(decideInbound("hours", k, "default").reply).toBe("9-5");
    expect(decideInbound("hello there", k, "default")).toEqual({ category: "none", reply: "default" });
    expect(decideInbound("hello there", k, undefined)).toEqual({ category: "none" });
  });

  test("double opt-in: an opt-in asks (pending), a doubleOptIn keyword confirms", () => {
    const k = keywordsOf(
      resolveKeywords({
        doubleOptIn: { keywords: ["Confirm"], reply: "Confirmed" },
        optIn: { keywords: ["Join"], reply: "Reply CONFIRM" },
      }),
    );
    expect(decideInbound("join", k, undefined)).toMatchObject({
      category: "optIn",
      consent: "request",
      reply: "Reply CONFIRM",
    });
    expect(decideInbound("CONFIRM", k, undefined)).toMatchObject({
      category: "doubleOptIn",
      consent: "confirm",
      reply: "Confirmed",
    });
    expect(nextConsent(undefined, "request")).toBe("pending");
    expect(nextConsent("opted-out", "request")).toBe("pending");
    expect(nextConsent("opted-in", "request")).toBe("opted-in");
    expect(nextConsent("pending", "confirm")).toBe("opted-in");
    expect(nextConsent("opted-out", "confirm")).toBeUndefined();
    expect(nextConsent(undefined, "confirm")).toBeUndefined();
  });

  test("fuzzy opt-out: near misses get fuzzyReply and change nothing; off without fuzzy", () => {
    const fuzzy = keywordsOf(
      resolveKeywords({
        optOut: {
          keywords: ["Stop", "Unsubscribe", "No"],
          reply: "Bye",
          fuzzy: true,
          fuzzyReply: "Text STOP to leave",
        },
      }),
    );
    for (const text of ["stop please", "STOP!", "please stop", "stpo", "unsubscrbe", "Stop.", "no thanks"]) {
      const d = decideInbound(text, fuzzy, "default");
      expect({ text, ...d }).toEqual({
        text,
        category: "fuzzyOptOut",
        keyword: expect.any(String),
        reply: "Text STOP to leave",
      });
    }
    for (const text of [
      "shopping",
      "stopping by later today",
      "I have no idea what this is about",
      "hello",
    ]) {
      expect(decideInbound(text, fuzzy, "default").category).toBe("none");
    }
    const strict = keywordsOf(resolveKeywords({ optOut: { keywords: ["Stop"], reply: "Bye" } }));
    expect(decideInbound("stop please", strict, undefined)).toEqual({ category: "none" });
    expect(editDistance("stpo", "stop")).toBe(1);
  });

  test("OptOutType: Twilio already answered; the consent follows it, with no reply", () => {
    expect(decideTwilioOptOutType("STOP", "arret")).toEqual({
      category: "optOut",
      keyword: "arret",
      consent: "opted-out",
    });
    expect(decideTwilioOptOutType("START", "")).toEqual({
      category: "optIn",
      keyword: "START",
      consent: "opted-in",
    });
    expect(decideTwilioOptOutType("HELP", "help").reply).toBeUndefined();
  });
});

test("TwiML: at most one Message, every special character escaped, illegal characters dropped", () => {
  expect(twiml(undefined)).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  expect(twiml("a<b>&\"c'\u0001</Message><Message>x")).toBe(
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>a&lt;b&gt;&amp;&quot;c&apos;&lt;/Message&gt;&lt;Message&gt;x</Message></Response>',
  );
  expect(escapeXml("😀 ok")).toBe("😀 ok");
});

test("status ranks: forward only, terminal states above the rest", () => {
  expect(statusRank("queued")).toBeLessThan(statusRank("sending"));
  expect(statusRank("sending")).toBeLessThan(statusRank("sent"));
  expect(statusRank("sent")).toBeLessThan(statusRank("delivered"));
  expect(statusRank("delivered")).toBe(statusRank("failed"));
  expect(statusRank("READ")).toBeGreaterThan(statusRank("delivered"));
  expect(statusRank("something-new")).toBeLessThan(statusRank("accepted"));
});
