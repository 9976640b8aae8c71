#!/usr/bin/env bash
# Prints the path of actionlint (rhysd/actionlint, the de-facto GitHub Actions linter) at the
# version below, built once from the Go module proxy into a cache outside the repository
# (no binary download). Used by tests/lint/workflows.test.ts.
set -euo pipefail
version=v1.7.7
cache="${XDG_CACHE_HOME:-$HOME/.cache}/textslash/actionlint-$version"
if [[ ! -x "$cache/actionlint" ]]; then
  command -v go >/dev/null || { echo "actionlint: go is not on PATH; install Go 1.22+ to build actionlint $version" >&2; exit 1; }
  mkdir -p "$cache"
  GOBIN="$cache" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2 ||
    { echo "actionlint: building $version failed; run: GOBIN=$cache go install github.com/rhysd/actionlint/cmd/actionlint@$version" >&2; exit 1; }
fi
echo "$cache/actionlint"
