#!/usr/bin/env bash
# `npm run demo`: the example stack on the embedded store against the local Twilio emulator:
# preview, up, outputs, destroy. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
PULUMI_BIN_DIR="$(bash scripts/ensure-pulumi.sh)"
export PULUMI_BIN_DIR
exec npx tsx scripts/demo.ts "$@"
