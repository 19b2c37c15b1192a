#!/bin/sh
# Runs each Check test binary given (TAP on stdout), prints its results
# and ends with one "N passed, N failed" line over all of them.
pass=0
failn=0
status=0
for bin in "$@"; do
  out=$("$bin" 2>&1)
  rc=$?
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
