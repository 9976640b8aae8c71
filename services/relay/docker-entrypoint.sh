#!/bin/sh
# Starts the relay as the unprivileged "node" user. A Fly volume mounted at RELAY_DATA_DIR arrives
# owned by root, so when started as root this hands that folder to "node" first, then drops root.
set -eu
dir="${RELAY_DATA_DIR:-/data}"
if [ "$(id -u)" = "0" ]; then
  mkdir -p "$dir"
  chown node:node "$dir"
  exec setpriv --reuid=node --regid=node --init-groups -- "$@"
fi
exec "$@"
