/**
 * The shared store on PostgreSQL: two service replicas on one database with writers racing on the
 * same record, migrations by replicas that start together, and failures of the database itself.
 * Needs SMSCHANNELS_TEST_PG_URL; without it these are reported as skipped.
 */
import { randomBytes } from "node:crypto";
import { request } from "undici";
import {
  CoreStore,
  HttpStore,
  Keyring,
  openPostgresStore,
  PostgresBackend,
  PostgresTokenRepository,
  StoreError,
  StoreServer,
  TokenService,
} from "../../store";
import { POSTGRES_MIGRATIONS } from "../../store/postgres/migrations";
import { createTestDatabase, PG_SKIP_REASON, testPostgresUrl, type TestDatabase } from "../support/postgres";

const pgUrl = testPostgresUrl();
const describePg = pgUrl ? describe : describe.skip;
// Two service processes and a PostgreSQL on two cores: jest's 5 s default timed out under load
// (another test run beside this one), never on a quiet machine.
jest.setTimeout(30_000);
const title = (t: string): string => (pgUrl ? t : `${t} (${PG_SKIP_REASON})`);
const actor = { actor: "replica-test" };

describePg(title("two service replicas on one PostgreSQL"), () => {
  let db: TestDatabase;
  const replicas: { server: StoreServer; core: CoreStore; url: string }[] = [];
  let token: string;
  beforeAll(async () => {
    db = await createTestDatabase(pgUrl as string);
    const keyring = new Keyring([Buffer.from(Keyring.generateKeyText(), "base64")]);
    // Both start at once: the advisory lock lets one migrate while the other waits.
    const cores = await Promise.all([openPostgresStore(db.url, keyring), openPostgresStore(db.url, keyring)]);
    for (const core of cores) {
      const backend = core.backend as PostgresBackend;
      const server = new StoreServer({
        store: core,
        tokens: new TokenService(new PostgresTokenRepository(backend)),
        rateLimit: false,
      });
      replicas.push({ server, core, url: await server.listen(0) });
    }
    token = (
      await new TokenService(new PostgresTokenRepository(cores[0]?.backend as PostgresBackend)).create({
        sandbox: "prod",
        scopes: ["write"],
      })
    ).token;
  });
  afterAll(async () => {
    for (const r of replicas) {
      await r.server.shutdown();
      await r.core.close();
    }
    await db.drop();
  });

  test("writers of one record at one version, across replicas: one 200, the others 412, no lost update", async () => {
    const first = replicas[0] as (typeof replicas)[number];
    const created = await new HttpStore({ url: first.url, token }).create(
      {
        sandbox: "prod",
        kind: "api-credential",
        name: "raced",
        credentialType: "twilio-sms",
        data: { accountSid: "AC00000000000000000000000000000000", n: 0 },
      },
      actor,
    );
    const path = `/v1/sandboxes/prod/api-credentials/${created.id}`;
    for (let version = 1; version <= 10; version++) {
      const statuses = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const res = await request(`${replicas[i % 2]?.url}${path}`, {
            method: "PATCH",
            headers: {
              authorization: `Bearer ${token}`,
              "content-type": "application/json",
              "if-match": `"${version}"`,
            },
            body: JSON.stringify({
              data: { accountSid: "AC00000000000000000000000000000000", n: version, writer: i },
            }),
          });
          await res.body.dump();
          return res.statusCode;
        }),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 412)).toHaveLength(7);
    }
    const final = await first.core.get("prod", "api-credential", created.id);
    expect(final).toMatchObject({ version: 11, data: { n: 10 } });
    expect(
      (await first.core.auditLog(1000)).filter((e) => e.recordId === created.id && e.action === "update"),
    ).toHaveLength(10);
  });

  test("read-modify-write counters through both replicas lose no increment", async () => {
    const stores = replicas.map((r) => new HttpStore({ url: r.url, token }));
    const created = await stores[0]?.create(
      {
        sandbox: "prod",
        kind: "api-credential",
        name: "counter",
        credentialType: "twilio-sms",
        data: { accountSid: "AC00000000000000000000000000000000", count: 0 },
      },
      actor,
    );
    const id = created?.id as string;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        const store = stores[client % 2] as HttpStore;
        for (let done = 0; done < 10;) {
          const current = await store.get("prod", "api-credential", id);
          try {
            await store.update(
              "prod",
              "api-credential",
              id,
              current?.version ?? 0,
              {
                data: {
                  accountSid: "AC00000000000000000000000000000000",
                  count: (current?.data["count"] as number) + 1,
                },
              },
              actor,
            );
            done++;
          } catch (e) {
            if (!StoreError.is(e, "CONFLICT")) throw e;
            conflicts++;
          }
        }
      }),
    );
    const final = await stores[1]?.get("prod", "api-credential", id);
    expect(final).toMatchObject({ version: 81, data: { count: 80 } });
    expect(conflicts).toBeGreaterThan(0);
    await Promise.all(stores.map((s) => s.close()));
  });

  test("/readyz of each replica checks the database", async () => {
    for (const r of replicas) {
      const res = await request(`${r.url}/readyz`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
  });
});

