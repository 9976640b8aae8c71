#!/usr/bin/env bash
# `npm run test:acceptance [-- --sandbox]`: the acceptance suite (tests/acceptance/run.ts) on the project's
# Node. Against real Fly and Twilio it needs the variables docs/acceptance.md lists; without them it exits 2
# saying it did not run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node-env.sh
exec npx tsx tests/acceptance/run.ts "$@"
