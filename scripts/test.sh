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
  local rc=$?
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

step "pulumi toolchain (built once, then cached)"
bash scripts/toolchain.sh

# The images the container tests run, built from this checkout with podman (needs
# scripts/install-containers.sh; without podman this step fails with that command).
step "images (built once, then again only when their inputs change)"
npx tsx sandbox/images/cli.ts ensure relay vm

step "typecheck"
npx tsc -p tsconfig.json --noEmit
for service in services/*/; do
  if [[ -f "$service/tsconfig.json" ]]; then npx tsc -p "$service" --noEmit; fi
done

step "lint"
npx eslint --max-warnings=0 .

step "tests"
if [[ $# -gt 0 ]]; then
  npx vitest run "$@"
else
  npx vitest run --project fast --project slow
  # The whole message path on the real images (containers, real Claude Code) on its own, after the
  # rest: it is the heaviest test, and the other end-to-end tests are not loaded by it.
  step "container tests"
  npx vitest run --project containers
fi
