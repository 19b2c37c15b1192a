# mpms: prefork worker event
# Nothing foreign is ever removed, in any mode, orphans included; runs
# that are not normal starts remove nothing; hostile state files remove
# nothing and say why; surviving children keep what they use.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox
MK=$REPO/build/ipcg_mkobj
as_www() { setpriv --reuid=33 --regid=33 --clear-groups "$@"; }
exists() { awk -v k="$1" -v id="$2" 'NR > 1 && $2 == id { f = 1 } END { exit !f }' "/proc/sysvipc/$1"; }

small='Mutex sysvsem default
LoadModule rewrite_module '$MODDIR'/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat'

# --- the neighbours -------------------------------------------------------
# a second instance with the module, sharing the state directory
httpd_conf other <<<"$small"
httpd_start other || fail "a second guarded instance starts"
# a stock httpd, same User, without the module
WITH_GUARD=0 httpd_conf stock <<<"$small"
WITH_GUARD=0 httpd_start stock || fail "a stock instance starts"
held=$(http stock "/ipcg-test?make=sem&semop=1" | awk '{ print $2 }')
attached=$(http stock "/ipcg-test?make=shm&attach=1" | awk '{ print $2 }')
# a www-data process that holds a set and an attached segment
as_www "$MK" sem op hold > "$T/h1" & holder1=$!
as_www "$MK" shm attach hold > "$T/h2" & holder2=$!
sleep 0.3
hsem=$(cat "$T/h1"); hshm=$(cat "$T/h2")
# an application's keyed set whose creator exited
appkeyed=$(as_www "$MK" sem 5150 op)
# root's segment, and www-data sets nobody ever operated on
rootseg=$("$MK" shm)
never1=$(as_www "$MK" sem); never2=$(as_www "$MK" sem)
# a www-data set whose only pid is dead: a provable orphan
orphan=$(as_www "$MK" sem op)
# many more, every tenth never operated on (unprovable): a pass over
# this many probes with a second thread
many=""; many_never=""
for i in $(seq 1 150); do
  if [ $((i % 10)) = 0 ]; then many_never+=" sem:$(as_www "$MK" sem)"
  else many+=" $(as_www "$MK" sem op)"; fi
done
neighbours="sem:$held shm:$attached sem:$hsem shm:$hshm sem:$appkeyed shm:$rootseg sem:$never1 sem:$never2$many_never"
other_sets=$(http other "/ipc-status?json" | jq -r '.objects[] | select(.class == "instance") | "\(.kind | sub("sysv-"; "")):\(.id)"' | tr '\n' ' ')
stock_sets=$(awk 'NR > 1 && $4 == 1 && $5 == 33 { print "sem:" $2 }' /proc/sysvipc/sem | tr '\n' ' ')

all_there() {
  local o
  for o in $neighbours $other_sets; do
    exists "${o%%:*}" "${o#*:}" || { echo "# gone: $o"; return 1; }
  done
}
check_eq "the neighbours' objects exist to begin with" 0 "$(all_there >/dev/null; echo $?)"

# --- the guarded instance, crashed, restarted in every mode ---------------
# the guarded instance makes 80 sets of its own in post_config, so that
# its startup cleanup, too, probes with a second thread
own_sets=$(printf 'IPCGTestPostConfig sem\n%.0s' $(seq 1 80))
for mode in report registered orphans; do
  httpd_conf a <<<"$small
$own_sets
IPCGuardCleanup $mode"
  httpd_start a || fail "instance a starts ($mode)"
  mine=$(http a "/ipc-status?json" | jq -r '[.objects[] | select(.class == "instance") | .id] | sort | join(" ")')
  check_cmp "$mode: the run has sets of its own to decide on (else the checks below prove nothing)" "$(wc -w <<<"$mine")" -ge 81
  httpd_kill9_tree a
  httpd_start a || fail "instance a restarts after kill -9 ($mode)"
  all_there; check_eq "$mode mode: no neighbour's object was removed" 0 "$?"
  left=0; for id in $mine; do exists sem "$id" && left=$((left + 1)); done
  check_match "$mode: the startup cleanup probes the dead run's sets in two threads" \
    "ipcguard\(033\): startup cleanup: probing [0-9]+ objects in two threads" "$(errlog a)"
  if [ "$mode" = report ]; then
    check_eq "report mode keeps each of the dead run's $(wc -w <<<"$mine") sets" "$(wc -w <<<"$mine")" "$left"
  else
    check_eq "$mode mode removes each of the dead run's $(wc -w <<<"$mine") sets" 0 "$left"
  fi
  if [ "$mode" = report ]; then
    check_match "report mode says what it would remove" "ipcguard\(020\): keeping sysv-sem id [0-9]+ .*report mode: would be removed" "$(errlog a)"
    # the kept objects stay registered: the next start decides again
    check_match "report mode carries the dead run's objects" "^sysv-sem" \
      "$(http a "/ipc-status?json" | jq -r '.cleanup.kept[] | .kind')"
  fi
  json=$(http a "/ipc-status?json")
  if [ "$mode" = orphans ]; then
    exists sem "$orphan"
    check_eq "orphans mode: the stock httpd runs, so nothing is provable" 0 "$?"
    check_match "and the reason says so" "runs without the module" "$(jq -r '.orphans[].reason' <<<"$json")"
  fi
  check_eq "$mode: sets never operated on are unprovable" "false false" \
    "$(jq -r "[.orphans[] | select(.id == $never1 or .id == $never2) | .provable] | join(\" \")" <<<"$json")"
  httpd_kill9_tree a
