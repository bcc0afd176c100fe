// The main job, end to end on one machine: the example stack (Pulumi.yaml, examples/channels/) on the
// embedded store, against the local Twilio emulator, with the webhook receiver beside the store.
// Preview, up, outputs, a look at the state; then the loop: an inbound STOP and a delivery receipt go
// through the receiver, and the consent and message status are read back; destroy.
import { randomBytes } from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TwilioEmulator } from "../test/twilio-emulator";
import { freePort } from "../test/support/http-server";
import { consentsList, messageShow, ReceiverProcess } from "../test/support/receiver-process";

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
  // The receiver works on the embedded store's file; both read secrets with this key.
  const storePath = path.join(work, "store.db");
  const storeKey = randomBytes(32).toString("base64");
  const port = await freePort();
  const receiverUrl = `http://127.0.0.1:${port}`;
  let receiver: ReceiverProcess | undefined;
  const account = emu.addAccount({ friendlyName: "Demo SMS account" });
  const number = emu.addIncomingNumber(account.sid, "+14155550100");
  const service = emu.addService(account.sid, {
    friendlyName: "Demo notifications",
    phoneNumbers: [number.phoneNumber],
    inboundRequestUrl: "https://old.example.com/inbound",
    statusCallback: "https://old.example.com/status",
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
    // The emulator is on loopback: vendor URLs may reach it only with this set (never in production).
    await set("smschannels:allowPrivateVendorHosts", "true");
    await set("smschannels:storePath", storePath);
    await set("smschannels:storeKey", storeKey, true);
    await set("twilioAccountSid", account.sid);
    await set("twilioAuthToken", account.authToken, true);
    await set("messagingServiceSid", service.sid);
    await set("inboundNumber", number.phoneNumber);
    await set("rcsMessagingServiceSid", rcsService.sid);
    await set("smschannels:webhookBaseUrl", receiverUrl);

    // The receiver first: the provider points the service at it only once it answers /healthz. The
    // store file does not exist yet: the receiver makes it, and the up below fills it.
    await time("receiver start", async () => {
      receiver = await ReceiverProcess.start({
        database: storePath,
        key: storeKey,
        port,
        publicUrl: receiverUrl,
      });
    });
    console.log(`\nWebhook receiver (pulumi-sms-channels-store receive) on ${receiverUrl}, on ${storePath}`);
    await time("preview", () => pulumi(["preview", "--non-interactive"]));
    await time("up", () => pulumi(["up", "--yes", "--non-interactive", "--skip-preview"]));
    await pulumi(["stack", "output"]);
    console.log(
      `\nThe emulated messaging service now sends inbound messages to ${emu.getService(service.sid)?.inboundRequestUrl}`,
    );
    await time("loop", () => loop(emu, account, service.sid, number.phoneNumber, storePath, storeKey));
    const state = JSON.parse(await pulumi(["stack", "export"], { quiet: true })) as {
      deployment: { resources?: { type: string; outputs?: Record<string, unknown> }[] };
    };
    console.log("\nSerialized provider per resource (target: under 2 KiB):");
    for (const r of state.deployment.resources ?? []) {
      const p = r.outputs?.["__provider"];
      if (typeof p === "string") console.log(`  ${r.type}: ${Buffer.byteLength(p)} bytes`);
    }
    await time("destroy", () => pulumi(["destroy", "--yes", "--non-interactive", "--skip-preview"]));
    const after = emu.getService(service.sid);
    console.log(
      `After destroy its inbound URL is back to ${after?.inboundRequestUrl} and its status callback to ${after?.statusCallback}`,
    );
    const calls = emu.requests.length;
    console.log(
      `\nDemo done in ${((Date.now() - started) / 1000).toFixed(1)} s (receiver start ${steps["receiver start"]} ms, preview ${steps["preview"]} ms, up ${steps["up"]} ms, loop ${steps["loop"]} ms, destroy ${steps["destroy"]} ms); the emulator answered ${calls} Twilio calls.`,
    );
  } finally {
    spawnSync("pulumi", ["stack", "rm", stackName, "--yes", "--force", "--non-interactive"], {
      cwd: root,
      env,
      stdio: "ignore",
    });
    await receiver?.stop();
    await emu.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The answering side: a subscriber texts STOP to our number, and a message we send is delivered.
 * The emulator posts both as Twilio does (signed); the receiver answers and keeps them in its ledger.
 */
async function loop(
  emu: TwilioEmulator,
  account: { sid: string; authToken: string },
  serviceSid: string,
  ourNumber: string,
  storePath: string,
  storeKey: string,
): Promise<void> {
  const subscriber = "+14155550199";
  console.log(`\nA subscriber (${subscriber}) texts STOP to ${ourNumber}:`);
  const stop = await emu.deliverInbound({ from: subscriber, to: ourNumber, body: "STOP" });
  console.log(
    `  the receiver answered ${stop.response.status} ${stop.response.contentType}: ${stop.response.body}`,
  );
  if (stop.response.status !== 200) throw new Error("the receiver did not take the inbound message");

  // An application sends a message through the service, as it would with Twilio; Twilio reports back.
  const messageSid = await emu.sendMessage(account, {
    To: "+14155550123",
    MessagingServiceSid: serviceSid,
    Body: "Your order shipped",
  });
  for (const status of ["sent", "delivered"]) {
    const d = await emu.deliverStatus({ messageSid, status });
    console.log(
      `  status callback "${status}" for ${messageSid}: the receiver answered ${d.response.status}`,
    );
  }

  const consent = await consentsList(storePath, storeKey, "prod", subscriber);
  console.log(`\n$ pulumi-sms-channels-store consents list --sandbox prod --number ${subscriber} --json`);
  console.log(`  ${JSON.stringify(consent)}`);
  const message = await messageShow(storePath, storeKey, "prod", messageSid);
  console.log(`$ pulumi-sms-channels-store messages show --sandbox prod ${messageSid}`);
  console.log(`  ${JSON.stringify(message)}`);
  const status = consent.items[0]?.["status"];
  if (status !== "opted-out" || message?.["status"] !== "delivered") {
    throw new Error(
      `expected the subscriber opted out and the message delivered, read ${String(status)} and ${String(message?.["status"])}`,
    );
  }
  console.log(
    `Read back: ${subscriber} is ${status}; message ${messageSid} is ${String(message["status"])}.`,
  );
}

main().catch((e: unknown) => {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
