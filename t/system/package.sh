#!/usr/bin/env bash
# The package in the machine's real apache2, the way Debian runs it: install
# libapache2-mod-ipcguard, a2enmod, apache2ctl start, read /ipc-status,
# kill -9, start again, see the cleanup in the log and on the page; upgrade
# the package under the running server, graceful, kill -9, start; purge.
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
  if [ -n "${work:-}" ]; then rm -rf "$work"; fi
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
# the same package as a later version, for an upgrade under the running
# server (dpkg unpacks a new mod_ipcguard.so over the mapped one)
work=$(mktemp -d)
version=$(dpkg-deb -f "$deb" Version)
if ! { dpkg-deb -R "$deb" "$work/pkg" \
       && sed -i "s/^Version: .*/Version: $version+upgrade1/" "$work/pkg/DEBIAN/control" \
       && dpkg-deb -b "$work/pkg" "$work/upgrade.deb" >/dev/null; }; then
  echo "not ok - repack $deb as $version+upgrade1"; exit 1
fi
export UPGRADE_DEB=$work/upgrade.deb UPGRADE_VERSION=$version+upgrade1
unshare --ipc --pid --fork --mount-proc --mount --net --propagation private bash -s <<'INNER'
pass=0 failn=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
no() { failn=$((failn + 1)); echo "not ok - $*"; }
# show what a command printed, indented, so that nothing is thrown away unread
said() { [ -n "$1" ] && sed 's/^/#   /' <<<"$1"; return 0; }
mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -m 1777 /run/lock          # /var/lock, for apache2ctl
ip link set lo up
errlog=/var/log/apache2/error.log
lines0=$(wc -l < "$errlog" 2>/dev/null || echo 0)
pidfile=/run/apache2/apache2.pid
# The server's processes, found the way the module finds them: the parent
# from the pid file, then every descendant from the process tree (never by
# command name: mod_perl renames every process "/usr/sbin/apach").
server_pids() {
  local parent out changed=1 p
  parent=$(cat "$pidfile" 2>/dev/null) || return 0
  kill -0 "$parent" 2>/dev/null || return 0
  out=" $parent "
  while [ "$changed" = 1 ]; do
    changed=0
    for p in $(ps -eo pid=,ppid= | awk -v set="$out" 'index(set, " " $2 " ") && !index(set, " " $1 " ") { print $1 }'); do
      out="$out$p "
      changed=1
    done
  done
  echo $out
}
# wait_ended PIDS: until none of PIDS is left (10 s at most); $alive: those
# still there. Gone means reaped too: httpd takes a zombie parent for a
# live server (this shell is the namespace's init and reaps the orphans).
wait_ended() {
  local i p
  for i in $(seq 1 100); do
    alive=""
    for p in $1; do [ -d "/proc/$p" ] && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  return 1
}
page_pid() { curl -s --max-time 2 http://127.0.0.1/ipc-status?json | jq -r '.instance.pid // empty' 2>/dev/null; }
# wait_up [NOT_PID]: until /ipc-status answers from a parent other than
# NOT_PID that the pid file names (10 s at most)
wait_up() {
  local i got
  for i in $(seq 1 100); do
    got=$(page_pid)
    if [ -n "$got" ] && [ "$got" != "${1:-}" ] && [ "$got" = "$(cat "$pidfile" 2>/dev/null)" ]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
out=$(apache2ctl start 2>&1); rc=$?
if [ $rc = 0 ] && wait_up; then ok "apache2ctl start serves /ipc-status"
else no "apache2ctl start serves /ipc-status (exit $rc)"; said "$out"; fi
grep -qE 'ipcguard\(|\[ipcguard' <<<"$out" && { no "apache2ctl start prints nothing of the module's"; said "$out"; } \
  || ok "apache2ctl start prints nothing of the module's"
first=$(page_pid)
json=$(curl -s http://127.0.0.1/ipc-status?json)
n=$(jq '[.objects[] | select(.class == "instance" and .kind == "sysv-sem")] | length' <<<"$json")
[ "${n:-0}" -ge 1 ] && ok "the page lists the server's semaphore sets ($n)" || no "the page lists the server's sets: got '$n'"
# which modules this apache2 loads (mod_perl and mod_php change how its
# processes look)
mods=$(apache2ctl -M 2>&1 | awk '/_module/ { printf "%s ", $1 }')
echo "# loaded: $mods"
# kill -9 the whole server, by pid, and wait until every one is gone
pids=$(server_pids)
[ -n "$pids" ] && ok "the server's processes: $pids" || no "no server process found from $pidfile"
for p in $pids; do kill -9 "$p" 2>/dev/null; done
gone=0
wait_ended "$pids" && gone=1
[ "$gone" = 1 ] && ok "kill -9 ended every process of the server" || no "kill -9: still alive:$alive"
left=$(awk 'NR > 1' /proc/sysvipc/sem | wc -l)
[ "$gone" = 1 ] && [ "$left" -ge 1 ] && ok "kill -9 leaks $left sets" || no "kill -9 should leak sets (left $left, all gone: $gone)"
out=$(apache2ctl start 2>&1); rc=$?
if [ $rc = 0 ] && wait_up "$first"; then ok "apache2ctl start again after kill -9: a new parent ($(page_pid), was $first)"
else no "start after kill -9 (exit $rc; page pid $(page_pid), was $first)"; said "$out"; fi
grep -qi "already running" <<<"$out" && { no "the new start took the dead server for a live one"; said "$out"; }
new=$(tail -n +"$((lines0 + 1))" "$errlog")
grep -q "ipcguard(021): removed [0-9]* stale IPC object" <<<"$new" \
  && ok "the error log has the cleanup summary" || { no "the error log has no cleanup summary"; said "$(grep ipcguard <<<"$new" | tail -n 20)"; }
removed=$(curl -s http://127.0.0.1/ipc-status?json | jq .cleanup.removed_count)
[ "${removed:-0}" -ge 1 ] && [ "$removed" -ge "$left" ] && ok "the page shows the cleanup ($removed removed)" || no "the page shows removed_count $removed, leaked $left"
now=$(awk 'NR > 1' /proc/sysvipc/sem | wc -l)
[ "$now" -le "$n" ] && ok "the sets do not pile up ($now now, $n at the first start)" || no "sets pile up: $now now, $n at the first start"
# what operators run against a live server says nothing of the module's
# and changes nothing: the sets, the state directory
sets=$(awk 'NR > 1 { print $2, $NF }' /proc/sysvipc/sem | sort)
files=$(ls -l --time-style=+%s.%N /run/ipcguard 2>&1 | md5sum)
for form in "configtest" "-t -D DUMP_RUN_CFG" "-S" "-M" "-V" "start" "graceful"; do
  # shellcheck disable=SC2086
  out=$(apache2ctl $form 2>&1)
  if grep -qE 'ipcguard\(|\[ipcguard' <<<"$out"; then
    no "apache2ctl $form prints nothing of the module's"; said "$out"
  else ok "apache2ctl $form prints nothing of the module's"; fi
  if [ "$form" != graceful ]; then
    now=$(awk 'NR > 1 { print $2, $NF }' /proc/sysvipc/sem | sort)
    [ "$now" = "$sets" ] && [ "$(ls -l --time-style=+%s.%N /run/ipcguard 2>&1 | md5sum)" = "$files" ] \
      && ok "apache2ctl $form changes no set and no state file" \
      || no "apache2ctl $form changed the sets or the state directory"
  fi
done
# a package upgrade under the running server: dpkg's reload is refused
# here (policy-rc.d), so the operator's apache2ctl graceful loads the new
# file; the same parent keeps its record, and a kill -9 after it is
# cleaned up after as before
parent=$(page_pid)
gen=$(curl -s http://127.0.0.1/ipc-status?json | jq -r .instance.generation)
lines1=$(wc -l < "$errlog")
out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$UPGRADE_DEB" 2>&1) \
  && [ "$(dpkg-query -W -f='${Version}' libapache2-mod-ipcguard)" = "$UPGRADE_VERSION" ] \
  && ok "the package upgrades to $UPGRADE_VERSION under the running server" \
  || { no "dpkg -i of $UPGRADE_VERSION"; said "$out"; }
out=$(apache2ctl graceful 2>&1)
grep -qE 'ipcguard\(|\[ipcguard' <<<"$out" && { no "apache2ctl graceful after the upgrade prints nothing of the module's"; said "$out"; } \
  || ok "apache2ctl graceful after the upgrade prints nothing of the module's"
for i in $(seq 1 100); do
  now=$(curl -s --max-time 2 http://127.0.0.1/ipc-status?json | jq -r '.instance.generation // empty' 2>/dev/null)
  [ -n "$now" ] && [ "$now" != "$gen" ] && break
  sleep 0.1
done
[ "$(page_pid)" = "$parent" ] && [ -n "$now" ] && [ "$now" != "$gen" ] \
  && ok "the same parent serves a new generation after the upgrade (generation $gen, now $now)" \
  || no "after the upgrade: parent $(page_pid) (was $parent), generation ${now:-none} (was $gen)"
new=$(tail -n +"$((lines1 + 1))" "$errlog")
grep -q "ipcguard(115): /usr/lib/apache2/modules/mod_ipcguard.so was replaced" <<<"$new" \
  && ok "the error log says the replaced module file is let go (115)" \
  || { no "no 115 after the upgrade"; said "$(grep ipcguard <<<"$new")"; }
grep -qE '\[ipcguard:(warn|error|crit|alert|emerg)\]' <<<"$new" \
  && { no "the upgrade logs no warning or error of the module's"; said "$(grep ipcguard <<<"$new")"; } \
  || ok "the upgrade logs no warning or error of the module's"
sleep 1    # the generation's first full scan, then the page
json=$(curl -s http://127.0.0.1/ipc-status?json)
reg=$(jq -r '[.objects[] | select(.class == "instance" and .kind == "sysv-sem") | .id] | sort | join(" ")' <<<"$json")
kern=$(awk 'NR > 1 { print $2 }' /proc/sysvipc/sem | sort | tr '\n' ' ' | sed 's/ $//')
[ -n "$reg" ] && [ "$reg" = "$kern" ] && ok "after the upgrade the page lists every set, and only those ($reg)" \
  || no "after the upgrade: the page lists '$reg', the kernel has '$kern'"
pids=$(server_pids)
for p in $pids; do kill -9 "$p" 2>/dev/null; done
wait_ended "$pids"
left=$(awk 'NR > 1' /proc/sysvipc/sem | wc -l)
lines1=$(wc -l < "$errlog")
out=$(apache2ctl start 2>&1); rc=$?
if [ $rc = 0 ] && wait_up "$parent"; then ok "apache2ctl start after a kill -9 of the upgraded server"
else no "start after the upgraded server's kill -9 (exit $rc)"; said "$out"; fi
new=$(tail -n +"$((lines1 + 1))" "$errlog")
grep -qE "ipcguard\(021\): removed [0-9]+ stale IPC objects? \($left semaphore sets?[,)].* left by httpd pid $parent " <<<"$new" \
  && ok "that start removes the $left sets the upgraded server left" \
  || { no "that start does not clean up after the upgraded server ($left sets left)"; said "$(grep ipcguard <<<"$new")"; }
pids=$(server_pids)
out=$(apache2ctl graceful-stop 2>&1)
grep -qE 'ipcguard\(|\[ipcguard' <<<"$out" && { no "apache2ctl graceful-stop prints nothing of the module's"; said "$out"; } \
  || ok "apache2ctl graceful-stop prints nothing of the module's"
wait_ended "$pids"
[ -z "$alive" ] && ok "apache2ctl graceful-stop ends every process of the server" || no "apache2ctl graceful-stop: still alive:$alive"
left=$(awk 'NR > 1' /proc/sysvipc/sem | wc -l)
[ "$left" = 0 ] && ok "the stop leaves no set" || no "the stop leaves $left sets"
state=$(ls /run/ipcguard/*.state 2>/dev/null)
[ -z "$state" ] && ok "a clean stop removes the state file" || no "a clean stop left $state"
new=$(tail -n +"$((lines0 + 1))" "$errlog")
if grep -E 'Identifier removed|AH00144|AH00050|ipcguard\(107\)' <<<"$new"; then
  no "the error log shows no lost lock and no second server"
else ok "the error log shows no lost lock and no second server"; fi
# purge: the module's state directory goes with the package
dpkg --purge libapache2-mod-ipcguard >/dev/null 2>&1 \
  && ok "the package purges" || no "dpkg --purge libapache2-mod-ipcguard failed"
[ ! -e /run/ipcguard ] && ok "the purge removes /run/ipcguard" \
  || no "the purge left /run/ipcguard: $(ls -A /run/ipcguard 2>&1 | tr '\n' ' ')"
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
INNER
exit $?
