# Integration-test harness, sourced by t/integration/*.sh.
#
# Each test runs inside its own IPC, PID, mount and network namespaces
# (t/integration.sh starts it with unshare): ending the test ends every
# process it started and every IPC object it made. ipcg_sandbox mounts a
# private tmpfs on /dev/shm and brings up loopback; ports are then private
# to the test. Every wait is bounded; processes are ended by pid only.
#
# Instances: httpd_conf NAME writes $T/NAME/httpd.conf (extra directives on
# stdin); httpd_start NAME runs Debian's apache2 -D FOREGROUND on it.
# Knobs (environment, per call): MPM=prefork|worker|event,
# WITH_GUARD=1|0 (load mod_ipcguard), WITH_TEST=1|0 (load the test module),
# STATE_DIR=DIR|default (IPCGuardStateDir; default: $T/state; "default":
# no directive), RUN_AS=UID (httpd_conf gives $T/NAME to uid:gid UID, and
# httpd_start and friends start httpd as that user, never root: numeric
# ids need no passwd entry).

set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APACHE2=${APACHE2:-/usr/sbin/apache2}
MODDIR=/usr/lib/apache2/modules
GUARD_SO=${GUARD_SO:-$REPO/.libs/mod_ipcguard.so}
TEST_SO=$REPO/t/.libs/mod_ipcg_test.so
CTL=$REPO/build/ipcguardctl
T=""
PASSED=0
FAILED=0
NEXT_PORT=18080
declare -A PORT PARENT

# ---- assertions ---------------------------------------------------------

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check_eq DESC EXPECTED GOT
check_eq() {
  if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
# check_match DESC REGEX TEXT
check_match() {
  if grep -Eq -- "$2" <<<"$3"; then ok "$1"
  else fail "$1: expected a match for /$2/ in: $(head -c 600 <<<"$3")"; fi
}
# check_nomatch DESC REGEX TEXT
check_nomatch() {
  if grep -Eq -- "$2" <<<"$3"; then
    fail "$1: /$2/ should not appear in: $(grep -E -- "$2" <<<"$3" | head -3)"
  else ok "$1"; fi
}
# check_cmp DESC A OP B   (numeric: -eq -lt -le -gt -ge -ne)
check_cmp() {
  if [ "$2" "$3" "$4" ] 2>/dev/null; then ok "$1"
  else fail "$1: expected $2 $3 $4"; fi
}

finish() {
  echo "# $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# ---- the sandbox --------------------------------------------------------

ipcg_sandbox() {
  # the runner starts each test as pid 1 of fresh namespaces
  if [ "${IPCG_IN_NS:-}" != 1 ] || [ "$$" != 1 ]; then
    echo "harness: refusing to run outside the test namespaces" >&2
    exit 2
  fi
  mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm || exit 2
  ip link set lo up || exit 2
  T=$(mktemp -d /tmp/ipcg-test.XXXXXX)
  chmod 755 "$T"
  mkdir -m 700 "$T/state"
  trap 'rm -rf "$T"' EXIT
}

# ---- instances ----------------------------------------------------------

# httpd_conf NAME: writes $T/NAME/httpd.conf; stdin adds directives.
httpd_conf() {
  local name=$1 d=$T/$1 mpm=${MPM:-prefork} extra=""
  if [ ! -t 0 ]; then extra=$(cat); fi
  mkdir -p "$d/run" "$d/htdocs" "$d/logs"
  echo "hello from $name" > "$d/htdocs/index.html"
  if [ -z "${PORT[$name]:-}" ]; then
    PORT[$name]=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 10))
  fi
  {
    echo "ServerRoot $d"
    echo "ServerName localhost"
    echo "Listen 127.0.0.1:${PORT[$name]}"
    echo "PidFile $d/run/httpd.pid"
    echo "DefaultRuntimeDir $d/run"
    echo "ErrorLog $d/error.log"
    echo "LogLevel info"
    echo "User www-data"
    echo "Group www-data"
    echo "LoadModule mpm_${mpm}_module $MODDIR/mod_mpm_${mpm}.so"
    echo "LoadModule authz_core_module $MODDIR/mod_authz_core.so"
    echo "LoadModule authz_host_module $MODDIR/mod_authz_host.so"
    echo "LoadModule status_module $MODDIR/mod_status.so"
    echo "DocumentRoot $d/htdocs"
    echo "StartServers 2"
    if [ "$mpm" = prefork ]; then
      echo "MinSpareServers 1"
      echo "MaxSpareServers 4"
    else
      echo "ThreadsPerChild 4"
      echo "MinSpareThreads 4"
      echo "MaxSpareThreads 16"
      echo "ServerLimit 4"
      echo "MaxRequestWorkers 16"
    fi
    echo "GracefulShutdownTimeout 5"
    echo "<Location /server-status>"
    echo "  SetHandler server-status"
    echo "</Location>"
    if [ "${WITH_TEST:-1}" = 1 ]; then
      echo "LoadModule ipcg_test_module $TEST_SO"
      echo "<Location /ipcg-test>"
      echo "  SetHandler ipcg-test"
      echo "</Location>"
    fi
    if [ "${WITH_GUARD:-1}" = 1 ]; then
      echo "LoadModule ipcguard_module $GUARD_SO"
      echo "LogLevel info ipcguard:debug"
      if [ "${STATE_DIR:-}" != default ]; then
        echo "IPCGuardStateDir ${STATE_DIR:-$T/state}"
      fi
      echo "IPCGuardScanInterval 1"
      echo "<Location /ipc-status>"
      echo "  SetHandler ipc-status"
      echo "</Location>"
    fi
    echo "$extra"
  } > "$d/httpd.conf"
  if [ -n "${RUN_AS:-}" ]; then
    chown -R "$RUN_AS:$RUN_AS" "$d"
  fi
}

