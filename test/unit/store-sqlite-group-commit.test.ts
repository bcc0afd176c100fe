/**
 * Group commit in the embedded store's SQLite backend: concurrent transactions share one COMMIT,
 * yet each stays atomic (a failing one fails alone), is answered only once durable, and sees the
 * writes of those before it.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { CoreStore } from "../../store/core";
import { Keyring } from "../../store/crypto";
import { StoreError } from "../../store/errors";
import { SqliteBackend } from "../../store/sqlite/backend";
import type { AuditEntry, RecordInput } from "../../store/types";

const ACTOR = { actor: "test:unit" };
let root: string;
let file: string;
let backend: SqliteBackend;
let store: CoreStore;
let commits: number;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-group-commit-"));
  file = path.join(root, "store.db");
  backend = new SqliteBackend(file);
  store = new CoreStore(backend, Keyring.parse(Keyring.generateKeyText()));
  commits = 0;
  const exec = backend.db.exec.bind(backend.db);
  jest.spyOn(backend.db, "exec").mockImplementation((sql: string) => {
    if (sql === "COMMIT") commits++;
    return exec(sql);
  });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const credential = (name: string): RecordInput => ({
  sandbox: "prod",
  kind: "api-credential",
  name,
  credentialType: "twilio-sms",
  data: { accountSid: `AC${randomBytes(16).toString("hex")}` },
  secret: { authToken: randomBytes(16).toString("hex") },
});

const auditEntry = (recordId: string): Omit<AuditEntry, "seq"> => ({
  at: new Date().toISOString(),
  actor: "test:unit",
  action: "create",
  sandbox: "prod",
  kind: "api-credential",
  recordId,
  name: recordId,
  version: 1,
});

function rowsIn(name: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM records WHERE name = ?").get(name) as { n: number }).n;
  } finally {
    db.close();
  }
}

it("concurrent creates share a few COMMITs, and each is on disk when it is answered", async () => {
  const seenOnDisk: number[] = [];
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      store.create(credential(`c${i}`), ACTOR).then(() => seenOnDisk.push(rowsIn(`c${i}`))),
    ),
  );
  expect(seenOnDisk).toEqual(Array(60).fill(1));
  expect(commits).toBeLessThanOrEqual(3);
  expect((await store.auditLog(1000)).filter((e) => e.action === "create")).toHaveLength(60);
});

it("a transaction that fails in a group fails alone and leaves nothing behind", async () => {
  await store.create(credential("taken"), ACTOR);
  commits = 0;
  const results = await Promise.allSettled([
    store.create(credential("a"), ACTOR),
    store.create(credential("taken"), ACTOR),
    store.create(credential("b"), ACTOR),
    backend.transaction(async (tx) => {
      await tx.appendAudit(auditEntry("half-done"));
      throw new Error("fails after a write");
    }),
  ]);
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
  expect(StoreError.is((results[1] as PromiseRejectedResult).reason, "ALREADY_EXISTS")).toBe(true);
  expect(commits).toBe(1);
  expect(rowsIn("a") + rowsIn("b") + rowsIn("taken")).toBe(3);
  const audit = await store.auditLog(100);
  expect(audit.some((e) => e.recordId === "half-done")).toBe(false);
  expect(audit.filter((e) => e.action === "create")).toHaveLength(3);
});

it("transactions of one group run one after the other: a later one sees an earlier one's write", async () => {
  const [first, second] = await Promise.allSettled([
    store.create(credential("same-name"), ACTOR),
    store.create(credential("same-name"), ACTOR),
  ]);
  expect(first?.status).toBe("fulfilled");
  expect(second?.status).toBe("rejected");
  expect(rowsIn("same-name")).toBe(1);
});

describe("committedRead (the webhook receiver's lookups)", () => {
  it("answers while a transaction holds the writer, with what is committed and nothing in progress", async () => {
    await store.create(credential("committed"), ACTOR);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const writer = backend.transaction(async (tx) => {
      await tx.appendAudit(auditEntry("in-progress"));
      entered();
      await held;
    });
    await inside;
    const count = (sql: string): Promise<number> =>
      backend.committedRead((prepared) => (prepared(sql).get() as { n: number }).n);
    // Through the writer's mutex this would wait for `release()`, which comes only after it.
    const reads = await Promise.race([
      Promise.all([
        count("SELECT COUNT(*) AS n FROM records WHERE name = 'committed'"),
        count("SELECT COUNT(*) AS n FROM audit_log WHERE record_id = 'in-progress'"),
      ]),
      new Promise<"waited">((resolve) => setTimeout(() => resolve("waited"), 2000)),
    ]);
    release();
    await writer;
    expect(reads).toEqual([1, 0]);
    expect(await count("SELECT COUNT(*) AS n FROM audit_log WHERE record_id = 'in-progress'")).toBe(1);
  });

  it("an in-memory database (no second connection) reads through the writer, in order", async () => {
    const memory = new SqliteBackend(":memory:");
    try {
      const n = await memory.committedRead(
        (prepared) => (prepared("SELECT COUNT(*) AS n FROM records").get() as { n: number }).n,
      );
      expect(n).toBe(0);
    } finally {
      await memory.close();
    }
  });
});

it("writes queued from separate event-loop callbacks (as HTTP requests are) share one COMMIT", async () => {
  const writes = await new Promise<Promise<number>[]>((resolve) => {
    const queued: Promise<number>[] = [];
    for (let i = 0; i < 20; i++) {
      // Each in a callback of its own, as each request's handler runs in a socket's callback.
      setImmediate(() => {
        queued.push(backend.groupWrite(() => i));
        if (queued.length === 20) resolve(queued);
      });
    }
  });
  expect(await Promise.all(writes)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(commits).toBe(1);
});
