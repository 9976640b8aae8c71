#!/usr/bin/env bash
# Every test of the project, as `npm test` and CI run them: toolchain, typecheck, lint, vitest
# (unit, provider, engine and end-to-end tests). Assumes `npm ci` has run at the root.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# A supported Node (22+) first on PATH: the machine's own, or the .nvmrc pin from npm.
source scripts/node-env.sh
# Each step's time, and the whole run's, printed at the end (also when a step fails), so every run
# reports what docs/first-run.md records: cold and warm times of the command CI runs.
timings=()
current="" current_start=$SECONDS
end_step() { if [[ -n "$current" ]]; then timings+=("$(printf '%5ss  %s' $((SECONDS - current_start)) "$current")"); fi; }
step() { end_step; current="$*" current_start=$SECONDS; printf '\n== %s\n' "$*"; }
report() {
  local rc=${1:-$?}
  end_step
  printf '\n== time (rc=%s)\n' "$rc"
  printf '%s\n' "${timings[@]}"
  printf '%5ss  total\n' "$SECONDS"
}
trap report EXIT

# The services are npm packages of their own (each image installs only its own deps).
if [[ -x scripts/install-services.sh ]]; then
  step "service dependencies"
  bash scripts/install-services.sh
fi

# Commands started in the background, stopped with the script if it ends early: never left running.
background=()
trap 'rc=$?; for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done; report "$rc"' EXIT

# The images the container tests run, built from this checkout with podman (needs
# scripts/install-containers.sh; without podman this step fails with that command). They need no
# CLI, so they build beside it: on a new machine both are cold (the Go build of the CLI took 10 min,
# debootstrap and the two images 5.5 min, mostly downloads and disk), and one after the other they
# added up.
images_log=$(mktemp "${TMPDIR:-/tmp}/textslash-images-XXXXXX")
npx tsx sandbox/images/cli.ts ensure relay vm >"$images_log" 2>&1 &
images_pid=$!
background+=("$images_pid")

step "pulumi toolchain (built once, then cached)"
bash scripts/toolchain.sh

step "images (started with the toolchain; the time here is what they took longer)"
images_rc=0
wait "$images_pid" || images_rc=$?
cat "$images_log"
rm -f "$images_log"
if [[ $images_rc -ne 0 ]]; then
  printf '\nfailed: the images (rc=%s); output above\n' "$images_rc" >&2
  exit 1
fi

step "typecheck"
npx tsc -p tsconfig.json --noEmit
for service in services/*/; do
  if [[ -f "$service/tsconfig.json" ]]; then npx tsc -p "$service" --noEmit; fi
done

step "lint"
npx eslint --max-warnings=0 .

# The random and command stand-in plugins are Go, as the real plugins are (sandbox/plugins/go-binaries.ts);
# this also fills Go's build cache for the binaries the engine tests build.
step "stand-in plugins (Go): gofmt, vet, test"
(
  cd sandbox/plugins
  unformatted=$(gofmt -l .)
  if [[ -n "$unformatted" ]]; then printf 'not gofmt-ed (run gofmt -w sandbox/plugins):\n%s\n' "$unformatted" >&2; exit 1; fi
  export GONOSUMDB="github.com/pulumi/*" GOFLAGS="-mod=readonly -buildvcs=false"
  go vet ./...
  go test ./...
)

step "tests"
if [[ $# -gt 0 ]]; then
  npx vitest run "$@"
else
  # The whole message path on the real images (containers, real Claude Code) runs beside the other
  # tiers, not after them: most of its 200 s is waiting (a task running into its timeout, the idle
  # VM stopping), so after the rest it added its whole time to the run. It is a vitest run of its
  # own (its own project, output in a file printed when it ends) so that maxWorkers stays 2 for the
  # engine tests. The two runs keep apart (tests/support/leftover-processes.ts).
  containers_log=$(mktemp "${TMPDIR:-/tmp}/textslash-container-tests-XXXXXX")
  # vitest itself, not npx, so that $! is the runner and the trap below reaches it.
  node_modules/.bin/vitest run --project containers >"$containers_log" 2>&1 &
  containers_pid=$!
  background+=("$containers_pid")
  tests_rc=0
  npx vitest run --project fast --project slow || tests_rc=$?
  step "container tests (started with the tests above; the time here is what they took longer)"
  containers_rc=0
  wait "$containers_pid" || containers_rc=$?
  cat "$containers_log"
  rm -f "$containers_log"
  if [[ $tests_rc -ne 0 || $containers_rc -ne 0 ]]; then
    printf '\nfailed: fast and slow tests rc=%s, container tests rc=%s\n' "$tests_rc" "$containers_rc" >&2
    exit 1
  fi
fi
