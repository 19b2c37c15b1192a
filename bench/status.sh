#!/usr/bin/env bash
# /ipc-status?auto against /server-status?auto on one server under wrk,
# side by side, plus a static file with and without the module loaded.
# Loopback only, bounded (DURATION seconds per run). Run as root:
#   bash bench/status.sh
# With BEFORE_SO=/path/to/an/older/mod_ipcguard.so, also the HTML page of
# that module against this one, on two servers side by side, interleaved
# (ROUNDS rounds, default 3), so that both meet the same machine load.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/status.sh: needs root (namespaces)" >&2; exit 1; }
make -s -C "$here" all >/dev/null
exec unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
  env IPCG_IN_NS=1 HARNESS="$here/t/harness.sh" DURATION="${DURATION:-5}" \
  BEFORE_SO="${BEFORE_SO:-}" ROUNDS="${ROUNDS:-3}" bash -s <<'INNER'
source "$HARNESS"
ipcg_sandbox
d=${DURATION}
rate() { wrk -t2 -c16 -d"${d}s" "http://127.0.0.1:${PORT[$1]}$2" | awk '/Requests\/sec/ { printf "%d", $2 }'; }
WITH_TEST=0 httpd_conf guarded <<<'Mutex sysvsem default'
WITH_TEST=0 httpd_start guarded
WITH_TEST=0 WITH_GUARD=0 httpd_conf plain <<<'Mutex sysvsem default'
WITH_TEST=0 WITH_GUARD=0 httpd_start plain
ss=$(rate guarded "/server-status?auto")
ip=$(rate guarded "/ipc-status?auto")
js=$(rate guarded "/ipc-status?json")
ht=$(rate guarded "/ipc-status")
st_g=$(rate guarded "/index.html")
st_p=$(rate plain "/index.html")
echo "/server-status?auto: $ss req/s"
echo "/ipc-status?auto:    $ip req/s"
echo "/ipc-status?json:    $js req/s"
echo "/ipc-status (HTML):  $ht req/s"
echo "static, module loaded:     $st_g req/s"
echo "static, module not loaded: $st_p req/s"
awk -v a="$ip" -v b="$ss" -v c="$st_g" -v e="$st_p" 'BEGIN {
  printf "ratio ipc-status/server-status: %.2f (target >= 1.00)\n", a / b
  printf "ratio static with/without module: %.2f\n", c / e }'
if [ -n "$BEFORE_SO" ]; then
  WITH_TEST=0 GUARD_SO=$BEFORE_SO httpd_conf before <<<'Mutex sysvsem default'
  WITH_TEST=0 httpd_start before
  wait_scan before >/dev/null; wait_scan guarded >/dev/null
  for r in $(seq 1 "$ROUNDS"); do
    b=$(rate before "/ipc-status"); a=$(rate guarded "/ipc-status")
    echo "round $r: /ipc-status (HTML) before $b req/s, after $a req/s"
  done
  httpd_stop before
fi
# startup time with and without the module (10 starts each)
t0=$(date +%s%N); for i in $(seq 1 10); do httpd_stop guarded; httpd_start guarded; done; t1=$(date +%s%N)
for i in $(seq 1 10); do httpd_stop plain; httpd_start plain; done; t2=$(date +%s%N)
echo "stop+start x10, module loaded:     $(( (t1 - t0) / 10000000 )) ms each"
echo "stop+start x10, module not loaded: $(( (t2 - t1) / 10000000 )) ms each"
httpd_stop guarded; httpd_stop plain
INNER
