#!/usr/bin/env bash
# Installs what the container mode of the sandbox needs, from Debian's packages, and configures
# podman for these machines. Run as root (CI does, from .ci/run); a second run changes nothing and
# returns in about a second.
#   podman + runc          build and run the project's images (no Docker engine here)
#   catatonit              the containers' PID 1 (podman --init): reaps and forwards signals, as
#                          Fly's init does for a machine's process
#   debootstrap            the Debian base image the Dockerfiles' FROM resolves to (sandbox/images)
#   docker-registry        a local registry (distribution 2.8) to push to and resolve digests from
set -euo pipefail
say() { printf 'install-containers: %s\n' "$*" >&2; }

packages=(podman runc catatonit debootstrap docker-registry)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    say "missing ${missing[*]}; run as root: apt-get update && apt-get install -y --no-install-recommends ${packages[*]}"
    exit 1
  fi
  say "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
  # The package starts its own registry service where systemd runs; the sandbox starts its own.
  if command -v systemctl >/dev/null && systemctl is-active -q docker-registry 2>/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
fi

# These machines mount cgroups v1 and v2 side by side (hybrid) and run no systemd: runc copes with
# that, and the cgroup manager must be cgroupfs, the event log a file. Podman's default ulimits
# ask for more open files than the machine's hard limit allows (the container then fails to
# start), so they are set to the hard limits of this machine; podman caps its own process limit
# at the kernel's pid_max, so nproc is at most that (above it runc fails: "error setting rlimit").
if [[ $(id -u) -eq 0 ]]; then
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  [[ "$nofile" == unlimited ]] && nofile=1048576
  [[ "$nproc" == unlimited ]] && nproc=1048576
  pid_max=$(cat /proc/sys/kernel/pid_max)
  ((nproc > pid_max)) && nproc=$pid_max
  conf_dir=/etc/containers/containers.conf.d
  mkdir -p "$conf_dir"
  conf="[containers]
default_ulimits = [\"nofile=${nofile}:${nofile}\", \"nproc=${nproc}:${nproc}\"]
init_path = \"/usr/bin/catatonit\"

[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\""
  if [[ "$(cat "$conf_dir/50-textslash.conf" 2>/dev/null)" != "$conf" ]]; then
    printf '%s\n' "$conf" >"$conf_dir/50-textslash.conf"
    say "wrote $conf_dir/50-textslash.conf"
  fi
fi
podman --version >&2
