/** The store service's HTTP API, driven with raw requests: auth, scopes, versions, limits, shutdown. */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { startTestService, type TestService } from "../support/store-service";

const secretText = (): string => randomBytes(16).toString("hex");
const credentialBody = (name: string, authToken = secretText()): Record<string, unknown> => ({
  name,
  credentialType: "twilio-sms",
  data: { accountSid: "AC" + "0".repeat(32) },
  secret: { authToken },
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> & {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
  text: string;
}

async function call(
  svc: TestService,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<Answer> {
  const res = await request(svc.url + path, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined || options.rawBody !== undefined
        ? { "content-type": "application/json" }
        : {}),
      ...options.headers,
    },
    body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : {}, text };
}

const creds = "/v1/sandboxes/prod/api-credentials";

describe("store service over HTTP", () => {
  let svc: TestService;
  let writer: { token: string; id: string };
  beforeEach(async () => {
    svc = await startTestService({ maxBodyBytes: 4096 });
    writer = await svc.token("prod", "write");
  });
  afterEach(() => svc.close());

  test("GET /v1/token tells its bearer the token's id, sandbox and scopes, never the token", async () => {
    const runtime = await svc.token("staging", "read", "runtime");
    const me = await call(svc, "GET", "/v1/token", { token: runtime.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: runtime.id, sandbox: "staging", scopes: ["read", "runtime"] });
    expect(me.text).not.toContain(runtime.token);
    expect((await call(svc, "GET", "/v1/token")).status).toBe(401);
  });

  test("/healthz and /readyz answer without a token", async () => {
    expect(await call(svc, "GET", "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await call(svc, "GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
  });

  test("/healthz and /readyz: HEAD answers as GET does; any other method is 405 with Allow: GET, HEAD", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const head = await request(svc.url + path, { method: "HEAD" });
      expect(head.statusCode).toBe(200);
      expect(await head.body.text()).toBe("");
      for (const method of ["POST", "DELETE"] as const) {
        const wrong = await call(svc, method, path);
        expect(wrong.status).toBe(405);
        expect(wrong.headers["allow"]).toBe("GET, HEAD");
        expect(wrong.body).toMatchObject({ error: { code: "INVALID_INPUT" } });
      }
    }
  });

  test("a query parameter a route does not read, or one given twice, is 400 naming it; the ones it reads work", async () => {
    const reader = await svc.token("*", "read");
    const cases: [string, RegExp][] = [
      [`${creds}?nmae=main`, /query: "nmae" is not a parameter of this route \(it takes name\)/],
      [`${creds}?name=a&name=b`, /query: "name" is given more than once/],
      [`${creds}/cred_x?name=a`, /query: "name" is not a parameter of this route \(it takes none\)/],
      [
        "/v1/sandboxes/prod/consents?numbr=%2B14155550100",
        /query: "numbr" is not a parameter .*it takes number/,
      ],
      ["/v1/token?debug=1", /query: "debug" is not a parameter/],
    ];
    for (const [path, says] of cases) {
      const r = await call(svc, "GET", path, { token: reader.token });
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({
        path,
        status: 400,
        code: "INVALID_INPUT",
      });
      expect(r.body.error?.message).toMatch(says);
    }
    expect((await call(svc, "GET", `${creds}?name=main`, { token: reader.token })).status).toBe(200);
    expect(
      (await call(svc, "GET", "/v1/sandboxes/prod/consents?number=%2B14155550100", { token: reader.token }))
        .status,
    ).toBe(200);
  });

  test("a missing, wrong or revoked token gets 401 in the one error shape", async () => {
    for (const token of [undefined, "nonsense", "smsst_" + "A".repeat(43)]) {
      const a = await call(svc, "GET", creds, token ? { token } : {});
      expect(a.status).toBe(401);
      expect(a.body.error).toMatchObject({ code: "UNAUTHORIZED", requestId: expect.any(String) });
    }
    const t = await svc.token("prod", "read");
    expect((await call(svc, "GET", creds, { token: t.token })).status).toBe(200);
    await svc.tokens.revoke(t.id);
    expect((await call(svc, "GET", creds, { token: t.token })).status).toBe(401);
  });

  test("a token of another sandbox gets 403 naming the sandbox and scope needed", async () => {
    const dev = await svc.token("dev", "write");
    const a = await call(svc, "POST", creds, { token: dev.token, body: credentialBody("main") });
    expect(a.status).toBe(403);
    expect(a.body.error).toMatchObject({ code: "FORBIDDEN", details: { sandbox: "prod", scope: "write" } });
    expect(a.body.error?.message).toContain('sandbox "prod"');
    const admin = await svc.token("*", "write");
    expect(
      (await call(svc, "POST", creds, { token: admin.token, body: credentialBody("main") })).status,
    ).toBe(201);
  });

  test("answers carry fingerprints; only a runtime token reads a secret, and each read is audited", async () => {
    const authToken = secretText();
    const created = await call(svc, "POST", creds, {
      token: writer.token,
      body: credentialBody("main", authToken),
    });
    expect(created.status).toBe(201);
    expect(created.headers["location"]).toBe(`${creds}/${created.body["id"] as string}`);
    expect(created.body["secretFingerprint"]).toMatch(/^[0-9a-f]{16}$/);
    const id = created.body["id"] as string;
    const reader = await svc.token("prod", "read");
    for (const path of [`${creds}/${id}`, creds, `${creds}?name=main`]) {
      const a = await call(svc, "GET", path, { token: reader.token });
      expect(a.status).toBe(200);
      expect(a.text).not.toContain(authToken);
    }
    for (const t of [reader, writer]) {
      const a = await call(svc, "GET", `${creds}/${id}/secret`, { token: t.token });
      expect(a.status).toBe(403);
      expect(a.body.error?.details).toMatchObject({ scope: "runtime" });
      expect(a.text).not.toContain(authToken);
    }
    const runtime = await svc.token("prod", "runtime");
    const secret = await call(svc, "GET", `${creds}/${id}/secret`, { token: runtime.token });
    expect(secret).toMatchObject({ status: 200, body: { secret: { authToken } } });
    expect(secret.headers["cache-control"]).toBe("no-store");
    const reads = (await svc.core.auditLog(100)).filter((e) => e.action === "read-secret");
    expect(reads).toEqual([expect.objectContaining({ recordId: id, actor: `token:${runtime.id}` })]);
    expect((await call(svc, "GET", `${creds}/cred_none/secret`, { token: runtime.token })).status).toBe(404);
  });

  test("updates need If-Match: missing 428, malformed 400, stale 412, current 200 with the new ETag", async () => {
    const created = await call(svc, "POST", creds, { token: writer.token, body: credentialBody("main") });
    expect(created.headers["etag"]).toBe('"1"');
    const path = `${creds}/${created.body["id"] as string}`;
    const missing = await call(svc, "PATCH", path, {
      token: writer.token,
      body: { data: { accountSid: "AC00000000000000000000000000000000" } },
    });
    expect(missing.status).toBe(428);
    expect(missing.body.error?.code).toBe("INVALID_INPUT");
    // Given but not one of the service's ETags: a malformed header (400), saying what it must be.
    for (const header of ["1", "*", 'W/"1"']) {
      const malformed = await call(svc, "PATCH", path, {
        token: writer.token,
        body: { data: { accountSid: "AC00000000000000000000000000000000" } },
        headers: { "if-match": header },
      });
      expect({ header, status: malformed.status }).toEqual({ header, status: 400 });
      expect(malformed.body.error?.message).toContain("must be the ETag the record was read with");
    }
    const ok = await call(svc, "PATCH", path, {
      token: writer.token,
      body: { data: { accountSid: "AC00000000000000000000000000000000", n: 1 } },
      headers: { "if-match": '"1"' },
    });
    expect(ok).toMatchObject({ status: 200, body: { version: 2 } });
    expect(ok.headers["etag"]).toBe('"2"');
    const stale = await call(svc, "PATCH", path, {
      token: writer.token,
      body: { data: { accountSid: "AC00000000000000000000000000000000", n: 2 } },
      headers: { "if-match": '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: "CONFLICT", details: { currentVersion: 2 } });
    expect((await call(svc, "GET", path, { token: writer.token })).headers["etag"]).toBe('"2"');
  });

  test("deletes take an optional If-Match: stale 412 and the record kept, current or none 204", async () => {
    const ids: string[] = [];
    for (const name of ["a", "b"]) {
      const created = await call(svc, "POST", creds, { token: writer.token, body: credentialBody(name) });
      const path = `${creds}/${created.body["id"] as string}`;
      const ok = await call(svc, "PATCH", path, {
        token: writer.token,
        body: { data: { accountSid: "AC00000000000000000000000000000000", n: 1 } },
        headers: { "if-match": '"1"' },
      });
      expect(ok.status).toBe(200);
      ids.push(path);
    }
    const [a, b] = ids as [string, string];
    const stale = await call(svc, "DELETE", a, { token: writer.token, headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: "CONFLICT", details: { currentVersion: 2 } });
    expect((await call(svc, "GET", a, { token: writer.token })).status).toBe(200);
    expect(
      (await call(svc, "DELETE", a, { token: writer.token, headers: { "if-match": '"2"' } })).status,
    ).toBe(204);
    expect((await call(svc, "DELETE", b, { token: writer.token })).status).toBe(204);
  });

  test("a create replayed with its Idempotency-Key gets the first answer", async () => {
    const headers = { "idempotency-key": "0b6f8d2c-5c8e-4f57-9b0c-2b1d3f4a5e6f" };
    const first = await call(svc, "POST", creds, {
      token: writer.token,
      body: credentialBody("main"),
      headers,
    });
    const again = await call(svc, "POST", creds, {
      token: writer.token,
      body: credentialBody("main"),
      headers,
    });
    expect(first.status).toBe(201);
    // The secret differs (a new random value), so this body is another request: refused.
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe("CONFLICT");
    const body = credentialBody("second");
    const h2 = { "idempotency-key": "second-key-0001" };
    const a = await call(svc, "POST", creds, { token: writer.token, body, headers: h2 });
    const b = await call(svc, "POST", creds, { token: writer.token, body, headers: h2 });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body["id"]).toBe(a.body["id"]);
    expect((await call(svc, "GET", creds, { token: writer.token })).body["items"]).toHaveLength(2);
    expect(
      (await call(svc, "POST", creds, { token: writer.token, body, headers: { "idempotency-key": "x" } }))
        .status,
    ).toBe(400);
  });

  test("bodies over the size limit get 413, declared or streamed; bad JSON gets 400 without echoing it", async () => {
    const big = {
      ...credentialBody("big"),
      data: { accountSid: "AC00000000000000000000000000000000", pad: "x".repeat(5000) },
    };
    const declared = await call(svc, "POST", creds, { token: writer.token, body: big });
    expect(declared.status).toBe(413);
    expect(declared.body.error?.code).toBe("PAYLOAD_TOO_LARGE");
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${svc.url}${creds}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${writer.token}`,
          "content-type": "application/json",
          "transfer-encoding": "chunked",
        },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write(JSON.stringify(big).slice(0, 3000));
      req.end(JSON.stringify(big).slice(3000));
    });
    expect(streamed).toBe(413);
    const secret = secretText();
    const bad = await call(svc, "POST", creds, { token: writer.token, rawBody: `{"secret": ${secret}` });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(secret);
  });

  test("unknown routes get 404, wrong methods 405 with Allow, unknown fields 400", async () => {
    expect((await call(svc, "GET", "/v2/x", { token: writer.token })).status).toBe(404);
    expect((await call(svc, "GET", "/v1/sandboxes/prod/things", { token: writer.token })).status).toBe(404);
    const wrong = await call(svc, "PATCH", creds, { token: writer.token, body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers["allow"]).toBe("GET, POST");
    const extra = await call(svc, "POST", creds, {
      token: writer.token,
      body: { ...credentialBody("x"), sandbox: "dev" },
    });
    expect(extra.status).toBe(400);
    expect(
      (await call(svc, "GET", "/v1/sandboxes/Bad_Sandbox/webhooks", { token: writer.token })).status,
    ).toBe(400);
    // A missing field is said plainly, named.
    const { name: _name, ...nameless } = credentialBody("x");
    const missing = await call(svc, "POST", creds, { token: writer.token, body: nameless });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ field: "name", message: "name: is required (a string)" });
    const cases: [Record<string, unknown>, string][] = [
      [{ ...credentialBody("x"), name: null }, "name: must be a string, not null"],
      [{ ...credentialBody("x"), data: undefined }, "data: is required (a JSON object)"],
      [{ ...credentialBody("x"), data: [] }, "data: must be a JSON object, not array"],
    ];
    for (const [body, says] of cases) {
      const r = await call(svc, "POST", creds, { token: writer.token, body });
      expect({ status: r.status, message: r.body.error?.message }).toEqual({ status: 400, message: says });
    }
  });

  test("the audit route is for tokens of every sandbox (*) only", async () => {
    await call(svc, "POST", creds, { token: writer.token, body: credentialBody("main") });
    expect((await call(svc, "GET", "/v1/audit", { token: writer.token })).status).toBe(403);
    const admin = await svc.token("*", "read");
    const a = await call(svc, "GET", "/v1/audit?limit=10", { token: admin.token });
    expect(a.status).toBe(200);
    expect(a.body["items"]).toEqual([
      expect.objectContaining({ action: "create", actor: `token:${writer.id}` }),
    ]);
  });

  test("log lines are JSON and hold neither tokens nor secrets", async () => {
    const authToken = secretText();
    await call(svc, "POST", creds, { token: writer.token, body: credentialBody("main", authToken) });
    await call(svc, "GET", creds, { token: "smsst_" + "B".repeat(43) });
    await call(svc, "POST", creds, { token: writer.token, rawBody: `{"secret": "${authToken}"` });
    const lines = svc.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: "request", route: "create", status: 201, tokenId: writer.id }),
      ]),
    );
    const all = svc.logs.join("");
    expect(all).not.toContain(authToken);
    expect(all).not.toContain(writer.token);
  });
});

describe("store service limits and lifecycle", () => {
  test("a token over its rate limit gets 429 with Retry-After", async () => {
    const svc = await startTestService({ rateLimit: { perSecond: 0.5, burst: 2 } });
    try {
      const t = await svc.token("prod", "read");
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await call(svc, "GET", creds, { token: t.token }));
      expect(statuses.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(statuses[2]?.headers["retry-after"]).toBe("2");
      expect(statuses[2]?.body.error).toMatchObject({
        code: "RATE_LIMITED",
        details: { retryAfterMs: expect.any(Number) },
      });
      // Another token has its own budget.
      const other = await svc.token("prod", "read");
      expect((await call(svc, "GET", creds, { token: other.token })).status).toBe(200);
    } finally {
      await svc.close();
    }
  });

  test("shutdown finishes a request in flight, answers /readyz 503 meanwhile, then stops", async () => {
    const svc = await startTestService();
    try {
      const t = await svc.token("prod", "write");
      const body = JSON.stringify(credentialBody("slow"));
      let req!: http.ClientRequest;
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req = http.request(`${svc.url}${creds}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${t.token}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        });
        req.on("response", (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on("error", reject);
      });
      // Half the body now: the request is in flight when shutdown begins.
      req.write(body.slice(0, 20));
      await new Promise((r) => setTimeout(r, 100));
      const stopped = svc.server.shutdown();
      await new Promise((r) => setTimeout(r, 100));
      expect(svc.server.server.listening).toBe(false);
      req.end(body.slice(20));
      const a = await answered;
      expect(a.status).toBe(201);
      await stopped;
      expect((await svc.core.list("prod", "api-credential")).map((r) => r.name)).toEqual(["slow"]);
      await expect(request(`${svc.url}/healthz`)).rejects.toThrow();
    } finally {
      await svc.close();
    }
  });

  test("/readyz is 503 while draining", async () => {
    const svc = await startTestService({ shutdownTimeoutMs: 2000 });
    try {
      const t = await svc.token("prod", "write");
      const hold = http.request(`${svc.url}${creds}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${t.token}`,
          "content-type": "application/json",
          "content-length": "100",
        },
      });
      hold.on("error", () => undefined);
      hold.write("{");
      await new Promise((r) => setTimeout(r, 50));
      const ready = http.request(`${svc.url}/readyz`, { agent: false });
      const status = new Promise<number>((resolve) =>
        ready.on("response", (res) => resolve(res.statusCode ?? 0)),
      );
      ready.on("error", () => undefined);
      // The probe's connection is open before shutdown begins, as a balancer's would be.
      await new Promise((r) => ready.once("socket", (s) => s.once("connect", r)));
      const stopped = svc.server.shutdown();
      ready.end();
      expect(await status).toBe(503);
      hold.destroy();
      await stopped;
    } finally {
      await svc.close();
    }
  });
});
