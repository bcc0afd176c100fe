#!/usr/bin/env bash
# `npm test`: installs what is missing (npm packages, the Pulumi CLI), builds, then runs every test:
# unit tests, and end-to-end tests that drive the real Pulumi CLI against the Twilio emulator.
# Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-pulumi.sh >/dev/null
exec npx jest --ci "$@"
