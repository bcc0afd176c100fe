"use strict";
// The rest of a stack's life with the installed package, after the README's deploy, as a user lives
// it: a preview with nothing to do, the policy pack the package ships (the quick start passes with
// its one advisory; an RCS channel on the Twilio credential is refused), an in-place update (the
// account's other number, for the credential's inboundNumber and the channel's senderNumber), the
// auth token rotated at Twilio (a preview names the stale token, then the new one is set and updated
// in place), a rename (each resource's `name`: in place, same ids), a sandbox change (both resources
// to `staging`: replaced, the old records gone; on the store service a token for `prod` alone is
// refused by the preview first, naming smschannels:storeToken), the undo of both edits (the README's
// program again: back in `prod` under the old names), a refresh that finds nothing changed, and a
// destroy that leaves no record in the store. Stops at the first step that fails. The program's
// index.ts is put back whatever happens.
const fs = require("node:fs");
const path = require("node:path");
const { emulatorAdmin } = require("./receiver-journey");
const { journey } = require("./steps");

const DYNAMIC = "pulumi-nodejs:dynamic/smschannels:";
// The README's command for a pull request, from the program's folder.
const PACK = "node_modules/pulumi-sms-channels/policy-pack";
// The README's quick-start program opens its two resources with these lines; the edits add arguments.
const OPENERS = {
  credential: 'new SmsApiCredential("twilio-sms", {\n',
  channel: 'new ChannelConfiguration("marketing-sms", {\n',
};

function stackOutputs(run, dir, env) {
  const r = run("pulumi", ["stack", "output", "--json", "--show-secrets"], { cwd: dir, env });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return {};
  }
}

/**
 * The README's program with `args` (e.g. `{ name: "…" }`, per resource) added to each resource's
 * arguments, as a user edits it; throws when the README's program no longer opens them as expected.
 */
function editProgram(code, args) {
  let out = code;
  for (const [which, opener] of Object.entries(OPENERS)) {
    if (!out.includes(opener)) throw new Error(`the README's program no longer has \`${opener.trim()}\``);
    const lines = Object.entries(args[which] ?? {}).map(([k, v]) => `  ${k}: ${JSON.stringify(v)},\n`);
    out = out.replace(opener, opener + lines.join(""));
  }
  return out;
}

/** The README's program with its channel made an RCS channel (still on the Twilio SMS credential). */
function rcsChannel(code) {
  const line = '  channel: "sms",\n';
  if (!code.includes(line)) throw new Error(`the README's program no longer has \`${line.trim()}\``);
  return code.replace(line, '  channel: "rcs",\n');
}

/**
 * `o`: { dir, env, emulator, first (the outputs after the deploy), records () => ["sandbox/kind/name",
 * …] or an error string, run, widenToken? () => { token } or { error } (the store service: a token
 * for every sandbox, which the step sets as smschannels:storeToken) }. Returns [{ step, ok, error }].
 */
