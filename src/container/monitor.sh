# The monitor of one container without perl (see src/container/shim.ts): create, wait for tslab's
# word on the go pipe, start, then poll the init, which is not our child: its exit status stays
# unknown (255). Everything it needs comes in TSLAB_* variables (src/env.ts).
[ "$TSLAB_FG" = 1 ] || exec </dev/null >>"$TSLAB_LOG" 2>&1
code=255
rm -f "$TSLAB_PID_FILE"
if [ -n "$TSLAB_GO_FD" ]; then
  if "$TSLAB_RT" --root "$TSLAB_RT_ROOT" create --bundle "$TSLAB_DIR" --pid-file "$TSLAB_PID_FILE" "$TSLAB_ID"; then
    eval "read -r go <&$TSLAB_GO_FD"
    if [ "$go" = start ] && { "$TSLAB_RT" --root "$TSLAB_RT_ROOT" start "$TSLAB_ID" && echo ok >"$TSLAB_START_RESULT" || { echo failed >"$TSLAB_START_RESULT"; false; }; }; then
      pid=$(cat "$TSLAB_PID_FILE")
      while kill -0 "$pid" 2>/dev/null; do sleep 1; done
    fi
  fi
else
  "$TSLAB_RT" --root "$TSLAB_RT_ROOT" run --bundle "$TSLAB_DIR" "$TSLAB_ID" &
  rt=$!
  if [ "$TSLAB_FG" != 1 ]; then (
    # keeps the log under TSLAB_LOG_MAX: its last half moves to <log>.1 and the log starts again
    while kill -0 $rt 2>/dev/null; do
      sleep 1
      size=$(wc -c <"$TSLAB_LOG" 2>/dev/null || echo 0)
      if [ "$size" -gt "$TSLAB_LOG_MAX" ]; then
        tail -c $((TSLAB_LOG_MAX / 2)) "$TSLAB_LOG" >"$TSLAB_LOG.1.tmp" && mv "$TSLAB_LOG.1.tmp" "$TSLAB_LOG.1" && : >"$TSLAB_LOG"
      fi
    done
  ) </dev/null >/dev/null 2>&1 & fi
  wait $rt
  code=$?
fi
if [ -n "$TSLAB_NODE" ] && [ -n "$TSLAB_BIN" ]; then "$TSLAB_NODE" "$TSLAB_BIN" network disconnect "$TSLAB_ID" >/dev/null 2>&1; fi
echo "$code $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$TSLAB_EXIT_FILE.tmp" && mv "$TSLAB_EXIT_FILE.tmp" "$TSLAB_EXIT_FILE"
"$TSLAB_RT" --root "$TSLAB_RT_ROOT" delete --force "$TSLAB_ID" >/dev/null 2>&1
umount "$TSLAB_ROOTFS" 2>/dev/null || umount -l "$TSLAB_ROOTFS" 2>/dev/null
if [ "$TSLAB_RM" = 1 ] && [ -e "$TSLAB_STARTED" ]; then rm -rf "$TSLAB_DIR"; fi
exit $code