# The words that make the next command run as RUN_AS (numeric, no spaces;
# none when it is unset): setpriv execs, so the pid is httpd's.
run_as_prefix() {
  if [ -n "${RUN_AS:-}" ]; then
    echo "setpriv --reuid=$RUN_AS --regid=$RUN_AS --clear-groups --"
  fi
}
# AS_USER: the words of run_as_prefix, set in this shell before a server
# is started in the background. A command substitution inside the
# background command would run in a child of that job, where ns_start
# could take it for pid 1 of the namespace.
as_user() {
  read -r -a AS_USER <<<"$(run_as_prefix)"
}

errlog() { cat "$T/$1/error.log" 2>/dev/null; }

http() {
  curl -sS --max-time 5 "http://127.0.0.1:${PORT[$1]}$2"
}

http_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:${PORT[$1]}$2"
}

# first_scan NAME: the module reads the kernel's tables for the first time
# once the server serves, and /ipc-status answers only after that (it
# waits up to 10 s): one request to it waits for that scan, so that what
# the scan logs and publishes is there. Without the module or its handler
# the request ends at once.
first_scan() {
  curl -s -o /dev/null --max-time 12 "http://127.0.0.1:${PORT[$1]}/ipc-status?auto" || true
}

# httpd_start NAME: start in the foreground (as a child of this shell) and
# wait, at most 15 s, until it answers. Returns 1 (and shows the log) if
# it exited or never answered.
httpd_start() {
  local name=$1 i
  as_user
  setsid "${AS_USER[@]}" "$APACHE2" -f "$T/$name/httpd.conf" -D FOREGROUND >>"$T/$name/stdout.log" 2>&1 &
  PARENT[$name]=$!
  for i in $(seq 1 150); do
    if ! kill -0 "${PARENT[$name]}" 2>/dev/null; then
      wait "${PARENT[$name]}" 2>/dev/null
      echo "# $name exited during startup; error log:"
      tail -n 15 "$T/$name/error.log" 2>/dev/null | sed 's/^/#   /'
      tail -n 5 "$T/$name/stdout.log" 2>/dev/null | sed 's/^/#   /'
      PARENT[$name]=""
      return 1
    fi
    if [ "$(http_code "$name" /index.html)" = 200 ]; then
      first_scan "$name"
      return 0
    fi
    sleep 0.1
  done
  echo "# $name did not answer within 15 s"
  return 1
}

