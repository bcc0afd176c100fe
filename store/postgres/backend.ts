import { setTimeout as sleep } from "node:timers/promises";
import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from "pg";
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
import { describePostgresUrl, isRetryableConflict, toStoreError } from "./errors";
import { migratePostgres } from "./migrate";
import { POSTGRES_MIGRATIONS } from "./migrations";

interface Row {
  id: string;
  sandbox: string;
  kind: string;
  name: string;
  credential_type: string | null;
  version: number;
  data: Record<string, unknown>;
  refs: RecordRef[];
  secret_ciphertext: Buffer | null;
  secret_nonce: Buffer | null;
  secret_key_id: string | null;
  secret_fingerprint: string | null;
  secret_format: number;
  owner_urn: string | null;
  owner_instance: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A record with its references in one statement, so a read is one round trip. */
const SELECT_RECORD = `
  SELECT r.*, COALESCE(
    (SELECT json_agg(json_build_object('kind', x.ref_kind, 'id', x.ref_id) ORDER BY x.position)
       FROM record_refs x WHERE x.record_id = r.id), '[]'::json) AS refs
  FROM records r`;

export interface PostgresBackendOptions {
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
  /** Attempts of a transaction whose writer met another (default 5). */
  readonly maxAttempts?: number;
  /** Told about errors of idle pooled connections, which would otherwise crash the process. */
  readonly onPoolError?: (message: string) => void;
  /** Extra node-postgres settings (ssl, ...). */
  readonly pool?: Omit<PoolConfig, "connectionString">;
}

/**
 * The shared store's database. Each write is one READ COMMITTED transaction: the record it changes
 * is locked with `SELECT ... FOR UPDATE`, so of two writers of one record the second waits, then sees
 * the new version and gets CONFLICT. Where writers of different records meet on a constraint (same
 * name, same Idempotency-Key, a reference to a record being deleted), the transaction is re-run.
 */
export class PostgresBackend implements StoreBackend {
  private readonly where: string;
  private readonly maxAttempts: number;

  private constructor(
    readonly pool: Pool,
    url: string,
    options: PostgresBackendOptions,
  ) {
    this.where = describePostgresUrl(url);
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  /** Connects and applies missing migrations (under an advisory lock, so replicas may start together). */
  static async open(url: string, options: PostgresBackendOptions = {}): Promise<PostgresBackend> {
    // Loaded here, not at the top: a provider on the embedded store never pays for `pg` (~50 ms).
    const { Pool } = require("pg") as typeof import("pg");
    const pool = new Pool({
      application_name: "pulumi-sms-channels-store",
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // A stuck writer must not hold a record's lock for ever, nor a request wait for ever on it.
      lock_timeout: 10_000,
      statement_timeout: 15_000,
      idle_in_transaction_session_timeout: 30_000,
      ...options.pool,
      connectionString: url,
    });
    pool.on("error", (e) => options.onPoolError?.(`idle PostgreSQL connection failed: ${e.message}`));
    const backend = new PostgresBackend(pool, url, options);
    try {
      await migratePostgres(pool, POSTGRES_MIGRATIONS);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw toStoreError(e, backend.where);
    }
    return backend;
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.inTransaction("BEGIN", fn);
      } catch (e) {
        if (!isRetryableConflict(e) || attempt >= this.maxAttempts) throw toStoreError(e, this.where);
        // Jittered, growing pause: writers that met once should not meet again in lock step.
        await sleep(Math.random() * 5 * attempt);
      }
    }
  }

