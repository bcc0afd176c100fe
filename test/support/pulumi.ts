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

/** One engine event, as `pulumi … --json` streams them: the engine's structured account of a run. */
export interface EngineEvent {
  readonly sequence: number;
  readonly diagnosticEvent?: { urn?: string; message: string; severity: string; prefix?: string };
  readonly resourcePreEvent?: { metadata: StepMetadata; planning?: boolean };
  readonly resOutputsEvent?: { metadata: StepMetadata; planning?: boolean };
  readonly resOpFailedEvent?: { metadata: StepMetadata; status: number; steps: number };
  readonly summaryEvent?: {
    resourceChanges?: Record<string, number>;
    maybeCorrupt?: boolean;
  };
  readonly policyEvent?: PolicyViolation;
}

/** A step as the engine reports it: what it does to one resource and which inputs cause it. */
export interface StepMetadata {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  /** Top-level inputs that changed (the provider's answer, or the engine's own input diff). */
  readonly diffs?: string[];
  /** Inputs that force a replacement. */
  readonly keys?: string[];
  readonly detailedDiff?: Record<string, { kind: string; inputDiff: boolean }> | null;
  readonly old?: { id?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  readonly new?: { id?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
}

export interface RunResult {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, as a user reads them: for failure messages, never for assertions on counts. */
  readonly output: string;
  readonly ms: number;
  /** The engine's events (empty for commands that write no event log). */
  readonly events: EngineEvent[];
}

/** The operations counted by the engine's summary event, e.g. { create: 3, same: 1 }; fails when there is none. */
export function changes(r: RunResult): Record<string, number> {
  const summary = r.events.find((e) => e.summaryEvent)?.summaryEvent;
  if (!summary) throw new Error(`${r.command}: no summary event (exit ${r.code}):\n${r.output}`);
  return summary.resourceChanges ?? {};
}

export interface PolicyViolation {
  readonly message: string;
  readonly policyName: string;
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly enforcementLevel: string;
  readonly resourceUrn?: string;
}

/** The policy violations the engine reported, e.g. [{ policyName, enforcementLevel: "mandatory", … }]. */
export function policyViolations(r: RunResult): PolicyViolation[] {
  return r.events.flatMap((e) => (e.policyEvent ? [e.policyEvent] : []));
}

/** Every step the engine reported (before it ran), in order, without the stack itself. */
export function steps(r: RunResult): StepMetadata[] {
  return r.events
    .flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []))
    .filter((m) => m.type !== "pulumi:pulumi:Stack");
}

/** The step on the resource named `name` (its URN's last part) other than `same`, or undefined. */
export function stepOf(r: RunResult, name: string): StepMetadata | undefined {
  const all = steps(r).filter((m) => m.urn.endsWith(`::${name}`));
  // A replacement is reported as create-replacement, replace, delete-replaced: it is a `replace`.
  return all.find((m) => m.op === "replace") ?? all.find((m) => m.op !== "same") ?? all[0];
}

/** Error diagnostics (what the engine reports as errors), with their resource. */
export function errors(r: RunResult): { urn: string | undefined; message: string }[] {
  return r.events
    .flatMap((e) => (e.diagnosticEvent?.severity === "error" ? [e.diagnosticEvent] : []))
    .map((d) => ({ urn: d.urn, message: d.message }));
}

/** All diagnostics of a severity ("warning", "error", ...) as one text, for `toContain`/`toMatch`. */
export function diagnostics(r: RunResult, severity?: string): string {
  return r.events
    .flatMap((e) =>
      e.diagnosticEvent && (!severity || e.diagnosticEvent.severity === severity)
        ? [e.diagnosticEvent.message]
        : [],
    )
    .join("\n");
}

/** Fails unless the run succeeded and the engine planned nothing but `same` steps. */
export function expectNoChanges(r: RunResult): void {
  expectSuccess(r);
  const counted = changes(r);
  const changed = Object.entries(counted).filter(([op, n]) => op !== "same" && n > 0);
  const moving = steps(r).filter((m) => m.op !== "same");
  if (changed.length > 0 || moving.length > 0) {
    throw new Error(
      `${r.command}: expected no changes, got ${JSON.stringify(counted)}: ${moving
        .map((m) => `${m.op} ${m.urn.split("::").pop()} [${(m.diffs ?? []).join(",")}]`)
        .join("; ")}\n${r.output}`,
    );
  }
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
  /** Run against the packed package (`npm pack`, test/support/packed.ts) instead of this checkout. */
  readonly packed?: boolean;
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
    const modules = options.packed
      ? (require("./packed") as typeof import("./packed")).packedNodeModules()
      : path.join(REPO_ROOT, "node_modules");
    fs.symlinkSync(modules, path.join(dir, "node_modules"), "dir");
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

  /**
   * Runs pulumi. `events`: with `--json`, the engine streams its events one JSON object a line on
   * stdout (previews too, with PULUMI_ENABLE_STREAMING_JSON_PREVIEW); they are parsed into `events`,
   * and `output` then holds what a user would read: the diagnostics, then stderr.
   */
  run(args: readonly string[], extraEnv: Record<string, string> = {}, events = false): Promise<RunResult> {
    const started = Date.now();
    const all = [...args, ...(events ? ["--json"] : [])];
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", ["--color", "never", ...all], {
        cwd: this.dir,
        env: {
          ...this.env,
          ...(events ? { PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" } : {}),
          ...extraEnv,
        },
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
      child.on("close", (code) => {
        const parsed: EngineEvent[] = [];
        if (events) {
          for (const line of stdout.split("\n")) {
            const t = line.trim();
            if (!t.startsWith("{")) continue;
            try {
              parsed.push(JSON.parse(t) as EngineEvent);
            } catch {
              // not an event line
            }
          }
          const said = parsed
            .flatMap((e) =>
              e.diagnosticEvent ? [`${e.diagnosticEvent.severity}: ${e.diagnosticEvent.message}`] : [],
            )
            .join("");
          output = `${said}${stderr}`;
        }
        resolve({
          command: `pulumi ${args[0] ?? ""}`,
          code: code ?? -1,
          stdout,
          stderr,
          output,
          ms: Date.now() - started,
          events: parsed,
        });
      });
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
    return this.run(["preview", "--non-interactive", "--diff", ...extra], {}, true);
  }

  up(...extra: string[]): Promise<RunResult> {
    return this.run(["up", "--yes", "--non-interactive", "--skip-preview", "--diff", ...extra], {}, true);
  }

  refresh(...extra: string[]): Promise<RunResult> {
    return this.run(["refresh", "--yes", "--non-interactive", "--skip-preview", ...extra], {}, true);
  }

  destroy(...extra: string[]): Promise<RunResult> {
    return this.run(["destroy", "--yes", "--non-interactive", "--skip-preview", ...extra], {}, true);
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
  if (r.code !== 0) throw new Error(`${r.command} exited ${r.code}:\n${r.output}`);
  return r;
}

/** Fails unless the command failed: a step meant to fail must not pass by succeeding. */
export function expectFailure(r: RunResult): RunResult {
  if (r.code === 0) throw new Error(`${r.command} succeeded but was expected to fail:\n${r.output}`);
  return r;
}

export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}
