// What pulumi-sms-channels costs over the engine's own floor: N resources of one kind against N no-op
// dynamic resources built the same way (program/index.js), for preview, first up, an up with no
// change, and destroy. Runs alternate between the sides (A,B,B,A…) so the machine's noise hits both;
// the table gives medians, ratios, and the peak RSS of the program and provider processes.
//
//   npx tsx bench/engine-floor/run.ts [--n 100,1000] [--kinds SmsApiCredential,…] [--reps 3]
//       [--ops preview,up,noop-up,destroy] [--base <git rev>] [--profile <dir>] [--sides floor,ours]
//       [--json <file>] [--state-on-disk]
//   npx tsx bench/engine-floor/run.ts --quick    # CI: N=100, preview only, fails beyond 1.5×
//
// The file backend's state goes to tmpfs (/dev/shm) unless --state-on-disk: the engine rewrites the
// whole snapshot twice per step, and on a disk that writeback moved one side's runs by up to 2× between
// repetitions; it also made each fsync of the embedded store (on disk, in the program's folder, as a
// user's) flush the engine's snapshot with it. A team's state is usually in Pulumi Cloud, not on this
// disk; the store's own cost, its fsync per commit included, is still measured.
//
// --base <rev> adds a third side: the package as built from that revision, for before/after figures.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pulumiBinDir, REPO_ROOT } from "../../test/support/pulumi";
import { TwilioEmulator } from "../../test/twilio-emulator";
import { BenchStack, type Measured, type StateResource } from "./stack";

const KINDS = ["SmsApiCredential", "CustomRcsCredential", "SmsWebhook", "ChannelConfiguration"] as const;
type Kind = (typeof KINDS)[number];
const OPS = ["preview", "up", "noop-up", "destroy"] as const;
type Op = (typeof OPS)[number];
type Side = "floor" | "ours" | "base";

const PULUMI_ARGS: Record<Op, string[]> = {
  preview: ["preview", "--non-interactive"],
  up: ["up", "--yes", "--non-interactive", "--skip-preview"],
  "noop-up": ["up", "--yes", "--non-interactive", "--skip-preview"],
  destroy: ["destroy", "--yes", "--non-interactive", "--skip-preview"],
};
/** Distinct Twilio questions per distinct credential: account, service, its numbers, and the inbound number or RCS senders. */
const QUESTIONS_PER_CREDENTIAL = 4;
const ACCOUNTS = 2;
const QUICK_LIMIT = 1.5;
const PROFILE_SHIM = path.join(__dirname, "profile-shim.js");

interface Options {
  ns: number[];
  kinds: Kind[];
  reps: number;
  ops: Op[];
  base?: string;
  profile?: string;
  json: string;
  quick: boolean;
  /** Only these sides (e.g. `--sides ours` with --profile). */
  sides?: Side[];
  /** Where the stacks' state goes: tmpfs by default (see the top), or beside each program. */
  stateRoot?: string;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes("--quick");
  const list = <T extends string>(name: string, all: readonly T[], dflt: readonly T[]): T[] => {
    const v = get(name);
    if (!v) return [...dflt];
    const items = v.split(",") as T[];
    for (const i of items) if (!all.includes(i)) throw new Error(`--${name}: unknown ${i}`);
    return items;
  };
  const base = get("base");
  const profile = get("profile");
  const sides = get("sides");
  return {
    quick,
    ns: (get("n") ?? (quick ? "100" : "100,1000")).split(",").map(Number),
    kinds: list("kinds", KINDS, KINDS),
    reps: Number(get("reps") ?? 3),
    ops: list("ops", OPS, quick ? ["preview"] : OPS),
    ...(base ? { base } : {}),
    ...(profile ? { profile: path.resolve(profile) } : {}),
    ...(sides ? { sides: sides.split(",") as Side[] } : {}),
    ...(argv.includes("--state-on-disk") || !tmpfsWritable() ? {} : { stateRoot: "/dev/shm" }),
    json: get("json") ?? path.join(os.tmpdir(), `engine-floor-${new Date().toISOString()}.json`),
  };
}

function tmpfsWritable(): boolean {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    const { bavail, bsize } = fs.statfsSync("/dev/shm");
    return bavail * bsize > 1024 ** 3;
  } catch {
    return false;
  }
}

/**
 * The package as built from another revision: its sources from `git archive`, built with this
 * checkout's compiler, and a node_modules that is this one's with `pulumi-sms-channels` pointing there.
 */
