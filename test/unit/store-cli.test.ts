/** `pulumi-sms-channels-store`: token commands, serve, and a real process stopped by SIGTERM. */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { request } from "undici";
import { Keyring } from "../../store";
import { parseListen, runCli, type CliIo } from "../../store/server/cli";

const ROOT = path.resolve(__dirname, "..", "..");

function io(
  env: NodeJS.ProcessEnv = {},
  extra: Partial<CliIo> = {},
): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, ...extra };
}

describe("store command", () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-cli-"));
    db = path.join(dir, "store.db");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("token create prints the token alone on stdout; list and revoke manage it", async () => {
    const made = io();
    expect(
      await runCli(
        [
          "token",
          "create",
          "--database",
          db,
          "--sandbox",
          "prod",
          "--scope",
          "write,runtime",
          "--description",
          "ci",
        ],
        made,
      ),
    ).toBe(0);
    const token = made.out.join("").trim();
    expect(token).toMatch(/^smsst_[A-Za-z0-9_-]{43}$/);
    expect(made.err.join("")).toContain("scopes=runtime,write");
    expect(made.err.join("")).not.toContain(token);

    const listed = io({ SMSCHANNELS_STORE_DATABASE: db });
    expect(await runCli(["token", "list", "--json"], listed)).toBe(0);
    const [record] = JSON.parse(listed.out.join("")) as { id: string; sandbox: string }[];
    expect(record).toMatchObject({ sandbox: "prod", scopes: ["runtime", "write"], description: "ci" });
    expect(listed.out.join("")).not.toContain(token);

    const revoked = io();
    expect(await runCli(["token", "revoke", "--database", db, record?.id ?? ""], revoked)).toBe(0);
    expect(revoked.out.join("")).toBe(`revoked ${record?.id}\n`);
    expect(await runCli(["token", "revoke", "--database", db, "tok_none"], io())).toBe(1);
    const plain = io();
    await runCli(["token", "list", "--database", db], plain);
    expect(plain.out.join("")).toContain("revoked 20");
  });

  test("wrong usage exits 2 and says what is wrong", async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage/],
      [["token", "create", "--database", db, "--sandbox", "prod"], /--scope/],
      [["token", "create", "--database", db, "--sandbox", "prod", "--scope", "admin"], /--scope takes/],
      [["token", "list"], /--database/],
      [["serve", "--database", db], /SMSCHANNELS_STORE_KEY/],
      [["frobnicate"], /unknown command/],
      [["serve", "--bogus"], /Unknown option/],
    ];
    for (const [argv, message] of cases) {
      const r = io();
      expect(await runCli(argv, r)).toBe(2);
      expect(r.err.join("")).toMatch(message);
    }
    const bad = io();
    expect(
      await runCli(["token", "create", "--database", db, "--sandbox", "Bad!", "--scope", "read"], bad),
    ).toBe(1);
    expect(bad.err.join("")).toContain("INVALID_INPUT");
  });

  test("--listen forms", () => {
    expect(parseListen("127.0.0.1:8787")).toEqual({ host: "127.0.0.1", port: 8787 });
    expect(parseListen("8787")).toEqual({ host: "127.0.0.1", port: 8787 });
    expect(parseListen(":8787")).toEqual({ host: "0.0.0.0", port: 8787 });
    expect(parseListen("[::1]:9")).toEqual({ host: "::1", port: 9 });
    expect(() => parseListen("host:99999")).toThrow(/--listen/);
  });

  test("serve answers with a token made by the command, and stops on its signal", async () => {
    const made = io();
    await runCli(["token", "create", "--database", db, "--sandbox", "prod", "--scope", "read"], made);
    const token = made.out.join("").trim();
    let stop!: (s: string) => void;
    let listening!: (url: string) => void;
    const url = new Promise<string>((r) => (listening = r));
    const served = io(
      { SMSCHANNELS_STORE_KEY: Keyring.generateKeyText() },
      { stopSignal: new Promise((r) => (stop = r)), onListening: listening },
    );
    const exit = runCli(["serve", "--database", db, "--listen", "127.0.0.1:0"], served);
    const res = await request(`${await url}/v1/sandboxes/prod/webhooks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ items: [] });
    stop("SIGTERM");
    expect(await exit).toBe(0);
    const lines = served.out
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(["serving", "request", "signal received", "stopped"]),
    );
    expect(served.out.join("")).not.toContain(token);
  });

  test("the real process finishes a request in flight after SIGTERM, then exits 0", async () => {
    const made = io();
    await runCli(["token", "create", "--database", db, "--sandbox", "prod", "--scope", "write"], made);
    const token = made.out.join("").trim();
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(ROOT, "store/server/cli.ts"),
        "serve",
        "--database",
        db,
        "--listen",
        "127.0.0.1:0",
      ],
      {
        cwd: ROOT,
        env: { ...process.env, SMSCHANNELS_STORE_KEY: Keyring.generateKeyText() },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        const m = /"msg":"serving"[^\n]*"url":"([^"]+)"/.exec(stdout);
        if (m?.[1]) resolve(m[1]);
      });
      child.on("exit", () => reject(new Error(`serve exited early: ${stdout}`)));
    });
    const body = JSON.stringify({
      name: "main",
      credentialType: "twilio-sms",
      data: { accountSid: "AC00000000000000000000000000000000" },
    });
    const req = http.request(`${url}/v1/sandboxes/prod/api-credentials`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    });
    const status = new Promise<number>((resolve, reject) => {
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
    });
    req.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    req.end(body.slice(10));
    expect(await status).toBe(201);
    expect(await exited).toBe(0);
    expect(stdout).toContain('"msg":"stopped"');
  }, 30_000);
});
