"use strict";
// Loaded with `NODE_OPTIONS=--require <this file>` by `run.ts --profile <dir>`. Node refuses
// `--cpu-prof` in NODE_OPTIONS ("--cpu-prof is not allowed in NODE_OPTIONS", exit 9), so every node
// the language host starts, even its `node -e require.resolve(…)` probe, died and the host said "the
// Pulumi SDK has not been installed". This file does what --cpu-prof would, from inside the process:
// in the Pulumi program (`@pulumi/pulumi/cmd/run`) and the dynamic provider
// (`@pulumi/pulumi/cmd/dynamic-provider`) only, it starts V8's sampling profiler through node:inspector
// and samples process.memoryUsage(); it writes `<role>-<pid>.cpuprofile` and `<role>-<pid>.memory.json`
// into ENGINE_FLOOR_PROFILE_DIR when the process exits or is told to stop. The engine ends the provider
// process with a signal, which skips the 'exit' event, so the signals are caught here too (profiling only).
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.ENGINE_FLOOR_PROFILE_DIR;
const script = process.argv[1] ?? "";
const role = /cmd[\\/]dynamic-provider/.test(script)
  ? "provider"
  : /cmd[\\/]run/.test(script)
    ? "program"
    : undefined;

if (dir && role) {
  const inspector = require("node:inspector");
  const v8 = require("node:v8");
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  // --cpu-prof's default interval (1 ms), so figures compare with the earlier profiles.
  session.post("Profiler.setSamplingInterval", {
    interval: Number(process.env.ENGINE_FLOOR_PROFILE_INTERVAL_US ?? 1000),
  });
  session.post("Profiler.start");

  const started = Date.now();
  const memory = [];
  const sampleMemory = (label) => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_used_size / 1024)]),
    );
    // CPU seconds of this process so far, so a run splits its CPU between program, provider and engine.
    const cpu = process.cpuUsage();
    memory.push({
      t: Date.now() - started,
      label,
      ...m,
      cpuS: (cpu.user + cpu.system) / 1e6,
      spacesKiB: spaces,
    });
  };
  const timer = setInterval(() => sampleMemory("tick"), Number(process.env.ENGINE_FLOOR_MEMORY_MS ?? 250));
  timer.unref();

  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    clearInterval(timer);
    sampleMemory("end");
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `${role}-${process.pid}`);
    fs.writeFileSync(`${base}.memory.json`, JSON.stringify({ role, argv: process.argv.slice(1), memory }));
    // An in-process session answers synchronously, so this is done before the process ends.
    session.post("Profiler.stop", (err, res) => {
      if (!err) fs.writeFileSync(`${base}.cpuprofile`, JSON.stringify(res.profile));
    });
  };
  process.on("exit", write);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      write();
      process.exit(0);
    });
  }
  // A heap snapshot at the end, on request (large: tens of MiB per process).
  if (process.env.ENGINE_FLOOR_HEAP_SNAPSHOT === "1") {
    process.prependListener("exit", () => {
      if (!written) v8.writeHeapSnapshot(path.join(dir, `${role}-${process.pid}.heapsnapshot`));
    });
  }
}
