/**
 * The SmsApiCredential input schema through `parseInputs` (what `check` runs), and the provider's
 * settings resolution (`resolveSettings`).
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ConfigError, resolveSettings, type ConfigSource } from "../../provider/config";
import {
  containsUnknown,
  formatPath,
  parseInputs,
  UNKNOWN,
  type CheckFailure,
} from "../../provider/schema/check";
import { smsApiCredentialInputs } from "../../provider/schema/smsApiCredential";

/** The guard list the SmsApiCredential handler passes: its cross-field rules involve these. */
const GUARD = ["authToken", "apiKeySid", "apiKeySecret"] as const;

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");
const accountSid = (): string => `AC${hex(16)}`;
const apiKeySid = (): string => `SK${hex(16)}`;
const serviceSid = (): string => `MG${hex(16)}`;
const secret = (): string => hex(16);

function parse(raw: Record<string, unknown>) {
  return parseInputs(smsApiCredentialInputs, raw, GUARD);
}

function tokenInputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "primary", accountSid: accountSid(), authToken: secret(), ...extra };
}

function keyInputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "primary",
    accountSid: accountSid(),
    apiKeySid: apiKeySid(),
    apiKeySecret: secret(),
    ...extra,
  };
}

/** The failures, as `property` → reasons, for compact assertions. */
function byProperty(failures: readonly CheckFailure[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of failures) (out[f.property] ??= []).push(f.reason);
  return out;
}

function expectOnlyFailureAt(raw: Record<string, unknown>, property: string, reason: RegExp): void {
  const r = parse(raw);
  expect(r.value).toBeUndefined();
  expect(r.failures).toHaveLength(1);
  expect(r.failures[0]!.property).toBe(property);
  expect(r.failures[0]!.reason).toMatch(reason);
}

function expectValid(raw: Record<string, unknown>) {
  const r = parse(raw);
  expect(r.failures).toEqual([]);
  expect(r.value).toBeDefined();
  return r.value!;
}

