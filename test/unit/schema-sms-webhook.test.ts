/**
 * The SmsWebhook input schema through `parseInputs` (what `check` runs), and the keyword rules of
 * provider/schema/keywords.ts: formats, defaults, and uniqueness across categories.
 */
import { randomBytes } from "node:crypto";
import { parseInputs, UNKNOWN } from "../../provider/schema/check";
import { byProperty, schemaExpectations } from "../support/schema";
import { DEFAULT_KEYWORDS, keywordConflicts, resolveKeywords } from "../../provider/schema/keywords";
import { SENDER_FORMAT_REASON } from "../../provider/schema/senders";
import { smsWebhookInputs } from "../../provider/schema/smsWebhook";

/** The guard list the SmsWebhook handler passes: its cross-field rules involve these. */
const GUARD = ["type", "apiCredentialType", "keywords"] as const;

const credentialId = (): string => `cred_${randomBytes(8).toString("hex")}`;

function parse(raw: Record<string, unknown>) {
  return parseInputs(smsWebhookInputs, raw, GUARD);
}

const { expectOnlyFailureAt, expectValid } = schemaExpectations(parse);

function inputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "inbound-main", type: "inbound", apiCredentialId: credentialId(), ...extra };
}

const UNIQUE = "keywords are case-insensitive and unique across categories";
const clash = (word: string, first: string): string =>
  `"${word}" is already a keyword of ${first}; ${UNIQUE}`;
const KEYWORD_FORMAT = "must be one word of letters or digits (at most 30 characters)";
const cat = (keywords: unknown[], reply = "ok") => ({ keywords, reply });
/** A custom vendor's webhook must say how deliveries are verified. */
const BEARER = { type: "bearer", token: randomBytes(16).toString("hex") };