# httpd_start_fails NAME: start and expect an exit within 15 s; the exit
# status is returned (0 would mean it did not start and exited cleanly).
httpd_expect_exit() {
  local name=$1 pid i
  as_user
  setsid "${AS_USER[@]}" "$APACHE2" -f "$T/$name/httpd.conf" -D FOREGROUND >>"$T/$name/stdout.log" 2>&1 &
  pid=$!
  for i in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      return 0
    fi
    sleep 0.1
  done
  PARENT[$name]=$pid
  return 1
}

# The pids of @1 and all its descendants.
tree_pids() {
  local root=$1 p out="$1" changed=1
  while [ "$changed" = 1 ]; do
    changed=0
    for p in $(ps -eo pid=,ppid= | awk -v set=" $out " '{ if (index(set, " " $2 " ") && !index(set, " " $1 " ")) print $1 }'); do
      out="$out $p"
      changed=1
    done
  done
  echo "$out"
}

children_of() {
  ps -eo pid=,ppid= | awk -v p="$1" '$2 == p { print $1 }'
}

wait_gone() {
  local pid=$1 i
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# httpd_kill9_tree NAME: kill -9 the parent and every descendant.
httpd_kill9_tree() {
  local name=$1 pids p
  pids=$(tree_pids "${PARENT[$name]}")
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  wait "${PARENT[$name]}" 2>/dev/null
  for p in $pids; do wait_gone "$p"; done
  PARENT[$name]=""
}

# httpd_kill9_parent NAME: kill -9 the parent only; children live on.
httpd_kill9_parent() {
  local name=$1
  kill -9 "${PARENT[$name]}"
  wait "${PARENT[$name]}" 2>/dev/null
  PARENT[$name]=""
}

# httpd_stop NAME: SIGTERM, wait for the exit (15 s), else kill -9.
httpd_stop() {
  local name=$1 pid=${PARENT[$1]}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  if ! wait_gone "$pid"; then
    echo "# $name did not stop within 15 s: kill -9"
    httpd_kill9_tree "$name"
    return 1
  fi
  wait "$pid" 2>/dev/null
  PARENT[$name]=""
}

# The configuration generation the module reports.
generation() {
  http "$1" "/ipc-status?auto" 2>/dev/null | awk -F': ' '$1 == "Generation" { print $2 }'
}

# The configuration generation mod_status reports (for a server without
# the module, or one that does not have it yet).
status_gen() {
  http "$1" "/server-status?auto" | awk -F': ' '$1 == "ParentServerConfigGeneration" { print $2 }'
}

# status_restart NAME USR1|HUP: signal the parent, wait (15 s at most)
# until mod_status shows a new generation (for a server that gets the
# module at that restart, or loses it)
status_restart() {
  local name=$1 gen now=""
  gen=$(status_gen "$name")
  kill -"$2" "${PARENT[$name]}"
  for _ in $(seq 1 150); do
    sleep 0.1
    now=$(status_gen "$name")
    [ -n "$now" ] && [ "$now" != "$gen" ] && return 0
  done
  return 1
}

# httpd_signal_restart NAME USR1|HUP: wait until the new generation runs
# (the parent is pid 1 of the namespace of a server that ns_start started).
httpd_signal_restart() {
  local name=$1 sig=$2 before i
  before=$(generation "$name")
  kill -"$sig" "${NSINIT[$name]:-${PARENT[$name]}}"
  for i in $(seq 1 150); do
    sleep 0.1
    local now
    now=$(generation "$name")
    if [ -n "$now" ] && [ "$now" != "$before" ]; then
      return 0
    fi
  done
  echo "# $name: no new generation within 15 s after SIG$sig"
  return 1
}

# Wait until the parent has published at least one scan after now.
wait_scan() {
  local name=$1 before i now
  before=$(http "$name" "/ipc-status?auto" | awk -F': ' '$1 == "ScansTotal" { print $2 }')
  # httpd runs the monitor hook about every ten seconds
  for i in $(seq 1 125); do
    sleep 0.2
    now=$(http "$name" "/ipc-status?auto" | awk -F': ' '$1 == "ScansTotal" { print $2 }')
    if [ -n "$now" ] && [ "$now" != "$before" ]; then return 0; fi
  done
  return 1
}

# ipcs's table of a kind (-s, -m, -q) as "id key perms col5 col6", keys
# in signed decimal as /proc prints them.
ipcs_rows() {
  local key id owner perms c5 c6 k
  ipcs "$1" | while read -r key id owner perms c5 c6 _; do
    case "$key" in 0x*) ;; *) continue ;; esac
    k=$((key))
    if [ "$k" -ge 2147483648 ]; then k=$((k - 4294967296)); fi
    echo "$id $k $perms $c5 $c6"
  done
}

