#!/usr/bin/env bash
# Finds or installs the Pulumi CLI and the Node.js language host, then prints the folder that holds them.
# Order: PULUMI_BIN_DIR, PATH, our cache, the official installer (when the internet is reachable),
# else a build from the Go module proxy. Everything it builds lives in the cache, never in the repo.
# Progress goes to stderr; stdout is only the bin folder, so callers can do PATH="$(ensure-pulumi.sh):$PATH".
#
# Where the Go module proxy does not serve the current Node.js language host, the cache gets the host of
# sdk v3.68.0 as pulumi-language-nodejs-inner, behind our own proxy host (scripts/langhost) installed as
# pulumi-language-nodejs: the proxy forwards every call to it and runs policy packs (RunPlugin) itself.
set -euo pipefail

PULUMI_VERSION="${SMSCHANNELS_PULUMI_VERSION:-3.248.0}"
# pulumi-language-nodejs has no tags of its own: this is the commit of the release above.
LANGHOST_COMMIT="${SMSCHANNELS_PULUMI_LANGHOST_COMMIT:-a88168d865b7}"
CACHE_ROOT="${SMSCHANNELS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sms-channels}"
BIN_DIR="$CACHE_ROOT/pulumi-$PULUMI_VERSION/bin"
# The recipe of the cached bin folder, stamped into $BIN_DIR/recipe. Bump it when what this script puts
# there changes, so that caches built by an older recipe are rebuilt instead of used.
#   1 (no stamp): the v3.68 language host as pulumi-language-nodejs; policy packs fail (no RunPlugin).
#   2: that host as pulumi-language-nodejs-inner behind the scripts/langhost proxy.
# A cache with the proxy is stamped "$RECIPE proxy <checksum of the proxy's sources>", so that a change to
# scripts/langhost rebuilds it too (in seconds: the CLI is reused).
RECIPE=2

say() { printf '[ensure-pulumi] %s\n' "$*" >&2; }
have_both() { [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-nodejs" ]; }
REPO_DIR="$(cd "$(dirname "$0")/.." && pwd)"
LANGHOST_SRC="$REPO_DIR/scripts/langhost"
langhost_sum() {
  (cd "$LANGHOST_SRC" && for f in go.mod go.sum *.go; do case "$f" in *_test.go) ;; *) cat "$f" ;; esac; done) |
    cksum | cut -d' ' -f1
}
# The cache is used only when it was built by the current recipe (and, with the proxy, from these sources).
cache_ok() {
  have_both "$1" || return 1
  local stamp
  stamp="$(cat "$1/recipe" 2>/dev/null)" || return 1
  if [ -e "$1/pulumi-language-nodejs-inner" ]; then
    [ "$stamp" = "$RECIPE proxy $(langhost_sum)" ]
  else
    [ "$stamp" = "$RECIPE" ]
  fi
}
# True when $1 is our cache's bin folder: found through PULUMI_BIN_DIR or PATH, it is still checked as a cache.
is_cache_dir() { [ -d "$1" ] && [ -d "$BIN_DIR" ] && [ "$(cd "$1" && pwd -P)" = "$(cd "$BIN_DIR" && pwd -P)" ]; }
# The official CLI ships the dynamic-provider shim beside `pulumi`; the @pulumi/pulumi npm package has
# the same script. Put it beside our build too, so dynamic resources run without a PATH warning.
add_shim() {
  local shim="$REPO_DIR/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ ! -x "$1/pulumi-resource-pulumi-nodejs" ] && [ -f "$shim" ]; then
    cp "$shim" "$1/" && chmod +x "$1/pulumi-resource-pulumi-nodejs"
  fi
}

if [ -n "${PULUMI_BIN_DIR:-}" ] && have_both "$PULUMI_BIN_DIR" && ! is_cache_dir "$PULUMI_BIN_DIR"; then
  echo "$PULUMI_BIN_DIR"; exit 0
fi
if command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null 2>&1 &&
  ! is_cache_dir "$(dirname "$(command -v pulumi)")"; then
  dirname "$(command -v pulumi)"; exit 0
fi
if cache_ok "$BIN_DIR"; then
  add_shim "$BIN_DIR"; echo "$BIN_DIR"; exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
say "waiting for the cache lock (another install may be running)"
flock 9
if cache_ok "$BIN_DIR"; then add_shim "$BIN_DIR"; echo "$BIN_DIR"; exit 0; fi
if have_both "$BIN_DIR"; then say "the cache in $BIN_DIR is from an older recipe; rebuilding it"; fi

