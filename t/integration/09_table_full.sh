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
finish
