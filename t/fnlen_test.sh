#!/bin/sh
# The function-length guard on made-up files: a function of exactly the
# limit passes, one line more fails and is named with its length, and a
# long function after a short one in the same file is still found.
set -u
guard=$(dirname "$0")/fnlen.sh
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT INT TERM
fail=0

# body LINES: a function body of LINES lines counting both braces
body() {
    echo "{"
    i=2
    while [ "$i" -lt "$1" ]; do echo "    x++;"; i=$((i + 1)); done
    echo "}"
}

{ echo "static int short_one(int x)"; body 100; } > "$dir/ok.c"
{ echo "int short_one(void)"; body 5; echo
  echo "static void"; echo "too_long(const char *a,"; echo "         int b)"
  body 101; } > "$dir/long.c"

if ! out=$(sh "$guard" "$dir/ok.c" 2>&1); then
    echo "fnlen: expected a 100-line function to pass, it failed: $out"; fail=1
fi
out=$(sh "$guard" "$dir/ok.c" "$dir/long.c" 2>/dev/null); rc=$?
if [ "$rc" -ne 1 ]; then
    echo "fnlen: expected exit 1 for a 101-line function, got $rc"; fail=1
fi
if [ "$out" != "$dir/long.c:too_long:101" ]; then
    echo "fnlen: expected \"$dir/long.c:too_long:101\", got \"$out\""; fail=1
fi
out=$(sh "$guard" -l 4 "$dir/long.c" 2>/dev/null)
if [ "$out" != "$(printf '%s\n%s' "$dir/long.c:short_one:5" "$dir/long.c:too_long:101")" ]; then
    echo "fnlen: expected both functions over a limit of 4, got \"$out\""; fail=1
fi
[ "$fail" -eq 0 ] && echo "fnlen: guard self-test passed"
exit "$fail"
