/**
 * Store benchmark: requests per second and p50/p99 latency of create, read and update at 1, 8 and
 * 32 concurrent clients, on SQLite and on PostgreSQL, through the HTTP service; and the same
 * operations on the store directly (in process), to show what the service adds to one operation.
 *
 * The service runs as a separate process (`pulumi-sms-channels-store serve`, via tsx) and the
 * clients here use HttpStore (undici keep-alive pool): on a 2-core machine client and server each
 * get a core, as they would on two machines. Writes bench/RESULTS.md.
 *
 *   npx tsx bench/store/run.ts [--seconds 2]
 * PostgreSQL: SMSCHANNELS_TEST_PG_URL, else a throwaway cluster (scripts/start-test-postgres.sh).
 */
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import {
  CoreStore,
  HttpStore,
  Keyring,
  PostgresBackend,
  SqliteBackend,
  type CredentialStore,
  type RecordInput,
} from "../../store";
import {
  percentile,
  ROOT,
  secondsArg,
  startServing,
  stopChild,
  storeCli,
  withTestDatabase,
} from "../support";

const SECONDS = secondsArg(2);
const CONCURRENCY = [1, 8, 32] as const;
const OPS = ["create", "read", "update"] as const;
type Op = (typeof OPS)[number];
const actor = { actor: "bench" };

