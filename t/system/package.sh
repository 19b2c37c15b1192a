#!/usr/bin/env bash
# The package in the machine's real apache2, the way Debian runs it: install
# libapache2-mod-ipcguard, a2enmod, apache2ctl start, read /ipc-status,
# kill -9, start again, see the cleanup in the log and on the page; purge.
# It changes /etc/apache2 and the package database, so it runs only where
# IPCGUARD_TEST_SYSTEM=1 (CI's disposable machines). httpd itself runs in
# private IPC, PID, mount and network namespaces with its own /dev/shm and
# /run, so the host's IPC objects and ports are never touched.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${IPCGUARD_TEST_SYSTEM:-}" != 1 ]; then
  echo "# package test skipped: set IPCGUARD_TEST_SYSTEM=1 (it installs into /etc/apache2)"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "package test: needs root" >&2; exit 1; }
deb=$(ls "$repo"/build/deb/libapache2-mod-ipcguard_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "package test: run 'make deb' first" >&2; exit 1; }
if dpkg-query -W -f='${Status}' libapache2-mod-ipcguard 2>/dev/null | grep -q installed; then
  echo "package test: libapache2-mod-ipcguard is already installed here; refusing to touch it" >&2
  exit 1
fi
conf=/etc/apache2/conf-available/ipcguard-test.conf
# the package scripts must not (re)start the machine's own apache2
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() {
  a2disconf -q ipcguard-test >/dev/null 2>&1
  rm -f "$conf"
  a2dismod -q ipcguard >/dev/null 2>&1
  dpkg --purge libapache2-mod-ipcguard >/dev/null 2>&1
  if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
dpkg -i "$deb" >/dev/null 2>&1 || { echo "not ok - dpkg -i $deb"; exit 1; }
echo "ok - the package installs (and dh_apache2's postinst enables the module)"
a2enmod -q ipcguard >/dev/null
# force a SysV mutex, as older APRs and many distributions have them
cat > "$conf" <<'CONF'
Mutex sysvsem default
<IfModule !rewrite_module>
  LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
</IfModule>
RewriteEngine On
RewriteMap ipcguardtest prg:/bin/cat
CONF
a2enconf -q ipcguard-test >/dev/null
unshare --ipc --pid --fork --mount-proc --mount --net --propagation private bash -s <<'INNER'
pass=0 failn=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
no() { failn=$((failn + 1)); echo "not ok - $*"; }
mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -m 1777 /run/lock          # /var/lock, for apache2ctl
ip link set lo up
errlog=/var/log/apache2/error.log
lines0=$(wc -l < "$errlog" 2>/dev/null || echo 0)
wait_up() {
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null --max-time 2 http://127.0.0.1/ipc-status && return 0
    sleep 0.1
  done
  return 1
}
apache2ctl start >/dev/null 2>&1
wait_up && ok "apache2ctl start serves /ipc-status" || no "apache2ctl start serves /ipc-status"
json=$(curl -s http://127.0.0.1/ipc-status?json)
n=$(jq '[.objects[] | select(.class == "instance" and .kind == "sysv-sem")] | length' <<<"$json")
[ "${n:-0}" -ge 1 ] && ok "the page lists the server's semaphore sets ($n)" || no "the page lists the server's sets: got '$n'"
# kill -9 every apache2 of this namespace, by pid
for p in $(ps -eo pid=,comm= | awk '$2 == "apache2" { print $1 }'); do kill -9 "$p"; done
sleep 0.5
left=$(awk 'NR > 1' /proc/sysvipc/sem | wc -l)
[ "$left" -ge 1 ] && ok "kill -9 leaks $left sets" || no "kill -9 should leak sets"
apache2ctl start >/dev/null 2>&1
wait_up && ok "apache2ctl start again after kill -9" || no "start after kill -9"
new=$(tail -n +"$((lines0 + 1))" "$errlog")
grep -q "ipcguard(021): removed [0-9]* stale IPC object" <<<"$new" \
  && ok "the error log has the cleanup summary" || no "the error log has no cleanup summary"
removed=$(curl -s http://127.0.0.1/ipc-status?json | jq .cleanup.removed_count)
[ "${removed:-0}" -ge 1 ] && [ "$removed" -ge "$left" ] && ok "the page shows the cleanup ($removed removed)" || no "the page shows removed_count $removed, leaked $left"
apache2ctl stop >/dev/null 2>&1
for i in $(seq 1 100); do pgrep -x apache2 >/dev/null || break; sleep 0.1; done
pgrep -x apache2 >/dev/null && no "apache2ctl stop" || ok "apache2ctl stop"
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
INNER
exit $?
