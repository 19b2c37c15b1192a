# shellcheck shell=bash
# Integration-test harness for mod_ipcguard, sourced by t/integration/*.sh.
#
# A test runs as root, as pid 1 of fresh IPC, PID, mount and network
# namespaces (t/run-integration.sh starts it with unshare). ipcg_sandbox,
# its first call, mounts a private tmpfs on /dev/shm and makes a temporary
# ServerRoot; when the script ends, its PID namespace ends, which kills
# every process it started, and its IPC namespace, which removes every
# SysV object they made. The host's /dev/shm and IPC objects are never
# touched. Processes are referenced by pid only, never by name, and every
# wait is bounded in count and time.
#
#   source "$(dirname "$0")/../lib.sh"
#   ipcg_sandbox
#   IPCG_TEST_MODULE=1 httpd_conf a <<'EOF'
#   IPCGTestPostConfig sem
#   EOF
#   httpd_start a || exit 1
#   assert_eq "one semaphore set" 1 "$(ipc_count sem)"
#   httpd_stop a
#
# Knobs for httpd_conf (environment, per call):
#   MPM=prefork|worker|event   the MPM (default prefork)
#   IPCG_TEST_MODULE=1         load t/.libs/mod_ipcg_test.so, /ipcg-test
#   IPCG_MODULE=1              load .libs/mod_ipcguard.so, /ipc-status, a
#                              private IPCGuardStateDir ($SR/state)
# Results: every assertion prints "ok N - what" or "not ok N - what" with
# the expected and the received value; at exit the script prints a
# summary and exits non-zero if any assertion failed or none ran.

set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APACHE2=${APACHE2:-/usr/sbin/apache2}
MODDIR=${MODDIR:-/usr/lib/apache2/modules}
IPCG_TEST_SO=$REPO/t/.libs/mod_ipcg_test.so
IPCG_SO=$REPO/.libs/mod_ipcguard.so
RUN_USER=www-data
RUN_GROUP=www-data

SR=""                 # the temporary ServerRoot, set by ipcg_sandbox
TESTS_RUN=0
TESTS_FAILED=0
declare -A PORT=()    # NAME -> port
declare -A PID=()     # NAME -> pid of the running httpd parent
declare -A ORPHANS=() # NAME -> pids the last httpd_kill9_parent left alive
USED_PORTS=" "

# ---- assertions ---------------------------------------------------------

# ok DESC: record a passed check.
ok() {
  TESTS_RUN=$((TESTS_RUN + 1))
  echo "ok $TESTS_RUN - $*"
}

# fail DESC [DETAIL...]: record a failed check; DETAIL lines are shown
# indented under it.
fail() {
  local what=$1 line
  shift
  TESTS_RUN=$((TESTS_RUN + 1))
  TESTS_FAILED=$((TESTS_FAILED + 1))
  echo "not ok $TESTS_RUN - $what"
  for line in "$@"; do
    printf '%s\n' "$line" | sed 's/^/#   /'
  done
  return 1
}

# assert_eq WHAT EXPECTED GOT
assert_eq() {
  if [ "$2" == "$3" ]; then
    ok "$1"
  else
    fail "$1" "expected: '$2'" "     got: '$3'"
  fi
}

# assert_match WHAT REGEX TEXT   (extended regex, any line of TEXT)
assert_match() {
  if grep -Eq -- "$2" <<<"$3"; then
    ok "$1"
  else
    fail "$1" "expected a line matching: /$2/" \
      "got: $(head -c 2000 <<<"$3")"
  fi
}

# assert_no_match WHAT REGEX TEXT
assert_no_match() {
  if grep -Eq -- "$2" <<<"$3"; then
    fail "$1" "expected no line matching: /$2/" \
      "got: $(grep -E -- "$2" <<<"$3" | head -n 5)"
  else
    ok "$1"
  fi
}

# assert_file_contains WHAT FILE REGEX
assert_file_contains() {
  if [ ! -f "$2" ]; then
    fail "$1" "expected a file $2 with a line matching /$3/" \
      "got: no such file"
  elif grep -Eq -- "$3" "$2"; then
    ok "$1"
  else
    fail "$1" "expected a line matching /$3/ in $2" \
      "got (last 20 lines): $(tail -n 20 "$2")"
  fi
}

