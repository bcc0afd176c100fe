/**
 * Attacks on the running store service, on SQLite and on PostgreSQL: each request is what an
 * attacker sends, each expectation the refusal.
 */
import { request } from "undici";
import { HttpStore } from "../../store";
import { PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";
import { startService, type Engine, type Service } from "./support";

const pgUrl = testPostgresUrl();
const engines: readonly Engine[] = pgUrl ? ["sqlite", "postgres"] : ["sqlite"];
if (!pgUrl) test.skip(`PostgreSQL attacks ${PG_SKIP_REASON}`, () => undefined);

async function call(
  svc: Service,
  method: string,
  path: string,
  token: string | undefined,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
  text: string;
}> {
  const res = await request(svc.url + path, {
    method: method as "GET",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.body.text();
  let json = {};
  try {
    json = JSON.parse(text) as object;
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, json, text };
}

const ACCOUNT_SID = "AC" + "0".repeat(32);
const credBody = (name: string, token = "x".repeat(32)) =>
  JSON.stringify({
    name,
    credentialType: "twilio-sms",
    data: { accountSid: ACCOUNT_SID },
    secret: { authToken: token },
  });

describe.each(engines)("the store service on %s", (engine) => {
  let svc: Service;
  let clock = Date.now();
  beforeEach(async () => {
    clock = Date.now();
    svc = await startService(engine, {
      now: () => new Date(clock),
      authFailureLimit: { perSecond: 0.001, burst: 5 },
      fingerprintRateLimit: { perSecond: 0.001, burst: 3 },
      ...(pgUrl ? { pgAdminUrl: pgUrl } : {}),
    });
  });
  afterEach(async () => svc.close());

  test("refs naming another sandbox's record: answered exactly as an id that does not exist", async () => {
    const prod = await svc.token("prod", "write", "read");
    const dev = await svc.token("dev", "write", "read");
    const made = await call(
      svc,
      "POST",
      "/v1/sandboxes/prod/api-credentials",
      prod.token,
      credBody("secret-name-prod"),
    );
    expect(made.status).toBe(201);
    const foreignId = made.json["id"] as string;
    const hook = (id: string) =>
      JSON.stringify({
        name: "h",
        data: { type: "inbound", apiCredentialId: id },
        refs: [{ kind: "api-credential", id }],
      });
    const foreign = await call(svc, "POST", "/v1/sandboxes/dev/webhooks", dev.token, hook(foreignId));
    const missingId = "cred_" + "0".repeat(24);
    const missing = await call(svc, "POST", "/v1/sandboxes/dev/webhooks", dev.token, hook(missingId));
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.text).not.toContain("secret-name-prod");
    expect(foreign.text).not.toContain('"prod"');
    const strip = (r: typeof foreign, id: string) => ({
      ...r.json.error,
      message: r.json.error?.message.replace(id, "ID"),
      requestId: undefined,
    });
    expect(strip(foreign, foreignId)).toEqual(strip(missing, missingId));
  });

  test("Idempotency-Key: another token or sandbox never gets the first answer; keys expire", async () => {
    const a = await svc.token("prod", "write");
    const b = await svc.token("prod", "write");
    const key = { "idempotency-key": "shared-key-0001" };
    const first = await call(
      svc,
      "POST",
      "/v1/sandboxes/prod/api-credentials",
      a.token,
      credBody("one"),
      key,
    );
    expect(first.status).toBe(201);
    // Token b, same key, same body: not a replay of a's record (it is a new create: name taken).
    const other = await call(
      svc,
      "POST",
      "/v1/sandboxes/prod/api-credentials",
      b.token,
      credBody("one"),
      key,
    );
    expect(other.status).toBe(409);
    expect(other.json.error?.code).toBe("ALREADY_EXISTS");
    // The same token replays...
    const replay = await call(
      svc,
      "POST",
      "/v1/sandboxes/prod/api-credentials",
      a.token,
      credBody("one"),
      key,
    );
    expect(replay.json["id"]).toBe(first.json["id"]);
    // ...until the key expires (a day later): then the create is done anew.
    clock += 25 * 60 * 60 * 1000;
    const late = await call(svc, "POST", "/v1/sandboxes/prod/api-credentials", a.token, credBody("one"), key);
    expect(late.json.error?.code).toBe("ALREADY_EXISTS");
  });

  test("JSON nested thousands deep, and NUL bytes, are 400s", async () => {
    const w = await svc.token("prod", "write");
    const deep = `{"name":"d","credentialType":"twilio-sms","data":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const r1 = await call(svc, "POST", "/v1/sandboxes/prod/api-credentials", w.token, deep);
    expect(r1.status).toBe(400);
    const deepObj = `{"name":"d","credentialType":"twilio-sms","data":${'{"a":'.repeat(3000)}1${"}".repeat(3000)}}`;
    expect((await call(svc, "POST", "/v1/sandboxes/prod/api-credentials", w.token, deepObj)).status).toBe(
      400,
    );
    const nul = JSON.stringify({ name: "n\u0000ul", credentialType: "twilio-sms", data: { x: "a\u0000b" } });
    expect((await call(svc, "POST", "/v1/sandboxes/prod/api-credentials", w.token, nul)).status).toBe(400);
    expect((await call(svc, "GET", "/v1/sandboxes/prod/api-credentials/cred%00x", w.token)).status).toBe(400);
    expect((await call(svc, "GET", "/v1/sandboxes/prod/api-credentials?name=a%00b", w.token)).status).toBe(
      400,
    );
  });

  test("a body that is not declared application/json is 415", async () => {
    const w = await svc.token("prod", "write");
    const r = await call(svc, "POST", "/v1/sandboxes/prod/api-credentials", w.token, credBody("t"), {
      "content-type": "text/plain",
    });
    expect(r.status).toBe(415);
  });

  test("failed authentications are limited per client address; a valid token from there still passes", async () => {
    const good = await svc.token("prod", "read");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await call(svc, "GET", "/v1/sandboxes/prod/api-credentials", `guess-${i}`)).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    // Behind a TLS proxy every client shares one address: a stream of bad tokens from anyone there
    // must not lock out the pipelines whose tokens are good.
    for (let i = 0; i < 3; i++) {
      expect((await call(svc, "GET", "/v1/sandboxes/prod/api-credentials", good.token)).status).toBe(200);
      const bad = await call(svc, "GET", "/v1/sandboxes/prod/api-credentials", `guess-again-${i}`);
      expect(bad.status).toBe(429);
      expect(bad.json.error?.message).toMatch(/too many failed authentications from this address/);
    }
    // A well-formed token that is unknown or revoked counts as a failure too, and is refused alike.
    const revoked = await svc.token("prod", "read");
    await svc.revoke(revoked.id);
    expect((await call(svc, "GET", "/v1/token", revoked.token)).status).toBe(429);
  });

  test("the fingerprint oracle: write scope only, per sandbox, rate limited", async () => {
    const read = await svc.token("prod", "read");
    const write = await svc.token("prod", "write");
    const body = JSON.stringify({ kind: "api-credential", secret: { authToken: "guess" } });
    expect((await call(svc, "POST", "/v1/sandboxes/prod/fingerprints", read.token, body)).status).toBe(403);
    expect((await call(svc, "POST", "/v1/sandboxes/dev/fingerprints", write.token, body)).status).toBe(403);
    const ok = await call(svc, "POST", "/v1/sandboxes/prod/fingerprints", write.token, body);
    expect(ok.status).toBe(200);
    expect(ok.json["secretFingerprint"]).toMatch(/^[0-9a-f]{16}$/);
    await call(svc, "POST", "/v1/sandboxes/prod/fingerprints", write.token, body);
    await call(svc, "POST", "/v1/sandboxes/prod/fingerprints", write.token, body);
    expect((await call(svc, "POST", "/v1/sandboxes/prod/fingerprints", write.token, body)).status).toBe(429);
  });

  test("fingerprint guesses: each answered one audited, the rest 429 past the burst; never the secret or fingerprint in the log", async () => {
    const write = await svc.token("prod", "write");
    const guess = (i: number) =>
      JSON.stringify({ kind: "api-credential", secret: { authToken: `guess-${i}` } });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(svc, "POST", "/v1/sandboxes/prod/fingerprints", write.token, guess(i)),
      ),
    );
    const answered = answers.filter((a) => a.status === 200);
    expect(answered).toHaveLength(3);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(37);
    const audit = (await svc.core.auditLog(100)).filter((e) => e.action === "fingerprint");
    expect(audit).toHaveLength(3);
    for (const e of audit) {
      expect(e).toMatchObject({
        actor: `token:${write.id}`,
        sandbox: "prod",
        kind: "api-credential",
        recordId: "",
      });
    }
    const logText = JSON.stringify(await svc.core.auditLog(100));
    expect(logText).not.toContain("guess-");
    for (const a of answered) expect(logText).not.toContain(String(a.json["secretFingerprint"]));
  });

  test("fingerprints: the secret state already names is given back to the budget and not audited; a spent budget refuses every guess alike", async () => {
    const write = await svc.token("prod", "write");
    const secret = { authToken: "y".repeat(32) };
    const inState = await svc.core.fingerprint("prod", "api-credential", secret);
    const body = JSON.stringify({ kind: "api-credential", secret });
    const path = "/v1/sandboxes/prod/fingerprints";
    const naming = (fp: string) => ({ "x-smschannels-state-fingerprint": fp });
    // A preview of many unchanged resources (burst 3): every one answered, none audited, nothing spent.
    for (let i = 0; i < 20; i++) {
      const r = await call(svc, "POST", path, write.token, body, naming(inState));
      expect(r.status).toBe(200);
      expect(r.json["secretFingerprint"]).toBe(inState);
    }
    // Concurrent ones too: each takes from the budget before it is answered, and gives it back.
    const together = await Promise.all(
      Array.from({ length: 3 }, () => call(svc, "POST", path, write.token, body, naming(inState))),
    );
    expect(together.map((r) => r.status)).toEqual([200, 200, 200]);
    // The provider's client names state's fingerprint itself.
    const client = new HttpStore({ url: svc.url, token: write.token });
    try {
      await expect(client.fingerprint("prod", "api-credential", secret, inState)).resolves.toBe(inState);
    } finally {
      await client.close();
    }
    expect((await svc.core.auditLog(100)).filter((e) => e.action === "fingerprint")).toHaveLength(0);
    // Secrets that changed since state are guesses: the whole budget (3) is theirs, each audited.
    for (let i = 0; i < 3; i++) {
      expect((await call(svc, "POST", path, write.token, body, naming("0".repeat(16)))).status).toBe(200);
    }
    expect((await svc.core.auditLog(100)).filter((e) => e.action === "fingerprint")).toHaveLength(3);
    // Spent: a right guess naming the fingerprint it would match is refused like a wrong one. Were
    // only misses charged, 200 against 429 would tell right from wrong with no limit at all.
    const right = await call(svc, "POST", path, write.token, body, naming(inState));
    const wrong = await call(svc, "POST", path, write.token, body, naming("0".repeat(16)));
    expect([right.status, wrong.status]).toEqual([429, 429]);
    expect((right.json["error"] as { code: string }).code).toBe("RATE_LIMITED");
    expect((wrong.json["error"] as { code: string }).code).toBe("RATE_LIMITED");
    expect(right.json["secretFingerprint"]).toBeUndefined();
    expect((await svc.core.auditLog(100)).filter((e) => e.action === "fingerprint")).toHaveLength(3);
    const bad = await call(svc, "POST", path, write.token, body, naming("not-a-fingerprint"));
    expect(bad.status).toBe(400);
  });

  test('record data is held to the provider\'s schema: an rcs channel spelled "RCS" or "rcs " on a Twilio SMS credential is 400 naming the field', async () => {
    const w = await svc.token("prod", "write", "read");
    const made = await call(svc, "POST", "/v1/sandboxes/prod/api-credentials", w.token, credBody("sms"));
    expect(made.status).toBe(201);
    const credId = made.json["id"] as string;
    const channel = (name: string, ch: string) =>
      JSON.stringify({
        name,
        data: {
          channel: ch,
          messageType: "marketing",
          apiCredentialId: credId,
          senderNumber: "+14155550100",
        },
        refs: [{ kind: "api-credential", id: credId }],
      });
    const path = "/v1/sandboxes/prod/channel-configurations";
    for (const ch of ["RCS", "rcs ", "Rcs"]) {
      const r = await call(svc, "POST", path, w.token, channel("promo", ch));
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ code: "INVALID_INPUT", field: "data.channel" });
      expect(r.json.error?.message).toContain('data.channel: must be "sms", "mms" or "rcs"');
    }
    // The name format of the provider too, and the lowercase rcs is still the rcs rule's (409-ish, not 400).
    const badName = await call(svc, "POST", path, w.token, channel("1 promo", "sms"));
    expect(badName.status).toBe(400);
    expect(badName.json.error).toMatchObject({ code: "INVALID_INPUT", field: "name" });
    const rcs = await call(svc, "POST", path, w.token, channel("promo", "rcs"));
    expect(rcs.json.error).toMatchObject({ code: "RULE_VIOLATION", field: "apiCredential" });
    // An update cannot slip it in either.
    const sms = await call(svc, "POST", path, w.token, channel("promo", "sms"));
    expect(sms.status).toBe(201);
    const patched = await call(
      svc,
      "PATCH",
      `${path}/${sms.json["id"] as string}`,
      w.token,
      JSON.stringify({ data: { ...JSON.parse(channel("x", "RCS")).data } }),
      { "if-match": '"1"' },
    );
    expect(patched.status).toBe(400);
    expect(patched.json.error).toMatchObject({ code: "INVALID_INPUT", field: "data.channel" });
    // The embedded store (the same core, without HTTP) refuses it the same way.
    await expect(
      svc.core.create(
        {
          sandbox: "prod",
          kind: "channel-configuration",
          name: "direct",
          data: {
            channel: "RCS",
            messageType: "marketing",
            apiCredentialId: credId,
            senderNumber: "+14155550100",
          },
          refs: [{ kind: "api-credential", id: credId }],
        },
        { actor: "test" },
      ),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", field: "data.channel" });
  });

  test("the audit log names the person or pipeline behind the token (HttpStore sends the actor)", async () => {
    const w = await svc.token("prod", "write");
    const store = new HttpStore({ url: svc.url, token: w.token });
    try {
      await store.create(
        {
          sandbox: "prod",
          kind: "api-credential",
          name: "a",
          credentialType: "twilio-sms",
          data: { accountSid: ACCOUNT_SID },
        },
        { actor: "pulumi:alice@ci-runner-7" },
      );
    } finally {
      await store.close();
    }
    const log = await svc.core.auditLog(10);
    expect(log.at(-1)?.actor).toBe(`token:${w.id} (pulumi:alice@ci-runner-7)`);
  });
});

describe("the database's address is never told to unauthenticated callers", () => {
  test("/readyz and 401s while PostgreSQL is down say only 'unavailable'", async () => {
    if (!pgUrl) return;
    const svc = await startService("postgres", { pgAdminUrl: pgUrl });
    const where = new URL(pgUrl);
    // The database goes away under the service.
    await svc.backend.close();
    try {
      const ready = await call(svc, "GET", "/readyz", undefined);
      expect(ready.status).toBe(503);
      expect(ready.json.error?.message).toBe("unavailable");
      const unauth = await call(svc, "GET", "/v1/sandboxes/prod/api-credentials", "not-a-token");
      for (const r of [ready, unauth]) {
        expect(r.text).not.toContain(where.hostname);
        expect(r.text).not.toContain(where.port);
        expect(r.text.toLowerCase()).not.toContain("postgres");
      }
    } finally {
      await svc.close().catch(() => undefined);
    }
  });
});
