/**
 * PostgreSQL for tests. `SMSCHANNELS_TEST_PG_URL` names a server the PG halves of the store tests run
 * against (`eval "$(bash scripts/start-test-postgres.sh)"` makes one); without it they are skipped,
 * with that reason in their title. `startTestPostgres()` starts a cluster of its own, for tests and
 * benchmarks that want one whatever the environment says. Each suite works in a database of its own
 * (`createTestDatabase`), so suites running in parallel never see each other's records or keys.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";

const execFileP = promisify(execFile);
const SCRIPTS = path.resolve(__dirname, "..", "..", "scripts");

export const PG_URL_ENV = "SMSCHANNELS_TEST_PG_URL";

/** The server named by SMSCHANNELS_TEST_PG_URL, or undefined. */
export function testPostgresUrl(): string | undefined {
  const url = process.env[PG_URL_ENV];
  return url && url.trim() !== "" ? url.trim() : undefined;
}

export const PG_SKIP_REASON = `skipped: ${PG_URL_ENV} is not set (run: eval "$(bash scripts/start-test-postgres.sh)")`;

export interface TestCluster {
  /** Admin URL of the cluster's default test database. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a throwaway cluster in a temporary folder (installing PostgreSQL from Debian when missing). */
export async function startTestPostgres(): Promise<TestCluster> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-pg-"));
  // The server runs as the postgres OS user under root, and must be able to reach its folder.
  fs.chmodSync(base, 0o755);
  const dir = path.join(base, "cluster");
  const { stdout } = await execFileP("bash", [path.join(SCRIPTS, "start-test-postgres.sh"), dir], {
    timeout: 600_000,
  });
  const url = /SMSCHANNELS_TEST_PG_URL=(\S+)/.exec(stdout)?.[1];
  if (!url) throw new Error("start-test-postgres.sh printed no URL");
  return {
    url,
    stop: async () => {
      await execFileP("bash", [path.join(SCRIPTS, "stop-test-postgres.sh"), dir], { timeout: 120_000 });
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the server of `adminUrl`, dropped again by `drop()`. */
export async function createTestDatabase(adminUrl: string, prefix = "smsc"): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
