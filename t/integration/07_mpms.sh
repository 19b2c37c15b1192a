# Worker and event: the module loads, registers, serves the page, and
# cleans up after kill -9, as under prefork.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
for mpm in worker event; do
  MPM=$mpm WITH_TEST=0 full_conf $mpm
  MPM=$mpm httpd_start $mpm || { fail "$mpm starts"; continue; }
  json=$(http $mpm "/ipc-status?json")
  check_eq "$mpm: the page answers" 0 "$(jq -e .instance.pid >/dev/null <<<"$json"; echo $?)"
  check_eq "$mpm: the registry equals the kernel's sets" \
    "$(awk 'NR > 1 { print $2 }' /proc/sysvipc/sem | sort -n | tr '\n' ' ')" \
    "$(jq -r '[.objects[] | select(.kind == "sysv-sem") | .id] | sort | map(tostring) | join(" ")' <<<"$json") "
  check_match "$mpm: the rewrite-map set is mod_rewrite.c's" "mod_rewrite.c" \
    "$(jq -r '.objects[] | select(.kind == "sysv-sem") | .module' <<<"$json")"
  before=$(kernel_count sem)
  httpd_kill9_tree $mpm
  MPM=$mpm httpd_start $mpm || fail "$mpm restarts after kill -9"
  check_eq "$mpm: the count of sets does not grow" "$before" "$(kernel_count sem)"
  check_match "$mpm: the leftovers were removed" "ipcguard\(021\): removed [0-9]+ stale IPC objects" "$(errlog $mpm)"
  check_match "$mpm: the processes of the tree are listed" "apache2" \
    "$(http $mpm "/ipc-status?json" | jq -r '.processes[].command')"
  httpd_stop $mpm
  check_eq "$mpm: a clean stop leaves no set" 0 "$(kernel_count sem)"
  check_eq "$mpm: a clean stop removes the state file" "" "$(state_files)"
done
finish
