# mpms: prefork
# A PHP application's SysV objects under Debian's mod_php: the set and the
# segment its page uses are this server's application objects before a
# restart, after a clean one, a graceful one and a kill -9 with a start;
# its counter goes on; orphans mode removes none of it; a keyed object of a
# program outside httpd stays foreign; the start after a crash keeps the
# application's objects without a warning; and without the record, the
# next use adopts them.
#
# Under the sanitizer run (make test-asan) mod_php cannot be loaded: PHP
# opens its extensions with RTLD_DEEPBIND, which the sanitizer runtimes
# refuse. There the test module makes the same calls from the children
# (semget of a key and a semop, shmget of a key and shmat), and only the
# PHP counter is not checked.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox
PHPSO=$MODDIR/libphp8.2.so
MKOBJ=$REPO/build/ipcg_mkobj
PHP=1
if [ "$APACHE2" != /usr/sbin/apache2 ] && grep -qs libasan "$APACHE2"; then
  PHP=0
  echo "# sanitizer run: the test module stands in for the PHP page"
fi
if [ $PHP = 1 ] && [ ! -f "$PHPSO" ]; then
  fail "libapache2-mod-php8.2 is installed (make deps)"; finish; exit 1
fi
if [ $PHP = 1 ]; then
  WITH_TEST=0 httpd_conf app <<CONF
LoadModule php_module $PHPSO
<FilesMatch "\.php$">
  SetHandler application/x-httpd-php
</FilesMatch>
IPCGuardCleanup orphans
CONF
else
  WITH_TEST=1 httpd_conf app <<CONF
IPCGuardCleanup orphans
CONF
fi
cat > "$T/app/htdocs/app.php" <<'PHP'
<?php
if (isset($_GET['keys'])) {
    echo ftok(__FILE__, 'a'), " ", ftok(__FILE__, 'b'), "\n";
    exit;
}
$sem = sem_get(ftok(__FILE__, 'a'), 1, 0600, 0);
$shm = shm_attach(ftok(__FILE__, 'b'), 16384, 0600);
sem_acquire($sem);
$n = (shm_has_var($shm, 1) ? shm_get_var($shm, 1) : 0) + 1;
shm_put_var($shm, 1, $n);
sem_release($sem);
shm_detach($shm);
echo $n, "\n";
PHP
chmod -R a+rX "$T/app/htdocs"

# a program outside httpd: a keyed set it operates on and a keyed segment
# it attaches, both held while it runs
FKEY_SEM=4242 FKEY_SHM=4243
"$MKOBJ" sem $FKEY_SEM op hold >/dev/null & OUT1=$!
"$MKOBJ" shm $FKEY_SHM attach hold >/dev/null & OUT2=$!

httpd_start app || { fail "the server with the application starts"; finish; exit 1; }
if [ $PHP = 1 ]; then
  read -r SEMKEY SHMKEY <<<"$(http app '/app.php?keys')"
else
  SEMKEY=1627406676 SHMKEY=1644183892    # 0x61004154, 0x62004154
fi
if ! [[ "$SEMKEY" =~ ^-?[0-9]+$ && "$SHMKEY" =~ ^-?[0-9]+$ ]]; then
  fail "the page prints its ftok keys: got '$SEMKEY $SHMKEY'"; finish; exit 1
fi
SEMHEX=$(printf '0x%08x' $((SEMKEY & 0xffffffff)))
SHMHEX=$(printf '0x%08x' $((SHMKEY & 0xffffffff)))
COUNT=0
SEMID="" SHMID=""

# one request of the application: PHP prints its counter
app_use() {
  if [ $PHP = 1 ]; then
    http app /app.php
  else
    http app "/ipcg-test?make=sem&key=$SEMKEY&semop=1" >/dev/null
    http app "/ipcg-test?make=shm&key=$SHMKEY&attach=1" >/dev/null
  fi
}

ids_of() {   # "semid shmid" of the application's objects in the kernel
  echo "$(awk -v k="$SEMKEY" 'NR > 1 && $1 == k { print $2 }' /proc/sysvipc/sem)" \
       "$(awk -v k="$SHMKEY" 'NR > 1 && $1 == k { print $2 }' /proc/sysvipc/shm)"
}

# check_app WHEN [scan]: one request, then the page, ?json and ?metrics
# (after the next scan when asked; a start and a restart publish a full
# scan before they answer, and the monitor runs only every ten seconds)
check_app() {
  local when=$1 n json metrics html
  n=$(app_use)
  COUNT=$((COUNT + 1))
  if [ $PHP = 1 ]; then
    check_eq "$when: the counter in the segment goes on" "$COUNT" "$n"
  fi
  if [ -z "$SEMID" ]; then read -r SEMID SHMID <<<"$(ids_of)"; fi
  check_eq "$when: the same set and segment as at first (nothing removed)" \
    "$SEMID $SHMID" "$(ids_of)"
  if [ "${2:-}" = scan ]; then wait_scan app; fi
  json=$(http app "/ipc-status?json")
  check_eq "$when: ?json lists the set and the segment as application objects" \
    "sysv-sem $SEMID application runtime|sysv-shm $SHMID application runtime" \
    "$(jq -r --argjson a "$SEMKEY" --argjson b "$SHMKEY" \
       '[.objects[] | select(.key == $a or .key == $b) | "\(.kind) \(.id) \(.class) \(.phase)"] | sort | join("|")' <<<"$json")"
  check_eq "$when: ?json counts them as application objects" "1 1" \
    "$(jq -r '"\(.totals["sysv-sem"].application) \(.totals["sysv-shm"].application)"' <<<"$json")"
  check_eq "$when: the outside program's keyed objects are not listed (foreign)" "" \
    "$(jq -r --argjson a $FKEY_SEM --argjson b $FKEY_SHM \
       '.objects[] | select(.key == $a or .key == $b) | "\(.kind) \(.class)"' <<<"$json")"
  check_cmp "$when: ?json counts the outside program's set as foreign" \
    "$(jq '.totals["sysv-sem"].foreign' <<<"$json")" -ge 1
  check_cmp "$when: and its segment" "$(jq '.totals["sysv-shm"].foreign' <<<"$json")" -ge 1
  metrics=$(http app "/ipc-status?metrics")
  check_match "$when: ?metrics counts the set as application" \
    '^ipcguard_objects\{kind="sysv-sem",class="application"\} 1$' "$metrics"
  check_match "$when: ?metrics counts the segment as application" \
    '^ipcguard_objects\{kind="sysv-shm",class="application"\} 1$' "$metrics"
  html=$(http app "/ipc-status")
  check_match "$when: the page lists the set as application" \
    "<tr><td>sysv-sem</td><td>[^<]*$SEMID[^<]*</td><td>$SEMHEX</td>.*<td>application</td>" "$html"
  check_match "$when: the page lists the segment as application" \
    "<tr><td>sysv-shm</td><td>[^<]*$SHMID[^<]*</td><td>$SHMHEX</td>.*<td>application</td>" "$html"
  check_nomatch "$when: the page lists nothing of the outside program" \
    "<td>0x0000109[23]</td>" "$html"
}

