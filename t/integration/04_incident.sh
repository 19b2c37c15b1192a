# mpms: prefork worker event
# The incident: with kernel.sem = "250 32000 32 8" and six sysvsem mutexes
# (five under event, which takes no accept mutex), a second start after
# kill -9 fails without the module (No space left on device) and always
# succeeds with it; the count of sets never grows.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
CYCLES=${CYCLES:-20}
mpm=${MPM:-prefork}
# One run's sets, as measured under each MPM (and checked again on the
# stock server below): prefork and worker take an accept mutex for the two
# listeners, registered by prefork.c or worker.c; event takes none. SEMMNI
# 8 holds one run (6 or 5 sets) but not two (12 or 10), so the same limits
# make the stock server's second start fail under all three.
case $mpm in
  event) sets=5 accept="" ;;
  *) sets=6 accept="$mpm.c" ;;
esac
echo "250 32000 32 8" > /proc/sys/kernel/sem

# without the module
WITH_GUARD=0 WITH_TEST=0 full_conf stock
WITH_GUARD=0 httpd_start stock || fail "the stock server starts the first time"
check_eq "$sets semaphore sets for $sets mutexes" "$sets" "$(kernel_count sem)"
httpd_kill9_tree stock
check_eq "kill -9 leaks all $sets" "$sets" "$(kernel_count sem)"
if httpd_expect_exit stock; then
  ok "without the module the second start fails"
else
  fail "without the module the second start should fail"
  httpd_kill9_tree stock
fi
check_match "with the incident's error" "\(28\)No space left on device: .*AH000(23|24).*Couldn't create" "$(errlog stock)"
ipcrm -a; rm -f /dev/shm/ShM.*   # this namespace only: a clean slate for the module

# with the module: start, kill -9 the whole tree, start again
WITH_TEST=0 full_conf guarded
max=0 failures=0
for i in $(seq 1 "$CYCLES"); do
  if ! httpd_start guarded; then
    failures=$((failures + 1))
    echo "# cycle $i: start failed"
    break
  fi
  n=$(kernel_count sem)
  [ "$n" -gt "$max" ] && max=$n
  [ "$(http_code guarded /index.html)" = 200 ] || { failures=$((failures + 1)); echo "# cycle $i: no answer"; }
  httpd_kill9_tree guarded
done
check_eq "$CYCLES cycles of start and kill -9 all start and serve" 0 "$failures"
check_eq "the count of sets never grows past one run's $sets" "$sets" "$max"
log=$(errlog guarded)
check_match "each start says what it removed" \
  "ipcguard\(021\): removed $((sets + 3)) stale IPC objects \($sets semaphore sets, 3 /dev/shm files\) left by httpd pid [0-9]+ \(unclean stop after" "$log"
check_eq "one summary per restart after a kill -9" "$((CYCLES - 1))" "$(grep -c "ipcguard(021): removed $((sets + 3)) stale" <<<"$log")"
check_match "the scoreboard and the balancer's slotmem files are removed too" "ipcguard\(017\): removed posix-shm ShM\.[0-9a-f]+H[0-9a-f]+ \(core, pre_mpm\)" "$log"
check_match "each object at info, with its module" "ipcguard\(017\): removed sysv-sem id [0-9]+ key 0x00000000 \(mod_rewrite.c, post_config\)" "$log"
check_nomatch "no refusal, no error" "ipcguard\(0(11|15|16|18|20)\)|\[ipcguard:error\]" "$log"
# the last start's cleanup, as the page shows it
httpd_start guarded || fail "a last start"
json=$(http guarded "/ipc-status?json")
check_eq "?json cleanup: removed_count" "$((sets + 3))" "$(jq .cleanup.removed_count <<<"$json")"
check_eq "?json cleanup: kept_count" 0 "$(jq .cleanup.kept_count <<<"$json")"
check_eq "?json cleanup: removed[] names the modules" \
  "core mod_auth_digest.c mod_cache_socache.c mod_proxy.c mod_proxy_balancer.c mod_proxy_balancer.c mod_proxy_balancer.c mod_rewrite.c${accept:+ $accept}" \
  "$(jq -r '[.cleanup.removed[].module] | sort | join(" ")' <<<"$json")"
check_match "?json cleanup: previous_pid and duration" '^[1-9][0-9]* [0-9]+$' \
  "$(jq -r '"\(.cleanup.previous_pid) \(.cleanup.duration_us)"' <<<"$json")"
httpd_stop guarded
check_eq "a clean stop leaves no set" 0 "$(kernel_count sem)"
check_eq "a clean stop leaves no /dev/shm file" "" "$(ls -A /dev/shm)"
check_eq "a clean stop removes the state file" "" "$(state_files)"
check_nomatch "no crash at the stop" "Segmentation fault|exit signal" "$(errlog guarded; cat "$T/guarded/stdout.log")"
finish
