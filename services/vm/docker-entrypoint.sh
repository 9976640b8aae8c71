#!/bin/sh
# Starts the VM service as the unprivileged "node" user, ready to run Claude Code as "agent", a
# second unprivileged user that can read none of the service's secrets (docs/services.md, "Running
# a task"). As root, first:
# - the Fly volume at DATA_DIR arrives owned by root: the service's part goes to "node", Claude's
#   workspace and HOME to "agent" (the service makes and locks down its own folders at start);
# - a cgroup v2 folder, AGENT_CGROUP, is delegated to "node" with the service inside it, so the service
#   can give each run a cgroup of its own and kill it whole (a setsid process leaves its process group,
#   never its cgroup). Fly's init mounts cgroup v2 at /sys/fs/cgroup/unified (superfly/init-snapshot).
# Then "node" keeps three capabilities, as ambient ones: CAP_SETUID and CAP_SETGID to start runs as
# "agent", CAP_KILL to ask them to stop. Runs get none (the service starts them through setpriv).
set -eu
if [ "$(id -u)" != "0" ]; then exec "$@"; fi
fail() { echo "textslash-entrypoint: $*" >&2; exit 1; }

dir="${DATA_DIR:-/data}"
agent_uid=$(id -u agent)
mkdir -p "$dir/workspace" "$dir/home"
chown node:node "$dir"
# Volumes from before the agent user hold Claude's files as "node": hand them over once.
for sub in workspace home; do
  [ "$(stat -c %u "$dir/$sub")" = "$agent_uid" ] || chown -R agent:agent "$dir/$sub"
done

if [ -z "${AGENT_CGROUP:-}" ]; then
  mount=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
  if [ -z "$mount" ]; then
    mount=/run/textslash-cgroup
    mkdir -p "$mount" && mount -t cgroup2 none "$mount" || fail "no cgroup v2 mount, and mounting one at $mount failed"
  fi
  AGENT_CGROUP="$mount/textslash"
fi
# Delegation as the kernel documents it (cgroup-v2.rst, "Delegation"): the folder and its
# cgroup.procs, cgroup.threads and cgroup.subtree_control belong to the delegate.
mkdir -p "$AGENT_CGROUP/service" || fail "cannot create $AGENT_CGROUP (the cgroup v2 mount must be writable)"
chown node:node "$AGENT_CGROUP" "$AGENT_CGROUP/cgroup.procs" "$AGENT_CGROUP/cgroup.threads" "$AGENT_CGROUP/cgroup.subtree_control"
chown -R node:node "$AGENT_CGROUP/service"
echo $$ > "$AGENT_CGROUP/service/cgroup.procs"

export AGENT_UID="$agent_uid" AGENT_GID="$(id -g agent)" AGENT_CGROUP
exec setpriv --reuid=node --regid=node --init-groups \
  --inh-caps=+setuid,+setgid,+kill --ambient-caps=+setuid,+setgid,+kill -- "$@"
