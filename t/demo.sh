#!/usr/bin/env bash
# make demo, make demo-crash, make demo-stop.
#
#   t/demo.sh start   a sandbox, an httpd that allocates like a real one, a
#                     kill -9 of the whole server, a second start; prints
#                     what that start removed (the error log's summary
#                     line), the URLs and the commands below
#   t/demo.sh crash   kill -9 of the whole server, a start, the new summary
#   t/demo.sh stop    a clean stop of httpd, then the sandbox goes: its
#                     namespaces (and with them every IPC object and the
#                     private /dev/shm) and its directory
#
# The sandbox is a namespace holder: pid 1 of its own PID namespace, with
# its own IPC and mount namespaces and a private tmpfs on /dev/shm, that
# outlives httpd, so a crashed server leaves real leftovers in it for the
# next start to find. httpd is started and killed inside it with nsenter.
# Everything httpd reads as the run User (the page it serves, the logs,
# the configuration) lives in $SANDBOX, outside the clone, so a clone in a
# directory that www-data cannot traverse works; only the modules stay in
# the clone (the parent loads them as root). The host's IPC objects,
# /dev/shm and /etc/apache2 are never touched. Processes are found through
# the pid files and the process tree and ended by pid.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
self=$repo/t/demo.sh
SANDBOX=/run/ipcguard-demo
APACHE2=/usr/sbin/apache2
MODDIR=/usr/lib/apache2/modules
APP_KEY=4242            # the application's keyed semaphore set
conf=$SANDBOX/httpd.conf
errlog=$SANDBOX/logs/error.log

die() {
  echo "demo: $*" >&2
  if [ -e "$SANDBOX/holder" ]; then
    echo "demo: 'make demo-stop' removes the sandbox" >&2
  fi
  exit 1
}

# ---- inside the sandbox (run through nsenter) ----------------------------

# The httpd parent's pid, if it runs: the pid file names a live apache2
# whose parent is the holder.
ns_parent() {
  local pid
  pid=$(cat "$SANDBOX/run/httpd.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$APACHE2" ] &&
    [ "$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null)" = 1 ] || return 1
  echo "$pid"
}

# @1 and all its descendants.
ns_tree() {
  local out=" $1 " changed=1 p
  while [ "$changed" = 1 ]; do
    changed=0
    for p in $(ps -eo pid=,ppid= | awk -v set="$out" 'index(set, " " $2 " ") && !index(set, " " $1 " ") { print $1 }'); do
      out="$out$p "
      changed=1
    done
  done
  # shellcheck disable=SC2086 # the words, without the padding
  echo $out
}

# The IPC objects and /dev/shm files in the sandbox, as a phrase.
ns_count() {
  local s m q f
  s=$(awk 'NR > 1' /proc/sysvipc/sem | wc -l)
  m=$(awk 'NR > 1' /proc/sysvipc/shm | wc -l)
  q=$(awk 'NR > 1' /proc/sysvipc/msg | wc -l)
  f=$(find /dev/shm -mindepth 1 -maxdepth 1 | wc -l)
  echo "$s semaphore sets, $m SysV segments, $q message queues, $f files in /dev/shm"
}

# kill -9 of the parent and every descendant at once, then wait (5 s at
# most) until the holder has reaped them all. Prints the pids.
ns_kill9() {
  local parent pids p
  parent=$(ns_parent) || { echo "no httpd runs" >&2; return 1; }
  pids=$(ns_tree "$parent")
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
  for _ in $(seq 1 50); do
    for p in $pids; do [ -e "/proc/$p" ] && break; p=""; done
    [ -z "$p" ] && { echo "$pids"; return 0; }
    sleep 0.1
  done
  echo "pids $pids still exist 5 s after kill -9" >&2
  return 1
}

# A clean stop (SIGTERM to the parent, 15 s at most), else kill -9.
ns_stop() {
  local parent
  parent=$(ns_parent) || return 0
  kill -TERM "$parent"
  for _ in $(seq 1 150); do
    [ -e "/proc/$parent" ] || return 0
    sleep 0.1
  done
  echo "httpd (pid $parent) did not stop within 15 s: kill -9" >&2
  ns_kill9 >/dev/null
}

