#!/usr/bin/env bash
# What a graceful restart costs the parent, not only the time until a new
# child serves: its CPU time and its minor page faults per restart (from
# /proc/PID/stat before and after RESTARTS restarts, 0.3 s apart), for the
# same prefork server with and without the module, in turns, ROUNDS times;
# and, from the module's debug line, the time and page faults of each new
# generation's first full scan, which runs in the parent as soon as the
# first new child is forked. A page the parent first writes after a fork
# is a fault; on a virtual machine each can cost tens of microseconds.
# Everything runs in private IPC, PID, mount and network namespaces with
# a private /dev/shm, on 127.0.0.1 only. Run as root:
#   bash bench/restart_cost.sh            (ROUNDS=3 RESTARTS=10 SETS=0)
#   SETS=10000 bash bench/restart_cost.sh (with another program's sets)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench/restart_cost.sh: needs root (namespaces)" >&2
  exit 1
fi
for v in "${ROUNDS:=3}" "${RESTARTS:=10}" "${SETS:=0}"; do
  case "$v" in ''|*[!0-9]*) echo "bench/restart_cost.sh: ROUNDS, RESTARTS and SETS must be numbers" >&2; exit 2 ;; esac
done
build_log=$(mktemp /tmp/ipcg-bench-build.XXXXXX)
if ! make -s -C "$here" all build/mkstale >"$build_log" 2>&1; then
  cat "$build_log" >&2; rm -f "$build_log"; exit 1
fi
rm -f "$build_log"
exec unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
  env IPCG_IN_NS=1 NO_PRG_MAP=1 ROUNDS="$ROUNDS" RESTARTS="$RESTARTS" SETS="$SETS" \
  bash -s "$here" <<'INNER'
set -u
source "$1/bench/sandbox.sh" "$1"

# the module with its default scan interval, its debug lines on (for the
# first full scan's figures); the same server without it on the same port
WITH_TEST=0 full_conf with
sed -i -e '/^IPCGuardScanInterval /d' "$T/with/httpd.conf"
PORT[without]=${PORT[with]}
WITH_TEST=0 WITH_GUARD=0 full_conf without
port=${PORT[with]}
source "$1/bench/serving.sh"

if [ "$SETS" -gt 0 ]; then
  mkdir -m 700 "$T/foreign"
  "$REPO/build/mkstale" "$SETS" "$T/foreign/sets.state" 4242 4242 >/dev/null
fi
tck=$(getconf CLK_TCK)
# faults and CPU ticks of the parent so far: "minflt ticks"
parent_cost() {
  local a
  read -r -a a < <(sed 's/.*) //' "/proc/$PID/stat")
  echo "${a[7]} $(( a[11] + a[12] ))"
}
declare -A FLT CPU
echo "$SETS foreign sets; $RESTARTS graceful restarts a round, 0.3 s apart"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="with without"; else order="without with"; fi
  for v in $order; do
    start "$v" || exit 1
    nap 1.5
    read -r f0 c0 < <(parent_cost)
    for i in $(seq 1 "$RESTARTS"); do graceful || exit 1; nap 0.3; done
    read -r f1 c1 < <(parent_cost)
    stop || exit 1
    f=$(awk -v a="$f0" -v b="$f1" -v n="$RESTARTS" 'BEGIN { printf "%.1f", (b - a) / n }')
    c=$(awk -v a="$c0" -v b="$c1" -v n="$RESTARTS" -v t="$tck" 'BEGIN { printf "%.1f", (b - a) * 1000 / t / n }')
    FLT[$v]="${FLT[$v]:-} $f" CPU[$v]="${CPU[$v]:-} $c"
    echo "round $r, $v the module: $f page faults and $c ms of CPU a restart"
  done
done
for v in with without; do
  # shellcheck disable=SC2086
  echo "$v the module: $(median ${FLT[$v]}) page faults (spread $(spread ${FLT[$v]})), $(median ${CPU[$v]}) ms of CPU (spread $(spread ${CPU[$v]})) a restart"
done
scans=$(grep -o "full scan (the generation's first, child [0-9]* started): [0-9]* us, [0-9]* page faults" "$T/with/error.log" || true)
if [ -z "$scans" ]; then
  echo "bench/restart_cost.sh: no first full scan in $T/with/error.log" >&2
  exit 1
fi
us=$(awk '{ print $(NF-4) }' <<<"$scans" | tr '\n' ' ')
pf=$(awk '{ print $(NF-2) }' <<<"$scans" | tr '\n' ' ')
# shellcheck disable=SC2086
echo "the generation's first full scan, $(wc -l <<<"$scans") restarts: $(median $us) us (spread $(spread $us)), $(median $pf) page faults (spread $(spread $pf))"
INNER
