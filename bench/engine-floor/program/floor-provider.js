"use strict";
// The engine's floor: what the serialized no-op provider requires by path in the dynamic provider
// process. It does the least a correct dynamic provider must: echo inputs in check, compare old and
// new inputs in diff, hand back the inputs (secrets left out, as ours leaves them out) as outputs.
//
// Its outputs have the package's shape: the same names as ours per resource, with values of the same
// kind and size (constants, ids, timestamps). The engine rewrites the whole snapshot at every step,
// so its own work grows with the size of each resource's state; with outputs that were only the
// inputs, ours carried 6–13 % more state a resource, and a destroy of 1,000 (O(N²) in the engine)
// counted that against us (run.ts checks the names after every up).
const { randomBytes, randomUUID } = require("node:crypto");
const path = require("node:path");

const SECRET_FIELDS = ["authToken", "apiKeySecret", "auth", "headers", "twilioAuthToken", "verification"];
// The contract's defaults (what the package's SmsWebhook answers with when it names no keywords):
// one small module that imports nothing, read from the package's build rather than copied here.
const DEFAULTS = path.join(
  path.dirname(require.resolve("pulumi-sms-channels/package.json")),
  "dist/contract/defaults.js",
);
const defaults = () => require(DEFAULTS);
const fingerprint = () => randomBytes(8).toString("hex");
const now = () => new Date().toISOString();

/** Per type: the inputs ours leaves out of its outputs, and what it adds (provider/handlers/*.ts). */
const SHAPE = {
  SmsApiCredential: {
    drop: [],
    add: () => ({
      vendor: "twilio",
      credentialType: "twilio-sms",
      accountFriendlyName: "Bench 0",
      accountType: "Full",
      validatedAt: now(),
      secretFingerprint: fingerprint(),
    }),
  },
  CustomRcsCredential: {
    drop: [],
    add: (inputs) => ({
      vendor: "custom",
      credentialType: "custom-rcs",
      authType: inputs.auth?.type ?? "basic",
      ...(inputs.auth?.username ? { authUsername: inputs.auth.username } : {}),
      headerNames: Object.keys(inputs.headers ?? {}),
      validatedAt: now(),
      secretFingerprint: fingerprint(),
    }),
  },
  SmsWebhook: {
    drop: ["apiCredentialAuth", "apiCredentialSandbox"],
    add: (inputs, id, webhookBaseUrl) => ({
      webhookUrl: `${webhookBaseUrl}/v1/sandboxes/${inputs.sandbox}/webhooks/${id}`,
      ...(inputs.type === "inbound" ? { resolvedKeywords: defaults().DEFAULT_KEYWORDS } : {}),
    }),
  },
  ChannelConfiguration: {
    drop: ["apiCredentialSandbox"],
    add: (inputs) => ({
      executionField: inputs.executionField ?? defaults().DEFAULT_EXECUTION_FIELD,
      status: "stored",
    }),
  },
};

/** The inputs a type's outputs carry, and so the ones its diff compares (olds are the outputs). */
const carried = (type, k) =>
  k !== "__provider" && !SECRET_FIELDS.includes(k) && !SHAPE[type].drop.includes(k);

function outputsOf(type, inputs, id, version, ownerInstance, webhookBaseUrl) {
  const outs = {};
  for (const [k, v] of Object.entries(inputs)) if (carried(type, k)) outs[k] = v;
  Object.assign(outs, SHAPE[type].add(inputs, id, webhookBaseUrl));
  outs.ownerInstance = ownerInstance;
  outs.recordId = id;
  outs.recordVersion = version;
  return outs;
}

// As ours, it compares only the fields its outputs carry.
function changed(type, olds, news) {
  return Object.keys(news).some(
    (k) => carried(type, k) && JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
  );
}

exports.configure = async function configure(req, provider, type) {
  if (!SHAPE[type]) throw new Error(`floor-provider: no output shape for ${type}`);
  // The same setting ours builds its webhook URLs from (run.ts sets it for both sides).
  const webhookBaseUrl = req.config.get("smschannels:webhookBaseUrl");
  Object.assign(provider, {
    check: async (_olds, news) => ({ inputs: news, failures: [] }),
    diff: async (_id, olds, news) => ({ changes: changed(type, olds, news), deleteBeforeReplace: false }),
    create: async (inputs) => {
      const id = `floor_${randomBytes(12).toString("hex")}`;
      return { id, outs: outputsOf(type, inputs, id, 1, randomUUID(), webhookBaseUrl) };
    },
    read: async (id, props) => ({ id, props }),
    update: async (id, olds, news) => ({
      outs: outputsOf(
        type,
        news,
        id,
        Number(olds.recordVersion ?? 1) + 1,
        olds.ownerInstance ?? randomUUID(),
        webhookBaseUrl,
      ),
    }),
    delete: async () => undefined,
  });
};
