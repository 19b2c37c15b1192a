# mpms: prefork worker event
# Faults: kill -9 of the whole tree during startup and during a graceful
# restart, a full /dev/shm, a read-only state directory. After each, the
# next start serves, the objects of one run are all there is, and a clean
# stop leaves nothing.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
mpm=${MPM:-prefork}

counts() { echo "$(kernel_count sem) sets, $(ls /dev/shm | wc -l) shm files"; }

WITH_TEST=0 full_conf a
httpd_start a || fail "a starts"
one_run=$(counts)
echo "# one run of the configuration ($mpm): $one_run"
httpd_stop a
check_eq "a clean stop leaves nothing" "0 sets, 0 shm files" "$(counts)"

# --- kill -9 at points through the startup and a graceful restart --------
# Every object a startup makes is recorded right after the hook entry
# that made it. A kill -9 between a module's allocation and that record
# (a fraction of a millisecond) leaves an object no state file names: the
# next start must still serve, remove everything that was recorded, and
# show the rest as not this server's: each such set counted as foreign
# and named as an orphan candidate of the run User, or, if the kill came
# before httpd handed the new set to the User, left as root's (never a
# candidate); each /dev/shm file counted as foreign.
one_sets=${one_run%% sets*}
one_files=${one_run#* sets, }; one_files=${one_files%% shm*}
unnamed=0 unrecorded_sets=0 unrecorded_files=0 kills=0
# after_kill WHAT: the next start, checked, then a clean slate
after_kill() {
  local json extra_sets extra_files orphans foreign root_sets foreign_sets
  if ! httpd_start a; then fail "start after kill -9 $1"; return; fi
  json=$(http a "/ipc-status?json")
  extra_sets=$(( $(kernel_count sem) - one_sets ))
  extra_files=$(( $(ls /dev/shm | wc -l) - one_files ))
  orphans=$(jq '[.orphans[] | select(.kind == "sysv-sem")] | length' <<<"$json")
  foreign=$(jq '.totals["posix-shm"].foreign' <<<"$json")
  foreign_sets=$(jq '.totals["sysv-sem"].foreign' <<<"$json")
  root_sets=$(awk 'NR > 1 && $5 == 0' /proc/sysvipc/sem | wc -l)
  kills=$((kills + 1))
  if [ "$extra_sets" -gt 0 ] || [ "$extra_files" -gt 0 ]; then
    unrecorded_sets=$((unrecorded_sets + extra_sets))
    unrecorded_files=$((unrecorded_files + extra_files))
    echo "# kill -9 $1: $extra_sets set(s) and $extra_files /dev/shm file(s) made but not yet recorded"
  fi
  if [ "$root_sets" -gt 0 ]; then
    echo "# kill -9 $1: $root_sets set(s) still root's, not an orphan candidate"
  fi
  if [ "$extra_sets" != "$((orphans + root_sets))" ] \
     || [ "$foreign_sets" != "$extra_sets" ] || [ "$extra_files" != "$foreign" ]; then
    unnamed=$((unnamed + 1))
    echo "# kill -9 $1: $extra_sets extra set(s), $orphans orphan candidate(s), $root_sets root's, $foreign_sets foreign; $extra_files extra file(s), $foreign foreign"
  fi
  httpd_stop a
  ipcrm -a; rm -f /dev/shm/*   # this namespace only: a clean slate
}
kill_in_startup() {
  local pid
  setsid "$APACHE2" -f "$T/a/httpd.conf" -D FOREGROUND >>"$T/a/stdout.log" 2>&1 &
  pid=$!
  sleep "$1"
  kill9_session "$pid" || fail "the processes of the killed run are gone"
}
for delay in 0.002 0.004 0.006 0.008 0.01 0.015 0.02 0.03 0.06 0.1 0.2 0.5; do
  kill_in_startup "$delay"
  after_kill "$delay s into the startup"
done
for delay in 0 0.01 0.02 0.05 0.1 0.2 0.4; do
  httpd_start a || { fail "a starts"; continue; }
  kill -USR1 "${PARENT[a]}"
  sleep "$delay"
  kill9_session "${PARENT[a]}" || fail "the processes of the killed run are gone"
  PARENT[a]=""
  after_kill "$delay s into a graceful restart"
done
check_eq "after each of $kills kills the next start removed what was recorded and shows the rest" 0 "$unnamed"
echo "# $kills kills: $unrecorded_sets set(s) and $unrecorded_files /dev/shm file(s) were made but not yet recorded"
check_eq "and a clean stop leaves nothing" "0 sets, 0 shm files" "$(counts)"

# --- a full /dev/shm ------------------------------------------------------
# The killed run's files fill what is left after the filler; the startup
# cleanup removes them before any module allocates, which makes exactly
# the room the new run's files need: httpd must start.
httpd_start a || fail "a starts"
httpd_kill9_tree a
check_eq "the killed run left one run's objects" "$one_run" "$(counts)"
dd if=/dev/zero of=/dev/shm/filler bs=1M count=80 2>/dev/null
filler=$(stat -c %s /dev/shm/filler)
check_eq "/dev/shm is full" 0 "$(df --output=avail /dev/shm | tail -1 | tr -d ' ')"
: > "$T/a/error.log"
if httpd_start a; then
  ok "with /dev/shm full, $mpm starts"
  check_match "because the cleanup first removed the dead run's $one_files /dev/shm files" \
    "ipcguard\(021\): removed [0-9]+ stale IPC objects \(.*$one_files /dev/shm files?\)" "$(errlog a)"
  check_eq "the module answers" 200 "$(http_code a /ipc-status?json)"
  httpd_kill9_tree a
else
  fail "with /dev/shm full, $mpm does not start: $(grep -E 'AH[0-9]+|ipcguard\(' "$T/a/error.log" | tail -3 | cut -c1-200)"
fi
check_nomatch "no crash with /dev/shm full" "Segmentation fault|exit signal|Bus error" "$(errlog a; cat "$T/a/stdout.log")"
check_eq "the filler is untouched" "$filler" "$(stat -c %s /dev/shm/filler 2>/dev/null)"
rm -f /dev/shm/filler
httpd_start a || fail "a starts once /dev/shm has room"
check_eq "then the leftovers are gone" "$one_run" "$(counts)"
httpd_stop a
check_eq "and a clean stop leaves nothing" "0 sets, 0 shm files" "$(counts)"

# --- a read-only state directory ------------------------------------------
mkdir -m 700 "$T/rostate"
mount -t tmpfs -o ro,mode=700 tmpfs "$T/rostate"
WITH_TEST=0 EXTRA_CONF="IPCGuardStateDir $T/rostate" full_conf r
httpd_start r || fail "r starts with a read-only state directory"
check_eq "and serves" 200 "$(http_code r /index.html)"
check_match "the log names the file and why it cannot be written" \
  "\[ipcguard:error\] .*ipcguard\(101\): cannot write state file $T/rostate/[0-9a-f]{16}\.state: cannot create .*Read-only file system; the next start cannot clean up after this run" \
  "$(errlog r)"
check_eq "one such error per start, not per scan" 1 "$(errlog r | grep -c 'ipcguard(101)')"
check_eq "the page still answers" 200 "$(http_code r /ipc-status?json)"
httpd_stop r
check_eq "a clean stop leaves nothing" "0 sets, 0 shm files" "$(counts)"
umount "$T/rostate"
finish
