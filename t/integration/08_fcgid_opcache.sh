# The shmpages incident (php-cgi under mod_fcgid, one 64 MiB opcache per
# process): every php-cgi process of the server's tree shows its own
# shared mapping, with RssShmem beside it, and the totals add up.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox
if [ ! -f "$MODDIR/mod_fcgid.so" ] || [ ! -x /usr/bin/php-cgi ]; then
  fail "libapache2-mod-fcgid and php-cgi are installed (make deps)"; finish; exit 1
fi
d=$T/php
mkdir -p "$d/htdocs" "$d/run"   # mod_fcgid makes its IPC dir for the User
cat > "$d/htdocs/slow.php" <<'PHP'
<?php usleep(1500000); $s = opcache_get_status(false); echo $s ? "opcache on\n" : "opcache off\n";
PHP
chmod -R a+rX "$d"
httpd_conf php <<CONF
LoadModule mime_module $MODDIR/mod_mime.so
TypesConfig /etc/mime.types
LoadModule fcgid_module $MODDIR/mod_fcgid.so
FcgidIPCDir $d/run/fcgid
FcgidProcessTableFile $d/run/fcgid_shm
FcgidMaxProcessesPerClass 4
FcgidMinProcessesPerClass 0
FcgidSpawnScoreUpLimit 100
FcgidSpawnScore 1
<Directory "$d/htdocs">
  Options +ExecCGI
  <Files "*.php">
    SetHandler fcgid-script
  </Files>
  FcgidWrapper "/usr/bin/php-cgi -d opcache.enable=1 -d opcache.memory_consumption=64" .php
</Directory>
CONF
sed -i "s#^DocumentRoot .*#DocumentRoot $d/htdocs#" "$T/php/httpd.conf"
echo ok > "$d/htdocs/index.html"
httpd_start php || { fail "the server with mod_fcgid starts"; finish; exit 1; }
# concurrent slow requests make mod_fcgid spawn several php-cgi
for round in 1 2 3; do
  pids=""
  for i in 1 2 3; do
    curl -s --max-time 10 "http://127.0.0.1:${PORT[php]}/slow.php" > "$T/out.$round.$i" &
    pids="$pids $!"
  done
  wait $pids     # not a bare wait: httpd is a child of this shell too
done
check_eq "php-cgi answers with opcache on" "opcache on" "$(cat "$T/out.3.1")"
n=$(pgrep -c -x php-cgi || true)
check_cmp "several php-cgi processes run" "$n" -ge 2
wait_scan php
json=$(http php "/ipc-status?json")
php=$(jq -c '[.processes[] | select(.command == "php-cgi")]' <<<"$json")
check_eq "each php-cgi of the tree is listed" "$n" "$(jq length <<<"$php")"
check_eq "each maps its own 64 MiB opcache segment" "$n" \
  "$(jq '[.[] | select(.shared_anon_bytes >= 67108864)] | length' <<<"$php")"
# each process's figure equals /proc
bad=0
for pid in $(jq -r '.[].pid' <<<"$php"); do
  rss=$(awk '/^RssShmem:/ { print $2 * 1024 }' "/proc/$pid/status")
  got=$(jq ".[] | select(.pid == $pid) | .rss_shmem_bytes" <<<"$php")
  # RssShmem moves as pages are touched: allow one scan's drift
  [ -n "$got" ] && [ "$got" -le $((rss + 1048576)) ] || bad=$((bad + 1))
done
check_eq "RssShmem of each php-cgi matches /proc/PID/status" 0 "$bad"
check_cmp "RssShmem is far below the mapped size (only touched pages)" \
  "$(jq '[.[].rss_shmem_bytes] | max' <<<"$php")" -lt 67108864
total=$(jq '[.processes[].shared_anon_bytes] | add' <<<"$json")
check_eq "the total is the sum of the processes" "$total" \
  "$(http php "/ipc-status?auto" | awk -F': ' '$1 == "ProcessesSharedAnonBytes" { print $2 }')"
check_cmp "the total holds every opcache" "$total" -ge $((n * 67108864))
check_eq "the largest come first" "php-cgi" "$(jq -r '.processes[0].command' <<<"$json")"
check_match "mod_fcgid's process table is registered to it" "mod_fcgid.c" \
  "$(jq -r '.objects[] | select(.kind == "posix-shm") | .module' <<<"$json")"
# the diagnosis: each php-cgi holds its own copy, not one shared mapping
diag=$(jq -c '[.diagnoses[] | select(.program == "php-cgi")][0]' <<<"$json")
check_eq "?json diagnoses the php-cgi processes' own copies" \
  "per_process_mapping $n $n shared_anon" \
  "$(jq -r '"\(.type) \(.processes) \(.mappings) \(.mapping_kind)"' <<<"$diag")"
check_cmp "of about 64 MiB each" "$(jq .mapping_bytes <<<"$diag")" -ge 67108864
check_cmp "the total is every copy" "$(jq .total_bytes <<<"$diag")" -ge $((n * 67108864))
check_eq "counted against the system's Shmem here (no beancounters)" "shmem" "$(jq -r .limit <<<"$diag")"
check_match "with the usual cause and fix" "opcache under CGI/FastCGI.*PHP-FPM.*smaller cache" "$(jq -r .text <<<"$diag")"
check_match "and it is a finding of the verdict" "^duplicate $n php-cgi processes each hold their own shared mapping of about 64 MiB" \
  "$(jq -r '.verdict.findings[] | select(.topic == "duplicate") | "\(.topic) \(.what)"' <<<"$json")"
# httpd's own children share the parent's mappings: never a diagnosis
check_eq "no diagnosis for httpd's children" 0 \
  "$(jq '[.diagnoses[] | select(.program == "apache2")] | length' <<<"$json")"
html=$(http php "/ipc-status")
check_match "the page says it, with the count and size" \
  "<section id=\"duplicates\"><h2>Shared memory held in copies</h2>
<p data-program=\"php-cgi\">$n php-cgi processes each hold their own shared mapping of about 64 MiB, not one shared between them: [0-9.]+ [MG]iB in all, counted against the system&#39;s shared memory \(Shmem\)" "$html"
check_match "the verdict lists it" '<li class="(note|warn)" data-topic="duplicate"><b>[0-9]+ php-cgi processes' "$html"
httpd_stop php
finish
