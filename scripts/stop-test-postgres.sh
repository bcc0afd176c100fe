#!/usr/bin/env bash
# Stops the cluster of start-test-postgres.sh and removes its folder.
#   bash scripts/stop-test-postgres.sh [dir]    (default: $SMSCHANNELS_TEST_PG_DIR, else the start script's default)
set -euo pipefail
dir="${1:-${SMSCHANNELS_TEST_PG_DIR:-${TMPDIR:-/tmp}/smschannels-test-pg}}"
[ -d "$dir/data" ] || exit 0
bindir="$( (command -v pg_config >/dev/null 2>&1 && pg_config --bindir) || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
[ -x "$bindir/pg_ctl" ] || bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
else
  "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$dir"
echo "stop-test-postgres: stopped and removed $dir" >&2
