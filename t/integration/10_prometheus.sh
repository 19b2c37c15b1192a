# Debian's real Prometheus server, on loopback, scrapes ?metrics and
# answers a query for one of the module's series through its HTTP API;
# the example alerting rules load into it.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox
httpd_conf a <<<'Mutex sysvsem default
LoadModule rewrite_module '"$MODDIR"'/mod_rewrite.so
RewriteEngine On
RewriteMap echo prg:/bin/cat'
httpd_start a || { fail "the server starts"; finish; exit 1; }
mkdir -p "$T/prom/data"
cp "$REPO/conf/ipcguard-alerts.yml" "$T/prom/"
cat > "$T/prom/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ipcguard-alerts.yml
scrape_configs:
  - job_name: httpd
    metrics_path: /ipc-status
    params:
      metrics: [""]
    static_configs:
      - targets: ["127.0.0.1:${PORT[a]}"]
CONF
prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
  --web.listen-address=127.0.0.1:19090 > "$T/prom/log" 2>&1 &
prom=$!
q() { curl -s --max-time 5 --get --data-urlencode "query=$1" http://127.0.0.1:19090/api/v1/query; }
got=""
for i in $(seq 1 100); do
  got=$(q 'ipcguard_objects{kind="sysv-sem",class="instance"}' | jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
  [ -n "$got" ] && break
  sleep 0.3
done
check_eq "Prometheus scraped ?metrics: the instance's semaphore sets" "$(kernel_count sem)" "$got"
check_eq "the scrape target is up" "1" "$(q 'up{job="httpd"}' | jq -r '.data.result[0].value[1]')"
check_eq "the alerting rules are loaded" "$(grep -c '^      - alert: ' "$REPO/conf/ipcguard-alerts.yml")" \
  "$(curl -s http://127.0.0.1:19090/api/v1/rules | jq '[.data.groups[].rules[]] | length')"
kill "$prom"; wait "$prom" 2>/dev/null
httpd_stop a
finish
