/**
 * The custom-vendor transport against real HTTP and HTTPS servers on 127.0.0.1: each auth kind as the
 * vendor receives it, the OAuth2 token cache, mutual TLS with certificates made by openssl at test
 * time, timeouts and retries, and error messages that never hold a secret.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { renderPayload } from "../../net/vendor/template";
import {
  CustomVendorClient,
  CustomVendorError,
  type CustomVendorClientOptions,
  type CustomVendorErrorCode,
  type CustomVendorRequest,
} from "../../net/vendor";
import { makeTestPki, type TestPki } from "../support/tls";
import { freePort, startRecordingServer, type Handler, type TestServer } from "../support/http-server";

const servers: TestServer[] = [];
const clients: CustomVendorClient[] = [];

async function serve(handler: Handler, tls?: https.ServerOptions): Promise<TestServer> {
  const s = await startRecordingServer(handler, tls);
  servers.push(s);
  return s;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** A client whose waits are recorded instead of slept. */
function client(options: CustomVendorClientOptions = {}): { c: CustomVendorClient; delays: number[] } {
  const delays: number[] = [];
  const c = new CustomVendorClient({
    timeoutMs: 3000,
    // The vendors here are loopback servers: the SSRF guard has its own tests (test/security/ssrf.test.ts).
    allowPrivateHosts: true,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
  clients.push(c);
  return { c, delays };
}

async function failure(p: Promise<unknown>): Promise<CustomVendorError> {
  try {
    await p;
  } catch (e) {
    expect(CustomVendorError.isInstance(e)).toBe(true);
    return e as CustomVendorError;
  }
  throw new Error("expected the send to fail");
}

function expectCode(err: CustomVendorError, code: CustomVendorErrorCode): void {
  expect({ code: err.code, message: err.message }).toEqual({ code, message: expect.any(String) });
}

/** Nothing the error exposes (message, stack, enumerable fields) holds any of `secrets`. */
function expectNoSecrets(err: CustomVendorError, secrets: string[]): void {
  const text = `${err.message}\n${err.stack ?? ""}\n${JSON.stringify(err)}\n${String(err.reason)}`;
  for (const s of secrets) expect(text).not.toContain(s);
  expect(text).not.toMatch(/PRIVATE KEY/);
}

const OPENSSL = process.env["OPENSSL"] ?? "openssl";
const secret = (label: string) => `${label}-${randomBytes(16).toString("hex")}`;
const PAYLOAD = '{"to":"+14155550199","body":"hello"}';

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("auth as the vendor receives it", () => {
  it("basic: Authorization Basic of username:password, JSON content type, extra headers, the payload", async () => {
    const s = await serve((_req, res) => json(res, 201, { sid: "SM0123", status: "queued" }));
    const password = secret("pw");
    const res = await client().c.send({
      providerUrl: `${s.base}/v1/messages?tenant=1`,
      auth: { type: "basic", username: "acme", password },
      headers: { "X-Tenant": "acme-eu" },
      payload: PAYLOAD,
    });
    expect(res).toEqual({ status: 201, body: '{"sid":"SM0123","status":"queued"}', messageSid: "SM0123" });
    expect(s.seen).toHaveLength(1);
    const seen = s.seen[0]!;
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/v1/messages?tenant=1");
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers["x-tenant"]).toBe("acme-eu");
    expect(seen.headers["authorization"]).toBe(`Basic ${Buffer.from(`acme:${password}`).toString("base64")}`);
    expect(seen.body).toBe(PAYLOAD);
  });

  it("bearer: Authorization Bearer <token>", async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const token = secret("tok");
    await client().c.send({ providerUrl: s.base, auth: { type: "bearer", token }, payload: PAYLOAD });
    expect(s.seen[0]!.headers["authorization"]).toBe(`Bearer ${token}`);
    expect(s.seen[0]!.headers["content-type"]).toBe("application/json");
  });

  it("apiKey: the named header holds the token, and no Authorization is sent", async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const token = secret("key");
    await client().c.send({
      providerUrl: s.base,
      auth: { type: "apiKey", name: "X-Api-Key", token },
      payload: PAYLOAD,
    });
    expect(s.seen[0]!.headers["x-api-key"]).toBe(token);
    expect(s.seen[0]!.headers["authorization"]).toBeUndefined();
  });

  it("the auth header and Content-Type win over user headers of the same name", async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const token = secret("tok");
    await client().c.send({
      providerUrl: s.base,
      auth: { type: "bearer", token },
      headers: {
        authorization: "Bearer not-this",
        "Content-Type": "text/plain",
        Accept: "application/vnd.x+json",
      },
      payload: PAYLOAD,
    });
    expect(s.seen[0]!.headers["authorization"]).toBe(`Bearer ${token}`);
    expect(s.seen[0]!.headers["content-type"]).toBe("application/json");
    expect(s.seen[0]!.headers["accept"]).toBe("application/vnd.x+json");
  });

  it("none: no auth header at all", async () => {
    const s = await serve((_req, res) => res.end("accepted"));
    const res = await client().c.send({ providerUrl: s.base, auth: { type: "none" }, payload: PAYLOAD });
    expect(res).toEqual({ status: 200, body: "accepted" });
    expect("messageSid" in res).toBe(false);
    expect(s.seen[0]!.headers["authorization"]).toBeUndefined();
  });

  it("returns no messageSid for JSON without a string sid", async () => {
    const s = await serve((_req, res) => json(res, 200, { sid: 42, id: "x" }));
    const res = await client().c.send({ providerUrl: s.base, auth: { type: "none" }, payload: PAYLOAD });
    expect(res.messageSid).toBeUndefined();
  });

  it("delivers a rendered message full of quotes, backslashes and newlines as valid JSON", async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const message = 'He said "stop\\n"\n\\"}\r\n\t{{toNumber}} 👋 \\\\ "" \\u0041 end\\';
    const payload = renderPayload('{"to":"{{toNumber}}","from":"{{fromNumber}}","text":"Re: {{message}}"}', {
      fromNumber: "+14155550100",
      toNumber: "+14155550199",
      message,
    });
    await client().c.send({ providerUrl: s.base, auth: { type: "none" }, payload });
    const arrived = JSON.parse(s.seen[0]!.body) as Record<string, string>;
    expect(arrived["text"]).toBe(`Re: ${message}`);
    expect(arrived["to"]).toBe("+14155550199");
  });
});