interface Cell {
  readonly backend: string;
  readonly via: "service" | "embedded";
  readonly op: Op;
  readonly clients: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

let seq = 0;
function input(): RecordInput {
  seq++;
  return {
    sandbox: "bench",
    kind: "api-credential",
    name: `cred-${process.pid}-${seq}`,
    credentialType: "twilio-sms",
    data: {
      accountSid: "AC" + randomBytes(16).toString("hex"),
      messagingServiceSid: "MG" + randomBytes(16).toString("hex"),
    },
    secret: { authToken: randomBytes(16).toString("hex") },
  };
}

/** Runs `clients` loops of `op` for SECONDS; latency per operation, measured here. */
async function measure(
  store: CredentialStore,
  op: Op,
  clients: number,
  ids: string[],
): Promise<Omit<Cell, "backend" | "via">> {
  // Updates: one record per client, so writers measure the store, not conflicts with each other.
  const own = await Promise.all(
    Array.from({ length: op === "update" ? clients : 0 }, () => store.create(input(), actor)),
  );
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let version = own[c]?.version ?? 0;
      while (performance.now() < end) {
        const t = performance.now();
        try {
          // An Idempotency-Key on every create, as HttpStore always sends one: like for like.
          if (op === "create")
            ids.push((await store.create(input(), { ...actor, idempotencyKey: randomUUID() })).id);
          else if (op === "read")
            await store.get("bench", "api-credential", ids[Math.floor(Math.random() * ids.length)] as string);
          else
            version = (
              await store.update(
                "bench",
                "api-credential",
                own[c]?.id as string,
                version,
                { data: { accountSid: "AC00000000000000000000000000000000", n: version } },
                actor,
              )
            ).version;
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    op,
    clients,
    rps: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

async function runAll(
  store: CredentialStore,
  backend: string,
  via: Cell["via"],
  clients: readonly number[],
): Promise<Cell[]> {
  const ids: string[] = [];
  await measure(store, "create", 4, ids); // warm-up: JIT, connections, caches
  const cells: Cell[] = [];
  for (const n of clients) {
    for (const op of OPS) {
      const cell = { backend, via, ...(await measure(store, op, n, ids)) };
      cells.push(cell);
      console.log(
        `${backend.padEnd(10)} ${via.padEnd(8)} ${op.padEnd(6)} x${String(n).padEnd(2)}  ${cell.rps.toFixed(0).padStart(6)} req/s  p50 ${cell.p50.toFixed(2)} ms  p99 ${cell.p99.toFixed(2)} ms${cell.errors ? `  errors ${cell.errors}` : ""}`,
      );
    }
  }
  return cells;
}

async function makeToken(database: string): Promise<string> {
  const child = storeCli(
    ["token", "create", "--database", database, "--sandbox", "bench", "--scope", "write"],
    {},
  );
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise((r) => child.on("exit", r));
  if (code !== 0) throw new Error("token create failed");
  return out.trim();
}

/** The service in its own process (tsx), once its log says where it listens. */
async function serve(database: string, key: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { child, serving } = await startServing(
    ["serve", "--database", database, "--listen", "127.0.0.1:0", "--rate-limit", "0"],
    { SMSCHANNELS_STORE_KEY: key },
  );
  const url = /"url":"([^"]+)"/.exec(serving)?.[1];
  if (!url) throw new Error(`serve logged no url: ${serving}`);
  return { url, stop: () => stopChild(child) };
}

async function bench(
  backend: string,
  database: string,
  openEmbedded: (key: Keyring) => Promise<CoreStore>,
): Promise<Cell[]> {
  const keyText = Keyring.generateKeyText();
  const token = await makeToken(database);
  const service = await serve(database, keyText);
  const store = new HttpStore({ url: service.url, token, connections: 32 });
  const cells = await runAll(store, backend, "service", CONCURRENCY);
  await store.close();
  await service.stop();
  const embedded = await openEmbedded(Keyring.parse(keyText));
  cells.push(...(await runAll(embedded, backend, "embedded", [1, 8])));
  await embedded.close();
  return cells;
}

function table(cells: Cell[]): string {
  const rows = cells.map(
    (c) =>
      `| ${c.backend} | ${c.via} | ${c.op} | ${c.clients} | ${c.rps.toFixed(0)} | ${c.p50.toFixed(2)} | ${c.p99.toFixed(2)} | ${c.errors} |`,
  );
  return [
    "| backend | via | op | clients | req/s | p50 ms | p99 ms | errors |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

function overhead(cells: Cell[]): string {
  const rows: string[] = [];
  for (const backend of [...new Set(cells.map((c) => c.backend))]) {
    for (const op of OPS) {
      const svc = cells.find(
        (c) => c.backend === backend && c.via === "service" && c.op === op && c.clients === 1,
      );
      const emb = cells.find(
        (c) => c.backend === backend && c.via === "embedded" && c.op === op && c.clients === 1,
      );
      if (svc && emb)
        rows.push(
          `| ${backend} | ${op} | ${emb.p50.toFixed(3)} | ${svc.p50.toFixed(3)} | +${(svc.p50 - emb.p50).toFixed(3)} |`,
        );
    }
  }
  return [
    "| backend | op | embedded p50 ms | service p50 ms | service adds ms |",
    "| --- | --- | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  // Other work on the machine moves these numbers a lot (fsync latency above all): say how busy it was.
  const loadBefore = os.loadavg()[0] ?? 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-bench-"));
  const cells: Cell[] = [];
  const facts: string[] = [];
  try {
    const sqliteFile = path.join(dir, "store.db");
    cells.push(
      ...(await bench("sqlite", sqliteFile, async (k) => new CoreStore(new SqliteBackend(sqliteFile), k))),
    );
    const sqliteVersion = (
      new Database(":memory:").prepare("SELECT sqlite_version() AS v").get() as { v: string }
    ).v;
    facts.push(`SQLite ${sqliteVersion} (better-sqlite3), WAL, synchronous=FULL, file in ${os.tmpdir()}`);

    await withTestDatabase("bench", async (dbUrl) => {
      cells.push(
        ...(await bench("postgres", dbUrl, async (k) => new CoreStore(await PostgresBackend.open(dbUrl), k))),
      );
      const probe = await PostgresBackend.open(dbUrl);
      const setting = async (q: string): Promise<string> =>
        Object.values((await probe.query<Record<string, string>>(q)).rows[0] ?? {})[0] ?? "?";
      facts.push(
        `${(await setting("SELECT version()")).split(" on ")[0]}, on 127.0.0.1 (TCP), fsync=${await setting("SHOW fsync")}, synchronous_commit=${await setting("SHOW synchronous_commit")}, pool of 10 connections`,
      );
      await probe.close();
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const load = `load average (1 min) ${loadBefore.toFixed(2)} before the run, ${(os.loadavg()[0] ?? 0).toFixed(2)} after`;
  const machine = `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()}, Node ${process.version}`;
  const report = `# Store benchmark

Written by \`npx tsx bench/store/run.ts\` (npm run bench:store) on ${new Date().toISOString().slice(0, 10)}, ${SECONDS} s per cell, ${((Date.now() - started) / 1000).toFixed(0)} s in all.

- Machine: ${machine}; ${load}.
- ${facts.join("\n- ")}.
- Service: \`pulumi-sms-channels-store serve\` in its own process (tsx), rate limit off, one JSON log
  line per request (to a pipe); clients: HttpStore (undici keep-alive pool, 32 connections) in this
  process. Client and service share the machine's cores, so the service numbers are a floor.
- Embedded: CoreStore in this process on the same kind of database, no HTTP.
- create: a Twilio credential with a secret (encrypted on write), with an Idempotency-Key both ways;
  read: get by id; update: a data change at the known version, one record per client (no conflicts).

## Through the HTTP service, and embedded

${table(cells)}

## What the service adds to one operation (1 client, p50)

${overhead(cells)}
`;
  fs.writeFileSync(path.join(ROOT, "bench", "RESULTS.md"), report);
  console.log(`\nwrote bench/RESULTS.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
