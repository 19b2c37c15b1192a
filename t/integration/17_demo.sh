# make demo as a newcomer runs it: a fresh clone of the committed HEAD in a
# directory www-data cannot traverse, the real build, the crash-and-cleanup
# story, every printed URL answering 200, make demo-crash showing a new
# cleanup, and make demo-stop leaving no process, mount, IPC object or
# directory behind.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox

# the demo's sandbox lives in /run: give this test a /run of its own
mount -t tmpfs -o mode=755 tmpfs /run || { fail "a private /run"; finish; exit 1; }
SANDBOX=/run/ipcguard-demo

head=$(git -C "$REPO" rev-parse HEAD)
echo "# testing commit $head (uncommitted changes are not in the clone)"
parent=$(mktemp -d "$T/clone.XXXXXX")
check_eq "the clone's parent directory is mode 0700" 700 "$(stat -c %a "$parent")"
clone=$parent/mod_ipcguard
if ! git clone -q "$REPO" "$clone" || ! git -C "$clone" checkout -q --detach "$head"; then
  fail "git clone $REPO"
  finish; exit 1
fi
if runuser -u www-data -- test -r "$clone/Makefile" 2>/dev/null; then
  fail "www-data cannot read the clone: it could"
else
  ok "www-data cannot read the clone"
fi

demo() {
  ( cd "$clone" && timeout -k 5 "$1" make --no-print-directory "$2" ) 2>&1
}
stop_demo() { demo 60 demo-stop >/dev/null; }

out=$(demo 240 demo); rc=$?
check_eq "make demo succeeds" 0 "$rc"
if [ "$rc" != 0 ]; then
  echo "$out" | tail -n 40 | sed 's/^/#   /'
  stop_demo; finish; exit 1
fi
# what it says after the build
sed -n '/^mod_ipcguard demo:/,$p' <<<"$out" | sed 's/^/#   /'

summary=$(grep -o 'ipcguard(021): .*' <<<"$out")
check_match "it prints the restart's summary: objects were removed" \
  '^ipcguard\(021\): removed [1-9][0-9]* stale IPC objects \(.*\) left by httpd pid [0-9]+ \(unclean stop' "$summary"
if ! grep -q 'ipcguard(021): removed [1-9]' <<<"$summary"; then
  grep -E 'ipcguard|AH00098|AH00094' "$SANDBOX/logs/error.log" | sed 's/^/#   log: /'
fi
check_eq "the summary is the error log's line" 1 \
  "$(grep -cF "$summary" "$SANDBOX/logs/error.log")"
check_match "and why the application's keyed set was kept (at info: no warning)" \
  'ipcguard\(026\): keeping sysv-sem .*application-owned' "$out"
check_match "it says what the kill -9 left behind" \
  'left behind in the sandbox: [1-9][0-9]* semaphore sets' "$out"
check_match "it prints the command that crashes it again" 'make demo-crash' "$out"
check_match "and the one that stops it" 'make -C [^ ]+ demo-stop|make demo-stop' "$out"

urls=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/[^ ]*' <<<"$out" | sort -u)
check_cmp "it prints the page's URLs" "$(grep -c . <<<"$urls")" -ge 5
for u in $urls; do
  check_eq "200 from $u" 200 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$u")"
done
base=$(grep -oE '^http://127\.0\.0\.1:[0-9]+' <<<"$urls" | head -n 1)
check_eq "nothing is served from the clone: everything is in the sandbox" "" \
  "$(grep -n "$clone" "$SANDBOX/httpd.conf" | grep -v 'LoadModule')"
check_eq "no .htaccess lookup failed" "" "$(grep AH00529 "$SANDBOX/logs/error.log")"

json1=$(curl -s --max-time 5 "$base/ipc-status?json")
prev1=$(jq -r .cleanup.previous_pid <<<"$json1")
check_eq "the page shows the cleanup after the kill -9" "done" "$(jq -r .cleanup.outcome <<<"$json1")"
check_cmp "it removed objects" "$(jq -r .cleanup.removed_count <<<"$json1")" -ge 1

# the sandbox's namespaces, to find anything left in them later
read -r holder _ unshare_pid _ < "$SANDBOX/holder"
ns_ipc=$(readlink "/proc/$holder/ns/ipc")
ns_mnt=$(readlink "/proc/$holder/ns/mnt")
ns_pid=$(readlink "/proc/$holder/ns/pid")
check_eq "the sandbox's IPC namespace is not this test's" false \
  "$([ "$ns_ipc" = "$(readlink /proc/self/ns/ipc)" ] && echo true || echo false)"
check_eq "the test's own IPC namespace has no object: the demo's are in the sandbox" 0 \
  "$(( $(kernel_count sem) + $(kernel_count shm) + $(kernel_count msg) ))"

# a second make demo: it runs already
out2=$(demo 60 demo); rc=$?
check_eq "make demo while the demo runs exits 0" 0 "$rc"
check_match "and says it runs" "already runs" "$out2"
check_match "with the same URLs" "$base/ipc-status" "$out2"

# make demo-crash: kill -9 of the whole server, a start, a new cleanup
out3=$(demo 60 demo-crash); rc=$?
echo "$out3" | sed 's/^/#   /'
check_eq "make demo-crash succeeds" 0 "$rc"
check_match "it prints the new summary" \
  'ipcguard\(021\): removed [1-9][0-9]* stale IPC objects' "$out3"
json2=$(curl -s --max-time 5 "$base/ipc-status?json")
check_cmp "the page shows a new cleanup: the previous pid changed ($prev1 before)" \
  "$(jq -r .cleanup.previous_pid <<<"$json2")" -ne "$prev1"
check_cmp "it removed objects again" "$(jq -r .cleanup.removed_count <<<"$json2")" -ge 1
check_cmp "and ran after the first one" "$(jq -r .cleanup.at <<<"$json2")" -ge "$(jq -r .cleanup.at <<<"$json1")"
check_eq "its summary is the one make demo-crash printed" \
  "$(grep -o 'ipcguard(021): .*' <<<"$out3" | sed 's/^ipcguard(021): //; s/ ([a-z]* mode, [0-9]* us)$//')" \
  "$(jq -r .cleanup.summary <<<"$json2")"

# make demo-stop: nothing left
out4=$(demo 60 demo-stop); rc=$?
echo "$out4" | sed 's/^/#   /'
check_eq "make demo-stop succeeds" 0 "$rc"
check_eq "the holder and its unshare are gone" "" \
  "$(ps -o pid= -p "$holder,$unshare_pid")"
check_eq "no apache2 process is left" "" "$(ps -eo pid=,comm= | awk '$2 == "apache2"')"
left=""
for p in /proc/[0-9]*; do
  for n in ipc mnt pid; do
    case "$(readlink "$p/ns/$n" 2>/dev/null)" in
      "$ns_ipc" | "$ns_mnt" | "$ns_pid") left="$left ${p#/proc/}" ;;
    esac
  done
done
check_eq "no process is left in the sandbox's namespaces (so no IPC object or mount of it)" "" "$left"
check_eq "no mount of the sandbox is left" "" "$(grep ipcguard-demo /proc/mounts)"
check_eq "the sandbox directory is gone" no "$([ -e "$SANDBOX" ] && echo yes || echo no)"
check_eq "still no IPC object in the test's namespace" 0 \
  "$(( $(kernel_count sem) + $(kernel_count shm) + $(kernel_count msg) ))"
out5=$(demo 60 demo-stop); rc=$?
check_eq "make demo-stop with no demo exits 0" 0 "$rc"
check_match "and says so" "no demo runs" "$out5"
finish