# assert_cmp WHAT A OP B   (numeric; OP is -eq -ne -lt -le -gt -ge)
assert_cmp() {
  if [[ "$2" =~ ^-?[0-9]+$ && "$4" =~ ^-?[0-9]+$ ]] && test "$2" "$3" "$4"; then
    ok "$1"
  else
    fail "$1" "expected: $2 $3 $4 (numbers)" "     got: '$2' and '$4'"
  fi
}

# The summary, from the EXIT trap: non-zero if any check failed, if none
# ran, or if the script itself exited non-zero.
_ipcg_summary() {
  local rc=$1
  echo "# $((TESTS_RUN - TESTS_FAILED)) of $TESTS_RUN checks passed, $TESTS_FAILED failed"
  if [ "$rc" -ne 0 ]; then
    [ "$TESTS_FAILED" -eq 0 ] &&
      echo "# but the script's exit (or its last command) returned status $rc"
  elif [ "$TESTS_FAILED" -ne 0 ]; then
    rc=1
  elif [ "$TESTS_RUN" -eq 0 ]; then
    echo "# no check ran"
    rc=1
  fi
  return "$rc"
}

# ---- processes (by pid, from /proc) -------------------------------------

# _proc_field PID N: field N of /proc/PID/stat (N >= 3; 3 is the state, 4
# the ppid), parsed after the last ')' since the command may hold spaces.
_proc_field() {
  local stat
  local -a f
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  echo "${f[$(($2 - 3))]}"
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  local st
  st=$(_proc_field "$1" 3) || return 1
  [ "$st" != Z ] && [ "$st" != X ]
}

# children_of PID: the live (not zombie) pids whose parent is PID, sorted.
children_of() {
  local d p
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$(_proc_field "$p" 4 2>/dev/null)" = "$1" ] && pid_alive "$p" && echo "$p"
  done | sort -n
}

