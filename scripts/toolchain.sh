#!/usr/bin/env bash
# Makes the `pulumi` CLI and its Node.js language host available at exactly the version that
# package.json pins for @pulumi/pulumi, without downloading any binary:
#   1. a `pulumi` already on PATH is used when it prints that version and has a
#      `pulumi-language-nodejs` beside it;
#   2. otherwise both are built from the Go module proxy (scripts/toolchain/, a Go module of its
#      own) into a cache outside the repository, once per version.
# Prints the directory holding `pulumi`, `pulumi-language-nodejs` and the dynamic-provider plugin.
#
#   scripts/toolchain.sh              ensure the toolchain, print its bin directory
#   scripts/toolchain.sh --sync-go-mod  rewrite scripts/toolchain/go.{mod,sum} after a version bump
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module="$root/scripts/toolchain"
say() { printf 'toolchain: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

command -v node >/dev/null || die "node is not on PATH; install Node.js 22+ first (or run scripts/node.sh, which brings one from the npm registry)"
# The one place the version is named: the exact pin of @pulumi/pulumi in package.json.
version=$(node -p "require('$root/package.json').dependencies['@pulumi/pulumi']")
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  die "package.json must pin @pulumi/pulumi to an exact version (got '$version')"

go_env() {
  # The checksum database does not know every Pulumi release the proxy serves; the committed
  # go.sum pins every module's hash instead, and -mod=readonly refuses anything not in it.
  export GONOSUMDB="github.com/pulumi/*" GOFLAGS="-mod=readonly -buildvcs=false"
}

if [[ "${1:-}" == "--sync-go-mod" ]]; then
  command -v go >/dev/null || die "go is not on PATH"
  go_env
  export GOFLAGS="-mod=mod -buildvcs=false"
  (cd "$module" &&
    go mod edit -require="github.com/pulumi/pulumi/pkg/v3@v$version" \
      -require="github.com/pulumi/pulumi/sdk/v3@v$version" &&
    go mod tidy)
  say "scripts/toolchain/go.mod now requires Pulumi v$version; commit go.mod and go.sum"
  exit 0
fi

pinned_in_go_mod=$(sed -n 's#^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 v\([^[:space:]]*\).*#\1#p' "$module/go.mod")
[[ "$pinned_in_go_mod" == "$version" ]] ||
  die "package.json pins @pulumi/pulumi $version but scripts/toolchain/go.mod builds $pinned_in_go_mod; run 'npm run toolchain -- --sync-go-mod' and commit the result"

plugin_src="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
[[ -f "$plugin_src" ]] || die "node_modules/@pulumi/pulumi is missing; run 'npm ci' first"

# install_plugin puts the dynamic-provider plugin beside the CLI, where the engine looks for
# bundled plugins first. The script is project-independent: it resolves @pulumi/pulumi from the
# directory the engine starts it in.
install_plugin() {
  local dir=$1
  if ! cmp -s "$plugin_src" "$dir/pulumi-resource-pulumi-nodejs" 2>/dev/null; then
    install -m 0755 "$plugin_src" "$dir/pulumi-resource-pulumi-nodejs"
  fi
}

# 1. A pulumi on PATH at the right version, with its language host beside it.
if existing=$(command -v pulumi 2>/dev/null) && [[ "$existing" != "$root/scripts/"* ]]; then
  existing_dir=$(dirname "$(readlink -f "$existing")")
  if [[ "$("$existing" version 2>/dev/null)" == "v$version" && -x "$existing_dir/pulumi-language-nodejs" ]]; then
    if [[ -w "$existing_dir" ]]; then install_plugin "$existing_dir"; fi
    echo "$existing_dir"
    exit 0
  fi
fi

# 2. The cache, built once per version.
cache=${TEXTSLASH_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/textslash/toolchain}
bin="$cache/pulumi-v$version/bin"
if [[ -x "$bin/pulumi" && -x "$bin/pulumi-language-nodejs" &&
      "$("$bin/pulumi" version 2>/dev/null)" == "v$version" ]]; then
  install_plugin "$bin"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null ||
  die "pulumi v$version is not on PATH and go is not installed to build it; install Go 1.25+"
go_env
say "building pulumi v$version and pulumi-language-nodejs from the Go module proxy into $bin"
say "(a cold build takes several minutes; later runs reuse the cache)"
mkdir -p "$bin"
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version"
(cd "$module" &&
  go build -trimpath -ldflags "$ldflags" -o "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi &&
  go build -trimpath -ldflags "$ldflags" -o "$tmp/pulumi-language-nodejs" ./cmd/pulumi-language-nodejs)
# Move into place only once both built, so an interrupted build never looks like a cache hit.
mv "$tmp/pulumi-language-nodejs" "$bin/pulumi-language-nodejs"
mv "$tmp/pulumi" "$bin/pulumi"
install_plugin "$bin"
[[ "$("$bin/pulumi" version)" == "v$version" ]] || die "built pulumi does not report v$version"
say "pulumi v$version ready in $bin"
echo "$bin"
