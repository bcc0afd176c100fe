/**
 * The `httpClient` given to the `twilio` package, against real HTTP servers on 127.0.0.1: URL
 * rewriting, auth and encoding, retries with backoff, timeouts and network failures. Then the
 * classification of Twilio failures.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { classifyTwilioError, describeTwilioFailure, type TwilioFailure } from "../../provider/twilio/errors";
import {
  rewriteTwilioUrl,
  TwilioHttpClient,
  TwilioUnreachableError,
  type TwilioHttpOptions,
} from "../../provider/twilio/http";
import { TwilioRest, TwilioRestError } from "../../provider/twilio/rest";
import { freePort, startRecordingServer, type Handler, type TestServer } from "../support/http-server";

const servers: TestServer[] = [];
const clients: TwilioHttpClient[] = [];

async function serve(handler: Handler): Promise<TestServer> {
  const s = await startRecordingServer(handler);
  servers.push(s);
  return s;
}

function client(options: TwilioHttpOptions): TwilioHttpClient {
  const c = new TwilioHttpClient(options);
  clients.push(c);
  return c;
}

/** A client whose waits are recorded instead of slept. */
function recordingClient(
  base: string,
  options: TwilioHttpOptions = {},
): { c: TwilioHttpClient; delays: number[] } {
  const delays: number[] = [];
  const c = client({
    apiUrl: base,
    timeoutMs: 2000,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
  return { c, delays };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const ACCOUNT = `AC${randomBytes(16).toString("hex")}`;
const accountsUri = (suffix = "") => `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}${suffix}`;

describe("rewriteTwilioUrl", () => {
  it("keeps path and query, replacing the Twilio origin", () => {
    expect(
      rewriteTwilioUrl(
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&Page=2",
        "http://127.0.0.1:4010",
      ),
    ).toBe("http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&Page=2");
  });

  it("rewrites every twilio.com subdomain", () => {
    expect(rewriteTwilioUrl("https://messaging.twilio.com/v1/Services/MG1", "http://localhost:9")).toBe(
      "http://localhost:9/v1/Services/MG1",
    );
    expect(
      rewriteTwilioUrl("https://api.us1.twilio.com/2010-04-01/Accounts.json", "http://localhost:9"),
    ).toBe("http://localhost:9/2010-04-01/Accounts.json");
  });

  it("puts a base URL's path prefix in front, with or without a trailing slash", () => {
    expect(
      rewriteTwilioUrl(
        "https://api.twilio.com/2010-04-01/Accounts.json?x=1",
        "https://proxy.example.com:8443/twilio",
      ),
    ).toBe("https://proxy.example.com:8443/twilio/2010-04-01/Accounts.json?x=1");
    expect(
      rewriteTwilioUrl("https://api.twilio.com/2010-04-01/Accounts.json", "https://proxy.example.com/a/b///"),
    ).toBe("https://proxy.example.com/a/b/2010-04-01/Accounts.json");
  });

  it("leaves other hosts untouched", () => {
    for (const uri of [
      "https://example.com/2010-04-01/Accounts.json",
      "https://nottwilio.com/x?y=1",
      "https://twilio.com.evil.example/x",
      "https://api.twilio.co/x",
    ]) {
      expect(rewriteTwilioUrl(uri, "http://127.0.0.1:1")).toBe(uri);
    }
  });

  it("does nothing without a base URL", () => {
    expect(rewriteTwilioUrl("https://api.twilio.com/x?y=2", undefined)).toBe("https://api.twilio.com/x?y=2");
  });
});

describe("TwilioHttpClient requests", () => {
  it("sends to the rewritten URL, path and query kept, with params appended", async () => {
    const s = await serve((_req, res) => res.end('{"ok":true}'));
    const c = client({ apiUrl: `${s.base}/prefix/` });
    const res = await c.request({
      method: "get",
      uri: accountsUri("/Messages.json?PageSize=2"),
      params: {
        To: "+14155550100",
        DateSent: new Date("2024-05-06T07:08:09.000Z"),
        Skip: undefined,
        Status: ["queued", "sent"],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"ok":true}');
    expect(s.seen).toHaveLength(1);
    expect(s.seen[0]!.method).toBe("GET");
    const url = new URL(s.seen[0]!.url, s.base);
    expect(url.pathname).toBe(`/prefix/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    expect(url.searchParams.get("PageSize")).toBe("2");
    expect(url.searchParams.get("To")).toBe("+14155550100");
    expect(url.searchParams.get("DateSent")).toBe("2024-05-06T07:08:09.000Z");
    expect(url.searchParams.getAll("Status")).toEqual(["queued", "sent"]);
    expect(url.searchParams.has("Skip")).toBe(false);
  });

  it("sends HTTP basic auth from username and password, and accept: application/json", async () => {
    const s = await serve((_req, res) => res.end("{}"));
    const password = randomBytes(16).toString("hex");
    await client({ apiUrl: s.base }).request({
      method: "GET",
      uri: accountsUri(".json"),
      username: ACCOUNT,
      password,
    });
    const auth = s.seen[0]!.headers["authorization"];
    expect(auth).toMatch(/^Basic /);
    expect(Buffer.from(auth!.slice("Basic ".length), "base64").toString("utf8")).toBe(
      `${ACCOUNT}:${password}`,
    );
    expect(s.seen[0]!.headers["accept"]).toBe("application/json");
  });

  it("sends no authorization header without credentials, and passes extra headers", async () => {
    const s = await serve((_req, res) => res.end("{}"));
    await client({ apiUrl: s.base }).request({
      method: "GET",
      uri: accountsUri(".json"),
      headers: { "x-test": "abc" },
    });
    expect(s.seen[0]!.headers["authorization"]).toBeUndefined();
    expect(s.seen[0]!.headers["x-test"]).toBe("abc");
  });

  it("form-encodes data on POST", async () => {
    const s = await serve((_req, res) => {
      res.statusCode = 201;
      res.setHeader("x-twilio-request-id", "RQ1");
      res.end('{"sid":"SM1"}');
    });
    const res = await client({ apiUrl: s.base }).request({
      method: "POST",
      uri: accountsUri("/Messages.json"),
      data: {
        To: "+14155550100",
        Body: "héllo & bye=1",
        MediaUrl: ["https://a.example/1", "https://a.example/2"],
        Skip: undefined,
        Null: null,
        N: 3,
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers["x-twilio-request-id"]).toBe("RQ1");
    const seen = s.seen[0]!;
    expect(seen.method).toBe("POST");
    expect(seen.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(seen.body);
    expect(form.get("To")).toBe("+14155550100");
    expect(form.get("Body")).toBe("héllo & bye=1");
    expect(form.getAll("MediaUrl")).toEqual(["https://a.example/1", "https://a.example/2"]);
    expect(form.get("N")).toBe("3");
    expect(form.has("Skip")).toBe(false);
    expect(form.has("Null")).toBe(false);
  });

  it("sends no body on GET even when data is given", async () => {
    const s = await serve((_req, res) => res.end("{}"));
    await client({ apiUrl: s.base }).request({ method: "GET", uri: accountsUri(".json"), data: { A: "1" } });
    expect(s.seen[0]!.body).toBe("");
    expect(s.seen[0]!.headers["content-type"]).toBeUndefined();
  });
});

describe("TwilioHttpClient retries", () => {
  it("retries a GET on 429 and honours Retry-After", async () => {
    const s = await serve((_req, res, hit) => {
      if (hit <= 2) {
        res.writeHead(429, { "retry-after": "1" }).end('{"code":20429}');
      } else res.end('{"ok":1}');
    });
    const { c, delays } = recordingClient(s.base);
    const res = await c.request({ method: "GET", uri: accountsUri(".json") });
    expect(res.statusCode).toBe(200);
    expect(s.seen).toHaveLength(3);
    expect(delays).toEqual([1000, 1000]);
    expect(c.attemptsMade.count).toBe(3);
  });

  it("caps Retry-After at maxDelayMs", async () => {
    const s = await serve((_req, res, hit) => {
      if (hit === 1) res.writeHead(429, { "retry-after": "3600" }).end();
      else res.end("{}");
    });
    const { c, delays } = recordingClient(s.base, { maxDelayMs: 750 });
    await c.request({ method: "GET", uri: accountsUri(".json") });
    expect(delays).toEqual([750]);
  });

  it("falls back to jittered backoff when Retry-After is neither seconds nor an HTTP date", async () => {
    const s = await serve((_req, res, hit) => {
      if (hit === 1) res.writeHead(429, { "retry-after": "soon" }).end();
      else res.end("{}");
    });
    const { c, delays } = recordingClient(s.base, { baseDelayMs: 100, random: () => 0.5 });
    await c.request({ method: "GET", uri: accountsUri(".json") });
    expect(delays).toEqual([50]);
  });

  it("reads Retry-After as an HTTP date too (capped at maxDelayMs)", async () => {
    const s = await serve((_req, res, hit) => {
      if (hit === 1) res.writeHead(429, { "retry-after": "Wed, 21 Oct 2037 07:28:00 GMT" }).end();
      else if (hit === 2) res.writeHead(503, { "retry-after": new Date(0).toUTCString() }).end();
      else res.end("{}");
    });
    const { c, delays } = recordingClient(s.base, { maxDelayMs: 750, random: () => 0.5 });
    await c.request({ method: "GET", uri: accountsUri(".json") });
    // A date in the future waits until then (here: the cap); a date in the past waits not at all.
    expect(delays).toEqual([750, 0]);
  });

  it("retries a GET on 503 and stops at maxAttempts, returning the last answer", async () => {
    const s = await serve((_req, res) => res.writeHead(503).end('{"code":20503,"message":"down"}'));
    const { c, delays } = recordingClient(s.base, { maxAttempts: 3, random: () => 0 });
    const res = await c.request({ method: "GET", uri: accountsUri(".json") });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("20503");
    expect(s.seen).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it("uses four attempts by default", async () => {
    const s = await serve((_req, res) => res.writeHead(503).end());
    const { c } = recordingClient(s.base);
    await c.request({ method: "GET", uri: accountsUri(".json") });
    expect(s.seen).toHaveLength(4);
  });

  it.each([500, 502, 504])("retries a GET on %i", async (status) => {
    const s = await serve((_req, res, hit) => res.writeHead(hit === 1 ? status : 200).end("{}"));
    const { c } = recordingClient(s.base);
    expect((await c.request({ method: "GET", uri: accountsUri(".json") })).statusCode).toBe(200);
    expect(s.seen).toHaveLength(2);
  });

  it.each([400, 401, 404, 409])("does not retry %i", async (status) => {
    const s = await serve((_req, res) => res.writeHead(status).end("{}"));
    const { c, delays } = recordingClient(s.base);
    expect((await c.request({ method: "GET", uri: accountsUri(".json") })).statusCode).toBe(status);
    expect(s.seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("does not retry a POST on 503 (Twilio may have acted on it)", async () => {
    const s = await serve((_req, res) => res.writeHead(503).end("{}"));
    const { c, delays } = recordingClient(s.base);
    const res = await c.request({ method: "POST", uri: accountsUri("/Messages.json"), data: { Body: "x" } });
    expect(res.statusCode).toBe(503);
    expect(s.seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("retries a POST on 429 with the same body", async () => {
    const s = await serve((_req, res, hit) => {
      if (hit === 1) res.writeHead(429, { "retry-after": "0" }).end();
      else res.writeHead(201).end('{"sid":"SM1"}');
    });
    const { c, delays } = recordingClient(s.base);
    const res = await c.request({
      method: "POST",
      uri: accountsUri("/Messages.json"),
      data: { Body: "again" },
    });
    expect(res.statusCode).toBe(201);
    expect(s.seen.map((x) => x.body)).toEqual(["Body=again", "Body=again"]);
    expect(delays).toEqual([0]);
  });

  it("retries a GET whose connection the server dropped", async () => {
    const s = await serve((req, res, hit) => {
      if (hit === 1) req.socket.destroy();
      else res.end('{"ok":2}');
    });
    const { c } = recordingClient(s.base);
    const res = await c.request({ method: "GET", uri: accountsUri(".json") });
    expect(res.body).toBe('{"ok":2}');
    expect(s.seen).toHaveLength(2);
  });

  it("does not retry a POST whose connection was dropped, and says so", async () => {
    const s = await serve((req) => req.socket.destroy());
    const { c } = recordingClient(s.base);
    const err = await c
      .request({ method: "POST", uri: accountsUri("/Messages.json"), data: { Body: "x" } })
      .catch((e: unknown) => e);
    expect(TwilioUnreachableError.isInstance(err)).toBe(true);
    expect((err as TwilioUnreachableError).message).toContain("connection dropped");
    expect((err as TwilioUnreachableError).attempts).toBe(1);
    expect(s.seen).toHaveLength(1);
  });

  it("draws each wait with full jitter from [0, min(cap, base * 2^(n-1))]", async () => {
    const s = await serve((_req, res) => res.writeHead(503).end());
    const base = 100;
    const cap = 1000;
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    // Highest draws: each wait is just under its ceiling.
    const high = recordingClient(s.base, {
      maxAttempts: 7,
      baseDelayMs: base,
      maxDelayMs: cap,
      random: () => 0.999999,
    });
    await high.c.request({ method: "GET", uri: accountsUri(".json") });
    expect(high.delays).toEqual(ceilings.map((x) => Math.floor(0.999999 * x)));
    // Lowest draws: no wait at all.
    const low = recordingClient(s.base, {
      maxAttempts: 7,
      baseDelayMs: base,
      maxDelayMs: cap,
      random: () => 0,
    });
    await low.c.request({ method: "GET", uri: accountsUri(".json") });
    expect(low.delays).toEqual([0, 0, 0, 0, 0, 0]);
    // Arbitrary draws stay within their bounds and scale with the draw.
    const draws = [0.25, 0.5, 0.75, 0.1, 0.9, 0.3];
    let i = 0;
    const mid = recordingClient(s.base, {
      maxAttempts: 7,
      baseDelayMs: base,
      maxDelayMs: cap,
      random: () => draws[i++]!,
    });
    await mid.c.request({ method: "GET", uri: accountsUri(".json") });
    expect(mid.delays).toEqual(draws.map((d, n) => Math.floor(d * ceilings[n]!)));
    mid.delays.forEach((d, n) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(cap, base * 2 ** n));
    });
    expect(s.seen).toHaveLength(21);
  });

  it("really waits between attempts with the default sleep", async () => {
    const s = await serve((_req, res, hit) => res.writeHead(hit < 3 ? 503 : 200).end());
    const c = client({ apiUrl: s.base, baseDelayMs: 60, random: () => 0.999999 });
    const t0 = Date.now();
    await c.request({ method: "GET", uri: accountsUri(".json") });
    // 59 ms then 119 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(170);
    expect(s.seen).toHaveLength(3);
  });
});

describe("TwilioHttpClient network failures", () => {
  it("connection refused: TwilioUnreachableError after every attempt, never holding the password", async () => {
    const port = await freePort();
    const password = randomBytes(16).toString("hex");
    const { c, delays } = recordingClient(`http://127.0.0.1:${port}`, { maxAttempts: 3 });
    const err = await c
      .request({ method: "GET", uri: accountsUri(".json?PageSize=1"), username: ACCOUNT, password })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwilioUnreachableError);
    const e = err as TwilioUnreachableError;
    expect(e.message).toContain("after 3 attempt(s)");
    expect(e.message).toContain(`http://127.0.0.1:${port}/2010-04-01/Accounts/${ACCOUNT}.json`);
    expect(e.message).not.toContain("PageSize");
    expect(e.attempts).toBe(3);
    expect(delays).toHaveLength(2);
    const everything = `${e.message}\n${e.stack ?? ""}\n${JSON.stringify(e)}`;
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(Buffer.from(`${ACCOUNT}:${password}`).toString("base64"));
  });

  it("times out an attempt whose server never answers, within a bounded time", async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const { c } = recordingClient(s.base, { timeoutMs: 200, maxAttempts: 2 });
    const t0 = Date.now();
    const err = await c.request({ method: "GET", uri: accountsUri(".json") }).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(TwilioUnreachableError);
    expect((err as TwilioUnreachableError).attempts).toBe(2);
    expect(s.seen).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2000);
  });

  it("times out a body that never ends", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
    });
    const { c } = recordingClient(s.base, { timeoutMs: 200, maxAttempts: 1 });
    const t0 = Date.now();
    const err = await c.request({ method: "GET", uri: accountsUri(".json") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwilioUnreachableError);
    expect((err as TwilioUnreachableError).attempts).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it("does not retry a POST that timed out (it may have been sent)", async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const { c } = recordingClient(s.base, { timeoutMs: 200, maxAttempts: 3 });
    const err = await c
      .request({ method: "POST", uri: accountsUri("/Messages.json"), data: { Body: "x" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwilioUnreachableError);
    expect((err as TwilioUnreachableError).attempts).toBe(1);
    expect(s.seen).toHaveLength(1);
  });

  it("in a plain Node process: says connection refused / timed out, retries a refused POST, never leaks the password", async () => {
    const port = await freePort();
    const hang = await serve(() => {
      /* never answers */
    });
    const password = randomBytes(16).toString("hex");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "fixtures", "twilio-http-net-child.ts")],
      {
        cwd: path.resolve(__dirname, "..", ".."),
        env: { ...process.env, REFUSED_PORT: String(port), HANG_URL: hang.base, TEST_PASSWORD: password },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const out = JSON.parse(stdout) as Record<
      string,
      { name: string; message: string; attempts: number; causeCode: string; leaked: boolean; ms: number }
    >;
    expect(out["refusedGet"]).toMatchObject({
      name: "TwilioUnreachableError",
      attempts: 3,
      causeCode: "ECONNREFUSED",
      leaked: false,
    });
    expect(out["refusedGet"]!.message).toMatch(/\(connection refused\) after 3 attempt\(s\)$/);
    // Nothing was sent: even a POST is retried.
    expect(out["refusedPost"]).toMatchObject({ attempts: 3, causeCode: "ECONNREFUSED", leaked: false });
    expect(out["hangGet"]).toMatchObject({
      name: "TwilioUnreachableError",
      attempts: 2,
      causeCode: "timed out",
      leaked: false,
    });
    expect(out["hangGet"]!.message).toContain("(timed out) after 2 attempt(s)");
    expect(out["hangGet"]!.ms).toBeLessThan(2000);
    expect(out["hangPost"]).toMatchObject({ attempts: 1, causeCode: "timed out" });
    // Two GET attempts and one POST reached the hanging server.
    expect(hang.seen.map((x) => x.method)).toEqual(["GET", "GET", "POST"]);
  }, 20_000);

  // Under jest, Node's own errors (ECONNREFUSED from `net`, the TimeoutError DOMException of
  // AbortSignal.timeout) come from another realm, so `errorCode`'s `e instanceof Error` is false and
  // the cause reads "unknown error": a refused POST is then not retried. See the report (http.ts
  it("names the cause whatever realm the error comes from (refused, timed out) and retries a refused POST", async () => {
    const port = await freePort();
    const { c } = recordingClient(`http://127.0.0.1:${port}`, { maxAttempts: 2 });
    const get = (await c
      .request({ method: "GET", uri: accountsUri(".json") })
      .catch((e: unknown) => e)) as TwilioUnreachableError;
    expect(get.message).toContain("connection refused");
    const post = (await c
      .request({ method: "POST", uri: accountsUri(".json"), data: { A: 1 } })
      .catch((e: unknown) => e)) as TwilioUnreachableError;
    expect(post.attempts).toBe(2);
    const s = await serve(() => {
      /* never answers */
    });
    const slow = recordingClient(s.base, { timeoutMs: 150, maxAttempts: 1 }).c;
    const timedOut = (await slow
      .request({ method: "GET", uri: accountsUri(".json") })
      .catch((e: unknown) => e)) as TwilioUnreachableError;
    expect(timedOut.message).toContain("timed out");
  });
});

describe("classifyTwilioError", () => {
  function rest(statusCode: number, body: unknown): TwilioRestError {
    return new TwilioRestError(statusCode, typeof body === "string" ? body : JSON.stringify(body));
  }

  it.each([
    [
      401,
      {
        code: 20003,
        message: "Authenticate",
        more_info: "https://www.twilio.com/docs/errors/20003",
        status: 401,
      },
      "auth",
    ],
    [403, { code: 20008, message: "Forbidden", status: 403 }, "auth"],
    [400, { code: 20003, message: "Authenticate", status: 400 }, "auth"],
    [404, { code: 20404, message: "The requested resource was not found", status: 404 }, "not-found"],
    [400, { code: 20404, message: "not found", status: 400 }, "not-found"],
    [429, { code: 20429, message: "Too Many Requests", status: 429 }, "rate-limited"],
    [503, { code: 20503, message: "Service unavailable", status: 503 }, "unavailable"],
    [500, "<html>oops</html>", "unavailable"],
    [400, { code: 21211, message: "Invalid 'To' Phone Number", status: 400 }, "rejected"],
  ] as const)("HTTP %i %j → %s", (status, body, kind) => {
    const f = classifyTwilioError(rest(status, body));
    expect(f.kind).toBe(kind);
    expect(f.status).toBe(status);
    if (typeof body === "object") {
      expect(f.code).toBe(body.code);
      expect(f.detail).toBe(body.message);
    } else {
      expect(f.code).toBeUndefined();
      expect(f.detail).toBe(`[HTTP ${status}] Failed to execute request`);
    }
  });

  it("keeps more_info", () => {
    const link = "https://www.twilio.com/docs/errors/20003";
    expect(
      classifyTwilioError(rest(401, { code: 20003, message: "Authenticate", more_info: link })).moreInfo,
    ).toBe(link);
  });

  it("a TwilioUnreachableError is unreachable, with its message", () => {
    const e = new TwilioUnreachableError("http://127.0.0.1:1/x", "ECONNREFUSED", 4);
    expect(classifyTwilioError(e)).toEqual({ kind: "unreachable", detail: e.message });
  });

  it("any other error is unreachable too", () => {
    const f = classifyTwilioError(new Error("socket hang up"));
    expect(f.kind).toBe("unreachable");
    expect(f.detail).toBe("Twilio call failed: socket hang up");
    expect(classifyTwilioError("weird").kind).toBe("unreachable");
  });
});

describe("describeTwilioFailure", () => {
  it("names the code and Twilio's more_info link", () => {
    const link = "https://www.twilio.com/docs/errors/20003";
    const text = describeTwilioFailure({
      kind: "auth",
      status: 401,
      code: 20003,
      moreInfo: link,
      detail: "Authenticate",
    });
    expect(text).toBe(`Twilio error 20003 (Authenticate; see ${link})`);
  });

  it("builds the docs link from the code when Twilio gave none", () => {
    const text = describeTwilioFailure({ kind: "not-found", status: 404, code: 20404, detail: "not found" });
    expect(text).toContain("Twilio error 20404");
    expect(text).toContain("https://www.twilio.com/docs/errors/20404");
  });

  it("falls back to the HTTP status without a code", () => {
    expect(describeTwilioFailure({ kind: "unavailable", status: 503, detail: "HTTP 503" })).toBe(
      "Twilio HTTP 503 (HTTP 503)",
    );
  });

  it("an unreachable failure reads as its detail", () => {
    const f: TwilioFailure = {
      kind: "unreachable",
      detail: "could not reach Twilio at x (connection refused) after 4 attempt(s)",
    };
    expect(describeTwilioFailure(f)).toBe(f.detail);
  });
});

describe("through our Twilio REST client", () => {
  it("a 401 from the server becomes an auth failure naming 20003 and its link, without the token", async () => {
    const link = "https://www.twilio.com/docs/errors/20003";
    const s = await serve((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 20003, message: "Authenticate", more_info: link, status: 401 }));
    });
    const token = randomBytes(16).toString("hex");
    const { c } = recordingClient(s.base);
    const err = await new TwilioRest({ accountSid: ACCOUNT, authToken: token }, c)
      .fetchAccount()
      .catch((e: unknown) => e);
    const f = classifyTwilioError(err);
    expect(f).toMatchObject({ kind: "auth", status: 401, code: 20003, moreInfo: link });
    const text = describeTwilioFailure(f);
    expect(text).toContain("20003");
    expect(text).toContain(link);
    expect(text).not.toContain(token);
    expect(s.seen).toHaveLength(1);
    expect(new URL(s.seen[0]!.url, s.base).pathname).toBe(`/2010-04-01/Accounts/${ACCOUNT}.json`);
    expect(Buffer.from(s.seen[0]!.headers["authorization"]!.slice(6), "base64").toString()).toBe(
      `${ACCOUNT}:${token}`,
    );
  });
});
