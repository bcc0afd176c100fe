/**
 * Runs the Twilio emulator as a process, for the demo and for tests in other processes:
 *
 *   npx tsx test/twilio-emulator/cli.ts [--host H] [--port N] [--seed-file f.json] [--links twilio]
 *                                       [--print-secrets]
 *
 * Prints one JSON line, `{"url": …, "adminUrl": …, "seed": {…}}`, with the seeded SIDs. Auth tokens
 * and key secrets are printed only with `--print-secrets` (local demos); otherwise another process
 * gets them from `POST /__emulator/seed`. Stops on SIGINT or SIGTERM.
 */
import fs from "node:fs";
import { parseSeedSpec, redactSeedResult, type SeedResult } from "./seed";
import { TwilioEmulator } from "./server";

interface CliOptions {
  host?: string;
  port?: number;
  seedFile?: string;
  links?: "emulator" | "twilio";
  printSecrets: boolean;
}

const USAGE =
  "usage: cli.ts [--host H] [--port N] [--seed-file f.json] [--links emulator|twilio] [--print-secrets]";

function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { printSecrets: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case "--host":
        opts.host = value();
        break;
      case "--port": {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new Error(`--port: not a port\n${USAGE}`);
        opts.port = port;
        break;
      }
      case "--seed-file":
        opts.seedFile = value();
        break;
      case "--links": {
        const links = value();
        if (links !== "emulator" && links !== "twilio")
          throw new Error(`--links: emulator or twilio\n${USAGE}`);
        opts.links = links;
        break;
      }
      case "--print-secrets":
        opts.printSecrets = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const spec = opts.seedFile ? parseSeedSpec(JSON.parse(fs.readFileSync(opts.seedFile, "utf8"))) : undefined;
  const emulator = await TwilioEmulator.start({ host: opts.host, port: opts.port, links: opts.links });
  let seeded: SeedResult = { accounts: [] };
  try {
    if (spec) seeded = emulator.seed(spec);
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  console.log(
    JSON.stringify({
      url: emulator.url,
      adminUrl: emulator.adminUrl,
      pid: process.pid,
      seed: opts.printSecrets ? seeded : redactSeedResult(seeded),
    }),
  );
  const shutdown = (signal: string): void => {
    void emulator.stop().then(() => {
      console.error(`twilio-emulator: stopped (${signal})`);
      process.exit(0);
    });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error(`twilio-emulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