done
for n in other stock; do
  check_eq "$n still serves" 200 "$(http_code $n /index.html)"
  check_nomatch "$n's log shows no removed identifier" "Identifier removed|AH00144" "$(errlog $n)"
done

# with the stock server gone, a provable orphan is removed in orphans mode
httpd_stop stock
httpd_conf a <<<"$small
IPCGuardCleanup orphans"
httpd_start a || fail "instance a starts in orphans mode"
exists sem "$orphan"; check_eq "orphans mode removes a provable orphan" 1 "$?"
left=0; for id in $many; do exists sem "$id" && left=$((left + 1)); done
check_eq "and each of the $(wc -w <<<"$many") other provable orphans" 0 "$left"
left=0; for o in $many_never; do exists sem "${o#*:}" && left=$((left + 1)); done
check_eq "but none of the $(wc -w <<<"$many_never") unprovable sets among them" "$(wc -w <<<"$many_never")" "$left"
check_match "the orphan pass probes them in two threads" \
  "ipcguard\(033\): orphan pass: probing [0-9]+ objects in two threads" "$(errlog a)"
exists sem "$never1"; check_eq "but never an unprovable one" 0 "$?"
exists sem "$hsem"; check_eq "nor one a live process holds" 0 "$?"
exists sem "$appkeyed"; check_eq "nor an application's keyed set" 0 "$?"
exists shm "$rootseg"; check_eq "nor root's segment" 0 "$?"
for o in $other_sets; do exists "${o%%:*}" "${o#*:}"; check_eq "nor the live instance's $o" 0 "$?"; done
check_match "the removal is logged" "ipcguard\(030\): removed orphan sysv-sem id $orphan" "$(errlog a)"

