#!/usr/bin/env bash
# Builds dist/ (the provider, the store and the neutral modules) and marks package.json's `bin` files
# executable. tsc writes them 0644; `npx pulumi-sms-channels-store` in a checkout runs the bin through a
# link that npm made in its npx cache, chmod-ing the file, only the first time it saw this folder. A
# dist/ rebuilt later at the same path (a new clone where an old one was, CI's checkout) then gave
# "sh: pulumi-sms-channels-store: Permission denied".
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/gen-pack-contract.js
# No source maps (tsconfig.json, "sourceMap": false): the package ships dist/ without the TypeScript
# sources, so a map sent a stack trace to files that a user's node_modules does not have. Without
# maps a frame names the dist/ file and line it ran. (Their cost in a program's stack traces was
# within the noise: bench/engine-floor/PROFILE.md, session 8.)
npx tsc -p tsconfig.json
node scripts/prune-dist.js
node -e '
  const fs = require("node:fs");
  for (const file of Object.values(require("./package.json").bin ?? {})) fs.chmodSync(file, 0o755);
'
