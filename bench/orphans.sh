#!/usr/bin/env bash
# Startup cleanup of N dead semaphore sets (default 10,000) in
# `IPCGuardCleanup orphans` with no state file, as the server's ?json
# reports it (cleanup.duration_us), against `ipcrm -a` on N fresh sets in
# the same namespace: ROUNDS (default 3) interleaved rounds, the order
# alternating. build/mkstale makes the sets the way `Mutex sysvsem` does,
# owned by www-data, from a process that then exits (its state file is
# kept out of the state directory, so the start finds none). Prints each
# round, the medians with their spread (min-max) and the ratio of the
# medians against its goal (at most 2). Run as root:
#   bash bench/orphans.sh         (ROUNDS=3 SETS=10000)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/orphans.sh: needs root (namespaces)" >&2; exit 1; }
make -s -C "$here" all build/mkstale >/dev/null
exec unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
  env IPCG_IN_NS=1 HARNESS="$here/t/harness.sh" STATS="$here/bench/stats.sh" \
  ROUNDS="${ROUNDS:-3}" SETS="${SETS:-10000}" MKSTALE="$here/build/mkstale" \
  bash -s <<'INNER'
source "$HARNESS"
ipcg_sandbox
source "$STATS"
echo "250 1024000000 500 32000" > /proc/sys/kernel/sem
uid=$(id -u www-data) gid=$(id -g www-data)
mkdir -p "$T/junk"
count() { awk 'NR>1' /proc/sysvipc/sem | wc -l; }
WITH_TEST=0 httpd_conf guard <<<'IPCGuardCleanup orphans
LogLevel warn ipcguard:notice'
guard_round() {
  local made json us removed
  made=$("$MKSTALE" "$SETS" "$T/junk/dead.state" "$uid" "$gid")
  rm -f "$T/junk/dead.state" "$T"/state/*.state
  httpd_start guard || { echo "# the server did not start"; return 1; }
  json=$(http guard "/ipc-status?json")
  httpd_stop guard
  us=$(jq .cleanup.duration_us <<<"$json")
  # orphans removed count in removed_total (cleanup.removed_count is the
  # state file's part); a start without them is not the figure wanted
  removed=$(jq .counters.removed_total <<<"$json")
  [ "$removed" -ge "$made" ] || echo "# only $removed of $made removed:" \
    "$(jq -c '[.counters.orphan_candidates, .counters.orphans_provable]' <<<"$json")"
  ipcrm -a
  G_MS=$(awk -v u="$us" 'BEGIN { printf "%.2f", u / 1000 }')
}
rm_round() {
  local t0 t1
  "$MKSTALE" "$SETS" "$T/junk/unused.state" "$uid" "$gid" >/dev/null
  t0=$(date +%s%N); ipcrm -a; t1=$(date +%s%N)
  [ "$(count)" = 0 ] || echo "# ipcrm -a left $(count)"
  R_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
}
gs=() rs=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then guard_round; rm_round; else rm_round; guard_round; fi
  gs+=("$G_MS") rs+=("$R_MS")
  echo "round $r: IPCGuardCleanup orphans $G_MS ms, ipcrm -a $R_MS ms"
done
gm=$(median "${gs[@]}") rm_=$(median "${rs[@]}")
echo "orphans cleanup of $SETS sets: $gm ms (spread $(spread "${gs[@]}")), ipcrm -a $rm_ ms (spread $(spread "${rs[@]}"))"
awk -v g="$gm" -v r="$rm_" 'BEGIN { x = g / (r > 0 ? r : 0.01)
  printf "cleanup orphans (no state file) / ipcrm -a: %.2f (target <= 2.00): %s\n", x, (x <= 2 ? "met" : "NOT met") }'
INNER