case "${1:-}" in
  _parent) ns_parent; exit ;;
  _count) ns_count; exit ;;
  _kill9) ns_kill9; exit ;;
  _stop) ns_stop; exit ;;
esac

# ---- outside ---------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "needs root (namespaces and the httpd User switch)"

# A process's start time (stat field 22), against pid reuse.
starttime() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }

# The holder's pid if it runs (pid and start time as recorded).
holder() {
  local pid st
  [ -f "$SANDBOX/holder" ] || return 1
  read -r pid st _ < "$SANDBOX/holder"
  [ -n "$pid" ] && [ "$(starttime "$pid")" = "$st" ] || return 1
  echo "$pid"
}

in_ns() {
  nsenter --target "$HOLDER" --ipc --pid --mount -- "$@"
}

port() { cat "$SANDBOX/port"; }

where() {
  if [ "$PWD" = "$repo" ]; then echo "make $1"; else echo "make -C $repo $1"; fi
}

print_urls() {
  local p
  p=$(port)
  echo "URLs:"
  echo "  http://127.0.0.1:$p/"
  echo "  http://127.0.0.1:$p/ipc-status"
  echo "  http://127.0.0.1:$p/ipc-status?auto"
  echo "  http://127.0.0.1:$p/ipc-status?json"
  echo "  http://127.0.0.1:$p/ipc-status?metrics"
  echo "  http://127.0.0.1:$p/server-status"
  echo "error log: $errlog"
  echo "crash it again (kill -9 of the whole server, then a start):  $(where demo-crash)"
  echo "stop it and remove the sandbox:                              $(where demo-stop)"
}

answers() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(port)/ipc-status?auto")" = 200 ]
}

# Start httpd in the sandbox and wait (15 s at most) until it answers.
# Prints the error log's cleanup summary of this start, if it has one.
start_httpd() {
  local size
  size=$(stat -c %s "$errlog" 2>/dev/null || echo 0)
  if ! in_ns "$APACHE2" -f "$conf" -k start >>"$SANDBOX/logs/stdout.log" 2>&1 </dev/null; then
    tail -n 20 "$errlog" "$SANDBOX/logs/stdout.log" >&2 || true
    die "httpd did not start; see $errlog"
  fi
  for _ in $(seq 1 150); do
    if in_ns bash "$self" _parent >/dev/null && answers; then
      # the summary, then why anything was kept
      tail -c +"$((size + 1))" "$errlog" | grep -o 'ipcguard(021): .*' | tail -n 1 | sed 's/^/  /' || true
      tail -c +"$((size + 1))" "$errlog" | grep -oE 'ipcguard\(02[06]\): .*' | sed 's/^/    /' || true
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$errlog" >&2 || true
  die "httpd did not answer within 15 s; see $errlog"
}

# kill -9 of the whole server, then what it left behind.
crash() {
  local pids
  pids=$(in_ns bash "$self" _kill9) || die "the kill -9 failed"
  local parent=${pids%% *} below=""
  [ "$pids" != "$parent" ] && below=" and ${pids#* } below it"
  echo "kill -9 of the whole server (pids in the sandbox): the parent $parent (its pid file)$below"
  echo "  left behind in the sandbox: $(in_ns bash "$self" _count)"
}

