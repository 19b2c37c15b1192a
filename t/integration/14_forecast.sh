# beside: yes
# Forecasts: a www-data process leaks one semaphore set a second with
# SEMMNI lowered; the forecast of the time to exhaustion is within 20% of
# the truth, the early warning comes before exhaustion, ?metrics exports
# the forecast, and the history carries the trend across a restart.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox
MK=$REPO/build/ipcg_mkobj
as_www() { setpriv --reuid=33 --regid=33 --clear-groups "$@"; }

httpd_conf a <<CONF
Mutex sysvsem default
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat
IPCGuardForecastWindow 2m
IPCGuardForecastHorizon 1d
CONF
httpd_start a || fail "a starts"
base=$(kernel_count sem)
# room for 150 s of leak: the forecast is read once it rests on a minute
# of it (the monitor samples about every 10 s), leaving 90 s to the truth
room=150
echo "250 32000 32 $((base + room))" > /proc/sys/kernel/sem
wait_scan a || fail "a scan with the lowered SEMMNI"
json=$(http a "/ipc-status?json")
check_eq "the forecast knows the limit" "$((base + room))" \
  "$(jq '.trends.forecasts[] | select(.resource == "semmni") | .limit' <<<"$json")"
check_eq "nothing grows yet: no time to full" "null" \
  "$(jq '.trends.forecasts[] | select(.resource == "semmni") | .seconds_to_full' <<<"$json")"

as_www "$MK" leak 1000 $((room + 10)) > "$T/leak.out" &
leaker=$!
start=$(date +%s)
# read the forecast once it rests on 60 s of the leak
forecast="" updated=""
for i in $(seq 1 150); do
  sleep 1
  json=$(http a "/ipc-status?json") || continue
  f=$(jq '.trends.forecasts[] | select(.resource == "semmni")' <<<"$json")
  if [ "$(jq .seconds_to_full <<<"$f")" != null ] && [ $(( $(date +%s) - start )) -ge 60 ] \
     && [ "$(jq .samples <<<"$f")" -ge 6 ]; then
    forecast=$(jq .seconds_to_full <<<"$f")
    updated=$(jq .instance.updated <<<"$json")
    echo "# forecast at $updated: full in $forecast s ($(jq -r .text <<<"$f"))"
    break
  fi
done
check_match "a forecast within 70 s of leaking" '^[0-9]+$' "$forecast"
metrics=$(http a "/ipc-status?metrics")
check_match "?metrics exports it" '^ipcguard_forecast_seconds_to_full\{resource="semmni"\} [0-9]+$' \
  "$metrics"
# sample SERIES: the value of that series (name and labels) in $metrics
sample() { awk -v n="$1" '$1 == n { print $2 }' <<<"$metrics"; }
# in_range LOW HIGH VALUE: yes when LOW <= VALUE <= HIGH
in_range() { awk -v lo="$1" -v hi="$2" -v r="${3:-0}" 'BEGIN { print (r >= lo && r <= hi) ? "yes" : "no" }'; }
# a sample's value: a digit before any point, "0.5", never ".5"
number='^[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$'
# the true rate is one set a second; the estimate must be within 20%
rate=$(sample 'ipcguard_growth_per_second{resource="semmni"}')
echo "# growth rate in ?metrics: ${rate:-none} a second (true: 1)"
check_eq "?metrics exports the growth rate, within 20% of the truth" yes \
  "$(in_range 0.8 1.2 "$rate")"
# the growing class is named: the leaked sets are foreign to the server
cls=$(jq -r '.trends.objects[] | select(.kind == "sysv-sem" and .class == "foreign") | .rate_per_day' <<<"$json")
echo "# foreign sysv-sem growth in ?json: ${cls:-none} a day (true: 86400)"
check_eq "?json names the foreign sets' growth, within 20%" yes \
  "$(in_range 69120 103680 "$cls")"
check_eq "the server's own sets do not grow" 0 \
  "$(jq -r '.trends.objects[] | select(.kind == "sysv-sem" and .class == "instance") | .rate_per_day' <<<"$json")"
crate=$(sample 'ipcguard_objects_growth_per_second{kind="sysv-sem",class="foreign"}')
echo "# foreign sysv-sem growth in ?metrics: ${crate:-none} a second (true: 1)"
check_match "?metrics writes the growth by class as a number with a leading digit" \
  "$number" "$crate"
check_eq "?metrics exports the growth by class, within 20% of the truth" yes \
  "$(in_range 0.8 1.2 "$crate")"
check_match "?metrics writes the growth by limit as a number with a leading digit" \
  "$number" "$rate"
html=$(http a "/ipc-status")
check_match "the HTML page shows the growth by class" \
  '<tr><td>sysv-sem</td><td>[0-9]+</td><td>\+0\.0</td><td>0</td><td>\+0\.0</td><td>[0-9]+</td><td>\+[0-9]{5,6}\.[0-9]</td></tr>' "$html"
check_match "the HTML page shows the trend" "SEMMNI: [0-9,]+ of [0-9,]+ used at \+[0-9]+ a minute: full in" "$html"
per_min=$(grep -Eo 'SEMMNI: [0-9,]+ of [0-9,]+ used at \+[0-9]+ a minute' <<<"$html" | head -1 | grep -Eo '\+[0-9]+' | tr -d +)
echo "# the HTML page: +${per_min:-none} a minute (true: 60)"
check_cmp "the page's rate is within 20% of the truth (low)" "${per_min:-0}" -ge 48
check_cmp "the page's rate is within 20% of the truth (high)" "${per_min:-999}" -le 72

# until the leak hits the limit (bounded: room + 30 s)
warned=""
full=""
for i in $(seq 1 $(( (room + 30) * 4 ))); do
  if [ -z "$warned" ] && grep -q 'ipcguard(202): SEMMNI' "$T/a/error.log"; then
    warned=$(date +%s%3N)
  fi
  if grep -q '^full ' "$T/leak.out"; then full=$(awk '$1 == "full" { print $3 }' "$T/leak.out"); break; fi
  sleep 0.25
done
wait "$leaker" 2>/dev/null
check_match "the leak reached SEMMNI" '^[0-9]+$' "$full"
if [ -n "$forecast" ] && [ -n "$full" ]; then
  truth=$(( full / 1000 - updated ))
  err=$(( (updated + forecast) - full / 1000 ))
  echo "# true time to full from $updated: $truth s; forecast $forecast s; error ${err#-} s"
  check_cmp "the forecast is within 20% of the true time" "$(( ${err#-} * 5 ))" -le "$truth"
fi
check_match "the early warning names the limit and the forecast" \
  "\[ipcguard:warn\] .*ipcguard\(202\): SEMMNI: [0-9,]+ of [0-9,]+ used at \+[0-9,]+ a minute: full in [^;]+, within IPCGuardForecastHorizon \(about 1 day\); what grows is not httpd's to clean up" \
  "$(errlog a)"
check_cmp "the warning came before exhaustion" "${warned:-99999999999999}" -lt "${full:-0}"

# the history file keeps the trend across a restart
httpd_stop a
check_match "the history file is kept" '\.history$' "$(ls "$T/state")"
httpd_start a || fail "a starts again"
check_cmp "the new run starts with the earlier samples" \
  "$(http a "/ipc-status?json" | jq '.trends.forecasts[] | select(.resource == "semmni") | .samples')" -ge 4
httpd_stop a
finish
