/**
 * What the store and receiver benchmarks share: the repository root, the `--seconds` argument, a
 * percentile, the store CLI in a process of its own (resolved once it logs "serving"), and a
 * database of the test PostgreSQL (SMSCHANNELS_TEST_PG_URL, else a throwaway cluster), dropped after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  createTestDatabase,
  startTestPostgres,
  testPostgresUrl,
  type TestCluster,
} from "../test/support/postgres";

export const ROOT = path.resolve(__dirname, "..");

/** `--seconds N` of the command line, else `fallback`. */
export function secondsArg(fallback: number): number {
  return Number(process.argv[process.argv.indexOf("--seconds") + 1] || 0) || fallback;
}

/** The value at percentile `p` (0-100) of the ascending `sorted`; `ifEmpty` when there is none. */
export function percentile(sorted: readonly number[], p: number, ifEmpty = NaN): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? ifEmpty;
}

/** `pulumi-sms-channels-store <args>`: from dist/ when asked and built, else the TypeScript via tsx. */
export function storeCli(args: readonly string[], env: NodeJS.ProcessEnv, dist = false): ChildProcess {
  const built = path.join(ROOT, "dist", "store", "server", "cli.js");
  const argv =
    dist && fs.existsSync(built)
      ? [built, ...args]
      : ["--import", "tsx", path.join(ROOT, "store", "server", "cli.ts"), ...args];
  return spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * A serving command of the store CLI (`serve`, `receive`), resolved with the process and its
 * "serving" log line (it says where it listens). Its log goes on being read and dropped: a full pipe
 * would stall it.
 */
export function startServing(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  dist = false,
): Promise<{ child: ChildProcess; serving: string }> {
  const child = storeCli(args, env, dist);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let started = false;
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      if (started) return;
      buf += d.toString();
      const line = buf.split("\n").find((l) => l.includes('"serving"'));
      if (line !== undefined) {
        started = true;
        resolve({ child, serving: line });
      }
    });
    child.once("exit", (code) => {
      if (!started) reject(new Error(`pulumi-sms-channels-store ${args[0] ?? ""} exited ${code}: ${stderr}`));
    });
  });
}

/** SIGTERM, and wait for the exit. */
export async function stopChild(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill("SIGTERM");
  });
}

/** Runs `work` on a fresh database `name` of the test PostgreSQL; drops it (and stops a cluster it started) after. */
export async function withTestDatabase<T>(name: string, work: (url: string) => Promise<T>): Promise<T> {
  let cluster: TestCluster | undefined;
  let adminUrl = testPostgresUrl();
  if (!adminUrl) {
    console.log("starting a throwaway PostgreSQL cluster (SMSCHANNELS_TEST_PG_URL is not set)");
    cluster = await startTestPostgres();
    adminUrl = cluster.url;
  }
  try {
    const db = await createTestDatabase(adminUrl, name);
    try {
      return await work(db.url);
    } finally {
      await db.drop();
    }
  } finally {
    await cluster?.stop();
  }
}
