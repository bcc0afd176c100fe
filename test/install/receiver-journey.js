"use strict";
// The README's fuller program (examples/channels/index.ts: a Twilio credential, an RCS credential,
// inbound and feedback webhooks attached to the messaging service, two channels) with the installed
// package, and the webhook receiver that package ships, started as the README starts it (`npx
// pulumi-sms-channels-store receive`, before the first up, on the embedded store that does not exist
// yet). Then Twilio's side through the emulator: a signed STOP (200 with the opt-out reply), a
// delivery receipt (200), read back with the installed CLI; and an intruder's: a forged signature
// (403, nothing changes), an unknown webhook (404), the store's API (404). Destroy puts the
// service's URLs back. This is where a review once found a webhook URL that answered Twilio with 405.
const { randomBytes } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { stackEnv } = require("./stack-env");
const { journey } = require("./steps");

const REPO = path.resolve(__dirname, "..", "..");
const NUMBER = "+14155550100";
const PROFILE = "+14155550199";
const BEFORE = {
  inboundRequestUrl: "https://before.example.com/in",
  statusCallback: "https://before.example.com/status",
};

/**
 * One HTTP request from a child node process (the matrix runs pulumi with spawnSync, so it makes its
 * requests synchronously too): `{ status, body }`, the body parsed when it is JSON.
 */
function httpSync(run, method, url, options = {}) {
  const script = `
    const [method, url, headers, body] = process.argv.slice(1);
    fetch(url, { method, headers: JSON.parse(headers), body: body || undefined }).then(async (r) => {
      const text = await r.text();
      let parsed = text;
      try { parsed = JSON.parse(text); } catch {}
      process.stdout.write(JSON.stringify({ status: r.status, body: parsed }));
    });`;
  const body = options.json !== undefined ? JSON.stringify(options.json) : (options.form ?? "");
  const headers = {
    ...(options.json !== undefined ? { "content-type": "application/json" } : {}),
    ...(options.form !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    ...(options.headers ?? {}),
  };
  const r = run(process.execPath, ["-e", script, method, url, JSON.stringify(headers), body]);
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { status: 0, body: r.output.slice(-500) };
  }
}

/** The emulator's admin API (test/twilio-emulator/admin.ts). */
function emulatorAdmin(run, emulator, method, adminPath, json) {
  return httpSync(run, method, `${emulator.url}/__emulator${adminPath}`, json === undefined ? {} : { json });
}

/** The program folder beside the quick start's, sharing its node_modules (the installed package). */
function writeFullerProgram(dir) {
  const program = path.join(dir, "fuller");
  fs.rmSync(program, { recursive: true, force: true });
  fs.mkdirSync(program);
  fs.writeFileSync(
    path.join(program, "Pulumi.yaml"),
    "name: fuller\nruntime: nodejs\ndescription: the README's fuller program\n",
  );
  for (const f of ["index.ts", "tsconfig.json", "package.json"])
    fs.copyFileSync(path.join(REPO, "examples", "channels", f), path.join(program, f));
  return program;
}

/**
 * Runs the journey in `dir` (the variant's program folder, with the package installed); resolves
 * with `{ ok, seconds, steps, error? }`. `h`: the matrix's run, freePort, ready and tail.
 */
