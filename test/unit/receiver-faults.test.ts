/**
 * The receiver when things break, on SQLite and PostgreSQL: the database away (503, so Twilio
 * retries; back again, the retries are acknowledged once) and the receiver process SIGKILLed in the
 * middle of a burst (every 200 it gave is in the ledger). Real processes, real HTTP on loopback.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { SqliteBackend } from "../../store";
import { REPO_ROOT } from "../support/pulumi";
import { PG_SKIP_REASON, testPostgresUrl } from "../support/postgres";
import { freePort } from "../support/store-process";
import {
  inboundForm,
  postTwilio,
  PUBLIC_URL,
  ReceiverHarness,
  webhookPath,
  type Engine,
} from "../support/receiver";

const AUTH_TOKEN = "auth-token-of-the-fault-tests";
const CLI = path.join(REPO_ROOT, "dist", "store", "server", "cli.js");
const pgUrl = testPostgresUrl();
const engines: [Engine, boolean][] = [
  ["sqlite", true],
  ["postgres", pgUrl !== undefined],
];

/** A TCP proxy to PostgreSQL that can be cut (every connection dropped, new ones refused) and restored. */
class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}
  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, "127.0.0.1", resolve));
  }
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

describe.each(engines)("receiver on %s: faults", (engine, enabled) => {
  const d = enabled ? describe : describe.skip;
  d(enabled ? "faults" : `faults (${PG_SKIP_REASON})`, () => {
    let h: ReceiverHarness;
    beforeAll(async () => {
      h = await ReceiverHarness.open(engine, pgUrl);
    });
    afterAll(async () => {
      await h.close();
    });

    test("database down: 503 and nothing acknowledged; back up, Twilio's retries are acknowledged once", async () => {
      const credential = await h.twilioCredential("down", { authToken: AUTH_TOKEN });
      const webhook = await h.webhook("down", credential);
      let proxy: CuttableProxy | undefined;
      let database = h.database;
      if (engine === "postgres") {
        const u = new URL(h.database);
        proxy = new CuttableProxy(await freePort(), { host: u.hostname, port: Number(u.port || 5432) });
        await proxy.open();
        u.hostname = "127.0.0.1";
        u.port = String(proxy.port);
        database = u.toString();
      }
      const { url } = await h.start({ ledger: await h.ledger(database) });
      const send = (p: Record<string, string>) => postTwilio(url, webhookPath(webhook), p, AUTH_TOKEN);
      expect((await send(inboundForm("+14155551001", "STOP"))).status).toBe(200);

      // Down: PostgreSQL unreachable, or the SQLite file held by another writer past the wait.
      const lockHolder = (h.core.backend as SqliteBackend).db;
      if (proxy) await proxy.cut();
      else lockHolder.exec("BEGIN IMMEDIATE");
      const during = [inboundForm("+14155551002", "STOP"), inboundForm("+14155551003", "START")];
      const answers = await Promise.all(during.map(send));
      expect(answers.map((a) => a.status)).toEqual([503, 503]);
      if (proxy) await proxy.open();
      else lockHolder.exec("COMMIT");
      const keys = await h.recordedKeys();
      for (const p of during) expect(keys.has(p["MessageSid"] as string)).toBe(false);

      // Up again: Twilio retries the same deliveries (twice, even): acknowledged, each counted once.
      for (const p of [...during, ...during]) expect((await send(p)).status).toBe(200);
      const after = await h.recordedKeys();
      for (const p of during) expect(after.has(p["MessageSid"] as string)).toBe(true);
      expect(await (await h.ledger()).consentHistory("prod", "+14155551002")).toHaveLength(1);
      await proxy?.cut();
    }, 30_000);

    test("SIGKILL of the receiver during a burst: every 200 it gave is in the ledger", async () => {
      const credential = await h.twilioCredential("burst", { authToken: AUTH_TOKEN });
      const webhook = await h.webhook("burst", credential);
      const port = await freePort();
      const child = await startReceiverProcess(h, port);
      const url = `http://127.0.0.1:${port}`;
      const acknowledged: string[] = [];
      let stop = false;
      let sent = 0;
      const sender = async (i: number): Promise<void> => {
        for (let k = 0; !stop; k++) {
          const p = inboundForm(
            `+1415557${String(i).padStart(2, "0")}${String(k % 100).padStart(2, "0")}`,
            k % 2 ? "STOP" : "START",
          );
          sent++;
          try {
            const a = await postTwilio(url, webhookPath(webhook), p, AUTH_TOKEN);
            if (a.status === 200) acknowledged.push(p["MessageSid"] as string);
          } catch {
            return; // the connection died with the process
          }
        }
      };
      const senders = Array.from({ length: 16 }, (_, i) => sender(i));
      while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      stop = true;
      await Promise.all(senders);
      const keys = await h.recordedKeys();
      const missing = acknowledged.filter((k) => !keys.has(k));
      expect({ acknowledged: acknowledged.length, missing }).toEqual({
        acknowledged: acknowledged.length,
        missing: [],
      });
      expect(sent).toBeGreaterThan(acknowledged.length - 1);
    }, 60_000);
  });
});

async function startReceiverProcess(h: ReceiverHarness, port: number): Promise<ChildProcess> {
  const child = spawn(
    "node",
    [CLI, "receive", "--database", h.database, "--listen", `127.0.0.1:${port}`, "--public-url", PUBLIC_URL],
    { env: { ...process.env, SMSCHANNELS_STORE_KEY: h.keyText }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let buf: string | undefined = "";
    child.stdout?.on("data", (d: Buffer) => {
      // Read on (and drop) the log after the start: a full pipe would stall the receiver.
      if (buf !== undefined && (buf += d.toString()).includes('"serving"')) {
        buf = undefined;
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`receiver exited ${code}: ${stderr}`)));
  });
  return child;
}
