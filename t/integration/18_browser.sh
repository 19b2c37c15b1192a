# The page in a real browser: headless Chromium (Debian's chromium) loads
# /ipc-status in three states (a fresh server; after a crash whose cleanup
# kept an object, with an outside removal; near a limit with a forecast),
# its DOM is checked for the verdict, the meters and the charts, and a
# screenshot of each (desktop and phone width) is saved under build/screenshots/.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
  fail "chromium is installed (sh t/deps.sh)"; finish; exit 1
fi
SHOTS=$REPO/build/screenshots
mkdir -p "$SHOTS"
MK=$REPO/build/ipcg_mkobj
as_www() { setpriv --reuid=33 --regid=33 --clear-groups "$@"; }
# headless, offline but for the page; each run adds its own profile
CHROMIUM_FLAGS=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync)

# browse NAME STATE: the DOM of the page in $T/STATE.dom, the screenshots
# in $SHOTS/STATE.png (1200 wide) and $SHOTS/STATE-phone.png (390 wide)
browse() {
  local name=$1 state=$2 prof url w
  url="http://127.0.0.1:${PORT[$name]}/ipc-status"
  for w in dom 1200,1700 390,2400; do
    prof=$(mktemp -d "$T/chromium.XXXXXX")
    set -- "${CHROMIUM_FLAGS[@]}" --user-data-dir="$prof" --hide-scrollbars
    case $w in
      dom) HOME=$prof timeout 60 "$CHROMIUM" "$@" --dump-dom "$url" > "$T/$state.dom" 2> "$T/$state.err" ;;
      1200,*) HOME=$prof timeout 60 "$CHROMIUM" "$@" --window-size=$w --screenshot="$SHOTS/$state.png" "$url" > /dev/null 2>> "$T/$state.err" ;;
      *) HOME=$prof timeout 60 "$CHROMIUM" "$@" --window-size=$w --screenshot="$SHOTS/$state-phone.png" "$url" > /dev/null 2>> "$T/$state.err" ;;
    esac
    rm -rf "$prof"
  done
  check_match "$state: chromium rendered the page" '<section id="verdict"' "$(cat "$T/$state.dom")"
  check_cmp "$state: a screenshot was saved" "$(stat -c %s "$SHOTS/$state.png" 2>/dev/null || echo 0)" -gt 10000
  check_cmp "$state: a phone-width screenshot was saved" "$(stat -c %s "$SHOTS/$state-phone.png" 2>/dev/null || echo 0)" -gt 10000
}

# layout NAME STATE WIDTH: where the browser lays out the cleanup table's
# decision and reason columns in a window WIDTH pixels wide: a page of the
# same server frames /ipc-status and measures each column head against the
# right edge of the table's scroll box. Prints "decision:in reason:in" when
# both show without scrolling ("out" for one that does not).
layout() {
  local name=$1 state=$2 width=$3 prof url
  cat > "$T/$name/htdocs/layout.html" <<HTML
<!doctype html><html><body style="margin:0">
<iframe id="f" src="/ipc-status" style="width:${width}px;height:3000px;border:0"></iframe>
<pre id="out">not measured</pre>
<script>
document.getElementById('f').onload = function () {
  var d = this.contentDocument, sec = d.getElementById('cleanup'), out = [];
  (sec ? sec.querySelectorAll('th') : []).forEach(function (th) {
    var t = th.textContent;
    if (t !== 'decision' && t !== 'reason') return;
    var box = th.closest('.tw').getBoundingClientRect();
    out.push(t + ':' + (th.getBoundingClientRect().right <= box.right + 0.5 ? 'in' : 'out'));
  });
  document.getElementById('out').textContent = out.join(' ') || 'no cleanup table';
};
</script></body></html>
HTML
  url="http://127.0.0.1:${PORT[$name]}/layout.html"
  prof=$(mktemp -d "$T/chromium.XXXXXX")
  HOME=$prof timeout 60 "$CHROMIUM" "${CHROMIUM_FLAGS[@]}" --user-data-dir="$prof" \
    --window-size="$width,3000" --virtual-time-budget=10000 \
    --dump-dom "$url" 2>> "$T/$state.err" \
    | sed -n 's|.*<pre id="out">\([^<]*\)</pre>.*|\1|p'
  rm -rf "$prof" "$T/$name/htdocs/layout.html"
}

# the checks every state shares: meters with a bar for each limit that can
# be measured, and a chart for each limit in use, drawn as SVG
common_dom() {
  local state=$1 dom
  dom=$(cat "$T/$state.dom")
  check_match "$state: a meter for SEMMNI with its use" \
    '<div class="meter [a-z]+" id="m-semmni"><div class="mh"><b>SEMMNI</b> <span class="quiet">semaphore sets</span> <em>[0-9,]+ of [0-9,]+ \([0-9]+%\)</em>' "$dom"
  check_match "$state: the bar is as wide as the use" '<i style="width:[0-9]+%"></i>' "$dom"
  check_match "$state: SHMALL's no-limit value reads unlimited" 'id="m-shmall">.*of unlimited</em>' "$dom"
  check_nomatch "$state: no raw kernel no-limit number" '18446744073692774399' "$dom"
  check_match "$state: the SEMMNI chart is an inline SVG" '<figure class="chart" id="c-semmni"><svg viewBox="0 0 360 150"' "$dom"
  check_match "$state: the class chart" 'id="c-classes"><svg' "$dom"
  check_nomatch "$state: nothing external, no script" '<script|src="http|href="http' "$dom"
}

