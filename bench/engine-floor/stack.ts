// A Pulumi stack for the engine-floor bench: the bench program copied to a temp folder, a file backend
// beside it, and every command timed while the peak RSS of its node processes is sampled from /proc.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Measured {
  readonly ms: number;
  /** Peak RSS (MiB) of the Pulumi program's node process (`@pulumi/pulumi/cmd/run`). */
  readonly programMiB: number;
  /** Peak RSS (MiB) of the dynamic provider's node process (`@pulumi/pulumi/cmd/dynamic-provider`). */
  readonly providerMiB: number;
  /**
   * CPU seconds (user + system) of the whole command: the CLI, language host, program and provider,
   * all reaped by the time it ends. Less moved by other work on the machine than the wall time.
   */
  readonly cpuS: number;
  readonly stdout: string;
}

/** This process's reaped children's CPU time (cutime + cstime from /proc/self/stat), in seconds. */
export function childrenCpuSeconds(): number {
  const stat = fs.readFileSync("/proc/self/stat", "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the comm: state(0) ppid … utime(11) stime(12) cutime(13) cstime(14); clock ticks of 1/100 s.
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

type Role = "program" | "provider";

/**
 * Peak RSS of a process tree's node processes by role: every `intervalMs`, the tree under `root`
 * is walked through /proc and each node process's VmHWM (its own high-water mark, so a peak between
 * two samples is not missed) is kept. Reading /proc costs the measured processes nothing.
 */
class RssSampler {
  private readonly peaks = new Map<number, { role: Role; kib: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly root: number,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const children = new Map<number, number[]>();
    let entries: string[];
    try {
      entries = fs.readdirSync("/proc");
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
      try {
        const stat = fs.readFileSync(`/proc/${e}/stat`, "latin1");
        // pid (comm) state ppid …; comm may hold spaces and parentheses: read after the last ")".
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        const list = children.get(ppid) ?? [];
        list.push(Number(e));
        children.set(ppid, list);
      } catch {
        // gone meanwhile
      }
    }
    const queue = [...(children.get(this.root) ?? [])];
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      queue.push(...(children.get(pid) ?? []));
      const known = this.peaks.get(pid);
      try {
        const role = known?.role ?? roleOf(fs.readFileSync(`/proc/${pid}/cmdline`, "latin1"));
        if (!role) continue;
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "latin1"));
        if (m) this.peaks.set(pid, { role, kib: Math.max(known?.kib ?? 0, Number(m[1])) });
      } catch {
        // exited meanwhile: its last sample stands
      }
    }
  }

  stop(): { programMiB: number; providerMiB: number } {
    clearInterval(this.timer);
    const peak = (role: Role) =>
      Math.max(0, ...[...this.peaks.values()].filter((p) => p.role === role).map((p) => p.kib)) / 1024;
    return { programMiB: peak("program"), providerMiB: peak("provider") };
  }
}

function roleOf(cmdline: string): Role | undefined {
  if (!cmdline.startsWith("node") && !cmdline.includes("/node\0")) return undefined;
  if (cmdline.includes("dynamic-provider")) return "provider";
  if (cmdline.includes("cmd/run")) return "program";
  return undefined;
}

export interface StackOptions {
  /** The folder of the program to copy. */
  readonly program: string;
  /** The node_modules the program (and its provider) resolve packages from. */
  readonly nodeModules: string;
  /** The folder with `pulumi` and `pulumi-language-nodejs`. */
  readonly binDir: string;
  readonly config: Record<string, string>;
  readonly secrets: Record<string, string>;
  readonly env?: Record<string, string>;
  /**
   * Where the file backend keeps the stack's state (default: beside the program). The bench puts it on
   * tmpfs: see run.ts, `--state-on-disk`.
   */
  readonly stateRoot?: string;
}

export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

export class BenchStack {
  private constructor(
    readonly root: string,
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly stateDir: string,
  ) {}

  static async create(name: string, o: StackOptions): Promise<BenchStack> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `smschannels-engine-floor-${name}-`));
    const dir = path.join(root, "program");
    fs.cpSync(o.program, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: engine-floor\nruntime: nodejs\n`);
    fs.writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: "engine-floor", main: "index.js" }),
    );
    fs.symlinkSync(o.nodeModules, path.join(dir, "node_modules"), "dir");
    const stateDir = o.stateRoot
      ? fs.mkdtempSync(path.join(o.stateRoot, `smschannels-engine-floor-state-${name}-`))
      : path.join(root, "state");
    fs.mkdirSync(stateDir, { recursive: true });
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith("SMSCHANNELS_") && !k.startsWith("PULUMI_") && k !== "NODE_OPTIONS") env[k] = v;
    Object.assign(env, {
      PATH: `${o.binDir}${path.delimiter}${process.env["PATH"] ?? ""}`,
      PULUMI_BACKEND_URL: `file://${stateDir}`,
      PULUMI_CONFIG_PASSPHRASE: "engine-floor-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_HOME: path.join(os.tmpdir(), "smschannels-engine-floor-pulumi-home"),
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
      ...o.env,
    });
    const stack = new BenchStack(root, dir, env, stateDir);
    await stack.must(["stack", "init", "bench", "--non-interactive"]);
    const pairs: string[] = [];
    for (const [k, v] of Object.entries(o.config)) pairs.push("--plaintext", `${k}=${v}`);
    for (const [k, v] of Object.entries(o.secrets)) pairs.push("--secret", `${k}=${v}`);
    await stack.must(["config", "set-all", ...pairs]);
    return stack;
  }

  /** Runs one pulumi command, timed, with the peak RSS of its program and provider processes. */
  run(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<Measured & { code: number }> {
    const started = process.hrtime.bigint();
    const cpuBefore = childrenCpuSeconds();
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", ["--color", "never", ...args], {
        cwd: this.dir,
        env: { ...this.env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const sampler = new RssSampler(child.pid as number);
      let stdout = "";
      let output = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        output += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const rss = sampler.stop();
        const cpuS = childrenCpuSeconds() - cpuBefore;
        if (code !== 0) {
          reject(new Error(`pulumi ${args.join(" ")} exited ${code}:\n${output.slice(-8000)}`));
          return;
        }
        resolve({ code: code ?? -1, ms, cpuS, stdout, ...rss });
      });
    });
  }

  must(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<Measured> {
    return this.run(args, extraEnv);
  }

  /** The resources in the stack's state, the stack and the default provider left out. */
  async resources(): Promise<StateResource[]> {
    const r = await this.must(["stack", "export"]);
    const parsed = JSON.parse(r.stdout) as { deployment: { resources?: StateResource[] } };
    return (parsed.deployment.resources ?? []).filter(
      (x) => x.type !== "pulumi:pulumi:Stack" && !x.type.startsWith("pulumi:providers:"),
    );
  }

  /** What the last update did, from the engine's own record (`pulumi stack history --json`). */
  async lastChanges(): Promise<Record<string, number>> {
    const r = await this.must(["stack", "history", "--json", "--page-size", "1"]);
    const history = JSON.parse(r.stdout) as { resourceChanges?: Record<string, number> }[];
    return history[0]?.resourceChanges ?? {};
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}
