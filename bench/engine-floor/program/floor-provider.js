"use strict";
// The engine's floor: what the serialized no-op provider requires by path in the dynamic provider
// process. It does the least a correct dynamic provider must: echo inputs in check, compare old and
// new inputs in diff, hand back the inputs (secrets left out, as ours leaves them out) as outputs.
const { randomBytes } = require("node:crypto");

const SECRET_FIELDS = ["authToken", "apiKeySecret", "auth", "headers", "twilioAuthToken", "verification"];

function outputsOf(inputs, id, version) {
  const outs = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (k !== "__provider" && !SECRET_FIELDS.includes(k)) outs[k] = v;
  }
  outs.secretFingerprint = "0000000000000000";
  outs.recordId = id;
  outs.recordVersion = version;
  return outs;
}

function changed(olds, news) {
  for (const k of Object.keys(news)) {
    if (k === "__provider" || SECRET_FIELDS.includes(k)) continue;
    if (JSON.stringify(olds[k]) !== JSON.stringify(news[k])) return true;
  }
  return false;
}

exports.configure = async function configure(_req, provider, _type) {
  Object.assign(provider, {
    check: async (_olds, news) => ({ inputs: news, failures: [] }),
    diff: async (_id, olds, news) => ({ changes: changed(olds, news), deleteBeforeReplace: false }),
    create: async (inputs) => {
      const id = `floor_${randomBytes(12).toString("hex")}`;
      return { id, outs: outputsOf(inputs, id, 1) };
    },
    read: async (id, props) => ({ id, props }),
    update: async (id, olds, news) => ({ outs: outputsOf(news, id, Number(olds.recordVersion ?? 1) + 1) }),
    delete: async () => undefined,
  });
};
