#!/usr/bin/env bash
# /server-status?auto on an event-MPM server with the module against the
# same server without it, under wrk on loopback: ROUNDS (default 5)
# interleaved rounds of DURATION seconds (default 5) each, the order
# alternating (with, without; without, with; ...) so that a drift in the
# machine's load falls on both alike. Prints each round, the medians with
# their spread (min-max) and the ratio of the medians against its goal
# (at least 0.98).
# With FULL=1 also, the same way: /ipc-status?auto against
# /server-status?auto on the server with the module, a static file with
# and without the module, and stop + start times. Run as root:
#   bash bench/status.sh          (ROUNDS=5 DURATION=5 FULL=0)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/status.sh: needs root (namespaces)" >&2; exit 1; }
make -s -C "$here" all >/dev/null
exec unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
  env IPCG_IN_NS=1 HARNESS="$here/t/harness.sh" STATS="$here/bench/stats.sh" \
  DURATION="${DURATION:-5}" ROUNDS="${ROUNDS:-5}" FULL="${FULL:-0}" bash -s <<'INNER'
source "$HARNESS"
ipcg_sandbox
source "$STATS"
# cpu_tree PID: CPU nanoseconds of every thread of PID and its
# descendants, and of the children it has already reaped (a child that
# exits in a run moves from the one to the other)
tck=$(getconf CLK_TCK)
cpu_tree() {
  local p s
  s=$(awk -v hz="$tck" '{ sub(/.*\) /, ""); printf "%.0f", ($14 + $15) * 1e9 / hz }' /proc/"$1"/stat)
  for p in $(tree_pids "$1"); do
    s=$((s + $(cat /proc/"$p"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%.0f", t }')))
  done
  echo "$s"
}
# rate NAME URL: sets RPS (requests a second under wrk) and NSREQ (the
# server's CPU nanoseconds a request: what the machine's other load
# changes far less than the rate)
rate() {
  local c0 c1 out reqs
  c0=$(cpu_tree "${PARENT[$1]}")
  out=$(wrk -t2 -c16 -d"${DURATION}s" "http://127.0.0.1:${PORT[$1]}$2")
  c1=$(cpu_tree "${PARENT[$1]}")
  RPS=$(awk '/Requests\/sec/ { printf "%d", $2 }' <<<"$out")
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  NSREQ=$(( (c1 - c0) / (reqs > 0 ? reqs : 1) ))
}
# ab LABEL NAME_A URL_A NAME_B URL_B: interleaved rounds, A/B medians
ab() {
  local label=$1 na=$2 ua=$3 nb=$4 ub=$5 r a b ca cb as=() bs=() rs=() cas=() cbs=()
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then
      rate "$na" "$ua"; a=$RPS ca=$NSREQ; rate "$nb" "$ub"; b=$RPS cb=$NSREQ
    else
      rate "$nb" "$ub"; b=$RPS cb=$NSREQ; rate "$na" "$ua"; a=$RPS ca=$NSREQ
    fi
    as+=("$a") bs+=("$b") cas+=("$ca") cbs+=("$cb")
    rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')")
    echo "round $r: $na $ua $a req/s ($((ca / 1000)) us CPU a request)," \
         "$nb $ub $b req/s ($((cb / 1000)) us CPU a request)"
  done
  AM=$(median "${as[@]}") BM=$(median "${bs[@]}")
  RATIO=$(awk -v a="$AM" -v b="$BM" 'BEGIN { printf "%.3f", a / b }')
  CRATIO=$(awk -v a="$(median "${cas[@]}")" -v b="$(median "${cbs[@]}")" 'BEGIN { printf "%.3f", b / a }')
  echo "$label: $AM req/s (spread $(spread "${as[@]}")) against $BM req/s" \
       "(spread $(spread "${bs[@]}")); ratio of medians $RATIO," \
       "per-round ratios $(spread "${rs[@]}")"
  echo "$label, server CPU a request: $(median "${cas[@]}") ns (spread" \
       "$(spread "${cas[@]}")) against $(median "${cbs[@]}") ns (spread" \
       "$(spread "${cbs[@]}")): the rate it allows, B's CPU / A's, $CRATIO"
}
MPM=event WITH_TEST=0 httpd_conf guarded <<<'Mutex sysvsem default
LogLevel warn ipcguard:warn
IPCGuardScanInterval 10'
MPM=event WITH_TEST=0 WITH_GUARD=0 httpd_conf plain <<<'Mutex sysvsem default
LogLevel warn'
httpd_start guarded || exit 1
httpd_start plain || exit 1
# the IPCGuard* lines are there, and only with the module
nl=$(http guarded "/server-status?auto" | grep -c '^IPCGuard' || true)
np=$(http plain "/server-status?auto" | grep -c '^IPCGuard' || true)
echo "# /server-status?auto: $nl IPCGuard* lines with the module, $np without"
ab "/server-status?auto, with module / without" guarded "/server-status?auto" plain "/server-status?auto"
awk -v r="$RATIO" -v c="$CRATIO" 'BEGIN { printf "server-status?auto rps, with module / without: %.3f (target >= 0.98): %s; by server CPU a request: %.3f\n", r, (r >= 0.98 ? "met" : "NOT met"), c }'
if [ "$FULL" = 1 ]; then
  ab "/ipc-status?auto / /server-status?auto (with module)" guarded "/ipc-status?auto" guarded "/server-status?auto"
  awk -v r="$RATIO" 'BEGIN { printf "ipc-status?auto / server-status?auto: %.2f (target >= 1.00)\n", r }'
  ab "/index.html, with module / without" guarded "/index.html" plain "/index.html"
  ss=() sp=()
  for r in $(seq 1 "$ROUNDS"); do
    for n in guarded plain; do
      t0=$(date +%s%N); httpd_stop "$n"; httpd_start "$n"; t1=$(date +%s%N)
      if [ "$n" = guarded ]; then ss+=($(( (t1 - t0) / 1000000 ))); else sp+=($(( (t1 - t0) / 1000000 ))); fi
    done
  done
  echo "stop + start: with module $(median "${ss[@]}") ms (spread $(spread "${ss[@]}")), without $(median "${sp[@]}") ms (spread $(spread "${sp[@]}"))"
fi
httpd_stop guarded; httpd_stop plain
INNER