async function receiverJourney(dir, env, emulator, h) {
  const t0 = Date.now();
  const { steps, step } = journey();
  const program = writeFullerProgram(dir);
  const { backend, env: e } = stackEnv(env, emulator);
  delete e.SMSCHANNELS_STORE_KEY;
  const pulumi = (argv, input) =>
    h.run("pulumi", [...argv, "--non-interactive"], { cwd: program, env: e, ...(input ? { input } : {}) });
  const port = await h.freePort();
  const base = `http://127.0.0.1:${port}`;
  // As the README runs it, from the project folder; before the first up, so the store file does not
  // exist yet and the receiver makes it.
  const database = path.join("fuller", ".smschannels", "store.db");
  const logFile = path.join(backend, "receiver.log");
  const out = fs.openSync(logFile, "a");
  // The installed bin itself rather than through npx, so that SIGTERM reaches the receiver.
  const bin = path.join(dir, "node_modules", ".bin", "pulumi-sms-channels-store");
  const where = ["--database", database, "--listen", `127.0.0.1:${port}`, "--public-url", base];
  // --allow-private-vendor-hosts: the RCS credential's vendor is the loopback emulator.
  const receiver = spawn(bin, ["receive", ...where, "--allow-private-vendor-hosts"], {
    cwd: dir,
    env: e,
    stdio: ["ignore", out, out],
  });
  let seed;
  try {
    if (!(await h.ready(`${base}/healthz`, 30_000)))
      return { ok: false, seconds: 0, steps, error: `the receiver did not start: ${h.tail(logFile)}` };
    step("receiver made the store", () =>
      fs.existsSync(path.join(dir, database)) && /created the store file/.test(h.tail(logFile))
        ? undefined
        : `no store file, or no word of it in the receiver's log: ${h.tail(logFile)}`,
    );
    step("seed", () => {
      const r = emulatorAdmin(h.run, emulator, "POST", "/seed", {
        accounts: [
          {
            friendlyName: "Fuller program",
            incomingNumbers: [NUMBER],
            services: [
              { friendlyName: "Notifications", phoneNumbers: [NUMBER], ...BEFORE },
              { friendlyName: "RCS", channelSenders: ["rcs:acme_alerts_agent"] },
            ],
          },
        ],
      });
      if (r.status !== 201) return `seed: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
      seed = r.body.accounts[0];
      return undefined;
    });
    step("up", () => {
      if (pulumi(["stack", "init", "dev"]).code !== 0) return "stack init failed";
      const plain = {
        twilioAccountSid: seed.sid,
        inboundNumber: NUMBER,
        messagingServiceSid: seed.services[0].sid,
        rcsMessagingServiceSid: seed.services[1].sid,
        "smschannels:webhookBaseUrl": base,
        "smschannels:allowPrivateVendorHosts": "true",
      };
      for (const [k, v] of Object.entries(plain)) {
        const r = pulumi(["config", "set", k, v]);
        if (r.code !== 0) return `config set ${k}: ${r.output.slice(-800)}`;
      }
      const secret = pulumi(["config", "set", "--secret", "twilioAuthToken"], seed.authToken);
      if (secret.code !== 0) return `config set twilioAuthToken: ${secret.output.slice(-800)}`;
      const up = pulumi(["up", "--yes"]);
      if (up.code !== 0) return up.output.slice(-3000);
      const service = emulatorAdmin(h.run, emulator, "GET", `/services/${seed.services[0].sid}`).body;
      const outs = JSON.parse(pulumi(["stack", "output", "--json"]).stdout || "{}");
      if (!outs.inboundWebhookUrl?.startsWith(`${base}/v1/sandboxes/prod/webhooks/`))
        return `inboundWebhookUrl is ${outs.inboundWebhookUrl}`;
      if (
        service.inboundRequestUrl !== outs.inboundWebhookUrl ||
        service.statusCallback !== outs.feedbackWebhookUrl
      )
        return `the service was not pointed at the webhooks: ${JSON.stringify(service)}`;
      return undefined;
    });
    const consentOf = () => {
      const r = h.run(
        "npx",
        [
          "pulumi-sms-channels-store",
          "consents",
          "list",
          "--database",
          database,
          "--sandbox",
          "prod",
          "--number",
          PROFILE,
          "--json",
        ],
        { cwd: dir, env: e },
      );
      return r.code === 0
        ? JSON.parse(r.stdout).items.map((i) => i.status)
        : [`consents list failed: ${r.output.slice(-500)}`];
    };
    step("a signed STOP", () => {
      const d = emulatorAdmin(h.run, emulator, "POST", "/inbound", {
        from: PROFILE,
        to: NUMBER,
        body: "STOP",
      }).body;
      if (d.response?.status !== 200 || !d.response.body.includes("You will get no more messages"))
        return `the receiver answered ${JSON.stringify(d.response ?? d).slice(0, 500)}`;
      const consent = consentOf();
      return consent.join() === "opted-out" ? undefined : `consent after STOP: ${consent}`;
    });
    step("a forged START", () => {
      const forged = { kind: "token", authToken: randomBytes(16).toString("hex") };
      const d = emulatorAdmin(h.run, emulator, "POST", "/inbound", {
        from: PROFILE,
        to: NUMBER,
        body: "START",
        signing: forged,
      }).body;
      if (d.response?.status !== 403) return `a forged delivery got ${d.response?.status}`;
      const consent = consentOf();
      return consent.join() === "opted-out" ? undefined : `a forged START changed the consent: ${consent}`;
    });
    step("a delivery receipt", () => {
      const sent = httpSync(h.run, "POST", `${emulator.url}/2010-04-01/Accounts/${seed.sid}/Messages.json`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${seed.sid}:${seed.authToken}`).toString("base64")}`,
        },
        form: new URLSearchParams({
          To: "+14155550123",
          MessagingServiceSid: seed.services[0].sid,
          Body: "Hi",
        }).toString(),
      });
      if (sent.status !== 201) return `send: ${sent.status}`;
      const d = emulatorAdmin(h.run, emulator, "POST", "/status", {
        messageSid: sent.body.sid,
        status: "delivered",
      }).body;
      if (d.response?.status !== 200) return `the receipt got ${d.response?.status}`;
      const r = h.run(
        "npx",
        [
          "pulumi-sms-channels-store",
          "messages",
          "show",
          "--database",
          database,
          "--sandbox",
          "prod",
          sent.body.sid,
        ],
        { cwd: dir, env: e },
      );
      return r.code === 0 && JSON.parse(r.stdout).status === "delivered"
        ? undefined
        : `messages show: ${r.output.slice(-500)}`;
    });
    step("what else answers", () => {
      const health = httpSync(h.run, "GET", `${base}/healthz`);
      if (health.status !== 200 || health.body.service !== "pulumi-sms-channels-receiver")
        return `/healthz: ${health.status}`;
      const unknown = httpSync(h.run, "POST", `${base}/v1/sandboxes/prod/webhooks/whk_unknown`, {
        form: "Body=STOP",
      });
      const api = httpSync(h.run, "GET", `${base}/v1/sandboxes/prod/records`);
      return unknown.status === 404 && api.status === 404
        ? undefined
        : `an unknown webhook got ${unknown.status}, the store's API path ${api.status} (want 404, 404)`;
    });
    step("destroy", () => {
      const r = pulumi(["destroy", "--yes"]);
      if (r.code !== 0) return r.output.slice(-3000);
      const service = emulatorAdmin(h.run, emulator, "GET", `/services/${seed.services[0].sid}`).body;
      return service.inboundRequestUrl === BEFORE.inboundRequestUrl &&
        service.statusCallback === BEFORE.statusCallback
        ? undefined
        : `destroy left the service at ${JSON.stringify(service)}`;
    });
  } finally {
    if (!steps.some((s) => s.step === "destroy" && s.ok)) pulumi(["destroy", "--yes"]);
    receiver.kill("SIGTERM");
    await new Promise((res) => (receiver.exitCode !== null ? res() : receiver.once("exit", res)));
    fs.closeSync(out);
    fs.rmSync(backend, { recursive: true, force: true });
    fs.rmSync(program, { recursive: true, force: true });
  }
  const failed = steps.find((s) => !s.ok);
  return {
    ok: failed === undefined && steps.length === 8,
    seconds: Math.round((Date.now() - t0) / 1000),
    steps: steps.map((s) => `${s.step}: ${s.ok ? "ok" : "FAILED"}`),
    ...(failed ? { error: `${failed.step}: ${failed.error}` } : {}),
  };
}

module.exports = { receiverJourney, emulatorAdmin };
