# mpms: prefork worker event
# Attribution while another program (another uid) makes and removes
# semaphore sets without pause, so that the kernel frees indexes and gives
# them out again between two hook entries: every module is still named
# right, at the start and after restarts, and none of the other program's
# sets is ever registered as this server's.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
MKOBJ=$REPO/build/ipcg_mkobj
OTHER=4242
RESTARTS=${RESTARTS:-4}

# the other program: 40 sets, one replaced every few tens of microseconds,
# 30 s or 3,000,000 replacements at most
setpriv --reuid=$OTHER --regid=$OTHER --clear-groups \
  "$MKOBJ" churn 40 3000000 30 > "$T/churn.ids" &
churner=$!
# a replacement removes a set before it makes the next: a count can catch
# 39 in between, so look until it sees all 40 (5 s at most)
have=0
for i in $(seq 1 50); do have=$(kernel_count sem); [ "$have" -ge 40 ] && break; sleep 0.1; done
check_cmp "the other program's sets exist before httpd starts" "$have" -ge 40

EXTRA_CONF="IPCGTestPostConfig shm
IPCGTestPostConfig msg" full_conf a

modules() {
  http a "/ipc-status?json" | jq -r '.objects[] | select(.class != "foreign") | "\(.kind) \(.module) \(.phase)"' | sort | uniq -c | awk '{ print $1, $2, $3, $4 }'
}
# the accept mutex is the MPM's (prefork.c, worker.c); event uses none
mpm=${MPM:-prefork}
if [ "$mpm" = event ]; then accept=""; sets=5; else accept="1 sysv-sem $mpm.c open_logs"; sets=6; fi
expect_modules() {   # $1: when
  local mods expect
  mods=$(modules)
  for expect in ${accept:+"$accept"} "1 sysv-sem mod_rewrite.c post_config" \
      "1 sysv-sem mod_proxy.c post_config" "1 sysv-sem mod_proxy_balancer.c post_config" \
      "1 sysv-sem mod_auth_digest.c post_config" "1 sysv-sem mod_cache_socache.c post_config" \
      "1 posix-shm core pre_mpm" "2 posix-shm mod_proxy_balancer.c post_config" \
      "1 sysv-shm mod_ipcg_test.c post_config" "1 sysv-msg mod_ipcg_test.c post_config"; do
    check_match "$1: attributed: $expect" "^$expect\$" "$mods"
  done
  check_nomatch "$1: nothing attributed to unknown" "unknown" "$mods"
  check_eq "$1: $sets sets of this server, no more" "$sets" \
    "$(http a "/ipc-status?json" | jq '[.objects[] | select(.class != "foreign" and .kind == "sysv-sem")] | length')"
}

httpd_start a || { fail "the full configuration starts while another program churns"; kill "$churner"; finish; exit 1; }
check_eq "the other program is still churning after the start" 0 "$(kill -0 "$churner" 2>/dev/null; echo $?)"
expect_modules "at start"
for i in $(seq 1 "$RESTARTS"); do
  if [ $((i % 2)) = 1 ]; then sig=USR1; else sig=HUP; fi
  httpd_signal_restart a $sig || { fail "restart $i (SIG$sig)"; break; }
  expect_modules "after restart $i (SIG$sig)"
done
check_eq "the other program churned through the restarts" 0 "$(kill -0 "$churner" 2>/dev/null; echo $?)"

# let the other program finish (its 30 s at most)
wait "$churner"
ops=$(awk '$1 == "ops" { print $2 }' "$T/churn.ids")
grep -v '^ops' "$T/churn.ids" | sort > "$T/churn.sorted"
echo "# the other program replaced $ops sets, $(wc -l < "$T/churn.sorted") made in all"
check_cmp "the other program made thousands of sets" "$(wc -l < "$T/churn.sorted")" -ge 2000

# every set this server registered, from the log (the start's first
# configuration pass logs before the error log is open: not counted)
errlog a | sed -n 's/.*ipcguard(102): registered sysv-sem id \([0-9]*\) from.*/\1/p' | sort > "$T/ours.sorted"
check_cmp "the log names the sets registered at each start" "$(wc -l < "$T/ours.sorted")" -ge $((sets * (RESTARTS + 1)))
check_eq "none of the other program's sets was ever registered" "" \
  "$(comm -12 "$T/churn.sorted" "$T/ours.sorted" | head -5 | tr '\n' ' ')"
# the churn straddled every start: ids grow with the order sets are made
check_cmp "the other program made sets before the first of this server's" \
  "$(sort -n "$T/churn.sorted" | head -1)" -lt "$(sort -n "$T/ours.sorted" | head -1)"
check_cmp "and after the last" "$(sort -n "$T/churn.sorted" | tail -1)" -gt "$(sort -n "$T/ours.sorted" | tail -1)"
# indexes were freed and taken again: some of this server's sets sit at
# an index (id mod 32768) that a set of the other program had before
reused=$(awk 'NR == FNR { seen[$1 % 32768] = 1; next } ($1 % 32768) in seen' \
  "$T/churn.sorted" "$T/ours.sorted" | wc -l)
echo "# $reused of this server's sets took an index the other program's had used"
check_cmp "this server's sets reused indexes the other program freed" "$reused" -ge 1

# the registry now equals the kernel's objects, less the other program's
kernel_ours() {
  { awk -v o=$OTHER 'NR > 1 && $7 != o { print "sysv-sem", $2 }' /proc/sysvipc/sem
    awk 'NR > 1 { print "sysv-shm", $2 }' /proc/sysvipc/shm
    awk 'NR > 1 { print "sysv-msg", $2 }' /proc/sysvipc/msg
    for f in /dev/shm/*; do [ -f "$f" ] && echo "posix-shm ${f#/dev/shm/}"; done
  } | sort
}
registry_set() {
  http a "/ipc-status?json" | jq -r '.objects[] | select(.class != "foreign") | "\(.kind) \(.id // .name)"' | sort
}
check_eq "the registry holds this server's objects and no other" "$(kernel_ours)" "$(registry_set)"
httpd_stop a
finish
