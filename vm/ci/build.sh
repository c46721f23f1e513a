#!/usr/bin/env bash
# Builds the CI VM image once and caches it: Debian 12's own kernel and initrd, and an ext4 disk image
# of a debootstrap'd root filesystem with systemd, the packages .ci/run installs, and the host's Node.
# Prints the image folder on stdout (all progress goes to stderr).
#
# The cache key covers everything that goes into the image (this script, the files baked in, the
# package list, the host's node binary, the mirror), so a change rebuilds and an unchanged tree reuses.
# Needs root (debootstrap, chroot) and: debootstrap, mke2fs, qemu-system-x86_64 (see .ci/run).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TSLAB_VM_CACHE:-$repo/.vm-cache}
suite=bookworm
log() { echo "vm-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
missing=()
for tool in debootstrap mke2fs chroot unshare sha256sum; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} = 0 ] || die "missing tools: ${missing[*]} (apt-get install debootstrap e2fsprogs util-linux)"

# The apt mirror this machine already uses (deb822 or one-line sources), unless told otherwise.
detect_mirror() {
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
    | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ')
  echo "${uri:-http://deb.debian.org/debian}"
}
mirror=${TSLAB_VM_MIRROR:-$(detect_mirror)}

# The same system packages CI installs, minus the ones only the host needs: to run this VM, and
# the engines its tests drive (their daemons would start at the guest's boot and take its 2 CPUs).
host_only='^(buildah|containerd|debootstrap|dnsmasq-base|docker.io|e2fsprogs|iptables|libvirt-.*|podman|qemu-system-x86|qemu-utils|vagrant|vagrant-libvirt)$'
ci_packages=$(sed -n '/^packages=(/,/^)/{/^  *[a-z0-9]/p}' "$repo/.ci/run" | tr -d ' ' | grep -Ev "$host_only")
[ -n "$ci_packages" ] || die "could not read the package list from .ci/run"
guest_packages="linux-image-amd64 initramfs-tools libstdc++6 $(echo $ci_packages)"

node_bin=$(readlink -f "$(command -v node)") || die "node is not installed on the host"
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd) || die "npm is not installed on the host"

key=$( {
  cat "$0" "$repo/vm/ci/guest/tslab-vm-boot" "$repo/vm/ci/guest/tslab-vm-boot.service"
  echo "$guest_packages $mirror $suite"
  sha256sum "$node_bin"
  cat "$npm_dir/package.json"
} | sha256sum | cut -c1-16)
image=$cache/image-$key

if [ -f "$image/ready" ]; then
  log "cached image $image"
  echo "$image"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
rootfs=$work/rootfs
started=$(date +%s)

# debootstrap lays down a minimal Debian; apt inside the chroot then installs the rest, because
# debootstrap's own dependency ordering fails on some of them (golang-github-containers-common).
log "debootstrap $suite from $mirror"
if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,kmod,dbus "$suite" "$rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1; then
  cat "$work/debootstrap.log" "$rootfs/debootstrap/debootstrap.log" >"$cache/build-failed.log" 2>/dev/null
  tail -n 30 "$cache/build-failed.log" >&2
  die "debootstrap failed (full log: $cache/build-failed.log)"
fi
log "debootstrap done in $(( $(date +%s) - started ))s; installing: $guest_packages"

# The initrd must find the virtio disk; 9p and overlay are loaded later from the root filesystem.
mkdir -p "$rootfs/etc/initramfs-tools"
printf '%s\n' virtio_pci virtio_blk virtio_console ext4 9p 9pnet 9pnet_virtio overlay >>"$rootfs/etc/initramfs-tools/modules"
# Packages must not start services inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
# A private mount namespace: /proc for the chroot disappears with it, nothing to unmount.
if ! unshare --mount --fork chroot "$rootfs" /bin/sh -c "
    mount -t proc proc /proc &&
    export DEBIAN_FRONTEND=noninteractive &&
    apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends $guest_packages" >"$work/install.log" 2>&1; then
  cp "$work/install.log" "$cache/build-failed.log"
  tail -n 30 "$work/install.log" >&2
  die "installing the guest packages failed (full log: $cache/build-failed.log)"
fi
rm -f "$rootfs/usr/sbin/policy-rc.d" "$rootfs/etc/resolv.conf"
ls "$rootfs"/boot/vmlinuz-* "$rootfs"/boot/initrd.img-* >/dev/null 2>&1 || die "no kernel or initrd in the guest's /boot"
log "packages installed after $(( $(date +%s) - started ))s"

# Node and npm from the host: Debian 12's nodejs is 18, tslab needs >= 20.
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# The job runner and its unit.
install -m 0755 "$repo/vm/ci/guest/tslab-vm-boot" "$rootfs/usr/local/sbin/tslab-vm-boot"
install -m 0644 "$repo/vm/ci/guest/tslab-vm-boot.service" "$rootfs/etc/systemd/system/tslab-vm-boot.service"
mkdir -p "$rootfs/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/tslab-vm-boot.service "$rootfs/etc/systemd/system/multi-user.target.wants/tslab-vm-boot.service"

# Nothing else should start: no logins, no timers, no registry on :5000 (tests start their own).
for unit in getty@tty1.service serial-getty@ttyS0.service serial-getty@ttyS1.service docker-registry.service \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
  systemd-tmpfiles-clean.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
echo tslab-ci-vm >"$rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tslab-ci-vm\n::1 localhost\n' >"$rootfs/etc/hosts"
echo '/dev/vda / ext4 rw,relatime 0 1' >"$rootfs/etc/fstab"
: >"$rootfs/etc/machine-id"
rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*_Packages

mkdir -p "$work/image"
cp "$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n1)" "$work/image/vmlinuz"
cp "$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -n1)" "$work/image/initrd.img"

# An ext4 image filled straight from the folder (mke2fs -d): no loop mount, nothing to clean up.
size_mib=$(( $(du -sm "$rootfs" | cut -f1) + 3072 ))
mke2fs -q -t ext4 -L tslab-root -d "$rootfs" "$work/image/rootfs.raw" "${size_mib}M" >&2 \
  || die "mke2fs -d failed"
echo "$guest_packages" >"$work/image/packages"
"$node_bin" --version >"$work/image/node-version"

rm -rf "$image"
mv "$work/image" "$image"
touch "$image/ready"
# Older images are dead weight once a new one is built.
for old in "$cache"/image-*; do
  [ "$old" = "$image" ] || rm -rf "$old"
done
log "image ready in $(( $(date +%s) - started ))s: $image"
echo "$image"
