/**
 * The embedded store: CoreStore over the SQLite backend. Migrations, file modes and the key file,
 * encryption at rest, optimistic concurrency (in one process and across processes), the audit log,
 * and crash safety under SIGKILL.
 */
import { credentialData } from "../support/store-contract";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { CoreStore } from "../../store/core";
import { Fingerprinter, Keyring, keyIdOf, legacyFingerprint } from "../../store/crypto";
import { keyFileFor, openEmbeddedStore } from "../../store/embedded";
import { StoreError, type StoreErrorCode } from "../../store/errors";
import { SqliteBackend } from "../../store/sqlite/backend";
import { SQLITE_MIGRATIONS } from "../../store/sqlite/migrations";
import type { RecordInput, StoredRecord } from "../../store/types";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const CHILD = path.join(__dirname, "fixtures", "store-child.ts");
const ACTOR = { actor: "test:unit" };

let root: string;
const open: { close(): Promise<void> }[] = [];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-sqlite-"));
});

afterEach(async () => {
  for (const s of open.splice(0).reverse()) await s.close().catch(() => undefined);
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let dirCounter = 0;
/** A fresh folder (not yet created) for one test's store. */
function freshDir(): string {
  return path.join(root, `t${++dirCounter}`, "nested");
}

function track<T extends { close(): Promise<void> }>(s: T): T {
  open.push(s);
  return s;
}

async function embedded(file: string, key?: string, warn?: (m: string) => void): Promise<CoreStore> {
  return track(await openEmbeddedStore({ path: file, ...(key ? { key } : {}), ...(warn ? { warn } : {}) }));
}

function core(file: string, keyring: Keyring, busyTimeoutMs?: number): CoreStore {
  return track(
    new CoreStore(new SqliteBackend(file, busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}), keyring),
  );
}

const randomSecret = () => randomBytes(24).toString("hex");

function credential(
  name: string,
  secret: Record<string, unknown> | undefined,
  extra: Partial<RecordInput> = {},
): RecordInput {
  return {
    sandbox: "prod",
    kind: "api-credential",
    name,
    credentialType: "twilio-sms",
    data: { accountSid: `AC${randomBytes(16).toString("hex")}` },
    ...(secret ? { secret } : {}),
    ...extra,
  };
}

async function storeError(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!StoreError.isInstance(e))
    throw new Error(
      `expected StoreError ${code}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  expect(e.code).toBe(code);
  return e;
}

function raw(file: string): Database.Database {
  const db = new Database(file);
  open.push({ close: async () => void (db.open && db.close()) });
  return db;
}

function count(db: Database.Database, table: string): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

describe("migrations", () => {
  it("a fresh store gets every numbered migration once, in order", async () => {
    const file = path.join(freshDir(), "store.db");
    await (await embedded(file)).close();
    const db = raw(file);
    const rows = db
      .prepare("SELECT version, description, applied_at FROM schema_migrations ORDER BY version")
      .all() as {
      version: number;
      description: string;
      applied_at: string;
    }[];
    expect(rows.map((r) => r.version)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
    expect(rows.map((r) => r.description)).toEqual(SQLITE_MIGRATIONS.map((m) => m.description));
    for (const r of rows) expect(Number.isNaN(Date.parse(r.applied_at))).toBe(false);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        "records",
        "record_refs",
        "audit_log",
        "idempotency_keys",
        "schema_migrations",
      ]),
    );
  });

  it("reopening applies nothing twice", async () => {
    const file = path.join(freshDir(), "store.db");
    await (await embedded(file)).close();
    const before = raw(file).prepare("SELECT * FROM schema_migrations ORDER BY version").all();
    await (await embedded(file)).close();
    await (await embedded(file)).close();
    expect(raw(file).prepare("SELECT * FROM schema_migrations ORDER BY version").all()).toEqual(before);
  });

  it("applies a new migration once on an existing store, keeping its data", async () => {
    const file = path.join(freshDir(), "store.db");
    const keyring = Keyring.parse(Keyring.generateKeyText());
    const s = core(file, keyring);
    const rec = await s.create(credential("kept", { authToken: randomSecret() }), ACTOR);
    await s.close();
    const next = SQLITE_MIGRATIONS.length + 1;
    // Not idempotent SQL: a second run would fail with "table extra already exists".
    const migrations = [
      ...SQLITE_MIGRATIONS,
      { version: next, description: "extra", sql: "CREATE TABLE extra (x INTEGER)" },
    ];
    await new SqliteBackend(file, { migrations }).close();
    await new SqliteBackend(file, { migrations }).close();
    const db = raw(file);
    expect(
      (
        db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[]
      ).map((r) => r.version),
    ).toEqual(migrations.map((m) => m.version));
    expect(count(db, "extra")).toBe(0);
    db.close();
    const again = track(new CoreStore(new SqliteBackend(file, { migrations }), keyring));
    expect((await again.get("prod", "api-credential", rec.id))?.name).toBe("kept");
  });

  it("a failing migration leaves neither its tables nor its row", async () => {
    const file = path.join(freshDir(), "store.db");
    await new SqliteBackend(file).close();
    const next = SQLITE_MIGRATIONS.length + 1;
    const broken = [
      ...SQLITE_MIGRATIONS,
      { version: next, description: "broken", sql: "CREATE TABLE half (x); THIS IS NOT SQL;" },
    ];
    expect(() => new SqliteBackend(file, { migrations: broken })).toThrow();
    const db = raw(file);
    expect((db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number }).v).toBe(
      SQLITE_MIGRATIONS.length,
    );
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
  });

  it("refuses a store whose schema is newer than this package, with a clear error", async () => {
    const file = path.join(freshDir(), "store.db");
    const newer = SQLITE_MIGRATIONS.length + 5;
    await new SqliteBackend(file, {
      migrations: [
        ...SQLITE_MIGRATIONS,
        { version: newer, description: "from the future", sql: "CREATE TABLE future (x)" },
      ],
    }).close();
    let caught: unknown;
    try {
      new SqliteBackend(file);
    } catch (e) {
      caught = e;
    }
    expect(StoreError.isInstance(caught)).toBe(true);
    const e = caught as StoreError;
    expect(e.code).toBe("UNAVAILABLE");
    expect(e.message).toContain(`schema is at version ${newer}`);
    expect(e.message).toContain(`(${SQLITE_MIGRATIONS.length})`);
    expect(e.message).toMatch(/upgrade pulumi-sms-channels/);
    // Through the embedded store too.
    await storeError(openEmbeddedStore({ path: file, key: Keyring.generateKeyText() }), "UNAVAILABLE");
  });

  // See the report: the SqliteBackend constructor leaves the connection open when `migrate` throws.
  it("closes the database file when it refuses to open", async () => {
    const file = path.join(freshDir(), "store.db");
    await new SqliteBackend(file, {
      migrations: [
        ...SQLITE_MIGRATIONS,
        { version: 999, description: "future", sql: "CREATE TABLE future (x)" },
      ],
    }).close();
    const fdsOn = () =>
      fs.readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
        } catch {
          return false;
        }
      }).length;
    expect(fdsOn()).toBe(0);
    expect(() => new SqliteBackend(file)).toThrow(/newer than this package/);
    expect(fdsOn()).toBe(0);
  });
});

describe("files, modes and the key file", () => {
  it("creates the folder 0700, and the db, -wal, -shm and key file 0600, even under a permissive umask", async () => {
    const dir = freshDir();
    const file = path.join(dir, "store.db");
    const warnings: string[] = [];
    const old = process.umask(0o000);
    let s: CoreStore;
    try {
      s = await embedded(file, undefined, (m) => warnings.push(m));
      await s.create(credential("modes", { authToken: randomSecret() }), ACTOR);
    } finally {
      process.umask(old);
    }
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
    const keyFile = keyFileFor(file);
    expect(keyFile).toBe(path.join(dir, "store.key"));
    expect(mode(keyFile)).toBe(0o600);
    expect(fs.readFileSync(keyFile, "utf8").trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(warnings.join("\n")).toContain(`generated a new key file ${keyFile}`);
  });

  it("keeps 0600 on -wal and -shm recreated after a reopen", async () => {
    const file = path.join(freshDir(), "store.db");
    await (await embedded(file)).close();
    // A clean close checkpoints and removes the WAL.
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const old = process.umask(0o000);
    try {
      const s = await embedded(file);
      await s.create(credential("again", { authToken: randomSecret() }), ACTOR);
    } finally {
      process.umask(old);
    }
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  });

  it("reuses its key file: secrets written before a reopen still open, and the key file is unchanged", async () => {
    const file = path.join(freshDir(), "store.db");
    const secret = { authToken: randomSecret() };
    const s1 = await embedded(file);
    const rec = await s1.create(credential("reuse", secret), ACTOR);
    await s1.close();
    const keyText = fs.readFileSync(keyFileFor(file), "utf8");
    const warnings: string[] = [];
    const s2 = await embedded(file, undefined, (m) => warnings.push(m));
    expect(await s2.readSecret("prod", "api-credential", rec.id, ACTOR)).toEqual(secret);
    expect(fs.readFileSync(keyFileFor(file), "utf8")).toBe(keyText);
    expect(warnings.join("\n")).toContain("encrypted with the key file");
  });

  it("writes no key file when a storeKey is configured", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file, Keyring.generateKeyText());
    await s.create(credential("configured", { authToken: randomSecret() }), ACTOR);
    expect(fs.existsSync(keyFileFor(file))).toBe(false);
  });

  it.each([
    ["644", 0o644],
    ["640", 0o640],
    ["604", 0o604],
  ])("refuses a key file with mode %s", async (_label, m) => {
    const file = path.join(freshDir(), "store.db");
    await (await embedded(file)).close();
    fs.chmodSync(keyFileFor(file), m);
    const e = await storeError(openEmbeddedStore({ path: file }), "INVALID_INPUT");
    expect(e.field).toBe("storeKey");
    expect(e.message).toContain("readable by other users");
    expect(e.message).toContain(`chmod 600 ${keyFileFor(file)}`);
  });

  it("refuses a store holding secrets whose key file is gone, rather than making a new key", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    await s.create(credential("orphan", { authToken: randomSecret() }), ACTOR);
    await s.close();
    fs.rmSync(keyFileFor(file));
    const e = await storeError(openEmbeddedStore({ path: file }), "KEY_MISSING");
    expect(e.message).toContain(keyFileFor(file));
    expect(fs.existsSync(keyFileFor(file))).toBe(false);
  });

  it("a store without secrets may get a new key file", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    await s.create(credential("no-secret", undefined), ACTOR);
    await s.close();
    fs.rmSync(keyFileFor(file));
    await (await embedded(file)).close();
    expect(mode(keyFileFor(file))).toBe(0o600);
  });

  it("refuses a configured key that does not open the stored secrets", async () => {
    const file = path.join(freshDir(), "store.db");
    const k1 = Keyring.generateKeyText();
    const s = await embedded(file, k1);
    await s.create(credential("sealed", { authToken: randomSecret() }), ACTOR);
    await s.close();
    const e = await storeError(
      openEmbeddedStore({ path: file, key: Keyring.generateKeyText() }),
      "KEY_MISSING",
    );
    expect(e.message).toContain(keyIdOf(Buffer.from(k1, "base64")));
    expect(e.message).not.toContain(k1);
  });
});

describe("encryption at rest", () => {
  function bytesOf(file: string): Buffer {
    return Buffer.concat(
      [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
    );
  }

  it("never writes a secret's plaintext to the db or its WAL, while the data is stored in clear", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const token = randomSecret();
    const apiKeySecret = randomSecret();
    const marker = `visible-${randomBytes(8).toString("hex")}`;
    const a = await s.create(
      credential("a", { authToken: token }, { data: credentialData({ marker }) }),
      ACTOR,
    );
    await s.create(credential("b", { apiKeySecret }), ACTOR);
    await s.update("prod", "api-credential", a.id, 1, { secret: { authToken: `${token}-v2` } }, ACTOR);
    await s.readSecret("prod", "api-credential", a.id, ACTOR);
    // While open: data sits in the WAL.
    let bytes = bytesOf(file);
    expect(bytes.includes(marker)).toBe(true); // the scan does see stored text
    for (const plain of [token, apiKeySecret]) {
      expect(bytes.includes(plain)).toBe(false);
      expect(bytes.includes(Buffer.from(plain).toString("base64"))).toBe(false);
    }
    const db = raw(file);
    const rows = db.prepare("SELECT * FROM records").all() as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(db.prepare("SELECT * FROM audit_log").all())).not.toContain(token);
    db.close();
    await s.close();
    // After the checkpoint at close: the db file alone.
    bytes = bytesOf(file);
    expect(bytes.includes(marker)).toBe(true);
    expect(bytes.includes(token)).toBe(false);
    expect(bytes.includes(apiKeySecret)).toBe(false);
  });

  it("seals the same secret twice into different ciphertexts (random nonce), with one fingerprint", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const secret = { authToken: randomSecret() };
    const a = await s.create(credential("same-1", secret), ACTOR);
    const b = await s.create(credential("same-2", secret), ACTOR);
    const db = raw(file);
    const get = (id: string) =>
      db
        .prepare(
          "SELECT secret_ciphertext AS c, secret_nonce AS n, secret_key_id AS k FROM records WHERE id = ?",
        )
        .get(id) as {
        c: Buffer;
        n: Buffer;
        k: string;
      };
    const ra = get(a.id);
    const rb = get(b.id);
    expect(ra.n).toHaveLength(12);
    expect(ra.n.equals(rb.n)).toBe(false);
    expect(ra.c.equals(rb.c)).toBe(false);
    // AES-GCM: ciphertext of the JSON plus a 16-byte tag.
    expect(ra.c).toHaveLength(Buffer.byteLength(JSON.stringify(secret)) + 16);
    expect(ra.k).toBe(rb.k);
    expect(a.secretFingerprint).toBe(await s.fingerprint("prod", "api-credential", secret));
    expect(a.secretFingerprint).not.toBe(legacyFingerprint(secret));
    expect(b.secretFingerprint).toBe(a.secretFingerprint);
  });

  it("a tampered ciphertext, nonce or key id does not open: CORRUPT or KEY_MISSING, never garbage", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const recs = await Promise.all(
      ["t1", "t2", "t3"].map((n) => s.create(credential(n, { authToken: randomSecret() }), ACTOR)),
    );
    const db = raw(file);
    const row = (id: string) =>
      db.prepare("SELECT secret_ciphertext AS c, secret_nonce AS n FROM records WHERE id = ?").get(id) as {
        c: Buffer;
        n: Buffer;
      };
    const c = Buffer.from(row(recs[0]!.id).c);
    c[3] = c[3]! ^ 0x01;
    db.prepare("UPDATE records SET secret_ciphertext = ? WHERE id = ?").run(c, recs[0]!.id);
    const n = Buffer.from(row(recs[1]!.id).n);
    n[0] = n[0]! ^ 0x80;
    db.prepare("UPDATE records SET secret_nonce = ? WHERE id = ?").run(n, recs[1]!.id);
    db.prepare("UPDATE records SET secret_key_id = ? WHERE id = ?").run("0123456789abcdef", recs[2]!.id);
    const e1 = await storeError(s.readSecret("prod", "api-credential", recs[0]!.id, ACTOR), "CORRUPT");
    expect(e1.message).toMatch(/integrity check/);
    await storeError(s.readSecret("prod", "api-credential", recs[1]!.id, ACTOR), "CORRUPT");
    const e3 = await storeError(s.readSecret("prod", "api-credential", recs[2]!.id, ACTOR), "KEY_MISSING");
    expect(e3.message).toContain("0123456789abcdef");
  });

  it("a sealed secret moved onto another record does not open there (bound to its record)", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const a = await s.create(credential("victim", { authToken: randomSecret() }), ACTOR);
    const b = await s.create(credential("attacker", { authToken: randomSecret() }), ACTOR);
    const db = raw(file);
    db.prepare(
      `UPDATE records SET (secret_ciphertext, secret_nonce, secret_key_id) =
         (SELECT secret_ciphertext, secret_nonce, secret_key_id FROM records WHERE id = @from) WHERE id = @to`,
    ).run({ from: a.id, to: b.id });
    await storeError(s.readSecret("prod", "api-credential", b.id, ACTOR), "CORRUPT");
    // The original still opens.
    expect(await s.readSecret("prod", "api-credential", a.id, ACTOR)).toHaveProperty("authToken");
  });

  it("rotates keys: new,old opens old records and seals new ones with the new key", async () => {
    const file = path.join(freshDir(), "store.db");
    const oldKey = Keyring.generateKeyText();
    const newKey = Keyring.generateKeyText();
    const oldId = keyIdOf(Buffer.from(oldKey, "base64"));
    const newId = keyIdOf(Buffer.from(newKey, "base64"));
    const oldSecret = { authToken: randomSecret() };
    const s1 = await embedded(file, oldKey);
    const a = await s1.create(credential("before", oldSecret), ACTOR);
    await s1.close();

    // Only the new key: refused, since records are still sealed with the old one.
    const refused = await storeError(openEmbeddedStore({ path: file, key: newKey }), "KEY_MISSING");
    expect(refused.message).toContain(oldId);

    const s2 = await embedded(file, `${newKey}, ${oldKey}`);
    expect(await s2.readSecret("prod", "api-credential", a.id, ACTOR)).toEqual(oldSecret);
    const b = await s2.create(credential("after", { authToken: randomSecret() }), ACTOR);
    const keyIds = () =>
      Object.fromEntries(
        (
          raw(file).prepare("SELECT id, secret_key_id AS k FROM records").all() as { id: string; k: string }[]
        ).map((r) => [r.id, r.k]),
      );
    expect(keyIds()).toEqual({ [a.id]: oldId, [b.id]: newId });
    // Rewriting the old record's secret moves it to the new key...
    const rotated = { authToken: randomSecret() };
    await s2.update("prod", "api-credential", a.id, 1, { secret: rotated }, ACTOR);
    expect(keyIds()).toEqual({ [a.id]: newId, [b.id]: newId });
    await s2.close();
    // ...after which the old key can go.
    const s3 = await embedded(file, newKey);
    expect(await s3.readSecret("prod", "api-credential", a.id, ACTOR)).toEqual(rotated);
  });

  it("the keyed fingerprint is a stable 16-hex-char digest, independent of key order", () => {
    const t = randomSecret();
    const fingerprinter = new Fingerprinter(randomBytes(32));
    const fingerprintSecret = (secret: Record<string, unknown>): string =>
      fingerprinter.of("prod", "api-credential", secret);
    const fp = fingerprintSecret({ authToken: t, extra: { b: 2, a: [1, { y: 1, x: 2 }] } });
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintSecret({ extra: { a: [1, { x: 2, y: 1 }], b: 2 }, authToken: t })).toBe(fp);
    expect(
      fingerprintSecret({ authToken: t, extra: { b: 2, a: [1, { y: 1, x: 2 }] }, gone: undefined }),
    ).toBe(fp);
    expect(fingerprintSecret({ authToken: `${t}x`, extra: { b: 2, a: [1, { y: 1, x: 2 }] } })).not.toBe(fp);
    // Array order matters.
    expect(fingerprintSecret({ authToken: t, extra: { b: 2, a: [{ y: 1, x: 2 }, 1] } })).not.toBe(fp);
    expect(fp).not.toContain(t.slice(0, 8));
    // Another store's key, another sandbox or kind: another fingerprint.
    const secret = { authToken: t };
    expect(new Fingerprinter(randomBytes(32)).of("prod", "api-credential", secret)).not.toBe(
      fingerprintSecret(secret),
    );
    expect(fingerprinter.of("dev", "api-credential", secret)).not.toBe(fingerprintSecret(secret));
    expect(fingerprinter.of("prod", "webhook", secret)).not.toBe(fingerprintSecret(secret));
  });
});

describe("optimistic concurrency", () => {
  it("an update from a stale version is a CONFLICT carrying the current version, and writes nothing", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const rec = await s.create(
      credential("c", { authToken: randomSecret() }, { data: credentialData({ v: "one" }) }),
      ACTOR,
    );
    const two = await s.update(
      "prod",
      "api-credential",
      rec.id,
      1,
      { data: credentialData({ v: "two" }) },
      ACTOR,
    );
    expect(two.version).toBe(2);
    const e = await storeError(
      s.update("prod", "api-credential", rec.id, 1, { data: credentialData({ v: "stale" }) }, ACTOR),
      "CONFLICT",
    );
    expect(e.details).toEqual({ currentVersion: 2 });
    expect(e.message).toContain("version 1 expected, 2 found");
    const now = await s.get("prod", "api-credential", rec.id);
    expect(now?.version).toBe(2);
    expect(now?.data).toMatchObject({ v: "two" });
  });

  it("of two CoreStore instances on one file updating from the same version, exactly one wins", async () => {
    const file = path.join(freshDir(), "store.db");
    const keyring = Keyring.parse(Keyring.generateKeyText());
    const a = core(file, keyring);
    const b = core(file, keyring);
    const rec = await a.create(credential("shared", { authToken: randomSecret() }), ACTOR);
    // b reads it, a writes, then b writes from what it read.
    const seenByB = await b.get("prod", "api-credential", rec.id);
    await a.update(
      "prod",
      "api-credential",
      rec.id,
      1,
      { data: credentialData({ by: "a" }) },
      { actor: "a" },
    );
    const e = await storeError(
      b.update(
        "prod",
        "api-credential",
        rec.id,
        seenByB!.version,
        { data: credentialData({ by: "b" }) },
        { actor: "b" },
      ),
      "CONFLICT",
    );
    expect(e.details).toEqual({ currentVersion: 2 });
    expect((await b.get("prod", "api-credential", rec.id))?.data).toMatchObject({ by: "a" });
  });

  /** `a` and `b` update one record from version 1 at once. */
  const raceToUpdate = (a: CoreStore, b: CoreStore, id: string) =>
    Promise.allSettled([
      a.update("prod", "api-credential", id, 1, { data: credentialData({ by: "a" }) }, { actor: "a" }),
      b.update("prod", "api-credential", id, 1, { data: credentialData({ by: "b" }) }, { actor: "b" }),
    ]);

  it("two instances in one process racing at once: exactly one update lands", async () => {
    const file = path.join(freshDir(), "store.db");
    const keyring = Keyring.parse(Keyring.generateKeyText());
    const a = core(file, keyring, 300);
    const b = core(file, keyring, 300);
    const rec = await a.create(credential("race", { authToken: randomSecret() }), ACTOR);
    const results = await raceToUpdate(a, b, rec.id);
    const won = results.filter((r): r is PromiseFulfilledResult<StoredRecord> => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(won[0]!.value.version).toBe(2);
    const stored = await a.get("prod", "api-credential", rec.id);
    expect(stored?.version).toBe(2);
    expect(stored?.data).toEqual(won[0]!.value.data);
  });

  // See the report: a second connection in the same process blocks the event loop in SQLite's busy
  // handler while the first transaction awaits, then fails with a raw SqliteError (SQLITE_BUSY)
  it("two instances in one process racing at once: the loser gets a StoreError (CONFLICT), not SQLITE_BUSY", async () => {
    const file = path.join(freshDir(), "store.db");
    const keyring = Keyring.parse(Keyring.generateKeyText());
    const a = core(file, keyring, 300);
    const b = core(file, keyring, 300);
    const rec = await a.create(credential("race2", { authToken: randomSecret() }), ACTOR);
    const results = await raceToUpdate(a, b, rec.id);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(StoreError.is(lost?.reason, "CONFLICT")).toBe(true);
  });

  it("two child processes racing from the same version: exactly one wins, the other gets CONFLICT", async () => {
    const file = path.join(freshDir(), "store.db");
    const key = Keyring.generateKeyText();
    const s = await embedded(file, key);
    const rec = await s.create(credential("cross-process", { authToken: randomSecret() }), ACTOR);
    await s.close();
    const kids = [0, 1].map(() =>
      startChild({ STORE_PATH: file, STORE_KEY: key, RECORD_ID: rec.id, MODE: "race" }),
    );
    try {
      await Promise.all(kids.map((k) => k.line()));
      for (const k of kids) k.proc.stdin.write("go\n");
      const outs = (await Promise.all(kids.map((k) => k.line()))).map(
        (l) => JSON.parse(l) as { ok: boolean; version?: number; code?: string; pid: number },
      );
      const winners = outs.filter((o) => o.ok);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.version).toBe(2);
      expect(outs.filter((o) => !o.ok).map((o) => o.code)).toEqual(["CONFLICT"]);
      await Promise.all(kids.map((k) => k.exited));
      const after = await embedded(file, key);
      const stored = await after.get("prod", "api-credential", rec.id);
      expect(stored?.version).toBe(2);
      expect(stored?.data).toMatchObject({ winner: winners[0]!.pid });
    } finally {
      for (const k of kids) if (k.proc.exitCode === null) k.proc.kill("SIGKILL");
    }
  }, 30_000);
});

describe("audit log", () => {
  it("records create, update, read-secret and delete with actor, name and version, never the secret", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const token = randomSecret();
    const rec = await s.create(credential("audited", { authToken: token }), { actor: "alice" });
    await s.update(
      "prod",
      "api-credential",
      rec.id,
      1,
      { name: "audited-2", secret: { authToken: `${token}2` } },
      { actor: "bob" },
    );
    await s.readSecret("prod", "api-credential", rec.id, { actor: "carol" });
    expect(await s.delete("prod", "api-credential", rec.id, { actor: "dave" })).toBe("deleted");
    const log = await s.auditLog();
    expect(
      log.map(({ action, actor, recordId, name, version, sandbox, kind }) => ({
        action,
        actor,
        recordId,
        name,
        version,
        sandbox,
        kind,
      })),
    ).toEqual([
      {
        action: "create",
        actor: "alice",
        recordId: rec.id,
        name: "audited",
        version: 1,
        sandbox: "prod",
        kind: "api-credential",
      },
      {
        action: "update",
        actor: "bob",
        recordId: rec.id,
        name: "audited-2",
        version: 2,
        sandbox: "prod",
        kind: "api-credential",
      },
      {
        action: "read-secret",
        actor: "carol",
        recordId: rec.id,
        name: "audited-2",
        version: 2,
        sandbox: "prod",
        kind: "api-credential",
      },
      {
        action: "delete",
        actor: "dave",
        recordId: rec.id,
        name: "audited-2",
        version: 2,
        sandbox: "prod",
        kind: "api-credential",
      },
    ]);
    const seqs = log.map((e) => e.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    for (const e of log) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    expect(JSON.stringify(log)).not.toContain(token);
    expect(JSON.stringify(raw(file).prepare("SELECT * FROM audit_log").all())).not.toContain(token);
  });

  it("does not audit failed writes or reads of records without a secret", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const rec = await s.create(credential("plain", undefined), ACTOR);
    await storeError(
      s.update(
        "prod",
        "api-credential",
        rec.id,
        7,
        { data: { accountSid: "AC00000000000000000000000000000000" } },
        ACTOR,
      ),
      "CONFLICT",
    );
    expect(await s.readSecret("prod", "api-credential", rec.id, ACTOR)).toBeUndefined();
    expect(await s.delete("prod", "api-credential", "cred_nothing", ACTOR)).toBe("absent");
    expect((await s.auditLog()).map((e) => e.action)).toEqual(["create"]);
  });

  it("auditLog(limit) gives the latest entries, oldest first", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    for (const n of ["l1", "l2", "l3"]) await s.create(credential(n, undefined), ACTOR);
    expect((await s.auditLog(2)).map((e) => e.name)).toEqual(["l2", "l3"]);
  });
});

describe("transactions", () => {
  it("a create failing after its insert statement (duplicate reference rows) leaves nothing behind", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const cred = await s.create(credential("c", undefined), ACTOR);
    const hook = await s.create(
      {
        sandbox: "prod",
        kind: "webhook",
        name: "w",
        data: { type: "inbound", apiCredentialId: cred.id },
        refs: [{ kind: "api-credential", id: cred.id }],
      },
      ACTOR,
    );
    const db = raw(file);
    const before = {
      records: count(db, "records"),
      refs: count(db, "record_refs"),
      audit: count(db, "audit_log"),
      idem: count(db, "idempotency_keys"),
    };
    // The records row is inserted, then the second identical reference row violates its key.
    const err = await s
      .create(
        {
          sandbox: "prod",
          kind: "channel-configuration",
          name: "dup-refs",
          data: {
            channel: "sms",
            messageType: "transactional",
            apiCredentialId: cred.id,
            senderNumber: "+15005550006",
          },
          refs: [
            { kind: "api-credential", id: cred.id },
            { kind: "webhook", id: hook.id },
            { kind: "webhook", id: hook.id },
          ],
        },
        { actor: "t", idempotencyKey: randomBytes(8).toString("hex") },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect({
      records: count(db, "records"),
      refs: count(db, "record_refs"),
      audit: count(db, "audit_log"),
      idem: count(db, "idempotency_keys"),
    }).toEqual(before);
    expect(await s.findByName("prod", "channel-configuration", "dup-refs")).toBeUndefined();
    // The store still works afterwards (no transaction left open).
    expect((await s.create(credential("after", undefined), ACTOR)).version).toBe(1);
  });

  it("an update failing after its UPDATE statement keeps the old version, data and references", async () => {
    const file = path.join(freshDir(), "store.db");
    const s = await embedded(file);
    const cred = await s.create(credential("c", undefined), ACTOR);
    const hook = await s.create(
      {
        sandbox: "prod",
        kind: "webhook",
        name: "w",
        data: { type: "inbound", apiCredentialId: cred.id },
        refs: [{ kind: "api-credential", id: cred.id }],
      },
      ACTOR,
    );
    const chan = await s.create(
      {
        sandbox: "prod",
        kind: "channel-configuration",
        name: "ch",
        data: {
          channel: "sms",
          messageType: "transactional",
          apiCredentialId: cred.id,
          senderNumber: "+15005550006",
        },
        refs: [{ kind: "api-credential", id: cred.id }],
      },
      ACTOR,
    );
    const err = await s
      .update(
        "prod",
        "channel-configuration",
        chan.id,
        1,
        {
          data: {
            channel: "mms",
            messageType: "transactional",
            apiCredentialId: cred.id,
            senderNumber: "+15005550006",
          },
          refs: [
            { kind: "api-credential", id: cred.id },
            { kind: "webhook", id: hook.id },
            { kind: "webhook", id: hook.id },
          ],
        },
        ACTOR,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const now = await s.get("prod", "channel-configuration", chan.id);
    expect(now?.version).toBe(1);
    expect(now?.data).toMatchObject({ channel: "sms" });
    expect(now?.refs).toEqual([{ kind: "api-credential", id: cred.id }]);
  });

  // See the report: duplicate references reach SQLite and fail as a raw SQLITE_CONSTRAINT error.
  it("refuses duplicate references as INVALID_INPUT", async () => {
    const s = await embedded(path.join(freshDir(), "store.db"));
    const cred = await s.create(credential("c", undefined), ACTOR);
    const hook = await s.create(
      {
        sandbox: "prod",
        kind: "webhook",
        name: "w",
        data: { type: "inbound", apiCredentialId: cred.id },
        refs: [{ kind: "api-credential", id: cred.id }],
      },
      ACTOR,
    );
    await storeError(
      s.create(
        {
          sandbox: "prod",
          kind: "channel-configuration",
          name: "dup",
          data: {
            channel: "sms",
            messageType: "transactional",
            apiCredentialId: cred.id,
            senderNumber: "+15005550006",
          },
          refs: [
            { kind: "api-credential", id: cred.id },
            { kind: "webhook", id: hook.id },
            { kind: "webhook", id: hook.id },
          ],
        },
        ACTOR,
      ),
      "INVALID_INPUT",
    );
  });

  it("a backend transaction that throws after writing rolls every statement back", async () => {
    const file = path.join(freshDir(), "store.db");
    const backend = new SqliteBackend(file);
    track(backend);
    const at = new Date().toISOString();
    await expect(
      backend.transaction(async (tx) => {
        await tx.insert({
          id: "cred_rollback",
          sandbox: "prod",
          kind: "api-credential",
          name: "rollback",
          credentialType: "twilio-sms",
          version: 1,
          data: {},
          refs: [],
          secret: null,
          secretFingerprint: null,
          ownerUrn: null,
          ownerInstance: null,
          createdAt: at,
          updatedAt: at,
        });
        await tx.appendAudit({
          at,
          actor: "t",
          action: "create",
          sandbox: "prod",
          kind: "api-credential",
          recordId: "cred_rollback",
          name: "rollback",
          version: 1,
        });
        await tx.putIdempotency("k", { recordId: "cred_rollback", requestHash: "h" });
        expect(await tx.getRecord("cred_rollback")).toBeDefined();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await backend.read((tx) => tx.getRecord("cred_rollback"))).toBeUndefined();
    expect(await backend.read((tx) => tx.getIdempotency("k"))).toBeUndefined();
    expect(await backend.auditLog(10)).toEqual([]);
  });
});

/** A child process running test/unit/fixtures/store-child.ts, read line by line. */
interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  /** The next line of its stdout. */
  line(): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", CHILD], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: "pipe",
  });
  let buffered = "";
  let stderr = "";
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => proc.on("close", (code, signal) => resolve({ code, signal, stderr })),
  );
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  proc.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    let i: number;
    while ((i = buffered.indexOf("\n")) >= 0) {
      const l = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  return {
    proc,
    exited,
    line: () => {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push(resolve)),
        exited.then(({ code, signal, stderr: err }) => {
          throw new Error(`child exited (${code ?? signal}) before writing a line: ${err}`);
        }),
      ]);
    },
  };
}

describe("crash safety", () => {
  it("SIGKILL at random moments during updates never loses or tears a record", async () => {
    const file = path.join(freshDir(), "store.db");
    const key = Keyring.generateKeyText();
    const setup = await embedded(file, key);
    const rec = await setup.create(
      credential("crashy", { counter: 1, token: randomSecret() }, { data: credentialData({ counter: 1 }) }),
      ACTOR,
    );
    await setup.close();

    const rounds = 6;
    const deadline = Date.now() + 40_000;
    let lastVersion = 1;
    for (let round = 0; round < rounds && Date.now() < deadline; round++) {
      const child = startChild({ STORE_PATH: file, STORE_KEY: key, RECORD_ID: rec.id, MODE: "loop" });
      try {
        expect(await child.line()).toBe("ready");
        await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 150)));
      } finally {
        child.proc.kill("SIGKILL");
      }
      const { signal, stderr } = await child.exited;
      expect({ signal, stderr }).toEqual({ signal: "SIGKILL", stderr: "" });

      const db = new Database(file);
      try {
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
        expect(db.pragma("foreign_key_check")).toEqual([]);
      } finally {
        db.close();
      }
      const s = await openEmbeddedStore({ path: file, key });
      try {
        const now = await s.get("prod", "api-credential", rec.id);
        expect(now).toBeDefined();
        const version = now!.version;
        expect(version).toBeGreaterThan(lastVersion);
        expect(now!.data["counter"]).toBe(version);
        const secret = await s.readSecret("prod", "api-credential", rec.id, ACTOR);
        expect(secret?.["counter"]).toBe(version);
        expect(now!.secretFingerprint).toBe(await s.fingerprint("prod", "api-credential", secret!));
        // The audit log holds one update per committed version, none for a torn one.
        const updates = (await s.auditLog(100_000)).filter(
          (e) => e.action === "update" && e.recordId === rec.id,
        );
        expect(updates).toHaveLength(version - 1);
        expect(updates.at(-1)?.version).toBe(version);
        lastVersion = version;
      } finally {
        await s.close();
      }
    }
    expect(lastVersion).toBeGreaterThan(rounds);
  }, 60_000);
});
