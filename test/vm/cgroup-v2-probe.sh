#!/usr/bin/env bash
# Proves the cgroup v2 interfaces tslab's memory, pids, cpu and freezer labs rely on, straight through
# the files (no tslab code): a child cgroup gets memory.max, pids.max, cpu.max and cgroup.freeze, and
# each limit is seen to bite. Runs as root on a pure cgroup v2 machine (the CI VM).
#
#   cgroup-v2-probe.sh [--junit FILE]
#
# Negative control: TSLAB_VM_BREAK=pids,memory,cpu,freezer (any subset) leaves that limit unset
# while the check still expects it to bite, so the check must fail: a check that cannot fail is
# worth nothing.
set -uo pipefail

junit=
[ "${1:-}" = --junit ] && junit=${2:?--junit needs a file}
root=/sys/fs/cgroup
cg=$root/tslabt-vmprobe-$$
broken=",${TSLAB_VM_BREAK:-},"
cases=()   # "name|status|message|seconds"
pids=()

breaks() { [[ $broken == *",$1,"* ]]; }
# Poll a condition until it holds or the deadline (seconds) passes.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
field() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
# One line per case: messages lose their newlines and the field separator.
record() {
  local msg=${3//$'\n'/; }
  msg=${msg//|//}
  cases+=("$1|$2|$msg|$4")
  echo "probe: $1: $2${msg:+ ($msg)}"
}
run_case() {
  local name=$1 start msg
  start=$(date +%s)
  if msg=$("check_$name" 2>&1); then
    record "$name" pass "$msg" $(( $(date +%s) - start ))
  else
    record "$name" fail "$msg" $(( $(date +%s) - start ))
  fi
}
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ -d "$cg" ]; then
    echo 0 >"$cg/cgroup.freeze" 2>/dev/null
    for p in $(cat "$cg"/cgroup.procs "$cg"/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    for sub in "$cg"/*/; do [ -d "$sub" ] && wait_for 20 rmdir "$sub" 2>/dev/null; done
    wait_for 20 rmdir "$cg" 2>/dev/null || echo "probe: could not remove $cg" >&2
  fi
}
trap cleanup EXIT

[ "$(stat -fc %T $root)" = cgroup2fs ] || { echo "probe: $root is $(stat -fc %T $root), not cgroup2fs"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "probe: run as root"; exit 1; }

# The root must hand the controllers down before a child cgroup gets their files.
# Each level hands them on to its children in turn; the checks run in cgroups below $cg.
echo "+memory +pids +cpu" >"$root/cgroup.subtree_control"
mkdir "$cg"
echo "+memory +pids +cpu" >"$cg/cgroup.subtree_control"

check_files() {
  local f missing=
  for f in memory.max pids.max cpu.max cgroup.freeze cgroup.events memory.events pids.events cpu.stat; do
    [ -e "$cg/$f" ] || missing="$missing $f"
  done
  [ -z "$missing" ] || { echo "missing in $cg:$missing"; return 1; }
  echo "memory.max=$(cat "$cg/memory.max") pids.max=$(cat "$cg/pids.max") cpu.max='$(cat "$cg/cpu.max")'"
}

# pids.max=4: a shell in the cgroup starting 8 sleeps must see forks fail.
check_pids() {
  local sub=$cg/pids
  mkdir "$sub" || return 1
  breaks pids || echo 4 >"$sub/pids.max"
  # Builtins only after the first fork fails: $! and kill need no new process.
  bash -c 'echo $$ >"$1/cgroup.procs"; started=(); for i in 1 2 3 4 5 6 7 8; do sleep 30 >/dev/null 2>&1 & started+=($!); done 2>/dev/null; kill "${started[@]}" 2>/dev/null; exit 0' _ "$sub"
  local hits current
  hits=$(field "$sub/pids.events" max)
  # The refused shell's sleeps were killed; the cgroup can go once they are reaped.
  wait_for 20 rmdir "$sub" 2>/dev/null || { echo "$sub stayed busy: $(cat "$sub/cgroup.procs" | tr '\n' ' ')"; return 1; }
  [ "${hits:-0}" -gt 0 ] || { echo "no fork hit pids.max (pids.events max=${hits:-0})"; return 1; }
  echo "forks refused at pids.max=4: pids.events max=$hits"
}

# memory.max=32M: a process that touches 128 MiB is killed by the cgroup's OOM killer.
check_memory() {
  local sub=$cg/memory status kills
  mkdir "$sub" || return 1
  if ! breaks memory; then
    echo 32M >"$sub/memory.max"
    echo 0 >"$sub/memory.swap.max" 2>/dev/null
  fi
  bash -c 'echo $$ >"$1/cgroup.procs"; exec dd if=/dev/zero of=/dev/null bs=128M count=1 2>/dev/null' _ "$sub"
  status=$?
  kills=$(field "$sub/memory.events" oom_kill)
  wait_for 20 rmdir "$sub" 2>/dev/null
  [ "${kills:-0}" -gt 0 ] || { echo "dd with a 128M buffer was not OOM-killed (exit $status, oom_kill=${kills:-0})"; return 1; }
  echo "dd killed at memory.max=32M: exit $status, memory.events oom_kill=$kills"
}

# cpu.max=10% of one CPU: a busy loop for one second is throttled.
check_cpu() {
  local sub=$cg/cpu throttled
  mkdir "$sub" || return 1
  breaks cpu || echo "10000 100000" >"$sub/cpu.max"
  bash -c 'echo $$ >"$1/cgroup.procs"; exec timeout 1 sh -c "while :; do :; done"' _ "$sub"
  throttled=$(field "$sub/cpu.stat" nr_throttled)
  local max; max=$(cat "$sub/cpu.max")
  wait_for 20 rmdir "$sub" 2>/dev/null
  [ "${throttled:-0}" -gt 0 ] || { echo "busy loop not throttled at cpu.max='$max' (nr_throttled=${throttled:-0})"; return 1; }
  echo "busy loop throttled at cpu.max='$max': nr_throttled=$throttled"
}

# cgroup.freeze=1: the cgroup reports frozen and a counting process stops counting; 0 thaws it.
check_freezer() {
  local sub=$cg/freezer counter=/tmp/tslabt-vmprobe-count-$$ pid before after
  mkdir "$sub" || return 1
  bash -c 'echo $$ >"$1/cgroup.procs"; n=0; while :; do n=$((n+1)); echo $n >"$2"; sleep 0.05; done' _ "$sub" "$counter" >/dev/null 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_for 20 test -s "$counter" || { echo "counter never started"; return 1; }
  breaks freezer || echo 1 >"$sub/cgroup.freeze"
  if ! wait_for 20 grep -qx 'frozen 1' "$sub/cgroup.events"; then
    echo "cgroup.events never said 'frozen 1'"; kill -9 "$pid"; rm -f "$counter"; rmdir "$sub"; return 1
  fi
  before=$(cat "$counter"); sleep 1; after=$(cat "$counter")
  echo 0 >"$sub/cgroup.freeze"
  wait_for 20 grep -qx 'frozen 0' "$sub/cgroup.events"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  rm -f "$counter"
  wait_for 20 rmdir "$sub" 2>/dev/null
  [ "$before" = "$after" ] || { echo "counter moved while frozen: $before -> $after"; return 1; }
  echo "frozen: counter stayed at $before for 1s, thawed again"
}

for name in files pids memory cpu freezer; do run_case "$name"; done

failures=0
for c in "${cases[@]}"; do [ "$(cut -d'|' -f2 <<<"$c")" = pass ] || failures=$((failures + 1)); done
if [ -n "$junit" ]; then
  xml() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites name=\"cgroup-v2-probe\" tests=\"${#cases[@]}\" failures=\"$failures\">"
    echo "  <testsuite name=\"cgroup-v2-probe\" tests=\"${#cases[@]}\" failures=\"$failures\">"
    for c in "${cases[@]}"; do
      IFS='|' read -r name status msg secs <<<"$c"
      echo "    <testcase classname=\"cgroup-v2-probe\" name=\"$name\" time=\"$secs\">"
      if [ "$status" = pass ]; then
        echo "      <system-out>$(xml <<<"$msg")</system-out>"
      else
        echo "      <failure message=\"$(xml <<<"$msg")\"/>"
      fi
      echo "    </testcase>"
    done
    echo "  </testsuite>"
    echo "</testsuites>"
  } >"$junit"
fi
echo "probe: ${#cases[@]} checks, $failures failed"
[ "$failures" = 0 ]
