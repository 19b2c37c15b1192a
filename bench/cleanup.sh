#!/usr/bin/env bash
# Startup cleanup of N stale semaphore sets (default 10,000) from the
# state file, against ipcrm -a, in one private IPC namespace: ROUNDS
# (default 5) interleaved rounds, the order alternating, each on a fresh
# N sets:
#   ipcguardctl clean   the module's cleanup with every proof on (reading
#                       the state file, proving the run dead, IPC_STAT +
#                       GETPID/GETNCNT/GETZCNT per set, liveness of every
#                       pid, IPC_RMID)
#   ipcrm -a            the unsafe lower bound: removes everything
# and, with FULL=1, once:
#   shell loop          the incidents' ipcs | grep | awk | ipcrm loop
# Prints each round, the medians with their spread (min-max) and the
# ratio of the medians to ipcrm -a. Run as root:
#   bash bench/cleanup.sh [N]     (ROUNDS=5 FULL=0)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
if [ "$(id -u)" != 0 ]; then
  echo "bench/cleanup.sh: needs root (namespaces)" >&2
  exit 1
fi
make -s -C "$here" build/ipcguardctl build/mkstale >/dev/null
exec unshare --ipc --pid --fork --mount-proc env STATS="$here/bench/stats.sh" \
  ROUNDS="${ROUNDS:-5}" FULL="${FULL:-0}" bash -s "$here" "$n" <<'INNER'
set -euo pipefail
here=$1 n=$2
source "$STATS"
dir=$(mktemp -d /tmp/ipcg-bench.XXXXXX)
chmod 700 "$dir"
trap 'rm -rf "$dir"' EXIT
# room for the sets inside this namespace only
echo "250 1024000000 500 32000" > /proc/sys/kernel/sem
uid=$(id -u www-data) gid=$(id -g www-data)
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
count() { awk 'NR>1' /proc/sysvipc/sem | wc -l; }

guard_round() {
  local made t0 t1 left
  rm -f "$dir"/*.state
  made=$("$here/build/mkstale" "$n" "$dir/bench.state" "$uid" "$gid")
  t0=$(date +%s%N)
  "$here/build/ipcguardctl" clean --state "$dir/bench.state" --state-dir "$dir" \
    --user www-data >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  left=$(count)
  [ "$left" = 0 ] || echo "# ipcguardctl clean: made $made, $left left"
  ipcrm -a
  G_MS=$(ms "$t0" "$t1")
}
rm_round() {
  local t0 t1
  "$here/build/mkstale" "$n" "$dir/unused.state" "$uid" "$gid" >/dev/null
  t0=$(date +%s%N)
  ipcrm -a
  t1=$(date +%s%N)
  [ "$(count)" = 0 ] || echo "# ipcrm -a: $(count) left"
  R_MS=$(ms "$t0" "$t1")
}
gs=() rs=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then guard_round; rm_round; else rm_round; guard_round; fi
  gs+=("$G_MS") rs+=("$R_MS")
  echo "round $r: ipcguardctl clean $G_MS ms, ipcrm -a $R_MS ms"
done
gm=$(median "${gs[@]}") rm_=$(median "${rs[@]}")
echo "ipcguardctl clean: $n sets, $gm ms (spread $(spread "${gs[@]}"))"
echo "ipcrm -a: $rm_ ms (spread $(spread "${rs[@]}"))"
awk -v g="$gm" -v r="$rm_" 'BEGIN { x = g / (r > 0 ? r : 0.01)
  printf "cleanup from the state file / ipcrm -a: %.2f (target <= 2.00): %s\n", x, (x <= 2 ? "met" : "NOT met") }'

if [ "$FULL" = 1 ]; then
  "$here/build/mkstale" "$n" "$dir/unused2.state" "$uid" "$gid" >/dev/null
  t0=$(date +%s%N)
  for semid in $(ipcs -s | grep www-data | awk '{print $2}'); do
    ipcrm sem "$semid" >/dev/null
  done
  t1=$(date +%s%N)
  loop_ms=$(ms "$t0" "$t1")
  echo "shell loop: $(count) left, ${loop_ms} ms"
  awk -v g="$gm" -v l="$loop_ms" 'BEGIN {
    printf "ratio shell-loop/ipcguardctl: %.1f\n", l / (g > 0 ? g : 1) }'
fi
INNER
