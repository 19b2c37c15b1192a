# The registry: every object the server allocates, attributed to its
# module, exact across graceful restarts, restarts and a stop; runtime
# objects of children with phase runtime and the right class; the state
# file lists what the table lists.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
ROUNDS=${ROUNDS:-20}

EXTRA_CONF="IPCGTestPostConfig shm
IPCGTestPostConfig msg" full_conf a
httpd_start a || { fail "the full configuration starts"; finish; exit 1; }

modules() {
  http a "/ipc-status?json" | jq -r '.objects[] | "\(.kind) \(.module) \(.phase)"' | sort | uniq -c | awk '{ print $1, $2, $3, $4 }'
}

check_eq "the registry equals the kernel's objects at start" "$(kernel_set)" "$(registry_set)"
mods=$(modules)
# the accept mutex is the MPM's (prefork.c, worker.c); event uses none
mpm=${MPM:-prefork}
if [ "$mpm" = event ]; then accept=""; sets=5; else accept="1 sysv-sem $mpm.c open_logs"; sets=6; fi
for expect in ${accept:+"$accept"} "1 sysv-sem mod_rewrite.c post_config" \
    "1 sysv-sem mod_proxy.c post_config" "1 sysv-sem mod_proxy_balancer.c post_config" \
    "1 sysv-sem mod_auth_digest.c post_config" "1 sysv-sem mod_cache_socache.c post_config" \
    "1 posix-shm core pre_mpm" "2 posix-shm mod_proxy_balancer.c post_config" \
    "1 sysv-shm mod_ipcg_test.c post_config" "1 sysv-msg mod_ipcg_test.c post_config"; do
  check_match "attributed: $expect" "^$expect\$" "$mods"
done
check_nomatch "no object attributed to unknown at startup" "unknown" "$mods"
# each registration's debug line names the object: a set by its id, a
# /dev/shm file by its name
shm_names=$(http a "/ipc-status?json" | jq -r '.objects[] | select(.kind == "posix-shm") | .name')
check_cmp "the page lists the /dev/shm files" "$(wc -w <<<"$shm_names")" -ge 3
for nm in $shm_names; do
  check_match "the log names the registered file $nm" "ipcguard\(102\): registered posix-shm ${nm//./\\.} from " "$(errlog a)"
done
check_nomatch "no registration logged without its id or name" "ipcguard\(102\): registered [a-z-]+ -1 " "$(errlog a)"

# the state file lists the same objects as the table
state=$(ls "$T"/state/*.state)
check_eq "one state file, mode 0600, root's" "600 root" "$(stat -c '%a %U' "$state")"
from_state=$(awk '$1 == "obj" { split($2, k, "="); split($3, i, "="); split($NF, n, "="); print k[2], (k[2] ~ /^posix/ ? n[2] : i[2]) }' "$state" | sort)
check_eq "the state file lists the registry's objects" "$(registry_set)" "$from_state"
check_match "the state file records the parent pid" "^pid ${PARENT[a]}\$" "$(cat "$state")"
check_match "and its start time (stat field 22)" "^starttime $(awk '{ print $22 }' "/proc/${PARENT[a]}/stat")\$" "$(cat "$state")"
check_match "and the boot id" "^boot_id $(cat /proc/sys/kernel/random/boot_id)\$" "$(cat "$state")"

# runtime objects made by children
r1=$(http a "/ipcg-test?make=sem&semop=1")
r2=$(http a "/ipcg-test?make=sem&key=777&semop=1")
r3=$(http a "/ipcg-test?make=shm")
id1=$(awk '{ print $2 }' <<<"$r1"); id2=$(awk '{ print $2 }' <<<"$r2"); id3=$(awk '{ print $2 }' <<<"$r3")
wait_scan a
json=$(http a "/ipc-status?json")
check_eq "a child's IPC_PRIVATE set: phase runtime, class instance" "runtime instance" \
  "$(jq -r ".objects[] | select(.kind == \"sysv-sem\" and .id == $id1) | \"\(.phase) \(.class)\"" <<<"$json")"
check_eq "a child's keyed set: class application" "runtime application" \
  "$(jq -r ".objects[] | select(.kind == \"sysv-sem\" and .id == $id2) | \"\(.phase) \(.class)\"" <<<"$json")"
check_eq "a child's segment: phase runtime, class instance" "runtime instance" \
  "$(jq -r ".objects[] | select(.kind == \"sysv-shm\" and .id == $id3) | \"\(.phase) \(.class)\"" <<<"$json")"
check_eq "the maker pid is recorded" "$(awk '{ print $4 }' <<<"$r1")" \
  "$(jq -r ".objects[] | select(.kind == \"sysv-sem\" and .id == $id1) | .owner_pid" <<<"$json")"
check_eq "still exact with runtime objects" "$(kernel_set)" "$(registry_set)"

# restarts: the registry follows the kernel exactly
bad_graceful=0 bad_restart=0
t0=$(date +%s)
for i in $(seq 1 "$ROUNDS"); do
  httpd_signal_restart a USR1 || { fail "graceful restart $i"; break; }
  converged || { bad_graceful=$((bad_graceful + 1)); echo "# after graceful $i: kernel $(kernel_set | tr '\n' ,) registry $(registry_set | tr '\n' ,)"; }
done
check_eq "exact after each of $ROUNDS graceful restarts" 0 "$bad_graceful"
echo "# $ROUNDS graceful restarts took $(( $(date +%s) - t0 )) s"; t0=$(date +%s)
for i in $(seq 1 "$ROUNDS"); do
  httpd_signal_restart a HUP || { fail "restart $i"; break; }
  converged || { bad_restart=$((bad_restart + 1)); echo "# after restart $i: kernel $(kernel_set | tr '\n' ,) registry $(registry_set | tr '\n' ,)"; }
done
check_eq "exact after each of $ROUNDS restarts" 0 "$bad_restart"
echo "# $ROUNDS restarts took $(( $(date +%s) - t0 )) s"
# restarts end the children: their private objects were reaped as they
# exited, the application's keyed set was kept
check_eq "the server's $sets sets and the application's keyed set" $((sets + 1)) "$(kernel_count sem)"
check_eq "the children's private set and segment were reaped" "" \
  "$(kernel_set | grep -E "^sysv-sem $id1\$|^sysv-shm $id3\$")"
check_match "the log says which child's objects were removed" "ipcguard\(041\): removed sysv-sem id $id1 .* left by child pid" "$(errlog a)"
mods=$(modules)
check_match "attribution survives restarts" "^1 sysv-sem mod_rewrite.c post_config$" "$mods"

# a clean stop: httpd's own objects go with it, the children's private
# objects are reaped as they exit; the application's keyed set stays, and
# so does no state file
httpd_stop a
check_eq "after a clean stop only the application's keyed set is left" "sysv-sem $id2" "$(kernel_set)"
check_eq "a clean stop removes the state file" "" "$(state_files)"
check_match "and keeps the application record, which names the keyed set" \
  "^obj kind=sysv-sem id=$id2 " "$(cat "$T"/state/*.apps 2>/dev/null)"
finish