describe("parseInputs(smsWebhookInputs)", () => {
  describe("a complete valid input", () => {
    it("an inbound webhook keeps every value and gets sandbox prod", () => {
      const raw = inputs({
        apiCredentialType: "custom-rcs",
        verification: {
          type: "hmac-sha256",
          secret: randomBytes(16).toString("hex"),
          header: "X-Vendor-Sig",
        },
        senderNumber: "+14155550100",
        keywords: {
          optIn: cat(["Join"], "Welcome back"),
          optOut: { ...cat(["Halt", "Stop"], "Bye"), fuzzy: true, fuzzyReply: "Did you mean STOP?" },
          doubleOptIn: cat(["Confirm"], "Confirmed"),
          help: cat(["Aide"], "Call us"),
          custom: [{ keyword: "Promo", reply: "10% off" }],
        },
        defaultReply: "Thanks, we got your message",
        payloadMapping: { inboundMessage: "message.text", profileNumber: "from" },
        attachToMessagingService: false,
        validation: "off",
      });
      const r = parse(raw);
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(false);
      expect(r.value).toEqual({ ...raw, sandbox: "prod" });
    });

    it("a feedback webhook needs only name, type and apiCredentialId", () => {
      const raw = inputs({ type: "feedback", sandbox: "dev" });
      expect(expectValid(raw)).toEqual(raw);
    });

    it("refuses an unrecognized input by name", () => {
      expectOnlyFailureAt(inputs({ url: "https://x.example.com" }), "(inputs)", 'unknown input(s) "url"');
    });
  });

  describe("type", () => {
    it.each(["inbound", "feedback"])("accepts %s", (type) => {
      expect(expectValid(inputs({ type })).type).toBe(type);
    });

    it.each([["Inbound"], ["status"], [""], [1], [undefined]])("refuses %p", (type) => {
      expectOnlyFailureAt(inputs({ type }), "type", 'must be "inbound" or "feedback"');
    });
  });

  describe("apiCredentialId and apiCredentialType", () => {
    it("accepts any non-empty id, with or without a type", () => {
      const id = credentialId();
      expect(expectValid(inputs({ apiCredentialId: id })).apiCredentialId).toBe(id);
      expect(expectValid(inputs({ apiCredentialType: "twilio-sms" })).apiCredentialType).toBe("twilio-sms");
      expect(
        expectValid(inputs({ apiCredentialType: "custom-rcs", verification: BEARER })).apiCredentialType,
      ).toBe("custom-rcs");
      expect(expectValid(inputs()).apiCredentialType).toBeUndefined();
    });

    it("refuses an empty, missing or non-string id", () => {
      expectOnlyFailureAt(inputs({ apiCredentialId: "" }), "apiCredentialId", "must not be empty");
      const msg = "must be a credential id (a credential resource or its id)";
      expectOnlyFailureAt(inputs({ apiCredentialId: 42 }), "apiCredentialId", msg);
      const raw = inputs();
      delete raw["apiCredentialId"];
      expectOnlyFailureAt(raw, "apiCredentialId", msg);
    });

    it.each(["twilio", "custom", "TWILIO-SMS", "sms"])("refuses the type %p", (t) => {
      expectOnlyFailureAt(
        inputs({ apiCredentialType: t }),
        "apiCredentialType",
        'must be "twilio-sms" or "custom-rcs"',
      );
    });
  });

  describe("senderNumber", () => {
    it.each([
      "+14155550100",
      "+447700900123",
      "12345",
      "123456",
      "ACME",
      "Acme Shop",
      "A",
      "Shop2024ABC",
      "1a",
    ])("accepts %p", (s) => {
      expect(expectValid(inputs({ senderNumber: s })).senderNumber).toBe(s);
    });

    it.each([
      "1234",
      "1234567",
      "14155550100",
      "+0123456",
      "+1234567890123456",
      "Acme Shop 12",
      "Acme-Shop",
      "Shop!",
      "",
      "   ",
      "rcs:acme",
    ])("refuses %p", (s) => {
      expectOnlyFailureAt(inputs({ senderNumber: s }), "senderNumber", SENDER_FORMAT_REASON);
    });

    it("refuses a non-string", () => {
      expectOnlyFailureAt(inputs({ senderNumber: 14155550100 }), "senderNumber", "must be a string");
    });
  });

  describe("keywords: shapes", () => {
    it.each(["optIn", "doubleOptIn", "help"])("%s takes { keywords, reply } only", (c) => {
      expectValid(inputs({ keywords: { [c]: cat(["Alpha"]) } }));
      expectOnlyFailureAt(
        inputs({ keywords: { [c]: cat([]) } }),
        `keywords.${c}.keywords`,
        "must list at least one keyword",
      );
      expectOnlyFailureAt(
        inputs({ keywords: { [c]: cat(["Alpha"], "") } }),
        `keywords.${c}.reply`,
        "must not be empty",
      );
      expectOnlyFailureAt(
        inputs({ keywords: { [c]: cat(["Alpha"], "r".repeat(1601)) } }),
        `keywords.${c}.reply`,
        "must be at most 1600 characters",
      );
      expectOnlyFailureAt(
        inputs({ keywords: { [c]: { ...cat(["Alpha"]), fuzzy: true } } }),
        `keywords.${c}`,
        'unknown input(s) "fuzzy"',
      );
      const missing = parse(inputs({ keywords: { [c]: {} } }));
      expect(Object.keys(byProperty(missing.failures)).sort()).toEqual([
        `keywords.${c}.keywords`,
        `keywords.${c}.reply`,
      ]);
    });

    it("optOut also takes fuzzy and fuzzyReply", () => {
      const optOut = { ...cat(["Halt"]), fuzzy: true, fuzzyReply: "Reply STOP to unsubscribe" };
      expect(expectValid(inputs({ keywords: { optOut } })).keywords?.optOut).toEqual(optOut);
      expect(
        expectValid(inputs({ keywords: { optOut: { ...cat(["Halt"]), fuzzy: false } } })).keywords?.optOut
          ?.fuzzy,
      ).toBe(false);
    });

    it("optOut refuses a non-boolean fuzzy and an empty or too long fuzzyReply", () => {
      expectOnlyFailureAt(
        inputs({ keywords: { optOut: { ...cat(["Halt"]), fuzzy: "yes" } } }),
        "keywords.optOut.fuzzy",
        "must be true or false",
      );
      expectOnlyFailureAt(
        inputs({ keywords: { optOut: { ...cat(["Halt"]), fuzzyReply: "" } } }),
        "keywords.optOut.fuzzyReply",
        "must not be empty",
      );
      expectOnlyFailureAt(
        inputs({ keywords: { optOut: { ...cat(["Halt"]), fuzzyReply: "f".repeat(1601) } } }),
        "keywords.optOut.fuzzyReply",
        "must be at most 1600 characters",
      );
      expectOnlyFailureAt(
        inputs({ keywords: { optOut: { ...cat(["Halt"]), fuzzyMatch: true } } }),
        "keywords.optOut",
        'unknown input(s) "fuzzyMatch"',
      );
    });

    it("custom takes a list of { keyword, reply }", () => {
      const custom = [
        { keyword: "Promo", reply: "10% off" },
        { keyword: "Hours", reply: "9 to 5" },
      ];
      expect(expectValid(inputs({ keywords: { custom } })).keywords?.custom).toEqual(custom);
      expect(expectValid(inputs({ keywords: { custom: [] } })).keywords?.custom).toEqual([]);
      expectOnlyFailureAt(
        inputs({ keywords: { custom: [{ keyword: "Promo", reply: "r", keywords: ["x"] }] } }),
        "keywords.custom[0]",
        'unknown input(s) "keywords"',
      );
      expectOnlyFailureAt(
        inputs({ keywords: { custom: [{ keyword: "Promo", reply: "" }] } }),
        "keywords.custom[0].reply",
        "must not be empty",
      );
      expectOnlyFailureAt(
        inputs({ keywords: { custom: [{ reply: "r" }] } }),
        "keywords.custom[0].keyword",
        "must be a string",
      );
      const notList = parse(inputs({ keywords: { custom: { keyword: "Promo", reply: "r" } } }));
      expect(notList.failures.map((f) => f.property)).toEqual(["keywords.custom"]);
    });

    it("refuses an unknown category by name, at keywords", () => {
      expectOnlyFailureAt(
        inputs({ keywords: { stop: cat(["Halt"]) } }),
        "keywords",
        'unknown input(s) "stop"',
      );
    });

    it("an empty keywords object takes every default", () => {
      expectValid(inputs({ keywords: {} }));
    });
  });

  describe("keywords: format", () => {
    it.each(["Halt", "ALTO", "x", "9", "2024", "x_y-z", "Ünïcode", "停止", "k".repeat(30)])(
      "accepts %p",
      (k) => {
        expectValid(inputs({ keywords: { custom: [{ keyword: k, reply: "r" }] } }));
        expectValid(inputs({ keywords: { doubleOptIn: cat([k]) } }));
      },
    );

    it.each(["two words", "-dash", "_under", "stop!", "", " Stop", "k".repeat(31), "a.b"])(
      "refuses %p",
      (k) => {
        expectOnlyFailureAt(
          inputs({ keywords: { custom: [{ keyword: k, reply: "r" }] } }),
          "keywords.custom[0].keyword",
          KEYWORD_FORMAT,
        );
        expectOnlyFailureAt(
          inputs({ keywords: { doubleOptIn: cat(["Okay", k]) } }),
          "keywords.doubleOptIn.keywords[1]",
          KEYWORD_FORMAT,
        );
      },
    );
  });

  describe("keywords: unique across categories, case-insensitively", () => {
    it("reports a duplicate within a category at the second occurrence", () => {
      expectOnlyFailureAt(
        inputs({ keywords: { doubleOptIn: cat(["Confirm", "Again", "CONFIRM"]) } }),
        "keywords.doubleOptIn.keywords[2]",
        clash("CONFIRM", "doubleOptIn"),
      );
    });

    it("reports a duplicate within custom at the second entry", () => {
      expectOnlyFailureAt(
        inputs({
          keywords: {
            custom: [
              { keyword: "promo", reply: "a" },
              { keyword: "PROMO", reply: "b" },
            ],
          },
        }),
        "keywords.custom[1].keyword",
        clash("PROMO", "custom"),
      );
    });

    it("reports every repeat, each naming the first category", () => {
      const r = parse(
        inputs({
          keywords: { optIn: cat(["Go", "GO"]), help: cat(["gO"]), custom: [{ keyword: "go", reply: "x" }] },
        }),
      );
      expect(r.failures).toEqual([
        { property: "keywords.optIn.keywords[1]", reason: clash("GO", "optIn") },
        { property: "keywords.help.keywords[0]", reason: clash("gO", "optIn") },
        { property: "keywords.custom[0].keyword", reason: clash("go", "optIn") },
      ]);
    });

    it("reports a clash between two given categories", () => {
      expectOnlyFailureAt(
        inputs({ keywords: { optOut: cat(["Halt", "Pause"]), doubleOptIn: cat(["pause"]) } }),
        "keywords.doubleOptIn.keywords[0]",
        clash("pause", "optOut"),
      );
    });

    it('a custom "stop" clashes with the default optOut', () => {
      expectOnlyFailureAt(
        inputs({ keywords: { custom: [{ keyword: "stop", reply: "x" }] } }),
        "keywords.custom[0].keyword",
        clash("stop", "optOut (default)"),
      );
    });

    it.each([
      ["START", "optIn (default)"],
      ["unsubscribe", "optOut (default)"],
      ["INFO", "help (default)"],
      ["information", "help (default)"],
    ])("a custom %p clashes with %s", (word, owner) => {
      expectOnlyFailureAt(
        inputs({ keywords: { custom: [{ keyword: word, reply: "x" }] } }),
        "keywords.custom[0].keyword",
        clash(word, owner),
      );
    });

    it('a custom "stop" is accepted when optOut is given without it', () => {
      const v = expectValid(
        inputs({ keywords: { optOut: cat(["Halt", "Quit"]), custom: [{ keyword: "stop", reply: "x" }] } }),
      );
      expect(v.keywords?.custom?.[0]?.keyword).toBe("stop");
    });

    it("doubleOptIn has no defaults, and clashes with the default optIn", () => {
      expectOnlyFailureAt(
        inputs({ keywords: { doubleOptIn: cat(["Confirm", "yes"]) } }),
        "keywords.doubleOptIn.keywords[1]",
        clash("yes", "optIn (default)"),
      );
    });

    it("a given category that takes a default help word is reported at the user's keyword, naming the default", () => {
      // The defaults are visited first, so the user's "help" is the second occurrence.
      expectOnlyFailureAt(
        inputs({ keywords: { optIn: cat(["Join", "help"]) } }),
        "keywords.optIn.keywords[1]",
        clash("help", "help (default)"),
      );
    });

    it("a given help list replaces the defaults, so Info is free for custom", () => {
      expectValid(inputs({ keywords: { help: cat(["Aide"]), custom: [{ keyword: "info", reply: "x" }] } }));
    });

    it("keywordConflicts: none for the defaults alone", () => {
      expect(keywordConflicts(undefined)).toEqual([]);
      expect(keywordConflicts({})).toEqual([]);
    });
  });

  describe("resolveKeywords", () => {
    it("fills every omitted category with the contract's defaults", () => {
      const r = resolveKeywords(undefined);
      expect(r).toEqual({
        optIn: {
          keywords: ["Subscribe", "Yes", "Unstop", "Continue", "Resume", "Begin", "Start"],
          reply: expect.any(String),
        },
        optOut: {
          keywords: ["Stop", "Quit", "Cancel", "End", "Unsubscribe", "No"],
          reply: expect.any(String),
        },
        help: { keywords: ["Help", "Info", "Information"], reply: expect.any(String) },
        custom: [],
      });
      expect(r).not.toHaveProperty("doubleOptIn");
      for (const c of [r.optIn, r.optOut, r.help]) expect(c.reply.length).toBeGreaterThan(0);
      expect(resolveKeywords({})).toEqual(r);
    });

    it("keeps a given category as given (no merge with the defaults)", () => {
      const optOut = { keywords: ["Halt"], reply: "Bye", fuzzy: true, fuzzyReply: "Did you mean HALT?" };
      const doubleOptIn = { keywords: ["Confirm"], reply: "Confirmed" };
      const custom = [{ keyword: "Promo", reply: "10% off" }];
      const r = resolveKeywords({ optOut, doubleOptIn, custom });
      expect(r.optOut).toEqual(optOut);
      expect(r.doubleOptIn).toEqual(doubleOptIn);
      expect(r.custom).toEqual(custom);
      expect(r.optIn.keywords).toEqual([...DEFAULT_KEYWORDS.optIn.keywords]);
      expect(r.help.keywords).toEqual([...DEFAULT_KEYWORDS.help.keywords]);
    });

    it("gives fresh default lists: changing one result does not change the next", () => {
      resolveKeywords(undefined).optOut.keywords.push("Mutated");
      expect(resolveKeywords(undefined).optOut.keywords).toEqual([
        "Stop",
        "Quit",
        "Cancel",
        "End",
        "Unsubscribe",
        "No",
      ]);
    });
  });

  describe("keywords on a feedback webhook", () => {
    it("are refused at keywords", () => {
      expectOnlyFailureAt(
        inputs({ type: "feedback", keywords: { optIn: cat(["Join"]) } }),
        "keywords",
        "belong to inbound webhooks; feedback webhooks get delivery status only",
      );
    });

    it("even an empty keywords object", () => {
      expectOnlyFailureAt(
        inputs({ type: "feedback", keywords: {} }),
        "keywords",
        /belong to inbound webhooks/,
      );
    });
  });

  describe("defaultReply", () => {
    it("accepts 1 to 1600 characters", () => {
      expectValid(inputs({ defaultReply: "x" }));
      expectValid(inputs({ defaultReply: "x".repeat(1600) }));
    });

    it("refuses an empty or non-string reply", () => {
      expectOnlyFailureAt(inputs({ defaultReply: "" }), "defaultReply", "must not be empty");
      expectOnlyFailureAt(inputs({ defaultReply: 7 }), "defaultReply", "must be a string");
    });

    // The `.max(1600)` has no message of its own, so zod 4 uses the schema-level one: "must be a
    it("refuses a reply over 1600 characters, saying so", () => {
      expectOnlyFailureAt(inputs({ defaultReply: "x".repeat(1601) }), "defaultReply", /at most 1600/);
    });

    it("refuses a reply over 1600 characters (whatever the reason says)", () => {
      const r = parse(inputs({ defaultReply: "x".repeat(1601) }));
      expect(r.failures.map((f) => f.property)).toEqual(["defaultReply"]);
    });
  });

  describe("payloadMapping", () => {
    it("accepts every inbound field on an inbound webhook for a custom vendor", () => {
      const payloadMapping = {
        inboundMessage: "message.text",
        profileNumber: "sender.phone",
        requestId: "id",
        originTimestamp: "meta.sent_at",
        inboundNumber: "recipients[0].number",
      };
      expect(
        expectValid(inputs({ apiCredentialType: "custom-rcs", verification: BEARER, payloadMapping }))
          .payloadMapping,
      ).toEqual(payloadMapping);
    });

    it("accepts every feedback field on a feedback webhook", () => {
      const payloadMapping = { clientReference: "ref", code: "error.code", status: "$status" };
      expectValid(
        inputs({ type: "feedback", apiCredentialType: "custom-rcs", verification: BEARER, payloadMapping }),
      );
    });

    it("accepts a mapping while the credential's type is not known yet (the store is asked later)", () => {
      expectValid(inputs({ payloadMapping: { inboundMessage: "text" } }));
    });

    it.each(["clientReference", "code", "status", "message"])("refuses %p on an inbound webhook", (field) => {
      expectOnlyFailureAt(
        inputs({ payloadMapping: { [field]: "a.b" } }),
        `payloadMapping.${field}`,
        "is not a field of inbound webhooks; use inboundMessage, profileNumber, requestId, originTimestamp, inboundNumber",
      );
    });

    it.each(["inboundMessage", "profileNumber", "requestId", "originTimestamp", "inboundNumber"])(
      "refuses %p on a feedback webhook",
      (field) => {
        expectOnlyFailureAt(
          inputs({ type: "feedback", payloadMapping: { [field]: "a.b" } }),
          `payloadMapping.${field}`,
          "is not a field of feedback webhooks; use clientReference, code, status",
        );
      },
    );

    it.each(["1bad", "a..b", "a.", ".a", "", "a b", "a[x]", "a[0", "a/b"])("refuses the path %p", (p) => {
      expectOnlyFailureAt(
        inputs({ payloadMapping: { inboundMessage: p } }),
        "payloadMapping.inboundMessage",
        "must be a dotted path into the payload, e.g. message.text",
      );
    });

    it.each(["a", "message.text", "data[0].text", "items[12]", "_x.$y", "x-y.z_1"])(
      "accepts the path %p",
      (p) => {
        expectValid(inputs({ payloadMapping: { inboundMessage: p } }));
      },
    );

    it("is refused for a twilio-sms credential, at payloadMapping", () => {
      expectOnlyFailureAt(
        inputs({ apiCredentialType: "twilio-sms", payloadMapping: { inboundMessage: "Body" } }),
        "payloadMapping",
        "is for custom vendors (a CustomRcsCredential); Twilio's own payload needs no mapping",
      );
      expectOnlyFailureAt(
        inputs({ type: "feedback", apiCredentialType: "twilio-sms", payloadMapping: {} }),
        "payloadMapping",
        /is for custom vendors/,
      );
    });

    it("reports a wrong field, a bad path and the twilio-sms refusal together", () => {
      const r = parse(
        inputs({ apiCredentialType: "twilio-sms", payloadMapping: { code: "c", inboundMessage: "1x" } }),
      );
      expect(byProperty(r.failures)).toEqual({
        "payloadMapping.inboundMessage": [expect.stringMatching(/dotted path/)],
        "payloadMapping.code": [expect.stringMatching(/is not a field of inbound webhooks/)],
        payloadMapping: [expect.stringMatching(/is for custom vendors/)],
      });
    });
  });

  describe("attachToMessagingService", () => {
    it.each([true, false])("accepts %p", (b) => {
      expect(expectValid(inputs({ attachToMessagingService: b })).attachToMessagingService).toBe(b);
    });

    it.each([["true"], [1], [null]])("refuses %p", (b) => {
      expectOnlyFailureAt(
        inputs({ attachToMessagingService: b }),
        "attachToMessagingService",
        "must be true or false",
      );
    });
  });

  describe("validation and sandbox", () => {
    it("validation takes strict, warn or off", () => {
      expectValid(inputs({ validation: "warn" }));
      expectOnlyFailureAt(
        inputs({ validation: "lenient" }),
        "validation",
        'must be "strict", "warn" or "off"',
      );
    });

    it("sandbox defaults to prod and follows the sandbox format", () => {
      expect(expectValid(inputs()).sandbox).toBe("prod");
      expectOnlyFailureAt(inputs({ sandbox: "Dev" }), "sandbox", /lowercase letters, digits or hyphens/);
    });
  });

  describe("unknown values (preview)", () => {
    it.each([
      "type",
      "apiCredentialId",
      "apiCredentialType",
      "senderNumber",
      "keywords",
      "defaultReply",
      "payloadMapping",
      "attachToMessagingService",
      "validation",
    ])("an unknown %s is skipped, and hasUnknowns says so", (field) => {
      const r = parse(inputs({ [field]: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
      expect((r.value as Record<string, unknown>)[field]).toBe(UNKNOWN);
      expect(r.value?.sandbox).toBe("prod");
    });

    it("an unknown keyword is skipped, while a known clash beside it is still reported", () => {
      const r = parse(
        inputs({
          keywords: {
            custom: [
              { keyword: UNKNOWN, reply: "a" },
              { keyword: "stop", reply: "b" },
            ],
          },
        }),
      );
      expect(r.failures).toEqual([
        { property: "keywords.custom[1].keyword", reason: clash("stop", "optOut (default)") },
      ]);
      expect(r.hasUnknowns).toBe(true);
    });

    it("two unknown keywords are not a clash", () => {
      const r = parse(inputs({ keywords: { optIn: cat([UNKNOWN]), help: cat([UNKNOWN]) } }));
      expect(r.failures).toEqual([]);
    });

    it("an unknown reply does not hide a clash", () => {
      const r = parse(inputs({ keywords: { custom: [{ keyword: "HELP", reply: UNKNOWN }] } }));
      expect(r.failures).toEqual([
        { property: "keywords.custom[0].keyword", reason: clash("HELP", "help (default)") },
      ]);
    });

    it('an unknown optOut leaves a custom "stop" undecided: not reported', () => {
      const r = parse(inputs({ keywords: { optOut: UNKNOWN, custom: [{ keyword: "stop", reply: "x" }] } }));
      expect(r.failures).toEqual([]);
    });

    it("an unknown payloadMapping is skipped even for a twilio-sms credential", () => {
      expect(parse(inputs({ apiCredentialType: "twilio-sms", payloadMapping: UNKNOWN })).failures).toEqual(
        [],
      );
    });

    it("an unknown mapping path is skipped while a wrong field beside it is reported", () => {
      const r = parse(inputs({ payloadMapping: { inboundMessage: UNKNOWN, code: "c" } }));
      expect(r.failures.map((f) => f.property)).toEqual(["payloadMapping.code"]);
    });

    it("an unknown type does not hide a bad apiCredentialId or validation", () => {
      const r = parse(inputs({ type: UNKNOWN, apiCredentialId: "", validation: "x" }));
      expect(Object.keys(byProperty(r.failures)).sort()).toEqual(["apiCredentialId", "validation"]);
    });

    // The cross-field guard drops every `custom` issue when `type`, `apiCredentialType` or `keywords`
    // is unknown, the format of senderNumber (a refine) included: a known bad sender passes preview
    it.each(["type", "keywords", "apiCredentialType"])(
      "an unknown %s does not hide a bad senderNumber",
      (field) => {
        const r = parse(inputs({ [field]: UNKNOWN, senderNumber: "not a sender!" }));
        expect(r.failures).toEqual([{ property: "senderNumber", reason: SENDER_FORMAT_REASON }]);
      },
    );
  });

  describe("twilioAuthToken and verification: what the credential's kind asks", () => {
    const token = (): string => randomBytes(16).toString("hex");
    const VERIFICATION_NEEDED =
      'is required for a custom-vendor credential (CustomRcsCredential): say how the vendor proves a delivery is theirs, {type:"basic"|"bearer"|"hmac-sha256", …}';
    const TOKEN_NEEDED =
      "is required: the credential signs in with an API key, but Twilio signs webhook requests with the account's auth token, which the receiver needs to check them";

    it.each([
      [{ type: "basic", username: "acme", password: token() }],
      [{ type: "bearer", token: token() }],
      [{ type: "hmac-sha256", secret: token() }],
      [{ type: "hmac-sha256", secret: token(), header: "X-Hub-Signature-256" }],
    ])("accepts the verification %p on a custom-vendor credential", (verification) => {
      expect(expectValid(inputs({ apiCredentialType: "custom-rcs", verification })).verification).toEqual(
        verification,
      );
    });

    it("requires verification on a custom-vendor credential", () => {
      expectOnlyFailureAt(inputs({ apiCredentialType: "custom-rcs" }), "verification", VERIFICATION_NEEDED);
    });

    it("refuses verification on a Twilio credential, and twilioAuthToken on a custom one", () => {
      expectOnlyFailureAt(
        inputs({ apiCredentialType: "twilio-sms", verification: BEARER }),
        "verification",
        /^is for custom-vendor credentials/,
      );
      expectOnlyFailureAt(
        inputs({ apiCredentialType: "custom-rcs", verification: BEARER, twilioAuthToken: token() }),
        "twilioAuthToken",
        /^is for Twilio SMS credentials/,
      );
    });

    it("requires twilioAuthToken when the Twilio credential signs in with an API key", () => {
      expectOnlyFailureAt(
        inputs({ apiCredentialType: "twilio-sms", apiCredentialAuth: "api-key" }),
        "twilioAuthToken",
        TOKEN_NEEDED,
      );
      expectValid(
        inputs({ apiCredentialType: "twilio-sms", apiCredentialAuth: "api-key", twilioAuthToken: token() }),
      );
      expectValid(inputs({ apiCredentialType: "twilio-sms", apiCredentialAuth: "auth-token" }));
    });

    it.each([
      [{ type: "hmac" }, "verification.type"],
      [{ type: "basic", username: "u" }, "verification.password"],
      [{ type: "bearer", token: "" }, "verification.token"],
      [{ type: "bearer", token: "t", extra: 1 }, "verification"],
      [{ type: "hmac-sha256", secret: "s", header: "not a header" }, "verification.header"],
      ["bearer abc", "verification"],
    ])("refuses the verification %p at %s", (verification, property) => {
      const r = parse(inputs({ apiCredentialType: "custom-rcs", verification }));
      expect(r.failures.map((f) => f.property)).toEqual([property]);
    });

    it.each([[""], [42]])("refuses the twilioAuthToken %p", (twilioAuthToken) => {
      const r = parse(inputs({ apiCredentialType: "twilio-sms", twilioAuthToken }));
      expect(r.failures.map((f) => f.property)).toEqual(["twilioAuthToken"]);
    });

    it("an unknown verification or token is not reported in preview", () => {
      expect(parse(inputs({ apiCredentialType: "custom-rcs", verification: UNKNOWN })).failures).toEqual([]);
      expect(
        parse(
          inputs({ apiCredentialType: "twilio-sms", apiCredentialAuth: "api-key", twilioAuthToken: UNKNOWN }),
        ).failures,
      ).toEqual([]);
    });
  });
});
