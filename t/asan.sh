#!/usr/bin/env bash
# make test-asan: the core, the unit tests and the module built with
# AddressSanitizer and UndefinedBehaviorSanitizer; the unit tests run, and
# the integration tests run against the sanitized module with Debian's
# apache2 started with the sanitizer runtimes preloaded. Any report fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/build/asan
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
rm -rf "$out"
mkdir -p "$out/tree" "$out/logs"
chmod 1777 "$out/logs"
# apxs builds in place: build a copy, so the normal build stays as it is
cp -r "$repo"/mod_ipcguard.c "$repo"/mod_ipcguard_*.c \
      "$repo/mod_ipcguard_private.h" "$repo/mod_ipcguard.map" "$repo/src" \
      "$repo/include" "$repo/tools" \
      "$repo/Makefile" "$repo/t" "$out/tree/"
make -s -C "$out/tree" clean >/dev/null
make -s -C "$out/tree" module tool unit EXTRA_CFLAGS="$san" \
  EXTRA_LDFLAGS="-lasan -lubsan" UBSAN_OPTIONS=halt_on_error=1 \
  ASAN_OPTIONS=detect_leaks=1
cat > "$out/apache2" <<WRAP
#!/bin/sh
# the sanitizer runtimes first, then whatever the test preloads itself
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)\${LD_PRELOAD:+ \$LD_PRELOAD}"
# httpd keeps its pools until exit by design: leaks are not errors here
export ASAN_OPTIONS="detect_leaks=0:log_path=$out/logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$out/logs/ubsan"
exec /usr/sbin/apache2 "\$@"
WRAP
chmod 755 "$out/apache2"
APACHE2=$out/apache2 GUARD_SO=$out/tree/.libs/mod_ipcguard.so \
  bash "$repo/t/integration.sh" "$@"
if [ -n "$(ls -A "$out/logs")" ]; then
  echo "sanitizer reports:"
  cat "$out/logs"/*
  exit 1
fi
echo "no sanitizer report"
