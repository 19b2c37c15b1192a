#!/usr/bin/env bash
# Startup cleanup of N stale semaphore sets (default 10,000), three ways,
# side by side in one private IPC namespace:
#   ipcguardctl clean   the module's cleanup with every proof on (reading
#                       the state file, proving the run dead, IPC_STAT +
#                       GETPID/GETNCNT/GETZCNT per set, liveness of every
#                       pid, IPC_RMID)
#   ipcrm -a            the unsafe lower bound: removes everything
#   shell loop          the incidents' ipcs | grep | awk | ipcrm loop
# Prints milliseconds and the ratio to ipcrm -a. Run as root:
#   bash bench/cleanup.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
if [ "$(id -u)" != 0 ]; then
  echo "bench/cleanup.sh: needs root (namespaces)" >&2
  exit 1
fi
make -s -C "$here" build/ipcguardctl build/mkstale >/dev/null
exec unshare --ipc --pid --fork --mount-proc bash -s "$here" "$n" <<'INNER'
set -euo pipefail
here=$1 n=$2
dir=$(mktemp -d /tmp/ipcg-bench.XXXXXX)
chmod 700 "$dir"
trap 'rm -rf "$dir"' EXIT
# room for the sets inside this namespace only
echo "250 1024000000 500 32000" > /proc/sys/kernel/sem
uid=$(id -u www-data) gid=$(id -g www-data)
ms() { echo $(( ($2 - $1) / 1000000 )); }
count() { awk 'NR>1' /proc/sysvipc/sem | wc -l; }

made=$("$here/build/mkstale" "$n" "$dir/bench.state" "$uid" "$gid")
t0=$(date +%s%N)
"$here/build/ipcguardctl" clean --state "$dir/bench.state" --state-dir "$dir" \
  --user www-data >/dev/null 2>&1
t1=$(date +%s%N)
left=$(count)
guard_ms=$(ms "$t0" "$t1")
echo "ipcguardctl clean: made $made, $(( made - left )) removed, ${guard_ms} ms"

"$here/build/mkstale" "$n" "$dir/unused.state" "$uid" "$gid" >/dev/null
t0=$(date +%s%N)
ipcrm -a
t1=$(date +%s%N)
rm_ms=$(ms "$t0" "$t1")
echo "ipcrm -a: $(count) left, ${rm_ms} ms"

"$here/build/mkstale" "$n" "$dir/unused2.state" "$uid" "$gid" >/dev/null
t0=$(date +%s%N)
for semid in $(ipcs -s | grep www-data | awk '{print $2}'); do
  ipcrm sem "$semid" >/dev/null
done
t1=$(date +%s%N)
loop_ms=$(ms "$t0" "$t1")
echo "shell loop: $(count) left, ${loop_ms} ms"

rm_ms1=$(( rm_ms > 0 ? rm_ms : 1 ))
awk -v g="$guard_ms" -v r="$rm_ms1" -v l="$loop_ms" 'BEGIN {
  printf "ratio ipcguardctl/ipcrm-a: %.2f (target <= 2.00)\n", g / r
  printf "ratio shell-loop/ipcguardctl: %.1f\n", l / (g > 0 ? g : 1)
}'
INNER
