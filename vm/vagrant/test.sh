#!/usr/bin/env bash
# `npm run test:vagrant`: brings vm/Vagrantfile up for real with Debian's vagrant + vagrant-libvirt,
# on a local box (build-box.sh), and checks what the Vagrantfile promises students:
#   1. box built (cached), tslab built on the host
#   2. a private libvirt: libvirtd and virtlogd started by this script in their own mount and network
#      namespaces (overlays on /run, /var/lib, /var/log, /var/cache; a private /etc/libvirt), so no
#      domain, network, pool, volume, bridge, firewall rule or socket of theirs reaches the host
#   3. vagrant up (private VAGRANT_HOME and .vagrant folder), the guest on cgroup2fs,
#      `vagrant ssh -c 'sudo tslab test labs/'` with every lab passing
#   4. the synced folder: a file written, then edited on the host under labs/ is seen in the guest
#   5. vagrant halt, vagrant destroy, the box removed, the daemons stopped by PID, nothing left
# Environment: TSLAB_VAGRANT_ACCEL=kvm|tcg (default: the CI VM's KVM probe result for this host
# boot if there is one, else tcg), TSLAB_VAGRANT_LABS (default labs/), TSLAB_VAGRANT_LABS_TIMEOUT
# (seconds, default 2400), TSLAB_VM_CACHE.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TSLAB_VM_CACHE:-$repo/.vm-cache}
box_name=tslab/debian-12-local
say() { echo "test:vagrant: $*"; }
die() { echo "test:vagrant: error: $*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }
# Vagrant's and the guest's output, indented, line by line as it comes, without Vagrant's progress
# bars (carriage returns and "Progress: N%" many times a second).
indent() { awk -v RS='[\r\n]+' '{ gsub(/\033\[K/, "") } $0 != "" && $0 !~ /^Progress: / { print "  " $0; fflush() }'; }

# ---------------------------------------------------------------------------------------------------
# Inside the private namespaces (the script runs itself again under unshare, see the end).
inside() {
  local state=$TSLAB_VAGRANT_STATE accel=$TSLAB_VAGRANT_ACCEL box=$TSLAB_VAGRANT_BOX_FILE
  local virsh=(virsh -q -c qemu:///system) daemons=() t
  ip link set lo up
  # Overlays: libvirt's state lands in $state, and the host's folders stay as they were.
  for dir in /run /var/lib /var/log /var/cache; do
    local ov=$state/overlay/${dir//\//_}
    mkdir -p "$ov/upper" "$ov/work"
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$ov/upper,workdir=$ov/work" "$dir"
  done
  # This namespace's own network devices in /sys (libvirt reads bridges there).
  mount -t sysfs sysfs /sys
  mkdir -p "$state/etc-libvirt"
  printf '%s\n' 'unix_sock_group = "root"' 'unix_sock_rw_perms = "0700"' 'auth_unix_rw = "none"' \
    'auth_unix_ro = "none"' >"$state/etc-libvirt/libvirtd.conf"
  # qemu as root, no cgroups (nothing of libvirt's under the host's /sys/fs/cgroup), no AppArmor.
  printf '%s\n' 'user = "root"' 'group = "root"' 'dynamic_ownership = 0' 'security_driver = "none"' \
    'cgroup_controllers = [ ]' >"$state/etc-libvirt/qemu.conf"
  : >"$state/etc-libvirt/virtlogd.conf"
  : >"$state/etc-libvirt/libvirt.conf"
  mount --bind "$state/etc-libvirt" /etc/libvirt
  # libvirtd looks up its built-in qemu user (libvirt-qemu) before it reads qemu.conf: give it one
  # in this namespace's /etc/passwd and /etc/group, not the host's.
  local f
  for f in passwd group; do
    cp "/etc/$f" "$state/$f"
    mount --bind "$state/$f" "/etc/$f"
  done
  grep -q '^libvirt-qemu:' /etc/passwd || echo 'libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin' >>"$state/passwd"
  grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >>"$state/group"

  stop_daemons() {
    local pid
    for pid in "${daemons[@]}"; do
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    done
    daemons=()
  }
  inside_cleanup() {
    if [ -n "$(vagrant status --machine-readable 2>/dev/null | grep ',state,' | grep -v not_created || true)" ]; then
      echo "test:vagrant: cleaning up after a failure: vagrant destroy -f"
      vagrant destroy -f >/dev/null 2>&1 || true
    fi
    stop_daemons
  }
  trap inside_cleanup EXIT

  say "starting virtlogd and libvirtd (private: mount, network and PID namespaces)"
  virtlogd >"$state/virtlogd.log" 2>&1 &
  daemons+=("$!")
  libvirtd >"$state/libvirtd.log" 2>&1 &
  daemons+=("$!")
  local deadline=$(( $(date +%s) + 60 ))
  until "${virsh[@]}" version >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$state/libvirtd.log" >&2; die "libvirtd did not answer within 60s"; }
    kill -0 "${daemons[1]}" 2>/dev/null || { tail -n 20 "$state/libvirtd.log" >&2; die "libvirtd exited"; }
    sleep 0.5
  done
  say "libvirtd (pid ${daemons[1]}) and virtlogd (pid ${daemons[0]}) answer: $("${virsh[@]}" version | grep -i hypervisor)"

  export VAGRANT_HOME=$state/vagrant-home VAGRANT_DOTFILE_PATH=$state/dot-vagrant VAGRANT_CWD=$repo/vm
  export VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_BOX_UPDATE_CHECK_DISABLE=1 VAGRANT_DEFAULT_PROVIDER=libvirt
  export TSLAB_VAGRANT_BOX=$box_name TSLAB_NPM_CI=never TSLAB_VAGRANT_DOMAIN_PREFIX=tslabt-vagrant-
  if [ "$accel" = kvm ]; then export TSLAB_VAGRANT_LIBVIRT_DRIVER=kvm; else export TSLAB_VAGRANT_LIBVIRT_DRIVER=qemu; fi

  t=$(date +%s)
  vagrant box add --name "$box_name" "$box" 2>&1 | indent || die "vagrant box add failed"
  say "box added to the private VAGRANT_HOME ($(elapsed "$t"))"

  t=$(date +%s)
  say "vagrant up --provider libvirt (domain type ${TSLAB_VAGRANT_LIBVIRT_DRIVER}); output follows"
  vagrant up --provider libvirt 2>&1 | indent || die "vagrant up failed"
  echo "up $(elapsed "$t")" >>"$state/times"
  say "vagrant up done ($(elapsed "$t"))"

  local cgroup_fs
  cgroup_fs=$(vagrant ssh -c 'stat -fc %T /sys/fs/cgroup' 2>/dev/null | tr -d '\r')
  [ "$cgroup_fs" = cgroup2fs ] || die "the guest's /sys/fs/cgroup is '$cgroup_fs', not cgroup2fs"
  say "guest: $(vagrant ssh -c 'uname -r' 2>/dev/null | tr -d '\r'), /sys/fs/cgroup is $cgroup_fs"

  t=$(date +%s)
  local labs=${TSLAB_VAGRANT_LABS:-labs/} lab_cmd
  lab_cmd="sudo tslab test $labs"
  # Under software emulation two labs at once starve each other's commands past their 30 s limits.
  [ "$accel" = kvm ] || lab_cmd+=" --jobs 1"
  say "vagrant ssh -c '$lab_cmd'; output follows"
  # A bound on the whole run keeps .ci/run inside its budget if a lab hangs (default 40 min).
  timeout "${TSLAB_VAGRANT_LABS_TIMEOUT:-2400}" vagrant ssh -c "$lab_cmd" 2>&1 | indent \
    || die "labs failed in the guest, or ran past TSLAB_VAGRANT_LABS_TIMEOUT (vagrant ssh -c '$lab_cmd')"
  echo "labs $(elapsed "$t")" >>"$state/times"
  say "labs passed in the guest on $cgroup_fs ($(elapsed "$t"))"

  # The synced folder both ways round: a new file, then the same file edited in place.
  t=$(date +%s)
  local sync_file=labs/$TSLAB_VAGRANT_SYNC_NAME content
  for content in "written on the host $RANDOM$RANDOM" "edited on the host $RANDOM$RANDOM"; do
    printf '%s\n' "$content" >"$repo/$sync_file"
    deadline=$(( $(date +%s) + 60 ))
    until [ "$(vagrant ssh -c "cat /tslab/$sync_file" 2>/dev/null | tr -d '\r')" = "$content" ]; do
      [ "$(date +%s)" -lt "$deadline" ] || die "the guest does not see '$content' in /tslab/$sync_file after 60s"
      sleep 1
    done
    say "the guest sees /tslab/$sync_file: '$content'"
  done
  rm -f "$repo/$sync_file"
  say "synced-folder check passed (virtiofs, $(elapsed "$t"))"

  t=$(date +%s)
  vagrant halt 2>&1 | indent || die "vagrant halt failed"
  local domain_state
  domain_state=$(vagrant status --machine-readable | awk -F, '$3 == "state" {print $4}')
  [ "$domain_state" = shutoff ] || die "after vagrant halt the machine is '$domain_state', not shutoff"
  say "vagrant halt done: $domain_state ($(elapsed "$t"))"
  t=$(date +%s)
  vagrant destroy -f 2>&1 | indent || die "vagrant destroy failed"
  vagrant box remove --force "$box_name" 2>&1 | indent || die "vagrant box remove failed"
  # vagrant-libvirt keeps the box's base volume and its pool for the next machine: remove them too.
  local pool vol
  for pool in $("${virsh[@]}" pool-list --all --name); do
    for vol in $("${virsh[@]}" vol-list "$pool" | awk '{print $1}'); do
      "${virsh[@]}" vol-delete --pool "$pool" "$vol" >/dev/null
    done
    "${virsh[@]}" pool-destroy "$pool" >/dev/null 2>&1 || true
    "${virsh[@]}" pool-undefine "$pool" >/dev/null
  done
  say "destroyed ($(elapsed "$t"))"

  local left=()
  [ -z "$("${virsh[@]}" list --all --name)" ] || left+=("domains: $("${virsh[@]}" list --all --name | tr '\n' ' ')")
  [ -z "$("${virsh[@]}" net-list --all --name)" ] || left+=("networks: $("${virsh[@]}" net-list --all --name | tr '\n' ' ')")
  [ -z "$("${virsh[@]}" pool-list --all --name)" ] || left+=("pools: $("${virsh[@]}" pool-list --all --name | tr '\n' ' ')")
  [ -z "$(vagrant box list 2>/dev/null | grep -v 'There are no installed boxes' || true)" ] || left+=("boxes: $(vagrant box list)")
  [ ${#left[@]} = 0 ] || die "left in the private libvirt or Vagrant: ${left[*]}"
  stop_daemons
  # Every process of this PID namespace but this shell is gone once the daemons are.
  local others="" p comm
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    read -r comm <"/proc/$p/comm" 2>/dev/null && others+="$p ($comm) "
  done
  [ -z "$others" ] || die "processes still running after the daemons stopped: $others"
  say "libvirt empty (no domain, network, pool, volume), box removed, daemons stopped"
}

if [ "${TSLAB_VAGRANT_INSIDE:-}" = 1 ]; then
  inside
  exit 0
fi

# ---------------------------------------------------------------------------------------------------
# On the host.
[ "$(id -u)" = 0 ] || die "run as root (libvirtd, mounts and namespaces need it)"
missing=()
for tool in vagrant libvirtd virtlogd virsh dnsmasq qemu-img qemu-system-x86_64 unshare ssh; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} = 0 ] || die "missing tools: ${missing[*]} (apt-get install vagrant vagrant-libvirt libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients dnsmasq-base qemu-utils qemu-system-x86)"
vagrant plugin list 2>/dev/null | grep -q '^vagrant-libvirt' || die "the vagrant-libvirt plugin is missing (apt-get install vagrant-libvirt)"

t0=$(date +%s)
say "building the box (vm/vagrant/build-box.sh; cached when the CI image and the builder are unchanged)"
box=$(bash "$repo/vm/vagrant/build-box.sh")
t_box=$(date +%s)
say "box built: $box ($(elapsed "$t0"))"
(cd "$repo" && npm run build --silent) || die "npm run build failed"
say "tslab built on the host ($(elapsed "$t_box"))"

# KVM only where the CI VM's probe boot (vm/ci/run.sh) found it working during this host boot.
accel=${TSLAB_VAGRANT_ACCEL:-}
if [ -z "$accel" ]; then
  accel=$(cat "$cache/accel-$(cat /proc/sys/kernel/random/boot_id)" 2>/dev/null || echo tcg)
fi
say "accelerator: $accel$([ "$accel" = tcg ] && echo ' (software emulation: libvirt domain type qemu)')"

host_libvirt_before=$(ls -d /run/libvirt 2>/dev/null || true)
state=$(mktemp -d "$cache/tslabt-vagrant-run.XXXXXX")
sync_name=tslabt-vagrant-sync-$RANDOM$RANDOM.txt
results=$cache/vagrant-last-run
# The run's logs stay in $results; the run folder itself goes.
outside_cleanup() {
  rm -f "$repo/labs/$sync_name"
  if [ -d "$state" ]; then
    rm -rf "$results"
    mkdir -p "$results"
    cp "$state"/*.log "$state/times" "$results/" 2>/dev/null || true
    rm -rf "$state"
  fi
}
trap outside_cleanup EXIT
t_ns=$(date +%s)
TSLAB_VAGRANT_INSIDE=1 TSLAB_VAGRANT_STATE=$state TSLAB_VAGRANT_ACCEL=$accel TSLAB_VAGRANT_BOX_FILE=$box \
  TSLAB_VAGRANT_SYNC_NAME=$sync_name \
  unshare --mount --net --pid --fork --mount-proc --propagation private bash "$0" \
  || die "FAILED (logs in $results)"
t_end=$(date +%s)

# Nothing of the run may remain on the host.
outside_cleanup
trap - EXIT
left=()
[ ! -e "$state" ] || left+=("$state")
[ ! -e "$repo/labs/$sync_name" ] || left+=("labs/$sync_name")
[ ! -e "$repo/vm/.vagrant" ] || left+=("vm/.vagrant")
! grep -q "tslabt-vagrant-run" /proc/self/mountinfo || left+=("mounts under $state")
pgrep -f "tslabt-vagrant-run" >/dev/null && left+=("processes: $(pgrep -af tslabt-vagrant-run | tr '\n' ' ')")
[ "$(ls -d /run/libvirt 2>/dev/null || true)" = "$host_libvirt_before" ] || left+=("/run/libvirt on the host")
ip -br link | grep -qE '^(virbr|vnet)' && left+=("host links: $(ip -br link | grep -E '^(virbr|vnet)' | cut -d' ' -f1 | tr '\n' ' ')")
[ ${#left[@]} = 0 ] || die "left behind: ${left[*]}"
say "nothing left: no namespace, mount, process, link, run folder or labs file of the run remains"
say "times: box $(( t_box - t0 ))s, private libvirt to destroyed $(( t_end - t_ns ))s ($(tr '\n' ' ' <"$results/times" 2>/dev/null)), total $(( t_end - t0 ))s ($accel)"
say "passed"
