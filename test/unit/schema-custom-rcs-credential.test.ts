/**
 * The CustomRcsCredential input schema through `parseInputs` (what `check` runs): the provider's
 * URL, every `auth` variant, headers, the payload template and the unknown values of preview.
 */
import { randomBytes } from "node:crypto";
import { parseInputs, UNKNOWN } from "../../provider/schema/check";
import { byProperty, schemaExpectations } from "../support/schema";
import { customRcsCredentialInputs } from "../../provider/schema/customRcsCredential";

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");
const secret = (): string => hex(16);
const serviceSid = (): string => `MG${hex(16)}`;

/** A PEM-shaped block of random bytes (not a real key); the armour is built so no scanner sees one. */
function pem(label: string): string {
  const dashes = "-".repeat(5);
  const body = randomBytes(96)
    .toString("base64")
    .match(/.{1,64}/g)!
    .join("\n");
  return `${dashes}BEGIN ${label}${dashes}\n${body}\n${dashes}END ${label}${dashes}\n`;
}

const TEMPLATE = '{"to":"{{toNumber}}","from":"{{fromNumber}}","content":{"text":"{{message}}"}}';

const AUTH_REASON = /must be an object whose `type` is "basic", "bearer", "apiKey", "oauth2" or "none"/;

function parse(raw: Record<string, unknown>) {
  // The CustomRcsCredential handler passes no cross-field guard.
  return parseInputs(customRcsCredentialInputs, raw);
}

const { expectOnlyFailureAt, expectValid } = schemaExpectations(parse);

function inputs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "vendor",
    providerName: "Acme RCS",
    providerUrl: "https://rcs.example.com/v1/messages",
    auth: { type: "bearer", token: secret() },
    payloadTemplate: TEMPLATE,
    ...extra,
  };
}

