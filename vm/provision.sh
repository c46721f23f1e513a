#!/usr/bin/env bash
# Prepares a Debian or Ubuntu machine for tslab: the Vagrant workshop VM runs it, and so can a plain
# workshop server or cloud VM (`sudo vm/provision.sh`). Idempotent: a second run changes nothing and
# only checks. Steps: system packages (the list .ci/run installs), Node >= 20, npm ci and the build,
# `tslab` on the PATH, the lab image.
#
# Environment:
#   TSLAB_REPO            the repository (default: this script's parent folder)
#   TSLAB_NODE_BINARY     a node binary (>= 20) to copy to /usr/local/bin when the machine has none
#                         (the CI VM gets the host's node this way: it has no internet)
#   TSLAB_NODE_MAJOR      NodeSource line to install when neither the machine nor the distribution
#                         has Node >= 20 (default 20, the version CI tests); needs internet
#   TSLAB_LABS_LINK_USER  make ~USER/labs point at the repository's labs/ (the Vagrant VM's `vagrant`)
#   TSLAB_NPM_CI=never    never run npm ci, even if node_modules does not match the lockfile (the
#                         CI VM: no registry, node_modules comes from the host)
set -euo pipefail

repo=${TSLAB_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
node_major_wanted=20
say() { echo "provision: $*"; }
note() { echo "provision: NOTE: $*"; }
die() { echo "provision: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -f "$repo/package.json" ] || die "no tslab repository at $repo (set TSLAB_REPO)"
. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
  *" debian "* | *" ubuntu "*) ;;
  *) die "this script knows Debian and Ubuntu; this is ${PRETTY_NAME:-unknown}" ;;
esac
export DEBIAN_FRONTEND=noninteractive
apt_updated=no
# A fresh VM often runs unattended-upgrades at first boot: wait for apt's locks instead of failing.
apt_wait=(-o DPkg::Lock::Timeout=600)
apt_install() {
  if [ "$apt_updated" = no ]; then
    apt-get "${apt_wait[@]}" update -qq
    apt_updated=yes
  fi
  apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends "$@"
}