describe("parseInputs(smsApiCredentialInputs)", () => {
  describe("a complete valid input", () => {
    it("with authToken parses, applies sandbox default prod, and keeps every value", () => {
      const raw = tokenInputs({
        messagingServiceSid: serviceSid(),
        inboundNumber: "+14155550100",
        verifyConnection: { to: "+447700900123", message: "hello from pulumi" },
        validation: "warn",
      });
      const r = parse(raw);
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(false);
      expect(r.value).toEqual({ ...raw, sandbox: "prod" });
    });

    it("with apiKeySid and apiKeySecret parses", () => {
      const raw = keyInputs({ sandbox: "team-a" });
      expect(expectValid(raw)).toEqual(raw);
    });

    it("ignores __provider (the serialized provider is not an input)", () => {
      const raw = tokenInputs({ __provider: "exports.handler = require('pulumi-sms-channels')" });
      const v = expectValid(raw);
      expect(v).not.toHaveProperty("__provider");
      expect(v.accountSid).toBe(raw["accountSid"]);
    });
  });

  describe("accountSid", () => {
    it.each([
      ["lowercase hex", () => `AC${hex(16)}`],
      ["uppercase hex", () => `AC${hex(16).toUpperCase()}`],
    ])("accepts %s", (_label, make) => {
      expectValid(tokenInputs({ accountSid: make() }));
    });

    it.each([
      ["wrong prefix", () => `AX${hex(16)}`],
      ["lowercase prefix", () => `ac${hex(16)}`],
      ["31 hex chars", () => `AC${hex(16).slice(1)}`],
      ["33 hex chars", () => `AC${hex(16)}a`],
      ["non-hex character", () => `AC${hex(16).slice(1)}g`],
      ["API key SID", () => `SK${hex(16)}`],
      ["surrounding space", () => ` AC${hex(16)}`],
      ["empty", () => ""],
    ])("rejects %s", (_label, make) => {
      expectOnlyFailureAt(
        tokenInputs({ accountSid: make() }),
        "accountSid",
        /Account SID: AC followed by 32 hex/,
      );
    });

    it.each([[42], [null], [{ sid: "x" }]])("rejects a non-string (%p)", (value) => {
      expectOnlyFailureAt(tokenInputs({ accountSid: value }), "accountSid", /must be a string/);
    });

    it("is required", () => {
      const raw = tokenInputs();
      delete raw["accountSid"];
      expectOnlyFailureAt(raw, "accountSid", /string/);
    });
  });

  describe("authToken vs apiKeySid/apiKeySecret", () => {
    it("refuses both an authToken and an API key, at authToken", () => {
      expectOnlyFailureAt(
        tokenInputs({ apiKeySid: apiKeySid(), apiKeySecret: secret() }),
        "authToken",
        /either authToken, or apiKeySid with apiKeySecret, not both/,
      );
    });

    it("refuses an authToken together with only an apiKeySid", () => {
      expectOnlyFailureAt(tokenInputs({ apiKeySid: apiKeySid() }), "authToken", /not both/);
    });

    it("refuses an authToken together with only an apiKeySecret", () => {
      expectOnlyFailureAt(tokenInputs({ apiKeySecret: secret() }), "authToken", /not both/);
    });

    it("requires one of them", () => {
      expectOnlyFailureAt(
        { name: "n", accountSid: accountSid() },
        "authToken",
        /required: give authToken, or apiKeySid with apiKeySecret/,
      );
    });

    it("requires apiKeySid with apiKeySecret", () => {
      expectOnlyFailureAt(
        { name: "n", accountSid: accountSid(), apiKeySecret: secret() },
        "apiKeySid",
        /required with apiKeySecret/,
      );
    });

    it("requires apiKeySecret with apiKeySid", () => {
      expectOnlyFailureAt(
        { name: "n", accountSid: accountSid(), apiKeySid: apiKeySid() },
        "apiKeySecret",
        /required with apiKeySid/,
      );
    });

    it("rejects an empty authToken and an empty apiKeySecret", () => {
      expectOnlyFailureAt(tokenInputs({ authToken: "" }), "authToken", /must not be empty/);
      expectOnlyFailureAt(keyInputs({ apiKeySecret: "" }), "apiKeySecret", /must not be empty/);
    });

    it("rejects a non-string authToken", () => {
      expectOnlyFailureAt(tokenInputs({ authToken: 12345 }), "authToken", /must be a string/);
    });

    it.each([
      ["wrong prefix", () => `SX${hex(16)}`],
      ["short", () => `SK${hex(15)}`],
      ["account SID", () => `AC${hex(16)}`],
    ])("rejects an apiKeySid with %s", (_label, make) => {
      expectOnlyFailureAt(
        keyInputs({ apiKeySid: make() }),
        "apiKeySid",
        /API key SID: SK followed by 32 hex/,
      );
    });

    it("reports the exclusivity rule together with an unrelated bad field (every problem at once)", () => {
      const r = parse(tokenInputs({ accountSid: "AC-nope", apiKeySid: apiKeySid(), apiKeySecret: secret() }));
      expect(Object.keys(byProperty(r.failures)).sort()).toEqual(["accountSid", "authToken"]);
    });
  });

  describe("messagingServiceSid", () => {
    it("accepts MG + 32 hex", () => {
      const sid = serviceSid();
      expect(expectValid(tokenInputs({ messagingServiceSid: sid })).messagingServiceSid).toBe(sid);
    });

    it.each([
      ["wrong prefix", () => `MS${hex(16)}`],
      ["too short", () => `MG${hex(15)}`],
      ["non-hex", () => `MG${"z".repeat(32)}`],
    ])("rejects %s", (_label, make) => {
      expectOnlyFailureAt(
        tokenInputs({ messagingServiceSid: make() }),
        "messagingServiceSid",
        /Messaging Service SID: MG followed by 32 hex/,
      );
    });
  });

  describe("inboundNumber (E.164)", () => {
    it.each(["+14155550100", "+447700900123", "+12", "+123456789012345"])("accepts %s", (n) => {
      expect(expectValid(tokenInputs({ inboundNumber: n })).inboundNumber).toBe(n);
    });

    it.each([
      "14155550100",
      "+04155550100",
      "+1",
      "+1234567890123456",
      "+1 415 555 0100",
      "+1-415-555-0100",
      "",
      "+1415555010a",
    ])("rejects %p", (n) => {
      expectOnlyFailureAt(tokenInputs({ inboundNumber: n }), "inboundNumber", /E\.164/);
    });
  });

  describe("verifyConnection", () => {
    it("accepts { to, message }", () => {
      const vc = { to: "+14155550100", message: "m".repeat(1600) };
      expect(expectValid(tokenInputs({ verifyConnection: vc })).verifyConnection).toEqual(vc);
    });

    it("names verifyConnection.to for a bad number", () => {
      expectOnlyFailureAt(
        tokenInputs({ verifyConnection: { to: "0044123", message: "hi" } }),
        "verifyConnection.to",
        /E\.164/,
      );
    });

    it("names verifyConnection.message for an empty, too long or non-string message", () => {
      expectOnlyFailureAt(
        tokenInputs({ verifyConnection: { to: "+14155550100", message: "" } }),
        "verifyConnection.message",
        /empty/,
      );
      expectOnlyFailureAt(
        tokenInputs({ verifyConnection: { to: "+14155550100", message: "m".repeat(1601) } }),
        "verifyConnection.message",
        /at most 1600/,
      );
      expectOnlyFailureAt(
        tokenInputs({ verifyConnection: { to: "+14155550100", message: 7 } }),
        "verifyConnection.message",
        /string/,
      );
    });

    it("requires both fields", () => {
      const r = parse(tokenInputs({ verifyConnection: {} }));
      expect(Object.keys(byProperty(r.failures)).sort()).toEqual([
        "verifyConnection.message",
        "verifyConnection.to",
      ]);
    });

    it("reports extra keys by name, at verifyConnection", () => {
      const r = parse(
        tokenInputs({ verifyConnection: { to: "+14155550100", message: "hi", body: "x", from: "+1555" } }),
      );
      expect(r.failures).toEqual([
        { property: "verifyConnection", reason: 'unknown input(s) "body", "from"' },
      ]);
    });

    it("reports every problem inside it at once", () => {
      const r = parse(tokenInputs({ verifyConnection: { to: "+0", message: "", extra: true } }));
      expect(byProperty(r.failures)).toEqual({
        "verifyConnection.to": [expect.stringMatching(/E\.164/)],
        "verifyConnection.message": [expect.stringMatching(/empty/)],
        verifyConnection: ['unknown input(s) "extra"'],
      });
    });

    it("rejects a non-object", () => {
      const r = parse(tokenInputs({ verifyConnection: "+14155550100" }));
      expect(r.failures.map((f) => f.property)).toEqual(["verifyConnection"]);
    });
  });

  describe("validation", () => {
    it.each(["strict", "warn", "off"])("accepts %s", (mode) => {
      expect(expectValid(tokenInputs({ validation: mode })).validation).toBe(mode);
    });

    it.each(["STRICT", "none", "", "true"])("rejects %p", (mode) => {
      expectOnlyFailureAt(tokenInputs({ validation: mode }), "validation", /"strict", "warn" or "off"/);
    });

    it("is optional (the stack setting applies)", () => {
      expect(expectValid(tokenInputs()).validation).toBeUndefined();
    });
  });

  describe("sandbox", () => {
    it("defaults to prod", () => {
      expect(expectValid(tokenInputs()).sandbox).toBe("prod");
    });

    it.each(["dev", "a", "0", "team-a-42", `a${"b".repeat(62)}`])("accepts %p", (sb) => {
      expect(expectValid(tokenInputs({ sandbox: sb })).sandbox).toBe(sb);
    });

    it.each(["Prod", "-dev", "dev_1", "dev.1", "", `a${"b".repeat(63)}`, "dév"])("rejects %p", (sb) => {
      expectOnlyFailureAt(tokenInputs({ sandbox: sb }), "sandbox", /lowercase letters, digits or hyphens/);
    });
  });

  describe("name", () => {
    it("accepts 1 to 200 characters", () => {
      expectValid(tokenInputs({ name: "x" }));
      expectValid(tokenInputs({ name: "n".repeat(200) }));
    });

    it("rejects an empty or too long name, or none", () => {
      expectOnlyFailureAt(tokenInputs({ name: "" }), "name", /must not be empty/);
      expectOnlyFailureAt(tokenInputs({ name: "n".repeat(201) }), "name", /at most 200/);
      const raw = tokenInputs();
      delete raw["name"];
      expectOnlyFailureAt(raw, "name", /string/);
    });
  });

  describe("unrecognized inputs", () => {
    it("are reported by name, once, at the top level", () => {
      const r = parse(tokenInputs({ authtoken: "typo", region: "us1" }));
      expect(r.failures).toEqual([
        { property: "(inputs)", reason: 'unknown input(s) "authtoken", "region"' },
      ]);
      expect(r.value).toBeUndefined();
    });

    it("are reported alongside field problems", () => {
      const r = parse(tokenInputs({ accountSid: "nope", colour: "blue" }));
      expect(byProperty(r.failures)).toEqual({
        accountSid: [expect.stringMatching(/Account SID/)],
        "(inputs)": ['unknown input(s) "colour"'],
      });
    });
  });

  describe("unknown values (preview)", () => {
    it("the marker is the engine's unknown sentinel", () => {
      expect(UNKNOWN).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    });

    it.each([
      "accountSid",
      "authToken",
      "messagingServiceSid",
      "inboundNumber",
      "validation",
      "sandbox",
      "name",
      "verifyConnection",
    ] as const)("an unknown %s is not reported, and hasUnknowns says so", (field) => {
      const r = parse(tokenInputs({ [field]: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
      expect(r.value).toBeDefined();
      expect((r.value as Record<string, unknown>)[field]).toBe(UNKNOWN);
    });

    it("an unknown nested field is skipped while its sibling is still checked", () => {
      const r = parse(tokenInputs({ verifyConnection: { to: UNKNOWN, message: "" } }));
      expect(r.failures).toEqual([{ property: "verifyConnection.message", reason: "must not be empty" }]);
      expect(r.hasUnknowns).toBe(true);
    });

    it("a whole unknown nested object is skipped", () => {
      const r = parse(keyInputs({ verifyConnection: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
    });

    it("other fields are still checked when one is unknown", () => {
      const r = parse(tokenInputs({ accountSid: UNKNOWN, inboundNumber: "555-0100", sandbox: "BAD" }));
      expect(Object.keys(byProperty(r.failures)).sort()).toEqual(["inboundNumber", "sandbox"]);
      expect(r.hasUnknowns).toBe(true);
    });

    it("cross-field rules are not decided while a secret is unknown", () => {
      // Both given, but the token may still resolve to undefined: not reported in preview.
      expect(
        parse(tokenInputs({ authToken: UNKNOWN, apiKeySid: apiKeySid(), apiKeySecret: secret() })).failures,
      ).toEqual([]);
      // A key SID with a secret still unknown.
      expect(
        parse({ name: "n", accountSid: accountSid(), apiKeySid: apiKeySid(), apiKeySecret: UNKNOWN })
          .failures,
      ).toEqual([]);
      // A token plus an unknown key secret.
      expect(parse(tokenInputs({ apiKeySecret: UNKNOWN })).failures).toEqual([]);
      // Only an unknown key SID: whether a secret is missing cannot be known yet.
      expect(parse({ name: "n", accountSid: accountSid(), apiKeySid: UNKNOWN }).failures).toEqual([]);
    });

    it("the same cross-field rules are reported once the values are known", () => {
      expect(
        parse(tokenInputs({ apiKeySid: apiKeySid(), apiKeySecret: secret() })).failures.map(
          (f) => f.property,
        ),
      ).toEqual(["authToken"]);
      expect(
        parse({ name: "n", accountSid: accountSid(), apiKeySid: apiKeySid() }).failures.map(
          (f) => f.property,
        ),
      ).toEqual(["apiKeySecret"]);
    });

    it("an unknown field does not hide an unrecognized input", () => {
      const r = parse(tokenInputs({ accountSid: UNKNOWN, extraThing: 1 }));
      expect(r.failures).toEqual([{ property: "(inputs)", reason: 'unknown input(s) "extraThing"' }]);
    });

    it("an unknown __provider does not count as an unknown input", () => {
      const r = parse(tokenInputs({ __provider: UNKNOWN }));
      expect(r.hasUnknowns).toBe(false);
      expect(r.failures).toEqual([]);
    });

    // `Parsed.value` documents "defaults applied; unknown values left in place", but when an issue
    // about an unknown value is dropped the raw inputs come back without defaults (no sandbox).
    it("keeps defaults (sandbox prod) in the value when an unknown input made zod fail", () => {
      const r = parse(tokenInputs({ accountSid: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.value?.sandbox).toBe("prod");
    });
  });

  describe("helpers", () => {
    it("formatPath joins keys with dots and indexes with brackets", () => {
      expect(formatPath(["verifyConnection", "to"])).toBe("verifyConnection.to");
      expect(formatPath(["keywords", "custom", 2, "reply"])).toBe("keywords.custom[2].reply");
      expect(formatPath([])).toBe("");
    });

    it("containsUnknown finds the marker at any depth, and only the exact marker", () => {
      expect(containsUnknown({ a: [1, { b: UNKNOWN }] })).toBe(true);
      expect(containsUnknown({ a: [1, { b: `${UNKNOWN} ` }] })).toBe(false);
      expect(containsUnknown(null)).toBe(false);
    });
  });
});

describe("resolveSettings", () => {
  const project = path.join(path.sep, "srv", "projects", "demo");

  function config(values: Record<string, string>): ConfigSource {
    return { get: (key) => values[key] };
  }

  function configError(fn: () => unknown): ConfigError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return e as ConfigError;
    }
    throw new Error("expected a ConfigError");
  }

  it("has the contract's defaults", () => {
    const s = resolveSettings(undefined, {}, project);
    expect(s).toEqual({
      storePath: path.join(project, ".smschannels", "store.db"),
      validation: "strict",
      twilioTimeoutMs: 10_000,
      allowPrivateVendorHosts: false,
    });
    expect(s).not.toHaveProperty("storeUrl");
    expect(s).not.toHaveProperty("storeKey");
  });

  it("reads every setting from the environment", () => {
    const key = randomBytes(32).toString("base64");
    const token = hex(16);
    const s = resolveSettings(
      undefined,
      {
        SMSCHANNELS_STORE_URL: "https://store.example.com/",
        SMSCHANNELS_STORE_TOKEN: token,
        SMSCHANNELS_STORE_PATH: "state/creds.db",
        SMSCHANNELS_STORE_KEY: key,
        SMSCHANNELS_VALIDATION: "warn",
        SMSCHANNELS_TWILIO_API_URL: "http://127.0.0.1:4010/twilio/",
        SMSCHANNELS_WEBHOOK_BASE_URL: "https://hooks.example.com",
        SMSCHANNELS_TWILIO_TIMEOUT_MS: "2500",
        SMSCHANNELS_ALLOW_PRIVATE_VENDOR_HOSTS: "true",
      },
      project,
    );
    expect(s).toEqual({
      storeUrl: "https://store.example.com",
      storeToken: token,
      storePath: path.join(project, "state", "creds.db"),
      storeKey: key,
      validation: "warn",
      twilioApiUrl: "http://127.0.0.1:4010/twilio",
      webhookBaseUrl: "https://hooks.example.com",
      twilioTimeoutMs: 2500,
      allowPrivateVendorHosts: true,
    });
  });

  it("stack config wins over the environment, key by key", () => {
    const envKey = randomBytes(32).toString("base64");
    const cfgKey = randomBytes(32).toString("base64");
    const s = resolveSettings(
      config({
        "smschannels:storePath": "/var/lib/cfg.db",
        "smschannels:storeKey": cfgKey,
        "smschannels:validation": "off",
        "smschannels:twilioApiUrl": "http://127.0.0.1:9/cfg",
        "smschannels:twilioTimeoutMs": "300",
      }),
      {
        SMSCHANNELS_STORE_PATH: "/var/lib/env.db",
        SMSCHANNELS_STORE_KEY: envKey,
        SMSCHANNELS_VALIDATION: "warn",
        SMSCHANNELS_TWILIO_API_URL: "http://127.0.0.1:9/env",
        SMSCHANNELS_TWILIO_TIMEOUT_MS: "900",
        SMSCHANNELS_STORE_URL: "https://env-store.example.com",
      },
      project,
    );
    expect(s.storePath).toBe(path.resolve("/var/lib/cfg.db"));
    expect(s.storeKey).toBe(cfgKey);
    expect(s.validation).toBe("off");
    expect(s.twilioApiUrl).toBe("http://127.0.0.1:9/cfg");
    expect(s.twilioTimeoutMs).toBe(300);
    // Not in stack config: the environment's value is used.
    expect(s.storeUrl).toBe("https://env-store.example.com");
    // The private store service is no webhook base URL (issue 8): webhooks need the receiver's.
    expect(s).not.toHaveProperty("webhookBaseUrl");
  });

  it("an empty stack config value falls back to the environment, and an empty env value to the default", () => {
    const s = resolveSettings(
      config({ "smschannels:validation": "" }),
      { SMSCHANNELS_VALIDATION: "warn", SMSCHANNELS_STORE_PATH: "" },
      project,
    );
    expect(s.validation).toBe("warn");
    expect(s.storePath).toBe(path.join(project, ".smschannels", "store.db"));
  });

  it("webhookBaseUrl has no default: the store service is private, never the receiver (issue 8)", () => {
    expect(
      resolveSettings(config({ "smschannels:storeUrl": "https://store.example.com/" }), {}, project),
    ).not.toHaveProperty("webhookBaseUrl");
  });

  it("resolves a relative storePath against the project folder and keeps an absolute one", () => {
    expect(
      resolveSettings(config({ "smschannels:storePath": "../shared/s.db" }), {}, project).storePath,
    ).toBe(path.join(path.sep, "srv", "projects", "shared", "s.db"));
    expect(resolveSettings(config({ "smschannels:storePath": "/tmp/x/s.db" }), {}, project).storePath).toBe(
      path.resolve("/tmp/x/s.db"),
    );
  });

  it.each(["STRICT", "on", "yes"])("refuses validation %p, naming the config key and env var", (bad) => {
    const e = configError(() => resolveSettings(config({ "smschannels:validation": bad }), {}, project));
    expect(e.key).toBe("validation");
    expect(e.message).toContain("smschannels:validation");
    expect(e.message).toContain("SMSCHANNELS_VALIDATION");
    expect(e.message).toContain(JSON.stringify(bad));
  });

  it.each(["abc", "99", "120001", "1500.5", "-1"])("refuses twilioTimeoutMs %p", (bad) => {
    const e = configError(() => resolveSettings(undefined, { SMSCHANNELS_TWILIO_TIMEOUT_MS: bad }, project));
    expect(e.key).toBe("twilioTimeoutMs");
    expect(e.message).toContain("smschannels:twilioTimeoutMs");
    expect(e.message).toContain("SMSCHANNELS_TWILIO_TIMEOUT_MS");
  });

  it("accepts the timeout bounds", () => {
    expect(
      resolveSettings(undefined, { SMSCHANNELS_TWILIO_TIMEOUT_MS: "100" }, project).twilioTimeoutMs,
    ).toBe(100);
    expect(
      resolveSettings(undefined, { SMSCHANNELS_TWILIO_TIMEOUT_MS: "120000" }, project).twilioTimeoutMs,
    ).toBe(120_000);
  });

  it.each([
    ["storeUrl", "SMSCHANNELS_STORE_URL"],
    ["twilioApiUrl", "SMSCHANNELS_TWILIO_API_URL"],
    ["webhookBaseUrl", "SMSCHANNELS_WEBHOOK_BASE_URL"],
  ] as const)("refuses a bad %s URL, naming the config key and %s", (key, envVar) => {
    for (const bad of ["not a url", "ftp://files.example.com", "file:///etc/passwd"]) {
      const e = configError(() => resolveSettings(config({ [`smschannels:${key}`]: bad }), {}, project));
      expect(e.key).toBe(key);
      expect(e.message).toContain(`smschannels:${key}`);
      expect(e.message).toContain(envVar);
    }
    // From the environment too.
    const e = configError(() => resolveSettings(undefined, { [envVar]: "mailto:x@example.com" }, project));
    expect(e.key).toBe(key);
  });

  it("refuses a store URL that would send the token in clear text; http:// to loopback is fine", () => {
    for (const bad of ["http://10.1.2.3:8787", "http://store.example.com", "http://[fd00::1]/"]) {
      const e = configError(() => resolveSettings(config({ "smschannels:storeUrl": bad }), {}, project));
      expect(e.key).toBe("storeUrl");
      expect(e.message).toMatch(
        /^smschannels:storeUrl \(or SMSCHANNELS_STORE_URL\): http:\/\/ to .* clear text: use https:\/\//,
      );
    }
    for (const fine of [
      "http://127.0.0.1:8787",
      "http://localhost:8787/",
      "http://[::1]:8787",
      "https://10.1.2.3",
    ]) {
      expect(resolveSettings(config({ "smschannels:storeUrl": fine }), {}, project).storeUrl).toBe(
        fine.replace(/\/+$/, ""),
      );
    }
  });

  it("refuses a URL carrying credentials without echoing them", () => {
    const password = hex(12);
    const e = configError(() =>
      resolveSettings(
        config({ "smschannels:storeUrl": `https://admin:${password}@store.example.com` }),
        {},
        project,
      ),
    );
    expect(e.key).toBe("storeUrl");
    expect(e.message).toMatch(/must not carry credentials/);
    expect(e.message).not.toContain(password);
  });
});
