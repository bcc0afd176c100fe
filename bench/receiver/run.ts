/**
 * Webhook receiver benchmark: signed Twilio inbound deliveries per second, and p50/p99 latency, at
 * 1, 32 and 128 concurrent senders; on the embedded store's SQLite file (one receiver) and on
 * PostgreSQL (two receiver replicas, senders spread over both). After each cell the ledger rows are
 * counted against the 200s: nothing acknowledged may be missing.
 *
 * Each receiver is its own process (`pulumi-sms-channels-store receive`, from dist/ when built, else
 * via tsx); the senders run here on undici keep-alive pools, sign every request (HMAC-SHA1, as
 * Twilio does) with a fresh MessageSid, and send a mix of STOP, START, HELP and other text from
 * 10,000 profile numbers, so consent rows are both created and updated. Writes a section of
 * bench/RESULTS.md.
 *
 *   npx tsx bench/receiver/run.ts [--seconds 5] [--only sqlite|postgres]
 * `--only` runs one backend and prints its cells without writing RESULTS.md (for profiling a change).
 * PostgreSQL: SMSCHANNELS_TEST_PG_URL, else a throwaway cluster (scripts/start-test-postgres.sh).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { resolveKeywords } from "../../provider/schema/keywords";
import { CoreStore, Keyring, PostgresBackend, SqliteBackend, type StoredRecord } from "../../store";
import { twilioSignature } from "../../store/receiver/signature";
import { percentile, ROOT, secondsArg, startServing, stopChild, withTestDatabase } from "../support";
import { freePort } from "../../test/support/http-server";

const SECONDS = secondsArg(5);
const SENDERS = [1, 32, 128] as const;
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (ONLY !== undefined && ONLY !== "sqlite" && ONLY !== "postgres") {
  throw new Error(`--only: "${ONLY}" is neither sqlite nor postgres`);
}
const PUBLIC_URL = "https://hooks.bench.example";
const AUTH_TOKEN = "bench-auth-token";
const TEXTS = ["STOP", "START", "HELP", "hello there", "stop", "Yes"];

interface Cell {
  readonly backend: string;
  readonly replicas: number;
  readonly senders: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly acknowledged: number;
  readonly inLedger: number;
  /** CPU time the receiver processes spent per acknowledged delivery (user + system). */
  readonly cpuMsPerDelivery: number;
}

/** User + system CPU time of a process so far, in ms (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    // utime and stime are fields 14 and 15 of stat; after the ") " split they are at 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** A receiver process (from dist/ when built), once it serves. */
async function startReceiver(database: string, keyText: string, port: number): Promise<ChildProcess> {
  const args = [
    "receive",
    "--database",
    database,
    "--listen",
    `127.0.0.1:${port}`,
    "--public-url",
    PUBLIC_URL,
  ];
  return (await startServing(args, { SMSCHANNELS_STORE_KEY: keyText }, true)).child;
}

async function setUp(core: CoreStore): Promise<StoredRecord> {
  const actor = { actor: "bench" };
  const credential = await core.create(
    {
      sandbox: "bench",
      kind: "api-credential",
      name: `sms-${randomBytes(3).toString("hex")}`,
      credentialType: "twilio-sms",
      data: { accountSid: `AC${"0".repeat(32)}` },
      secret: { authToken: AUTH_TOKEN },
    },
    actor,
  );
  return core.create(
    {
      sandbox: "bench",
      kind: "webhook",
      name: `in-${randomBytes(3).toString("hex")}`,
      data: {
        type: "inbound",
        apiCredentialId: credential.id,
        apiCredentialType: "twilio-sms",
        resolvedKeywords: resolveKeywords(undefined),
        defaultReply: "Thanks",
      },
      refs: [{ kind: "api-credential", id: credential.id }],
    },
    actor,
  );
}

