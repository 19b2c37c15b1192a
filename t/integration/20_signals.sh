# mpms: prefork worker event
# Processes that only signal a running server (apache2 -k start while it
# runs, -k graceful, -k restart, -k stop, and apache2ctl) remove nothing,
# write nothing and print nothing of the module's; also after a package
# upgrade replaced the httpd binary and mod_ipcguard.so under the server.
# The server runs in orphans mode with a rewrite lock whose last user is a
# child that has exited: the set a careless orphan pass would take.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox

BIN=$T/bin
mkdir -p "$BIN"
# a private copy of the binary that the "upgrade" can replace; when
# $APACHE2 is a wrapper script (the sanitizer run), a copy of the wrapper
# that runs the private binary
if [ "$(head -c 4 "$APACHE2" | od -An -c | tr -d ' ')" = 177ELF ]; then
  REAL=$BIN/apache2
  cp "$APACHE2" "$REAL"
else
  REAL=$BIN/apache2.real
  cp /usr/sbin/apache2 "$REAL"
  sed "s#/usr/sbin/apache2#$REAL#" "$APACHE2" > "$BIN/apache2"
  chmod 755 "$BIN/apache2"
fi
SO_SRC=$GUARD_SO
cp "$SO_SRC" "$BIN/mod_ipcguard.so"
APACHE2=$BIN/apache2
GUARD_SO=$BIN/mod_ipcguard.so

httpd_conf a <<CONF
Mutex sysvsem default
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat
RewriteRule ^/r/(.*)\$ /index.html?\${echo:\$1} [PT]
MaxConnectionsPerChild 1
IPCGuardCleanup orphans
CONF
# apache2ctl reads its environment from APACHE_CONFDIR/envvars
cat > "$T/a/envvars" <<ENV
export APACHE_RUN_DIR=$T/a/run
export APACHE_LOCK_DIR=$T/a/lock
export APACHE_HTTPD=$APACHE2
export APACHE_ARGUMENTS="-f $T/a/httpd.conf"
ENV
ctl() { APACHE_CONFDIR=$T/a apache2ctl "$@"; }

# "id ctime" of every set: what must not change under a signal
sem_ids() { awk 'NR > 1 { print $2, $NF - 0 }' /proc/sysvipc/sem | sort; }
files_sum() { md5sum "$T"/state/* 2>/dev/null; }
use_rewrite_lock() {
  local i
  for i in 1 2 3; do http a "/r/x$i" >/dev/null; done
}
# signal DESC CMD...: run a signalling command, check that it said nothing
# of the module's
signal() {
  local desc=$1 out
  shift
  out=$("$@" 2>&1)
  check_nomatch "$desc prints no line of the module's" 'ipcguard\(|\[ipcguard' "$out"
}
# the pid the pid file names
pidfile_pid() { cat "$T/a/run/httpd.pid" 2>/dev/null; }
wait_new_generation() {   # wait_new_generation OLD
  local i now
  for i in $(seq 1 100); do
    now=$(generation a)
    [ -n "$now" ] && [ "$now" != "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

for form in same replaced; do
  httpd_start a || { fail "$form: the server starts"; continue; }
  use_rewrite_lock
  sleep 0.5
  if [ "$form" = replaced ]; then
    # what a package upgrade does: new files renamed over the old ones
    cp /usr/sbin/apache2 "$BIN/apache2.new" && mv -f "$BIN/apache2.new" "$REAL"
    cp "$SO_SRC" "$BIN/so.new" && mv -f "$BIN/so.new" "$GUARD_SO"
    check_match "$form: the running parent's binary is replaced" \
      ' \(deleted\)$' "$(readlink "/proc/${PARENT[a]}/exe")"
  fi
  sets=$(sem_ids)
  check_cmp "$form: the server has sets" "$(grep -c . <<<"$sets")" -ge 1
  sums=$(files_sum)
  check_cmp "$form: the server keeps state files" "$(wc -l <<<"$sums")" -ge 1

  # -k start while it runs: httpd says it runs, nothing else happens
  signal "$form: apache2 -k start" "$APACHE2" -f "$T/a/httpd.conf" -k start
  signal "$form: apache2ctl start" ctl start
  check_eq "$form: -k start leaves the live server's sets as they were" "$sets" "$(sem_ids)"
  check_eq "$form: -k start leaves the state files as they were" "$sums" "$(files_sum)"
  check_eq "$form: the same parent serves" "${PARENT[a]}" "$(pidfile_pid)"

  # -k graceful, -k restart: the server's new generation is exact
  for how in "apache2 -k graceful" "apache2 -k restart" "apache2ctl graceful"; do
    gen=$(generation a)
    use_rewrite_lock
    case "$how" in
      apache2ctl*) signal "$form: $how" ctl "${how#apache2ctl }" ;;
      *) signal "$form: $how" "$APACHE2" -f "$T/a/httpd.conf" -k "${how#apache2 -k }" ;;
    esac
    if wait_new_generation "$gen"; then ok "$form: $how gives a new generation"
    else fail "$form: $how: no new generation after $gen within 10 s"; fi
    if converged; then ok "$form: after $how the registry equals the kernel"
    else fail "$form: after $how: kernel '$(kernel_set | tr '\n' ' ')' registry '$(registry_set | tr '\n' ' ')'"; fi
    check_eq "$form: after $how the same parent serves" "${PARENT[a]}" "$(pidfile_pid)"
  done
  use_rewrite_lock
  log=$(errlog a)
  check_nomatch "$form: the server's error log shows no lost lock" \
    'Identifier removed|AH00144|AH00050' "$log"
  check_nomatch "$form: the server never took itself for a second server" \
    'ipcguard\(107\)|orphan candidate' "$log"

  # -k stop: the server stops; the stopping process says nothing
  pid=${PARENT[a]}
  signal "$form: apache2 -k stop" "$APACHE2" -f "$T/a/httpd.conf" -k stop
  if wait_gone "$pid"; then ok "$form: -k stop stops the server"
  else fail "$form: -k stop: pid $pid still runs after 15 s"; httpd_kill9_tree a; fi
  wait "$pid" 2>/dev/null
  PARENT[a]=""
  check_eq "$form: a clean stop leaves no set behind" "" "$(sem_ids)"
  # the binary and module for the next form are the ones installed now
  cp "$SO_SRC" "$BIN/so.new" && mv -f "$BIN/so.new" "$GUARD_SO"
done
finish