# SysV ids of a kind from the kernel ("sem", "shm", "msg"), sorted.
kernel_ids() {
  awk 'NR > 1 { print $2 }' "/proc/sysvipc/$1" | sort -n | tr '\n' ' '
}
kernel_count() {
  awk 'NR > 1' "/proc/sysvipc/$1" | wc -l
}

# The state files in $T/state (the history files, application records and
# run locks stay across clean stops).
state_files() {
  ls -A "$T/state" | grep -v -e '\.history$' -e '\.apps$' -e '\.lock$'
}

# runlock_held PATH: whether /proc/locks lists an open-file-description
# write lock (what the run lock is) on PATH's inode
runlock_held() {
  local ino
  ino=$(stat -c %i "$1" 2>/dev/null) || return 1
  awk -v i="$ino" '$2 == "OFDLCK" && $4 == "WRITE" { split($6, a, ":"); if (a[3] == i) f = 1 } END { exit !f }' /proc/locks
}

# kill9_session SID: kill -9 every process of the session SID (httpd
# started with setsid leads its own), again until none is left: a kill
# during startup can race with a fork. Bounded to 5 s.
kill9_session() {
  local sid=$1 i pids p
  for i in $(seq 1 50); do
    pids=$(ps -eo pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }')
    [ -z "$pids" ] && return 0
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    wait "$sid" 2>/dev/null
    sleep 0.1
  done
  return 1
}

# ---- container restarts -------------------------------------------------

# ns_start NAME: start httpd as pid 1 of a fresh PID namespace with its own
# /proc (a container start; the IPC namespace, /dev/shm and the files are
# this test's and outlive it), leading its own session as a container's
# init does (prefork's stop signals its whole process group), as RUN_AS
# when set; wait, at most 15 s,
# until it answers. PARENT is the unshare process outside, NSINIT the
# outside pid of that pid 1. Returns 1 (showing the log) if it exited.
declare -A NSINIT
ns_start() {
  local name=$1 i
  as_user
  unshare --pid --fork --mount-proc setsid "${AS_USER[@]}" "$APACHE2" -f "$T/$name/httpd.conf" -D FOREGROUND >>"$T/$name/stdout.log" 2>&1 &
  PARENT[$name]=$!
  NSINIT[$name]=""
  for i in $(seq 1 150); do
    if [ -z "${NSINIT[$name]}" ]; then
      NSINIT[$name]=$(children_of "${PARENT[$name]}")
    fi
    if ! kill -0 "${PARENT[$name]}" 2>/dev/null; then
      wait "${PARENT[$name]}" 2>/dev/null
      echo "# $name (pid 1 of its namespace) exited during startup; error log:"
      tail -n 15 "$T/$name/error.log" 2>/dev/null | sed 's/^/#   /'
      tail -n 5 "$T/$name/stdout.log" 2>/dev/null | sed 's/^/#   /'
      PARENT[$name]=""
      return 1
    fi
    if [ -n "${NSINIT[$name]}" ] && [ "$(http_code "$name" /index.html)" = 200 ]; then
      first_scan "$name"
      return 0
    fi
    sleep 0.1
  done
  echo "# $name did not answer within 15 s"
  return 1
}