let seq = 0;
async function runCell(
  pools: Pool[],
  webhook: StoredRecord,
  senders: number,
): Promise<{ latencies: number[]; errors: number; acknowledged: number; ms: number }> {
  const urlPath = `/v1/sandboxes/bench/webhooks/${webhook.id}`;
  const signedUrl = PUBLIC_URL + urlPath;
  const latencies: number[] = [];
  let errors = 0;
  let acknowledged = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const one = async (i: number): Promise<void> => {
    const pool = pools[i % pools.length] as Pool;
    while (performance.now() < deadline) {
      seq++;
      const sid = `SM${process.pid.toString(16).padStart(8, "0")}${seq.toString(16).padStart(24, "0")}`;
      const params: [string, string][] = [
        ["MessageSid", sid],
        ["SmsSid", sid],
        ["AccountSid", `AC${"0".repeat(32)}`],
        ["From", `+1415${String(5_000_000 + (seq % 10_000)).padStart(7, "0")}`],
        ["To", "+14155550100"],
        ["Body", TEXTS[seq % TEXTS.length] as string],
        ["NumMedia", "0"],
      ];
      const body = new URLSearchParams(params).toString();
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: "POST",
          path: urlPath,
          body,
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": twilioSignature(AUTH_TOKEN, signedUrl, params),
          },
        });
        await res.body.text();
        if (res.statusCode === 200) {
          acknowledged++;
          latencies.push(performance.now() - t0);
        } else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, (_, i) => one(i)));
  return {
    latencies: latencies.sort((a, b) => a - b),
    errors,
    acknowledged,
    ms: performance.now() - started,
  };
}

async function bench(
  backend: "sqlite" | "postgres",
  database: string,
  core: CoreStore,
  keyText: string,
  replicas: number,
  count: () => Promise<number>,
): Promise<Cell[]> {
  const cells: Cell[] = [];
  const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const procs = await Promise.all(ports.map((p) => startReceiver(database, keyText, p)));
  try {
    for (const senders of SENDERS) {
      const webhook = await setUp(core);
      const pools = ports.map(
        (p) =>
          new Pool(`http://127.0.0.1:${p}`, { connections: Math.ceil(senders / replicas), pipelining: 1 }),
      );
      const before = await count();
      const cpuBefore = procs.reduce((sum, p) => sum + cpuMs(p.pid), 0);
      const r = await runCell(pools, webhook, senders);
      const cpu = procs.reduce((sum, p) => sum + cpuMs(p.pid), 0) - cpuBefore;
      const inLedger = (await count()) - before;
      await Promise.all(pools.map((p) => p.close()));
      const cell: Cell = {
        backend,
        replicas,
        senders,
        rps: Math.round((r.acknowledged / r.ms) * 1000),
        p50: percentile(r.latencies, 50, 0),
        p99: percentile(r.latencies, 99, 0),
        errors: r.errors,
        acknowledged: r.acknowledged,
        inLedger,
        cpuMsPerDelivery: r.acknowledged > 0 ? cpu / r.acknowledged : 0,
      };
      console.log(JSON.stringify(cell));
      cells.push(cell);
    }
  } finally {
    await Promise.all(procs.map(stopChild));
  }
  return cells;
}

async function main(): Promise<void> {
  const load = os.loadavg()[0] ?? 0;
  const t0 = Date.now();
  const keyText = Keyring.generateKeyText();
  const keyring = Keyring.parse(keyText);
  const cells: Cell[] = [];

  if (ONLY !== "postgres") cells.push(...(await benchSqlite(keyText, keyring)));
  if (ONLY === "sqlite") return printOnly(cells, load);
  const { pgVersion, settings } = await benchPostgres(keyText, keyring, cells);
  if (ONLY === "postgres") return printOnly(cells, load);

  const after = os.loadavg()[0] ?? 0;
  writeResults(cells, { load, after, seconds: (Date.now() - t0) / 1000, pgVersion, settings });
}

function printOnly(cells: Cell[], load: number): void {
  console.log(`load before ${load.toFixed(2)}, after ${(os.loadavg()[0] ?? 0).toFixed(2)}`);
  console.table(cells);
}

async function benchSqlite(keyText: string, keyring: Keyring): Promise<Cell[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-bench-receiver-"));
  const file = path.join(dir, "store.db");
  const sqlite = await CoreStore.open(new SqliteBackend(file), keyring);
  const sqliteCount = async (): Promise<number> =>
    (sqlite.backend as SqliteBackend).run(
      (db) => (db.prepare("SELECT COUNT(*) AS n FROM receiver_deliveries").get() as { n: number }).n,
    );
  const cells = await bench("sqlite", file, sqlite, keyText, 1, sqliteCount);
  await sqlite.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return cells;
}

