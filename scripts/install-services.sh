#!/usr/bin/env bash
# Installs each service's own dependencies from its lockfile (the services are separate npm
# packages so each image installs only what it needs). Called by scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for service in relay vm; do
  npm ci --prefix "$root/services/$service" --no-audit --no-fund --loglevel=error
done
