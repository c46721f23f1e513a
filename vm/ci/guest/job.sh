#!/usr/bin/env bash
# The CI job inside the CI VM. Runs as root from /tslab (the host's repository, read-only, under a
# tmpfs overlay) and writes results to /results (a folder on the host). Its exit code is the VM's.
#
# Steps (TSLAB_VM_STEPS, comma separated, default all): provision, cgroup-probe, labs, integration.
# TSLAB_VM_LABS (default labs/) and TSLAB_VM_INTEGRATION (default test/integration) narrow the last two.
set -uo pipefail

results=/results
# The output goes to a serial port, which is a TTY: tools would draw progress bars for nobody.
if [ -t 1 ]; then
  exec > >(cat) 2>&1
  copier=$!
  # Let the copy drain before the guest powers off.
  trap 'exec >&- 2>&-; wait "$copier"' EXIT
fi
export CI=1 NO_COLOR=1
steps=",${TSLAB_VM_STEPS:-provision,cgroup-probe,labs,integration},"
failed=()

step() {
  local name=$1 start rc
  shift
  [[ $steps == *",$name,"* ]] || { echo "=== $name: not requested (TSLAB_VM_STEPS)"; return 0; }
  echo "=== $name"
  start=$(date +%s)
  "$@"
  rc=$?
  if [ "$rc" = 0 ]; then
    echo "=== $name: ok ($(( $(date +%s) - start ))s)"
  else
    echo "=== $name: FAILED, exit $rc ($(( $(date +%s) - start ))s)"
    failed+=("$name")
  fi
}

cgroup_fs=$(stat -fc %T /sys/fs/cgroup)
echo "guest kernel: $(uname -r)"
echo "guest cgroup: $cgroup_fs"
echo "guest node:   $(node --version)"
echo "guest uptime: $(cut -d' ' -f1 /proc/uptime)s at job start"
if [ "$cgroup_fs" != cgroup2fs ]; then
  echo "the guest is not on pure cgroup v2: /sys/fs/cgroup is $cgroup_fs"
  exit 1
fi

# A fresh Debian 12 guest is what provision.sh promises to handle; a second run must be a no-op.
provision_twice() {
  TSLAB_REPO=/tslab TSLAB_NPM_CI=never bash vm/provision.sh || return 1
  echo "--- second run (idempotence)"
  TSLAB_REPO=/tslab TSLAB_NPM_CI=never bash vm/provision.sh
}
step provision provision_twice

step cgroup-probe bash test/vm/cgroup-v2-probe.sh --junit "$results/cgroup-probe-junit.xml"

# The labs: every folder under labs/ is a lab (or an area of labs) for `tslab test`.
run_labs() {
  local labs=${TSLAB_VM_LABS:-labs/}
  if [ -z "$(find "$labs" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]; then
    echo "NOTE: $labs holds no labs yet: nothing to run"
    return 0
  fi
  PATH=/tslab/bin:$PATH tslab test "$labs" --reporter junit --output "$results/junit.xml"
}
step labs run_labs

run_integration() {
  local tests=${TSLAB_VM_INTEGRATION:-test/integration}
  if [ -z "$(find $tests -name '*.test.ts' -o -name '*.test.tsx' 2>/dev/null)" ]; then
    echo "NOTE: $tests holds no tests yet: nothing to run"
    return 0
  fi
  node node_modules/vitest/vitest.mjs run $tests \
    --reporter=default --reporter=junit --outputFile.junit="$results/integration-junit.xml"
}
step integration run_integration

if [ ${#failed[@]} -gt 0 ]; then
  echo "guest job: FAILED steps: ${failed[*]}"
  exit 1
fi
echo "guest job: all steps passed"
