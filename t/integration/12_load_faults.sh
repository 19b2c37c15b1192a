# mpms: prefork worker event
# Load with faults: wrk loads a static file and /ipc-status for 60 s while
# the test makes 30 graceful restarts, 10 restarts and kill -9s 10 random
# children. Afterwards no request failed except those in flight on a
# killed child, the registry is exact, nothing leaked, and the error log
# holds no error of the module.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
mpm=${MPM:-prefork}
SECONDS_LOAD=60
CONNS_STATIC=8 CONNS_STATUS=2

counts() { echo "$(kernel_count sem) sets, $(ls /dev/shm | wc -l) shm files"; }

WITH_TEST=0 full_conf a
httpd_start a || { fail "a starts"; finish; exit 1; }
one_run=$(counts)
echo "# one run ($mpm): $one_run"
port=${PORT[a]}

# Each request on a connection of its own: a graceful restart then never
# closes a kept-alive connection under a request just sent, and a failed
# request is one that was in flight on a child that died.
wrk -t 2 -c "$CONNS_STATIC" -d "${SECONDS_LOAD}s" --timeout 5s -H 'Connection: close' \
  "http://127.0.0.1:$port/index.html" > "$T/wrk-static.out" 2>&1 &
w1=$!
wrk -t 1 -c "$CONNS_STATUS" -d "${SECONDS_LOAD}s" --timeout 5s -H 'Connection: close' \
  "http://127.0.0.1:$port/ipc-status?auto" > "$T/wrk-status.out" 2>&1 &
w2=$!

# 30 graceful restarts, 10 restarts, 10 kill -9s, shuffled, one about
# every second while the load runs
plan=$( (for i in $(seq 30); do echo g; done; for i in $(seq 10); do echo h; done
         for i in $(seq 10); do echo k; done) | shuf | tr '\n' ' ')
start=$(date +%s)
graceful=0 restarts=0 kills=0 killed=""
for step in $plan; do
  [ $(( $(date +%s) - start )) -lt $((SECONDS_LOAD - 3)) ] || break
  case $step in
    g) httpd_signal_restart a USR1 && graceful=$((graceful + 1)) ;;
    h) httpd_signal_restart a HUP && restarts=$((restarts + 1)) ;;
    k) victim=$(children_of "${PARENT[a]}" | shuf -n 1)
       if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
         kills=$((kills + 1)); killed="$killed $victim"
       fi ;;
  esac
  sleep 0.6
done
wait "$w1" "$w2"
echo "# done in $(( $(date +%s) - start )) s: $graceful graceful restarts, $restarts restarts, $kills kill -9s of children"
check_eq "all 30 graceful restarts, 10 restarts and 10 kills were made under load" "30 10 10" \
  "$graceful $restarts $kills"

# wrk's totals: requests, socket errors, non-2xx answers
parse() {   # parse FILE -> "requests errors non2xx"
  awk '/requests in/ { r = $1 }
       /Socket errors:/ { gsub(/,/, ""); e = $4 + $6 + $8 + $10 }
       /Non-2xx or 3xx responses:/ { n = $5 }
       END { printf "%d %d %d\n", r, e, n }' "$1"
}
read -r req1 err1 bad1 < <(parse "$T/wrk-static.out")
read -r req2 err2 bad2 < <(parse "$T/wrk-status.out")
echo "# static file: $req1 requests, $err1 socket errors, $bad1 non-2xx"
echo "# /ipc-status?auto: $req2 requests, $err2 socket errors, $bad2 non-2xx"
check_cmp "the static file was served under load" "$req1" -gt 1000
check_cmp "/ipc-status was served under load" "$req2" -gt 100
check_eq "no request got an error answer" "0 0" "$bad1 $bad2"
# A kill -9 fails the requests its child was serving: one under prefork,
# up to ThreadsPerChild (4) under worker and event. A restart (SIGHUP)
# ends every child at once: up to every connection. Nothing else may fail.
per_child=4; [ "$mpm" = prefork ] && per_child=1
conns=$((CONNS_STATIC + CONNS_STATUS))
bound=$(( kills * per_child + restarts * conns ))
check_cmp "failed requests ($((err1 + err2))) at most those in flight on killed children ($bound)" \
  "$((err1 + err2))" -le "$bound"

# afterwards: the registry is exact and nothing leaked
httpd_signal_restart a USR1 || fail "a last graceful restart"
wait_scan a || fail "a scan after the load"
json=$(http a "/ipc-status?json")
check_eq "the registry's sets are the kernel's" \
  "$(kernel_ids sem)" \
  "$(jq -r '[.objects[] | select(.kind == "sysv-sem") | .id] | sort | map(tostring) | join(" ")' <<<"$json") "
check_eq "the registry's /dev/shm files are the kernel's" \
  "$(ls /dev/shm | sort | tr '\n' ' ')" \
  "$(jq -r '[.objects[] | select(.kind == "posix-shm") | .name] | sort | join(" ")' <<<"$json") "
check_eq "no object leaked: one run's worth" "$one_run" "$(counts)"
check_eq "nothing foreign appeared" 0 "$(jq '[.totals[] | objects | .foreign] | add' <<<"$json")"
log=$(errlog a)
check_nomatch "no error of the module" "\[ipcguard:(error|crit|alert|emerg)\]" "$log"
check_nomatch "no crash" "Segmentation fault|exit signal (Segmentation|Bus|Abort)" "$log"
httpd_stop a
check_eq "a clean stop leaves nothing" "0 sets, 0 shm files" "$(counts)"
check_eq "and no state file" "" "$(state_files)"
finish