describe("OAuth2 client credentials", () => {
  async function tokenServer(
    answer: (hit: number, body: string, res: http.ServerResponse) => void = (hit, _b, res) =>
      json(res, 200, {
        access_token: `at-${hit}-${randomBytes(8).toString("hex")}`,
        token_type: "Bearer",
        expires_in: 3600,
      }),
  ): Promise<TestServer> {
    return serve((_req, res, hit, body) => answer(hit, body, res));
  }
  function oauth(
    tokenUrl: string,
    clientSecret = secret("cs"),
  ): Extract<CustomVendorRequest["auth"], { type: "oauth2" }> {
    return {
      type: "oauth2",
      tokenUrl,
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "acme",
        client_secret: clientSecret,
      }).toString(),
    };
  }

  /** The bearer tokens the vendor received, in order. */
  const bearers = (s: TestServer) => s.seen.map((x) => x.headers["authorization"]);

  it("posts the form body to tokenUrl, then sends Bearer <access_token>; one fetch serves two sends", async () => {
    const tokens = await tokenServer();
    const vendor = await serve((_req, res) => json(res, 200, { sid: "SMx" }));
    const auth = oauth(`${tokens.base}/oauth/token`);
    const { c } = client();
    await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    expect(tokens.seen).toHaveLength(1);
    expect(tokens.seen[0]!.method).toBe("POST");
    expect(tokens.seen[0]!.url).toBe("/oauth/token");
    expect(tokens.seen[0]!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(tokens.seen[0]!.body).toBe(auth.body);
    const b = bearers(vendor);
    expect(b).toHaveLength(2);
    expect(b[0]).toMatch(/^Bearer at-1-[0-9a-f]{16}$/);
    expect(b[1]).toBe(b[0]);
  });

  it("shares one token fetch among concurrent sends", async () => {
    const tokens = await tokenServer((hit, _b, res) =>
      setTimeout(
        () => json(res, 200, { access_token: `at-${hit}-xxxx`, token_type: "bearer", expires_in: 60 }),
        50,
      ),
    );
    const vendor = await serve((_req, res) => json(res, 200, {}));
    const auth = oauth(tokens.base);
    const { c } = client();
    await Promise.all([1, 2, 3].map(() => c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD })));
    expect(tokens.seen).toHaveLength(1);
    expect(new Set(bearers(vendor))).toEqual(new Set(["Bearer at-1-xxxx"]));
  });

  it("keeps a token until expires_in minus the margin, then fetches a new one", async () => {
    const tokens = await tokenServer((hit, _b, res) =>
      json(res, 200, { access_token: `at-${hit}-xxxx`, token_type: "Bearer", expires_in: 60 }),
    );
    const vendor = await serve((_req, res) => json(res, 200, {}));
    let now = 1_000_000;
    const { c } = client({ now: () => now, tokenExpiryMarginMs: 10_000 });
    const auth = oauth(tokens.base);
    const send = () => c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    await send();
    now += 49_999; // 60 s - 10 s margin, less 1 ms
    await send();
    expect(tokens.seen).toHaveLength(1);
    now += 1;
    await send();
    expect(tokens.seen).toHaveLength(2);
    expect(bearers(vendor)).toEqual(["Bearer at-1-xxxx", "Bearer at-1-xxxx", "Bearer at-2-xxxx"]);
  });

  it("caps the margin at half the lifetime, so a short-lived token is still reused", async () => {
    const tokens = await tokenServer((hit, _b, res) =>
      json(res, 200, { access_token: `at-${hit}-xxxx`, token_type: "Bearer", expires_in: "4" }),
    );
    const vendor = await serve((_req, res) => json(res, 200, {}));
    let now = 0;
    const { c } = client({ now: () => now }); // default margin 30 s > 4 s
    const auth = oauth(tokens.base);
    await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    now = 1_999;
    await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    now = 2_000;
    await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    expect(tokens.seen).toHaveLength(2);
  });

  it("keys the cache by token URL and body: another client's body gets its own token", async () => {
    const tokens = await tokenServer();
    const vendor = await serve((_req, res) => json(res, 200, {}));
    const { c } = client();
    await c.send({ providerUrl: vendor.base, auth: oauth(tokens.base), payload: PAYLOAD });
    await c.send({ providerUrl: vendor.base, auth: oauth(tokens.base), payload: PAYLOAD });
    await c.send({ providerUrl: vendor.base, auth: oauth(`${tokens.base}/other`), payload: PAYLOAD });
    expect(tokens.seen).toHaveLength(3);
    expect(new Set(bearers(vendor)).size).toBe(3);
  });

  it("refetches the token once when the vendor answers 401, resends, and caches the new one", async () => {
    const tokens = await tokenServer();
    // The vendor has revoked the first token: only later ones work.
    const vendor = await serve((req, res) =>
      String(req.headers["authorization"]).startsWith("Bearer at-1-")
        ? json(res, 401, {})
        : json(res, 200, { sid: "SMok" }),
    );
    const auth = oauth(tokens.base);
    const { c } = client();
    const res = await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    expect(res.messageSid).toBe("SMok");
    expect(tokens.seen).toHaveLength(2);
    const b = bearers(vendor);
    expect(b).toHaveLength(2);
    expect(b[0]).toMatch(/^Bearer at-1-/);
    expect(b[1]).toMatch(/^Bearer at-2-/);
    await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    expect(tokens.seen).toHaveLength(2);
    expect(bearers(vendor)[2]).toBe(b[1]);
  });

  it("gives up with auth-failed after one refetch, the tokens and client secret kept out", async () => {
    const issued: string[] = [];
    const tokens = await tokenServer((_hit, _b, res) => {
      const t = secret("at");
      issued.push(t);
      json(res, 200, { access_token: t, token_type: "Bearer", expires_in: 3600 });
    });
    const vendor = await serve((req, res) =>
      res
        .writeHead(401, { "www-authenticate": "Bearer" })
        .end(`invalid token: ${String(req.headers["authorization"])}`),
    );
    const clientSecret = secret("cs");
    const err = await failure(
      client().c.send({
        providerUrl: `${vendor.base}/send`,
        auth: oauth(tokens.base, clientSecret),
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "auth-failed");
    expect(err.status).toBe(401);
    expect(vendor.seen).toHaveLength(2);
    expect(tokens.seen).toHaveLength(2);
    expect(err.message).toContain(`${vendor.base}/send`);
    expect(err.message).toContain("HTTP 401");
    expect(err.message).toContain("invalid token");
    expectNoSecrets(err, [...issued, clientSecret]);
  });

  it("token endpoint 4xx: token-failed with status and a cleaned excerpt, never the client secret", async () => {
    const clientSecret = "p@ss/word+=&" + randomBytes(12).toString("hex");
    const tokens = await tokenServer((_hit, body, res) =>
      json(res, 400, {
        error: "invalid_client",
        error_description: `bad credentials in ${body}`,
        client_secret: clientSecret,
      }),
    );
    const vendor = await serve((_req, res) => json(res, 200, {}));
    const { c, delays } = client();
    const err = await failure(
      c.send({
        providerUrl: vendor.base,
        auth: oauth(`${tokens.base}/token?x=1`, clientSecret),
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "token-failed");
    expect(err.status).toBe(400);
    expect(err.url).toBe(`${tokens.base}/token`);
    expect(err.message).toContain(`${tokens.base}/token refused`);
    expect(err.message).not.toContain("?x=1");
    expect(err.message).toContain("HTTP 400");
    expect(err.message).toContain("invalid_client");
    expect(tokens.seen).toHaveLength(1); // a 4xx is not retried
    expect(delays).toEqual([]);
    expect(vendor.seen).toHaveLength(0);
    expectNoSecrets(err, [
      clientSecret,
      encodeURIComponent(clientSecret),
      new URLSearchParams({ a: clientSecret }).toString().slice(2),
    ]);
  });

  it("token endpoint 5xx: retried with jittered backoff, then works", async () => {
    const tokens = await tokenServer((hit, _b, res) =>
      hit < 3
        ? json(res, 503, { error: "busy" })
        : json(res, 200, { access_token: "at-ok-xxxx", expires_in: 60 }),
    );
    const vendor = await serve((_req, res) => json(res, 200, {}));
    const { c, delays } = client({ random: () => 0.5, baseDelayMs: 100 });
    await c.send({ providerUrl: vendor.base, auth: oauth(tokens.base), payload: PAYLOAD });
    expect(tokens.seen).toHaveLength(3);
    expect(delays).toEqual([50, 100]);
    expect(bearers(vendor)).toEqual(["Bearer at-ok-xxxx"]);
  });

  it("token endpoint always 5xx or unreachable: token-failed after maxAttempts", async () => {
    const tokens = await tokenServer((_hit, _b, res) => json(res, 500, {}));
    const vendor = await serve((_req, res) => json(res, 200, {}));
    const { c } = client({ maxAttempts: 3 });
    const err = await failure(
      c.send({ providerUrl: vendor.base, auth: oauth(tokens.base), payload: PAYLOAD }),
    );
    expectCode(err, "token-failed");
    expect(err.status).toBe(500);
    expect(tokens.seen).toHaveLength(3);

    const port = await freePort();
    const clientSecret = secret("cs");
    const err2 = await failure(
      c.send({
        providerUrl: vendor.base,
        auth: oauth(`http://127.0.0.1:${port}/t`, clientSecret),
        payload: PAYLOAD,
      }),
    );
    expectCode(err2, "token-failed");
    expect(err2.reason).toBe("ECONNREFUSED");
    expect(err2.message).toContain(`http://127.0.0.1:${port}/t`);
    expect(err2.message).toContain("after 3 attempt(s)");
    expectNoSecrets(err2, [clientSecret]);
    expect(vendor.seen).toHaveLength(0);
  });

  it("a failed fetch is not cached: the next send asks again", async () => {
    const tokens = await tokenServer((hit, _b, res) =>
      hit === 1 ? json(res, 401, { error: "invalid_client" }) : json(res, 200, { access_token: "at-2-xxxx" }),
    );
    const vendor = await serve((_req, res) => json(res, 200, {}));
    const { c } = client();
    const auth = oauth(tokens.base);
    expectCode(await failure(c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD })), "token-failed");
    await c.send({ providerUrl: vendor.base, auth, payload: PAYLOAD });
    expect(tokens.seen).toHaveLength(2);
  });

  it.each<[string, (res: http.ServerResponse) => void, RegExp]>([
    ["not JSON", (res) => res.end("<html>login</html>"), /other than JSON \(an HTML page, not quoted\)/],
    ["not JSON, no HTML", (res) => res.end("login first"), /other than JSON: login first/],
    ["no access_token", (res) => json(res, 200, { token_type: "Bearer" }), /without an access_token/],
    [
      "a MAC token",
      (res) => json(res, 200, { access_token: "zzzz-secret-zzzz", token_type: "mac" }),
      /token_type "mac"/,
    ],
    [
      "a bad expires_in",
      (res) => json(res, 200, { access_token: "zzzz-secret-zzzz", expires_in: "soon" }),
      /expires_in/,
    ],
    ["a JSON array", (res) => json(res, 200, ["x"]), /not an object/],
  ])("bad-token-response for %s", async (_label, answer, why) => {
    const tokens = await tokenServer((_hit, _b, res) => answer(res));
    const vendor = await serve((_req, res) => json(res, 200, {}));
    const err = await failure(
      client().c.send({ providerUrl: vendor.base, auth: oauth(tokens.base), payload: PAYLOAD }),
    );
    expectCode(err, "bad-token-response");
    expect(err.message).toMatch(why);
    expect(err.status).toBe(200);
    expectNoSecrets(err, ["zzzz-secret-zzzz"]);
    expect(vendor.seen).toHaveLength(0);
  });
});