# --- 1. fresh ---------------------------------------------------------
WITH_TEST=0 full_conf a
httpd_start a || fail "a starts"
wait_scan a || fail "a scans"
browse a fresh
dom=$(cat "$T/fresh.dom")
check_match "fresh: the verdict is healthy" '<section id="verdict" class="verdict (ok|note)"><h2>Healthy</h2>' "$dom"
common_dom fresh
check_match "fresh: one sample or more: the SEMMNI line or dot is drawn" \
  'id="c-semmni"><svg[^>]*>.*<(polyline|circle) class="u"' "$dom"
httpd_stop a

# --- 2. after a crash: a kept object, an outside removal ------------------
WITH_TEST=0 full_conf c
httpd_start c || fail "c starts"
json=$(http c "/ipc-status?json")
cset=$(jq -r '[.objects[] | select(.kind == "sysv-sem" and .module == "mod_rewrite.c")][0].id' <<<"$json")
httpd_kill9_tree c
ipcrm -s "$cset"                # gone before the cleanup: kept, and why
httpd_start c || fail "c starts after kill -9"
json=$(http c "/ipc-status?json")
live=$(jq -r '[.objects[] | select(.kind == "sysv-sem" and .module == "mod_rewrite.c")][0].id' <<<"$json")
ipcrm -s "$live"                # under the live server: an outside removal
for i in $(seq 1 60); do
  grep -q 'ipcguard(301)' "$T/c/error.log" && break
  sleep 0.25
done
wait_scan c || fail "c scans after the removal"
browse c crash
dom=$(cat "$T/crash.dom")
check_match "crash: the verdict needs attention" '<section id="verdict" class="verdict (warn|crit)"><h2>Needs attention</h2>' "$dom"
check_match "crash: it names the kept object and why" \
  '<li class="warn" data-topic="kept"><b>The startup cleanup after the run of pid [0-9]+, which ended without cleaning up, found 1 of its objects? already gone: removed by something outside httpd while no server ran\.</b> <span>The usual causes: ' "$dom"
check_match "crash: it names the outside removal, with the usual causes" \
  "<li class=\"warn\" data-topic=\"outside\"><b>1 object of this server was removed from outside httpd while it ran \(the last: sysv-sem $live of mod_rewrite.c\)\.</b> <span>The usual causes: an ipcrm loop in cron" "$dom"
check_match "crash: what the cleanup removed is a note" 'data-topic="cleanup"><b>The startup cleanup removed [0-9]+ objects' "$dom"
check_match "crash: the removal is listed with a relative time, the absolute one on hover" \
  "<td><time datetime=\"[0-9T:-]+Z\" title=\"[0-9-]+ [0-9:]+\">[^<]+</time></td><td><time[^>]*>[^<]+</time></td><td>[0-9]+</td><td>sysv-sem</td><td>$live</td><td>mod_rewrite.c</td>" "$dom"
common_dom crash
# what the cleanup decided, and why, is in view on a laptop's screen; the
# object's other columns may scroll
check_eq "crash: at 1200 px the cleanup table's decision and reason show without scrolling" \
  "decision:in reason:in" "$(layout c crash 1200)"
httpd_stop c

# --- 3. near a limit, with a forecast --------------------------------------
httpd_conf n <<CONF
Mutex sysvsem default
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat
IPCGuardForecastWindow 2m
IPCGuardForecastHorizon 1d
IPCGuardWarnThreshold 60
CONF
httpd_start n || fail "n starts"
base=$(kernel_count sem)
room=50
echo "250 32000 32 $((base + room))" > /proc/sys/kernel/sem
as_www "$MK" leak 1000 $((room - 4)) > "$T/leak.out" &
leaker=$!
found=""
for i in $(seq 1 120); do
  sleep 1
  json=$(http n "/ipc-status?json") || continue
  if [ "$(jq '[.verdict.findings[] | select((.topic == "limit" and (.what | startswith("SEMMNI"))) or (.topic == "forecast" and (.what | startswith("Forecast: SEMMNI:"))))] | length' <<<"$json")" -ge 2 ]; then
    found=1; break
  fi
done
check_eq "near: within 2 minutes SEMMNI over the threshold and its forecast are findings" 1 "${found:-0}"
browse n near
kill "$leaker" 2>/dev/null; wait "$leaker" 2>/dev/null
dom=$(cat "$T/near.dom")
check_match "near: the verdict needs attention" '<section id="verdict" class="verdict (warn|crit)"><h2>Needs attention</h2>' "$dom"
check_match "near: SEMMNI close to full, with what to do" \
  '<li class="(warn|crit)" data-topic="limit"><b>SEMMNI \(semaphore sets\) is (close to full|full): [0-9,]+ of [0-9,]+ \([0-9]+%\)\.</b> <span>Objects by module shows who holds them: .*kernel.sem' "$dom"
check_match "near: the forecast to full" '<li class="warn" data-topic="forecast"><b>Forecast: SEMMNI: [0-9,]+ of [0-9,]+ used at \+[0-9,]+ a (minute|day): full in' "$dom"
check_match "near: the SEMMNI meter is over the threshold" '<div class="meter (warn|crit)" id="m-semmni">' "$dom"
check_match "near: the chart draws the limit and the forecast" \
  'id="c-semmni"><svg[^>]*>.*<path class="lim" [^>]*(/>|></path>)<text class="limt"[^>]*>limit [0-9,]+</text>.*<polyline class="u" points="[0-9., ]+"(/>|></polyline>)<path class="fc" [^>]*(/>|></path>)<text class="fct"[^>]*>full in [^<]+</text>' "$dom"
common_dom near
httpd_stop n
ipcrm -a
finish
