#!/usr/bin/env bash
# The parent's cost per scan (the monitor hook's work) with 0, 1,000 and
# 10,000 semaphore sets, in one private IPC namespace: reading the
# kernel's tables, reconciling a registry holding every set, building the
# report, and the forecasts and class trends from a full history. Run as
# root:
#   bash bench/refresh.sh [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-50}
if [ "$(id -u)" != 0 ]; then
  echo "bench/refresh.sh: needs root (namespaces)" >&2
  exit 1
fi
make -s -C "$here" build/mkstale build/refresh >/dev/null
exec unshare --ipc --pid --fork --mount-proc bash -s "$here" "$rounds" <<'INNER'
set -euo pipefail
here=$1 rounds=$2
dir=$(mktemp -d /tmp/ipcg-bench.XXXXXX)
trap 'rm -rf "$dir"; ipcrm -a' EXIT
echo "250 1024000000 500 32000" > /proc/sys/kernel/sem
uid=$(id -u www-data) gid=$(id -g www-data)
"$here/build/refresh" "$rounds"
"$here/build/mkstale" 1000 "$dir/a.state" "$uid" "$gid" >/dev/null
"$here/build/refresh" "$rounds"
"$here/build/mkstale" 9000 "$dir/b.state" "$uid" "$gid" >/dev/null
"$here/build/refresh" "$rounds"
INNER