# descendants_of PID: every pid below PID (not PID itself), sorted.
descendants_of() {
  local -a todo=("$1")
  local all="" p c i=0
  while [ ${#todo[@]} -gt 0 ] && [ $i -lt 10000 ]; do
    p=${todo[0]}
    todo=("${todo[@]:1}")
    for c in $(children_of "$p"); do
      all="$all $c"
      todo+=("$c")
    done
    i=$((i + 1))
  done
  for c in $all; do echo "$c"; done | sort -n
}

# wait_gone SECONDS PID...: wait until no PID is alive; 1 on timeout.
wait_gone() {
  local secs=$1 i p left
  shift
  for ((i = 0; i < secs * 10; i++)); do
    left=""
    for p in "$@"; do pid_alive "$p" && left="$left $p"; done
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  echo "# still alive after ${secs} s:$left" >&2
  return 1
}

# ---- the sandbox --------------------------------------------------------

ipcg_sandbox() {
  local p
  if [ "$(id -u)" != 0 ]; then
    echo "lib.sh: integration tests run as root (namespaces)" >&2
    exit 2
  fi
  # Only inside what t/run-integration.sh made: pid 1 of a new PID
  # namespace whose own /proc is mounted (--mount-proc, which implies a new
  # mount namespace; else pids in /proc would be the host's), with the
  # runner's mark; if the runner also passed the host's namespaces, ours
  # must differ from them.
  if [ "${IPCG_IN_NS:-}" != 1 ] || [ "$$" != 1 ] \
     || [ "$(readlink /proc/1/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]; then
    echo "lib.sh: refusing to run outside the test namespaces;" \
         "run this test with t/run-integration.sh" >&2
    exit 2
  fi
  for p in ipc mnt; do
    local host_ns_var="IPCG_HOST_${p^^}NS"
    if [ -n "${!host_ns_var:-}" ] \
       && [ "$(readlink "/proc/self/ns/$p")" == "${!host_ns_var}" ]; then
      echo "lib.sh: refusing to run: still in the host's $p namespace" >&2
      exit 2
    fi
  done
  mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm || exit 2
  # in a new network namespace loopback starts down
  if ! ip -o link show lo | grep -q '[<,]UP[,>]'; then
    ip link set lo up || exit 2
  fi

  SR=$(mktemp -d /tmp/ipcg-test.XXXXXX) || exit 2
  trap '_ipcg_exit $?' EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  # the runner removes it if this script is killed before its EXIT trap
  if [ -n "${IPCG_SR_FILE:-}" ]; then echo "$SR" > "$IPCG_SR_FILE"; fi
  chmod 755 "$SR"     # the children (www-data) read htdocs
  mkdir -p "$SR/logs" "$SR/run" "$SR/htdocs"
  mkdir -m 700 "$SR/state"
  echo "ipcg test" > "$SR/htdocs/index.html"
}

_ipcg_exit() {
  local rc=$1 name pids
  trap - EXIT TERM INT
  # leave no server running (the namespace would end them anyway)
  for name in "${!PID[@]}"; do
    if [ -n "${PID[$name]}" ] && pid_alive "${PID[$name]}"; then
      echo "# $name still running at exit: kill -9"
      httpd_kill9_tree "$name" >/dev/null 2>&1
    fi
  done
  pids=$(descendants_of $$)
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  [ -n "$SR" ] && [ -d "$SR" ] && rm -rf -- "$SR"
  _ipcg_summary "$rc"
  exit $?
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on and that this
# script has not handed out yet.
free_port() {
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 30000))
    case "$USED_PORTS" in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
      USED_PORTS="$USED_PORTS$p "
      echo "$p"
      return 0
    fi
  done
  echo "lib.sh: no free port found" >&2
  return 1
}

# ---- instances ----------------------------------------------------------

# httpd_conf NAME: writes $SR/NAME.conf; extra directives on stdin (use
# </dev/null for none when stdin is not a terminal). The port is chosen
# once per NAME and kept.
httpd_conf() {
  local name=$1 mpm=${MPM:-prefork} extra="" f
  f=$SR/$name.conf
  if [ ! -t 0 ]; then extra=$(timeout 10 cat); fi
  if [ -z "${PORT[$name]:-}" ]; then
    PORT[$name]=$(free_port) || return 1
  fi
  case "$mpm" in prefork|worker|event) ;; *)
    echo "lib.sh: MPM must be prefork, worker or event, not '$mpm'" >&2
    return 1 ;;
  esac
  mkdir -p "$SR/run/$name"
  {
    echo "# $name: written by t/lib.sh"
    echo "ServerRoot $SR"
    echo "ServerName localhost"
    echo "Listen 127.0.0.1:${PORT[$name]}"
    echo "PidFile $SR/run/$name.pid"
    echo "DefaultRuntimeDir $SR/run/$name"
    echo "ErrorLog $SR/logs/error_$name.log"
    echo "LogLevel info"
    echo "User $RUN_USER"
    echo "Group $RUN_GROUP"
    echo "LoadModule mpm_${mpm}_module $MODDIR/mod_mpm_${mpm}.so"
    echo "LoadModule authz_core_module $MODDIR/mod_authz_core.so"
    echo "LoadModule authz_host_module $MODDIR/mod_authz_host.so"
    echo "DocumentRoot $SR/htdocs"
    echo "StartServers 2"
    if [ "$mpm" = prefork ]; then
      echo "MinSpareServers 1"
      echo "MaxSpareServers 4"
      echo "MaxRequestWorkers 8"
    else
      echo "ServerLimit 4"
      echo "ThreadsPerChild 4"
      echo "MinSpareThreads 4"
      echo "MaxSpareThreads 16"
      echo "MaxRequestWorkers 16"
    fi
    echo "GracefulShutdownTimeout 5"
    if [ "${IPCG_TEST_MODULE:-0}" = 1 ]; then
      echo "LoadModule ipcg_test_module $IPCG_TEST_SO"
      echo "<Location /ipcg-test>"
      echo "  SetHandler ipcg-test"
      echo "</Location>"
    fi
    if [ "${IPCG_MODULE:-0}" = 1 ]; then
      echo "LoadModule ipcguard_module $IPCG_SO"
      echo "IPCGuardStateDir $SR/state"
      echo "<Location /ipc-status>"
      echo "  SetHandler ipc-status"
      echo "</Location>"
    fi
    printf '%s\n' "$extra"
  } > "$f"
  if [ "${IPCG_TEST_MODULE:-0}" = 1 ] && [ ! -f "$IPCG_TEST_SO" ]; then
    echo "lib.sh: $IPCG_TEST_SO is missing: run 'make testmodule'" >&2
    return 1
  fi
  if [ "${IPCG_MODULE:-0}" = 1 ] && [ ! -f "$IPCG_SO" ]; then
    echo "lib.sh: $IPCG_SO is missing: run 'make'" >&2
    return 1
  fi
}

