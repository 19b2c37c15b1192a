# mpms: prefork event
# The generation's first full scan runs once the server serves: a start
# and a graceful restart among 10,000 sets of another program answer
# before it, and /ipc-status waits for it rather than show a table with
# nothing in it.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
# room for 32,000 sets, in this namespace only
sysctl -q -w kernel.sem="250 64000 32 32000"
WITH_TEST=0 full_conf a
# another program's sets (uid 4242; its state file is no server's)
"$REPO/build/mkstale" 10000 "$T/foreign.state" 4242 4242 >/dev/null
check_eq "the other program's 10,000 sets" 10000 "$(kernel_count sem)"

# started by hand: the first request after the server answers goes
# straight to /ipc-status (httpd_start would wait for the scan first)
setsid "$APACHE2" -f "$T/a/httpd.conf" -D FOREGROUND >>"$T/a/stdout.log" 2>&1 &
PARENT[a]=$!
for _ in $(seq 1 150); do
  [ "$(http_code a /index.html)" = 200 ] && break
  sleep 0.1
done
auto=$(http a "/ipc-status?auto")
check_match "the first request to /ipc-status after the start gets the first full scan" \
  "^ScansTotal: [1-9]" "$auto"
check_match "with the other program's sets in it" "^ForeignObjects: 100[0-9][0-9]$" "$auto"
check_match "and this server's" "^InstanceObjects: [1-9]" "$auto"
log=$(errlog a)
check_match "the generation's first full scan ran once a child had started" \
  "full scan \(the generation's first, child [0-9]+ started\)" "$log"

before=$(grep -c "the generation's first, child" <<<"$(errlog a)")
httpd_signal_restart a USR1 || fail "graceful restart"
auto=$(http a "/ipc-status?auto")
check_match "after a graceful restart the page has the new generation's first full scan" \
  "^ForeignObjects: 100[0-9][0-9]$" "$auto"
check_cmp "which ran once a child of the new generation had started" \
  "$(grep -c "the generation's first, child" <<<"$(errlog a)")" -gt "$before"

# httpd's monitor hook runs at one in ten of the MPM's waits; prefork and
# event make a graceful restart's children as the old ones exit, with
# such a wait between the two: a monitor's pass there leaves the
# generation's first full scan to the first child rather than hold up
# its fork
for i in $(seq 1 30); do
  httpd_signal_restart a USR1 || { fail "graceful restart $i"; break; }
done
log=$(errlog a)
check_eq "each generation's first full scan (the start's and 31 graceful restarts') ran at a child's start, none at a monitor's pass before it" \
  "$(grep -c "full scan (the generation's first" <<<"$log")" \
  "$(grep -c "full scan (the generation's first, child" <<<"$log")"
check_cmp "and every one of the 32 generations had one" \
  "$(grep -c "the generation's first, child" <<<"$log")" -ge 32
check_nomatch "no request gave up waiting for a first scan" "ipcguard\(403\)" "$(errlog a)"
check_nomatch "nothing was removed" "ipcguard:(warn|error)" "$(errlog a)"
httpd_stop a
check_eq "the other program's sets are all still there" 10000 "$(kernel_count sem)"
finish
