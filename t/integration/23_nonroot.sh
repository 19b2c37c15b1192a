# mpms: prefork worker event
# Container restarts, as an ordinary user and as root: each start is httpd
# as pid 1 of a fresh PID namespace, each stop a SIGKILL of that pid 1; the
# IPC namespace (kernel.sem "250 32000 32 14"), /dev/shm and the files
# outlive them, as a pod's do. The incident's configuration (Mutex sysvsem
# default, a prg: RewriteMap, ...) with the documented container example,
# docs/examples/container/ipcguard-container.conf. Without the module the
# third start fails (No space left on device); with it every start serves.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
RESTARTS=${RESTARTS:-10}
USER_ID=1500                # no passwd entry needed, as under OpenShift
EXAMPLE=$REPO/docs/examples/container/ipcguard-container.conf
mpm=${MPM:-prefork}
case $mpm in
  event) sets=5 ;;          # no accept mutex
  *) sets=6 ;;
esac
echo "250 32000 32 14" > /proc/sys/kernel/sem

# ---- without the module, as the user: the third start fails -------------
RUN_AS=$USER_ID WITH_GUARD=0 WITH_TEST=0 full_conf stock
for i in 1 2; do
  RUN_AS=$USER_ID ns_start stock || fail "the stock server's start $i serves"
  ns_kill9 stock
done
check_eq "two killed runs of the stock server leave 2 x $sets sets" \
  "$((2 * sets))" "$(kernel_count sem)"
check_eq "they are the user's" "$((2 * sets))" \
  "$(awk -v u=$USER_ID 'NR > 1 && $5 == u' /proc/sysvipc/sem | wc -l)"
if RUN_AS=$USER_ID ns_expect_exit stock; then
  ok "without the module the third start fails"
else
  fail "without the module the third start should fail"
  ns_kill9 stock
fi
check_match "with the incident's error" \
  "\(28\)No space left on device: .*AH000(23|24).*Couldn't create" "$(errlog stock)"
ipcrm -a; rm -rf /dev/shm/*      # this namespace only: a clean slate

# restarts NAME: $RESTARTS container starts, each killed with SIGKILL;
# sets the counts checked below
restarts() {
  local name=$1 i n uid
  max=0 failures=0 not_pid1=0 wrong_user=0
  for i in $(seq 1 "$RESTARTS"); do
    if ! ns_start "$name"; then
      failures=$((failures + 1))
      echo "# start $i failed"
      break
    fi
    n=$(kernel_count sem)
    [ "$n" -gt "$max" ] && max=$n
    [ "$(http_code "$name" /index.html)" = 200 ] || { failures=$((failures + 1)); echo "# start $i: no answer"; }
    # httpd is pid 1 of its namespace, and so recorded
    grep -qx 'pid 1' /dev/shm/ipcguard/*.state || not_pid1=$((not_pid1 + 1))
    uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/${NSINIT[$name]}/status")
    [ "$uid" = "${RUN_AS:-0}" ] || wrong_user=$((wrong_user + 1))
    ns_kill9 "$name"
  done
}

# ---- with the module, as the user ----------------------------------------
RUN_AS=$USER_ID STATE_DIR=default WITH_TEST=0 EXTRA_CONF="Include $EXAMPLE" \
  full_conf box
RUN_AS=$USER_ID restarts box
check_eq "as uid $USER_ID: $RESTARTS container starts, each killed, all serve" 0 "$failures"
check_eq "as uid $USER_ID: the sets never exceed one server's $sets" "$sets" "$max"
check_eq "as uid $USER_ID: httpd ran as that user" 0 "$wrong_user"
check_eq "as uid $USER_ID: the state file records pid 1 every time" 0 "$not_pid1"
log=$(errlog box)
check_match "the log says it was not started as root" \
  "ipcguard\(104\): not started as root: runs as uid $USER_ID, gid $USER_ID .*state in /dev/shm/ipcguard" "$log"
check_nomatch "no refusal to run as a user" "no state file, no cleanup" "$log"
check_eq "each restart after a kill removes the dead pid 1's sets" "$((RESTARTS - 1))" \
  "$(grep -c "ipcguard(021): removed [0-9]* stale IPC objects ($sets semaphore sets.*left by httpd pid 1 " <<<"$log")"
check_nomatch "the dead pid 1 is never taken for the new one" "ipcguard\(014\)|still running" "$log"
check_nomatch "no refusal, no error" "ipcguard\(0(11|13|15|16|18|20)\)|ipcguard\(105\)|\[ipcguard:error\]" "$log"
check_eq "the state directory is the user's, 0700" "$USER_ID 700 directory" \
  "$(stat -c '%u %a %F' /dev/shm/ipcguard)"
check_eq "the state file is the user's, 0600" "$USER_ID 600" \
  "$(stat -c '%u %a' /dev/shm/ipcguard/*.state)"

RUN_AS=$USER_ID ns_start box || fail "a last start as the user"
json=$(http box "/ipc-status?json")
check_eq "?json instance: privilege user, run as uid $USER_ID" "user $USER_ID $USER_ID" \
  "$(jq -r '"\(.instance.privilege) \(.instance.run_uid) \(.instance.run_gid)"' <<<"$json")"
check_eq "?json cleanup: the dead run was pid 1, nothing kept" "1 0" \
  "$(jq -r '"\(.cleanup.previous_pid) \(.cleanup.kept_count)"' <<<"$json")"
check_cmp "?json cleanup: it removed the sets" "$(jq '[.cleanup.removed[] | select(.kind == "sysv-sem")] | length' <<<"$json")" -eq "$sets"
check_match "?auto says Privilege: user" "^Privilege: user$" "$(http box '/ipc-status?auto')"
check_match "the page says so" "Privilege: user" "$(http box /ipc-status)"
check_eq "every set is the user's" "$sets" \
  "$(awk -v u=$USER_ID 'NR > 1 && $5 == u && $7 == u' /proc/sysvipc/sem | wc -l)"
ns_stop box || fail "a clean stop as the user"
check_eq "a clean stop leaves no set" 0 "$(kernel_count sem)"
check_eq "and no state file" "" "$(ls /dev/shm/ipcguard | grep '\.state$')"

# ---- the same as root ----------------------------------------------------
rm -rf /dev/shm/*
STATE_DIR=default WITH_TEST=0 EXTRA_CONF="Include $EXAMPLE" full_conf rootbox
restarts rootbox
check_eq "as root: $RESTARTS container starts, each killed, all serve" 0 "$failures"
check_eq "as root: the sets never exceed one server's $sets" "$sets" "$max"
check_eq "as root: the state file records pid 1 every time" 0 "$not_pid1"
log=$(errlog rootbox)
check_eq "as root: each restart removes the dead pid 1's sets" "$((RESTARTS - 1))" \
  "$(grep -c "ipcguard(021): removed [0-9]* stale IPC objects ($sets semaphore sets.*left by httpd pid 1 " <<<"$log")"
check_match "as root: the log says so" "ipcguard\(104\): started as root" "$log"
check_nomatch "as root: no refusal, no error" "ipcguard\(0(11|13|14|15|16|18|20)\)|ipcguard\(105\)|\[ipcguard:error\]" "$log"
ns_start rootbox || fail "a last start as root"
check_eq "?json instance.privilege: root" "root" \
  "$(jq -r .instance.privilege <<<"$(http rootbox "/ipc-status?json")")"
ns_stop rootbox || fail "a clean stop as root"
check_eq "a clean stop leaves no set" 0 "$(kernel_count sem)"
finish
