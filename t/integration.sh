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
# launch N RUN: run one test in its namespaces; its output goes to
# $logdir/N.log, its exit status and seconds to $logdir/N.rc
launch() {
  local t=${2%|*} mpm=${2#*|} start rc
  start=$(date +%s)
  timeout -k 5 "${IPCG_TEST_TIMEOUT:-300}" \
    unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
    env IPCG_IN_NS=1 ${mpm:+MPM=$mpm} bash "$t" >"$logdir/$1.log" 2>&1
  rc=$?
  echo "$rc $(( $(date +%s) - start ))" > "$logdir/$1.rc"
}
# report N NAME: its "ok" or "not ok" line, from what launch left
report() {
  local rc secs asserts log=$logdir/$1.log
  read -r rc secs < "$logdir/$1.rc" || { rc=1 secs=0; }
  asserts=$(grep -c '^ok - ' "$log")
  if [ "$rc" -eq 0 ] && [ "$asserts" -eq 0 ]; then
    # a script that checks nothing proves nothing, whatever it exits with
    failn=$((failn + 1))
    echo "not ok $1 - $2 (exit 0 but no 'ok - ' line: it made no checks, ${secs}s)"
    sed 's/^/    /' "$log" | tail -n 80
  elif [ "$rc" -eq 0 ]; then
    pass=$((pass + 1))
    echo "ok $1 - $2 ($asserts checks, ${secs}s)"
    grep '^# ' "$log" | grep -v ' passed, ' | sed 's/^/    /'
  else
    failn=$((failn + 1))
    echo "not ok $1 - $2 (exit $rc, ${secs}s)"
    sed 's/^/    /' "$log" | tail -n 80
  fi
}
name_of() { local t=${1%|*} mpm=${1#*|}; echo "$(basename "$t" .sh)${mpm:+[$mpm]}"; }
# A test whose first lines say "# beside: yes" spends most of its run
# waiting on the clock (a leak of one set a second): it starts first, in
# the background, and is reported after the others, which run one at a
# time beside it. Each has its own namespaces, ports and files.
beside=() besidepids=()
for run in "${runs[@]}"; do
  n=$((n + 1))
  if head -n 3 "${run%|*}" | grep -q '^# beside: yes'; then
    launch "$n" "$run" &
    beside+=("$n|$(name_of "$run")")
    besidepids+=($!)
  fi
done
n=0
for run in "${runs[@]}"; do
  n=$((n + 1))
  head -n 3 "${run%|*}" | grep -q '^# beside: yes' && continue
  launch "$n" "$run"
  report "$n" "$(name_of "$run")"
done
for i in "${!beside[@]}"; do
  wait "${besidepids[$i]}"
  report "${beside[$i]%%|*}" "${beside[$i]#*|}"
done
echo "1..$n"
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
