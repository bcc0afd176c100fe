/**
 * The ChannelConfiguration input schema through `parseInputs` (what `check` runs): name, enums, the
 * rcs/twilio-sms rule, sender formats, subdomain, executionField's default, webhooks.
 */
import { randomBytes } from "node:crypto";
import { parseInputs, UNKNOWN } from "../../provider/schema/check";
import { byProperty, schemaExpectations } from "../support/schema";
import { channelConfigurationInputs } from "../../provider/schema/channelConfiguration";
import { SENDER_FORMAT_REASON } from "../../provider/schema/senders";

/** The guard list the ChannelConfiguration handler passes: its cross-field rule involves these. */
const GUARD = ["channel", "apiCredentialType"] as const;

const id = (prefix: string): string => `${prefix}_${randomBytes(8).toString("hex")}`;

function parse(raw: Record<string, unknown>) {
  return parseInputs(channelConfigurationInputs, raw, GUARD);
}

const { expectOnlyFailureAt, expectValid } = schemaExpectations(parse);

function inputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "marketing-sms",
    channel: "sms",
    messageType: "marketing",
    apiCredentialId: id("cred"),
    senderNumber: "+14155550100",
    ...extra,
  };
}

const NAME_REASON = "must start with a letter and hold only letters, digits, '_', '.' and '-'";
const SUBDOMAIN_REASON = "must be lowercase letters, digits and inner hyphens (at most 63)";
const RCS_REASON =
  "an rcs channel needs a custom-rcs credential (CustomRcsCredential): Twilio SMS credentials are refused, since RCS needs another payload format";

