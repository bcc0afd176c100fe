import fs from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";
import {
  metaRowOf,
  type IdempotencyRecord,
  type MetaColumns,
  type MetaRow,
  type RecordRow,
  type StoreBackend,
  type StoreTx,
} from "../backend";
import type { SealedSecret, SecretFormat } from "../crypto";
import { StoreError } from "../errors";
import type { AuditEntry, CredentialType, RecordKind, RecordRef } from "../types";
import { sqliteDriver } from "./driver";
import { SQLITE_MIGRATIONS, type Migration } from "./migrations";

interface Row {
  id: string;
  sandbox: string;
  kind: string;
  name: string;
  credential_type: string | null;
  version: number;
  data: string;
  secret_ciphertext: Buffer | null;
  secret_nonce: Buffer | null;
  secret_key_id: string | null;
  secret_fingerprint: string | null;
  secret_format: number;
  owner_urn: string | null;
  owner_instance: string | null;
  created_at: string;
  updated_at: string;
}

/** One connection, one transaction at a time: better-sqlite3 is synchronous, but callers are not. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** The most transactions one COMMIT carries, so one slow batch does not hold every caller. */
const MAX_GROUP_COMMIT = 256;

interface QueuedTx {
  readonly fn: (db: Database.Database) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** A connection's prepared statements, by SQL text. */
class Statements {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly db: () => Database.Database) {}
  get(sql: string): Database.Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db().prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

export interface SqliteBackendOptions {
  /** Milliseconds to wait for another process's write lock. */
  readonly busyTimeoutMs?: number;
  readonly migrations?: readonly Migration[];
}

/**
 * The embedded store's file: SQLite in WAL mode with full fsync, so a crash at any point leaves the
 * old record or the new one. Several processes (two stacks at once) may share the file.
 */
export class SqliteBackend implements StoreBackend {
  readonly db: Database.Database;
  private readonly mutex = new Mutex();
  private readonly lockWaitMs: number;
  private readonly queued: QueuedTx[] = [];
  /** Prepared once per connection: preparing costs more than running these small statements. */
  private readonly statements = new Statements(() => this.db);
  /** A second, read-only connection for `committedRead` (opened on first use). */
  private reader: Database.Database | undefined;
  private readonly readerStatements = new Statements(() => this.readerConnection());

