#!/usr/bin/env bash
# Installs the npm packages when they are missing or older than package-lock.json, then builds dist/.
# Used by `npm run demo`, `npm test` and .ci/run, so a fresh clone needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[ensure-deps] %s\n' "$*" >&2; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "Node.js 20+ and npm are needed: install them from https://nodejs.org/ or your package manager"; exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then say "Node.js 20 or later is needed (found $(node --version))"; exit 1; fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || ! node -e 'require("better-sqlite3")' >/dev/null 2>&1; then
  say "installing npm packages (npm ci; better-sqlite3 may compile, about a minute)"
  npm ci --no-audit --no-fund >&2
fi
node scripts/link-self.js
say "building dist/"
bash scripts/build-dist.sh >&2
