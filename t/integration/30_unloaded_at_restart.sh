# mpms: prefork worker event
# The module taken out by a restart (a2dismod, then apachectl graceful or
# restart; or IPCGuard Off), the server then stopped cleanly: the stop is
# recorded as a clean one, although the module ran no hook in the last
# generation. The state file goes, or keeps only what the children made
# and left; the next start with the module finds nothing "already gone",
# blames nothing on something outside httpd, and the page stays healthy.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox

extra="Mutex sysvsem default
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat"
# start_again WHAT: a start with the module after WHAT; the cleanup's word
# on the run before, and the page's
start_again() {
  httpd_conf a <<<"$extra"
  : > "$T/a/error.log"
  httpd_start a || { fail "$1: the start after it"; return 1; }
  first_scan a
  check_nomatch "$1: the next start finds nothing of the run before gone" \
    'ipcguard\((019|021)\)' "$(grep -E 'ipcguard\((019|021)\)' "$T/a/error.log" | grep -E 'already gone|outside')"
  check_eq "$1: the page is healthy" healthy "$(http a '/ipc-status?json' | jq -r .verdict.status)"
  check_nomatch "$1: no warning or error of the module's" '\[ipcguard:(warn|error|crit|alert|emerg)\]' "$(errlog a)"
  check_exact "$1: the next start"
  httpd_stop a
}

# 1. a2dismod, graceful restart, clean stop: no state file is left
for sig in USR1 HUP; do
  what="the module taken out by SIG$sig, then a clean stop"
  httpd_conf a <<<"$extra"
  httpd_start a || { fail "$what: the server starts"; finish; exit 1; }
  check_eq "$what: a state file while the module runs" 1 "$(state_files | wc -l)"
  WITH_GUARD=0 httpd_conf a <<<"$extra"
  status_restart a "$sig" || fail "$what: the restart without the module ends"
  check_eq "$what: the server runs on without the module" 200 "$(http_code a /index.html)"
  httpd_stop a
  check_eq "$what: the stop leaves no set" "" "$(kernel_ids sem)"
  check_eq "$what: and no state file" "" "$(state_files)"
  check_eq "$what: the history says the run ended" 1 \
    "$(grep -c '^exited [1-9]' "$T/state/"*.history 2>/dev/null)"
  start_again "$what"
  check_match "$what: the next start says the last run stopped cleanly" \
    'ipcguard\(010\): no state file .*: the last run stopped cleanly' "$(errlog a)"
done

# 2. IPCGuard Off by a graceful restart, a child's segment left behind
# (with the module on, the child's exit would have removed it), then a
# clean stop: the state file keeps that segment, and only it; the next
# start removes it and says the run stopped cleanly
what="IPCGuard Off at the stop"
httpd_conf a <<<"$extra"
httpd_start a || { fail "$what: the server starts"; finish; exit 1; }
run=${PARENT[a]}
made=$(http a '/ipcg-test?make=shm')
shm=$(awk '{ print $2 }' <<<"$made")
check_match "$what: a child makes a segment at runtime" '^sysv-shm [0-9]+ ' "$made"
check_exact "$what: the segment is registered"
httpd_conf a <<<"$extra
IPCGuard Off"
status_restart a USR1 || fail "$what: the graceful restart ends"
httpd_stop a
check_eq "$what: after a clean stop the child's segment remains" "$shm " "$(kernel_ids shm)"
sf=$(state_files)
check_eq "$what: the state file is kept for it" 1 "$(wc -l <<<"$sf")"
check_eq "$what: and records that segment alone" "sysv-shm $shm" \
  "$(awk '$1 == "obj" { split($2, k, "="); split($3, i, "="); print k[2], i[2] }' "$T/state/$sf" 2>/dev/null)"
check_match "$what: the stop says so (103)" \
  "ipcguard\\(103\\): clean stop; 1 object of this instance remains and stays recorded" "$(errlog a)"
httpd_conf a <<<"$extra"
: > "$T/a/error.log"
httpd_start a || { fail "$what: the start after it"; finish; exit 1; }
first_scan a
check_match "$what: the next start removes the segment, says the run stopped cleanly, and nothing was gone" \
  "ipcguard\\(021\\): removed 1 stale IPC object \\(1 shared memory segment\\) left by httpd pid $run \\(stopped cleanly; its children's objects outlived it\\); kept 0 \\(registered" "$(errlog a)"
check_eq "$what: the segment is gone" "" "$(kernel_ids shm)"
verdict=$(http a '/ipc-status?json' | jq -r '.verdict.status, (.verdict.findings[] | .level + " " + .what)')
check_eq "$what: the page is healthy" healthy "$(head -n 1 <<<"$verdict")"
check_eq "$what: and notes what the children left" \
  "note The startup cleanup removed 1 object that the children of the run of pid $run made and left; that run stopped cleanly." \
  "$(tail -n +2 <<<"$verdict")"
check_exact "$what: after that start"
httpd_stop a

# 3. out and back in by graceful restarts, then a clean stop: as ever
httpd_conf a <<<"$extra"
httpd_start a || { fail "out and back: the server starts"; finish; exit 1; }
WITH_GUARD=0 httpd_conf a <<<"$extra"
status_restart a USR1 || fail "out and back: the restart without the module ends"
httpd_conf a <<<"$extra"
status_restart a USR1 || fail "out and back: the restart with the module ends"
first_scan a
check_exact "out and back: the module back"
httpd_stop a
check_eq "out and back, then a clean stop: no state file" "" "$(state_files)"
start_again "out and back, then a clean stop"
finish
