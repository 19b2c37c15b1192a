#!/usr/bin/env bash
# Start until serving, and a graceful restart until a new-generation child
# serves, of the same prefork server with and without the module, with 0,
# 1,000 and 10,000 semaphore sets of another program present. Interleaved
# rounds (with/without, then without/with), medians and the spread
# (min-max). Everything runs in private IPC, PID, mount and network
# namespaces with a private /dev/shm, on 127.0.0.1 only. Run as root:
#   bash bench/start.sh [ROUNDS]          (default 15 rounds)
#   COUNTS="0 10000" bash bench/start.sh  (other numbers of foreign sets)
#   STATE_FS=disk bash bench/start.sh     (the state directory on the disk
#                                          of /tmp; default: a tmpfs, as
#                                          /run/ipcguard is on a Debian host)
#   PRG_MAP=1 bash bench/start.sh         (with the tests' prg: RewriteMap,
#                                          whose end at a graceful restart
#                                          costs either server 47 ms at
#                                          random: docs/performance.md)
#   TEST_SETTINGS=1 bash bench/start.sh   (the module with the tests'
#                                          IPCGuardScanInterval 1 and
#                                          LogLevel ipcguard:debug; default:
#                                          the module's own defaults)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-15}
counts=${COUNTS:-0 1000 10000}
if [ "$(id -u)" != 0 ]; then
  echo "bench/start.sh: needs root (namespaces)" >&2
  exit 1
fi
case "$rounds" in ''|*[!0-9]*) echo "bench/start.sh: ROUNDS must be a number" >&2; exit 2 ;; esac
state_fs=${STATE_FS:-tmpfs}
case "$state_fs" in disk|tmpfs) ;; *) echo "bench/start.sh: STATE_FS must be disk or tmpfs" >&2; exit 2 ;; esac
prg_map=${PRG_MAP:-0}
case "$prg_map" in 0|1) ;; *) echo "bench/start.sh: PRG_MAP must be 0 or 1" >&2; exit 2 ;; esac
test_settings=${TEST_SETTINGS:-0}
case "$test_settings" in 0|1) ;; *) echo "bench/start.sh: TEST_SETTINGS must be 0 or 1" >&2; exit 2 ;; esac
build_log=$(mktemp /tmp/ipcg-bench-build.XXXXXX)
if ! make -s -C "$here" all build/mkstale >"$build_log" 2>&1; then
  cat "$build_log" >&2; rm -f "$build_log"; exit 1
fi
rm -f "$build_log"
exec unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
  env IPCG_IN_NS=1 ROUNDS="$rounds" COUNTS="$counts" STATE_FS="$state_fs" \
  NO_PRG_MAP=$((1 - prg_map)) TEST_SETTINGS="$test_settings" bash -s "$here" <<'INNER'
set -u
source "$1/bench/sandbox.sh" "$1"
echo "state directory: $STATE_FS; prg: RewriteMap: $([ "$NO_PRG_MAP" = 1 ] && echo no || echo yes); module settings: $([ "$TEST_SETTINGS" = 1 ] && echo "the tests'" || echo defaults)"

# the same server twice: with the module and without it
WITH_TEST=0 full_conf with
# the module as an operator installs it: the tests' configuration scans
# every second and logs the module's debug lines; both servers log at info
if [ "$TEST_SETTINGS" != 1 ]; then
  sed -i -e '/^LogLevel info ipcguard:debug$/d' -e '/^IPCGuardScanInterval /d' "$T/with/httpd.conf"
  if grep -q 'ipcguard:debug\|^IPCGuardScanInterval' "$T/with/httpd.conf"; then
    echo "bench: the tests' settings are still in $T/with/httpd.conf" >&2
    exit 1
  fi
fi
PORT[without]=${PORT[with]}
WITH_TEST=0 WITH_GUARD=0 full_conf without
port=${PORT[with]}

source "$1/bench/serving.sh"

sets() { awk 'NR > 1' /proc/sysvipc/sem | wc -l; }

# median and spread of the numbers on stdin
stats() {
  sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

# seconds between serving and the graceful restart
SETTLE=0.5
mkdir -m 700 "$T/foreign"
have=0
printf '%-7s %-8s %-26s %-26s\n' sets server "start ms: median (min-max)" "graceful ms: median (min-max)"
summary=""
for n in $COUNTS; do
  if [ "$n" -gt "$have" ]; then
    # another program's sets: uid 4242, a state file no server reads
    "$REPO/build/mkstale" $((n - have)) "$T/foreign/$n.state" 4242 4242 >/dev/null
    have=$n
  fi
  base=$(sets)
  for v in with without; do : > "$T/$v.start"; : > "$T/$v.graceful"; done
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="with without"; else order="without with"; fi
    for v in $order; do
      start "$v" || exit 1
      echo "$MS" >> "$T/$v.start"
      # a restart of a server that has settled, not of one still starting
      nap "$SETTLE"
      graceful || exit 1
      echo "$MS" >> "$T/$v.graceful"
      stop || exit 1
      left=$(sets)
      if [ "$left" != "$base" ]; then
        echo "bench: $v left $((left - base)) sets behind" >&2
        exit 1
      fi
    done
  done
  for v in with without; do
    read -r sm smin smax < <(stats < "$T/$v.start")
    read -r gm gmin gmax < <(stats < "$T/$v.graceful")
    printf '%-7s %-8s %-26s %-26s\n' "$n" "$v" "$sm ($smin-$smax)" "$gm ($gmin-$gmax)"
    eval "${v}_s=$sm ${v}_g=$gm"
  done
  summary+=$(awk -v n="$n" -v a="$with_s" -v b="$without_s" -v c="$with_g" -v d="$without_g" \
    'BEGIN { s = a / b; g = c / d
             printf "%s sets: start with/without %.2f x, graceful restart with/without %.2f x", n, s, g
             if (n == 10000)
               printf " (target <= 1.05 x, both): %s", (s <= 1.05 && g <= 1.05) ? "met" : "not met" }')$'\n'
done
echo "$ROUNDS rounds each; ratios of the medians, the goal at 10000 sets:"
printf '%s' "$summary"
INNER
