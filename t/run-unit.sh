#!/bin/sh
# Runs each Check test binary given (TAP on stdout), prints its results
# and ends with one "N passed, N failed" line over all of them. Each binary
# gets a TMPDIR of its own, removed after it: a test that fails halfway
# skips its teardown, and what it made goes with that directory.
pass=0
failn=0
status=0
tmp=""
trap '[ -n "$tmp" ] && rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
for bin in "$@"; do
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipcg-unit-run.XXXXXX") || exit 1
  out=$(TMPDIR=$tmp "$bin" 2>&1)
  rc=$?
  rm -rf "$tmp"
  tmp=""
  echo "# $(basename "$bin")"
  echo "$out" | grep -E '^(not )?ok ' | sed 's/^/  /'
  p=$(echo "$out" | grep -c '^ok ')
  f=$(echo "$out" | grep -c '^not ok ')
  pass=$((pass + p))
  failn=$((failn + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "  not ok - $(basename "$bin") exited $rc"
    echo "$out" | tail -5 | sed 's/^/  # /'
    failn=$((failn + 1))
  fi
  [ "$rc" -ne 0 ] && status=1
done
echo "$pass passed, $failn failed"
exit $status
