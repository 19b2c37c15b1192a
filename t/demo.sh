#!/usr/bin/env bash
# make demo: starts Debian's apache2 with this repository's mod_ipcguard on
# 127.0.0.1:8089 (or the next free port), in private IPC, PID and mount
# namespaces with a tmpfs of its own on /dev/shm, so that it neither sees
# nor touches the host's IPC objects, /dev/shm or /etc/apache2. It runs in
# the background, detached, until stopped with the printed kill command;
# its ServerRoot, configuration and logs are in t/tmp/demo/.
#
# Environment: MPM=prefork|worker|event (default prefork), DEMO_PORT (the
# first port to try, default 8089).
set -eu

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APACHE2=${APACHE2:-/usr/sbin/apache2}
MODDIR=${MODDIR:-/usr/lib/apache2/modules}
SO=$REPO/.libs/mod_ipcguard.so
TMP=$REPO/t/tmp
D=$TMP/demo
PIDFILE=$TMP/demo.pid
MPM=${MPM:-prefork}

die() { echo "demo: $*" >&2; exit 1; }

# the pid's process exists and runs apache2
is_demo_httpd() {
  [ -n "$1" ] && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$APACHE2" ]
}

[ "$(id -u)" = 0 ] || die "needs root (it runs httpd in namespaces of its own)"
[ -f "$SO" ] || die "$SO does not exist: build the module first ('make')"
[ -x "$APACHE2" ] || die "$APACHE2 is missing: 'make deps' installs apache2"
case "$MPM" in prefork|worker|event) ;; *) die "MPM must be prefork, worker or event" ;; esac

mkdir -p "$TMP"
if [ -f "$PIDFILE" ]; then
  old=$(cat "$PIDFILE")
  if is_demo_httpd "$old"; then
    echo "The demo is already running: http://127.0.0.1:$(cat "$D/port" 2>/dev/null)/ipc-status"
    echo "Stop it with: kill $old"
    exit 0
  fi
  rm -f "$PIDFILE"
fi

# the first port from 8089 that nothing listens on
port=""
first=${DEMO_PORT:-8089}
for ((p = first; p < first + 100; p++)); do
  if [ -z "$(ss -Htln "sport = :$p")" ]; then port=$p; break; fi
done
[ -n "$port" ] || die "no free port in $first..$((first + 99))"

rm -rf "$D"
mkdir -p "$D/logs" "$D/run" "$D/htdocs"
mkdir -m 700 "$D/state"
chmod 755 "$D"
echo "$port" > "$D/port"
cat > "$D/map.sh" <<'MAP'
#!/bin/sh
# a RewriteMap prg: program, as in the incident's configuration
while read -r line; do echo "$line"; done
MAP
chmod 755 "$D/map.sh"
cat > "$D/htdocs/index.html" <<HTML
<!DOCTYPE html>
<title>mod_ipcguard demo</title>
<p><a href="/ipc-status">/ipc-status</a> (<a href="/ipc-status?auto">?auto</a>,
<a href="/ipc-status?json">?json</a>, <a href="/ipc-status?metrics">?metrics</a>)
and <a href="/server-status">/server-status</a></p>
HTML

cat > "$D/httpd.conf" <<CONF
# The mod_ipcguard demo (t/demo.sh). Debian's apache2, run directly: no
# /etc/apache2, no envvars, everything below is explicit.
ServerRoot $D
ServerName localhost
Listen 127.0.0.1:$port
PidFile $D/run/httpd.pid
DefaultRuntimeDir $D/run
ErrorLog $D/logs/error.log
LogLevel info
User www-data
Group www-data

LoadModule mpm_${MPM}_module $MODDIR/mod_mpm_${MPM}.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule authz_host_module $MODDIR/mod_authz_host.so
LoadModule status_module $MODDIR/mod_status.so
LoadModule rewrite_module $MODDIR/mod_rewrite.so
LoadModule ipcguard_module $SO

DocumentRoot $D/htdocs

# Something for the page to show, as on the incident's servers: a SysV
# semaphore set for mod_rewrite's prg: map from "Mutex sysvsem" (prefork
# takes an accept mutex only with two Listen lines), and a scoreboard
# named in /dev/shm.
Mutex sysvsem default
RewriteEngine On
RewriteMap echo "prg:$D/map.sh"
ScoreBoardFile $D/run/scoreboard

# The state directory is the demo's own, not the host's /run/ipcguard.
IPCGuardStateDir $D/state
IPCGuardScanInterval 5

<Location /ipc-status>
    SetHandler ipc-status
    Require local
</Location>
<Location /server-status>
    SetHandler server-status
    Require local
</Location>
CONF

# Start detached: setsid (no controlling terminal), nohup, no inherited
# descriptors. unshare --fork makes the command pid 1 of the new PID
# namespace: a shell that mounts the private /dev/shm and then becomes
# apache2. The outer shell writes its own pid first, since $! is not it
# when setsid has to fork.
outer=$D/run/unshare.pid
setsid sh -c 'echo $$ > "$1"; shift; exec nohup "$@"' sh "$outer" \
  unshare --ipc --pid --fork --mount-proc --mount --propagation private \
          --kill-child=TERM \
  sh -c 'mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && exec "$@"' sh \
  "$APACHE2" -f "$D/httpd.conf" -D FOREGROUND \
  </dev/null >>"$D/logs/stdout.log" 2>&1 &

# httpd's parent, seen from here: the child of unshare once it runs apache2
unshare_pid="" httpd_pid=""
for ((i = 0; i < 100; i++)); do
  [ -z "$unshare_pid" ] && [ -s "$outer" ] && unshare_pid=$(cat "$outer")
  if [ -n "$unshare_pid" ]; then
    for c in $(cat "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null); do
      is_demo_httpd "$c" && httpd_pid=$c
    done
  fi
  [ -n "$httpd_pid" ] && break
  sleep 0.1
done

fail_start() {
  echo "demo: $*" >&2
  echo "---- $D/logs/error.log (last lines)" >&2
  tail -n 20 "$D/logs/error.log" 2>/dev/null >&2 || true
  echo "---- $D/logs/stdout.log" >&2
  tail -n 10 "$D/logs/stdout.log" 2>/dev/null >&2 || true
  if [ -n "$httpd_pid" ]; then kill -9 "$httpd_pid" 2>/dev/null || true; fi
  exit 1
}
[ -n "$httpd_pid" ] || fail_start "apache2 did not start within 10 s"

# wait (10 s) until it answers
up=""
for ((i = 0; i < 100; i++)); do
  is_demo_httpd "$httpd_pid" || fail_start "apache2 exited during startup"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
         "http://127.0.0.1:$port/ipc-status?auto" || true)
  if [ "$code" = 200 ]; then up=1; break; fi
  sleep 0.1
done
[ -n "$up" ] || fail_start "no answer from /ipc-status within 10 s (last status $code)"

echo "$httpd_pid" > "$PIDFILE"
cat <<EOF
mod_ipcguard demo: $("$APACHE2" -v | sed -n 's/^Server version: //p'), MPM $MPM,
in private IPC, PID and mount namespaces (its own /dev/shm):

  http://127.0.0.1:$port/ipc-status
  http://127.0.0.1:$port/ipc-status?auto   ?json   ?metrics   ?refresh=5
  http://127.0.0.1:$port/server-status     (with the module's IPC section)

  configuration and logs: $D/  (error log: $D/logs/error.log)

Stop it with: kill $httpd_pid
  (httpd's parent, pid 1 of the demo's namespaces, which end with it;
   the pid is also in $PIDFILE)
EOF
