// Splits each profiled command's CPU between the Pulumi program, the dynamic provider and the rest
// (the engine and the language host), from the samples profile-shim.js writes, side by side per run.
//
//   npx tsx bench/engine-floor/profile-split.ts <profile dir> [raw samples .json from run.ts]
import fs from "node:fs";
import path from "node:path";

interface MemoryFile {
  role: "program" | "provider";
  memory: { label: string; cpuS?: number; rss: number; heapTotal: number; external: number }[];
}

function main(): void {
  const [dir, raw] = process.argv.slice(2);
  if (!dir) throw new Error("usage: profile-split.ts <profile dir> [raw samples .json]");
  const totals = new Map<string, number[]>();
  if (raw) {
    const r = JSON.parse(fs.readFileSync(raw, "utf8")) as {
      results: Record<string, Record<string, { cpuS: number }[]>>;
    };
    for (const [k, bySide] of Object.entries(r.results))
      for (const [side, xs] of Object.entries(bySide)) {
        const [kind, n, op] = k.split("\t");
        totals.set(
          `${kind}-${n}-${op}-${side}`,
          xs.map((x) => x.cpuS),
        );
      }
  }
  console.log(
    "| run | total CPU s | program CPU s | provider CPU s | rest (engine, host) s | provider peak MiB: RSS / heap / external |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | --- |");
  for (const run of fs.readdirSync(dir).sort()) {
    const m = /^(.*)-r(\d+)$/.exec(run);
    if (!m) continue;
    const files = fs.readdirSync(path.join(dir, run)).filter((f) => f.endsWith(".memory.json"));
    const byRole: Record<string, number> = { program: 0, provider: 0 };
    let peak = "";
    for (const f of files) {
      const d = JSON.parse(fs.readFileSync(path.join(dir, run, f), "utf8")) as MemoryFile;
      const end = d.memory.at(-1);
      byRole[d.role] = (byRole[d.role] ?? 0) + (end?.cpuS ?? NaN);
      if (d.role === "provider") {
        const top = d.memory.reduce((a, b) => (b.rss > a.rss ? b : a));
        const mib = (x: number) => (x / 2 ** 20).toFixed(0);
        peak = `${mib(top.rss)} / ${mib(top.heapTotal)} / ${mib(top.external)}`;
      }
    }
    const total = totals.get(m[1] as string)?.[Number(m[2])];
    const rest = total === undefined ? NaN : total - (byRole["program"] ?? 0) - (byRole["provider"] ?? 0);
    console.log(
      `| ${run} | ${total?.toFixed(2) ?? "?"} | ${byRole["program"]?.toFixed(2)} | ${byRole["provider"]?.toFixed(2)} | ${rest.toFixed(2)} | ${peak} |`,
    );
  }
}

main();
