# shellcheck shell=bash
# The incident, without mod_ipcguard: every kill -9 of httpd leaks the
# SysV objects its parent made (the test module's post_config objects and
# the semaphore set of "Mutex sysvsem default" for mod_rewrite's prg: map),
# each new start makes a fresh set of them, and a clean stop removes only
# the objects of the run that stops. Objects a child made at runtime (as
# PHP's sem_get() does) survive everything. Also proves the harness: ipcs
# inside the namespace sees exactly what the server made.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
ipcg_sandbox

RUNS=3      # kill -9 after every run but the last, which stops cleanly

IPCG_TEST_MODULE=1 httpd_conf a <<CONF
IPCGTestPostConfig sem
IPCGTestPostConfig shm
IPCGTestPostConfig msg
IPCGTestPostConfig sem 4242
Mutex sysvsem default
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
RewriteMap m prg:/bin/cat
CONF

# "kind id" of the test module's objects made by the latest start, from
# the error log's notice lines (the last four)
logged_objects() {
  sed -n 's/.*ipcg_test: created sysv-\([a-z]*\) id \([0-9]*\) key \(-\?[0-9]*\) in post_config.*/\1 \2 \3/p' \
    "$(errlog a)" | tail -n 4
}

# ipcs's owner and key of one object: "owner key"
owner_key() {
  ipc_list "$1" | awk -v id="$2" '$1 == id { print $3, $2 }'
}

# semaphore sets of the run User, without the runtime one: the sysvsem
# mutexes httpd made (and chowned to www-data)
mutex_sets() {
  ipc_list sem | awk -v rt="${runtime_id:--1}" '$3 == "www-data" && $1 != rt' | wc -l
}

assert_eq "no SysV object in a fresh IPC namespace" "" "$(ipc_all)"

runtime_id=""
keyed_id=""
for run in $(seq 1 $RUNS); do
  httpd_start a || { fail "run $run: httpd starts"; exit 1; }
  ok "run $run: httpd starts and answers on 127.0.0.1:${PORT[a]}"

  # what the log says was made is what ipcs shows, owned by root
  made=$(logged_objects)
  assert_eq "run $run: the test module logged four objects" 4 "$(wc -l <<<"$made")"
  while read -r kind id key; do
    k=$(printf '0x%08x' "$key")
    assert_eq "run $run: sysv-$kind id $id (key $key) is in ipcs, root's, key $k" \
      "root $k" "$(owner_key "$kind" "$id")"
  done <<<"$made"

  # IPC_PRIVATE objects pile up, one more set per run; the keyed set is
  # found again by its key and so never doubles
  assert_eq "run $run: private post_config sets (one per run)" "$run" \
    "$(ipc_list sem | awk '$3 == "root" && $2 == "0x00000000"' | wc -l)"
  assert_eq "run $run: post_config segments (one per run)" "$run" "$(ipc_count shm)"
  assert_eq "run $run: post_config queues (one per run)" "$run" "$(ipc_count msg)"
  assert_eq "run $run: exactly one set with key 4242 (0x00001092)" 1 \
    "$(ipc_list sem | awk '$2 == "0x00001092"' | wc -l)"
  id=$(awk '$1 == "sem" && $3 == 4242 { print $2 }' <<<"$made")
  if [ "$run" -gt 1 ]; then
    assert_eq "run $run: the keyed set the killed run left is reused" "$keyed_id" "$id"
  fi
  keyed_id=$id
  # Mutex sysvsem default: mod_rewrite's map mutex (the only mutex of this
  # configuration: one Listen, so prefork takes no accept mutex)
  assert_eq "run $run: sysvsem mutex sets of www-data (one per run)" "$run" "$(mutex_sets)"
  assert_match "run $run: mod_rewrite started the prg: map" '^/bin/cat$' \
    "$(for p in $(httpd_children a); do tr '\0' ' ' <"/proc/$p/cmdline" | sed 's/ $//'; echo; done)"

  if [ "$run" = 1 ]; then
    # a child makes a set at runtime, as PHP's sem_get() would
    before=$(ipc_ids sem)
    reply=$(http_get a "/ipcg-test?make=sem&semop=1")
    assert_match "the handler replies 'kind id key pid'" '^sysv-sem [0-9]+ 0 [0-9]+$' "$reply"
    read -r _ runtime_id _ child <<<"$reply"
    assert_match "the set is new" "^sysv-sem ${runtime_id}\$" \
      "$(comm -13 <(tr ' ' '\n' <<<"$before" | sort) <(ipc_ids sem | tr ' ' '\n' | sort) | sed 's/^/sysv-sem /')"
    assert_eq "it is www-data's, key 0" "www-data 0x00000000" "$(owner_key sem "$runtime_id")"
    assert_match "the replying pid $child is a child of httpd" "^${child}\$" "$(httpd_children a)"
    assert_eq "its sempid is that child (semop=1)" "$child" \
      "$(ipcs -s -i "$runtime_id" | awk '$1 == "0" && NF == 5 { print $5 }')"
    assert_eq "?pid=1 answers with a child's pid" 1 \
      "$(http_get a "/ipcg-test?pid=1" | grep -cE '^[0-9]+$')"
    assert_eq "a bad kind is refused" 400 "$(http_code a "/ipcg-test?make=pipe")"
    assert_eq "a bad key is refused" 400 "$(http_code a "/ipcg-test?make=sem&key=0x10")"
    # children that end themselves, after a complete reply
    for how in exit crash; do
      p=$(http_get a "/ipcg-test?pid=1&$how=1")
      assert_match "?$how=1: the reply still comes in full" '^[0-9]+$' "$p"
      if wait_gone 5 "$p"; then ok "?$how=1: child $p ended"; else fail "?$how=1: child $p ended" "expected: gone within 5 s" "     got: alive"; fi
    done
  fi

  if [ "$run" -lt "$RUNS" ]; then
    before=$(ipc_all)
    parent=$(httpd_pid a)
    tree="$parent $(httpd_children a | xargs)"
    httpd_kill9_tree a || fail "run $run: kill -9 ends the tree"
    left=""
    for p in $tree; do pid_alive "$p" && left="$left $p"; done
    assert_eq "run $run: kill -9 left no process of the tree ($tree)" "" "$left"
    assert_eq "run $run: after kill -9 every object is still there (leaked)" \
      "$before" "$(ipc_all)"
  fi
