# /ipc-status in its four forms, the mod_status section, limits that agree
# with the kernel, hostile names, bounded metrics, and early warnings.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox

# hostile /dev/shm names of another user, listed as foreign objects
printf x > '/dev/shm/<img src=x onerror=alert(1)>'
printf x > "/dev/shm/quote\"s'and\\back"
printf x > "/dev/shm/$(printf 'new\nline')"
printf x > "/dev/shm/$(printf 'latin\xe9\xff')"
chown 1000 /dev/shm/*

cp "$REPO/t/fixtures/user_beancounters" "$T/ubc"
EXTRA_CONF="IPCGuardShowForeign On
IPCGuardBeancounters $T/ubc
IPCGuardWarnThreshold 80" full_conf a
httpd_start a || { fail "the server starts"; finish; exit 1; }

json=$(http a "/ipc-status?json")
check_eq "?json is one JSON document" 0 "$(jq -e . >/dev/null <<<"$json"; echo $?)"
check_eq "?json is served as application/json" "application/json" \
  "$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:${PORT[a]}/ipc-status?json")"
for k in instance limits totals objects cleanup orphans processes; do
  check_eq "?json has $k" true "$(jq "has(\"$k\")" <<<"$json")"
done
check_eq "sysv-sem ids and nsems equal the kernel's" \
  "$(awk 'NR > 1 { print $2, $4 }' /proc/sysvipc/sem | sort)" \
  "$(jq -r '.objects[] | select(.kind == "sysv-sem") | "\(.id) \(.nsems)"' <<<"$json" | sort)"
read -r msl mns opm mni < /proc/sys/kernel/sem
check_eq "limits.semmni equals /proc/sys/kernel/sem" "$mni" "$(jq .limits.semmni <<<"$json")"
check_eq "limits.semmns equals /proc/sys/kernel/sem" "$mns" "$(jq .limits.semmns <<<"$json")"
check_eq "limits.semmsl and semopm" "$msl $opm" "$(jq -r '"\(.limits.semmsl) \(.limits.semopm)"' <<<"$json")"
lsipc_limit() { lsipc -g -r -b -o RESOURCE,LIMIT | awk -v r="$1" '$1 == r { print $2 }'; }
for r in SHMMNI SHMALL SEMMNI SEMMNS SEMMSL SEMOPM MSGMNI; do
  # read the number as text: jq's doubles round 64-bit values
  check_eq "limits.${r,,} equals lsipc -g" "$(lsipc_limit $r)" "$(grep -o "\"${r,,}\":[0-9]*" <<<"$json" | cut -d: -f2)"
done
check_eq "limits.msgmni equals /proc" "$(cat /proc/sys/kernel/msgmni)" "$(jq .limits.msgmni <<<"$json")"
check_eq "usage.sem_sets equals ipcs -s" "$(ipcs -s | grep -c '^0x')" "$(jq .usage.sem_sets <<<"$json")"
check_eq "every object field of the interface is there" '["class","cpid","creator_uid","key","kind","lpid","mode","module","nattch","owner_uid","phase"]' \
  "$(jq -c '[.objects[0] | keys[] | select(IN("kind","key","owner_uid","creator_uid","mode","nattch","cpid","lpid","phase","module","class"))] | sort' <<<"$json")"
check_eq "the beancounter fixture is reported" "247122 262144 10067" \
  "$(jq -r '.limits.beancounters.rows[] | select(.resource == "shmpages") | "\(.held) \(.limit) \(.failcnt)"' <<<"$json")"
check_eq "hostile names are valid JSON strings" \
  '["<img src=x onerror=alert(1)>","new\nline","quote\"s'"'"'and\\back"]' \
  "$(jq -c '[.objects[] | select(.kind == "posix-shm" and .class == "foreign") | .name | select(startswith("latin") | not)] | sort' <<<"$json")"
check_match "bytes that are not UTF-8 become \\u00XX" '"name":"latin\\u00e9\\u00ff"' "$json"
check_match "processes[] lists the parent and children" "^[0-9]+ apache2$" \
  "$(jq -r '.processes[] | "\(.pid) \(.command)"' <<<"$json")"
check_eq "each process has the memory fields" true \
  "$(jq '[.processes[] | has("rss_shmem_bytes") and has("shared_mapped_bytes") and has("ppid")] | all' <<<"$json")"
check_eq "cleanup says no cleanup has run yet" "no_state" "$(jq -r .cleanup.outcome <<<"$json")"

# ipcguardctl status reads the same things from outside httpd
ctl=$("$CTL" status --json --state-dir "$T/state" --pidfile "$T/a/run/httpd.pid" --beancounters "$T/ubc")
check_eq "ipcguardctl status --json lists the server's objects as the page does" \
  "$(jq -c '[.objects[] | select(.class == "instance") | [.kind, .id, .name, .module]] | sort' <<<"$json")" \
  "$(jq -c '[.objects[] | select(.class == "instance") | [.kind, .id, .name, .module]] | sort' <<<"$ctl")"
check_eq "and the same limits" "$(jq -c '.limits | del(.meminfo_shmem, .devshm_used)' <<<"$json")" \
  "$(jq -c '.limits | del(.meminfo_shmem, .devshm_used)' <<<"$ctl")"
check_eq "and the server's whole process tree as it is now" "$(tr " " "\n" <<<"$(tree_pids "${PARENT[a]}")" | sort -n | tr "\n" " ")" \
  "$(jq -r '[.processes[].pid] | sort | map(tostring) | join(" ")' <<<"$ctl") "

# HTML: summary first, everything escaped
html=$(http a "/ipc-status")
check_nomatch "no raw markup from a /dev/shm name" "<img src=x" "$html"
check_match "the name is shown escaped" "&lt;img src=x onerror=alert\(1\)&gt;" "$html"
check_match "control and non-ASCII bytes are shown as \\\\xNN" 'new\\x0aline|latin\\xe9\\xff' "$html"
check_match "the summary comes first in the body, before the object table" "Objects: .*of this server" \
  "$(sed -n '/<body>/,$p' <<<"$html" | head -c 2000)"
check_match "modules in the summary" "mod_rewrite.c</td><td>sysv-sem" "$html"
check_eq "?refresh=5 sets a Refresh header" "5" \
  "$(curl -s -D - -o /dev/null "http://127.0.0.1:${PORT[a]}/ipc-status?refresh=5" | tr -d '\r' | awk -F': ' 'tolower($1) == "refresh" { print $2 }')"
check_eq "the page is read-only: POST is refused" 405 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${PORT[a]}/ipc-status")"

# ?auto: only Key: value lines
auto=$(http a "/ipc-status?auto")
check_eq "?auto is only Key: value lines" "" "$(grep -Ev '^[A-Z][A-Za-z0-9]*: [A-Za-z0-9-]+$' <<<"$auto")"
check_match "?auto has the set counts" "^SemSetsUsed: [0-9]+$" "$auto"
check_match "?auto has beancounters" "^BeancounterShmpagesFailcnt: 10067$" "$auto"

# ?metrics
curl -s "http://127.0.0.1:${PORT[a]}/ipc-status?metrics" > "$T/m1"
check_eq "?metrics passes promtool check metrics" 0 "$(promtool check metrics < "$T/m1" >/dev/null 2>&1; echo $?)"
check_eq "?metrics content type" "text/plain; version=0.0.4; charset=utf-8" \
  "$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:${PORT[a]}/ipc-status?metrics")"
check_nomatch "no hostile name reaches ?metrics" "img src|latin" "$(cat "$T/m1")"

# mod_status
ss=$(http a "/server-status")
check_match "/server-status gains the IPC section" "<h2>IPC objects \(mod_ipcguard\)</h2>" "$ss"
ssa=$(http a "/server-status?auto")
check_match "/server-status?auto gains IPCGuard lines" "^IPCGuardSemSetsUsed: [0-9]+$" "$ssa"
check_eq "every IPCGuard line is an integer or a plain word, no dots" "" \
  "$(grep '^IPCGuard' <<<"$ssa" | grep -Ev '^IPCGuard[A-Za-z0-9]+: [A-Za-z0-9]+$')"
check_match "mod_status's own lines are still there" "^Scoreboard: " "$ssa"
# the lines kept ready in the table are /ipc-status?auto's keys, all of
# them, in the same order, with the same values where nothing moves
ipa=$(http a "/ipc-status?auto")
check_eq "/server-status?auto has every /ipc-status?auto key, in order" \
  "$(awk -F': ' '{ print "IPCGuard" $1 }' <<<"$ipa" | tr '\n' ' ')" \
  "$(grep '^IPCGuard' <<<"$ssa" | awk -F': ' '{ print $1 }' | tr '\n' ' ')"
check_eq "the same instance, pid and limits" \
  "$(grep -E '^(Instance|ServerPid|SemSetsLimit|ShmMaxBytes):' <<<"$ipa" | sed 's/^/IPCGuard/')" \
  "$(grep -E '^IPCGuard(Instance|ServerPid|SemSetsLimit|ShmMaxBytes):' <<<"$ssa")"
check_match "IPCGuardUptime counts from the start" "^IPCGuardUptime: [0-9]+$" "$ssa"

# 1,000 runtime objects: the metrics stay bounded
series_before=$(grep -vc '^#' "$T/m1")
for i in $(seq 1 100); do http a "/ipcg-test?make=sem&semop=1" >/dev/null; done
for i in $(seq 1 900); do "$REPO/build/ipcg_mkobj" sem >/dev/null; done
wait_scan a
curl -s "http://127.0.0.1:${PORT[a]}/ipc-status?metrics" > "$T/m2"
check_match "the scan saw the new objects" "ipcguard_objects\{kind=\"sysv-sem\",class=\"foreign\"\} 9[0-9][0-9]" "$(cat "$T/m2")"
check_cmp "series stay bounded with 1,000 more objects" "$(grep -vc '^#' "$T/m2")" -le "$((series_before + 4))"
check_eq "still passes promtool" 0 "$(promtool check metrics < "$T/m2" >/dev/null 2>&1; echo $?)"

# early warning: SEMMNI lowered under the threshold, one warning only
used=$(awk 'NR > 1' /proc/sysvipc/sem | wc -l)
echo "250 32000 32 $((used + 10))" > /proc/sys/kernel/sem
wait_scan a; wait_scan a
log=$(errlog a)
check_match "a crossing is warned, naming this server's top holders" \
  "ipcguard\(201\): SEMMNI \(semaphore sets\) at [0-9]+% \($used of $((used + 10))\), over the 80% warning threshold; this server's top holders: " "$log"
check_eq "one warning, not one per scan" 1 "$(grep -c 'ipcguard(201): SEMMNI' <<<"$log")"
# the beancounter's failcnt grows
sed -i 's/10067/10090/' "$T/ubc"
wait_scan a
check_match "a growing failcnt is warned" "ipcguard\(201\): beancounter shmpages failcnt grew from 10067 to 10090" "$(errlog a)"
check_match "the shmpages row over threshold is warned" "ipcguard\(201\): beancounter shmpages at 94%" "$(errlog a)"
httpd_stop a
finish
