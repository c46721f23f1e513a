#!/usr/bin/env bash
# `npm run test:vm`: checks tslab on pure cgroup v2 inside a Debian 12 guest booted with qemu.
#   1. builds the guest image once (vm/ci/build.sh, cached under .vm-cache/)
#   2. builds tslab on the host (fast here; the guest then finds dist/ up to date)
#   3. picks KVM if a short probe boot finishes with it, else software emulation (TCG)
#   4. boots the guest with the repository shared read-only over 9p and a results folder read-write;
#      the guest runs vm/ci/guest/job.sh and powers off
#   5. exits with the guest job's exit code; results stay in .vm-cache/last-run/
#
# Environment: TSLAB_VM_ACCEL=kvm|tcg (skip the probe), TSLAB_VM_TIMEOUT (seconds, default 2700),
# TSLAB_VM_STEPS (see job.sh), TSLAB_VM_BREAK (see test/vm/cgroup-v2-probe.sh), TSLAB_VM_NO_BUILD=1.
# Every TSLAB_* variable is passed on to the guest job.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TSLAB_VM_CACHE:-$repo/.vm-cache}
log() { echo "test:vm: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"

snapshot=$cache/repo-snapshot
qemu_pid=
stop_qemu() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null
    wait "$qemu_pid" 2>/dev/null || true
  fi
  qemu_pid=
}
cleanup() {
  stop_qemu
  rm -rf "$snapshot"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

t0=$(date +%s)
image=$(bash "$repo/vm/ci/build.sh")
t_image=$(date +%s)
if [ "${TSLAB_VM_NO_BUILD:-}" != 1 ]; then
  log "building tslab on the host (npm run build)"
  (cd "$repo" && npm run build --silent) || die "npm run build failed"
fi

# The guest sees a snapshot, not the live tree: a run takes minutes, and files saved or rebuilt on
# the host meanwhile would reach the guest half-written. Sources and dist/ are copied (a few MB);
# node_modules is hard-linked (npm replaces files there, it never rewrites them in place).
rm -rf "$snapshot"
mkdir -p "$snapshot"
tar -C "$repo" --exclude=./node_modules --exclude=./.vm-cache --exclude=./.git -cf - . | tar -C "$snapshot" -xf - \
  || die "could not copy the repository to $snapshot"
if [ -d "$repo/node_modules" ]; then
  cp -al "$repo/node_modules" "$snapshot/node_modules" || die "could not link node_modules into $snapshot"
fi
t_build=$(date +%s)

# boot ACCEL RUN_DIR TIMEOUT [EXTRA_CMDLINE]: boots the guest, streams its job output, returns 0 if
# the guest powered itself off before the deadline, 124 on timeout. The guest gets one network card,
# like any real host (labs compare the host's links with a container's), but restrict=on cuts it off
# from the host and the outside: nothing leaves the guest.
boot() {
  local accel=$1 run=$2 timeout=$3 extra=${4:-} cpu=max deadline
  [ "$accel" = kvm ] && cpu=host
  : >"$run/job.log"
  qemu-system-x86_64 -name tslab-ci-vm -machine "q35,accel=$accel" -cpu "$cpu" -smp 2 -m 2048 \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all $extra" \
    -drive "file=$image/rootfs.raw,format=raw,if=virtio,snapshot=on" \
    -virtfs "local,path=$snapshot,mount_tag=repo,security_model=none,readonly=on" \
    -virtfs "local,path=$run,mount_tag=results,security_model=none" \
    -serial "file:$run/console.log" -chardev "file,id=job,path=$run/job.log" -serial chardev:job \
    -device virtio-rng-pci -nic user,restrict=on,model=virtio-net-pci </dev/null >"$run/qemu.log" 2>&1 &
  qemu_pid=$!
  tail -n +1 -f --pid="$qemu_pid" "$run/job.log" &
  local tail_pid=$!
  deadline=$(( $(date +%s) + timeout ))
  while kill -0 "$qemu_pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "the guest did not finish within ${timeout}s: stopping qemu (pid $qemu_pid)"
      stop_qemu
      wait "$tail_pid" 2>/dev/null || true
      return 124
    fi
    sleep 1
  done
  wait "$qemu_pid" || log "qemu exited with $? ($(tail -n 3 "$run/qemu.log" | tr '\n' ' '))"
  qemu_pid=
  wait "$tail_pid" 2>/dev/null || true
  return 0
}

# KVM exists on many hosts but hangs guests on some (this project's CI host): a probe boot that must
# finish within a short deadline decides. The answer holds until the host reboots. Sets $accel.
pick_accel() {
  accel=tcg
  if [ -n "${TSLAB_VM_ACCEL:-}" ]; then
    accel=$TSLAB_VM_ACCEL
    return
  fi
  if [ ! -w /dev/kvm ]; then
    log "no usable /dev/kvm: software emulation (TCG)"
    return
  fi
  local remembered=$cache/accel-$(cat /proc/sys/kernel/random/boot_id)
  if [ -f "$remembered" ]; then
    accel=$(cat "$remembered")
    log "accelerator from this host boot's probe: $accel"
    return
  fi
  local probe started=$(date +%s)
  probe=$(mktemp -d "$cache/probe.XXXXXX")
  if boot kvm "$probe" "${TSLAB_VM_PROBE_TIMEOUT:-45}" tslab.probe >&2 && [ "$(cat "$probe/exit-code" 2>/dev/null)" = probe-ok ]; then
    accel=kvm
    log "KVM probe boot finished in $(( $(date +%s) - started ))s: using KVM"
  else
    log "KVM probe boot did not finish ($(( $(date +%s) - started ))s): using software emulation (TCG)"
  fi
  rm -rf "$probe"
  rm -f "$cache"/accel-*
  echo "$accel" >"$remembered"
}

pick_accel
t_probe=$(date +%s)
# Under software emulation the integration tests take an hour or more (docs/vm.md): leave them
# out unless asked for by name, and say so.
if [ -z "${TSLAB_VM_STEPS:-}" ] && [ "$accel" = tcg ]; then
  export TSLAB_VM_STEPS=provision,cgroup-probe,labs
  log "NOTE: software emulation: steps $TSLAB_VM_STEPS; the integration tests are left out (too slow" \
    "without KVM; TSLAB_VM_STEPS=provision,cgroup-probe,labs,integration runs them anyway)"
fi

run=$cache/last-run
rm -rf "$run"
mkdir -p "$run"
# The guest sources this file: TSLAB_* variables, shell-quoted.
while IFS='=' read -r name _; do
  printf '%s=%q\n' "$name" "${!name}"
done < <(env | grep -E '^TSLAB_[A-Z0-9_]*=' || true) >"$run/env"

timeout=${TSLAB_VM_TIMEOUT:-2700}
log "booting the guest ($accel, 2 CPUs, 2 GiB; timeout ${timeout}s); job output follows"
boot "$accel" "$run" "$timeout" && booted=yes || booted=no
t_end=$(date +%s)

code=$(cat "$run/exit-code" 2>/dev/null || true)
log "image $(( t_image - t0 ))s, host build and snapshot $(( t_build - t_image ))s, accelerator probe $(( t_probe - t_build ))s, guest run $(( t_end - t_probe ))s ($accel)"
log "results in $run: $(cd "$run" && ls | tr '\n' ' ')"
if [ "$booted" != yes ] || ! [[ $code =~ ^[0-9]+$ ]]; then
  log "the guest reported no exit code; last console lines:"
  tail -n 25 "$run/console.log" >&2 || true
  exit 1
fi
if [ "$code" != 0 ]; then
  log "FAILED: the guest job exited with $code"
  exit "$code"
fi
log "passed"