describe("failures of the POST", () => {
  it("a non-2xx answer is rejected (not retried), naming the URL without query, status and a cleaned excerpt", async () => {
    const token = secret("tok");
    const s = await serve((req, res) =>
      json(res, 422, {
        error: "invalid 'to'",
        echo: { authorization: req.headers["authorization"], token },
        padding: "p".repeat(500),
      }),
    );
    const err = await failure(
      client().c.send({
        providerUrl: `${s.base}/v1/msg?api_key=abc123`,
        auth: { type: "bearer", token },
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "rejected");
    expect(err.status).toBe(422);
    expect(s.seen).toHaveLength(1);
    expect(err.url).toBe(`${s.base}/v1/msg`);
    expect(err.message).toMatch(
      new RegExp(`^the custom vendor at ${s.base}/v1/msg rejected the message: HTTP 422: `),
    );
    expect(err.message).not.toContain("abc123");
    expect(err.message).toContain("invalid 'to'");
    const excerpt = err.message.slice(err.message.indexOf("HTTP 422: ") + "HTTP 422: ".length);
    expect(excerpt.length).toBeLessThanOrEqual(201);
    expect(excerpt.endsWith("…")).toBe(true);
    expectNoSecrets(err, [token]);
  });

  it("cuts a secret out before truncating, so no prefix of it survives at the cut", async () => {
    const password = secret("pw");
    const s = await serve((_req, res) => res.writeHead(400).end("x".repeat(185) + password));
    const err = await failure(
      client().c.send({
        providerUrl: s.base,
        auth: { type: "basic", username: "u", password },
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "rejected");
    expectNoSecrets(err, [password, password.slice(0, 10)]);
  });

  it("401 and 403 are auth-failed; basic credentials and their base64 stay out", async () => {
    const password = secret("pw");
    const basic = Buffer.from(`acme:${password}`).toString("base64");
    for (const status of [401, 403]) {
      const s = await serve((req, res) =>
        res
          .writeHead(status)
          .end(`denied for ${String(req.headers["authorization"])} (password ${password}; ${basic})`),
      );
      const err = await failure(
        client().c.send({
          providerUrl: s.base,
          auth: { type: "basic", username: "acme", password },
          payload: PAYLOAD,
        }),
      );
      expectCode(err, "auth-failed");
      expect(err.status).toBe(status);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).toContain("refused the credentials");
      expect(s.seen).toHaveLength(1);
      expectNoSecrets(err, [password, basic]);
    }
  });

  it("apiKey tokens echoed back are cut, also URL- and JSON-encoded", async () => {
    const token = `k" /(${randomBytes(12).toString("hex")})\\`;
    const formEncoded = new URLSearchParams({ a: token }).toString().slice(2);
    expect(formEncoded).not.toBe(encodeURIComponent(token));
    const s = await serve((_req, res) =>
      res
        .writeHead(500)
        .end(
          `raw=${token} url=${encodeURIComponent(token)} form=${formEncoded} json=${JSON.stringify(token)}`,
        ),
    );
    const err = await failure(
      client().c.send({
        providerUrl: s.base,
        auth: { type: "apiKey", name: "X-Key", token },
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "rejected");
    expect(s.seen).toHaveLength(1); // a 5xx POST is never retried: the vendor may have acted
    expectNoSecrets(err, [token, encodeURIComponent(token), formEncoded, JSON.stringify(token).slice(1, -1)]);
    expect(err.message.match(/\[redacted\]/g)).toHaveLength(4);
  });

  it("leaves the answer out when a secret is too short to cut", async () => {
    const s = await serve((_req, res) => res.writeHead(400).end("wrong password abc"));
    const err = await failure(
      client().c.send({
        providerUrl: s.base,
        auth: { type: "basic", username: "u", password: "abc" },
        payload: PAYLOAD,
      }),
    );
    expect(err.message).not.toContain("abc");
    expect(err.message).toContain("answer left out");
  });

  it("connection refused: retried (never sent), then unreachable", async () => {
    const port = await freePort();
    const { c, delays } = client({ maxAttempts: 3 });
    const token = secret("tok");
    const err = await failure(
      c.send({
        providerUrl: `http://127.0.0.1:${port}/x?k=${token}`,
        auth: { type: "bearer", token },
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "unreachable");
    expect(err.reason).toBe("ECONNREFUSED");
    expect(err.message).toBe(
      `could not reach the custom vendor at http://127.0.0.1:${port}/x (connection refused) after 3 attempt(s)`,
    );
    expect(delays).toHaveLength(2);
    expectNoSecrets(err, [token]);
  });

  it("a connection dropped after the request went out is not retried", async () => {
    const s = await serve((req) => req.socket.destroy());
    const err = await failure(
      client().c.send({ providerUrl: s.base, auth: { type: "none" }, payload: PAYLOAD }),
    );
    expectCode(err, "unreachable");
    expect(err.message).toBe(
      `could not reach the custom vendor at ${s.base}/ (connection closed by the server) after 1 attempt(s)`,
    );
    expect(s.seen).toHaveLength(1);
  });

  it("times out a vendor that never answers, without retrying", async () => {
    const s = await serve(() => undefined);
    const t0 = Date.now();
    const err = await failure(
      client({ timeoutMs: 300 }).c.send({ providerUrl: s.base, auth: { type: "none" }, payload: PAYLOAD }),
    );
    expect(Date.now() - t0).toBeLessThan(2_000);
    expectCode(err, "unreachable");
    expect(err.reason).toBe("timed out");
    expect(err.message).toContain("no answer within 0.3 s");
    expect(err.message).toContain("may or may not have been sent");
    expect(s.seen).toHaveLength(1);
  });

  it("refuses a URL that is not absolute http(s), quoting none of it", async () => {
    const token = secret("tok");
    for (const providerUrl of [`not a url ${token}`, `ftp://${token}@example.com/x`]) {
      const err = await failure(
        client().c.send({ providerUrl, auth: { type: "bearer", token }, payload: PAYLOAD }),
      );
      expectCode(err, "unreachable");
      expect(err.message).toBe("providerUrl is not an absolute http(s) URL");
    }
  });

  it("a header value HTTP cannot carry fails without quoting it", async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    const value = `v-${randomBytes(8).toString("hex")}\r\nX-Injected: 1`;
    const err = await failure(
      client().c.send({
        providerUrl: s.base,
        auth: { type: "none" },
        headers: { "X-Tenant": value },
        payload: PAYLOAD,
      }),
    );
    expect(err.message).toContain("not valid in HTTP");
    expectNoSecrets(err, [value.slice(0, 18)]);
    expect(s.seen).toHaveLength(0);
  });

  it("does not follow redirects", async () => {
    const target = await serve((_req, res) => json(res, 200, {}));
    const s = await serve((_req, res) => res.writeHead(307, { location: target.base }).end());
    const err = await failure(
      client().c.send({ providerUrl: s.base, auth: { type: "none" }, payload: PAYLOAD }),
    );
    expectCode(err, "rejected");
    expect(err.status).toBe(307);
    expect(target.seen).toHaveLength(0);
  });
});

describe("TLS and mutual TLS", () => {
  let dir: string;
  let pki: TestPki;
  /** An unrelated CA and client: a certificate the server must not accept. */
  let stranger: TestPki;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "rcs-pki-"));
    pki = makeTestPki(path.join(dir, "main"));
    stranger = makeTestPki(path.join(dir, "stranger"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const mtlsServer = () =>
    serve((_req, res) => json(res, 200, { sid: "SMtls" }), {
      cert: pki.serverCert,
      key: pki.serverKey,
      ca: pki.caCert,
      requestCert: true,
      rejectUnauthorized: true,
    });

  it("the PKI has a server certificate for 127.0.0.1 and localhost, signed by the CA", () => {
    const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
    const ca = new X509Certificate(pki.caCert);
    const server = new X509Certificate(pki.serverCert);
    const clientCert = new X509Certificate(pki.clientCert);
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(clientCert.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(clientCert.verify(new X509Certificate(stranger.caCert).publicKey)).toBe(false);
  });

  it("presents the client certificate; the server accepts it and the JSON arrives intact", async () => {
    const s = await mtlsServer();
    const message = 'quote " backslash \\ newline \n done';
    const payload = renderPayload('{"text":"{{message}}","to":"{{toNumber}}","from":"{{fromNumber}}"}', {
      fromNumber: "+1",
      toNumber: "+2",
      message,
    });
    const res = await client({ ca: pki.caCert }).c.send({
      providerUrl: `${s.base}/v1/rcs`,
      auth: { type: "none", mtls: { cert: pki.clientCert, key: pki.clientKey } },
      payload,
    });
    expect(res.status).toBe(200);
    expect(res.messageSid).toBe("SMtls");
    expect(s.seen[0]!.peerCn).toBe("test-client");
    expect((JSON.parse(s.seen[0]!.body) as { text: string }).text).toBe(message);
  });

  it("also connects to https://localhost:<port>", async () => {
    const s = await mtlsServer();
    const res = await client({ ca: [pki.caCert] }).c.send({
      providerUrl: s.base.replace("127.0.0.1", "localhost"),
      auth: { type: "none", mtls: { cert: pki.clientCert, key: pki.clientKey } },
      payload: PAYLOAD,
    });
    expect(res.status).toBe(200);
  });

  it("without a client certificate the server refuses: auth-failed, and nothing reaches it", async () => {
    const s = await mtlsServer();
    const err = await failure(
      client({ ca: pki.caCert }).c.send({ providerUrl: s.base, auth: { type: "none" }, payload: PAYLOAD }),
    );
    expectCode(err, "auth-failed");
    expect(err.reason).toBe("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
    expect(err.message).toContain(s.base);
    expect(err.message).toMatch(/requires a TLS client certificate; set auth\.mtls/);
    expect(s.seen).toHaveLength(0);
    expectNoSecrets(err, [pki.clientKey, pki.serverKey]);
  });

  it("a client certificate of another CA, dropped by a Node server without an alert: unreachable, with a hint", async () => {
    const s = await mtlsServer();
    const err = await failure(
      client({ ca: pki.caCert }).c.send({
        providerUrl: s.base,
        auth: { type: "none", mtls: { cert: stranger.clientCert, key: stranger.clientKey } },
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "unreachable");
    expect(err.message).toMatch(
      /connection closed by the server; it may have refused the TLS client certificate/,
    );
    expect(s.seen).toHaveLength(0);
    const keyBody = stranger.clientKey.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
    expectNoSecrets(err, [stranger.clientKey, keyBody, keyBody.slice(0, 24)]);
  });

  it("a client certificate refused with a TLS alert (OpenSSL's s_server, as nginx does): auth-failed", async () => {
    const server = spawn(
      OPENSSL,
      [
        "s_server",
        "-accept",
        "127.0.0.1:0",
        "-cert",
        "server.crt",
        "-key",
        "server.key",
        "-CAfile",
        "ca.crt",
      ].concat(["-Verify", "1", "-verify_return_error", "-www"]),
      { cwd: path.join(dir, "main"), stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let out = "";
      const port = await new Promise<number>((resolve, reject) => {
        server.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /ACCEPT .*:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        server.on("error", reject);
        server.on("exit", (code) => reject(new Error(`openssl s_server exited with ${String(code)}`)));
      });
      const { c } = client({ ca: pki.caCert });
      const url = `https://127.0.0.1:${port}/v1`;
      const refused = await failure(
        c.send({
          providerUrl: url,
          auth: { type: "none", mtls: { cert: stranger.clientCert, key: stranger.clientKey } },
          payload: PAYLOAD,
        }),
      );
      expectCode(refused, "auth-failed");
      expect(refused.reason).toBe("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA");
      expect(refused.message).toBe(
        `the custom vendor at ${url} refused the TLS client certificate (TLS alert ERR_SSL_TLSV1_ALERT_UNKNOWN_CA)`,
      );
      expectNoSecrets(refused, [stranger.clientKey]);
      const missing = await failure(c.send({ providerUrl: url, auth: { type: "none" }, payload: PAYLOAD }));
      expectCode(missing, "auth-failed");
      expect(missing.reason).toBe("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
    } finally {
      server.kill();
    }
  });

  it("a certificate and key that do not match: auth-failed before any connection", async () => {
    const s = await mtlsServer();
    const err = await failure(
      client({ ca: pki.caCert }).c.send({
        providerUrl: s.base,
        auth: { type: "none", mtls: { cert: pki.clientCert, key: stranger.clientKey } },
        payload: PAYLOAD,
      }),
    );
    expectCode(err, "auth-failed");
    expect(err.message).toMatch(/cannot be used together/);
    expect(s.seen).toHaveLength(0);
    expectNoSecrets(err, [stranger.clientKey]);
  });

  it("a server certificate of an untrusted CA: unreachable, pointing at NODE_EXTRA_CA_CERTS", async () => {
    const s = await mtlsServer();
    for (const options of [{}, { ca: stranger.caCert }]) {
      const err = await failure(
        client(options).c.send({
          providerUrl: s.base,
          auth: { type: "none", mtls: { cert: pki.clientCert, key: pki.clientKey } },
          payload: PAYLOAD,
        }),
      );
      expectCode(err, "unreachable");
      expect(err.message).toMatch(
        /the server's TLS certificate is not trusted: [A-Z_]+; add its CA to NODE_EXTRA_CA_CERTS/,
      );
      expectNoSecrets(err, [pki.clientKey]);
    }
    expect(s.seen).toHaveLength(0);
  });

  it("keeps one connection pool per client identity: a second identity is not served the first's", async () => {
    const s = await mtlsServer();
    const { c } = client({ ca: pki.caCert });
    await c.send({
      providerUrl: s.base,
      auth: { type: "none", mtls: { cert: pki.clientCert, key: pki.clientKey } },
      payload: PAYLOAD,
    });
    const err = await failure(c.send({ providerUrl: s.base, auth: { type: "none" }, payload: PAYLOAD }));
    expectCode(err, "auth-failed");
    expect(s.seen).toHaveLength(1);
  });

  it("in a provider process, trusts the CA in NODE_EXTRA_CA_CERTS, with or without its own `ca`", async () => {
    const s = await mtlsServer();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "fixtures", "rcs-transport-child.ts")],
      {
        cwd: path.resolve(__dirname, "..", ".."),
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: pki.caFile,
          PROVIDER_URL: s.base,
          CLIENT_CERT: pki.clientCert,
          CLIENT_KEY: pki.clientKey,
          OTHER_CA: stranger.caCert,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual([
      { ok: true, status: 200 },
      { ok: true, status: 200 },
    ]);
    expect(s.seen.map((x) => x.peerCn)).toEqual(["test-client", "test-client"]);
  }, 30_000);
});