# Make the sandbox and its holder.
make_sandbox() {
  local port ns
  port=${DEMO_PORT:-8089}
  in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  while in_use "$port" || in_use $((port + 1000)); do port=$((port + 1)); done
  rm -rf "$SANDBOX"
  mkdir -m 755 "$SANDBOX" "$SANDBOX/htdocs" "$SANDBOX/logs" "$SANDBOX/run"
  mkdir -m 700 "$SANDBOX/state"
  echo "$port" > "$SANDBOX/port"
  cat > "$SANDBOX/htdocs/index.html" <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mod_ipcguard demo</title></head>
<body><h1>mod_ipcguard demo</h1>
<p>This server was killed with <code>kill -9</code> and started again; the
start removed what the dead run left behind.</p>
<ul><li><a href="/ipc-status">/ipc-status</a> (<a href="/ipc-status?auto">?auto</a>,
<a href="/ipc-status?json">?json</a>, <a href="/ipc-status?metrics">?metrics</a>)</li>
<li><a href="/server-status">/server-status</a></li></ul></body></html>
HTML
  chmod 644 "$SANDBOX/htdocs/index.html"
  write_conf "$port"
  # the holder: pid 1 of the sandbox's PID namespace; it mounts the private
  # /dev/shm, then sleeps and reaps what httpd leaves to it
  # shellcheck disable=SC2016 # $1 is expanded by the holder
  setsid unshare --ipc --pid --fork --mount-proc --mount --propagation private \
    bash -c 'mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && : > "$1/ready" &&
             while :; do sleep 3600 & wait $!; done' holder "$SANDBOX" \
    </dev/null >"$SANDBOX/logs/holder.log" 2>&1 &
  ns=$!
  HOLDER=""
  for _ in $(seq 1 100); do
    HOLDER=$(ps -o pid= --ppid "$ns" | tr -d ' ')
    [ -n "$HOLDER" ] && [ -e "$SANDBOX/ready" ] && break
    kill -0 "$ns" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$HOLDER" ] || [ ! -e "$SANDBOX/ready" ]; then
    cat "$SANDBOX/logs/holder.log" >&2
    [ -n "$HOLDER" ] && kill -9 "$HOLDER" 2>/dev/null
    die "the sandbox did not come up"
  fi
  echo "$HOLDER $(starttime "$HOLDER") $ns $(starttime "$ns")" > "$SANDBOX/holder"
}

write_conf() {
  local port=$1 m=$MODDIR
  cat > "$conf" <<CONF
# mod_ipcguard demo (written by t/demo.sh): a server that allocates IPC
# objects the way real ones do
ServerRoot $SANDBOX
ServerName localhost
Listen 127.0.0.1:$port
Listen 127.0.0.1:$((port + 1000))
PidFile $SANDBOX/run/httpd.pid
DefaultRuntimeDir $SANDBOX/run
ErrorLog $errlog
LogLevel info
User www-data
Group www-data
StartServers 2
MinSpareServers 1
MaxSpareServers 4
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authz_host_module $m/mod_authz_host.so
LoadModule dir_module $m/mod_dir.so
LoadModule status_module $m/mod_status.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule proxy_module $m/mod_proxy.so
LoadModule proxy_http_module $m/mod_proxy_http.so
LoadModule proxy_balancer_module $m/mod_proxy_balancer.so
LoadModule slotmem_shm_module $m/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module $m/mod_lbmethod_byrequests.so
LoadModule auth_digest_module $m/mod_auth_digest.so
LoadModule cache_module $m/mod_cache.so
LoadModule socache_shmcb_module $m/mod_socache_shmcb.so
LoadModule cache_socache_module $m/mod_cache_socache.so
LoadModule ipcguard_module $repo/.libs/mod_ipcguard.so
# a stand-in for application code that makes a keyed semaphore set
LoadModule ipcg_test_module $repo/t/.libs/mod_ipcg_test.so

# SysV semaphores for every mutex (accept with two listeners, rewrite-map,
# proxy, balancer, auth_digest, the shmcb cache's), as older APRs do
Mutex sysvsem default
# named shared memory in /dev/shm: the scoreboard and the balancer's
# slotmem (shmcb takes anonymous memory when it can)
ScoreBoardFile $SANDBOX/run/scoreboard
CacheSocache "shmcb:$SANDBOX/run/cache(512000)"
CacheEnable socache /cached
<Proxy "balancer://pool">
    BalancerMember "http://127.0.0.1:9"
</Proxy>
ProxyPass "/app" "balancer://pool"
RewriteEngine On
RewriteMap echo "prg:/bin/cat"

IPCGuardStateDir $SANDBOX/state

# no .htaccess lookup anywhere; only the sandbox's htdocs is served
<Directory />
    AllowOverride None
    Require all denied
</Directory>
DocumentRoot $SANDBOX/htdocs
<Directory $SANDBOX/htdocs>
    Require local
    ForceType text/html
</Directory>
DirectoryIndex index.html
<Location /ipc-status>
    SetHandler ipc-status
    Require local
</Location>
<Location /server-status>
    SetHandler server-status
    Require local
</Location>
<Location /ipcg-test>
    SetHandler ipcg-test
    Require local
</Location>
CONF
}

