#!/usr/bin/env bash
# The orphan pass at startup against ipcrm -a, in interleaved rounds, in
# one private set of namespaces (IPC, PID, mount, net; the test harness's
# sandbox). Each round, on a fresh N (default 10,000) www-data semaphore
# sets whose only pid is dead (build/mkstale: IPC_PRIVATE, one semaphore,
# SETVAL by a process that then exits, chowned to www-data), not recorded
# in any state file:
#   module      Debian's apache2 with mod_ipcguard, IPCGuardCleanup
#               orphans, no state file: the time its ?json reports as
#               cleanup.duration_us (read the tables, judge every set
#               with every proof, remove), checked to leave none
#   ipcrm -a    the unsafe lower bound, timed around the command
# The order alternates round by round. Prints the medians, the spread and
# the per-round ratio. Run as root:
#   bash bench/cleanup_orphans.sh [N] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
rounds=${2:-5}
if [ "$(id -u)" != 0 ]; then
  echo "bench/cleanup_orphans.sh: needs root (namespaces)" >&2
  exit 1
fi
if ! make -s -C "$here" all build/mkstale >/tmp/ipcg-bench-make.$$ 2>&1; then
  cat /tmp/ipcg-bench-make.$$ >&2
  rm -f /tmp/ipcg-bench-make.$$
  exit 1
fi
rm -f /tmp/ipcg-bench-make.$$
exec unshare --ipc --pid --fork --mount-proc --mount --net \
  --propagation private env IPCG_IN_NS=1 bash -s "$here" "$n" "$rounds" <<'INNER'
set -uo pipefail
here=$1 n=$2 rounds=$3
source "$here/t/harness.sh"
ipcg_sandbox
# room for the sets inside this namespace only
echo "250 1024000000 500 32000" > /proc/sys/kernel/sem
uid=$(id -u www-data) gid=$(id -g www-data)
sets() { awk 'NR > 1' /proc/sysvipc/sem | wc -l; }
make_sets() {
  local made
  made=$("$here/build/mkstale" "$n" "$T/not-a-state-file.$1" "$uid" "$gid")
  rm -f "$T/not-a-state-file.$1"
  if [ "$made" != "$n" ] || [ "$(sets)" != "$n" ]; then
    echo "bench: made $made sets, $(sets) exist; expected $n" >&2
    exit 1
  fi
}
WITH_TEST=0 httpd_conf a <<<"IPCGuardCleanup orphans"

module_round() {
  local json us left
  make_sets "m$1"
  httpd_start a || { echo "bench: httpd did not start" >&2; exit 1; }
  json=$(http a "/ipc-status?json")
  us=$(jq -r '.cleanup.duration_us' <<<"$json")
  left=$(sets)
  httpd_stop a
  if [ "$left" != 0 ]; then
    echo "bench: the orphan pass left $left of $n sets" >&2
    exit 1
  fi
  echo "$us"
}
ipcrm_round() {
  local t0 t1
  make_sets "r$1"
  t0=$(date +%s%N)
  ipcrm -a
  t1=$(date +%s%N)
  if [ "$(sets)" != 0 ]; then
    echo "bench: ipcrm -a left $(sets) sets" >&2
    exit 1
  fi
  echo $(( (t1 - t0) / 1000 ))
}

mod=() rm=()
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    m=$(module_round "$r") || exit 1
    i=$(ipcrm_round "$r") || exit 1
  else
    i=$(ipcrm_round "$r") || exit 1
    m=$(module_round "$r") || exit 1
  fi
  mod+=("$m") rm+=("$i")
  echo "round $r: module ${m} us, ipcrm -a ${i} us, ratio $(awk -v a="$m" -v b="$i" 'BEGIN { printf "%.2f", a / b }')"
done
awk -v m="${mod[*]}" -v r="${rm[*]}" -v n="$n" -v k="$rounds" '
function sort(a, c,   i, j, t) {
  for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) {
    t = a[j]; a[j] = a[j-1]; a[j-1] = t }
}
function med(a, c) { return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2 }
BEGIN {
  c = split(m, M, " "); split(r, R, " ")
  for (i = 1; i <= c; i++) Q[i] = M[i] / R[i]
  sort(M, c); sort(R, c); sort(Q, c)
  printf "orphan pass (%d sets, %d interleaved rounds): module %.1f ms " \
         "[%.1f-%.1f], ipcrm -a %.1f ms [%.1f-%.1f]\n", n, k,
         med(M, c) / 1000, M[1] / 1000, M[c] / 1000,
         med(R, c) / 1000, R[1] / 1000, R[c] / 1000
  printf "ratio module/ipcrm-a (orphans, per round): %.2f [%.2f-%.2f] " \
         "(target <= 2.00)\n", med(Q, c), Q[1], Q[c]
}'
INNER
