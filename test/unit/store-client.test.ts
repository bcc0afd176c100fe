/** The HTTP store client: which calls it retries, how, and what each failure becomes. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { HttpStore, StoreError, type HttpStoreOptions, type RecordInput } from "../../store";
import { backoffDelay, DEFAULT_BACKOFF, retryAfterMs } from "../../net/retry";
import { credentialData, failure } from "../support/store-contract";
import { startTestService, type TestService } from "../support/store-service";

const actor = { actor: "client-test" };
const fast: HttpStoreOptions["retry"] = { baseDelayMs: 5, maxDelayMs: 20 };
const credential = (name: string): RecordInput => ({
  sandbox: "prod",
  kind: "api-credential",
  name,
  credentialType: "twilio-sms",
  data: { accountSid: "AC00000000000000000000000000000000" },
  secret: { authToken: randomBytes(16).toString("hex") },
});
const record = {
  id: "cred_1",
  sandbox: "prod",
  kind: "api-credential",
  name: "main",
  version: 1,
  data: {},
  refs: [],
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-01T00:00:00.000Z",
};

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A server that answers each request with the next handler, the last one for all after. */
async function scripted(
  ...handlers: Handler[]
): Promise<{ url: string; seen: http.IncomingHttpHeaders[]; paths: string[]; close(): Promise<void> }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    paths.push(req.url ?? "");
    req.resume();
    req.on("end", () => (handlers[Math.min(seen.length - 1, handlers.length - 1)] as Handler)(req, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    paths,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
  };
const reset: Handler = (req) => req.socket.destroy();

describe("HttpStore retries", () => {
  const token = "smsst_" + randomBytes(32).toString("base64url");

  test("a read is retried on 503 and after a connection reset", async () => {
    const fake = await scripted(json(503, {}), reset, json(200, record));
    const store = new HttpStore({ url: fake.url, token, retry: fast });
    try {
      expect(await store.get("prod", "api-credential", "cred_1")).toEqual(record);
      expect(fake.seen).toHaveLength(3);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  test("an update is not retried on 503, nor an update or delete after a connection reset", async () => {
    for (const [handler, op] of [
      [json(503, {}), "update"],
      [reset, "update"],
      [reset, "delete"],
    ] as const) {
      const fake = await scripted(handler);
      const store = new HttpStore({ url: fake.url, token, retry: fast });
      try {
        const e = await failure(
          op === "update"
            ? store.update(
                "prod",
                "api-credential",
                "cred_1",
                1,
                { data: { accountSid: "AC00000000000000000000000000000000" } },
                actor,
              )
            : store.delete("prod", "api-credential", "cred_1", actor),
        );
        expect(e.code).toBe("UNAVAILABLE");
        expect(fake.seen).toHaveLength(1);
      } finally {
        await store.close();
        await fake.close();
      }
    }
  });

  test("an update is retried when the connection was refused (it never left), then names the URL", async () => {
    const probe = await scripted(json(200, {}));
    const url = probe.url;
    await probe.close();
    const retries: string[] = [];
    const store = new HttpStore({ url, token, retry: fast, onRetry: (r) => retries.push(r.reason) });
    try {
      const e = await failure(store.update("prod", "api-credential", "cred_1", 1, {}, actor));
      expect(e.code).toBe("UNAVAILABLE");
      expect(e.message).toContain(url);
      expect(e.message).toContain("ECONNREFUSED");
      expect(retries).toEqual(["ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED"]);
    } finally {
      await store.close();
    }
  });

  test("a 429 with a short Retry-After is waited out and retried, for any method", async () => {
    const fake = await scripted(json(429, {}, { "retry-after": "0" }), json(200, { ...record, version: 2 }));
    const store = new HttpStore({ url: fake.url, token, retry: fast });
    try {
      expect((await store.update("prod", "api-credential", "cred_1", 1, {}, actor)).version).toBe(2);
      expect(fake.seen).toHaveLength(2);
    } finally {
      await store.close();
      await fake.close();
    }
  });

  test("a create whose answer was lost is retried with the same Idempotency-Key, and makes one record", async () => {
    const svc = await startTestService();
    const { token: writeToken } = await svc.token("prod", "write");
    const keys: string[] = [];
    let dropped = false;
    // A proxy that loses the first create's answer after the service has made the record.
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        if (req.method === "POST") keys.push(String(req.headers["idempotency-key"]));
        const upstream = await request(svc.url + (req.url ?? ""), {
          method: req.method as "POST",
          headers: {
            authorization: String(req.headers.authorization),
            "content-type": "application/json",
            ...(req.headers["idempotency-key"]
              ? { "idempotency-key": String(req.headers["idempotency-key"]) }
              : {}),
          },
          body: chunks.length ? Buffer.concat(chunks) : null,
        });
        const text = await upstream.body.text();
        if (req.method === "POST" && !dropped) {
          dropped = true;
          req.socket.destroy();
          return;
        }
        res.writeHead(upstream.statusCode, { "content-type": "application/json" }).end(text);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const store = new HttpStore({
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      token: writeToken,
      retry: fast,
    });
    try {
      const created = await store.create(credential("main"), actor);
      expect(keys).toHaveLength(2);
      expect(keys[0]).toBe(keys[1]);
      const stored = await svc.core.list("prod", "api-credential");
      expect(stored.map((r) => r.id)).toEqual([created.id]);
    } finally {
      await store.close();
      await new Promise((r) => proxy.close(r));
      await svc.close();
    }
  });

  test("backoff is full jitter under a growing, capped step", () => {
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0.999)).toBeLessThan(100);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999)).toBe(399);
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0.999)).toBe(1998);
    expect(backoffDelay(5, DEFAULT_BACKOFF, () => 0)).toBe(0);
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe("HttpStore errors", () => {
  let svc: TestService;
  let writer: string;
  const errors: StoreError[] = [];
  const tokens: string[] = [];
  const open = (token: string, more: Partial<HttpStoreOptions> = {}): HttpStore => {
    tokens.push(token);
    return new HttpStore({ url: svc.url, token, retry: fast, ...more });
  };
  const fails = async (p: Promise<unknown>): Promise<StoreError> => {
    const e = await failure(p);
    errors.push(e);
    return e;
  };
  beforeAll(async () => {
    svc = await startTestService({ maxBodyBytes: 2048 });
    writer = (await svc.token("prod", "write")).token;
  });
  afterAll(async () => {
    await svc.close();
    // Whatever went wrong, no error ever carried a token.
    const text = errors.map((e) => e.message + JSON.stringify(e.details ?? {})).join("\n");
    expect(errors.length).toBeGreaterThan(8);
    for (const t of tokens) expect(text).not.toContain(t);
  });

  test("401: the token was refused, check smschannels:storeToken", async () => {
    const store = open("smsst_" + randomBytes(32).toString("base64url"));
    const e = await fails(store.list("prod", "webhook"));
    expect(e.code).toBe("UNAUTHORIZED");
    expect(e.message).toContain("smschannels:storeToken");
    await store.close();
  });

  test("403: names the sandbox and scope needed, and how to make such a token", async () => {
    const dev = open((await svc.token("dev", "write")).token);
    const e = await fails(dev.create(credential("x"), actor));
    expect(e.code).toBe("FORBIDDEN");
    expect(e.message).toContain('sandbox "prod"');
    expect(e.message).toContain("token create --sandbox prod --scope write");
    const w = open(writer);
    const created = await w.create(credential("for-secret"), actor);
    const e2 = await fails(w.readSecret("prod", "api-credential", created.id, actor));
    expect(e2).toMatchObject({ code: "FORBIDDEN", details: { scope: "runtime" } });
    const runtime = open((await svc.token("prod", "runtime")).token);
    expect(await runtime.readSecret("prod", "api-credential", created.id, actor)).toHaveProperty("authToken");
    await Promise.all([dev.close(), w.close(), runtime.close()]);
  });

  test("404: a missing record is undefined or absent; a wrong URL is an error, never 'absent'", async () => {
    const w = open(writer);
    expect(await w.get("prod", "webhook", "whk_none")).toBeUndefined();
    expect(await w.delete("prod", "webhook", "whk_none", actor)).toBe("absent");
    const runtime = open((await svc.token("prod", "runtime")).token);
    expect(await runtime.readSecret("prod", "api-credential", "cred_none", actor)).toBeUndefined();
    await runtime.close();
    expect(await w.findByName("prod", "webhook", "none")).toBeUndefined();
    const e = await fails(
      w.create(
        {
          sandbox: "prod",
          kind: "webhook",
          name: "h",
          data: { type: "inbound", apiCredentialId: "cred_none" },
          refs: [{ kind: "api-credential", id: "cred_none" }],
        },
        actor,
      ),
    );
    expect(e.code).toBe("NOT_FOUND");
    const fake = await scripted((_req, res) =>
      res.writeHead(404, { "content-type": "text/html" }).end("<h1>nope</h1>"),
    );
    const lost = new HttpStore({ url: fake.url, token: writer, retry: fast });
    const e2 = await fails(lost.delete("prod", "webhook", "whk_1", actor));
    expect(e2.code).toBe("UNAVAILABLE");
    expect(e2.message).toContain("smschannels:storeUrl");
    await Promise.all([w.close(), lost.close(), fake.close()]);
  });

  test("409 keeps ALREADY_EXISTS and IN_USE with their details; 412 is CONFLICT with the current version", async () => {
    const w = open(writer);
    const first = await w.create(credential("dup"), actor);
    const e = await fails(w.create(credential("dup"), actor));
    expect(e).toMatchObject({ code: "ALREADY_EXISTS", details: { id: first.id } });
    await w.create(
      {
        sandbox: "prod",
        kind: "webhook",
        name: "uses-dup",
        data: { type: "inbound", apiCredentialId: first.id },
        refs: [{ kind: "api-credential", id: first.id }],
      },
      actor,
    );
    expect((await fails(w.delete("prod", "api-credential", first.id, actor))).code).toBe("IN_USE");
    await w.update("prod", "api-credential", first.id, 1, { data: credentialData({ n: 1 }) }, actor);
    const stale = await fails(
      w.update("prod", "api-credential", first.id, 1, { data: credentialData({ n: 2 }) }, actor),
    );
    expect(stale).toMatchObject({ code: "CONFLICT", details: { currentVersion: 2 } });
    await w.close();
  });

  test("413 is PAYLOAD_TOO_LARGE; 429 with a long wait is RATE_LIMITED with the delay", async () => {
    const w = open(writer);
    const big = {
      ...credential("big"),
      data: credentialData({ pad: "x".repeat(4096) }),
    };
    expect((await fails(w.create(big, actor))).code).toBe("PAYLOAD_TOO_LARGE");
    await w.close();
    const limited = await startTestService({ rateLimit: { perSecond: 0.1, burst: 1 } });
    const t = (await limited.token("prod", "read")).token;
    tokens.push(t);
    const store = new HttpStore({ url: limited.url, token: t, retry: fast });
    await store.list("prod", "webhook");
    const e = await fails(store.list("prod", "webhook"));
    expect(e).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterMs: 10000 } });
    expect(e.message).toContain("retry in 10 s");
    await store.close();
    await limited.close();
  });

  test("5xx and unreachable services are UNAVAILABLE, naming the URL", async () => {
    const fake = await scripted(json(500, { error: { code: "UNAVAILABLE", message: "internal error" } }));
    const store = new HttpStore({ url: fake.url, token: writer, retry: fast });
    const e = await fails(store.update("prod", "webhook", "whk_1", 1, {}, actor));
    expect(e).toMatchObject({ code: "UNAVAILABLE", details: { status: 500 } });
    expect(e.message).toContain(fake.url);
    await store.close();
    await fake.close();
    const gone = new HttpStore({ url: fake.url, token: writer, retry: { ...fast, maxAttempts: 2 } });
    const e2 = await fails(gone.list("prod", "webhook"));
    expect(e2.code).toBe("UNAVAILABLE");
    expect(e2.message).toContain(fake.url);
    await gone.close();
  });

  test("refuses clear-text http to other hosts, and keeps a base path", async () => {
    expect(() => new HttpStore({ url: "http://store.example.com", token: writer })).toThrow(/clear text/);
    expect(() => new HttpStore({ url: "https://store.example.com", token: "" })).toThrow(/storeToken/);
    const ok = new HttpStore({ url: "https://store.example.com", token: writer });
    await ok.close();
    const fake = await scripted(json(200, { items: [] }));
    const store = new HttpStore({ url: `${fake.url}/base/`, token: writer });
    expect(await store.list("prod", "webhook")).toEqual([]);
    expect(fake.paths).toEqual(["/base/v1/sandboxes/prod/webhooks"]);
    expect(fake.seen[0]?.authorization).toBe(`Bearer ${writer}`);
    await store.close();
    await fake.close();
  });
});