# errlog NAME: the path of NAME's error log.
errlog() { echo "$SR/logs/error_$1.log"; }

_errlog_tail() {
  echo "# $1: last lines of $(errlog "$1"):"
  tail -n "${2:-20}" "$(errlog "$1")" 2>/dev/null | sed 's/^/#   /'
  if [ -s "$SR/logs/stderr_$1.log" ]; then
    echo "# $1: stderr:"
    tail -n 10 "$SR/logs/stderr_$1.log" | sed 's/^/#   /'
  fi
}

# http_get NAME PATH: the body of a GET (curl's errors on stderr).
http_get() {
  curl -sS --max-time 5 "http://127.0.0.1:${PORT[$1]}$2"
}

# http_code NAME PATH: the status code of a GET (000: no HTTP answer).
http_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:${PORT[$1]}$2"
}

# _wait_answer NAME SECONDS: until NAME answers HTTP; 1 if its parent
# exits or the time runs out.
_wait_answer() {
  local name=$1 i code
  for ((i = 0; i < $2 * 10; i++)); do
    if ! pid_alive "${PID[$name]}"; then
      echo "# $name (pid ${PID[$name]}) exited"
      return 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
           "http://127.0.0.1:${PORT[$name]}/")
    [ "$code" != 000 ] && return 0
    sleep 0.1
  done
  echo "# $name gave no HTTP answer within $2 s"
  return 1
}

# httpd_start NAME: runs apache2 -D FOREGROUND on $SR/NAME.conf in the
# background, in a session of its own as a daemon would be, and waits (at
# most 10 s) until it answers HTTP. On failure shows the error log and
# returns 1.
httpd_start() {
  local name=$1
  if [ -n "${PID[$name]:-}" ] && pid_alive "${PID[$name]}"; then
    echo "# $name is already running (pid ${PID[$name]})"
    return 1
  fi
  # not a process group leader (no job control), so setsid does not fork
  # and $! is apache2's pid
  setsid "$APACHE2" -f "$SR/$name.conf" -D FOREGROUND \
    </dev/null >>"$SR/logs/stderr_$name.log" 2>&1 &
  PID[$name]=$!
  if ! _wait_answer "$name" 10; then
    _errlog_tail "$name"
    httpd_kill9_tree "$name" >/dev/null 2>&1
    return 1
  fi
}

# httpd_pid NAME: the parent's pid (empty if not running).
httpd_pid() { echo "${PID[$1]:-}"; }

# httpd_children NAME: pids whose parent is NAME's parent (the MPM's
# children, and helpers such as RewriteMap prg: programs).
httpd_children() {
  [ -n "${PID[$1]:-}" ] || return 0
  children_of "${PID[$1]}"
}

# httpd_kill9_tree NAME: SIGKILL the parent and all its descendants, as an
# OOM killer or "pkill -9" would, and wait (10 s) until they are gone.
httpd_kill9_tree() {
  local name=$1 parent=${PID[$1]:-} pids="" more i
  [ -n "$parent" ] || return 0
  # freeze the tree first so that nobody forks or reparents meanwhile
  kill -STOP "$parent" 2>/dev/null
  for ((i = 0; i < 20; i++)); do
    more=$(descendants_of "$parent")
    [ "$more" == "$pids" ] && break
    pids=$more
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill -STOP $pids 2>/dev/null
  done
  # shellcheck disable=SC2086
  kill -9 "$parent" $pids 2>/dev/null
  wait "$parent" 2>/dev/null
  PID[$name]=""
  # shellcheck disable=SC2086
  wait_gone 10 "$parent" $pids
}