  /**
   * A read of one statement (every read of CoreStore: a record comes with its references in one
   * query) runs on its own, since one statement always sees one snapshot: a third of the round trips
   * of BEGIN, SELECT, COMMIT. A read that needs more statements is run again in a REPEATABLE READ
   * transaction, so it too sees one snapshot.
   */
  async read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    try {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        return await fn(new PostgresTx(client, true));
      } catch (e) {
        if (e !== NEEDS_SNAPSHOT) {
          broken = lostConnection(e) ? (e as Error) : undefined;
          throw e;
        }
      } finally {
        client.release(broken);
      }
      return await this.inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", fn);
    } catch (e) {
      throw toStoreError(e, this.where);
    }
  }

  private async inTransaction<T>(begin: string, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await fn(new PostgresTx(client));
      await client.query("COMMIT");
      return result;
    } catch (e) {
      // A connection that cannot even roll back is in an unknown state: destroy it, don't pool it.
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  async sealedKeyIds(): Promise<string[]> {
    const { rows } = await this.query<{ k: string }>(
      "SELECT DISTINCT secret_key_id AS k FROM records WHERE secret_key_id IS NOT NULL",
    );
    return rows.map((r) => r.k);
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.query<{
      seq: string;
      at: Date;
      actor: string;
      action: AuditEntry["action"];
      sandbox: string;
      kind: RecordKind;
      record_id: string;
      name: string;
      version: number;
    }>(
      "SELECT seq, at, actor, action, sandbox, kind, record_id, name, version FROM audit_log ORDER BY seq DESC LIMIT $1",
      [limit],
    );
    return rows.reverse().map((r) => ({
      seq: Number(r.seq),
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      sandbox: r.sandbox,
      kind: r.kind,
      recordId: r.record_id,
      name: r.name,
      version: r.version,
    }));
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1");
  }

  /** One statement outside a transaction, with driver errors turned into StoreErrors. */
  /**
   * `name` makes it a prepared statement: parsed and planned once per connection, not on every call.
   * The receiver names its per-delivery statements: PostgreSQL shares the machine's cores with the
   * receivers, and planning a six-part CTE for every delivery cost more than running it.
   */
  async query<R extends object>(
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<{ rows: R[]; rowCount: number }> {
    try {
      const result = await this.pool.query<R>(name === undefined ? { text, values } : { name, text, values });
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (e) {
      throw toStoreError(e, this.where);
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

/** An error that says nothing about the connection: PostgreSQL's own (SQLSTATE) or the store's. */
function lostConnection(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return !(typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) && !StoreError.isInstance(e);
}

/** Thrown by a single-statement read that needs a second statement: it is re-run in a transaction. */
const NEEDS_SNAPSHOT = Symbol("needs a snapshot transaction");

class PostgresTx implements StoreTx {
  private statements = 0;

  /** `singleStatement`: outside a transaction; a second statement throws NEEDS_SNAPSHOT. */
  constructor(
    private readonly client: PoolClient,
    private readonly singleStatement = false,
  ) {}

  private q<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<QueryResult<R>> {
    if (this.singleStatement && this.statements++ > 0) throw NEEDS_SNAPSHOT;
    return this.client.query<R>(text, values);
  }

  async getRecord(id: string, forUpdate = false): Promise<RecordRow | undefined> {
    const { rows } = await this.q<Row>(
      `${SELECT_RECORD} WHERE r.id = $1${forUpdate ? " FOR UPDATE OF r" : ""}`,
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async findByName(sandbox: string, kind: RecordKind, name: string): Promise<RecordRow | undefined> {
    const { rows } = await this.q<Row>(
      `${SELECT_RECORD} WHERE r.sandbox = $1 AND r.kind = $2 AND r.name = $3`,
      [sandbox, kind, name],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async list(sandbox: string, kind: RecordKind): Promise<RecordRow[]> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    const { rows } = await this.q<Row>(
      `${SELECT_RECORD} WHERE r.sandbox = $1 AND r.kind = $2 ORDER BY r.name COLLATE "C"`,
      [sandbox, kind],
    );
    return rows.map(toRecord);
  }

  async insert(row: RecordRow): Promise<void> {
    // A unique violation (same name, raced) is re-run by the backend, which then reports ALREADY_EXISTS.
    await this.q(
      `INSERT INTO records (id, sandbox, kind, name, credential_type, version, data, secret_ciphertext, secret_nonce,
         secret_key_id, secret_fingerprint, owner_urn, created_at, updated_at, secret_format, owner_instance)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        row.id,
        row.sandbox,
        row.kind,
        row.name,
        row.credentialType,
        row.version,
        JSON.stringify(row.data),
        row.secret?.ciphertext ?? null,
        row.secret?.nonce ?? null,
        row.secret?.keyId ?? null,
        row.secretFingerprint,
        row.ownerUrn,
        row.createdAt,
        row.updatedAt,
        row.secret?.format ?? 2,
        row.ownerInstance,
      ],
    );
    await this.writeRefs(row);
  }

  async replace(row: RecordRow, expectedVersion: number): Promise<boolean> {
    const result = await this.q(
      `UPDATE records SET version = $2, data = $3, secret_ciphertext = $4, secret_nonce = $5, secret_key_id = $6,
         secret_fingerprint = $7, owner_urn = $8, updated_at = $9, name = $11, secret_format = $12,
         owner_instance = $13
       WHERE id = $1 AND version = $10`,
      [
        row.id,
        row.version,
        JSON.stringify(row.data),
        row.secret?.ciphertext ?? null,
        row.secret?.nonce ?? null,
        row.secret?.keyId ?? null,
        row.secretFingerprint,
        row.ownerUrn,
        row.updatedAt,
        expectedVersion,
        row.name,
        row.secret?.format ?? 2,
        row.ownerInstance,
      ],
    );
    if (result.rowCount !== 1) return false;
    await this.q("DELETE FROM record_refs WHERE record_id = $1", [row.id]);
    await this.writeRefs(row);
    return true;
  }

  private async writeRefs(row: RecordRow): Promise<void> {
    if (row.refs.length === 0) return;
    await this.q(
      `INSERT INTO record_refs (record_id, ref_id, ref_kind, position)
       SELECT $1, r.id, r.kind, r.pos - 1 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS r(id, kind, pos)`,
      [row.id, row.refs.map((r) => r.id), row.refs.map((r) => r.kind)],
    );
  }

  async remove(id: string): Promise<void> {
    await this.q("DELETE FROM records WHERE id = $1", [id]);
  }

  async referrers(id: string): Promise<RecordRow[]> {
    const { rows } = await this.q<Row>(
      `${SELECT_RECORD} WHERE r.id IN (SELECT record_id FROM record_refs WHERE ref_id = $1) ORDER BY r.kind, r.name COLLATE "C"`,
      [id],
    );
    return rows.map(toRecord);
  }

  async appendAudit(e: Omit<AuditEntry, "seq">): Promise<void> {
    await this.q(
      "INSERT INTO audit_log (at, actor, action, sandbox, kind, record_id, name, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      [e.at, e.actor, e.action, e.sandbox, e.kind, e.recordId, e.name, e.version],
    );
  }

  async getIdempotency(key: string): Promise<IdempotencyRecord | undefined> {
    // Creates under one key take turns (the lock lasts until commit): a retry that arrives while
    // the first try still runs waits for it, then finds its key and replays its answer. Without it,
    // the retry could miss the key, then see the first try's record by name: ALREADY_EXISTS.
    await this.q("SELECT pg_advisory_xact_lock(hashtextextended('smschannels:idempotency:' || $1, 0))", [
      key,
    ]);
    const { rows } = await this.q<{ record_id: string; request_hash: string; created_at: Date }>(
      "SELECT record_id, request_hash, created_at FROM idempotency_keys WHERE key = $1",
      [key],
    );
    const row = rows[0];
    return (
      row && {
        recordId: row.record_id,
        requestHash: row.request_hash,
        createdAt: row.created_at.toISOString(),
      }
    );
  }

  async pruneIdempotency(before: string, limit: number): Promise<void> {
    await this.q(
      "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
      [before, limit],
    );
  }

  async getMeta(name: string): Promise<MetaRow | undefined> {
    const { rows } = await this.q<MetaColumns>("SELECT * FROM store_meta WHERE name = $1", [name]);
    return rows[0] && metaRowOf(rows[0]);
  }

  async putMeta(row: MetaRow, ifAbsent = false): Promise<void> {
    await this.q(
      `INSERT INTO store_meta (name, value, secret_key_id, secret_nonce, secret_ciphertext) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO ${ifAbsent ? "NOTHING" : "UPDATE SET value = excluded.value, secret_key_id = excluded.secret_key_id, secret_nonce = excluded.secret_nonce, secret_ciphertext = excluded.secret_ciphertext"}`,
      [
        row.name,
        row.value,
        row.secret?.keyId ?? null,
        row.secret?.nonce ?? null,
        row.secret?.ciphertext ?? null,
      ],
    );
  }

  async secretsToReseal(keyId: string | null, format: number, limit: number): Promise<RecordRow[]> {
    // SKIP LOCKED: a record a writer holds is left for the next batch instead of waited for.
    const { rows } = await this.q<Row>(
      `${SELECT_RECORD} WHERE r.secret_key_id IS NOT NULL AND (($1::text IS NOT NULL AND r.secret_key_id <> $1) OR r.secret_format <> $2)
       ORDER BY r.id LIMIT $3 FOR UPDATE OF r SKIP LOCKED`,
      [keyId, format, limit],
    );
    return rows.map(toRecord);
  }

  async reseal(id: string, version: number, secret: SealedSecret, fingerprint: string): Promise<boolean> {
    const result = await this.q(
      `UPDATE records SET secret_ciphertext = $1, secret_nonce = $2, secret_key_id = $3, secret_format = $4,
         secret_fingerprint = $5 WHERE id = $6 AND version = $7`,
      [secret.ciphertext, secret.nonce, secret.keyId, secret.format, fingerprint, id, version],
    );
    return result.rowCount === 1;
  }

  async putIdempotency(key: string, value: IdempotencyRecord): Promise<void> {
    await this.q(
      `INSERT INTO idempotency_keys (key, record_id, request_hash, created_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (key) DO UPDATE SET record_id = excluded.record_id, request_hash = excluded.request_hash, created_at = now()`,
      [key, value.recordId, value.requestHash],
    );
  }
}

function toRecord(row: Row): RecordRow {
  return {
    id: row.id,
    sandbox: row.sandbox,
    kind: row.kind as RecordKind,
    name: row.name,
    credentialType: row.credential_type as CredentialType | null,
    version: row.version,
    data: row.data,
    refs: row.refs,
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
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