describe("parseInputs(channelConfigurationInputs)", () => {
  describe("a complete valid input", () => {
    it("keeps every value, with sandbox prod", () => {
      const raw = inputs({
        sandbox: "team-a",
        description: "Spring sale",
        apiCredentialType: "twilio-sms",
        subdomain: "promo-2024",
        executionField: "contact.phone",
        webhookIds: [id("wh"), id("wh")],
        validation: "warn",
      });
      expect(expectValid(raw)).toEqual(raw);
      expect(expectValid({ ...raw, sandbox: undefined }).sandbox).toBe("prod");
    });

    it.each(["name", "channel", "messageType", "apiCredentialId", "senderNumber"])("requires %s", (field) => {
      const raw = inputs();
      delete raw[field];
      expect(parse(raw).failures.map((f) => f.property)).toEqual([field]);
    });

    it("refuses an unrecognized input by name (webhooks is given as webhookIds)", () => {
      expectOnlyFailureAt(inputs({ webhooks: [id("wh")] }), "(inputs)", 'unknown input(s) "webhooks"');
    });
  });

  describe("name", () => {
    it.each(["a", "Marketing", "sms.marketing_v2-eu", "A1", `a${"b".repeat(199)}`])("accepts %p", (name) => {
      expect(expectValid(inputs({ name })).name).toBe(name);
    });

    it.each(["1sms", "-sms", "_sms", ".sms", "sms channel", "sms/eu", "smś", ""])("refuses %p", (name) => {
      expectOnlyFailureAt(inputs({ name }), "name", NAME_REASON);
    });

    it("refuses more than 200 characters, and a non-string", () => {
      expectOnlyFailureAt(inputs({ name: `a${"b".repeat(200)}` }), "name", "must be at most 200 characters");
      expectOnlyFailureAt(inputs({ name: 7 }), "name", "must be a string");
    });
  });

  describe("description", () => {
    it("is optional and takes up to 1000 characters", () => {
      expect(expectValid(inputs()).description).toBeUndefined();
      expect(expectValid(inputs({ description: "" })).description).toBe("");
      expect(expectValid(inputs({ description: "d".repeat(1000) })).description).toHaveLength(1000);
    });

    it("refuses more than 1000 characters and a non-string", () => {
      expectOnlyFailureAt(
        inputs({ description: "d".repeat(1001) }),
        "description",
        "must be at most 1000 characters",
      );
      expectOnlyFailureAt(inputs({ description: ["d"] }), "description", "must be a string");
    });
  });

  describe("channel and messageType", () => {
    it.each(["sms", "mms", "rcs"])("channel accepts %s", (channel) => {
      expect(expectValid(inputs({ channel })).channel).toBe(channel);
    });

    it.each([["SMS"], ["whatsapp"], [""], [1]])("channel refuses %p", (channel) => {
      expectOnlyFailureAt(inputs({ channel }), "channel", 'must be "sms", "mms" or "rcs"');
    });

    it.each(["marketing", "transactional"])("messageType accepts %s", (messageType) => {
      expect(expectValid(inputs({ messageType })).messageType).toBe(messageType);
    });

    it.each([["Marketing"], ["otp"], [""], [null]])("messageType refuses %p", (messageType) => {
      expectOnlyFailureAt(inputs({ messageType }), "messageType", 'must be "marketing" or "transactional"');
    });
  });

  describe("apiCredential: rcs takes custom-rcs only", () => {
    it("refuses rcs with a twilio-sms credential, at apiCredential", () => {
      const r = parse(inputs({ channel: "rcs", apiCredentialType: "twilio-sms" }));
      expect(r.value).toBeUndefined();
      expect(r.failures).toEqual([{ property: "apiCredential", reason: RCS_REASON }]);
    });

    it("accepts rcs with a custom-rcs credential", () => {
      expectValid(inputs({ channel: "rcs", apiCredentialType: "custom-rcs" }));
    });

    it.each(["sms", "mms"])("accepts %s with a twilio-sms or custom-rcs credential", (channel) => {
      expectValid(inputs({ channel, apiCredentialType: "twilio-sms" }));
      expectValid(inputs({ channel, apiCredentialType: "custom-rcs" }));
    });

    it("leaves rcs with a bare id (no type) to the store", () => {
      expectValid(inputs({ channel: "rcs" }));
    });

    it("skips the rule while apiCredentialType is unknown", () => {
      const r = parse(inputs({ channel: "rcs", apiCredentialType: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
    });

    it("skips the rule while channel is unknown", () => {
      const r = parse(inputs({ channel: UNKNOWN, apiCredentialType: "twilio-sms" }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
    });

    it("reports the rule together with other problems", () => {
      const r = parse(
        inputs({ channel: "rcs", apiCredentialType: "twilio-sms", subdomain: "cdn", senderNumber: "x!" }),
      );
      expect(byProperty(r.failures)).toEqual({
        apiCredential: [RCS_REASON],
        subdomain: ["is reserved (cdn and data cannot be used)"],
        senderNumber: [SENDER_FORMAT_REASON],
      });
    });

    it("refuses an unknown type and an empty or non-string id", () => {
      expectOnlyFailureAt(
        inputs({ apiCredentialType: "twilio" }),
        "apiCredentialType",
        'must be "twilio-sms" or "custom-rcs"',
      );
      expectOnlyFailureAt(inputs({ apiCredentialId: "" }), "apiCredentialId", "must not be empty");
      expectOnlyFailureAt(
        inputs({ apiCredentialId: { id: "x" } }),
        "apiCredentialId",
        "must be a credential id (a credential resource or its id)",
      );
    });
  });

  describe("senderNumber", () => {
    it.each([
      ["E.164", "+14155550100"],
      ["E.164, shortest", "+12"],
      ["E.164, 15 digits", "+123456789012345"],
      ["a 5-digit short code", "12345"],
      ["a 6-digit short code", "654321"],
      ["a 1-letter sender ID", "A"],
      ["an 11-character sender ID", "AcmeShop123"],
      ["a sender ID with a space", "Acme Shop"],
      ["a sender ID mostly digits", "2024a"],
    ])("accepts %s", (_label, s) => {
      expect(expectValid(inputs({ senderNumber: s })).senderNumber).toBe(s);
    });

    it.each([
      ["a 4-digit code", "1234"],
      ["a 7-digit code", "1234567"],
      ["11 digits without +", "14155550100"],
      ["E.164 with a leading 0", "+0155550100"],
      ["E.164 too long", "+1234567890123456"],
      ["E.164 with spaces", "+1 415 555 0100"],
      ["a 12-character sender ID", "AcmeShop1234"],
      ["a sender ID with a hyphen", "Acme-Shop"],
      ["a sender ID with an accent", "Café"],
      ["spaces only", "   "],
      ["empty", ""],
    ])("refuses %s", (_label, s) => {
      expectOnlyFailureAt(inputs({ senderNumber: s }), "senderNumber", SENDER_FORMAT_REASON);
    });

    it("refuses a non-string", () => {
      expectOnlyFailureAt(inputs({ senderNumber: 12345 }), "senderNumber", "must be a string");
    });
  });

  describe("subdomain", () => {
    it.each(["a", "7", "promo", "promo-eu-2", "a1b2", "cdn2", "my-cdn", "datas", `a${"b".repeat(61)}c`])(
      "accepts %p",
      (s) => {
        expect(expectValid(inputs({ subdomain: s })).subdomain).toBe(s);
      },
    );

    it.each([
      ["uppercase", "Promo"],
      ["a leading hyphen", "-promo"],
      ["a trailing hyphen", "promo-"],
      ["an underscore", "promo_eu"],
      ["a dot", "promo.eu"],
      ["a space", "promo eu"],
      ["64 characters", `a${"b".repeat(62)}c`],
      ["empty", ""],
    ])("refuses %s", (_label, s) => {
      expectOnlyFailureAt(inputs({ subdomain: s }), "subdomain", SUBDOMAIN_REASON);
    });

    it.each(["cdn", "data"])("refuses the reserved %p", (s) => {
      expectOnlyFailureAt(inputs({ subdomain: s }), "subdomain", "is reserved (cdn and data cannot be used)");
    });

    it("is optional", () => {
      expect(expectValid(inputs()).subdomain).toBeUndefined();
    });
  });

  describe("executionField", () => {
    it("defaults to mobilePhone.number", () => {
      expect(expectValid(inputs()).executionField).toBe("mobilePhone.number");
    });

    it("keeps the default when another field is unknown (preview)", () => {
      const r = parse(inputs({ apiCredentialId: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.value?.executionField).toBe("mobilePhone.number");
      expect(r.value?.sandbox).toBe("prod");
    });

    it.each(["phone", "mobilePhone.number", "_x.y_1", "a.b.c.d", "A1.B2"])("accepts %p", (f) => {
      expect(expectValid(inputs({ executionField: f })).executionField).toBe(f);
    });

    it.each(["1phone", "a..b", "a.", ".a", "a-b", "a b", "a[0]", "a.1b", ""])("refuses %p", (f) => {
      expectOnlyFailureAt(
        inputs({ executionField: f }),
        "executionField",
        "must be a dotted field path, e.g. mobilePhone.number",
      );
    });

    it("refuses a non-string", () => {
      expectOnlyFailureAt(inputs({ executionField: 5 }), "executionField", "must be a string");
    });
  });

  describe("webhookIds", () => {
    it("takes a list of ids, empty included", () => {
      const ids = [id("wh"), id("wh")];
      expect(expectValid(inputs({ webhookIds: ids })).webhookIds).toEqual(ids);
      expect(expectValid(inputs({ webhookIds: [] })).webhookIds).toEqual([]);
    });

    it("refuses an empty or non-string id at its index", () => {
      expectOnlyFailureAt(inputs({ webhookIds: [id("wh"), ""] }), "webhookIds[1]", /webhook id|empty/);
      expectOnlyFailureAt(inputs({ webhookIds: [7] }), "webhookIds[0]", "must be a webhook id");
    });

    it("refuses a single id that is not in a list", () => {
      const r = parse(inputs({ webhookIds: id("wh") }));
      expect(r.failures.map((f) => f.property)).toEqual(["webhookIds"]);
    });
  });

  describe("unknown values (preview)", () => {
    it.each([
      "name",
      "description",
      "channel",
      "messageType",
      "apiCredentialId",
      "apiCredentialType",
      "senderNumber",
      "subdomain",
      "executionField",
      "webhookIds",
      "validation",
      "sandbox",
    ])("an unknown %s is skipped, and hasUnknowns says so", (field) => {
      const r = parse(inputs({ [field]: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
      expect((r.value as Record<string, unknown>)[field]).toBe(UNKNOWN);
    });

    it("an unknown webhook id is skipped while an empty one beside it is reported", () => {
      const r = parse(inputs({ webhookIds: [UNKNOWN, ""] }));
      expect(r.failures.map((f) => f.property)).toEqual(["webhookIds[1]"]);
    });

    it("an unknown name does not hide a bad regex-checked field", () => {
      const r = parse(inputs({ name: UNKNOWN, executionField: "1x", channel: "fax" }));
      expect(Object.keys(byProperty(r.failures)).sort()).toEqual(["channel", "executionField"]);
    });

    // The cross-field guard drops every `custom` issue while channel or apiCredentialType is unknown,
    // the refines of senderNumber and subdomain included: a known bad value passes preview and fails
    it.each(["channel", "apiCredentialType"])("an unknown %s does not hide a reserved subdomain", (field) => {
      const r = parse(inputs({ channel: "rcs", [field]: UNKNOWN, subdomain: "cdn" }));
      expect(r.failures).toEqual([
        { property: "subdomain", reason: "is reserved (cdn and data cannot be used)" },
      ]);
    });

    it.each(["channel", "apiCredentialType"])("an unknown %s does not hide a bad senderNumber", (field) => {
      const r = parse(inputs({ [field]: UNKNOWN, senderNumber: "not a sender!" }));
      expect(r.failures).toEqual([{ property: "senderNumber", reason: SENDER_FORMAT_REASON }]);
    });
  });
});
