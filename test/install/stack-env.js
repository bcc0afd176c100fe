"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/**
 * The environment of the matrix's `pulumi` commands: a file backend of their own (`backend`, for the
 * caller to remove), a passphrase, no update check, and the emulator as Twilio's API.
 */
function stackEnv(env, emulator) {
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-backend-"));
  return {
    backend,
    env: {
      ...env,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "install-matrix",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      SMSCHANNELS_TWILIO_API_URL: emulator.url,
    },
  };
}

module.exports = { stackEnv };