function buildBase(rev: string): { dir: string; nodeModules: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-engine-floor-base-"));
  const pkg = path.join(root, "package");
  const nodeModules = path.join(root, "node_modules");
  fs.mkdirSync(pkg);
  execFileSync("bash", ["-c", `git -C "${REPO_ROOT}" archive "${rev}" | tar -x -C "${pkg}"`]);
  fs.mkdirSync(nodeModules);
  for (const e of fs.readdirSync(path.join(REPO_ROOT, "node_modules"))) {
    if (e === "pulumi-sms-channels") continue;
    fs.symlinkSync(fs.realpathSync(path.join(REPO_ROOT, "node_modules", e)), path.join(nodeModules, e));
  }
  fs.symlinkSync(pkg, path.join(nodeModules, "pulumi-sms-channels"), "dir");
  fs.symlinkSync(nodeModules, path.join(pkg, "node_modules"), "dir");
  execFileSync(path.join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], {
    cwd: pkg,
    stdio: "inherit",
  });
  return { dir: root, nodeModules };
}

interface Sample extends Omit<Measured, "stdout"> {
  readonly twilioRequests: number;
}

type Results = Record<string, Partial<Record<Side, Sample[]>>>;
const key = (kind: Kind, n: number, op: Op) => `${kind}\t${n}\t${op}`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const binDir = await pulumiBinDir();
  const base = o.base ? buildBase(o.base) : undefined;
  const sides: Side[] = (base ? ["floor", "ours", "base"] : ["floor", "ours"]).filter(
    (s): s is Side => !o.sides || o.sides.includes(s as Side),
  );
  const nodeModulesOf = (side: Side) =>
    side === "base" && base ? base.nodeModules : path.join(REPO_ROOT, "node_modules");

  const twilio = await TwilioEmulator.start();
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => {
    const a = twilio.addAccount({ friendlyName: `Bench ${i}` });
    const inboundNumber = `+1415555${String(1000 + i)}`;
    const serviceNumber = `+1415555${String(2000 + i)}`;
    twilio.addIncomingNumber(a.sid, inboundNumber);
    const service = twilio.addService(a.sid, {
      phoneNumbers: [serviceNumber],
      channelSenders: ["rcs:bench_agent"],
    });
    return { sid: a.sid, token: a.authToken, serviceSid: service.sid, inboundNumber, serviceNumber };
  });

  const results: Results = {};
  const loads: string[] = [`start ${loadAverage()}`];
  const versions = {
    node: process.version,
    pulumi: execFileSync(path.join(binDir, "pulumi"), ["version"]).toString().trim(),
    sdk: (
      JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as {
        version: string;
      }
    ).version,
  };

  const stackFor = (kind: Kind, n: number, side: Side) =>
    BenchStack.create(`${kind}-${n}-${side}`, {
      program: path.join(__dirname, "program"),
      nodeModules: nodeModulesOf(side),
      binDir,
      config: {
        "bench:kind": kind,
        "bench:n": String(n),
        "bench:side": side === "floor" ? "floor" : "ours",
        "bench:twilioUrl": twilio.url,
        "bench:accounts": JSON.stringify(accounts.map(({ token: _t, ...a }) => a)),
        "smschannels:twilioApiUrl": twilio.url,
        "smschannels:allowPrivateVendorHosts": "true", // the RCS vendor is the loopback emulator
        "smschannels:webhookBaseUrl": "https://hooks.engine-floor.example",
      },
      secrets: Object.fromEntries(accounts.map((a, i) => [`bench:token${i}`, a.token])),
      ...(o.stateRoot ? { stateRoot: o.stateRoot } : {}),
    });

  const distinctCredentials = (kind: Kind, n: number) =>
    kind === "SmsWebhook" || kind === "ChannelConfiguration" ? 1 : Math.min(n, ACCOUNTS);

  const measure = async (stack: BenchStack, kind: Kind, n: number, op: Op, side: Side, rep: number) => {
    const before = twilio.requests.length;
    const env: Record<string, string> = {};
    if (o.profile) {
      const dir = path.join(o.profile, `${kind}-${n}-${op}-${side}-r${rep}`);
      fs.mkdirSync(dir, { recursive: true });
      // Not `--cpu-prof` in NODE_OPTIONS: node refuses it there (exit 9), so the language host's own
      // probes died; the shim profiles the program and the provider from inside (profile-shim.js).
      env["NODE_OPTIONS"] = `--require ${PROFILE_SHIM}`;
      env["ENGINE_FLOOR_PROFILE_DIR"] = dir;
      if (process.env["ENGINE_FLOOR_HEAP_SNAPSHOT"]) env["ENGINE_FLOOR_HEAP_SNAPSHOT"] = "1";
    }
    const m = await stack.run(PULUMI_ARGS[op], env);
    const requests = twilio.requests.slice(before);
    // Twilio calls: one set of read-only questions per distinct credential per command, none for the floor.
    const accountFetches = requests.filter((r) =>
      /^\/2010-04-01\/Accounts\/AC\w+\.json$/.test(r.path),
    ).length;
    const expected = side === "floor" || op === "destroy" ? 0 : distinctCredentials(kind, n);
    if (accountFetches !== expected || requests.length > expected * QUESTIONS_PER_CREDENTIAL) {
      throw new Error(
        `${side} ${kind} ${op}: ${accountFetches} account fetches and ${requests.length} Twilio requests; expected ${expected} and at most ${expected * QUESTIONS_PER_CREDENTIAL}`,
      );
    }
    const sample: Sample = {
      ms: m.ms,
      cpuS: m.cpuS,
      programMiB: m.programMiB,
      providerMiB: m.providerMiB,
      twilioRequests: requests.length,
    };
    ((results[key(kind, n, op)] ??= {})[side] ??= []).push(sample);
    console.error(
      `  ${kind} N=${n} ${op.padEnd(8)} ${side.padEnd(5)} ${(m.ms / 1000).toFixed(2)} s  cpu ${m.cpuS.toFixed(2)} s  program ${m.programMiB.toFixed(0)} MiB  provider ${m.providerMiB.toFixed(0)} MiB  twilio ${requests.length}`,
    );
  };

  /**
   * The input and output names each resource has in state, per side: the floor must be built as ours
   * is. Twice it fell behind a constructor of ours (outputs and an input added to the package and not
   * to program/index.js), and once its provider's outputs were only the inputs (6–13 % less state a
   * resource, which the engine rewrites at every step); each time the ratios compared unlike stacks.
   */
  const shapes = new Map<string, { floor?: string; package?: string }>();
  const shapeOf = (r: StateResource) => {
    const names = (o: Record<string, unknown> | undefined) =>
      Object.keys(o ?? {})
        .filter((k) => k !== "__provider")
        .sort()
        .join(",");
    return `inputs ${names(r.inputs)}; outputs ${names(r.outputs)}`;
  };
  const verify = async (stack: BenchStack, kind: Kind, n: number, op: Op, side: Side) => {
    const expected = n + (kind === "SmsWebhook" || kind === "ChannelConfiguration" ? 1 : 0);
    if (op === "up") {
      const resources = await stack.resources();
      if (resources.length !== expected)
        throw new Error(`${side} ${kind}: ${resources.length} resources after up, expected ${expected}`);
      // The base side is an older package, whose shape may differ: only this one is compared.
      for (const r of side === "base" ? [] : resources) {
        // The same name on both sides is the same resource built from the same arguments.
        const id = `${r.type.slice(r.type.lastIndexOf(":") + 1)} ${r.urn.slice(r.urn.lastIndexOf("::") + 2)}`;
        const entry = shapes.get(id) ?? {};
        entry[side === "floor" ? "floor" : "package"] = shapeOf(r);
        shapes.set(id, entry);
        if (entry.floor !== undefined && entry.package !== undefined && entry.floor !== entry.package)
          throw new Error(
            `the floor's ${id} has the ${entry.floor}, the package's the ${entry.package}: make program/index.js and program/floor-provider.js build it as the package does`,
          );
      }
      const largest = Math.max(...resources.map((r) => String(r.inputs?.["__provider"] ?? "").length));
      if (side !== "floor" && largest >= 2048)
        throw new Error(`${side} ${kind}: __provider of ${largest} bytes, the contract says under 2 KiB`);
    } else if (op === "noop-up") {
      const changes = await stack.lastChanges();
      const changed = Object.entries(changes).filter(([k, v]) => k !== "same" && v > 0);
      if (changed.length > 0 || changes["same"] !== expected + 1)
        throw new Error(`${side} ${kind}: the up with no change did ${JSON.stringify(changes)}`);
    } else if (op === "destroy") {
      const left = await stack.resources();
      if (left.length > 0) throw new Error(`${side} ${kind}: ${left.length} resources left after destroy`);
    }
  };

  try {
    for (const n of o.ns) {
      for (const kind of o.kinds) {
        loads.push(`${kind} N=${n}: ${loadAverage()}`);
        console.error(`== ${kind}, N=${n} (load ${loadAverage()})`);
        if (!o.ops.includes("up") && !o.ops.includes("destroy")) {
          // A preview, or an up that changes nothing, leaves the stack as it found it: one stack per
          // side serves every repetition (one unmeasured up first when there is a no-change up), so
          // N = 1,000 can afford the repetitions its run-to-run spread needs.
          const stacks = new Map<Side, BenchStack>();
          for (const side of sides) {
            const stack = await stackFor(kind, n, side);
            stacks.set(side, stack);
            if (o.ops.includes("noop-up")) {
              await stack.must(PULUMI_ARGS.up);
              await verify(stack, kind, n, "up", side);
            }
          }
          try {
            for (let rep = 0; rep < o.reps; rep++) {
              const order = rep % 2 === 0 ? sides : [...sides].reverse();
              for (const op of o.ops) {
                for (const side of order) {
                  await measure(stacks.get(side)!, kind, n, op, side, rep);
                  await verify(stacks.get(side)!, kind, n, op, side);
                }
              }
            }
          } finally {
            for (const s of stacks.values()) s.cleanup();
          }
          continue;
        }
        for (let rep = 0; rep < o.reps; rep++) {
          const stacks = new Map<Side, BenchStack>();
          try {
            for (const side of sides) stacks.set(side, await stackFor(kind, n, side));
            const order = rep % 2 === 0 ? sides : [...sides].reverse();
            for (const op of OPS) {
              if (!o.ops.includes(op) && op !== "up" && op !== "destroy") continue;
              for (const side of order) {
                const stack = stacks.get(side)!;
                if (o.ops.includes(op)) await measure(stack, kind, n, op, side, rep);
                else await stack.must(PULUMI_ARGS[op]); // an unmeasured up or destroy the next op needs
                await verify(stack, kind, n, op, side);
              }
            }
          } finally {
            for (const s of stacks.values()) s.cleanup();
          }
        }
      }
    }
  } finally {
    await twilio.stop();
    if (base) fs.rmSync(base.dir, { recursive: true, force: true });
  }
  loads.push(`end ${loadAverage()}`);

  fs.writeFileSync(o.json, JSON.stringify({ options: o, versions, loads, results }, null, 2));
  const { table, worst } = render(results, sides);
  console.log(
    [
      `engine floor: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, Node ${versions.node}, ${versions.pulumi.split("\n")[0]} (SDK ${versions.sdk}); load average ${loads[0]} → ${loads[loads.length - 1]}; median of ${o.reps}; state ${o.stateRoot ? `on tmpfs (${o.stateRoot})` : "on disk"}`,
      "",
      table,
      "",
      `raw samples: ${o.json}`,
    ].join("\n"),
  );
  if (o.quick && worst > QUICK_LIMIT) {
    console.error(`engine floor: a ratio of ${worst.toFixed(2)} is beyond ${QUICK_LIMIT}×`);
    process.exitCode = 1;
  }
}