# 1. System packages: the same list as CI (.ci/run), minus what only the CI host needs: its VM,
# and the engines (docker, containerd, podman, buildah) that its tests drive; labs need none.
host_only='^(buildah|containerd|debootstrap|dnsmasq-base|docker.io|e2fsprogs|iptables|libvirt-.*|podman|qemu-system-x86|qemu-utils|vagrant|vagrant-libvirt)$'
mapfile -t packages < <(sed -n '/^packages=(/,/^)/{/^  *[a-z0-9]/p}' "$repo/.ci/run" | tr -d ' ' | grep -Ev "$host_only")
[ ${#packages[@]} -gt 0 ] || die "could not read the package list from $repo/.ci/run"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt_install "${missing[@]}"
  # docker-registry's package starts a registry on :5000; tslab's tests start their own.
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
else
  say "system packages already installed (${#packages[@]})"
fi

# 2. Node >= 20: keep a good one, else a given binary, else the distribution's, else NodeSource.
node_major() { "${1:-node}" --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
current=$(node_major node || true)
if [ -n "$current" ] && [ "$current" -ge "$node_major_wanted" ]; then
  say "node $(node --version) already installed"
elif [ -n "${TSLAB_NODE_BINARY:-}" ]; then
  [ "$(node_major "$TSLAB_NODE_BINARY")" -ge "$node_major_wanted" ] 2>/dev/null \
    || die "TSLAB_NODE_BINARY=$TSLAB_NODE_BINARY is not a node >= $node_major_wanted"
  install -m 0755 "$TSLAB_NODE_BINARY" /usr/local/bin/node
  say "copied node $(/usr/local/bin/node --version) to /usr/local/bin"
else
  [ "$apt_updated" = yes ] || { apt-get "${apt_wait[@]}" update -qq; apt_updated=yes; }
  distro=$(apt-cache policy nodejs 2>/dev/null | sed -nE 's/^ *Candidate: ([0-9]+:)?([0-9]+)\..*/\2/p')
  if [ -n "$distro" ] && [ "$distro" -ge "$node_major_wanted" ]; then
    say "installing the distribution's nodejs ($distro)"
    apt_install nodejs npm
  else
    # Debian 12 ships Node 18, Ubuntu 24.04 too: take NodeSource's signed apt repository.
    major=${TSLAB_NODE_MAJOR:-$node_major_wanted}
    say "the distribution's nodejs is ${distro:-absent} (< $node_major_wanted): adding NodeSource node_$major.x"
    apt_install ca-certificates curl gnupg
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key \
      | gpg --dearmor --yes -o /usr/share/keyrings/nodesource.gpg
    echo "deb [signed-by=/usr/share/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$major.x nodistro main" \
      >/etc/apt/sources.list.d/nodesource.list
    apt-get "${apt_wait[@]}" update -qq
    apt-get "${apt_wait[@]}" install -y -qq nodejs
  fi
  hash -r
  current=$(node_major node || true)
  [ -n "$current" ] && [ "$current" -ge "$node_major_wanted" ] || die "node >= $node_major_wanted is still missing"
fi
command -v npm >/dev/null || die "npm is missing (it comes with NodeSource's nodejs; Debian: apt-get install npm)"

# 3. Dependencies and build. npm ci wipes node_modules, so only when it does not match the lockfile.
cd "$repo"
if [ -d node_modules ] && npm ls --all >/dev/null 2>&1; then
  say "node_modules matches package-lock.json"
elif [ "${TSLAB_NPM_CI:-auto}" = never ]; then
  # The CI VM has no registry: it uses the host's node_modules, exactly what the host's tests use.
  note "node_modules does not match package-lock.json (npm ls --all), and TSLAB_NPM_CI=never: keeping it"
else
  say "npm ci"
  npm ci --no-audit --no-fund
fi
if [ ! -f dist/src/cli/main.js ] || [ -n "$(find src bench labs tsconfig.json package.json \( -name '*.ts' -o -name '*.tsx' -o -name '*.json' \) -newer dist/src/cli/main.js 2>/dev/null | head -n1)" ]; then
  say "building (npm run build)"
  npm run build --silent
else
  say "dist/ is newer than every source file: build skipped"
fi

# 4. tslab on the PATH (links, so a rebuild is picked up at once).
for bin in tslab tslab-runtime; do
  ln -sfn "$repo/bin/$bin" "/usr/local/bin/$bin"
done
tslab --help >/dev/null || die "tslab does not run: try 'npm run build' in $repo"
say "tslab at /usr/local/bin/tslab -> $repo/bin/tslab"
if [ -n "${TSLAB_LABS_LINK_USER:-}" ]; then
  home=$(getent passwd "$TSLAB_LABS_LINK_USER" | cut -d: -f6)
  if [ -n "$home" ] && { [ ! -e "$home/labs" ] || [ -L "$home/labs" ]; }; then
    ln -sfn "$repo/labs" "$home/labs"
    say "$home/labs -> $repo/labs"
  fi
fi

# 5. The lab image: busybox from a registry, else built from the host's busybox-static (no network:
#    the CI VM, an offline workshop room).
if ! tslab image --help >/dev/null 2>&1; then
  note "this tslab has no 'image' command yet: the lab image was not prepared (run 'sudo tslab image pull busybox' once it exists)"
elif tslab image inspect busybox >/dev/null 2>&1; then
  say "lab image busybox already in the store"
else
  say "preparing the lab image: tslab image pull busybox"
  if ! tslab image pull busybox; then
    note "pulling busybox failed (no registry reachable?): building it from busybox-static instead"
    tslab image build-busybox || die "could neither pull busybox nor build it from busybox-static"
  fi
  tslab image inspect busybox >/dev/null || die "busybox is still not in the image store"
fi
say "done"
