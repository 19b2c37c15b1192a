# IPCGuardMaxObjects: a full table says so in the log, lists what fits and
# keeps counting the rest; the registry (and so the cleanup) keeps all.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox
httpd_conf a <<<"IPCGuardMaxObjects 16"
httpd_start a || { fail "the server starts"; finish; exit 1; }
for i in $(seq 1 30); do http a "/ipcg-test?make=sem&semop=1" >/dev/null; done
wait_scan a
json=$(http a "/ipc-status?json")
check_eq "the table lists what fits" 16 "$(jq '.objects | length' <<<"$json")"
check_eq "and counts what does not" 14 "$(jq .totals.dropped <<<"$json")"
check_eq "the counts by class still cover every object" 30 "$(jq '.totals["sysv-sem"].instance' <<<"$json")"
check_match "the log says the table is full" \
  "ipcguard\(201\): the status table is full: this server has 30 objects, IPCGuardMaxObjects is 16" "$(errlog a)"
check_eq "the state file records all 30" 30 "$(grep -c '^obj ' "$T"/state/*.state)"
check_match "?auto reports the dropped count" "^RegistryDropped: 14$" "$(http a "/ipc-status?auto")"
httpd_stop a

# A startup cleanup of more objects than the page lists says so under its
# list, and where the others are named.
httpd_conf b < <(for i in $(seq 1 300); do echo "IPCGTestPostConfig sem"; done)
httpd_start b || { fail "the server with 300 sets starts"; finish; exit 1; }
httpd_kill9_tree b
httpd_start b || { fail "it starts again after a kill -9"; finish; exit 1; }
json=$(http b "/ipc-status?json")
removed=$(jq .cleanup.removed_count <<<"$json")
check_cmp "the startup cleanup removed the 300 sets" "$removed" -ge 300
check_eq "?json lists the first 256 removed" 256 "$(jq '.cleanup.removed | length' <<<"$json")"
page=$(http b "/ipc-status")
check_match "the page says it lists 256 of them" \
  "<p class=\"quiet\">Listed: 256 of the $removed removed objects; the error log names each one \(<code>ipcguard\(017\)</code>, LogLevel info\)\.</p>" "$page"
check_nomatch "and nothing of the kept, which it lists all" "Listed: [0-9,]+ of the [0-9,]+ kept" "$page"
check_eq "the error log names every removed one" "$removed" "$(grep -c 'ipcguard(017): removed' "$T/b/error.log")"
httpd_stop b
finish