/** The Markdown table: medians per side, ours over the floor, and peak RSS (MiB, median of the peaks). */
export function render(results: Results, sides: readonly Side[]): { table: string; worst: number } {
  const others = sides.filter((s) => s !== "floor");
  const head = [
    "kind",
    "N",
    "op",
    "floor s",
    ...others.flatMap((s) => [`${s} s`, `${s} ratio`, `${s} CPU ratio`]),
    "program MiB (floor / " + others.join(" / ") + ")",
    "provider MiB (floor / " + others.join(" / ") + ")",
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i < 3 ? "---" : "---:")).join(" | ")} |`,
  ];
  let worst = 0;
  for (const [k, bySide] of Object.entries(results)) {
    const [kind, n, op] = k.split("\t");
    const floor = bySide.floor ?? [];
    const f = median(floor.map((x) => x.ms));
    const fCpu = median(floor.map((x) => x.cpuS));
    const cells = [kind, n, op, (f / 1000).toFixed(2)];
    for (const s of others) {
      const m = median((bySide[s] ?? []).map((x) => x.ms));
      const ratio = m / f;
      if (s === "ours") worst = Math.max(worst, ratio);
      const cpuRatio = median((bySide[s] ?? []).map((x) => x.cpuS)) / fCpu;
      cells.push((m / 1000).toFixed(2), ratio.toFixed(2), cpuRatio.toFixed(2));
    }
    const mib = (field: "programMiB" | "providerMiB") =>
      sides.map((s) => median((bySide[s] ?? []).map((x) => x[field])).toFixed(0)).join(" / ");
    cells.push(mib("programMiB"), mib("providerMiB"));
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return { table: lines.join("\n"), worst };
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
