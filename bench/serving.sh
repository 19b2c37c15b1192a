# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # $T, $port, $APACHE2 come from the
# sourcing script; MS and PID are this file's results for it
# The servers of the restart benchmarks, sourced inside their namespaces
# after t/harness.sh: start one, restart it gracefully, stop it, each
# timed from this shell without a fork. Needs $T (the sandbox), $port
# (the servers' port) and $APACHE2. The polling loops count in bash, not
# over $(seq ...): that fork and its output, inside the timed window,
# took this shell 20 to 30 ms while the server restarted beside it, and
# the figures measured the client as much as the server.

# a sleep without a fork: read from a fifo no one writes
mkfifo "$T/nap"
exec 9<>"$T/nap"
nap() { read -r -t "$1" -u 9 _ || true; }

# get PATH: the status code, and the body's ParentServerConfigGeneration
# line if any, from one HTTP/1.0 request (bash's /dev/tcp, no fork). It
# stops reading at that line: bash reads a socket a byte at a time, and
# the lines the module adds to /server-status?auto after it (1.6 KB of
# 2.8 KB) cost the client about 15 ms here, not the server.
STATUS="" GEN=""
get() {
  local line
  STATUS="" GEN=""
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
  IFS= read -r -t 2 line <&3 || { exec 3<&-; return 1; }
  line=${line#* }
  STATUS=${line%% *}
  while IFS= read -r -t 2 line <&3; do
    case "$line" in
      ParentServerConfigGeneration:*) GEN=${line#*: }; GEN=${GEN%$'\r'}; break ;;
    esac
  done
  exec 3<&-
  return 0
}
MS=""
ms_since() {   # $1: EPOCHREALTIME at the start; sets MS
  local t1=$EPOCHREALTIME
  MS=$(awk -v a="$1" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
}

PID=""
# start NAME: time from exec until /index.html answers 200 (10 s at most),
# into MS
start() {
  local t0=$EPOCHREALTIME i
  setsid "$APACHE2" -f "$T/$1/httpd.conf" -D FOREGROUND >>"$T/$1/stdout.log" 2>&1 &
  PID=$!
  for ((i = 0; i < 5000; i++)); do
    if get /index.html && [ "$STATUS" = 200 ]; then ms_since "$t0"; return 0; fi
    kill -0 "$PID" 2>/dev/null || { echo "bench: $1 exited during startup" >&2; tail -5 "$T/$1/error.log" >&2; return 1; }
    nap 0.002
  done
  echo "bench: $1 did not answer within 10 s" >&2
  return 1
}
# graceful: time from SIGUSR1 until a child of the new generation answers,
# into MS
graceful() {
  local before t0 i
  get "/server-status?auto"; before=$GEN
  [ -n "$before" ] || { echo "bench: no generation in /server-status?auto" >&2; return 1; }
  t0=$EPOCHREALTIME
  kill -USR1 "$PID"
  for ((i = 0; i < 5000; i++)); do
    if get "/server-status?auto" && [ -n "$GEN" ] && [ "$GEN" != "$before" ]; then
      ms_since "$t0"; return 0
    fi
    nap 0.002
  done
  echo "bench: no new generation within 10 s" >&2
  return 1
}
stop() {
  local i
  kill -TERM "$PID"
  for ((i = 0; i < 1000; i++)); do kill -0 "$PID" 2>/dev/null || break; nap 0.01; done
  if kill -0 "$PID" 2>/dev/null; then
    echo "bench: httpd $PID did not stop within 10 s" >&2
    kill9_session "$PID"
    return 1
  fi
  wait "$PID" 2>/dev/null || true
}
