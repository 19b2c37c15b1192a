#!/usr/bin/env bash
# Runs every t/integration/*.sh (or those named) in its own IPC, PID,
# mount and network namespaces, as root, with a time limit each. Prints
# "ok N - name" / "not ok N - name" (with the test's output on failure)
# and a closing "N passed, N failed" line. A script that exits 0 without
# one "ok - " line made no checks and fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
  if [ -n "${CI:-}" ]; then
    echo "integration tests need root (namespaces), and CI must run them" >&2
    exit 1
  fi
  echo "############################################################"
  echo "# SKIP: integration tests need root (unshare namespaces)."
  echo "#       Run 'sudo make integration' to run them."
  echo "############################################################"
  exit 0
fi
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  tests=("$here"/integration/*.sh)
fi
# A test whose first lines say "# mpms: prefork worker event" runs once per
# MPM named (MPM=... in its environment), as "name[mpm]"; others run once.
runs=()
for t in "${tests[@]}"; do
  mpms=$(head -n 3 "$t" | sed -n 's/^# mpms: *//p')
  if [ -z "$mpms" ]; then
    runs+=("$t|")
  else
    for m in $mpms; do runs+=("$t|$m"); done
  fi
done
logdir=$(mktemp -d /tmp/ipcg-itest.XXXXXX)
trap 'rm -rf "$logdir"' EXIT
pass=0 failn=0 n=0
for run in "${runs[@]}"; do
  t=${run%|*}
  mpm=${run#*|}
  n=$((n + 1))
  name=$(basename "$t" .sh)${mpm:+[$mpm]}
  start=$(date +%s)
  timeout -k 5 "${IPCG_TEST_TIMEOUT:-300}" \
    unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
    env IPCG_IN_NS=1 ${mpm:+MPM=$mpm} bash "$t" >"$logdir/$name.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  asserts=$(grep -c '^ok - ' "$logdir/$name.log")
  if [ $rc -eq 0 ] && [ "$asserts" -eq 0 ]; then
    # a script that checks nothing proves nothing, whatever it exits with
    failn=$((failn + 1))
    echo "not ok $n - $name (exit 0 but no 'ok - ' line: it made no checks, ${secs}s)"
    sed 's/^/    /' "$logdir/$name.log" | tail -n 80
  elif [ $rc -eq 0 ]; then
    pass=$((pass + 1))
    echo "ok $n - $name ($asserts checks, ${secs}s)"
    grep '^# ' "$logdir/$name.log" | grep -v ' passed, ' | sed 's/^/    /'
  else
    failn=$((failn + 1))
    echo "not ok $n - $name (exit $rc, ${secs}s)"
    sed 's/^/    /' "$logdir/$name.log" | tail -n 80
  fi
done
echo "1..$n"
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
