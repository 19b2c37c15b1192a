#!/usr/bin/env bash
# Runs the integration tests: every t/integration/*.sh in sorted order, or
# the scripts named as arguments. Each runs as root, as pid 1 of fresh IPC,
# PID, mount and network namespaces (t/lib.sh's ipcg_sandbox then mounts a
# private /dev/shm), so it can neither see nor touch the host's IPC
# objects, /dev/shm or ports, and ending it ends every process and object
# it made. Each has a time limit (IPCG_TEST_TIMEOUT, default 300 s).
#
# Prints "ok N - name" or "not ok N - name" (then the test's output) per
# test and ends with one line "N passed, N failed"; exits non-zero if any
# failed. Without root it skips loudly, unless CI is set: then it fails.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
timeout_s=${IPCG_TEST_TIMEOUT:-300}

if [ "$(id -u)" != 0 ]; then
  if [ -n "${CI:-}" ]; then
    echo "FAIL: integration tests need root (namespaces), and CI must run them" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "######################################################################"
  echo "# SKIP: integration tests need root (namespaces)."
  echo "#       Nothing was tested. Run them as root: sudo make integration"
  echo "######################################################################"
  exit 0
fi
for tool in unshare timeout mount ip ss curl ipcs; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL: $tool is missing (make deps installs what the tests need)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  # the glob sorts by name
  tests=("$here"/integration/*.sh)
  [ -e "${tests[0]}" ] || tests=()
fi

logdir=$(mktemp -d /tmp/ipcg-itest.XXXXXX) || exit 1
trap 'rm -rf -- "$logdir"' EXIT

# what a test must not be in: lib.sh refuses to run in these
host_ipcns=$(readlink /proc/self/ns/ipc)
host_mntns=$(readlink /proc/self/ns/mnt)

echo "1..${#tests[@]}"
pass=0 failed=0 n=0
for t in "${tests[@]}"; do
  n=$((n + 1))
  name=$(basename "$t" .sh)
  log=$logdir/$n.log
  srfile=$logdir/$n.sr
  start=$SECONDS
  # --kill-child: if timeout kills unshare, the test's pid 1 gets SIGKILL,
  # which ends its whole PID namespace
  timeout -k 5 "$timeout_s" \
    unshare --ipc --pid --fork --mount-proc --mount --net \
            --propagation private --kill-child \
    env IPCG_IN_NS=1 IPCG_HOST_IPCNS="$host_ipcns" \
        IPCG_HOST_MNTNS="$host_mntns" IPCG_SR_FILE="$srfile" \
    bash "$t" </dev/null >"$log" 2>&1
  rc=$?
  # a test killed before its EXIT trap leaves its ServerRoot: remove it
  if [ -s "$srfile" ]; then
    sr=$(cat "$srfile")
    case "$sr" in
      /tmp/ipcg-test.??????) [ -d "$sr" ] && rm -rf -- "$sr" ;;
    esac
  fi
  checks=$(grep -cE '^ok( [0-9]+)? - ' "$log")
  secs=$((SECONDS - start))
  if [ "$rc" -eq 0 ]; then
    pass=$((pass + 1))
    echo "ok $n - $name ($checks checks, ${secs} s)"
  else
    failed=$((failed + 1))
    why="exit $rc"
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && why="timed out after $timeout_s s (exit $rc)"
    echo "not ok $n - $name ($why, ${secs} s)"
    sed 's/^/    /' "$log" | tail -n 200
  fi
done
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
