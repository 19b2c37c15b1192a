# mpms: prefork worker event
# Load with faults: wrk loads a static file and /ipc-status for 60 s while
# the test makes 30 graceful restarts, 10 restarts and kill -9s 10 random
# children. Afterwards no request failed except those in flight on a
# child that died, the registry is exact, nothing leaked, and the error
# log holds no error of the module.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
mpm=${MPM:-prefork}
SECONDS_LOAD=60
CONNS_STATIC=8 CONNS_STATUS=2

shm_files() { ls -A /dev/shm | wc -l; }
counts() { echo "$(kernel_count sem) sets, $(kernel_count shm) segments, $(shm_files) shm files"; }
# The server's own children: the RewriteMap program is a child of the
# parent too, but serves no request.
server_children() {
  ps -o pid=,comm= --ppid "${PARENT[$1]}" | awk '$2 == "apache2" { print $1 }'
}

# a crashed child leaves a core here, for its stacks (below)
ulimit -c unlimited
mkdir -m 777 "$T/cores"
EXTRA_CONF="CoreDumpDirectory $T/cores" WITH_TEST=0 full_conf a
httpd_start a || { fail "a starts"; finish; exit 1; }
one_run=$(counts)
echo "# one run ($mpm): $one_run"
port=${PORT[a]}

# wrk's figures, exact: completed requests, each kind of socket error, and
# answers other than 2xx (counted per response, not wrk's >= 400). The
# status load cycles through the page's four forms.
cat > "$T/count.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  non2xx = 0
  paths = { "/ipc-status", "/ipc-status?json", "/ipc-status?auto", "/ipc-status?metrics" }
  n = 0
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format("counts: %d %d %d %d %d %d\n", summary.requests,
    e.connect, e.read, e.write, e.timeout, bad))