# --- runs that are not normal starts remove nothing -------------------------
mine=$(http a "/ipc-status?json" | jq -r '[.objects[] | select(.class == "instance") | .id] | sort | join(" ")')
check_cmp "the live run has sets of its own" "$(wc -w <<<"$mine")" -ge 1
state=$(ls "$T"/state/*.state | head -n 1)
for args in "-t" "-S" "-M" "-k start"; do
  sum=$(md5sum "$T"/state/*)
  out=$("$APACHE2" -f "$T/a/httpd.conf" $args 2>&1)
  sleep 0.3
  left=0; for id in $mine; do exists sem "$id" && left=$((left + 1)); done
  check_eq "apache2 $args removes nothing of the live run" "$(wc -w <<<"$mine")" "$left"
  check_eq "apache2 $args leaves the state and history files alone" "$sum" "$(md5sum "$T"/state/*)"
  # what such a process says goes to its own stderr, not the error log
  check_nomatch "apache2 $args prints no line of the module's" 'ipcguard\(|\[ipcguard' "$out"
done
# a graceful restart replaces httpd's own mutexes; the module removes
# nothing itself, and the signalling process says nothing
removed_before=$(grep -c 'ipcguard(0[13][07])' "$T/a/error.log")
out=$("$APACHE2" -f "$T/a/httpd.conf" -k graceful 2>&1)
check_nomatch "apache2 -k graceful prints no line of the module's" 'ipcguard\(|\[ipcguard' "$out"
sleep 1
check_eq "apache2 -k graceful: the server's module removes nothing" "$removed_before" "$(grep -c 'ipcguard(0[13][07])' "$T/a/error.log")"
check_eq "apache2 -k graceful: the server keeps its set count" "$(wc -w <<<"$mine")" \
  "$(http a "/ipc-status?json" | jq '[.objects[] | select(.class == "instance")] | length')"
mine=$(http a "/ipc-status?json" | jq -r '[.objects[] | select(.class == "instance") | .id] | sort | join(" ")')
check_cmp "the crashed run has sets of its own" "$(wc -w <<<"$mine")" -ge 1
httpd_kill9_tree a
"$APACHE2" -t -f "$T/a/httpd.conf" >/dev/null 2>&1
left=0; for id in $mine; do exists sem "$id" && left=$((left + 1)); done
check_eq "apache2 -t after a crash removes nothing either" "$(wc -w <<<"$mine")" "$left"

# --- hostile state files ------------------------------------------------------
dead=$(ls "$T"/state/*.state | xargs grep -l "^pid " | while read -r f; do
  p=$(awk '$1 == "pid" { print $2 }' "$f"); kill -0 "$p" 2>/dev/null || echo "$f"; done | head -n 1)
cp -p "$dead" "$T/orig.state"
hostile() {   # hostile DESC EXPECTED-REASON: $dead has been tampered with
  local out
  out=$("$CTL" clean --state "$dead" --state-dir "$T/state" --user www-data 2>&1)
  rc=$?
  local left=0 id
  for id in $mine; do exists sem "$id" && left=$((left + 1)); done
  check_eq "$1: nothing removed" "$(wc -w <<<"$mine")" "$left"
  check_match "$1: says why" "$2" "$out"
  rm -f "$dead"; cp -p "$T/orig.state" "$dead"
}
ln -sf "$T/orig.state" "$T/link.state"; rm -f "$dead"; ln -s "$T/orig.state" "$dead"
hostile "a symlink" "is a symbolic link"
chmod 0666 "$dead"; hostile "a world-writable file" "group- or world-writable"
chmod 0620 "$dead"; hostile "a group-writable file" "group- or world-writable"
chown 65534 "$dead"; hostile "a file owned by another user" "owned by uid 65534, not root"
head -c 200 "$T/orig.state" > "$dead"; hostile "a truncated file" "truncated|no end line"
printf 'garbage\n' > "$dead"; hostile "garbage" "refusing state file .*: line 1: "
# entries naming another user's object, and an id that now holds another
# object: a forged file, re-sealed so that it parses
forge() {
  python3 - "$T/orig.state" "$dead" "$@" <<'PY'
import sys
src, dst, *subs = sys.argv[1:]
text = open(src).read().split('\nend ')[0] + '\n'
for s in subs:
    a, b = s.split('=>')
    text = text.replace(a, b)
body = text
h = 0xcbf29ce484222325
for c in body.encode('latin-1'):
    h ^= c; h = (h * 0x100000001b3) & 0xffffffffffffffff
n = sum(1 for l in body.split('\n') if l.startswith('obj '))
open(dst, 'w').write(body + 'end %d %016x\n' % (n, h))
PY
}
first=$(awk '$1 == "obj" { print; exit }' "$T/orig.state")
fid=$(sed 's/.* id=\([0-9-]*\) .*/\1/' <<<"$first")
forge " id=$fid => id=$hsem "; hostile "an entry naming a live www-data process's set" "now a different object|used by live pid"
forge " id=$fid => id=$never1 "; hostile "an entry whose id now holds another object" "now a different object"
forge " uid=33 => uid=1000 "; hostile "an entry naming another user's object" "neither root nor the run User"
check_eq "the forged runs remove nothing: the original still parses" 0 \
  "$("$CTL" clean --dry-run --state "$T/orig.state" --state-dir "$T/state" >/dev/null 2>&1; echo $?)"

# --- a parent-only kill -9 with surviving children ---------------------------
httpd_start a || fail "instance a starts for the survivor test"
mine=$(http a "/ipc-status?json" | jq -r '[.objects[] | select(.class == "instance") | .id] | sort | join(" ")')
check_cmp "the run whose parent dies has sets of its own" "$(wc -w <<<"$mine")" -ge 1
kids=$(children_of "${PARENT[a]}" | tr '\n' ' ')
httpd_kill9_parent a
sleep 0.3
httpd_expect_exit a    # the survivors hold the port: this start fails
log=$(errlog a; cat "$T/a/stdout.log")
check_match "the log names the surviving pids" "ipcguard\(015\): httpd pid [0-9]+ of this instance died but its processes .*$(awk '{ print $1 }' <<<"$kids")" "$log"
left=0; for id in $mine; do exists sem "$id" && left=$((left + 1)); done
check_eq "nothing the survivors may use was removed" "$(wc -w <<<"$mine")" "$left"
check_eq "the survivors still serve" 200 "$(http_code a /index.html)"
for k in $kids; do kill -9 "$k" 2>/dev/null; done
for k in $kids; do wait_gone "$k"; done
httpd_start a || fail "once the survivors are gone, a starts"
left=0; for id in $mine; do exists sem "$id" && left=$((left + 1)); done
check_eq "and removes the dead run's sets" 0 "$left"
httpd_stop a; httpd_stop other
kill "$holder1" "$holder2"
finish
