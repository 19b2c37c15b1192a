# mpms: prefork worker event
# The module loaded by a restart of a server that ran without it (a2enmod,
# then apachectl graceful or apachectl restart; the package's postinst
# reloads a running apache2): no start of the server has cleaned up after this instance's
# earlier runs, so the cleanup runs at that restart. A run killed while it
# had the module, then a start without it, then the module back by a
# graceful restart: the killed run's objects go at that restart, the live
# server's stay, and from then on the server is recorded as a start would
# record it (a kill -9, then a start, cleans up after it). The same for
# IPCGuard Off turned On, and for a restart by SIGHUP.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox

# mod_fcgid's process table: a /dev/shm segment under a fixed name, which
# a start removes (if left over) and makes again
extra="Mutex sysvsem default
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat
LoadModule fcgid_module $MODDIR/mod_fcgid.so
FcgidIPCDir $T/a/run/fcgid
FcgidProcessTableFile $T/a/run/fcgid_shm"
alive_of() {   # alive_of "IDS": how many of the sets IDS exist
  local n=0 id
  for id in $1; do
    awk -v id="$id" 'NR > 1 && $2 == id { f = 1 } END { exit !f }' /proc/sysvipc/sem && n=$((n + 1))
  done
  echo "$n"
}

# run 1, with the module, killed
httpd_conf a <<<"$extra"
httpd_start a || { fail "run 1 starts"; finish; exit 1; }
run1=${PARENT[a]}
dead=$(kernel_ids sem)
check_cmp "run 1 has semaphore sets" "$(wc -w <<<"$dead")" -ge 1
httpd_kill9_tree a

# run 2, without the module: nothing cleans up
WITH_GUARD=0 httpd_conf a <<<"$extra"
httpd_start a || { fail "run 2 starts without the module"; finish; exit 1; }
check_eq "a start without the module leaves run 1's sets" "$(wc -w <<<"$dead")" "$(alive_of "$dead")"

# the module comes with a graceful restart
httpd_conf a <<<"$extra"
status_restart a USR1 || fail "the graceful restart that loads the module ends"
first_scan a
check_eq "/ipc-status answers after that restart" 200 "$(http_code a '/ipc-status?auto')"
check_eq "the restart that loads the module removes run 1's sets" 0 "$(alive_of "$dead")"
check_match "it says the module came by a restart and cleans up now" \
  "ipcguard\\(118\\): loaded by a restart of the running server \\(pid ${PARENT[a]}, configuration generation [0-9]+\\): the startup cleanup runs now" "$(errlog a)"
# run 2 made mod_fcgid's segment afresh under its name: run 1's is gone,
# and not by something outside httpd
check_match "it logs the cleanup's summary, naming run 1 and why its segment is gone" \
  "ipcguard\\(021\\): removed $(wc -w <<<"$dead") stale IPC objects? \\([0-9]+ semaphore sets?\\) left by httpd pid $run1 .*; kept 1 \\(1 of them already gone: removed by this server while it ran without mod_ipcguard, or by something outside httpd\\)" "$(errlog a)"
verdict=$(http a '/ipc-status?json' | jq -r '.verdict.status, (.verdict.findings[] | select(.topic == "kept") | .level + " " + .what)')
check_eq "the page is healthy" healthy "$(head -n 1 <<<"$verdict")"
check_match "and notes why the segment is gone" \
  "^note The startup cleanup after the run of pid $run1, which ended without cleaning up, found 1 of its /dev/shm segments already gone: this server ran without mod_ipcguard until the restart that loaded it\\.$" "$(tail -n +2 <<<"$verdict")"
check_match "the page shows that cleanup" "removed $(wc -w <<<"$dead") stale" \
  "$(http a '/ipc-status?json' | jq -r .cleanup.summary)"
check_exact "after the restart that loads the module (the live server's sets are its own)"
sf=$(state_files | head -n 1)
check_eq "the state file names the running parent" "${PARENT[a]}" \
  "$(awk '$1 == "pid" { print $2 }' "$T/state/$sf" 2>/dev/null)"
if runlock_held "$T/state/${sf%.state}.lock"; then ok "the running server holds the run lock"
else fail "the running server holds the run lock ${sf%.state}.lock"; fi
check_nomatch "no warning or error of the module's" '\[ipcguard:(warn|error|crit|alert|emerg)\]' "$(errlog a)"

