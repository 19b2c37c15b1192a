#!/usr/bin/env bash
# make demo: a sandboxed httpd with the module on 127.0.0.1, in its own
# IPC, PID and mount namespaces with a private /dev/shm, so it touches
# neither the host's IPC objects nor /etc/apache2. Prints the URLs and
# how to stop it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
so=$repo/.libs/mod_ipcguard.so
if [ ! -f "$so" ]; then
  echo "demo: $so is missing: run 'make' first" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (namespaces and the httpd User switch)" >&2
  exit 1
fi
port=${DEMO_PORT:-8089}
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while in_use "$port" || in_use $((port + 1000)); do port=$((port + 1)); done
dir=$repo/t/tmp/demo
if [ -f "$repo/t/tmp/demo.pid" ] && kill -0 "$(cat "$repo/t/tmp/demo.pid")" 2>/dev/null; then
  echo "demo: already running (pid $(cat "$repo/t/tmp/demo.pid")); stop it with: kill $(cat "$repo/t/tmp/demo.pid")"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/run" "$dir/htdocs" "$dir/logs"
mkdir -m 700 "$dir/state"
chmod 755 "$repo/t/tmp" "$dir"
echo "<h1>mod_ipcguard demo</h1><a href=/ipc-status>/ipc-status</a>" > "$dir/htdocs/index.html"
m=/usr/lib/apache2/modules
cat > "$dir/httpd.conf" <<CONF
ServerRoot $dir
ServerName localhost
Listen 127.0.0.1:$port
Listen 127.0.0.1:$((port + 1000))
PidFile $dir/run/httpd.pid
DefaultRuntimeDir $dir/run
ErrorLog $dir/logs/error.log
LogLevel info
User www-data
Group www-data
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authz_host_module $m/mod_authz_host.so
LoadModule status_module $m/mod_status.so
LoadModule rewrite_module $m/mod_rewrite.so
LoadModule ipcguard_module $so
# force SysV semaphores, as older APRs and many distributions have them
Mutex sysvsem default
RewriteEngine On
RewriteMap echo prg:/bin/cat
DocumentRoot $dir/htdocs
IPCGuardStateDir $dir/state
<Location /ipc-status>
    SetHandler ipc-status
    Require local
</Location>
<Location /server-status>
    SetHandler server-status
    Require local
</Location>
CONF
chmod -R a+rX "$dir/htdocs"
setsid unshare --ipc --pid --fork --mount-proc --mount --propagation private \
  bash -c 'mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && exec /usr/sbin/apache2 -f "$1" -D FOREGROUND' \
  demo "$dir/httpd.conf" >"$dir/logs/stdout.log" 2>&1 < /dev/null &
ns=$!
pid=""
for _ in $(seq 1 100); do
  # httpd's parent is the namespace's first process: unshare's child
  pid=$(ps -o pid= --ppid "$ns" | tr -d ' ' | head -n 1)
  if [ -n "$pid" ] && curl -s -o /dev/null "http://127.0.0.1:$port/ipc-status"; then
    echo "$pid" > "$repo/t/tmp/demo.pid"
    echo "mod_ipcguard demo is running (sandboxed: private IPC namespace and /dev/shm)"
    echo "  http://127.0.0.1:$port/ipc-status"
    echo "  http://127.0.0.1:$port/ipc-status?auto   ?json   ?metrics"
    echo "  http://127.0.0.1:$port/server-status"
    echo "  error log: $dir/logs/error.log"
    echo "stop it with: kill $pid"
    exit 0
  fi
  if ! kill -0 "$ns" 2>/dev/null; then break; fi
  sleep 0.1
done
echo "demo: httpd did not start; see $dir/logs/error.log" >&2
tail -n 20 "$dir/logs/error.log" "$dir/logs/stdout.log" >&2 || true
[ -n "$pid" ] && kill "$pid" 2>/dev/null
exit 1