# ns_expect_exit NAME: start as ns_start does and expect the namespace to
# end within 15 s (httpd failed to start); returns 1 if it still runs.
ns_expect_exit() {
  local name=$1 i
  as_user
  unshare --pid --fork --mount-proc setsid "${AS_USER[@]}" "$APACHE2" -f "$T/$name/httpd.conf" -D FOREGROUND >>"$T/$name/stdout.log" 2>&1 &
  PARENT[$name]=$!
  for i in $(seq 1 150); do
    if ! kill -0 "${PARENT[$name]}" 2>/dev/null; then
      wait "${PARENT[$name]}" 2>/dev/null
      PARENT[$name]=""
      return 0
    fi
    sleep 0.1
  done
  NSINIT[$name]=$(children_of "${PARENT[$name]}")
  return 1
}

# ns_kill9 NAME: SIGKILL the namespace's pid 1 from outside, as a runtime
# does on an OOM kill or a failed liveness probe: the kernel then kills
# every process of the namespace. Waits (15 s) until all are gone.
ns_kill9() {
  local name=$1 pids p
  pids=$(tree_pids "${NSINIT[$name]}")
  kill -9 "${NSINIT[$name]}" 2>/dev/null
  # the namespace ends with its pid 1, and unshare with it (15 s at most)
  if ! wait_gone "${PARENT[$name]}"; then
    echo "# $name: unshare ${PARENT[$name]} still runs 15 s after kill -9 of pid ${NSINIT[$name]}"
  else
    wait "${PARENT[$name]}" 2>/dev/null
  fi
  for p in $pids; do wait_gone "$p"; done
  PARENT[$name]=""
  NSINIT[$name]=""
}

# ns_stop NAME: SIGTERM to pid 1 (a clean container stop), wait (15 s).
ns_stop() {
  local name=$1
  [ -n "${NSINIT[$name]:-}" ] || return 0
  kill -TERM "${NSINIT[$name]}" 2>/dev/null
  if ! wait_gone "${NSINIT[$name]}"; then
    echo "# $name did not stop within 15 s: kill -9"
    ns_kill9 "$name"
    return 1
  fi
  wait "${PARENT[$name]}" 2>/dev/null
  PARENT[$name]=""
  NSINIT[$name]=""
}

# "kind id-or-name" of every object the kernel has in this namespace
kernel_set() {
  { awk 'NR > 1 { print "sysv-sem", $2 }' /proc/sysvipc/sem
    awk 'NR > 1 { print "sysv-shm", $2 }' /proc/sysvipc/shm
    awk 'NR > 1 { print "sysv-msg", $2 }' /proc/sysvipc/msg
    for f in /dev/shm/*; do [ -f "$f" ] && echo "posix-shm ${f#/dev/shm/}"; done
  } | sort
}
# registry_set [NAME]: the same of what instance NAME (default a) lists as
# its own or its application's
registry_set() {
  http "${1:-a}" "/ipc-status?json" | jq -r '.objects[] | select(.class != "foreign") | "\(.kind) \(.id // .name)"' | sort
}
# converged [NAME]: poll (at most 10 s) until the registry equals the kernel
converged() {
  local i
  for i in $(seq 1 50); do
    [ "$(kernel_set)" == "$(registry_set "${1:-a}")" ] && return 0
    sleep 0.2
  done
  return 1
}
# check_exact WHEN: a check that instance a's registry converges on the
# kernel (both shown when it does not)
check_exact() {
  if converged; then ok "$1: the registry equals the kernel"
  else fail "$1: kernel '$(kernel_set | tr '\n' ' ')', registry '$(registry_set | tr '\n' ' ')'"; fi
}