# a later restart is an ordinary one
httpd_signal_restart a USR1 || fail "a second graceful restart ends"
check_eq "a later restart does not say 118 again" 1 "$(grep -c 'ipcguard(118)' "$T/a/error.log")"
check_eq "nor clean up again" 1 "$(grep -c 'ipcguard(021)' "$T/a/error.log")"
check_exact "after a second restart"

# the server that got the module at a restart is recorded: a kill -9, then
# a start, cleans up after it
run2=${PARENT[a]}
left=$(kernel_ids sem)
httpd_kill9_tree a
httpd_start a || { fail "a start after run 2's kill -9"; finish; exit 1; }
check_eq "that start removes what run 2 left" 0 "$(alive_of "$left")"
check_match "and names run 2" "ipcguard\\(021\\): removed [0-9]+ stale IPC objects .* left by httpd pid $run2 \\(unclean stop after [^)]*\\); kept 0 " "$(errlog a)"
check_eq "a start does not say 118" 1 "$(grep -c 'ipcguard(118)' "$T/a/error.log")"
check_exact "after that start"

# killed_then_loaded WHAT SIG N118 [OFF]: the running server (which has
# the module) killed, a start without the module (or, with OFF, with
# IPCGuard Off), then the module back by SIG: the killed run's sets go at
# that restart, which is the N118th to say 118 and names the killed run
killed_then_loaded() {
  local what=$1 sig=$2 n=$3 killed=${PARENT[a]} dead
  dead=$(kernel_ids sem)
  httpd_kill9_tree a
  if [ -n "${4:-}" ]; then
    httpd_conf a <<<"$extra
IPCGuard Off"
  else
    WITH_GUARD=0 httpd_conf a <<<"$extra"
  fi
  httpd_start a || { fail "$what: the start before it"; return 1; }
  check_eq "$what: the start before it leaves the killed run's sets" "$(wc -w <<<"$dead")" "$(alive_of "$dead")"
  httpd_conf a <<<"$extra"
  status_restart a "$sig" || fail "$what: the restart ends"
  first_scan a
  check_eq "$what: the restart removes the killed run's sets" 0 "$(alive_of "$dead")"
  check_eq "$what: and says 118" "$n" "$(grep -c 'ipcguard(118)' "$T/a/error.log")"
  check_match "$what: naming the killed run" "ipcguard\\(021\\): removed $(wc -w <<<"$dead") stale IPC objects? .* left by httpd pid $killed " "$(errlog a)"
  check_exact "$what: after the restart"
}

# IPCGuard Off, then On at a graceful restart: the same
killed_then_loaded "IPCGuard Off, then On by a graceful restart" USR1 2 off \
  || { finish; exit 1; }
# apachectl restart (SIGHUP) that loads the module: the same
killed_then_loaded "the module loaded by a restart (SIGHUP)" HUP 3 \
  || { finish; exit 1; }
httpd_signal_restart a HUP || fail "a second restart (SIGHUP) ends"
check_eq "a later restart (SIGHUP) does not say 118 again" 3 "$(grep -c 'ipcguard(118)' "$T/a/error.log")"
check_exact "after a second restart (SIGHUP)"
httpd_stop a
check_eq "a clean stop leaves no set" "" "$(kernel_ids sem)"

# a state directory that does not exist yet (a first install): the
# restart makes it and takes the run lock in it, with no warning
WITH_GUARD=0 httpd_conf a <<<"$extra"
httpd_start a || { fail "run 7 starts without the module"; finish; exit 1; }
STATE_DIR=$T/new/state httpd_conf a <<<"$extra"
status_restart a USR1 || fail "the graceful restart that loads the module ends"
first_scan a
check_eq "it makes the state directory" 700 "$(stat -c %a "$T/new/state" 2>/dev/null)"
sf=$(find "$T/new/state" -name '*.state' | head -n 1)
if [ -n "$sf" ] && runlock_held "${sf%.state}.lock"; then ok "and holds the run lock in it"
else fail "and holds the run lock in it (state file '$sf')"; fi
check_nomatch "with no warning" '\[ipcguard:(warn|error|crit|alert|emerg)\]' "$(errlog a)"
httpd_stop a
finish
