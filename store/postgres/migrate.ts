import type { Pool, PoolClient } from "pg";
import { StoreError } from "../errors";
import type { Migration } from "../sqlite/migrations";

/**
 * The advisory lock that serialises migrations: replicas that start together each wait for it, and
 * the later ones find the work done. Two int4 keys ("smsc", 1) keep clear of other applications.
 */
const LOCK_KEYS = [0x736d7363, 1] as const;

/** Applies the migrations the database lacks, each in its own transaction, under the advisory lock. */
export async function migratePostgres(pool: Pool, migrations: readonly Migration[]): Promise<number[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("SELECT pg_advisory_lock($1, $2)", [...LOCK_KEYS]);
    try {
      return await applyMissing(client, migrations);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1, $2)", [...LOCK_KEYS]);
    }
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    // A connection that failed mid-migration is dropped rather than handed to the next caller.
    client.release(broken);
  }
}

async function applyMissing(client: PoolClient, migrations: readonly Migration[]): Promise<number[]> {
  await client.query(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL)",
  );
  const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
  const applied = new Set(rows.map((r) => r.version));
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new StoreError(
      "UNAVAILABLE",
      `the store's schema is at version ${newest}, newer than this package knows (${known}); upgrade pulumi-sms-channels`,
    );
  }
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    await client.query("BEGIN");
    try {
      await client.query(m.sql);
      await client.query(
        "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, now())",
        [m.version, m.description],
      );
      await client.query("COMMIT");
      done.push(m.version);
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  }
  return done;
}