end
LUA
cp "$T/count.lua" "$T/status.lua"
cat >> "$T/status.lua" <<'LUA'
function request()
  n = n + 1
  return wrk.format(nil, paths[(n % #paths) + 1])
end
LUA

# Each request on a connection of its own: with keep-alive, a graceful
# restart closes idle connections, and a request wrk writes at that moment
# fails on any server (the keep-alive close race); without it, a failed
# request is one that was in flight on a child that died.
wrk -t 2 -c "$CONNS_STATIC" -d "${SECONDS_LOAD}s" --timeout 5s -H 'Connection: close' \
  -s "$T/count.lua" "http://127.0.0.1:$port/index.html" > "$T/wrk-static.out" 2>&1 &
w1=$!
wrk -t 1 -c "$CONNS_STATUS" -d "${SECONDS_LOAD}s" --timeout 5s -H 'Connection: close' \
  -s "$T/status.lua" "http://127.0.0.1:$port/ipc-status" > "$T/wrk-status.out" 2>&1 &
w2=$!

# 30 graceful restarts (g), 10 restarts (h), 10 kill -9s (k), shuffled, the
# i-th due 1 + 1.1 i s after the load began (the last at 55 s); none starts
# after 57 s, and each restart waits at most 15 s for its generation.
plan=$( (for i in $(seq 30); do echo g; done; for i in $(seq 10); do echo h; done
         for i in $(seq 10); do echo k; done) | shuf | tr -d '\n')
echo "# order: $plan"
start=$(date +%s%N)
elapsed_ms() { echo $(( ($(date +%s%N) - start) / 1000000 )); }
graceful=0 restarts=0 kills=0 late=0
for i in $(seq 0 $(( ${#plan} - 1 ))); do
  due=$(( 1000 + 1100 * i ))
  now=$(elapsed_ms)
  if [ "$now" -lt "$due" ]; then
    sleep "$(( (due - now) / 1000 )).$(printf '%03d' $(( (due - now) % 1000 )))"
  fi
  now=$(elapsed_ms)
  [ "$now" -lt $(( (SECONDS_LOAD - 3) * 1000 )) ] || break
  [ "$now" -gt $(( due + 2000 )) ] && late=$((late + 1))
  case ${plan:$i:1} in
    g) httpd_signal_restart a USR1 && graceful=$((graceful + 1)) ;;
    h) httpd_signal_restart a HUP && restarts=$((restarts + 1)) ;;
    k) # right after a restart the children may all be on their way out
       # or not yet forked: look again, 20 times 0.1 s at most
       for try in $(seq 20); do
         victim=$(server_children a | shuf -n 1)
         if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
           kills=$((kills + 1)); break
         fi
         sleep 0.1
       done ;;
  esac
  # a core is named "core": keep each fault's (a restart returns once the
  # children it ended are reaped, so their cores are written by then)
  [ -f "$T/cores/core" ] && mv "$T/cores/core" "$T/cores/core.$i"
done
echo "# faults done by $(( $(elapsed_ms) / 1000 )) s ($late more than 2 s late): $graceful graceful restarts, $restarts restarts, $kills kill -9s of children"
wait "$w1" "$w2"
check_eq "all 30 graceful restarts, 10 restarts and 10 kills were made under load" "30 10 10" \
  "$graceful $restarts $kills"

# counts FILE -> "requests connect read write timeout non2xx"
figures() { sed -n 's/^counts: //p' "$1"; }
read -r req1 c1 r1 wr1 t1 bad1 < <(figures "$T/wrk-static.out")
read -r req2 c2 r2 wr2 t2 bad2 < <(figures "$T/wrk-status.out")
err1=$((c1 + r1 + wr1 + t1)) err2=$((c2 + r2 + wr2 + t2))
echo "# static file: $req1 requests; socket errors: connect $c1, read $r1, write $wr1, timeout $t1; $bad1 non-2xx"
echo "# /ipc-status (4 forms): $req2 requests; socket errors: connect $c2, read $r2, write $wr2, timeout $t2; $bad2 non-2xx"
check_cmp "the static file was served under load" "${req1:-0}" -gt 1000
check_cmp "/ipc-status was served under load" "${req2:-0}" -gt 100
check_eq "no request got an answer other than 2xx" "0 0" "$bad1 $bad2"
# The bound on failed requests: a kill -9 fails the requests its child
# was serving, one under prefork, at most ThreadsPerChild (4) under worker
# and event (their listener accepts only for an idle worker). A restart
# (SIGHUP) kills every child at once: at most every connection
# (CONNS_STATIC + CONNS_STATUS = 10). A graceful restart lets each request
# finish: none. wrk reports no time for an error, so the bound is on the
# sum: kills x per-child + restarts x connections.
per_child=4; [ "$mpm" = prefork ] && per_child=1
conns=$((CONNS_STATIC + CONNS_STATUS))
bound=$(( kills * per_child + restarts * conns ))
echo "# failed requests: $((err1 + err2)) of at most $bound ($kills kills x $per_child + $restarts restarts x $conns)"
check_cmp "failed requests ($((err1 + err2))) at most those in flight on children that died ($bound)" \
  "$((err1 + err2))" -le "$bound"

# afterwards: the registry is exact and nothing leaked
httpd_signal_restart a USR1 || fail "a last graceful restart"
wait_scan a || fail "a scan after the load"
json=$(http a "/ipc-status?json")
# (unquoted $(...): lists compared word by word)
check_eq "the registry's sets are the kernel's" \
  "$(echo $(kernel_ids sem))" \
  "$(echo $(jq -r '.objects[] | select(.kind == "sysv-sem") | .id' <<<"$json" | sort -n))"
check_eq "the registry's segments are the kernel's" \
  "$(echo $(kernel_ids shm))" \
  "$(echo $(jq -r '.objects[] | select(.kind == "sysv-shm") | .id' <<<"$json" | sort -n))"
check_eq "the registry's /dev/shm files are the kernel's" \
  "$(echo $(ls -A /dev/shm | sort))" \
  "$(echo $(jq -r '.objects[] | select(.kind == "posix-shm") | .name' <<<"$json" | sort))"
check_eq "no object leaked: one fresh run's worth" "$one_run" "$(counts)"
check_eq "nothing foreign appeared" 0 "$(jq '[.totals[] | objects | .foreign] | add' <<<"$json")"
log=$(errlog a; cat "$T/a/stdout.log")
check_nomatch "no error of the module" "\[ipcguard:(error|crit|alert|emerg)\]" "$log"
# No crash, with one exception under event: a restart (SIGHUP) under load
# now and then crashes a child of the event MPM as the restart ends it
# (SIGSEGV in apr_os_sock_get, called from mod_mpm_event.so's main thread
# while a worker thread frees its connection). It happens just the same
# without mod_ipcguard loaded; prefork and worker never showed it. Such a
# crash is reported by the parent while it reaps the children of the
# generation the SIGHUP ended: between "AH00494: SIGHUP received" and the
# next "AH00489: ... resuming normal operations". Under event, crashes
# there are counted and shown; any other crash, under any MPM, fails.
crash='Segmentation fault|exit signal (Segmentation|Bus|Abort)'
at_hup=$(errlog a | awk -v re="$crash" '/AH00494: SIGHUP received/ { hup = 1 }
  /AH00489: .*resuming normal operations/ { hup = 0 }
  $0 ~ re && hup { n++ } END { print n + 0 }')
elsewhere=$( (errlog a | awk -v re="$crash" '/AH00494: SIGHUP received/ { hup = 1 }
  /AH00489: .*resuming normal operations/ { hup = 0 }
  $0 ~ re && !hup'; grep -E "$crash" "$T/a/stdout.log") | head -n 3)
echo "# crashed children: $at_hup while a restart ended them, $(grep -cE "$crash" <<<"$log") in all"
check_eq "no crash outside a restart's end of the old children" "" "$elsewhere"
if [ "$mpm" != event ]; then
  check_eq "no crash at all under $mpm" 0 "$at_hup"
fi
# the crashing thread's stack of every crash that left a core: the module
# in none of them (other threads may well be serving /ipc-status)
cores=$(ls "$T/cores")
if [ -n "$cores" ] && command -v gdb >/dev/null; then
  stacks=$(for c in $cores; do
    gdb -q -batch -ex 'bt' "$APACHE2" "$T/cores/$c" 2>&1 | grep '^#'
  done)
  # a frame of the module: "at mod_ipcguard.c:N", "at mod_ipcguard_watch.c:N",
  # "at src/ipcg_*.c:N" or
  # "from .../mod_ipcguard.so"
  check_nomatch "no crash in the module's code" \
    "mod_ipcguard(_[a-z]+)?\.(c|so)|ipcg_[a-z]+\.c" "$stacks"
  for c in $cores; do
    echo "# core $c: $(gdb -q -batch -ex 'bt 2' "$APACHE2" "$T/cores/$c" 2>&1 | grep '^#' | awk '!seen[$0]++' |
      awk '{ f = $4; if (f == "??") f = $NF; sub(".*/", "", f); printf "%s ", f }')"
  done
elif [ -n "$cores" ]; then
  echo "# $(wc -w <<<"$cores") cores left, not examined: no gdb"
fi
rm -rf "$T/cores"
httpd_stop a
check_eq "a clean stop leaves nothing" "0 sets, 0 segments, 0 shm files" "$(counts)"
# the usage history (*.history) stays across clean stops by design
check_eq "and no state file" "" "$(state_files)"
finish
