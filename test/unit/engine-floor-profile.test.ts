/**
 * bench/engine-floor/profile-shim.js, what `run.ts --profile` puts in NODE_OPTIONS. Node refuses
 * `--cpu-prof` there, so every node the language host started died (exit 9) and the host said the
 * SDK was not installed; the shim profiles from inside the program and the provider process only.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SHIM = path.join(__dirname, "../../bench/engine-floor/profile-shim.js");
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-engine-floor-profile-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stand-in for `@pulumi/pulumi/cmd/<name>`: the shim knows its processes by that path. */
function fakeCmd(name: string, body: string): string {
  const file = path.join(dir, "node_modules/@pulumi/pulumi/cmd", name, "index.js");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body);
  return file;
}

const env = (out: string) => ({
  ...process.env,
  NODE_OPTIONS: `--require ${SHIM}`,
  ENGINE_FLOOR_PROFILE_DIR: out,
});

it("a node the language host starts to look for the SDK runs, and is not profiled", () => {
  const out = path.join(dir, "out");
  const r = spawnSync(process.execPath, ["-e", "console.log('resolved')"], {
    env: env(out),
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe("resolved");
  expect(fs.existsSync(out)).toBe(false);
});

it("the program writes its CPU profile and memory samples when it exits", () => {
  const out = path.join(dir, "out");
  const run = fakeCmd("run", "let x = 0; for (let i = 0; i < 1e6; i++) x += i; console.log(x > 0);");
  const r = spawnSync(process.execPath, [run], { env: env(out), encoding: "utf8" });
  expect(r.status).toBe(0);
  const files = fs.readdirSync(out).sort();
  expect(files).toEqual([
    expect.stringMatching(/^program-\d+\.cpuprofile$/),
    expect.stringMatching(/^program-\d+\.memory\.json$/),
  ]);
  const profile = JSON.parse(fs.readFileSync(path.join(out, files[0]!), "utf8")) as {
    nodes: unknown[];
    samples: unknown[];
  };
  expect(profile.nodes.length).toBeGreaterThan(0);
  const memory = JSON.parse(fs.readFileSync(path.join(out, files[1]!), "utf8")) as {
    role: string;
    memory: { label: string; rss: number }[];
  };
  expect(memory.role).toBe("program");
  expect(memory.memory.at(-1)).toMatchObject({
    label: "end",
    rss: expect.any(Number),
    cpuS: expect.any(Number),
  });
});

it("the provider, which the engine ends with a signal, still writes its profile", async () => {
  const out = path.join(dir, "out");
  const provider = fakeCmd("dynamic-provider", "console.log('ready'); setInterval(() => {}, 1000);");
  const child = spawn(process.execPath, [provider], { env: env(out), stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(fs.readdirSync(out).some((f) => /^provider-\d+\.cpuprofile$/.test(f))).toBe(true);
});
