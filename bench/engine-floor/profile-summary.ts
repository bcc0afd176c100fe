// Sums V8 CPU profiles (`node --cpu-prof`, e.g. from `run.ts --profile <dir>`) into where the time
// went: self time by area (our code, the Pulumi SDK, gRPC, zod, the Twilio SDK, SQLite, node itself)
// and the heaviest functions. Profiles stay out of the repo; PROFILE.md keeps the written summary.
//
//   npx tsx bench/engine-floor/profile-summary.ts <file.cpuprofile | dir> [more…] [--top 25]
import fs from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the process a frame belongs to, from its script URL. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "gc";
    if (functionName === "(idle)" || functionName === "(program)") return functionName;
    return "native";
  }
  if (
    /pulumi-sms-channels|\/dist\/(provider|store)\/|\/wt\/[^/]+\/(provider|store)\//.test(url) &&
    !url.includes("node_modules/@")
  )
    return "ours";
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.slice(url.lastIndexOf("node_modules/") - 0));
  if (m) return m[1] as string;
  if (url.startsWith("node:")) return "node";
  return "other";
}

function files(args: string[]): string[] {
  return args.flatMap((a) =>
    fs.statSync(a).isDirectory()
      ? fs
          .readdirSync(a, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith(".cpuprofile"))
          .map((f) => path.join(a, f))
      : [a],
  );
}

function summarize(profile: Profile): {
  total: number;
  byArea: Map<string, number>;
  byFn: Map<string, number>;
} {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = nodes.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    if (area === "(idle)") continue;
    total += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const fn = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(dist|wt\/[^/]+)\//, "")}:${lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  }
  return { total, byArea, byFn };
}

function main(): void {
  const argv = process.argv.slice(2);
  const topIdx = argv.indexOf("--top");
  const top = topIdx >= 0 ? Number(argv[topIdx + 1]) : 25;
  const inputs = topIdx >= 0 ? argv.filter((_, i) => i !== topIdx && i !== topIdx + 1) : argv;
  for (const file of files(inputs)) {
    const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
    const { total, byArea, byFn } = summarize(profile);
    const wall = (profile.endTime - profile.startTime) / 1000;
    console.log(`\n## ${file}\nwall ${wall.toFixed(0)} ms, busy ${(total / 1000).toFixed(0)} ms`);
    for (const [area, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 12))
      console.log(
        `  ${(us / 1000).toFixed(0).padStart(7)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${area}`,
      );
    console.log("  heaviest functions (self time):");
    for (const [fn, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${fn}`);
  }
}

if (require.main === module) main();
