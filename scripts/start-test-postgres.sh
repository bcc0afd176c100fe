#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store's tests and prints the lines to eval:
#   eval "$(bash scripts/start-test-postgres.sh)"   # sets SMSCHANNELS_TEST_PG_URL and SMSCHANNELS_TEST_PG_DIR
#   ...
#   bash scripts/stop-test-postgres.sh
# Installs PostgreSQL from Debian packages when missing (as root). The cluster listens on 127.0.0.1
# only, on a free port, with its unix socket in its own directory, and trusts local connections: it
# holds nothing but test data, and lives until stop-test-postgres.sh (or the machine) ends it.
# It runs as the `postgres` OS user when started by root, since PostgreSQL refuses to run as root.
# Everything but the export lines goes to stderr.
set -euo pipefail

dir="${1:-${SMSCHANNELS_TEST_PG_DIR:-${TMPDIR:-/tmp}/smschannels-test-pg}}"
db="smschannels_test"

log() { echo "start-test-postgres: $*" >&2; }

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  # Debian keeps the server binaries out of PATH, one folder per major version: take the newest.
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

bindir="$(find_bindir)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "$(id -u)" != 0 ]; then
    log "PostgreSQL is not installed and this is not root: install the Debian package postgresql"
    exit 1
  fi
  log "installing PostgreSQL from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir="$(find_bindir)"
fi

# As root, every server command runs as the postgres OS user (the Debian package makes it).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

emit() {
  echo "export SMSCHANNELS_TEST_PG_URL=postgres://postgres@127.0.0.1:$1/$db"
  echo "export SMSCHANNELS_TEST_PG_DIR=$dir"
}

# Already running from an earlier call: hand out the same cluster.
if [ -f "$dir/port" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  emit "$(cat "$dir/port")"
  exit 0
fi

rm -rf "$dir"
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
  # The postgres user must reach the folder: every parent must let others pass (mode o+x).
  chown postgres: "$dir"
fi
chmod 700 "$dir"

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

log "initdb in $dir/data ($bindir)"
as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null
echo "$port" >"$dir/port"
as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -c "CREATE DATABASE $db" >/dev/null
log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') listens on 127.0.0.1:$port, database $db"
emit "$port"