async function benchPostgres(
  keyText: string,
  keyring: Keyring,
  cells: Cell[],
): Promise<{ pgVersion: string; settings: { name: string; setting: string }[] }> {
  return withTestDatabase("smsc_bench_recv", async (dbUrl) => {
    const pg = await CoreStore.open(await PostgresBackend.open(dbUrl), keyring);
    const pgCount = async (): Promise<number> =>
      Number(
        (
          await (pg.backend as PostgresBackend).query<{ n: string }>(
            "SELECT COUNT(*) AS n FROM receiver_deliveries",
          )
        ).rows[0]?.n ?? 0,
      );
    const pgVersion =
      (await (pg.backend as PostgresBackend).query<{ v: string }>("SELECT version() AS v")).rows[0]?.v ?? "";
    const settings = (
      await (pg.backend as PostgresBackend).query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
      )
    ).rows;
    cells.push(...(await bench("postgres", dbUrl, pg, keyText, 2, pgCount)));
    await pg.close();
    return { pgVersion, settings };
  });
}

function writeResults(
  cells: Cell[],
  m: {
    load: number;
    after: number;
    seconds: number;
    pgVersion: string;
    settings: { name: string; setting: string }[];
  },
): void {
  const cpu = os.cpus();
  const lines = [
    "<!-- receiver:start -->",
    "## Webhook receiver",
    "",
    `Written by \`npx tsx bench/receiver/run.ts\` on ${new Date().toISOString().slice(0, 10)}, ${SECONDS} s per cell, ${Math.round(m.seconds)} s in all.`,
    "",
    `- Machine: ${cpu.length} CPUs (${cpu[0]?.model ?? "?"}), Linux ${os.release()}, Node ${process.version}; load average (1 min) ${m.load.toFixed(2)} before the run, ${m.after.toFixed(2)} after (other engineers' jobs share the machine).`,
    "- What is measured: signed Twilio inbound deliveries (HMAC-SHA1 checked, keywords matched, consent and",
    "  history written, TwiML answered), each with a fresh MessageSid, from up to 10,000 profile numbers;",
    "  a request counts when it got its 200. `in ledger` counts receiver_deliveries rows the cell added.",
    "- SQLite: one `receive` process on the store file (WAL, synchronous=FULL; deliveries that arrive",
    "  together commit in one transaction). PostgreSQL: two `receive` replicas on one database, senders",
    "  spread over both; the deliveries that reach a replica together are written in one statement (one",
    "  COMMIT), and a webhook read for one delivery serves the next for 5 s (each write checks it is still",
    `  current); ${m.pgVersion.split(" on ")[0]} on 127.0.0.1 (TCP), ${m.settings.map((s) => `${s.name}=${s.setting}`).join(", ")}:`,
    "  every 200 waited for its COMMIT's WAL flush; no durability is traded for the figures.",
    "- Senders, receivers and the database share the machine's 2 cores. `receiver CPU ms/delivery` is the",
    "  CPU time (user + system, /proc) of the receiver processes per 200: it does not depend on how busy",
    "  the machine is, and 1000 / it bounds what one receiver core can take.",
    "",
    "| backend | replicas | senders | deliveries/s | p50 ms | p99 ms | errors | 200s | in ledger | receiver CPU ms/delivery |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...cells.map(
      (c) =>
        `| ${c.backend} | ${c.replicas} | ${c.senders} | ${c.rps} | ${c.p50.toFixed(2)} | ${c.p99.toFixed(2)} | ${c.errors} | ${c.acknowledged} | ${c.inLedger} | ${c.cpuMsPerDelivery.toFixed(2)} |`,
    ),
    "<!-- receiver:end -->",
  ];
  const file = path.join(ROOT, "bench", "RESULTS.md");
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const section = lines.join("\n");
  const next = /<!-- receiver:start -->[\s\S]*<!-- receiver:end -->/.test(current)
    ? current.replace(/<!-- receiver:start -->[\s\S]*<!-- receiver:end -->/, section)
    : `${current.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
  console.log(section);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