# httpd_kill9_parent NAME: SIGKILL the parent only; its children live on
# (httpd_orphans NAME lists them; they are now children of this script).
httpd_kill9_parent() {
  local name=$1 parent=${PID[$1]:-}
  [ -n "$parent" ] || return 0
  ORPHANS[$name]=$(descendants_of "$parent")
  kill -9 "$parent" 2>/dev/null
  wait "$parent" 2>/dev/null
  PID[$name]=""
  wait_gone 10 "$parent"
}

# httpd_orphans NAME: the pids, still alive, that were below NAME's parent
# when httpd_kill9_parent killed it.
httpd_orphans() {
  local p
  for p in ${ORPHANS[$1]:-}; do pid_alive "$p" && echo "$p"; done
  return 0
}

# httpd_stop NAME: SIGTERM (a clean stop), wait 10 s for the parent and
# its children to end, else kill -9 the tree and return 1.
httpd_stop() {
  local name=$1 parent=${PID[$1]:-} pids
  [ -n "$parent" ] || return 0
  pids=$(descendants_of "$parent")
  kill -TERM "$parent" 2>/dev/null
  # shellcheck disable=SC2086
  if ! wait_gone 10 "$parent" $pids; then
    echo "# $name did not stop within 10 s: kill -9"
    _errlog_tail "$name"
    httpd_kill9_tree "$name"
    return 1
  fi
  wait "$parent" 2>/dev/null
  PID[$name]=""
}

# generation NAME: how many times NAME's parent has (re)started serving,
# counted in its error log ("resuming normal operations").
generation() {
  local n
  n=$(grep -c 'resuming normal operations' "$(errlog "$1")" 2>/dev/null)
  echo "${n:-0}"
}

# _httpd_signal_restart NAME SIGNAL: signal, then wait (15 s) for the next
# generation and an HTTP answer.
_httpd_signal_restart() {
  local name=$1 sig=$2 before i
  [ -n "${PID[$name]:-}" ] || { echo "# $name is not running"; return 1; }
  before=$(generation "$name")
  kill "-$sig" "${PID[$name]}"
  for ((i = 0; i < 150; i++)); do
    if ! pid_alive "${PID[$name]}"; then
      echo "# $name exited after SIG$sig"
      _errlog_tail "$name"
      return 1
    fi
    if [ "$(generation "$name")" -gt "$before" ]; then
      _wait_answer "$name" 10 && return 0
      _errlog_tail "$name"
      return 1
    fi
    sleep 0.1
  done
  echo "# $name: no new generation within 15 s after SIG$sig"
  _errlog_tail "$name"
  return 1
}

# httpd_graceful NAME: SIGUSR1 and wait until the new generation answers.
httpd_graceful() { _httpd_signal_restart "$1" USR1; }

# httpd_restart NAME: SIGHUP and wait until the new generation answers.
httpd_restart() { _httpd_signal_restart "$1" HUP; }

# ---- IPC objects --------------------------------------------------------

# ipc_list sem|shm|msg: the kernel's objects of a kind as ipcs shows them,
# one per line: "id key owner perms" (key as 0x%08x).
ipc_list() {
  local opt
  case "$1" in sem) opt=-s ;; shm) opt=-m ;; msg) opt=-q ;;
    *) echo "ipc_list: sem, shm or msg" >&2; return 1 ;;
  esac
  ipcs "$opt" | awk '$1 ~ /^0x/ { print $2, $1, $3, $4 }' | sort -n
}

# ipc_ids sem|shm|msg: the ids of a kind, sorted, on one line.
ipc_ids() { ipc_list "$1" | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//'; }

# ipc_count sem|shm|msg [OWNER]: how many objects of a kind (of OWNER).
ipc_count() {
  ipc_list "$1" | awk -v o="${2:-}" 'o == "" || $3 == o' | wc -l
}

# ipc_all: "kind id" of every SysV object, sorted: a snapshot to compare.
ipc_all() {
  local k
  for k in sem shm msg; do
    ipc_list "$k" | awk -v k="$k" '{ print k, $1 }'
  done
}
