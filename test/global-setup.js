// Jest's global setup: the policy pack's copy of contract/ (git-ignored) must exist and be current
// before its unit tests import it and before e2e runs load the pack through the Pulumi CLI.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

module.exports = async () => {
  execFileSync(process.execPath, [path.join(__dirname, "..", "scripts", "gen-pack-contract.js")], {
    stdio: "inherit",
  });
};
