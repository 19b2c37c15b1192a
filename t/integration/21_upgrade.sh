# A package upgrade replaces mod_ipcguard.so under a running server and
# restarts it gracefully: httpd loads the new release into the same parent,
# where the old release's carried state waits. A release with another
# layout of that state (build/alt: the same code built as a later release)
# must rebuild it from the state file, keep the registry exact, and leave
# a state file that the next start after a kill -9 cleans up after.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox

ALT=$REPO/build/alt/.libs/mod_ipcguard.so
[ -f "$ALT" ] || { fail "the other release's build $ALT exists (make testmodule)"; finish; exit 1; }
mkdir -p "$T/lib"
THIS=$GUARD_SO
cp "$THIS" "$T/lib/mod_ipcguard.so"
GUARD_SO=$T/lib/mod_ipcguard.so
# what dpkg does: the new file renamed over the old one
install_release() { cp "$1" "$T/lib/new.so" && mv -f "$T/lib/new.so" "$GUARD_SO"; }

httpd_conf a <<CONF
Mutex sysvsem default
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat
ScoreBoardFile $T/a/run/scoreboard
CONF

httpd_start a || { fail "the server starts"; finish; exit 1; }
# an application's keyed segment made by a child at runtime: known only to
# the registry and the state file (a child's private set would go with the
# child at the graceful restart)
made=$(http a "/ipcg-test?make=shm&key=4242" | awk '{ print $2 }')
wait_scan a
check_exact "before the upgrade"
parent=${PARENT[a]}
n0=$(kernel_set | wc -l)
# the page's class and phase of the application's segment
app_segment() {
  http a '/ipc-status?json' | jq -r --argjson id "$made" \
    '.objects[] | select(.kind == "sysv-shm" and .id == $id) | "\(.class) \(.phase)"'
}
replaced=0

for rel in "$ALT" "$THIS"; do
  what=$([ "$rel" = "$ALT" ] && echo "the later release" || echo "this release again")
  before=$(grep -c 'ipcguard(110)' "$T/a/error.log")
  install_release "$rel"
  httpd_signal_restart a USR1 || fail "$what: the graceful restart ends"
  check_eq "$what: the same parent serves" "$parent" "$(http a '/ipc-status?json' | jq .instance.pid)"
  log=$(errlog a)
  check_eq "$what: one line says the carried state was rebuilt" "$((before + 1))" "$(grep -c 'ipcguard(110)' <<<"$log")"
  check_match "$what: it names both layouts and the state file" \
    'ipcguard\(110\): .*layout [0-9]+, shape [0-9]+; this release.s is [0-9]+, shape [0-9]+\): [0-9]+ objects? taken back from /' "$log"
  check_exact "$what"
  check_eq "$what: the application's segment is still known" "application runtime" \
    "$(app_segment)"
  check_nomatch "$what: no error of the module's" '\[ipcguard:(error|crit|alert|emerg)\]' "$log"
  check_eq "$what: one notice says the file was replaced" "$((replaced + 1))" "$(grep -c 'ipcguard(115)' <<<"$log")"
  replaced=$((replaced + 1))
  check_match "$what: it is the module's notice, and names the file" \
    '\[ipcguard:notice\] .*ipcguard\(115\): /.*/mod_ipcguard\.so was replaced' "$log"
  check_eq "$what: the parent maps no replaced release" 0 \
    "$(grep -c 'mod_ipcguard.so (deleted)' "/proc/$parent/maps")"
done

# the module stays mapped from one generation to the next: a graceful
# restart without a new file says nothing of one, and a generation that
# does not load the module, then one that loads it again, find it as a
# fresh load would
httpd_signal_restart a USR1 || fail "a graceful restart without a new file ends"
check_eq "a graceful restart without a new file says nothing of one" "$replaced" \
  "$(grep -c 'ipcguard(115)' "$T/a/error.log")"
cp "$T/a/httpd.conf" "$T/a/with.conf"
sed -i -e 's/^LoadModule ipcguard_module/#&/' -e 's/^IPCGuard/#&/' \
  -e 's/^LogLevel info ipcguard:debug$/LogLevel info/' "$T/a/httpd.conf"
# without the module, the generation from mod_status
gen=$(status_gen a)
kill -USR1 "$parent"
for _ in $(seq 1 150); do
  sleep 0.1
  now=$(status_gen a)
  [ -n "$now" ] && [ "$now" != "$gen" ] && break
done
check_cmp "a graceful restart without the module ends" "${now:-0}" -gt "${gen:-0}"
check_eq "without the module, /ipc-status has no handler" 404 "$(http_code a '/ipc-status?auto')"
cp "$T/a/with.conf" "$T/a/httpd.conf"
httpd_signal_restart a USR1 || fail "a graceful restart with the module again ends"
wait_scan a
check_eq "with the module again, the same parent serves the page" "$parent" \
  "$(http a '/ipc-status?json' | jq .instance.pid)"
check_exact "with the module again"
check_eq "the application's segment is still known" "application runtime" \
  "$(app_segment)"
check_nomatch "no error of the module's" '\[ipcguard:(error|crit|alert|emerg)\]' "$(errlog a)"

# the state file the upgraded server left is true: a kill -9, then a start
# removes what the dead run had and keeps the application's segment
httpd_kill9_tree a
check_eq "kill -9 leaves the run's objects" "$n0" "$(kernel_set | wc -l)"
httpd_start a || fail "the server starts after the kill -9"
check_match "the start cleans up after the upgraded run" \
  "ipcguard\\(021\\): removed [0-9]+ stale IPC object" "$(errlog a)"
check_eq "the application's segment is kept" 1 "$(awk -v id="$made" 'NR > 1 && $2 == id' /proc/sysvipc/shm | wc -l)"
check_exact "after the cleanup"
check_nomatch "nothing was taken for an outside removal" 'outside' "$(errlog a | grep ipcguard)"
httpd_stop a
finish
