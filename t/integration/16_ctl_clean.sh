# ipcguardctl clean after a kill -9 leaves a true state file: the next
# start reports no removal from outside httpd for what the tool removed,
# and its registry is the kernel's.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
WITH_TEST=0 full_conf a            # Mutex sysvsem default, a prg: RewriteMap

httpd_start a || fail "start"
old=${PARENT[a]}
sets=$(kernel_count sem)
check_cmp "the server made its semaphore sets ($sets)" "$sets" -ge 2
httpd_kill9_tree a
check_eq "after the kill -9 of the whole tree its sets remain" "$sets" "$(kernel_count sem)"

state=$T/state/$(state_files)
check_match "the dead run left its state file" '\.state$' "$state"
recorded=$(grep -c '^obj ' "$state")
out=$("$CTL" clean --state "$state" --state-dir "$T/state" --user www-data 2>&1)
rc=$?
check_eq "ipcguardctl clean succeeds" 0 "$rc"
check_match "and says what it removed" "removed [0-9]+ stale IPC objects .* left by httpd pid $old" "$out"
check_eq "the dead run's sets are gone" 0 "$(kernel_count sem)"
check_cmp "the state file is still there" "$(test -f "$state" && echo 1 || echo 0)" -eq 1
check_match "it still names the earlier run" "^pid $old\$" "$(cat "$state")"
left=$(grep -c '^obj ' "$state")
removed=$(sed -n 's/.*removed \([0-9]*\) stale.*/\1/p' <<<"$out")
check_eq "it no longer lists what was removed ($recorded recorded, $removed removed)" \
  "$((recorded - removed))" "$left"

: > "$T/a/error.log"
httpd_start a || fail "start after the clean"
log=$(errlog a)
check_match "the start read the file the tool left" \
  "ipcguard\(021\): removed no IPC object left by httpd pid $old .*kept $left" "$log"
check_nomatch "the log has no outside removal" "outside" "$log"
json=$(http a "/ipc-status?json")
check_eq "?json has no outside-removal event" 0 \
  "$(jq '[.events[] | select(.type == "outside_removal")] | length' <<<"$json")"
check_eq "and counts none" 0 "$(jq '.counters.outside_removals_total' <<<"$json")"
check_nomatch "cleanup.summary says nothing of outside" "outside" \
  "$(jq -r '.cleanup.summary' <<<"$json")"
# (unquoted $(...): lists compared word by word)
check_eq "the registry's sets are the kernel's" \
  "$(echo $(kernel_ids sem))" \
  "$(echo $(jq -r '.objects[] | select(.kind == "sysv-sem") | .id' <<<"$json" | sort -n))"
check_eq "the registry's segments are the kernel's" \
  "$(echo $(kernel_ids shm))" \
  "$(echo $(jq -r '.objects[] | select(.kind == "sysv-shm") | .id' <<<"$json" | sort -n))"
httpd_stop a || fail "stop"
finish
