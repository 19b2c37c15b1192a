#!/usr/bin/env bash
# The parent's CPU while idle, with N foreign semaphore sets (default
# 10,000) and M files in /dev/shm (default 1,000): two event-MPM servers
# in the same private namespaces, one with the module (default scan
# interval, 10 s) and one without, measured over the same WINDOW seconds
# (default 60), ROUNDS times (default 5: with the 15 s the start is given
# to settle, the rounds span the first backstop full scan, which comes 30
# scans, five minutes, after the start). Both parents are measured in the
# same window, so whatever else loads the machine loads both alike.
# CPU time is the scheduler's (/proc/PID/task/*/schedstat, nanoseconds),
# as a percentage of one core. Prints each round, the medians with the
# spread (min-max), the difference over all rounds together (which counts
# the backstop scan in its share) and the median of the rounds'
# differences against its goal (at most 0.1% of a core). Run as root:
#   bash bench/idle.sh            (ROUNDS=5 WINDOW=60 SETS=10000 FILES=1000)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/idle.sh: needs root (namespaces)" >&2; exit 1; }
make -s -C "$here" all build/mkstale >/dev/null
exec unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
  env IPCG_IN_NS=1 HARNESS="$here/t/harness.sh" ROUNDS="${ROUNDS:-5}" \
  WINDOW="${WINDOW:-60}" SETS="${SETS:-10000}" FILES="${FILES:-1000}" \
  MKSTALE="$here/build/mkstale" STATS="$here/bench/stats.sh" bash -s <<'INNER'
source "$HARNESS"
ipcg_sandbox
source "$STATS"
echo "250 1024000000 500 32000" > /proc/sys/kernel/sem
# the foreign objects: another user's, made by a process that is gone
mkdir -p "$T/junk"
"$MKSTALE" "$SETS" "$T/junk/foreign.state" 65534 65534 >/dev/null
for i in $(seq 1 "$FILES"); do printf '%4096s' '' > "/dev/shm/bench.$i"; done
chown 65534:65534 /dev/shm/bench.*
echo "# $(awk 'NR>1' /proc/sysvipc/sem | wc -l) semaphore sets, $(ls /dev/shm | wc -l) files in /dev/shm"

MPM=event WITH_TEST=0 httpd_conf guarded <<<'LogLevel warn ipcguard:warn
IPCGuardScanInterval 10'
MPM=event WITH_TEST=0 WITH_GUARD=0 httpd_conf plain <<<'LogLevel warn'
httpd_start guarded || { echo "the server with the module did not start"; exit 1; }
httpd_start plain || { echo "the server without the module did not start"; exit 1; }
g=${PARENT[guarded]} p=${PARENT[plain]}
# cpu_ns PID: the CPU time of every thread of PID, nanoseconds
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }
# settle: the start's scans and the first monitor passes are not idle
sleep 15
gs=() ps=()
ga=$(cpu_ns "$g") pa=$(cpu_ns "$p") ta=$(date +%s%N)
for r in $(seq 1 "$ROUNDS"); do
  g0=$(cpu_ns "$g") p0=$(cpu_ns "$p") t0=$(date +%s%N)
  sleep "$WINDOW"
  g1=$(cpu_ns "$g") p1=$(cpu_ns "$p") t1=$(date +%s%N)
  gp=$(awk -v a="$g0" -v b="$g1" -v t="$((t1 - t0))" 'BEGIN { printf "%.4f", (b - a) * 100 / t }')
  pp=$(awk -v a="$p0" -v b="$p1" -v t="$((t1 - t0))" 'BEGIN { printf "%.4f", (b - a) * 100 / t }')
  gs+=("$gp") ps+=("$pp")
  echo "round $r: with module ${gp}% of a core, without ${pp}%, difference $(awk -v a="$gp" -v b="$pp" 'BEGIN { printf "%+.4f", a - b }')%"
done
gz=$(cpu_ns "$g") pz=$(cpu_ns "$p") tz=$(date +%s%N)
gm=$(median "${gs[@]}") pm=$(median "${ps[@]}")
ds=()
for i in "${!gs[@]}"; do ds+=("$(awk -v a="${gs[$i]}" -v b="${ps[$i]}" 'BEGIN { printf "%.4f", a - b }')"); done
echo "parent CPU, idle ${WINDOW} s, $SETS foreign sets + $FILES /dev/shm files:" \
     "with module median ${gm}% (spread $(spread "${gs[@]}")), without ${pm}% (spread $(spread "${ps[@]}"))"
awk -v g="$((gz - ga))" -v p="$((pz - pa))" -v t="$((tz - ta))" -v n="$ROUNDS" 'BEGIN {
  printf "all %d rounds together (the backstop scan counted in its share): module minus none %+.3f%% of a core\n",
         n, (g - p) * 100 / t }'
awk -v d="$(median "${ds[@]}")" -v s="$(spread "${ds[@]}")" 'BEGIN {
  printf "idle parent CPU, module minus none: %+.3f%% of a core (rounds %s) (target <= +0.100%%): %s\n",
         d, s, (d <= 0.1 ? "met" : "NOT met") }'
httpd_stop guarded; httpd_stop plain
ipcrm -a
INNER
