#!/usr/bin/env bash
# httpd's own test suite (the Apache perl-framework, httpd-tests) against
# Debian's apache2, twice: without mod_ipcguard, then with it loaded the way
# an operator loads it (a LoadModule line in the server's configuration,
# which the framework inherits like every other module's). The results are
# compared test file by test file: the module must change none of them.
#
# Not part of `make test`: it takes about twenty minutes on two cores and
# fetches the suite. Run as root:
#   bash t/system/httpd_suite.sh                 (clones httpd-tests)
#   HTTPD_TESTS=/path/to/httpd-tests bash t/system/httpd_suite.sh
#   bash t/system/httpd_suite.sh t/modules/info.t t/apache   (some tests)
#
# Apache::Test comes from Debian's libapache2-mod-perl2, unpacked into the
# temp directory, not installed (installing it would enable mod_perl in
# /etc/apache2). The base configuration loads every module Debian's apache2
# ships in mods-available (read, not changed) but the other MPMs, PHP and
# mod_perl, mod_fcgid and the heartbeat modules (which multicast). Each
# run's httpd runs as www-data (the framework refuses root) in private IPC,
# PID, mount and network namespaces with its own /dev/shm; nothing is left
# behind.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "httpd_suite: needs root (namespaces)" >&2; exit 1; }
for c in unshare runuser perl git apt-get dpkg apxs; do
  command -v "$c" >/dev/null || { echo "httpd_suite: needs $c (make deps)" >&2; exit 1; }
