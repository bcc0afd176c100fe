// A provider process's first up split into phases, ours against the floor, without the engine
// (PROFILE.md, "Session 9"): require, configure, the first check, the other checks, the first
// create, the other creates; CPU and wall ms, one JSON line per process, sides alternated. Against the
// Twilio emulator, with a fresh embedded store per process. Build first (npm run build).
//
//   npx tsx bench/engine-floor/provider-phases.ts [--n 100] [--reps 3] [--cpu-prof <dir>]
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../test/support/pulumi";
import { TwilioEmulator } from "../../test/twilio-emulator";

const CHILD = path.join(__dirname, "provider-phases-child.js");

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const n = option("--n", "100");
  const reps = Number(option("--reps", "3"));
  const prof = process.argv.includes("--cpu-prof") ? option("--cpu-prof", "") : undefined;
  const twilio = await TwilioEmulator.start();
  const accounts = Array.from({ length: 2 }, (_, i) => {
    const a = twilio.addAccount({ friendlyName: `Bench ${i}` });
    const service = twilio.addService(a.sid, {
      phoneNumbers: [`+1415555${2000 + i}`],
      channelSenders: ["rcs:bench_agent"],
    });
    return { sid: a.sid, token: a.authToken, serviceSid: service.sid };
  });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-provider-phases-"));
  try {
    for (let r = 0; r < reps; r++) {
      for (const side of r % 2 ? ["ours", "floor"] : ["floor", "ours"]) {
        const profArgs = prof ? ["--cpu-prof", "--cpu-prof-dir", path.join(prof, side)] : [];
        // Not execFileSync: the emulator answers from this process's event loop.
        const { stdout } = await promisify(execFile)(process.execPath, [...profArgs, CHILD], {
          env: {
            ...process.env,
            REPO: REPO_ROOT,
            SIDE: side,
            N: n,
            TWILIO_URL: twilio.url,
            STORE: path.join(work, `${side}-${r}`, "store.db"),
            ACCOUNTS: JSON.stringify(accounts),
          },
        });
        process.stdout.write(stdout);
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await twilio.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
