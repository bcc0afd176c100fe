#!/usr/bin/env bash
# `npm pack` / `npm publish` (prepack): builds what the package ships: dist/ (the provider, the store and
# the neutral modules) and the policy pack's compiled JavaScript (policy-pack/bin/), so a program that
# installed the package runs the pack with `--policy-pack node_modules/pulumi-sms-channels/policy-pack`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The pack stands apart from the package's modules: it gets its own copy of contract/ made at build
# time, by the script that owns that copy (when present).
bash scripts/build-dist.sh
rm -rf policy-pack/bin
npx tsc -p policy-pack/tsconfig.build.json