describe("parseInputs(customRcsCredentialInputs)", () => {
  describe("a complete valid input", () => {
    it("parses, applies sandbox prod and keeps every value", () => {
      const raw = inputs({
        providerAppId: "app-42",
        headers: { "X-Tenant": "acme", "X-Trace": secret() },
        messagingServiceSid: serviceSid(),
        verifyConnection: { to: "+14155550100", message: "hello", from: "rcs:acme_agent" },
        validation: "warn",
      });
      const r = parse(raw);
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(false);
      expect(r.value).toEqual({ ...raw, sandbox: "prod" });
    });

    it("needs only name, providerName, providerUrl, auth and payloadTemplate", () => {
      const v = expectValid(inputs());
      expect(v.providerAppId).toBeUndefined();
      expect(v.headers).toBeUndefined();
      expect(v.verifyConnection).toBeUndefined();
    });

    it.each(["providerName", "providerUrl", "auth", "payloadTemplate"])("requires %s", (field) => {
      const raw = inputs();
      delete raw[field];
      const r = parse(raw);
      expect(r.failures.map((f) => f.property)).toEqual([field]);
    });

    it("refuses an unrecognized input by name", () => {
      const r = parse(inputs({ providerURL: "https://x.example.com" }));
      expect(r.failures).toEqual([{ property: "(inputs)", reason: 'unknown input(s) "providerURL"' }]);
    });
  });

  describe("providerName and providerAppId", () => {
    it("accept 1 to 100 characters", () => {
      expect(expectValid(inputs({ providerName: "x" })).providerName).toBe("x");
      expect(expectValid(inputs({ providerName: "n".repeat(100) })).providerName).toHaveLength(100);
    });

    it("refuse an empty, too long or non-string providerName", () => {
      expectOnlyFailureAt(inputs({ providerName: "" }), "providerName", "must not be empty");
      expectOnlyFailureAt(
        inputs({ providerName: "n".repeat(101) }),
        "providerName",
        "must be at most 100 characters",
      );
      expectOnlyFailureAt(inputs({ providerName: 7 }), "providerName", "must be a string");
    });

    it("refuse an empty or non-string providerAppId", () => {
      expectOnlyFailureAt(inputs({ providerAppId: "" }), "providerAppId", "must not be empty");
      expectOnlyFailureAt(inputs({ providerAppId: 42 }), "providerAppId", "must be a string");
    });
  });

  describe("providerUrl", () => {
    it.each([
      "https://rcs.example.com/v1/messages",
      "https://rcs.example.com:8443/send?x=1",
      "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json",
      "http://127.0.0.1:4010/messages",
      "http://127.255.3.9/messages",
      "http://localhost:8080/rcs",
      "http://LOCALHOST/rcs",
      "http://[::1]:3000/rcs",
    ])("accepts %s", (url) => {
      expect(expectValid(inputs({ providerUrl: url })).providerUrl).toBe(url);
    });

    it.each([
      "http://rcs.example.com/v1/messages",
      "http://10.0.0.5/rcs",
      "http://0.0.0.0:8080/rcs",
      "http://127.0.0.1.example.com/rcs",
      "http://localhost.example.com/rcs",
      "http://[::2]/rcs",
    ])("refuses plain http to a non-loopback host: %s", (url) => {
      expectOnlyFailureAt(
        inputs({ providerUrl: url }),
        "providerUrl",
        "must use https (http is allowed only for loopback hosts such as 127.0.0.1)",
      );
    });

    it.each([
      "ftp://rcs.example.com/x",
      "ws://rcs.example.com/x",
      "file:///etc/hosts",
      "mailto:a@example.com",
    ])("refuses another scheme: %s", (url) => {
      expectOnlyFailureAt(inputs({ providerUrl: url }), "providerUrl", "must be an https URL");
    });

    it.each([
      ["a user and password", (pw: string) => `https://admin:${pw}@rcs.example.com/v1`],
      ["a user only", () => "https://admin@rcs.example.com/v1"],
      ["a password on a loopback http URL", (pw: string) => `http://u:${pw}@127.0.0.1:4010/v1`],
    ])("refuses credentials in the URL (%s), without echoing them", (_label, make) => {
      const pw = secret();
      const r = parse(inputs({ providerUrl: make(pw) }));
      expect(r.failures).toEqual([
        { property: "providerUrl", reason: "must not carry credentials in the URL; use `auth`" },
      ]);
      expect(JSON.stringify(r.failures)).not.toContain(pw);
    });

    it.each(["rcs.example.com/v1", "/v1/messages", "", "https://exa mple.com/"])(
      "refuses %p: not an absolute URL",
      (url) => {
        expectOnlyFailureAt(inputs({ providerUrl: url }), "providerUrl", /must be an absolute URL/);
      },
    );

    it("refuses a non-string", () => {
      expectOnlyFailureAt(inputs({ providerUrl: 443 }), "providerUrl", "must be a string");
    });
  });

  describe("auth", () => {
    describe("valid variants", () => {
      it.each([
        ["basic", () => ({ type: "basic", username: `AC${hex(16)}`, password: secret() })],
        ["bearer", () => ({ type: "bearer", token: secret() })],
        ["apiKey", () => ({ type: "apiKey", name: "X-Api-Key", token: secret() })],
        [
          "oauth2",
          () => ({
            type: "oauth2",
            tokenUrl: "https://auth.example.com/oauth/token",
            body: `grant_type=client_credentials&client_id=c&client_secret=${secret()}`,
          }),
        ],
        [
          "oauth2 with a loopback http tokenUrl",
          () => ({ type: "oauth2", tokenUrl: "http://127.0.0.1:9/t", body: "b" }),
        ],
        ["none", () => ({ type: "none" })],
        [
          "none with mtls",
          () => ({ type: "none", mtls: { cert: pem("CERTIFICATE"), key: pem("EC PRIVATE KEY") } }),
        ],
      ])("%s", (_label, make) => {
        const auth = make();
        expect(expectValid(inputs({ auth })).auth).toEqual(auth);
      });

      it.each(["X-Api-Key", "apikey", "Authorization", "x_api.key~1", "X!#$%&'*+^`|"])(
        "apiKey accepts the header name %p",
        (name) => {
          expectValid(inputs({ auth: { type: "apiKey", name, token: secret() } }));
        },
      );
    });

    describe("the type", () => {
      it.each([["digest"], ["Basic"], ["mtls"], [""], [7]])("refuses type %p at auth.type", (type) => {
        expectOnlyFailureAt(inputs({ auth: { type, token: secret() } }), "auth.type", AUTH_REASON);
      });

      it("refuses a missing type at auth.type", () => {
        expectOnlyFailureAt(inputs({ auth: { token: secret() } }), "auth.type", AUTH_REASON);
      });

      it.each([[null], ["bearer"], [[{ type: "bearer", token: "t" }]]])(
        "refuses a non-object (%p) at auth",
        (auth) => {
          expectOnlyFailureAt(inputs({ auth }), "auth", AUTH_REASON);
        },
      );
    });

    describe("missing and empty fields", () => {
      it("basic needs username and password", () => {
        const r = parse(inputs({ auth: { type: "basic" } }));
        expect(Object.keys(byProperty(r.failures)).sort()).toEqual(["auth.password", "auth.username"]);
        expect(byProperty(r.failures)["auth.password"]).toEqual(["must be a string"]);
        expect(byProperty(r.failures)["auth.username"]![0]).toMatch(/string/);
      });

      it("basic refuses an empty username and an empty password", () => {
        const r = parse(inputs({ auth: { type: "basic", username: "", password: "" } }));
        expect(byProperty(r.failures)).toEqual({
          "auth.username": ["must not be empty"],
          "auth.password": ["must not be empty"],
        });
      });

      it("bearer needs a non-empty token", () => {
        expectOnlyFailureAt(inputs({ auth: { type: "bearer" } }), "auth.token", "must be a string");
        expectOnlyFailureAt(
          inputs({ auth: { type: "bearer", token: "" } }),
          "auth.token",
          "must not be empty",
        );
      });

      it("apiKey needs a name and a non-empty token", () => {
        expectOnlyFailureAt(inputs({ auth: { type: "apiKey", token: secret() } }), "auth.name", /string/);
        expectOnlyFailureAt(
          inputs({ auth: { type: "apiKey", name: "X-Key", token: "" } }),
          "auth.token",
          "must not be empty",
        );
      });

      it("oauth2 needs tokenUrl and body", () => {
        const r = parse(inputs({ auth: { type: "oauth2" } }));
        expect(byProperty(r.failures)).toEqual({
          "auth.tokenUrl": ["must be a string"],
          "auth.body": ["must be a string"],
        });
        expectOnlyFailureAt(
          inputs({ auth: { type: "oauth2", tokenUrl: "https://auth.example.com/t", body: "" } }),
          "auth.body",
          "must not be empty",
        );
      });

      it("mtls needs cert and key", () => {
        const r = parse(inputs({ auth: { type: "none", mtls: {} } }));
        expect(byProperty(r.failures)).toEqual({
          "auth.mtls.cert": ["must be a string"],
          "auth.mtls.key": ["must be a string"],
        });
      });
    });

    describe("extra keys", () => {
      it.each([
        ["bearer with a username", { type: "bearer", token: "t", username: "u" }, '"username"'],
        ["none with a token", { type: "none", token: "t" }, '"token"'],
        ["apiKey with a header", { type: "apiKey", name: "X-K", token: "t", header: "X-K" }, '"header"'],
        [
          "oauth2 with clientSecret",
          { type: "oauth2", tokenUrl: "https://a.example.com/t", body: "b", clientSecret: "s" },
          '"clientSecret"',
        ],
      ])("refuses %s, naming the key at auth", (_label, auth, key) => {
        expectOnlyFailureAt(inputs({ auth }), "auth", `unknown input(s) ${key}`);
      });

      it("refuses basic with a token: the extra key and the missing password, both", () => {
        const r = parse(inputs({ auth: { type: "basic", username: "u", token: "t" } }));
        expect(byProperty(r.failures)).toEqual({
          auth: ['unknown input(s) "token"'],
          "auth.password": ["must be a string"],
        });
      });

      it("refuses an extra key inside mtls, at auth.mtls", () => {
        expectOnlyFailureAt(
          inputs({
            auth: { type: "none", mtls: { cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY"), ca: "x" } },
          }),
          "auth.mtls",
          'unknown input(s) "ca"',
        );
      });
    });

    describe("apiKey header name", () => {
      it.each(["X Api Key", "X-Api-Key:", "", "X-Kéy", "X(Key)", "X/Key", "X\nKey", 'X"K'])(
        "refuses %p",
        (name) => {
          expectOnlyFailureAt(
            inputs({ auth: { type: "apiKey", name, token: secret() } }),
            "auth.name",
            "must be an HTTP header name, e.g. X-Api-Key",
          );
        },
      );
    });

    describe("oauth2 tokenUrl (the providerUrl rules)", () => {
      const oauth = (tokenUrl: unknown) => ({
        type: "oauth2",
        tokenUrl,
        body: "grant_type=client_credentials",
      });

      it.each(["https://auth.example.com/token", "http://localhost:9000/token", "http://[::1]/token"])(
        "accepts %s",
        (url) => {
          expectValid(inputs({ auth: oauth(url) }));
        },
      );

      it.each([
        ["http://auth.example.com/token", /must use https/],
        ["ftp://auth.example.com/token", /must be an https URL/],
        ["auth.example.com/token", /must be an absolute URL/],
        ["https://client:pw@auth.example.com/token", /must not carry credentials/],
        [12, /must be a string/],
      ])("refuses %p at auth.tokenUrl", (url, reason) => {
        expectOnlyFailureAt(inputs({ auth: oauth(url) }), "auth.tokenUrl", reason);
      });
    });

    describe("mtls PEM checks", () => {
      it("accepts PEM blocks with any label", () => {
        expectValid(
          inputs({ auth: { type: "none", mtls: { cert: pem("CERTIFICATE"), key: pem("RSA PRIVATE KEY") } } }),
        );
      });

      it.each([
        ["not PEM at all", () => randomBytes(48).toString("base64")],
        ["a BEGIN line without END", () => pem("CERTIFICATE").split("\n").slice(0, -2).join("\n")],
        [
          "an empty body",
          () => `${"-".repeat(5)}BEGIN CERTIFICATE${"-".repeat(10)}END CERTIFICATE${"-".repeat(5)}`,
        ],
        ["a lowercase label", () => pem("certificate")],
        ["an empty string", () => ""],
      ])("refuses a cert that is %s", (_label, make) => {
        expectOnlyFailureAt(
          inputs({ auth: { type: "none", mtls: { cert: make(), key: pem("PRIVATE KEY") } } }),
          "auth.mtls.cert",
          "must be a PEM-encoded certificate",
        );
      });

      it("refuses a key that is not PEM, naming it a private key", () => {
        expectOnlyFailureAt(
          inputs({ auth: { type: "none", mtls: { cert: pem("CERTIFICATE"), key: secret() } } }),
          "auth.mtls.key",
          "must be a PEM-encoded private key",
        );
      });

      it("reports a bad cert and a bad key together", () => {
        const r = parse(inputs({ auth: { type: "none", mtls: { cert: "c", key: "k" } } }));
        expect(byProperty(r.failures)).toEqual({
          "auth.mtls.cert": ["must be a PEM-encoded certificate"],
          "auth.mtls.key": ["must be a PEM-encoded private key"],
        });
      });

      it("does not echo the key in the reason", () => {
        const key = secret();
        const r = parse(inputs({ auth: { type: "none", mtls: { cert: pem("CERTIFICATE"), key } } }));
        expect(JSON.stringify(r.failures)).not.toContain(key);
      });
    });
  });

  describe("headers", () => {
    it("accepts valid names with string values", () => {
      const headers = { "X-Tenant": "acme", "x-request-source": "pulumi", Accept: "application/json" };
      expect(expectValid(inputs({ headers })).headers).toEqual(headers);
    });

    it("accepts an empty object", () => {
      expect(expectValid(inputs({ headers: {} })).headers).toEqual({});
    });

    it.each(["X Tenant", "X-Tenant:", "X(1)", "Tenant/Id", "X-Tén", "X@Y"])(
      "refuses the invalid name %p at headers.<name>",
      (name) => {
        expectOnlyFailureAt(
          inputs({ headers: { [name]: "v" } }),
          `headers.${name}`,
          "is not a valid HTTP header name",
        );
      },
    );

    it.each([
      "Content-Type",
      "content-type",
      "CONTENT-TYPE",
      "Content-Length",
      "Host",
      "Transfer-Encoding",
      "Connection",
    ])("refuses %s, which the provider sets, at headers.<name>", (name) => {
      const r = parse(inputs({ headers: { "X-Ok": "1", [name]: "text/plain" } }));
      expect(r.failures).toEqual([
        {
          property: `headers.${name}`,
          reason: "is set by the provider (Content-Type is always application/json); remove it",
        },
      ]);
    });

    it("reports every bad header at once, each at its own path", () => {
      const r = parse(inputs({ headers: { "Content-Type": "a", "Bad Name": "b", Host: "c", "X-Ok": "d" } }));
      expect(byProperty(r.failures)).toEqual({
        "headers.Content-Type": [expect.stringMatching(/is set by the provider/)],
        "headers.Bad Name": ["is not a valid HTTP header name"],
        "headers.Host": [expect.stringMatching(/is set by the provider/)],
      });
    });

    it("refuses a non-string value at headers.<name>", () => {
      expectOnlyFailureAt(inputs({ headers: { "X-Count": 3 } }), "headers.X-Count", "must be a string");
    });

    it("refuses a non-object at headers", () => {
      const r = parse(inputs({ headers: "X-Tenant: acme" }));
      expect(r.failures.map((f) => f.property)).toEqual(["headers"]);
    });
  });

  describe("payloadTemplate", () => {
    it.each([
      ["values", TEMPLATE],
      ["placeholders mixed with text", '{"text":"Hi {{message}} from {{fromNumber}} to {{toNumber}}"}'],
      ["a placeholder in a key", '{"{{toNumber}}":{"f":"{{fromNumber}}","m":"{{message}}"},"n":1}'],
      ["placeholders in an array", '["{{toNumber}}","{{fromNumber}}","{{message}}",true,null]'],
      [
        "an escaped brace in the JSON text",
        '{"m":"\\u007b{message}}","t":"{{toNumber}}","f":"{{fromNumber}}"}',
      ],
    ])("accepts %s", (_label, t) => {
      expect(expectValid(inputs({ payloadTemplate: t })).payloadTemplate).toBe(t);
    });

    it.each([
      ["broken JSON", '{"to":"{{toNumber}}"'],
      ["not JSON at all", "to={{toNumber}}&from={{fromNumber}}&body={{message}}"],
      ["an empty string", ""],
      ["placeholders only outside strings", '{"to":{{toNumber}},"from":{{fromNumber}},"body":{{message}}}'],
      [
        "one placeholder outside a string",
        '{"to":"{{toNumber}}","from":"{{fromNumber}}","body":{{message}}}',
      ],
    ])("refuses %s: not JSON text", (_label, t) => {
      expectOnlyFailureAt(
        inputs({ payloadTemplate: t }),
        "payloadTemplate",
        /^must be JSON text with the placeholders inside strings, e\.g\. \{"to":"\{\{toNumber\}\}"/,
      );
    });

    it.each([
      ["{{fromNumber}}", '{"to":"{{toNumber}}","body":"{{message}}"}'],
      ["{{toNumber}}", '{"from":"{{fromNumber}}","body":"{{message}}"}'],
      ["{{message}}", '{"to":"{{toNumber}}","from":"{{fromNumber}}"}'],
    ])("refuses a template without %s, naming it", (missing, t) => {
      expectOnlyFailureAt(
        inputs({ payloadTemplate: t }),
        "payloadTemplate",
        `must reference ${missing} inside a JSON string`,
      );
    });

    it("names every missing placeholder, in order", () => {
      expectOnlyFailureAt(
        inputs({ payloadTemplate: '{"body":"static"}' }),
        "payloadTemplate",
        "must reference {{fromNumber}}, {{toNumber}}, {{message}} inside a JSON string",
      );
    });

    it("does not take a misspelt or differently cased placeholder", () => {
      expectOnlyFailureAt(
        inputs({ payloadTemplate: '{"to":"{{ToNumber}}","from":"{{fromNumber}}","body":"{{ message }}"}' }),
        "payloadTemplate",
        "must reference {{toNumber}}, {{message}} inside a JSON string",
      );
    });

    it("refuses a non-string (an object is not JSON text)", () => {
      expectOnlyFailureAt(
        inputs({ payloadTemplate: { to: "{{toNumber}}", from: "{{fromNumber}}", body: "{{message}}" } }),
        "payloadTemplate",
        "must be a string",
      );
    });
  });

  describe("messagingServiceSid", () => {
    it("accepts MG + 32 hex", () => {
      const sid = serviceSid();
      expect(expectValid(inputs({ messagingServiceSid: sid })).messagingServiceSid).toBe(sid);
    });

    it.each([`MG${hex(15)}`, `AC${hex(16)}`, "rcs:acme_agent", ""])("refuses %p", (sid) => {
      expectOnlyFailureAt(
        inputs({ messagingServiceSid: sid }),
        "messagingServiceSid",
        /Messaging Service SID: MG followed by 32 hex/,
      );
    });
  });

  describe("verifyConnection", () => {
    it("accepts { to, message } and { to, message, from }", () => {
      expect(
        expectValid(inputs({ verifyConnection: { to: "+447700900123", message: "hi" } })).verifyConnection,
      ).toEqual({
        to: "+447700900123",
        message: "hi",
      });
      const vc = { to: "+14155550100", message: "m".repeat(1600), from: "+14155550199" };
      expect(expectValid(inputs({ verifyConnection: vc })).verifyConnection).toEqual(vc);
    });

    it("refuses a bad to, an empty or too long message and an empty from, each at its path", () => {
      expectOnlyFailureAt(
        inputs({ verifyConnection: { to: "4155550100", message: "hi" } }),
        "verifyConnection.to",
        /E\.164/,
      );
      expectOnlyFailureAt(
        inputs({ verifyConnection: { to: "+14155550100", message: "" } }),
        "verifyConnection.message",
        "must not be empty",
      );
      expectOnlyFailureAt(
        inputs({ verifyConnection: { to: "+14155550100", message: "m".repeat(1601) } }),
        "verifyConnection.message",
        "must be at most 1600 characters",
      );
      expectOnlyFailureAt(
        inputs({ verifyConnection: { to: "+14155550100", message: "hi", from: "" } }),
        "verifyConnection.from",
        "must not be empty",
      );
      expectOnlyFailureAt(
        inputs({ verifyConnection: { to: "+14155550100", message: "hi", from: 5 } }),
        "verifyConnection.from",
        "must be a string",
      );
    });

    it("requires to and message", () => {
      const r = parse(inputs({ verifyConnection: { from: "+14155550199" } }));
      expect(Object.keys(byProperty(r.failures)).sort()).toEqual([
        "verifyConnection.message",
        "verifyConnection.to",
      ]);
    });

    it("refuses extra keys by name, at verifyConnection", () => {
      const r = parse(
        inputs({ verifyConnection: { to: "+14155550100", message: "hi", body: "x", fromNumber: "+1" } }),
      );
      expect(r.failures).toEqual([
        { property: "verifyConnection", reason: 'unknown input(s) "body", "fromNumber"' },
      ]);
    });
  });

  describe("validation", () => {
    it.each(["strict", "warn", "off"])("accepts %s", (mode) => {
      expect(expectValid(inputs({ validation: mode })).validation).toBe(mode);
    });

    it.each(["Strict", "none", ""])("refuses %p", (mode) => {
      expectOnlyFailureAt(inputs({ validation: mode }), "validation", 'must be "strict", "warn" or "off"');
    });
  });

  describe("unknown values (preview)", () => {
    it.each([
      "providerName",
      "providerAppId",
      "providerUrl",
      "auth",
      "headers",
      "payloadTemplate",
      "messagingServiceSid",
      "verifyConnection",
      "validation",
      "sandbox",
    ])("an unknown %s is skipped, and hasUnknowns says so", (field) => {
      const r = parse(inputs({ [field]: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
      expect(r.value).toBeDefined();
      expect((r.value as Record<string, unknown>)[field]).toBe(UNKNOWN);
    });

    it("a whole unknown auth does not hide a bad providerUrl or template", () => {
      const r = parse(
        inputs({ auth: UNKNOWN, providerUrl: "http://rcs.example.com", payloadTemplate: "{}" }),
      );
      expect(byProperty(r.failures)).toEqual({
        providerUrl: [expect.stringMatching(/must use https/)],
        payloadTemplate: ["must reference {{fromNumber}}, {{toNumber}}, {{message}} inside a JSON string"],
      });
      expect(r.hasUnknowns).toBe(true);
    });

    it("an unknown payloadTemplate does not hide a bad auth", () => {
      const r = parse(inputs({ payloadTemplate: UNKNOWN, auth: { type: "bearer", token: "" } }));
      expect(r.failures).toEqual([{ property: "auth.token", reason: "must not be empty" }]);
    });

    it.each([
      ["auth.type", () => ({ type: UNKNOWN, token: secret() })],
      ["auth.username", () => ({ type: "basic", username: UNKNOWN, password: secret() })],
      ["auth.password", () => ({ type: "basic", username: "u", password: UNKNOWN })],
      ["auth.token", () => ({ type: "apiKey", name: "X-Key", token: UNKNOWN })],
      ["auth.name", () => ({ type: "apiKey", name: UNKNOWN, token: secret() })],
      ["auth.tokenUrl", () => ({ type: "oauth2", tokenUrl: UNKNOWN, body: "b" })],
      ["auth.body", () => ({ type: "oauth2", tokenUrl: "https://a.example.com/t", body: UNKNOWN })],
      ["auth.mtls", () => ({ type: "none", mtls: UNKNOWN })],
      ["auth.mtls.key", () => ({ type: "none", mtls: { cert: pem("CERTIFICATE"), key: UNKNOWN } })],
    ])("an unknown %s is skipped", (_path, make) => {
      const r = parse(inputs({ auth: make() }));
      expect(r.failures).toEqual([]);
      expect(r.hasUnknowns).toBe(true);
      expect(r.value).toBeDefined();
    });

    it("an unknown mtls key does not hide a bad cert beside it", () => {
      const r = parse(inputs({ auth: { type: "none", mtls: { cert: "not pem", key: UNKNOWN } } }));
      expect(r.failures).toEqual([
        { property: "auth.mtls.cert", reason: "must be a PEM-encoded certificate" },
      ]);
    });

    it("an unknown header value is skipped, but a forbidden header beside it is still reported", () => {
      expect(parse(inputs({ headers: { "X-Tenant": UNKNOWN } })).failures).toEqual([]);
      const r = parse(inputs({ headers: { "X-Tenant": UNKNOWN, "Content-Type": "text/plain" } }));
      expect(r.failures.map((f) => f.property)).toEqual(["headers.Content-Type"]);
    });

    it("an unknown verifyConnection.to is skipped while from is still checked", () => {
      const r = parse(inputs({ verifyConnection: { to: UNKNOWN, message: "hi", from: "" } }));
      expect(r.failures).toEqual([{ property: "verifyConnection.from", reason: "must not be empty" }]);
    });

    it("keeps the sandbox default in the value when only unknowns failed", () => {
      const r = parse(inputs({ providerUrl: UNKNOWN }));
      expect(r.failures).toEqual([]);
      expect(r.value?.sandbox).toBe("prod");
    });

    it("an unknown value does not hide an unrecognized input", () => {
      const r = parse(inputs({ auth: UNKNOWN, secretHeader: "x" }));
      expect(r.failures).toEqual([{ property: "(inputs)", reason: 'unknown input(s) "secretHeader"' }]);
    });
  });
});
