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
rate() {
  wrk -t2 -c16 -d"${DURATION}s" "http://127.0.0.1:${PORT[$1]}$2" \
    | awk '/Requests\/sec/ { printf "%d", $2 }'
}
# ab LABEL NAME_A URL_A NAME_B URL_B: interleaved rounds, A/B medians
ab() {
  local label=$1 na=$2 ua=$3 nb=$4 ub=$5 r a b as=() bs=() rs=()
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then a=$(rate "$na" "$ua"); b=$(rate "$nb" "$ub")
    else b=$(rate "$nb" "$ub"); a=$(rate "$na" "$ua"); fi
    as+=("$a") bs+=("$b")
    rs+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')")
    echo "round $r: $na $ua $a req/s, $nb $ub $b req/s"
  done
  AM=$(median "${as[@]}") BM=$(median "${bs[@]}")
  RATIO=$(awk -v a="$AM" -v b="$BM" 'BEGIN { printf "%.3f", a / b }')
  echo "$label: $AM req/s (spread $(spread "${as[@]}")) against $BM req/s" \
       "(spread $(spread "${bs[@]}")); ratio of medians $RATIO," \
       "per-round ratios $(spread "${rs[@]}")"
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
awk -v r="$RATIO" 'BEGIN { printf "server-status?auto rps, with module / without: %.3f (target >= 0.98): %s\n", r, (r >= 0.98 ? "met" : "NOT met") }'
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
