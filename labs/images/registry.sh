#!/bin/sh
# A docker-registry of a lab's own, for the image labs' steps:
#   registry.sh start DIR [USER PASSWORD]   config, storage, log, pid and port under DIR, on a free port
#                                           of 127.0.0.1 (with USER/PASSWORD: htpasswd authentication);
#                                           returns once it listens
#   registry.sh stop DIR                    stops it by its pid and waits until it is gone
set -eu
cmd=$1 dir=$2
listening() { grep -qi ":$(printf %04X "$1") 00000000:0000 0A" /proc/net/tcp; }
# running: it exists and is no zombie (once killed it is one until its parent, init by then, reaps it)
running() { s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) && [ -n "$s" ] && [ "$s" != Z ]; }
case $cmd in
start)
  mkdir -p "$dir"
  # a free port: random, and not listening yet
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    p=$((30000 + $(od -An -N2 -tu2 /dev/urandom) % 10000))
    listening "$p" || break
  done
  auth=''
  if [ $# -ge 4 ]; then
    htpasswd -Bbn "$3" "$4" > "$dir/htpasswd"
    auth="auth: {htpasswd: {realm: tslab-lab, path: $dir/htpasswd}}"
  fi
  printf 'version: 0.1\nlog: {level: info, formatter: text}\nstorage: {filesystem: {rootdirectory: %s/data}}\nhttp: {addr: 127.0.0.1:%s}\n%s\n' \
    "$dir" "$p" "$auth" > "$dir/config.yml"
  echo "$p" > "$dir/port"
  setsid docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 < /dev/null &
  echo $! > "$dir/pid"
  # wait (bounded: 10 s) until it listens
  n=0
  until listening "$p"; do
    n=$((n + 1))
    if [ $n -ge 500 ] || ! running "$(cat "$dir/pid")"; then echo "the registry did not listen:"; cat "$dir/log"; exit 1; fi
    sleep 0.02
  done
  echo "registry listening on 127.0.0.1:$p (pid $(cat "$dir/pid"))"
  ;;
stop)
  [ -f "$dir/pid" ] || exit 0
  pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null || exit 0
  n=0
  while running "$pid" && [ $n -lt 500 ]; do n=$((n + 1)); sleep 0.02; done
  ;;
*) echo "usage: registry.sh start|stop DIR [USER PASSWORD]" >&2; exit 2 ;;
esac