# Have a child make the application's keyed set (it exits after the reply,
# so the parent registers the set at once), and wait (15 s at most) until
# the registry and so the state file have it.
app_set() {
  local url
  url="http://127.0.0.1:$(port)"
  curl -s -o /dev/null --max-time 5 "$url/ipcg-test?make=sem&key=$APP_KEY&semop=1&exit=1" ||
    die "the application's keyed set was not made"
  for _ in $(seq 1 150); do
    if curl -s --max-time 2 "$url/ipc-status?json" |
         jq -e ".objects | any(.kind == \"sysv-sem\" and .key == $APP_KEY and .class == \"application\")" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  die "the application's keyed set was not registered within 15 s"
}

cmd_start() {
  [ -f "$repo/.libs/mod_ipcguard.so" ] || die "$repo/.libs/mod_ipcguard.so is missing: run 'make' first"
  [ -f "$repo/t/.libs/mod_ipcg_test.so" ] || die "$repo/t/.libs/mod_ipcg_test.so is missing: run 'make' first"
  if HOLDER=$(holder); then
    if in_ns bash "$self" _parent >/dev/null && answers; then
      echo "the mod_ipcguard demo already runs (sandbox $SANDBOX)"
      print_urls
      return 0
    fi
    echo "the sandbox $SANDBOX runs without httpd: starting it"
    start_httpd
    print_urls
    return 0
  fi
  [ -e "$SANDBOX" ] && echo "removing the stale sandbox $SANDBOX (its holder is gone)"
  make_sandbox
  echo "mod_ipcguard demo: Debian's apache2 in a sandbox (private IPC, PID and mount namespaces, private /dev/shm) under $SANDBOX"
  start_httpd
  app_set
  echo "started; it allocated $(in_ns bash "$self" _count):"
  curl -s --max-time 5 "http://127.0.0.1:$(port)/ipc-status?json" | jq -r '
    [.objects[] | "\(.kind) of \(if .class == "application" then "the application" else .module end)"]
    | group_by(.) | map(if length > 1 then "\(length) \(.[0])" else .[0] end) | join(", ")' |
    fold -s -w 76 | sed 's/^/  /; s/ *$//'
  crash
  echo "started again; the error log says what this start removed and why:"
  start_httpd
  print_urls
}

cmd_crash() {
  HOLDER=$(holder) || die "no demo runs: start it with $(where demo)"
  if in_ns bash "$self" _parent >/dev/null; then
    crash
  else
    echo "httpd was not running in the sandbox"
  fi
  echo "started again; the error log says what this start removed and why:"
  start_httpd
  echo "see the page: http://127.0.0.1:$(port)/ipc-status"
}

cmd_stop() {
  local ns nsst ns_ipc p
  if ! HOLDER=$(holder); then
    if [ -e "$SANDBOX" ]; then
      rm -rf "$SANDBOX"
      echo "removed the stale sandbox $SANDBOX (no demo ran)"
    else
      echo "no demo runs"
    fi
    return 0
  fi
  in_ns bash "$self" _stop
  read -r _ _ ns nsst _ < "$SANDBOX/holder"
  ns_ipc=$(readlink "/proc/$HOLDER/ns/ipc")
  # the end of the holder ends its namespaces: the IPC objects in them and
  # the mounts (/dev/shm, /proc) go with them
  kill -9 "$HOLDER"
  for _ in $(seq 1 50); do
    if [ ! -e "/proc/$HOLDER" ] && { [ "$(starttime "$ns")" != "$nsst" ] || [ -z "$nsst" ]; }; then
      break
    fi
    sleep 0.1
  done
  [ -e "/proc/$HOLDER" ] && die "the holder (pid $HOLDER) did not end within 5 s"
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/ns/ipc" 2>/dev/null)" = "$ns_ipc" ]; then
      die "process ${p#/proc/} is still in the sandbox's namespaces"
    fi
  done
  rm -rf "$SANDBOX"
  echo "stopped httpd, ended the sandbox's namespaces (its IPC objects and mounts with them), removed $SANDBOX"
}

case "${1:-start}" in
  start) cmd_start ;;
  crash) cmd_crash ;;
  stop) cmd_stop ;;
  *) die "usage: $0 start|crash|stop" ;;
esac