# 1. The official installer, where the internet is reachable.
if command -v curl >/dev/null 2>&1 && curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com 2>/dev/null; then
  say "installing Pulumi $PULUMI_VERSION with the official installer into $CACHE_ROOT"
  tmp="$(mktemp -d)"
  if curl -fsSL https://get.pulumi.com | sh -s -- --version "$PULUMI_VERSION" --install-root "$tmp" --no-edit-path >&2; then
    rm -rf "$BIN_DIR.tmp"
    mkdir -p "$BIN_DIR.tmp"
    cp "$tmp"/bin/pulumi* "$BIN_DIR.tmp"/
    rm -rf "$tmp"
    echo "$RECIPE" > "$BIN_DIR.tmp/recipe"
    rm -rf "$BIN_DIR"
    mv "$BIN_DIR.tmp" "$BIN_DIR"
    echo "$BIN_DIR"; exit 0
  fi
  rm -rf "$tmp"
  say "the official installer failed; trying a build from the Go module proxy"
fi

# 2. A build from the Go module proxy.
if ! command -v go >/dev/null 2>&1; then
  say "no Pulumi CLI found and no way to install one."
  say "Install it from https://www.pulumi.com/docs/install/ (pulumi and pulumi-language-nodejs on PATH),"
  say "or install Go 1.22+ so that this script can build Pulumi $PULUMI_VERSION from the Go module proxy."
  exit 1
fi
SRC="$CACHE_ROOT/pulumi-$PULUMI_VERSION/src"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
# A wrapper module per binary: `go install pkg@version` refuses modules with replace directives.
wrapper() { # dir, require lines, import path
  mkdir -p "$1"
  printf 'module smschannels.local/wrapper\n\ngo 1.22\n\nrequire (\n%s\n)\n' "$2" > "$1/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$3" > "$1/tools.go"
}
rm -rf "$BIN_DIR.tmp"
mkdir -p "$BIN_DIR.tmp"

# A cache of an older recipe may hold a good CLI: only the language host has to be rebuilt then.
if [ -x "$BIN_DIR/pulumi" ] &&
  [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$BIN_DIR/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
  say "step 1/2: reusing pulumi $PULUMI_VERSION from $BIN_DIR"
  cp "$BIN_DIR/pulumi" "$BIN_DIR.tmp/pulumi"
else
  say "step 1/2: building pulumi $PULUMI_VERSION from the Go module proxy (one time, 5-15 minutes on 2 cores)"
  wrapper "$SRC/cli" "	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  (cd "$SRC/cli" && go mod tidy >&2 && go build -trimpath -ldflags "$LDFLAGS" -o "$BIN_DIR.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2)
fi

say "step 2/2: building pulumi-language-nodejs"
LH=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
wrapper "$SRC/langhost" "	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION" "$LH"
if (cd "$SRC/langhost" && go get "$LH@$LANGHOST_COMMIT" >&2 && go mod tidy >&2 &&
    go build -trimpath -ldflags "$LDFLAGS" -o "$BIN_DIR.tmp/pulumi-language-nodejs" "$LH" >&2); then
  :
else
  # Some module proxies do not serve that untagged module. Until v3.68.0 the same language host was a
  # package of the sdk module itself; it speaks the same LanguageRuntime protocol and runs the
  # @pulumi/pulumi run script of the program's own node_modules, so it drives a current engine. It lacks
  # RunPlugin, which the engine uses to start policy packs: our proxy host (scripts/langhost, built with
  # its committed go.sum) stands in front of it as pulumi-language-nodejs and runs those itself.
  say "that module is not served here; building the language host shipped in sdk v3.68.0 instead,"
  say "behind the proxy host of scripts/langhost"
  LH=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  wrapper "$SRC/langhost" "	github.com/pulumi/pulumi/sdk/v3 v3.68.0" "$LH"
  (cd "$SRC/langhost" && rm -f go.sum && go mod tidy >&2 &&
    go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.68.0" \
      -o "$BIN_DIR.tmp/pulumi-language-nodejs-inner" "$LH" >&2)
  (cd "$LANGHOST_SRC" && GOWORK=off go build -mod=readonly -buildvcs=false -trimpath -ldflags "-s -w" \
    -o "$BIN_DIR.tmp/pulumi-language-nodejs" . >&2)
fi
add_shim "$BIN_DIR.tmp"
if [ -x "$BIN_DIR.tmp/pulumi-language-nodejs-inner" ]; then
  echo "$RECIPE proxy $(langhost_sum)" > "$BIN_DIR.tmp/recipe"
else
  echo "$RECIPE" > "$BIN_DIR.tmp/recipe"
fi
rm -rf "$BIN_DIR"
mv "$BIN_DIR.tmp" "$BIN_DIR"
say "installed into $BIN_DIR"
echo "$BIN_DIR"
