"use strict";
// Child of provider-phases.ts: one provider process's work in a first up, without the engine. It
// requires the side's provider code, configures it as the engine would, then sends N checks and N
// creates of CustomRcsCredential one at a time (as a first up does), and prints the CPU and wall
// milliseconds of each phase as one JSON line. Plain node (no tsx), so module loads cost what they
// cost in a provider process.
const path = require("node:path");

const { REPO, SIDE, TWILIO_URL, STORE } = process.env;
const N = Number(process.env.N);
const accounts = JSON.parse(process.env.ACCOUNTS);
const start = () => [process.cpuUsage(), process.hrtime.bigint()];
const since = ([cpu, wall]) => {
  const c = process.cpuUsage(cpu);
  return {
    cpu: Math.round((c.user + c.system) / 100) / 10,
    wall: Math.round(Number(process.hrtime.bigint() - wall) / 1e5) / 10,
  };
};
const config = {
  "smschannels:webhookBaseUrl": "https://hooks.engine-floor.example",
  "smschannels:storePath": STORE,
  "smschannels:twilioApiUrl": TWILIO_URL,
  "smschannels:allowPrivateVendorHosts": "true",
};
/** The inputs as the engine sends them for program/index.js's CustomRcsCredential i. */
const inputs = (i) => {
  const a = accounts[i % accounts.length];
  return {
    providerName: "Bench RCS",
    providerUrl: `${TWILIO_URL}/2010-04-01/Accounts/${a.sid}/Messages.json`,
    auth: { type: "basic", username: a.sid, password: a.token },
    payloadTemplate: JSON.stringify({ To: "{{toNumber}}", From: "{{fromNumber}}", Body: "{{message}}" }),
    messagingServiceSid: a.serviceSid,
    sandbox: "prod",
    name: `CustomRcsCredential-${i}`,
    ownerUrn: `urn:pulumi:s::p::pulumi-nodejs:dynamic/pulumi-sms-channels:CustomRcsCredential::CustomRcsCredential-${i}`,
    __provider: "exports.handler = require('pulumi-sms-channels/handlers')",
  };
};

async function main() {
  const out = { side: SIDE };
  let t = start();
  const code =
    SIDE === "floor"
      ? require(path.join(REPO, "bench/engine-floor/program/floor-provider.js"))
      : require(path.join(REPO, "dist/provider/handlers"));
  out.require = since(t);
  const provider = {};
  t = start();
  await code.configure({ config: { get: (k) => config[k] } }, provider, "CustomRcsCredential");
  out.configure = since(t);
  const checked = [];
  const check = async (i) => {
    const r = await provider.check({}, inputs(i));
    if (r.failures?.length) throw new Error(JSON.stringify(r.failures));
    checked.push(r.inputs);
  };
  t = start();
  await check(0);
  out.firstCheck = since(t);
  t = start();
  for (let i = 1; i < N; i++) await check(i);
  out.otherChecks = since(t);
  t = start();
  await provider.create(checked[0]);
  out.firstCreate = since(t);
  t = start();
  for (let i = 1; i < N; i++) await provider.create(checked[i]);
  out.otherCreates = since(t);
  out.modules = Object.keys(require.cache).length;
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