# wait until the whole tree of the server is gone
stop_clean() {
  local pids p
  pids=$(tree_pids "${PARENT[app]}")
  httpd_stop app
  for p in $pids; do wait_gone "$p"; done
}

check_app "before any restart" scan

stop_clean
check_match "a clean stop keeps the record of the application objects" \
  "obj kind=sysv-sem id=$SEMID key=$SEMKEY .*obj kind=sysv-shm id=$SHMID key=$SHMKEY " \
  "$(cat "$T"/state/*.apps 2>/dev/null | tr '\n' ' ')"
httpd_start app || { fail "the server starts again after a clean stop"; finish; exit 1; }
check_eq "after a clean restart: known from the first scan, before any request" \
  "application application" \
  "$(http app "/ipc-status?json" | jq -r --argjson a "$SEMKEY" --argjson b "$SHMKEY" \
     '[.objects[] | select(.key == $a or .key == $b) | .class] | join(" ")')"
check_app "after a clean restart"

httpd_signal_restart app USR1 || fail "graceful restart"
check_app "after a graceful restart"

lines=$(errlog app | wc -l)
httpd_kill9_tree app
httpd_start app || { fail "the server starts again after kill -9"; finish; exit 1; }
check_app "after kill -9 and a start"
log=$(errlog app | tail -n +$((lines + 1)))
check_match "the start after the crash sums them up in its one notice line" \
  'ipcguard\(021\): removed .*; kept 2 application objects' "$log"
check_nomatch "the start after the crash logs no warning about them" \
  "ipcguard:warn.*($SEMHEX|$SHMHEX|id $SEMID |id $SHMID )" "$log"
check_match "each kept application object is said at info" \
  "ipcguard:info.*ipcguard\(026\): keeping sysv-sem id $SEMID key $SEMHEX" "$log"
check_eq "and the verdict warns of nothing kept" "" \
  "$(http app "/ipc-status?json" | jq -r '.verdict.findings[] | select(.topic == "kept") | .what')"

# without the record (a server that ran an older release), the
# application's next use makes them this server's again
stop_clean
rm -f "$T"/state/*.apps
httpd_start app || { fail "the server starts without the record"; finish; exit 1; }
check_eq "without the record and before any use, they are foreign" "0 0" \
  "$(http app "/ipc-status?json" | jq -r '"\(.totals["sysv-sem"].application) \(.totals["sysv-shm"].application)"')"
lines=$(errlog app | wc -l)
n=$(app_use)
COUNT=$((COUNT + 1))
if [ $PHP = 1 ]; then
  check_eq "the page still counts on" "$COUNT" "$n"
fi
"$MKOBJ" sem >/dev/null      # something new: the next scan is a full one
wait_scan app
json=$(http app "/ipc-status?json")
check_eq "one use by a child adopts both: application, runtime, module unknown" \
  "sysv-sem application runtime unknown|sysv-shm application runtime unknown" \
  "$(jq -r --argjson a "$SEMKEY" --argjson b "$SHMKEY" \
     '[.objects[] | select(.key == $a or .key == $b) | "\(.kind) \(.class) \(.phase) \(.module)"] | sort | join("|")' <<<"$json")"
check_eq "with the pid that used them, a process of the server's tree, and when" "2 2" \
  "$(jq -r --argjson a "$SEMKEY" --argjson b "$SHMKEY" --argjson t "$(date +%s)" \
     '[.objects[] | select(.key == $a or .key == $b)] | "\([.[] | select(.owner_pid > 0)] | length) \([.[] | select(.adopted > $t - 120 and .adopted <= $t)] | length)"' <<<"$json")"
owner=$(jq -r --argjson a "$SEMKEY" '.objects[] | select(.key == $a) | .owner_pid' <<<"$json")
check_match "that pid is one of the server's processes" " $owner( |$)" " $(tree_pids "${PARENT[app]}") "
check_match "the adoption is said at info" \
  "ipcguard:info.*ipcguard\(111\): sysv-sem id $SEMID key $SEMHEX is an application object of this server" \
  "$(errlog app | tail -n +$((lines + 1)))"
check_app "after adoption by use"
check_eq "the outside program still runs and holds its objects" "2" \
  "$(kill -0 $OUT1 && kill -0 $OUT2 && echo 2)"

httpd_stop app
kill $OUT1 $OUT2; wait $OUT1 $OUT2 2>/dev/null
finish
