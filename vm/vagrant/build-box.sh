#!/usr/bin/env bash
# Builds a Vagrant box for the libvirt provider from the CI VM's own Debian 12 image (vm/ci/build.sh),
# with no download: for an offline workshop room, and for `npm run test:vagrant` (no internet here).
#
#   sudo vm/vagrant/build-box.sh          # builds .vm-cache/vagrant-box/tslab-debian-12.box, prints its path
#   sudo vm/vagrant/build-box.sh --add    # ... and adds it to Vagrant as tslab/debian-12-local
#   then: cd vm && TSLAB_VAGRANT_BOX=tslab/debian-12-local vagrant up --provider libvirt
#
# The CI image is a whole-disk ext4 with Debian's kernel and initrd beside it (no boot loader), so the
# box carries vmlinuz and initrd.img and its own Vagrantfile boots them directly (libvirt's
# kernel/initrd/cmdline). Added to a copy of the image: openssh-server and sudo, the `vagrant` user
# with Vagrant's well-known key (replaced by a fresh key at the first `vagrant up`), DHCP on the
# first network card; removed: the CI job runner. Cached: an unchanged CI image and builder reuse the box.
# Needs root (a loop mount in a private mount namespace), qemu-img (qemu-utils) and the apt mirror.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TSLAB_VM_CACHE:-$repo/.vm-cache}
box_name=${TSLAB_VAGRANT_BOX_NAME:-tslab/debian-12-local}
out_dir=$cache/vagrant-box
box=$out_dir/tslab-debian-12.box
log() { echo "vagrant-box: $*" >&2; }
die() { log "error: $*"; exit 1; }

add=no
case "${1:-}" in
  "") ;;
  --add) add=yes ;;
  *) die "unknown argument '$1' (usage: build-box.sh [--add])" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root (the image is loop-mounted to add ssh and the vagrant user)"
command -v qemu-img >/dev/null || die "qemu-img is missing (apt-get install qemu-utils)"
# Vagrant's well-known public key, as the installed Vagrant ships it (Debian's package or HashiCorp's).
insecure_key=$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub \
  /opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -n1 || true)
[ -n "$insecure_key" ] || die "Vagrant's keys/vagrant.pub not found (apt-get install vagrant)"

started=$(date +%s)
image=$(bash "$repo/vm/ci/build.sh")
t_image=$(date +%s)
log "CI image ready after $(( t_image - started ))s: $image"

key=$( { cat "$0"; basename "$image"; } | sha256sum | cut -c1-16)
if [ -f "$box" ] && [ "$(cat "$box.key" 2>/dev/null)" = "$key" ]; then
  log "cached box $box"
else
  mkdir -p "$out_dir"
  rm -f "$box" "$box.key"
  work=$(mktemp -d "$out_dir/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  cp --sparse=always "$image/rootfs.raw" "$work/rootfs.raw"
  cp "$image/vmlinuz" "$image/initrd.img" "$work/"
  cp "$insecure_key" "$work/vagrant.pub"
  log "adding ssh, sudo and the vagrant user to a copy of the image"
  # A private mount namespace: the loop mount (autoclear) and /proc vanish with it, however it ends.
  if ! unshare --mount --propagation private --fork bash -euo pipefail -c '
      work=$1
      root=$work/mnt
      mkdir -p "$root"
      mount -o loop "$work/rootfs.raw" "$root"
      mount -t proc proc "$root/proc"
      printf "#!/bin/sh\nexit 101\n" >"$root/usr/sbin/policy-rc.d"
      chmod +x "$root/usr/sbin/policy-rc.d"
      cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
      chroot "$root" /bin/sh -euc "
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends openssh-server sudo
        useradd --create-home --shell /bin/bash --user-group vagrant
        echo \"vagrant ALL=(ALL) NOPASSWD: ALL\" >/etc/sudoers.d/vagrant
        chmod 0440 /etc/sudoers.d/vagrant
        install -d -m 0700 -o vagrant -g vagrant /home/vagrant/.ssh
        systemctl enable ssh.service systemd-networkd.service >/dev/null 2>&1
        rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*_Packages
      "
      install -m 0600 "$work/vagrant.pub" "$root/home/vagrant/.ssh/authorized_keys"
      chroot "$root" chown vagrant:vagrant /home/vagrant/.ssh/authorized_keys
      # DHCP on the first network card: the management network Vagrant reaches the guest by.
      # systemd-networkd also routes the gateway as a /32, as on most networkd hosts (Ubuntu).
      printf "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n" >"$root/etc/systemd/network/80-tslab-dhcp.network"
      # Not the CI VM: no job runner powering the guest off; a login on the serial console.
      rm -f "$root/etc/systemd/system/multi-user.target.wants/tslab-vm-boot.service" \
        "$root/etc/systemd/system/serial-getty@ttyS0.service" "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
      echo tslab >"$root/etc/hostname"
      printf "127.0.0.1 localhost\n127.0.1.1 tslab\n::1 localhost\n" >"$root/etc/hosts"
      umount "$root/proc"
      # Blocks apt freed (its downloads) still hold data: discard them, so the qcow2 leaves them out.
      fstrim "$root" || true
      umount "$root"
    ' build-box "$work" >"$work/chroot.log" 2>&1; then
    tail -n 30 "$work/chroot.log" >&2
    die "preparing the image failed"
  fi
  log "converting to qcow2"
  qemu-img convert -O qcow2 "$work/rootfs.raw" "$work/box.img"
  rm "$work/rootfs.raw"
  gib=$(( ($(qemu-img info --output=json "$work/box.img" | sed -nE 's/.*"virtual-size": ([0-9]+).*/\1/p') + 1073741823) / 1073741824 ))
  printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %d}\n' "$gib" >"$work/metadata.json"
  # The box's own Vagrantfile: Vagrant loads it before the project's, with __dir__ = the box folder.
  cat >"$work/Vagrantfile" <<'BOXFILE'
# tslab's local box (vm/vagrant/build-box.sh): the CI VM's Debian 12, booted by libvirt from the
# kernel and initrd in this folder (the disk is a whole-disk ext4, no boot loader).
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.join(__dir__, "vmlinuz")
    lv.initrd = File.join(__dir__, "initrd.img")
    lv.cmd_line = "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
  end
end
BOXFILE
  # Uncompressed: the qcow2 holds only used blocks already, and gzip would cost minutes.
  tar -C "$work" -cf "$work/box.tar" metadata.json Vagrantfile box.img vmlinuz initrd.img
  mv "$work/box.tar" "$box"
  echo "$key" >"$box.key"
  rm -rf "$work"
  trap - EXIT
  log "box built in $(( $(date +%s) - t_image ))s: $box ($(du -h "$box" | cut -f1))"
fi

if [ "$add" = yes ]; then
  vagrant box add --force --name "$box_name" "$box" >&2
  log "added to Vagrant as $box_name (VAGRANT_HOME=${VAGRANT_HOME:-~/.vagrant.d})"
fi
echo "$box"
