#!/usr/bin/env bash
# The startup cleanup from a state file against ipcrm -a, in interleaved
# rounds, in one private IPC and PID namespace. Each round, on a fresh N
# (default 10,000) stale semaphore sets and the state file naming them
# (build/mkstale, see bench/cleanup.sh):
#   ipcguardctl clean   the module's startup cleanup with every proof on,
#                       timed around the command, checked to leave none
#   ipcrm -a            the unsafe lower bound, timed the same way
# The order alternates round by round. Prints the medians, the spread and
# the per-round ratio. IPCGUARDCTL=path measures another build. As root:
#   bash bench/cleanup_state.sh [N] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
rounds=${2:-5}
if [ "$(id -u)" != 0 ]; then
  echo "bench/cleanup_state.sh: needs root (namespaces)" >&2
  exit 1
fi
if ! make -s -C "$here" build/ipcguardctl build/mkstale >/tmp/ipcg-bench-make.$$ 2>&1; then
  cat /tmp/ipcg-bench-make.$$ >&2
  rm -f /tmp/ipcg-bench-make.$$
  exit 1
fi
rm -f /tmp/ipcg-bench-make.$$
ctl=${IPCGUARDCTL:-$here/build/ipcguardctl}
exec unshare --ipc --pid --fork --mount-proc bash -s "$here" "$n" "$rounds" "$ctl" <<'INNER'
set -uo pipefail
here=$1 n=$2 rounds=$3 ctl=$4
dir=$(mktemp -d /tmp/ipcg-bench.XXXXXX)
chmod 700 "$dir"
trap 'rm -rf "$dir"' EXIT
echo "250 1024000000 500 32000" > /proc/sys/kernel/sem
uid=$(id -u www-data) gid=$(id -g www-data)
sets() { awk 'NR > 1' /proc/sysvipc/sem | wc -l; }
make_sets() {
  local made
  made=$("$here/build/mkstale" "$n" "$dir/bench.state" "$uid" "$gid")
  if [ "$made" != "$n" ] || [ "$(sets)" != "$n" ]; then
    echo "bench: made $made sets, $(sets) exist; expected $n" >&2
    exit 1
  fi
}
ctl_round() {
  local t0 t1
  make_sets
  t0=$(date +%s%N)
  "$ctl" clean --state "$dir/bench.state" --state-dir "$dir" \
    --user www-data >/dev/null 2>&1
  t1=$(date +%s%N)
  if [ "$(sets)" != 0 ]; then
    echo "bench: ipcguardctl clean left $(sets) of $n sets" >&2
    exit 1
  fi
  echo $(( (t1 - t0) / 1000 ))
}
ipcrm_round() {
  local t0 t1
  make_sets
  rm -f "$dir/bench.state"
  t0=$(date +%s%N)
  ipcrm -a
  t1=$(date +%s%N)
  if [ "$(sets)" != 0 ]; then
    echo "bench: ipcrm -a left $(sets) sets" >&2
    exit 1
  fi
  echo $(( (t1 - t0) / 1000 ))
}
g=() rm=()
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    a=$(ctl_round) || exit 1
    b=$(ipcrm_round) || exit 1
  else
    b=$(ipcrm_round) || exit 1
    a=$(ctl_round) || exit 1
  fi
  g+=("$a") rm+=("$b")
  echo "round $r: ipcguardctl clean ${a} us, ipcrm -a ${b} us, ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
awk -v m="${g[*]}" -v r="${rm[*]}" -v n="$n" -v k="$rounds" '
function sort(a, c,   i, j, t) {
  for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) {
    t = a[j]; a[j] = a[j-1]; a[j-1] = t }
}
function med(a, c) { return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2 }
BEGIN {
  c = split(m, M, " "); split(r, R, " ")
  for (i = 1; i <= c; i++) Q[i] = M[i] / R[i]
  sort(M, c); sort(R, c); sort(Q, c)
  printf "state-file cleanup (%d sets, %d interleaved rounds): ipcguardctl " \
         "clean %.1f ms [%.1f-%.1f], ipcrm -a %.1f ms [%.1f-%.1f]\n", n, k,
         med(M, c) / 1000, M[1] / 1000, M[c] / 1000,
         med(R, c) / 1000, R[1] / 1000, R[c] / 1000
  printf "ratio ipcguardctl/ipcrm-a (state file, per round): %.2f " \
         "[%.2f-%.2f] (target <= 2.00)\n", med(Q, c), Q[1], Q[c]
}'
INNER