describePg(title("PostgreSQL backend: migrations and failures"), () => {
  test("replicas starting together migrate once, under the advisory lock", async () => {
    const db = await createTestDatabase(pgUrl as string);
    try {
      const backends = await Promise.all(Array.from({ length: 4 }, () => PostgresBackend.open(db.url)));
      const { rows } = await (backends[0] as PostgresBackend).query<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      await Promise.all(backends.map((b) => b.close()));
    } finally {
      await db.drop();
    }
  });

  test("a schema newer than the package, or keys that cannot open the secrets, are refused at open", async () => {
    const db = await createTestDatabase(pgUrl as string);
    try {
      const key = new Keyring([randomBytes(32)]);
      const store = await openPostgresStore(db.url, key);
      await store.create(
        {
          sandbox: "prod",
          kind: "api-credential",
          name: "c",
          credentialType: "twilio-sms",
          data: { accountSid: "AC00000000000000000000000000000000" },
          secret: { t: "x" },
        },
        actor,
      );
      await (store.backend as PostgresBackend).query(
        "INSERT INTO schema_migrations VALUES (99, 'future', now())",
      );
      await store.close();
      await expect(PostgresBackend.open(db.url)).rejects.toMatchObject({
        code: "UNAVAILABLE",
        message: expect.stringContaining("newer"),
      });
    } finally {
      await db.drop();
    }
    const db2 = await createTestDatabase(pgUrl as string);
    try {
      const store = await openPostgresStore(db2.url, new Keyring([randomBytes(32)]));
      await store.create(
        {
          sandbox: "prod",
          kind: "api-credential",
          name: "c",
          credentialType: "twilio-sms",
          data: { accountSid: "AC00000000000000000000000000000000" },
          secret: { t: "x" },
        },
        actor,
      );
      await store.close();
      await expect(openPostgresStore(db2.url, new Keyring([randomBytes(32)]))).rejects.toMatchObject({
        code: "KEY_MISSING",
      });
    } finally {
      await db2.drop();
    }
  });

  test("an unreachable database is UNAVAILABLE, naming host and port but never the password", async () => {
    const password = randomBytes(12).toString("hex");
    const url = new URL(pgUrl as string);
    url.password = password;
    url.port = "1";
    const e = await PostgresBackend.open(url.toString()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ code: "UNAVAILABLE" });
    expect((e as Error).message).toContain("127.0.0.1:1");
    expect((e as Error).message).not.toContain(password);
  });
});

describePg(title("PostgreSQL backend: reads"), () => {
  test("a read of several statements is re-run in one snapshot; one of a single statement needs no transaction", async () => {
    const db = await createTestDatabase(pgUrl as string);
    const store = await openPostgresStore(db.url, new Keyring([randomBytes(32)]));
    try {
      const a = await store.create(
        {
          sandbox: "prod",
          kind: "api-credential",
          name: "a",
          credentialType: "twilio-sms",
          data: { accountSid: "AC00000000000000000000000000000000" },
        },
        actor,
      );
      const b = await store.create(
        {
          sandbox: "prod",
          kind: "api-credential",
          name: "b",
          credentialType: "twilio-sms",
          data: { accountSid: "AC00000000000000000000000000000000" },
        },
        actor,
      );
      const backend = store.backend as PostgresBackend;
      let runs = 0;
      const both = await backend.read(async (tx) => {
        runs++;
        return [await tx.getRecord(a.id), await tx.getRecord(b.id)];
      });
      expect(both.map((r) => r?.name)).toEqual(["a", "b"]);
      expect(runs).toBe(2);
      runs = 0;
      expect((await backend.read(async (tx) => (runs++, tx.getRecord(a.id))))?.name).toBe("a");
      expect(runs).toBe(1);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
