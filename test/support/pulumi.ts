import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const execFileP = promisify(execFile);

let binDirPromise: Promise<string> | undefined;

/** The folder with `pulumi` and `pulumi-language-nodejs`, installing them on first use (cached). */
export function pulumiBinDir(): Promise<string> {
  (require(path.join(REPO_ROOT, "scripts", "link-self.js")) as { linkSelf(): void }).linkSelf();
  binDirPromise ??= execFileP("bash", [path.join(REPO_ROOT, "scripts", "ensure-pulumi.sh")], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30 * 60 * 1000,
  }).then(({ stdout }) => stdout.trim().split("\n").pop() as string);
  return binDirPromise;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, as a user reads them. */
  readonly output: string;
  readonly ms: number;
}

export interface StackOptions {
  /** Plain stack config, e.g. { "smschannels:validation": "off", "test:accountSid": "AC…" }. */
  readonly config?: Record<string, string>;
  /** Stack config set with --secret. */
  readonly secrets?: Record<string, string>;
  /** Extra environment for every pulumi command. */
  readonly env?: Record<string, string>;
  /** A program folder of the repo to copy instead of test/e2e/fixtures/<fixture>, e.g. "examples/channels". */
  readonly source?: string;
  /** The Pulumi.yaml to write when the program folder has none. */
  readonly pulumiYaml?: string;
}

/**
 * A real Pulumi stack on a temporary file backend: a copy of one fixture program, the repo's
 * node_modules linked in (so `require("pulumi-sms-channels")` and the provider's own require resolve to
 * this checkout), and the real CLI.
 */
export class TestStack {
  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(fixture: string, options: StackOptions = {}): Promise<TestStack> {
    const bin = await pulumiBinDir();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `smschannels-e2e-${fixture}-`));
    const dir = path.join(root, "program");
    const source = options.source
      ? path.join(REPO_ROOT, options.source)
      : path.join(REPO_ROOT, "test", "e2e", "fixtures", fixture);
    fs.cpSync(source, dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
      fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        options.pulumiYaml ?? `name: e2e-${fixture}\nruntime: nodejs\n`,
      );
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    if (!fs.existsSync(path.join(dir, "package.json"))) {
      fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: `e2e-${fixture}`, main: "index.js" }),
      );
    }
    fs.mkdirSync(path.join(root, "state"));
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith("SMSCHANNELS_") && !k.startsWith("PULUMI_")) env[k] = v;
    Object.assign(env, {
      PATH: `${bin}${path.delimiter}${process.env["PATH"] ?? ""}`,
      PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_HOME: path.join(os.tmpdir(), "smschannels-e2e-pulumi-home"),
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
      ...options.env,
    });
    const stack = new TestStack(dir, env);
    await stack.must(["stack", "init", "test", "--non-interactive"]);
    for (const [k, v] of Object.entries(options.config ?? {})) await stack.setConfig(k, v);
    for (const [k, v] of Object.entries(options.secrets ?? {})) await stack.setConfig(k, v, true);
    return stack;
  }

  run(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", ["--color", "never", ...args], {
        cwd: this.dir,
        env: { ...this.env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let output = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        output += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        output += d.toString();
      });
      child.on("error", reject);
      child.on("close", (code) =>
        resolve({ code: code ?? -1, stdout, stderr, output, ms: Date.now() - started }),
      );
    });
  }

  /** Runs and fails the test with the whole output when the command fails. */
  async must(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    const r = await this.run(args, extraEnv);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.output}`);
    return r;
  }

  setConfig(key: string, value: string, secret = false): Promise<RunResult> {
    return this.must(["config", "set", key, secret ? "--secret" : "--plaintext", "--", value]);
  }

  preview(...extra: string[]): Promise<RunResult> {
    return this.run(["preview", "--non-interactive", "--diff", ...extra]);
  }

  up(...extra: string[]): Promise<RunResult> {
    return this.run(["up", "--yes", "--non-interactive", "--skip-preview", "--diff", ...extra]);
  }

  refresh(...extra: string[]): Promise<RunResult> {
    return this.run(["refresh", "--yes", "--non-interactive", "--skip-preview", ...extra]);
  }

  destroy(...extra: string[]): Promise<RunResult> {
    return this.run(["destroy", "--yes", "--non-interactive", "--skip-preview", ...extra]);
  }

  async outputs(): Promise<Record<string, unknown>> {
    const r = await this.must(["stack", "output", "--json", "--show-secrets"]);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  async exportText(): Promise<string> {
    return (await this.must(["stack", "export"])).stdout;
  }

  async exportState(): Promise<StateResource[]> {
    const parsed = JSON.parse(await this.exportText()) as { deployment: { resources?: StateResource[] } };
    return parsed.deployment.resources ?? [];
  }

  /** The embedded store's file in this program's folder (the default `smschannels:storePath`). */
  get storePath(): string {
    return path.join(this.dir, ".smschannels", "store.db");
  }

  writeFile(name: string, text: string): void {
    fs.writeFileSync(path.join(this.dir, name), text);
  }

  cleanup(): void {
    fs.rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}

/** Fails with the command's whole output, so a failing scenario says why. */
export function expectSuccess(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`pulumi exited ${r.code}:\n${r.output}`);
  return r;
}

export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

/** The summary line counts of an up/preview ("+ 1 created", "~ 1 updated", "+-1 replaced"). */
export function summary(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of output.matchAll(
    /^\s*(?:[+~-]+\s*)?(\d+) (created|updated|replaced|deleted|unchanged|to create|to update|to replace|to delete)\b/gm,
  )) {
    counts[m[2] as string] = Number(m[1]);
  }
  return counts;
}