  constructor(
    readonly file: string,
    options: SqliteBackendOptions = {},
  ) {
    if (file !== ":memory:") {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    }
    // The database, its WAL and its shared-memory file all hold secrets' ciphertext and record
    // data: none of them may be readable by other users.
    const oldUmask = process.umask(0o077);
    this.lockWaitMs = options.busyTimeoutMs ?? 10_000;
    try {
      this.db = new (sqliteDriver())(file);
    } finally {
      process.umask(oldUmask);
    }
    process.umask(0o077);
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
      // Short: SQLite's busy handler blocks the event loop. Waiting for another writer happens in
      // `beginImmediate`, asynchronously.
      this.db.pragma("busy_timeout = 50");
      migrate(this.db, options.migrations ?? SQLITE_MIGRATIONS);
    } catch (e) {
      this.db.close();
      throw e;
    } finally {
      process.umask(oldUmask);
    }
    if (file !== ":memory:") {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
      }
    }
  }

  /**
   * Group commit: the transactions that wait while one commits are run together, each in a savepoint
   * of its own, under one COMMIT (one fsync), and none is answered before that COMMIT. Each is still
   * atomic (a failing one rolls back to its savepoint and fails alone), isolated (they run one after
   * the other) and durable when answered; a thousand creates of one `up` no longer pay a thousand
   * synchronous fsyncs that block the provider process.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(
        (db) => fn(new SqliteTx(db, this.statements)),
        resolve as (value: unknown) => void,
        reject,
      );
    });
  }

  /**
   * A write of another repository on this file (the webhook receiver's ledger) in the same group
   * commit as record transactions: in a savepoint of its own, answered once its COMMIT is durable.
   */
  groupWrite<T>(fn: (db: Database.Database) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(async (db) => fn(db), resolve as (value: unknown) => void, reject);
    });
  }

  private enqueue(fn: QueuedTx["fn"], resolve: QueuedTx["resolve"], reject: QueuedTx["reject"]): void {
    this.queued.push({ fn, resolve, reject });
    // The first to queue schedules a commit; those that queue before it starts join it. It starts
    // after the event loop has run every I/O callback that is ready (setImmediate), not at once:
    // started in the queuing callback's own microtasks, each HTTP request's write (the webhook
    // receiver's) got a COMMIT, and an fsync, of its own, since the requests that arrived with it
    // are handled in later callbacks.
    if (this.queued.length === 1) setImmediate(() => void this.mutex.run(() => this.commitQueued()));
  }

  /** A statement prepared once on this connection (for repositories that share the file). */
  prepared(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  private async commitQueued(): Promise<void> {
    if (this.queued.length === 0) return;
    try {
      await this.beginImmediate();
    } catch (e) {
      for (const t of this.queued.splice(0)) t.reject(e);
      return;
    }
    const batch = this.queued.splice(0, MAX_GROUP_COMMIT);
    if (this.queued.length > 0) void this.mutex.run(() => this.commitQueued());
    const answers: (() => void)[] = [];
    try {
      for (const t of batch) {
        this.db.exec("SAVEPOINT tx");
        try {
          const value = await t.fn(this.db);
          this.db.exec("RELEASE tx");
          answers.push(() => t.resolve(value));
        } catch (e) {
          // SQLite may have rolled the whole transaction back itself (I/O error, full disk): then
          // nothing of the batch stands, and every member fails below.
          if (!this.db.inTransaction) throw e;
          this.db.exec("ROLLBACK TO tx");
          this.db.exec("RELEASE tx");
          answers.push(() => t.reject(e));
        }
      }
      this.db.exec("COMMIT");
    } catch (e) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      for (const t of batch) t.reject(e);
      return;
    }
    for (const answer of answers) answer();
  }

  /**
   * IMMEDIATE takes the write lock at once, so two writers never both read, then both write. While
   * another connection (another process, or another store object) holds it, wait without blocking.
   */
  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      try {
        this.db.exec("BEGIN IMMEDIATE");
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== "SQLITE_BUSY" && code !== "SQLITE_LOCKED") throw e;
        if (Date.now() >= deadline) {
          throw new StoreError(
            "UNAVAILABLE",
            `the store file ${this.file} stayed locked by another writer for ${this.lockWaitMs} ms; try again`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      }
    }
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.db.exec("BEGIN");
      try {
        return await fn(new SqliteTx(this.db, this.statements));
      } finally {
        if (this.db.inTransaction) this.db.exec("COMMIT");
      }
    });
  }

  async sealedKeyIds(): Promise<string[]> {
    return this.mutex.run(async () =>
      (
        this.db
          .prepare("SELECT DISTINCT secret_key_id AS k FROM records WHERE secret_key_id IS NOT NULL")
          .all() as { k: string }[]
      ).map((r) => r.k),
    );
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    return this.mutex.run(async () =>
      (
        this.db
          .prepare(
            "SELECT seq, at, actor, action, sandbox, kind, record_id AS recordId, name, version FROM audit_log ORDER BY seq DESC LIMIT ?",
          )
          .all(limit) as AuditEntry[]
      ).reverse(),
    );
  }

  async ping(): Promise<void> {
    await this.run((db) => db.prepare("SELECT 1").get());
  }

  /**
   * Runs `fn` on the connection between transactions: another repository on the same file (the
   * service's tokens) must not slip a statement into a record transaction that is awaiting.
   */
  run<T>(fn: (db: Database.Database) => T): Promise<T> {
    return this.mutex.run(async () => fn(this.db));
  }

  /** Like `run`, in a write transaction that waits for other processes' writers without blocking. */
  runWrite<T>(fn: (db: Database.Database) => T): Promise<T> {
    return this.mutex.run(async () => {
      await this.beginImmediate();
      try {
        const result = fn(this.db);
        this.db.exec("COMMIT");
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw e;
      }
    });
  }

  /**
   * A read of what is committed, on a read-only connection of its own, that does not queue behind
   * the writer's mutex. The webhook receiver looks up every delivery's webhook this way: through the
   * mutex, each lookup waited for the group commit (and its fsync) before it, so deliveries reached
   * the commit queue one or two at a time and each batch paid a disk flush. WAL lets this reader see
   * the last commit while a write is under way. `fn` must be synchronous; it never sees a
   * transaction in progress, nor anything not yet durable. An in-memory database has no second
   * connection: there, the read goes through the mutex as before.
   */
  committedRead<T>(fn: (prepared: (sql: string) => Database.Statement) => T): Promise<T> {
    if (this.file === ":memory:") return this.run(() => fn((sql) => this.statements.get(sql)));
    try {
      return Promise.resolve(fn((sql) => this.readerStatements.get(sql)));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private readerConnection(): Database.Database {
    if (!this.reader) {
      const reader = new (sqliteDriver())(this.file, { readonly: true, fileMustExist: true });
      // A reader in WAL mode waits only while a checkpoint resets the log: briefly.
      reader.pragma("busy_timeout = 50");
      this.reader = reader;
    }
    return this.reader;
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.reader?.open) this.reader.close();
      if (this.db.open) this.db.close();
    });
  }
}

