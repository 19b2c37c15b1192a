# Two ordinary users' servers (uids 1500 and 1501, no passwd entries, each
# with its default state directory <DefaultRuntimeDir>/ipcguard) and a
# root server (User www-data) in one IPC namespace, all killed with -9:
# in report, registered and orphans mode each start cleans up only after
# its own earlier run (and, in orphans mode, only its own user's orphans),
# never another user's objects. State files and directories another user
# could have written are refused with the reason. ipcguardctl clean works
# for a user's instance, run as that user.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
MK=$REPO/build/ipcg_mkobj
U1=1500 U2=1501 WWW=33
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"; }
# the set ids owned by uid $1
sets_of() { awk -v u="$1" 'NR > 1 && $5 == u { print $2 }' /proc/sysvipc/sem | sort -n | tr '\n' ' '; }
# how many of the set ids $1 still exist
still() {
  local n=0 id
  for id in $1; do
    awk -v i="$id" 'NR > 1 && $2 == i { f = 1 } END { exit !f }' /proc/sysvipc/sem && n=$((n + 1))
  done
  echo "$n"
}
count() { echo $#; }
declare -A RUNAS=([u1]=$U1 [u2]=$U2 [root]="") UID_OF=([u1]=$U1 [u2]=$U2 [root]=$WWW)

conf_all() {
  local mode=$1 n
  for n in u1 u2; do
    RUN_AS=${RUNAS[$n]} STATE_DIR=default WITH_TEST=0 \
      EXTRA_CONF="IPCGuardCleanup $mode" full_conf "$n"
  done
  WITH_TEST=0 EXTRA_CONF="IPCGuardCleanup $mode" full_conf root
}

for mode in report registered orphans; do
  ipcrm -a; rm -rf /dev/shm/* "$T"/u1/run/ipcguard "$T"/u2/run/ipcguard "$T"/state/*
  conf_all "$mode"
  for n in u1 u2 root; do
    RUN_AS=${RUNAS[$n]} httpd_start "$n" || fail "$mode: $n starts"
  done
  declare -A OLD ORPHAN NEW
  for n in u1 u2 root; do
    OLD[$n]=$(sets_of "${UID_OF[$n]}")
    # an orphan of each user: a private set whose only pid is dead
    ORPHAN[$n]=$(as "${UID_OF[$n]}" "$MK" sem op)
  done
  check_eq "$mode: each server made its own sets (6, 6, 6)" "6 6 6" \
    "$(count ${OLD[u1]}) $(count ${OLD[u2]}) $(count ${OLD[root]})"
  for n in u1 u2 root; do httpd_kill9_tree "$n"; done
  for n in u1 u2 root; do
    : > "$T/$n/error.log"
    RUN_AS=${RUNAS[$n]} httpd_start "$n" || fail "$mode: $n starts again"
    NEW[$n]=$(comm -23 <(sets_of "${UID_OF[$n]}" | tr ' ' '\n' | sort) \
                       <(echo ${OLD[$n]} ${ORPHAN[$n]} | tr ' ' '\n' | sort) | tr '\n' ' ')
    for m in u1 u2 root; do
      if [ "$m" = "$n" ] || { [ "$m" = u1 ] && [ "$n" != u1 ]; } || { [ "$m" = u2 ] && [ "$n" = root ]; }; then
        done_already=1
      else
        done_already=0
      fi
      if [ "$m" = "$n" ]; then
        case $mode in
          report) want_old=6 want_orphan=1 ;;
          registered) want_old=0 want_orphan=1 ;;
          orphans) want_old=0 want_orphan=0 ;;
        esac
      elif [ "$done_already" = 1 ]; then
        continue            # checked at its own start
      else
        want_old=6 want_orphan=1
      fi
      check_eq "$mode: after $n's start, $m's dead run's sets left: $want_old, its orphan: $want_orphan" \
        "$want_old $want_orphan" "$(still "${OLD[$m]}") $(still "${ORPHAN[$m]}")"
    done
    log=$(errlog "$n")
    case $mode in
      report) check_match "$mode: $n reports what it would remove" "ipcguard\(021\): removed no IPC object left by httpd pid [0-9]+ .*kept 9" "$log" ;;
      *) check_match "$mode: $n removed its dead run's objects" "ipcguard\(021\): removed 9 stale IPC objects \(6 semaphore sets, 3 /dev/shm files\)" "$log" ;;
    esac
    if [ "$mode" = orphans ]; then
      check_match "$mode: $n removed its user's orphan" "ipcguard\(030\): removed orphan sysv-sem id ${ORPHAN[$n]} " "$log"
    else
      check_match "$mode: $n reports its user's orphan" "ipcguard\(032\): 1 orphan candidate of earlier runs owned by uid ${UID_OF[$n]}: 1 provably dead, 0 removed" "$log"
    fi
    check_nomatch "$mode: $n: no error" "\[ipcguard:error\]|ipcguard\(0(11|13|14|15|18)\)" "$log"
  done
  # the running servers' sets are all there, untouched by the later starts
  check_eq "$mode: the three running servers have their 6 sets each" "6 6 6 6 6 6" \
    "$(count ${NEW[u1]}) $(count ${NEW[u2]}) $(count ${NEW[root]}) $(still "${NEW[u1]}") $(still "${NEW[u2]}") $(still "${NEW[root]}")"
  for n in u1 u2 root; do httpd_stop "$n" || fail "$mode: $n stops"; done
done

# ---- state files and directories another user could have written --------
ipcrm -a; rm -rf /dev/shm/* "$T"/u1/run/ipcguard "$T"/u2/run/ipcguard "$T"/state/*
conf_all registered
RUN_AS=$U2 httpd_start u2 || fail "u2 starts"
sdir=$T/u1/run/ipcguard
# tamper KIND: change u1's dead run's state file, start u1, expect REASON
tamper() {
  local kind=$1 reason=$2 old st
  RUN_AS=$U1 httpd_start u1 || fail "$kind: u1 starts"
  old=$(sets_of $U1)
  httpd_kill9_tree u1
  st=$(ls "$sdir"/*.state)
  case $kind in
    group-writable) chmod 660 "$st" ;;
    world-writable) chmod 606 "$st" ;;
    another-owner) chown $U2:$U2 "$st" ;;
    symlink) cp -p "$st" "$sdir/copy"; rm "$st"; ln -s copy "$st"; chown -h $U1:$U1 "$st" ;;
    root-owned) chown 0:0 "$st" ;;
  esac
  : > "$T/u1/error.log"
  RUN_AS=$U1 httpd_start u1 || fail "$kind: u1 starts after the change"
  check_match "a $kind state file is refused with the reason" \
    "ipcguard\(011\): refusing state file $st: $reason; nothing removed" "$(errlog u1)"
  check_eq "$kind: nothing of the dead run was removed" 6 "$(still "$old")"
  httpd_stop u1
  for id in $old; do ipcrm -s "$id"; done
  rm -f "$sdir/copy" "$st"
}
tamper group-writable "is group- or world-writable \(mode 0660\)"
tamper world-writable "is group- or world-writable \(mode 0606\)"
tamper another-owner "owned by uid $U2, not uid $U1"
tamper root-owned "owned by uid 0, not uid $U1"
tamper symlink "is a symbolic link"
# another user's directory: refused whole, nothing read, nothing written
u2dir=$T/u2/run/ipcguard
RUN_AS=$U1 STATE_DIR=$u2dir WITH_TEST=0 full_conf u1
: > "$T/u1/error.log"
before=$(ls -l "$u2dir")
RUN_AS=$U1 httpd_start u1 || fail "u1 starts with u2's state directory"
check_match "another user's state directory is refused" \
  "ipcguard\(105\): IPCGuardStateDir: (unsafe state directory: directory $u2dir is owned by uid $U2, not uid $U1|cannot stat)" "$(errlog u1)"
check_eq "and left as it was" "$before" "$(ls -l "$u2dir")"
httpd_stop u1
httpd_stop u2
ipcrm -a; rm -rf /dev/shm/*

# ---- ipcguardctl clean as the user ---------------------------------------
conf_all registered
RUN_AS=$U1 httpd_start u1 || fail "u1 starts"
RUN_AS=$U2 httpd_start u2 || fail "u2 starts"
old1=$(sets_of $U1) old2=$(sets_of $U2)
old1pid=${PARENT[u1]}
httpd_kill9_tree u1
httpd_kill9_tree u2
ctl_args=(clean --state-dir "$T/u1/run/ipcguard" --pidfile "$T/u1/run/httpd.pid")
out=$(as $U2 "$CTL" "${ctl_args[@]}" 2>&1); rc=$?
check_eq "ipcguardctl clean as another user is refused" 3 "$rc"
check_match "and says why" "refusing state file|cannot stat|Permission denied" "$out"
check_eq "it removed nothing" "6 6" "$(still "$old1") $(still "$old2")"
out=$(as $U1 "$CTL" "${ctl_args[@]}" --dry-run 2>&1); rc=$?
check_eq "ipcguardctl clean --dry-run as the user succeeds" 0 "$rc"
check_eq "and removes nothing" 6 "$(still "$old1")"
out=$(as $U1 "$CTL" "${ctl_args[@]}" 2>&1); rc=$?
check_eq "ipcguardctl clean as the user succeeds" 0 "$rc"
check_match "and says what it removed" "removed 9 stale IPC objects \(6 semaphore sets, 3 /dev/shm files\) left by httpd pid $old1pid" "$out"
check_eq "the user's dead run's sets are gone" 0 "$(still "$old1")"
check_eq "the other user's dead run's sets are not" 6 "$(still "$old2")"
: > "$T/u1/error.log"
RUN_AS=$U1 httpd_start u1 || fail "u1 starts after the clean"
check_match "the next start reads the file the tool left" \
  "ipcguard\(021\): removed no IPC object left by httpd pid $old1pid " "$(errlog u1)"
check_nomatch "and reports no removal from outside" "outside" "$(errlog u1)"
httpd_stop u1
finish
