# Outside removals: an ipcrm of a live server's set is named in one err
# line and kept as an event within one monitor interval; restarts raise
# no false alarm; after every set of a prefork server is removed and
# httpd exits (AH00050), the next start's summary says why.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox

# --- the rewrite-map set, under a live server ------------------------------
WITH_TEST=0 full_conf a
httpd_start a || fail "a starts"
httpd_signal_restart a USR1 || fail "a graceful restart"
httpd_signal_restart a HUP || fail "a restart"
wait_scan a || fail "a scan after the restarts"
check_nomatch "restarts are not outside removals" "ipcguard\(301\)" "$(errlog a)"
json=$(http a "/ipc-status?json")
check_eq "no event yet" 0 "$(jq '.events | length' <<<"$json")"
pid=$(jq .instance.pid <<<"$json")
mapset=$(jq -r '[.objects[] | select(.kind == "sysv-sem" and .module == "mod_rewrite.c")][0].id' <<<"$json")
check_match "the rewrite map's set is registered" '^[0-9]+$' "$mapset"

ipcrm -s "$mapset"
t0=$(date +%s)
seen=""
for i in $(seq 1 60); do
  if grep -q 'ipcguard(301)' "$T/a/error.log"; then seen=$(date +%s); break; fi
  sleep 0.25
done
check_cmp "the err line comes within one monitor interval (10 s)" "${seen:-999}" -le $((t0 + 11))
log=$(errlog a)
check_match "one err line names the object, the server and the usual causes" \
  "\[ipcguard:error\] .*ipcguard\(301\): sysv-sem id $mapset key 0x00000000 \(mod_rewrite.c, post_config\) of this server \(pid $pid\) was removed by something outside httpd while the server ran: last seen [0-9-]+ [0-9:]+, found gone [0-9-]+ [0-9:]+; httpd did not remove it\. The usual causes: an ipcrm loop in cron, ExecStartPre=/ExecStopPost= commands, systemd's RemoveIPC=yes, a logind logout of the server's User\\. What used it fails" \
  "$log"
check_eq "exactly one err line" 1 "$(grep -c 'ipcguard(301)' <<<"$log")"
json=$(http a "/ipc-status?json")
check_eq "?json events[] holds the removal" \
  "outside_removal sysv-sem $mapset mod_rewrite.c post_config $pid" \
  "$(jq -r '.events[0] | "\(.type) \(.kind) \(.id) \(.module) \(.phase) \(.server_pid)"' <<<"$json")"
check_cmp "the event's last sighting is before it was found gone" \
  "$(jq '.events[0].last_seen' <<<"$json")" -le "$(jq '.events[0].found' <<<"$json")"
check_eq "?json counters: outside_removals_total" 1 "$(jq .counters.outside_removals_total <<<"$json")"
check_match "?metrics: the _total counter" '^ipcguard_outside_removals_total 1$' \
  "$(http a "/ipc-status?metrics")"
check_match "?auto: OutsideRemovalsTotal" '^OutsideRemovalsTotal: 1$' "$(http a "/ipc-status?auto")"
ctl=$("$CTL" status --json --state-dir "$T/state" --pidfile "$T/a/run/httpd.pid")
check_eq "ipcguardctl status reads the event from the history file" \
  "sysv-sem $mapset mod_rewrite.c 1" \
  "$(jq -r '"\(.events[0].kind) \(.events[0].id) \(.events[0].module) \(.counters.outside_removals_total)"' <<<"$ctl")"
html=$(http a "/ipc-status")
check_match "the HTML page lists it" "<h2>Removed from outside httpd</h2>" "$html"
check_match "the HTML row names the set and its module" "<td>sysv-sem</td><td>$mapset</td><td>mod_rewrite.c</td>" "$html"
httpd_stop a
check_eq "the stop raises no other alarm" 1 "$(errlog a | grep -c 'ipcguard(301)')"
check_nomatch "no crash" "Segmentation fault|exit signal" "$(errlog a)"

# --- every set of a prefork server: httpd exits, the next start says why --
ipcrm -a; rm -f /dev/shm/*
WITH_TEST=0 full_conf b
httpd_start b || fail "b starts"
bpid=${PARENT[b]}
nsets=$(kernel_count sem)
for id in $(kernel_ids sem); do ipcrm -s "$id"; done
# a request wakes any child that is not already waiting on the mutex
http_code b /index.html >/dev/null 2>&1
if wait_gone "$bpid"; then ok "httpd exits once its sets are gone"; else fail "httpd should exit"; fi
wait "$bpid" 2>/dev/null
PARENT[b]=""
log=$(errlog b)
check_match "the child's error (the incident's symptom)" "AH00144: couldn't grab the accept mutex" "$log"
check_match "and the parent's" "AH00050: Child [0-9]+ returned a Fatal error" "$log"
check_eq "each of the $nsets sets is named once" "$nsets" "$(grep -c 'ipcguard(301): sysv-sem' <<<"$log")"
check_match "the accept mutex among them" "ipcguard\(301\): sysv-sem id [0-9]+ key 0x00000000 \(prefork.c, open_logs\)" "$log"
httpd_start b || fail "b starts again"
log=$(errlog b)
check_match "the next start's summary names the outside removal" \
  "\[ipcguard:notice\] .*ipcguard\(022\): the last run \(httpd pid $bpid\) lost $nsets IPC objects to a removal from outside httpd while it ran \(sysv-sem id [0-9]+ \(.*\), .*\), first at [0-9-]+ [0-9:]+; it exited at [0-9-]+ [0-9:]+\. Look for what removes IPC objects" \
  "$log"
json=$(http b "/ipc-status?json")
check_match "?json cleanup.summary says it too" "the last run \(pid $bpid\) lost $nsets objects to a removal from outside httpd" \
  "$(jq -r .cleanup.summary <<<"$json")"
check_eq "?json events[] keeps the dead run's removals" "$nsets" \
  "$(jq --argjson p "$bpid" '[.events[] | select(.server_pid == $p)] | length' <<<"$json")"
check_eq "the new run has seen none itself" 0 "$(jq .counters.outside_removals_total <<<"$json")"
httpd_stop b
httpd_start b || fail "b starts a third time"
check_eq "a later start does not repeat it" 1 "$(errlog b | grep -c 'ipcguard(022)')"
httpd_stop b
check_eq "a clean stop leaves no set" 0 "$(kernel_count sem)"
check_eq "the state directory keeps only the history and the run lock" \
  "$(ls "$T/state")" "$(cd "$T/state" && ls -- *.history *.lock | sort)"

# --- a crashed run whose set was removed from outside: the next start --
WITH_TEST=0 full_conf c
httpd_start c || fail "c starts"
cset=$(http c "/ipc-status?json" | jq -r '[.objects[] | select(.kind == "sysv-sem" and .module == "mod_rewrite.c")][0].id')
httpd_kill9_tree c
ipcrm -s "$cset"
httpd_start c || fail "c starts after kill -9"
check_match "the cleanup's summary counts what was already gone" \
  "ipcguard\(021\): removed [0-9]+ stale IPC objects .* kept 1 \(1 of them already gone: removed by something outside httpd\)" \
  "$(errlog c)"
httpd_stop c
finish