function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const applied = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new StoreError(
      "UNAVAILABLE",
      `the store's schema is at version ${newest}, newer than this package knows (${known}); upgrade pulumi-sms-channels`,
    );
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)").run(
        m.version,
        m.description,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

class SqliteTx implements StoreTx {
  constructor(
    private readonly db: Database.Database,
    private readonly statements: Statements,
  ) {}

  private prepare(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  private toRecord(row: Row): RecordRow {
    const refs = this.prepare(
      "SELECT ref_kind AS kind, ref_id AS id FROM record_refs WHERE record_id = ? ORDER BY position",
    ).all(row.id) as RecordRef[];
    return {
      id: row.id,
      sandbox: row.sandbox,
      kind: row.kind as RecordKind,
      name: row.name,
      credentialType: row.credential_type as CredentialType | null,
      version: row.version,
      data: JSON.parse(row.data) as Record<string, unknown>,
      refs,
      secret:
        row.secret_ciphertext && row.secret_nonce && row.secret_key_id
          ? {
              keyId: row.secret_key_id,
              format: row.secret_format as SecretFormat,
              nonce: row.secret_nonce,
              ciphertext: row.secret_ciphertext,
            }
          : null,
      secretFingerprint: row.secret_fingerprint,
      ownerUrn: row.owner_urn,
      ownerInstance: row.owner_instance,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async getRecord(id: string): Promise<RecordRow | undefined> {
    const row = this.prepare("SELECT * FROM records WHERE id = ?").get(id) as Row | undefined;
    return row && this.toRecord(row);
  }

  async findByName(sandbox: string, kind: RecordKind, name: string): Promise<RecordRow | undefined> {
    const row = this.prepare("SELECT * FROM records WHERE sandbox = ? AND kind = ? AND name = ?").get(
      sandbox,
      kind,
      name,
    ) as Row | undefined;
    return row && this.toRecord(row);
  }

  async list(sandbox: string, kind: RecordKind): Promise<RecordRow[]> {
    const rows = this.prepare("SELECT * FROM records WHERE sandbox = ? AND kind = ? ORDER BY name").all(
      sandbox,
      kind,
    ) as Row[];
    return rows.map((r) => this.toRecord(r));
  }

  async insert(row: RecordRow): Promise<void> {
    try {
      this.prepare(
        `INSERT INTO records (id, sandbox, kind, name, credential_type, version, data, secret_ciphertext, secret_nonce,
             secret_key_id, secret_fingerprint, secret_format, owner_urn, owner_instance, created_at, updated_at)
           VALUES (@id, @sandbox, @kind, @name, @credential_type, @version, @data, @secret_ciphertext, @secret_nonce,
             @secret_key_id, @secret_fingerprint, @secret_format, @owner_urn, @owner_instance, @created_at, @updated_at)`,
      ).run(toParams(row));
    } catch (e) {
      if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new StoreError(
          "ALREADY_EXISTS",
          `name: ${row.kind} "${row.name}" already exists in sandbox "${row.sandbox}"`,
          "name",
        );
      }
      throw e;
    }
    this.writeRefs(row);
  }

  async replace(row: RecordRow, expectedVersion: number): Promise<boolean> {
    const result = this.prepare(
      `UPDATE records SET name = @name, version = @version, data = @data, secret_ciphertext = @secret_ciphertext,
           secret_nonce = @secret_nonce, secret_key_id = @secret_key_id, secret_fingerprint = @secret_fingerprint,
           secret_format = @secret_format, owner_urn = @owner_urn, owner_instance = @owner_instance, updated_at = @updated_at
         WHERE id = @id AND version = @expected`,
    ).run({ ...toParams(row), expected: expectedVersion });
    if (result.changes !== 1) return false;
    this.prepare("DELETE FROM record_refs WHERE record_id = ?").run(row.id);
    this.writeRefs(row);
    return true;
  }

  private writeRefs(row: RecordRow): void {
    const stmt = this.prepare(
      "INSERT INTO record_refs (record_id, ref_id, ref_kind, position) VALUES (?, ?, ?, ?)",
    );
    row.refs.forEach((ref, i) => stmt.run(row.id, ref.id, ref.kind, i));
  }

  async remove(id: string): Promise<void> {
    this.prepare("DELETE FROM records WHERE id = ?").run(id);
  }

  async referrers(id: string): Promise<RecordRow[]> {
    const rows = this.prepare(
      "SELECT r.* FROM records r JOIN record_refs x ON x.record_id = r.id WHERE x.ref_id = ? ORDER BY r.kind, r.name",
    ).all(id) as Row[];
    return rows.map((r) => this.toRecord(r));
  }

  async appendAudit(e: Omit<AuditEntry, "seq">): Promise<void> {
    this.prepare(
      "INSERT INTO audit_log (at, actor, action, sandbox, kind, record_id, name, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(e.at, e.actor, e.action, e.sandbox, e.kind, e.recordId, e.name, e.version);
  }

  async getIdempotency(key: string): Promise<IdempotencyRecord | undefined> {
    const row = this.prepare(
      "SELECT record_id, request_hash, created_at FROM idempotency_keys WHERE key = ?",
    ).get(key) as { record_id: string; request_hash: string; created_at: string } | undefined;
    return row && { recordId: row.record_id, requestHash: row.request_hash, createdAt: row.created_at };
  }

  async pruneIdempotency(before: string, limit: number): Promise<void> {
    this.prepare(
      "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE created_at < ? LIMIT ?)",
    ).run(before, limit);
  }

  async getMeta(name: string): Promise<MetaRow | undefined> {
    const row = this.prepare("SELECT * FROM store_meta WHERE name = ?").get(name) as MetaColumns | undefined;
    return row && metaRowOf(row);
  }

  async putMeta(row: MetaRow, ifAbsent = false): Promise<void> {
    this.prepare(
      `INSERT INTO store_meta (name, value, secret_key_id, secret_nonce, secret_ciphertext) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO ${ifAbsent ? "NOTHING" : "UPDATE SET value = excluded.value, secret_key_id = excluded.secret_key_id, secret_nonce = excluded.secret_nonce, secret_ciphertext = excluded.secret_ciphertext"}`,
    ).run(
      row.name,
      row.value,
      row.secret?.keyId ?? null,
      row.secret?.nonce ?? null,
      row.secret?.ciphertext ?? null,
    );
  }

  async secretsToReseal(keyId: string | null, format: number, limit: number): Promise<RecordRow[]> {
    const rows = this.prepare(
      "SELECT * FROM records WHERE secret_key_id IS NOT NULL AND ((? IS NOT NULL AND secret_key_id <> ?) OR secret_format <> ?) ORDER BY id LIMIT ?",
    ).all(keyId, keyId, format, limit) as Row[];
    return rows.map((r) => this.toRecord(r));
  }

  async reseal(id: string, version: number, secret: SealedSecret, fingerprint: string): Promise<boolean> {
    const result = this.prepare(
      `UPDATE records SET secret_ciphertext = ?, secret_nonce = ?, secret_key_id = ?, secret_format = ?,
           secret_fingerprint = ? WHERE id = ? AND version = ?`,
    ).run(secret.ciphertext, secret.nonce, secret.keyId, secret.format, fingerprint, id, version);
    return result.changes === 1;
  }

  async putIdempotency(key: string, value: IdempotencyRecord): Promise<void> {
    this.prepare(
      "INSERT OR REPLACE INTO idempotency_keys (key, record_id, request_hash, created_at) VALUES (?, ?, ?, ?)",
    ).run(key, value.recordId, value.requestHash, new Date().toISOString());
  }
}

function toParams(row: RecordRow): Record<string, unknown> {
  return {
    id: row.id,
    sandbox: row.sandbox,
    kind: row.kind,
    name: row.name,
    credential_type: row.credentialType,
    version: row.version,
    data: JSON.stringify(row.data),
    secret_ciphertext: row.secret?.ciphertext ?? null,
    secret_nonce: row.secret?.nonce ?? null,
    secret_key_id: row.secret?.keyId ?? null,
    secret_fingerprint: row.secretFingerprint,
    secret_format: row.secret?.format ?? 2,
    owner_urn: row.ownerUrn,
    owner_instance: row.ownerInstance,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
