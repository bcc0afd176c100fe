#!/usr/bin/env bash
# Node.js matrix for .ci/run: the unit tests and one end-to-end journey on each Node.js major given
# (default: 22 24; Node 20 is the main run). Each runtime comes from `npm install node@N` into
# $SMSCHANNELS_CACHE_DIR/node-N/runtime, and runs a copy of this checkout in node-N/repo with its own
# `npm ci`, so the repository's node_modules is never touched. The copy gets the better-sqlite3 a user
# on that Node gets: our range `^12.11.1 || ^13.2.0` resolved again by that runtime's npm, which picks by
# `engines` (13 on Node 22 and 24; the repository's lock, resolved on Node 20, holds 12, whose ObjectWrap
# destructors abort jest on Node >= 24.19, nodejs/node#65446). The copy's node_modules is kept while its
# lock is unchanged. Prints one line per runtime:
#   node-matrix: v22.x better-sqlite3 13.2.0, unit 170/170 passed, e2e 2/2 passed (123 s)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
cache="${SMSCHANNELS_CACHE_DIR:-$HOME/.cache/pulumi-sms-channels}"
journey="${SMSCHANNELS_NODE_MATRIX_E2E:-test/e2e/sms-api-credential.test.ts}"
journey_filter="${SMSCHANNELS_NODE_MATRIX_E2E_FILTER:-up creates; a new token updates in place}"
pulumi_bin="$(bash scripts/ensure-pulumi.sh | tail -n 1)"
status=0
summary=()
for major in "${@:-22 24}"; do
  for n in $major; do
    started=$(date +%s)
    runtime="$cache/node-$n/runtime"
    if [ ! -x "$runtime/node_modules/.bin/node" ]; then
      mkdir -p "$runtime"
      echo '{"private":true}' >"$runtime/package.json"
      (cd "$runtime" && npm install --no-audit --no-fund "node@$n" >&2)
    fi
    bin="$runtime/node_modules/.bin"
    copy="$cache/node-$n/repo"
    mkdir -p "$copy"
    # The checkout's files (tracked and untracked, not ignored), without node_modules or dist.
    find "$copy" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
    git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$copy"
    # node-gyp builds against `nodedir` (this machine's ~/.npmrc points it at /usr, Node 20's headers),
    # so point it at the runtime's own headers, which the node@N package ships.
    headers="$(ls -d "$runtime"/node_modules/node/node_modules/node-*/include/node 2>/dev/null | head -n 1)"
    if [ -n "$headers" ]; then export npm_config_nodedir="${headers%/include/node}"; fi
    # What a user on this Node gets: drop better-sqlite3 from the copy's lock and let this runtime's npm
    # resolve our range again (the rest of the lock stays as the repository pins it).
    node -e '
      const fs = require("fs");
      const lock = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      delete lock.packages["node_modules/better-sqlite3"];
      fs.writeFileSync(process.argv[1], JSON.stringify(lock, null, 2) + "\n");
    ' "$copy/package-lock.json"
    (cd "$copy" && PATH="$bin:$PATH" npm install --package-lock-only --no-audit --no-fund >&2)
    # Opening a database loads the native module (a bare require does not).
    loads() { (cd "$copy" && PATH="$bin:$PATH" node -e 'new (require("better-sqlite3"))(":memory:").close()') >/dev/null 2>&1; }
    lock_hash="$(sha256sum "$copy/package-lock.json" | cut -c1-16)"
    if [ "$(cat "$copy/node_modules/.matrix-lock" 2>/dev/null)" != "$lock_hash" ]; then
      echo "== node $n: npm ci in $copy" >&2
      (cd "$copy" && PATH="$bin:$PATH" npm ci --no-audit --no-fund >&2)
      echo "$lock_hash" >"$copy/node_modules/.matrix-lock"
    elif ! loads; then
      echo "== node $n: npm rebuild better-sqlite3 in $copy (built for another ABI)" >&2
      (cd "$copy" && PATH="$bin:$PATH" npm rebuild better-sqlite3 >&2)
    fi
    unset npm_config_nodedir
    version="$(PATH="$bin:$PATH" node --version)"
    sqlite="$(cd "$copy" && node -p 'require("better-sqlite3/package.json").version')"
    results="$(mktemp -d)"
    set +e
    (
      cd "$copy" && export PATH="$bin:$pulumi_bin:$PATH" && node scripts/link-self.js && bash scripts/build-dist.sh \
        && npx jest --ci --selectProjects unit --json --outputFile="$results/unit.json" >&2
    )
    unit_rc=$?
    (
      cd "$copy" && export PATH="$bin:$pulumi_bin:$PATH" \
        && npx jest --ci --selectProjects e2e -t "$journey_filter" --json --outputFile="$results/e2e.json" "$journey" >&2
    )
    e2e_rc=$?
    set -e
    count() {
      node -e 'try { const r = require(process.argv[1]); console.log(`${r.numPassedTests}/${r.numTotalTests - r.numPendingTests} passed`); } catch { console.log("no result"); }' "$1"
    }
    line="node-matrix: $version better-sqlite3 $sqlite, unit $(count "$results/unit.json"), e2e $(count "$results/e2e.json") ($(($(date +%s) - started)) s)"
    echo "$line"
    summary+=("$line")
    rm -rf "$results"
    if [ $unit_rc -ne 0 ] || [ $e2e_rc -ne 0 ]; then status=1; fi
  done
done
printf '%s\n' "${summary[@]}" >"$cache/node-matrix.txt"
exit $status
