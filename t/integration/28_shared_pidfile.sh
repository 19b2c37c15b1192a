# mpms: prefork worker event
# Two servers with the same PidFile, each pid 1 of its own PID namespace,
# sharing one IPC namespace and one state directory (the pod's /dev/shm,
# as docs/containers.md recommends): two httpd containers of one pod, or
# containers run with the host's IPC namespace and a shared state
# directory. Neither can see the other's pids. The second to start must
# take the first for alive (it holds the run lock), remove nothing of its
# objects and keep no state; ipcguardctl from outside removes nothing
# either; once both are killed, the next start removes exactly what the
# first recorded.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
EXAMPLE=$REPO/docs/examples/container/ipcguard-container.conf
SD=/dev/shm/ipcguard

for n in a b; do
  STATE_DIR=default WITH_TEST=0 EXTRA_CONF="Include $EXAMPLE" full_conf "$n"
done
pidfile=$T/a/run/httpd.pid
sed -i "s|^PidFile .*|PidFile $pidfile|" "$T/b/httpd.conf"

# sorted "kind id-or-name" lines of $1 missing from $2
missing() { comm -23 <(echo "$1") <(echo "$2"); }

ns_start a || { fail "a starts"; finish; exit 1; }
state=$(ls "$SD"/*.state)
lock=${state%.state}.lock
check_eq "a records its state in the shared directory" 1 "$(echo "$state" | wc -l)"
if runlock_held "$lock"; then ok "a holds the run lock $lock"; else fail "a holds the run lock $lock"; fi
check_eq "the run lock is a private, empty file" "0 600" "$(stat -c '%s %a' "$lock")"
a_set=$(kernel_set)
a_sum=$(md5sum < "$state")
check_match "a has semaphore sets" "sysv-sem" "$a_set"

# ---- the second server with the same PidFile, in its own PID namespace --
ns_start b || fail "b starts"
now=$(kernel_set)
check_eq "b removed none of a's objects" "" "$(missing "$a_set" "$now")"
check_eq "a's state file is unchanged" "$a_sum" "$(md5sum < "$state")"
check_match "b's startup cleanup takes a's run for alive, by the run lock" \
  "ipcguard\(014\): the run of httpd pid 1 holds its run lock: it lives where this process cannot see its pids .*: nothing to clean up" \
  "$(errlog b)"
check_match "b names the clash, the lock and the PidFile" \
  "ipcguard\(107\): state file $state belongs to a live httpd in another PID namespace \(it holds the run lock $lock\); .* share PidFile $pidfile: this one keeps no state" \
  "$(errlog b)"
check_nomatch "b removes nothing" "ipcguard\(0(21|22)\).*removed [1-9]" "$(errlog b)"
check_eq "a still serves" 200 "$(http_code a /index.html)"
check_eq "b serves" 200 "$(http_code b /index.html)"
b_only=$(missing "$now" "$a_set")
check_match "b made objects of its own" "sysv-sem" "$b_only"
clashes() { errlog b | grep -c 'ipcguard(107): .* in another PID namespace'; }
check_eq "b's start names the clash once (its two configuration passes)" 1 "$(clashes)"
# every restart asks again, and finds a alive again
for i in 1 2; do
  httpd_signal_restart b USR1 || fail "b's graceful restart $i ends"
done
check_eq "b's restarts each name the clash again" 3 "$(clashes)"
check_eq "after b's restarts, a's state file is unchanged" "$a_sum" "$(md5sum < "$state")"
check_eq "and none of a's objects is gone" "" "$(missing "$a_set" "$(kernel_set)")"
b_only=$(missing "$(kernel_set)" "$a_set")

# ---- ipcguardctl from outside both PID namespaces -----------------------
out=$("$CTL" clean --state-dir "$SD" --pidfile "$pidfile" 2>&1)
rc=$?
check_eq "ipcguardctl clean refuses a live run (exit 3)" 3 "$rc"
check_match "ipcguardctl says why" "holds its run lock.*nothing to clean up" "$out"
check_eq "ipcguardctl clean removed none of a's objects" "" "$(missing "$a_set" "$(kernel_set)")"

# ---- b killed: a keeps everything; then a killed: the lock goes ---------
ns_kill9 b
check_eq "after b's kill, a's objects are all there" "" "$(missing "$a_set" "$(kernel_set)")"
check_eq "and a still serves" 200 "$(http_code a /index.html)"
if runlock_held "$lock"; then ok "a still holds the run lock"; else fail "a still holds the run lock"; fi
ns_kill9 a
if runlock_held "$lock"; then fail "the kernel released the run lock with a's last process"; else ok "the kernel released the run lock with a's last process"; fi

# ---- the next start cleans up after a's run, and only after it ----------
before=$(kernel_set)
ns_start a || fail "a starts again"
check_match "the next start removes a's recorded objects" \
  "ipcguard\(021\): .*removed [1-9][0-9]* " "$(errlog a | tail -n 40)"
gone=$(missing "$before" "$(kernel_set)")
check_eq "what it removed was a's, none of b's" "" "$(comm -12 <(echo "$gone") <(echo "$b_only"))"
check_eq "none of a's SysV sets is left" "" "$(missing "$(grep ^sysv <<<"$a_set")" "$(grep ^sysv <<<"$gone")")"
if runlock_held "$lock"; then ok "the new run holds the run lock"; else fail "the new run holds the run lock"; fi
ns_stop a

# ---- a killed while b runs: b's next restart keeps a's record ----------
# (b's objects from its killed run above stay: it kept no state)
base=$(kernel_set)
ns_start a || fail "a starts once more"
a_set=$(missing "$(kernel_set)" "$base")
a_sum=$(md5sum < "$state")
ns_start b || fail "b starts once more"
ns_kill9 a
httpd_signal_restart b USR1 || fail "b's graceful restart after a's kill ends"
check_match "b says a's run has ended and its record stays" \
  "ipcguard\(117\): state file $state records httpd pid 1, the other server of PidFile $pidfile, which no longer runs: its record stays .* this server still keeps no state" \
  "$(errlog b)"
check_eq "a's state file is unchanged after b's restart" "$a_sum" "$(md5sum < "$state")"
ns_stop b
check_eq "b's clean stop leaves a's state file" "$a_sum" "$(md5sum < "$state" 2>/dev/null)"
before=$(kernel_set)
ns_start a || fail "a starts after b's stop"
check_match "that start removes what the killed run recorded" \
  "ipcguard\(021\): .*removed [1-9][0-9]* " "$(errlog a | tail -n 40)"
check_eq "none of a's killed run's SysV sets is left" "" \
  "$(comm -12 <(grep ^sysv <<<"$a_set") <(kernel_set))"
ns_stop a

# ---- two instances (their own PidFiles) in orphans mode -----------------
# the orphan pass removes objects of the run User that no live instance
# records and whose makers are provably dead: the other server's makers
# cannot be seen from here, and none of its objects may go
ipcrm -a; rm -rf /dev/shm/*
for n in c d; do
  STATE_DIR=default WITH_TEST=0 EXTRA_CONF="Include $EXAMPLE
IPCGuardCleanup orphans" full_conf "$n"
done
ns_start c || fail "c starts"
c_set=$(kernel_set)
ns_start d || fail "d starts"
check_eq "d's orphan pass removed none of c's objects" "" "$(missing "$c_set" "$(kernel_set)")"
check_match "d's orphan pass ran, and removed nothing" \
  "ipcguard\(032\): [0-9]+ orphan candidates? of earlier runs owned by uid 33: 0 provably dead, 0 removed" "$(errlog d)"
check_eq "c still serves" 200 "$(http_code c /index.html)"
ns_stop d
ns_stop c
finish
