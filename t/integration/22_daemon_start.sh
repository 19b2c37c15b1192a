# httpd -k start (what apachectl and Debian's apache2.service run): the
# process that starts httpd detaches it and exits, while the detached
# parent reads the configuration again. If the detaching process is
# still exiting then, the server must still record its state, so that a
# kill -9 is cleaned up after at the next start. The test slows that exit
# down to make the overlap certain.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
full_conf a

# httpd_daemon NAME [env...]: httpd -k start, then wait (15 s at most)
# until it answers
httpd_daemon() {
  local name=$1
  shift
  env "$@" "$APACHE2" -f "$T/$name/httpd.conf" -k start >>"$T/$name/stdout.log" 2>&1 </dev/null || return 1
  for _ in $(seq 1 150); do
    [ "$(http_code "$name" /index.html)" = 200 ] && { first_scan "$name"; return 0; }
    sleep 0.1
  done
  return 1
}

t0=$(date +%s)
if ! httpd_daemon a LD_PRELOAD="$REPO/build/slowexit.so" IPCG_SLOW_EXIT=2; then
  fail "httpd -k start serves"; errlog a | tail -n 20; finish; exit 1
fi
check_cmp "the starting process took its extra 2 s to exit" "$(( $(date +%s) - t0 ))" -ge 2
pid=$(cat "$T/a/run/httpd.pid")
PARENT[a]=$pid
state=$(ls "$T"/state/*.state 2>/dev/null)
check_eq "the state file names the detached parent" "pid $pid" "$(grep '^pid ' "$state" 2>/dev/null)"
sets=$(kernel_count sem)
check_cmp "the server has semaphore sets" "$sets" -ge 1
check_eq "the state file records all of them" "$sets" "$(grep -c '^obj kind=sysv-sem' "$state" 2>/dev/null)"
# the run lock, taken before the detach, is the detached parent's now
lock=${state%.state}.lock
check_match "the detached parent has the run lock open" " -> $lock\$" "$(ls -l "/proc/$pid/fd")"
if runlock_held "$lock"; then ok "and it is locked"; else fail "the run lock is locked"; fi
map=$(ps -o pid=,args= --ppid "$pid" | awk '/map\.sh/ { print $1; exit }')
check_match "the prg: RewriteMap runs" '^[0-9]+$' "$map"
check_nomatch "programs httpd runs do not hold it (close-on-exec)" "$lock" "$(ls -l "/proc/$map/fd" 2>&1)"

# kill -9 of the whole server, a start: everything is removed
httpd_kill9_tree a
check_eq "the kill -9 leaked the sets" "$sets" "$(kernel_count sem)"
httpd_daemon a || { fail "the second start serves"; finish; exit 1; }
check_match "the second start removed them" \
  "ipcguard\\(021\\): removed [0-9]+ stale IPC objects \\($sets semaphore sets[^)]*\\) left by httpd pid $pid " "$(errlog a)"
check_eq "the server has as many sets as before, no more" "$sets" "$(kernel_count sem)"
pid2=$(cat "$T/a/run/httpd.pid")
kill -TERM "$pid2"
wait_gone "$pid2" || fail "httpd stops within 15 s"
if runlock_held "$lock"; then fail "a clean stop leaves the run lock free"; else ok "a clean stop leaves the run lock free"; fi
finish