done

# a clean stop removes exactly the objects of the run that stops: its
# private post_config objects, its mutex, and the keyed set it reused;
# what the killed runs leaked and the runtime set stay
before=$(ipc_all)
mine=$(logged_objects | awk '{ print $1, $2 }')
mutex_ids=$(ipc_list sem | awk -v rt="$runtime_id" '$3 == "www-data" && $1 != rt { print "sem", $1 }')
httpd_stop a || fail "SIGTERM stops httpd within 10 s"
assert_eq "the stopped run's four objects are gone" "" \
  "$(comm -12 <(ipc_all | sort) <(sort <<<"$mine"))"
expected=$(comm -23 <(sort <<<"$before") <(sort <<<"$mine"))
removed_mutex=$(comm -23 <(sort <<<"$expected") <(ipc_all | sort))
assert_eq "besides those, only one set went: its own sysvsem mutex" 1 \
  "$(grep -c . <<<"$removed_mutex")"
assert_match "and that set was a www-data mutex set" "^${removed_mutex}\$" "$mutex_ids"
assert_eq "the $((RUNS - 1)) killed runs' leaks remain: $((RUNS - 1)) private sets, segments, queues, mutexes" \
  "$((RUNS - 1)) $((RUNS - 1)) $((RUNS - 1)) $((RUNS - 1))" \
  "$(ipc_list sem | awk '$3 == "root"' | wc -l) $(ipc_count shm) $(ipc_count msg) $(mutex_sets)"
assert_eq "the runtime set remains" "www-data 0x00000000" "$(owner_key sem "$runtime_id")"
assert_eq "no set with key 4242 is left (the last run removed the one it reused)" 0 \
  "$(ipc_list sem | awk '$2 == "0x00001092"' | wc -l)"
assert_file_contains "the error log shows the clean shutdown" "$(errlog a)" 'caught SIGTERM, shutting down'