function afterDeploy(o) {
  const { dir, env, emulator, first, run } = o;
  const { steps, step } = journey();
  const pulumi = (argv) => run("pulumi", [...argv, "--non-interactive"], { cwd: dir, env });
  const outputs = () => stackOutputs(run, dir, env);
  const unchanged = () => {
    const r = pulumi(["preview", "--expect-no-changes"]);
    return r.code === 0 ? undefined : `a preview found changes: ${r.output.slice(-1500)}`;
  };
  // A secret goes in on stdin, never on a command line, as the README sets one.
  const setSecret = (key, value) => {
    const r = run("pulumi", ["config", "set", "--secret", key, "--non-interactive"], {
      cwd: dir,
      env,
      input: value,
    });
    return r.code === 0 ? undefined : r.output.slice(-1500);
  };
  const up = () => {
    const r = pulumi(["up", "--yes"]);
    return r.code === 0 ? undefined : r.output.slice(-3000);
  };
  // The store must hold exactly these records ("sandbox/name", any kind): nothing lost, nothing left over.
  const storeHolds = (expected) => {
    const got = o.records();
    if (typeof got === "string") return got;
    const names = got.map((r) => r.replace(/\/[^/]+\//, "/")).sort();
    const want = [...expected].sort();
    return JSON.stringify(names) === JSON.stringify(want)
      ? undefined
      : `the store holds ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  };
  // [policy, enforcement level] of each violation the engine reported for a preview with the pack.
  // With --json (and this variable for previews) the engine streams its events, one JSON object a line.
  const policyPreview = (flags) => {
    const argv = ["preview", "--policy-pack", PACK, "--json", "--non-interactive", ...flags];
    const r = run("pulumi", argv, {
      cwd: dir,
      env: { ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
    });
    const violations = r.stdout.split("\n").flatMap((line) => {
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        return []; // not an event line
      }
      return e?.policyEvent ? [[e.policyEvent.policyName, e.policyEvent.enforcementLevel]] : [];
    });
    return { ...r, violations };
  };
  const programFile = path.join(dir, "index.ts");
  const original = fs.readFileSync(programFile, "utf8");
  let ids = { credentialId: first.credentialId, channelId: first.channelId };
  const sameIds = (now, what) =>
    now.credentialId === ids.credentialId && now.channelId === ids.channelId
      ? undefined
      : `${what} replaced a resource: ${JSON.stringify({ before: ids, now })}`;
  const newIds = (now, what) => {
    if (!now.credentialId || !now.channelId) return `${what}: the stack lost its outputs`;
    if (now.credentialId === ids.credentialId || now.channelId === ids.channelId)
      return `${what} did not replace both resources: ${JSON.stringify({ before: ids, now })}`;
    ids = { credentialId: now.credentialId, channelId: now.channelId };
    return undefined;
  };

  try {
    step("no-change preview", unchanged);
    step("policy pack", () => {
      // As the README runs it in a pull request: the pack the package ships, its @pulumi/policy as npm
      // installed it. The quick start draws the pack's advisory (a marketing channel with no webhook to
      // answer STOP), which is how this step knows the pack ran; an RCS channel on the Twilio credential
      // is its mandatory violation. Read from the engine's event log, not its prose.
      const clean = policyPreview(["--expect-no-changes"]);
      if (clean.code !== 0) return `a preview with the policy pack failed: ${clean.output.slice(-2000)}`;
      const advisory = JSON.stringify(clean.violations);
      if (advisory !== JSON.stringify([["marketing-channel-has-opt-out", "advisory"]]))
        return `the policy pack reported ${advisory} on the quick start, expected its one advisory`;
      fs.writeFileSync(programFile, rcsChannel(original));
      const rcs = policyPreview([]);
      fs.writeFileSync(programFile, original);
      if (rcs.code === 0)
        return "a preview of an RCS channel on a Twilio SMS credential passed the policy pack";
      if (
        !rcs.violations.some(
          ([name, level]) => name === "rcs-requires-custom-credential" && level === "mandatory",
        )
      )
        return `the policy pack did not report rcs-requires-custom-credential: ${JSON.stringify(rcs.violations)}`;
      return undefined;
    });
    step("update", () => {
      const set = pulumi(["config", "set", "twilioPhoneNumber", emulator.otherNumber]);
      if (set.code !== 0) return set.output.slice(-1500);
      const failed = up() ?? sameIds(outputs(), "the update");
      if (failed) return failed;
      // The new number is in the state of both resources, as the store has it (read back by refresh later).
      const state = JSON.parse(pulumi(["stack", "export"]).stdout || "{}");
      const numbers = (state.deployment?.resources ?? [])
        .filter((r) => r.type.startsWith(DYNAMIC))
        .map((r) => r.outputs?.inboundNumber ?? r.outputs?.senderNumber);
      if (numbers.length !== 2 || numbers.some((n) => n !== emulator.otherNumber))
        return `the update did not reach both resources: ${JSON.stringify(numbers)}`;
      return unchanged();
    });
    step("secret rotation", () => {
      // As Twilio's console rotates an auth token: the old one is refused from then on.
      const rotated = emulatorAdmin(run, emulator, "POST", `/accounts/${emulator.sid}/auth-token`);
      if (rotated.status !== 201) return `the emulator did not rotate the token (${rotated.status})`;
      emulator.token = rotated.body.authToken; // the later variants deploy with the account's current token
      // The preview asks Twilio, so the token left in the stack's config is named before anything changes.
      const stale = pulumi(["preview"]);
      if (stale.code === 0) return "a preview with the rotated-out token passed";
      if (!/authToken/.test(stale.output))
        return `the failed preview does not name authToken: ${stale.output.slice(-1500)}`;
      const failed = setSecret("twilioAuthToken", emulator.token) ?? up();
      if (failed) return failed;
      const now = outputs();
      if (now.credentialId !== first.credentialId) return "the rotation replaced the credential";
      if (!now.secretFingerprint || now.secretFingerprint === first.secretFingerprint)
        return "the credential's secretFingerprint did not change with its secret";
      if (pulumi(["stack", "export"]).stdout.includes(emulator.token))
        return "the new token is in the stack's state in clear";
      return unchanged();
    });
    step("rename", () => {
      const names = {
        credential: { name: "twilio-sms-primary" },
        channel: { name: "marketing-sms-primary" },
      };
      fs.writeFileSync(programFile, editProgram(original, names));
      return (
        up() ??
        sameIds(outputs(), "the rename") ??
        storeHolds(["prod/twilio-sms-primary", "prod/marketing-sms-primary"]) ??
        unchanged()
      );
    });
    step("sandbox change", () => {
      const args = {
        credential: { name: "twilio-sms-primary", sandbox: "staging" },
        channel: { name: "marketing-sms-primary", sandbox: "staging" },
      };
      fs.writeFileSync(programFile, editProgram(original, args));
      if (o.widenToken) {
        // The service's token is for `prod`: the preview must say so before anything is written.
        const refused = pulumi(["preview"]);
        if (refused.code === 0) return "a preview into `staging` with a token for `prod` passed";
        if (!/smschannels:storeToken/.test(refused.output))
          return `the refused preview does not name smschannels:storeToken: ${refused.output.slice(-1500)}`;
        const token = o.widenToken();
        if (token.error) return token.error;
        const set = setSecret("smschannels:storeToken", token.token);
        if (set) return set;
      }
      return (
        up() ??
        newIds(outputs(), "the sandbox change") ??
        storeHolds(["staging/twilio-sms-primary", "staging/marketing-sms-primary"]) ??
        unchanged()
      );
    });
    step("undo", () => {
      fs.writeFileSync(programFile, original);
      return (
        up() ??
        newIds(outputs(), "the undo") ??
        storeHolds(["prod/twilio-sms", "prod/marketing-sms"]) ??
        unchanged()
      );
    });
    step("refresh", () => {
      const r = pulumi(["refresh", "--yes"]);
      if (r.code !== 0) return r.output.slice(-3000);
      return unchanged();
    });
    step("destroy", () => {
      const r = pulumi(["destroy", "--yes"]);
      if (r.code !== 0) return r.output.slice(-3000);
      return storeHolds([]);
    });
  } finally {
    fs.writeFileSync(programFile, original);
  }
  return steps;
}

module.exports = { afterDeploy, editProgram, rcsChannel, stackOutputs };
