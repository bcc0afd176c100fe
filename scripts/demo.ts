// The main job, end to end on one machine: the example stack (Pulumi.yaml, examples/channels/) on the
// embedded store, against the local Twilio emulator. Preview, up, outputs, a look at the state, destroy.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TwilioEmulator } from "../test/twilio-emulator";
import { startReceiverHealthStub } from "../test/support/receiver-stub";

const root = path.resolve(__dirname, "..");
const binDir = process.env["PULUMI_BIN_DIR"];
if (!binDir) throw new Error("run this through `npm run demo`, which installs the Pulumi CLI first");

const work = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-demo-"));
const stackName = `demo-${process.pid}`;
const env: NodeJS.ProcessEnv = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SMSCHANNELS_")) env[k] = v;
Object.assign(env, {
  PATH: `${binDir}${path.delimiter}${process.env["PATH"] ?? ""}`,
  PULUMI_BACKEND_URL: `file://${work}`,
  PULUMI_CONFIG_PASSPHRASE: process.env["PULUMI_CONFIG_PASSPHRASE"] ?? "demo-passphrase",
  PULUMI_SKIP_UPDATE_CHECK: "true",
});

/** Runs the CLI without blocking this process, which also serves the Twilio emulator. */
function pulumi(args: string[], options: { quiet?: boolean } = {}): Promise<string> {
  if (!options.quiet) console.log(`\n$ pulumi ${args.join(" ")}`);
  const sep = args.indexOf("--");
  const full =
    sep < 0
      ? [...args, "--stack", stackName]
      : [...args.slice(0, sep), "--stack", stackName, ...args.slice(sep)];
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", full, { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!options.quiet) process.stdout.write(d);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`pulumi ${args[0]} failed (exit ${code})`)),
    );
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const emu = await TwilioEmulator.start();
  // The provider attaches webhooks only where the receiver answers its health check. Until the
  // receiver (`pulumi-sms-channels-store receive`) is on main, a stand-in answers that check.
  const receiver = await startReceiverHealthStub();
  const account = emu.addAccount({ friendlyName: "Demo SMS account" });
  const number = emu.addIncomingNumber(account.sid, "+14155550100");
  const service = emu.addService(account.sid, {
    friendlyName: "Demo notifications",
    phoneNumbers: [number.phoneNumber],
    inboundRequestUrl: "https://old.example.com/inbound",
  });
  const rcsService = emu.addService(account.sid, {
    friendlyName: "Demo RCS",
    channelSenders: ["rcs:acme_alerts_agent"],
  });
  console.log(`Twilio emulator on ${emu.url} with account ${account.sid}`);
  const steps: Record<string, number> = {};
  const time = async (name: string, fn: () => Promise<unknown>) => {
    const t = Date.now();
    await fn();
    steps[name] = Date.now() - t;
  };
  try {
    await new Promise((resolve) =>
      spawn("pulumi", ["stack", "init", stackName, "--non-interactive"], {
        cwd: root,
        env,
        stdio: "inherit",
      }).on("close", resolve),
    );
    const set = (key: string, value: string, secret = false) =>
      pulumi(["config", "set", key, secret ? "--secret" : "--plaintext", "--", value], { quiet: true });
    await set("smschannels:twilioApiUrl", emu.url);
    await set("smschannels:storePath", path.join(work, "store.db"));
    await set("twilioAccountSid", account.sid);
    await set("twilioAuthToken", account.authToken, true);
    await set("messagingServiceSid", service.sid);
    await set("inboundNumber", number.phoneNumber);
    await set("rcsMessagingServiceSid", rcsService.sid);
    await set("smschannels:webhookBaseUrl", receiver.base);

    await time("preview", () => pulumi(["preview", "--non-interactive"]));
    await time("up", () => pulumi(["up", "--yes", "--non-interactive", "--skip-preview"]));
    await pulumi(["stack", "output"]);
    console.log(
      `\nThe emulated messaging service now sends inbound messages to ${emu.getService(service.sid)?.inboundRequestUrl}`,
    );
    const state = JSON.parse(await pulumi(["stack", "export"], { quiet: true })) as {
      deployment: { resources?: { type: string; outputs?: Record<string, unknown> }[] };
    };
    console.log("\nSerialized provider per resource (target: under 2 KiB):");
    for (const r of state.deployment.resources ?? []) {
      const p = r.outputs?.["__provider"];
      if (typeof p === "string") console.log(`  ${r.type}: ${Buffer.byteLength(p)} bytes`);
    }
    await time("destroy", () => pulumi(["destroy", "--yes", "--non-interactive", "--skip-preview"]));
    console.log(`After destroy its inbound URL is back to ${emu.getService(service.sid)?.inboundRequestUrl}`);
    const calls = emu.requests.length;
    console.log(
      `\nDemo done in ${((Date.now() - started) / 1000).toFixed(1)} s (preview ${steps["preview"]} ms, up ${steps["up"]} ms, destroy ${steps["destroy"]} ms); the emulator answered ${calls} Twilio calls.`,
    );
  } finally {
    spawnSync("pulumi", ["stack", "rm", stackName, "--yes", "--force", "--non-interactive"], {
      cwd: root,
      env,
      stdio: "ignore",
    });
    await emu.stop();
    await receiver.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