done
make -s -C "$repo" all >/dev/null || { echo "httpd_suite: the build failed" >&2; exit 1; }
# Apache::Test's requests go through LWP
if ! perl -MLWP::UserAgent -e 1 2>/dev/null; then
  apt-get install -y -qq --no-install-recommends libwww-perl >/dev/null \
    || { echo "httpd_suite: cannot install libwww-perl" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/ipcg-suite.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# Apache::Test, unpacked
( cd "$work" && apt-get download -q libapache2-mod-perl2 >/dev/null 2>&1 ) \
  || { echo "httpd_suite: apt-get download libapache2-mod-perl2 failed" >&2; exit 1; }
dpkg -x "$work"/libapache2-mod-perl2_*.deb "$work/mp"
at=$(find "$work/mp" -path '*/Apache/Test.pm' | head -n 1)
[ -n "$at" ] || { echo "httpd_suite: no Apache/Test.pm in libapache2-mod-perl2" >&2; exit 1; }
perl5lib=$(dirname "$(dirname "$at")")

# the suite
if [ -n "${HTTPD_TESTS:-}" ]; then
  [ -f "$HTTPD_TESTS/Makefile.PL" ] || { echo "httpd_suite: $HTTPD_TESTS is not httpd-tests" >&2; exit 1; }
  cp -a "$HTTPD_TESTS" "$work/src"
else
  git clone -q --depth 1 https://github.com/apache/httpd-tests "$work/src" \
    || { echo "httpd_suite: cannot clone httpd-tests (set HTTPD_TESTS)" >&2; exit 1; }
fi
rev=$(git -C "$work/src" log -1 --format='%h %cs' 2>/dev/null || echo "unknown revision")

# the base configuration: Debian's modules
{
  echo "ServerRoot /etc/apache2"
  for f in /etc/apache2/mods-available/*.load; do
    case $(basename "$f" .load) in
      mpm_event|mpm_worker|php*|perl|ipcguard|fcgid|heartbeat|heartmonitor|lbmethod_heartbeat) continue ;;
    esac
    sed -n 's/^[[:space:]]*\(LoadModule[[:space:]].*\)$/\1/p' "$f"
  done
} | awk '!seen[$0]++' > "$work/without.conf"
install -m 644 "$repo/.libs/mod_ipcguard.so" "$work/mod_ipcguard.so"
{ cat "$work/without.conf"; echo "LoadModule ipcguard_module $work/mod_ipcguard.so"; } > "$work/with.conf"

# run SIDE [TESTS...]: the suite in its own copy and namespaces; its
# output in $work/SIDE.log, one "FILE RESULT" line a test file in
# $work/SIDE.res
run() {
  local side=$1 d=$work/$1
  shift
  cp -a "$work/src" "$d"
  ( cd "$d" && PERL5LIB=$perl5lib perl Makefile.PL -apxs "$(command -v apxs)" \
      -httpd_conf "$work/$side.conf" -httpd /usr/sbin/apache2 >"$work/$side.setup.log" 2>&1 ) \
    || { echo "httpd_suite: Makefile.PL failed ($side); see below" >&2; tail -n 20 "$work/$side.setup.log" >&2; return 1; }
  chown -R www-data: "$d"
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
    bash -c 'mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && ip link set lo up || exit 2
             cd "$1" && shift
             timeout 2400 runuser -u www-data -- env PERL5LIB="$0" HOME="$PWD" t/TEST "$@"' \
    "$perl5lib" "$d" "$@" >"$work/$side.log" 2>&1
  # "t/x.t .... ok", "t/x.t .... skipped: why", or the name alone on its
  # line when it failed (the summary below it says how)
  sed -n -E 's/^(t\/[^ ]+\.t) \.+ ?(.*)$/\1 \2/p' "$work/$side.log" \
    | sed -E 's/ skipped: .*/ skipped/; s/ $/ failed/' | sort > "$work/$side.res"
  [ -s "$work/$side.res" ]
}

echo "# httpd-tests $rev, apache2 $(/usr/sbin/apache2 -v | sed -n 's/^Server version: //p')"
run without "$@" || { echo "not ok - the suite ran without the module"; tail -n 30 "$work/without.log"; exit 1; }
run with "$@" || { echo "not ok - the suite ran with the module"; tail -n 30 "$work/with.log"; exit 1; }

fail=0
n=$(wc -l < "$work/without.res")
for side in without with; do
  echo "# $side the module: $(awk '{ c[$2]++ } END { for (k in c) printf "%s %d, ", k, c[k] }' "$work/$side.res" | sed 's/, $//')"
  grep -E '^(Result|Files=)' "$work/$side.log" | sed 's/^/#   /'
done
both=$(awk '$2 == "failed" { print $1 }' "$work/without.res" | tr '\n' ' ')
echo "# failed without the module (the machine's, not the module's): ${both:-none}"
if grep -q 'LoadModule ipcguard_module' "$work/with/t/conf/httpd.conf" \
   && grep -q 'ipcguard' "$work/with/t/logs/error_log" 2>/dev/null; then
  echo "ok - the module was loaded in the second run (its configuration and error log name it)"
else
  echo "not ok - the module was not loaded in the second run"; fail=1
fi
if diff -u "$work/without.res" "$work/with.res" > "$work/diff"; then
  echo "ok - all $n test files end the same with and without the module"
else
  echo "not ok - test files that end otherwise with the module:"
  sed -n 's/^[-+]t/&/p' "$work/diff" | sed 's/^/#   /'
  fail=1
fi
bad=$(grep -E '\[ipcguard:(emerg|alert|crit|error|warn)\]' "$work/with/t/logs/error_log" 2>/dev/null)
if [ -z "$bad" ]; then
  echo "ok - the module logged no warning or error through the suite"
else
  echo "not ok - the module's warnings and errors in the suite's error log:"
  head -n 20 <<<"$bad" | while IFS= read -r l; do echo "#   $l"; done
  fail=1
fi
# each run's servers were in its PID namespace, which ended with it (the
# pid files hold pids of that namespace, not of this one): nothing started
# from the suite's copies may be left
left=$(pgrep -a -f -- "$work/" || true)
if [ -z "$left" ]; then
  echo "ok - no process of either run is left"
else
  echo "not ok - processes of the runs are left:"
  while IFS= read -r l; do echo "#   $l"; done <<<"$left"
  fail=1
fi
exit "$fail"
