# mpms: worker event
# Small thread stacks (ThreadStackSize): at the smallest size of a list at
# which the server without the module serves /server-status with no child
# dying, the server with the module serves /server-status (which runs the
# module's status hook) and every form of /ipc-status with no child dying
# either: the module's request paths keep what is large off the stack.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox
mpm=${MPM:-event}

# answers NAME URL...: "URL CODE" for each; died NAME: the error log's
# lines of children that ended on a signal
answers() {
  local n=$1 u
  shift
  for u in "$@"; do echo "$u $(http_code "$n" "$u")"; done
}
died() { errlog "$1" | grep -E "exit signal" || true; }

status_urls=(/server-status "/server-status?auto")
size=""
for sz in 36864 40960 45056 49152 53248 57344 65536; do
  n=without$sz
  MPM=$mpm WITH_TEST=0 WITH_GUARD=0 httpd_conf "$n" <<<"ThreadStackSize $sz"
  if ! MPM=$mpm httpd_start "$n"; then
    httpd_stop "$n"               # one that never answered is still there
    continue
  fi
  got=$(answers "$n" "${status_urls[@]}" "${status_urls[@]}")
  httpd_stop "$n"
  if ! grep -qv ' 200$' <<<"$got" && [ -z "$(died "$n")" ]; then
    size=$sz
    break
  fi
done
if [ -z "$size" ]; then
  fail "$mpm: the server without the module serves at one of the sizes tried"
  finish
fi
ok "$mpm: without the module, /server-status works at ThreadStackSize $size"

MPM=$mpm WITH_TEST=0 httpd_conf with <<<"ThreadStackSize $size"
if ! MPM=$mpm httpd_start with; then
  fail "$mpm: the server with the module starts at ThreadStackSize $size"
  httpd_stop with
  finish
fi
urls=("${status_urls[@]}" /ipc-status "/ipc-status?json" "/ipc-status?metrics" "/ipc-status?auto")
got=$(answers with "${urls[@]}" "${urls[@]}")
for u in "${urls[@]}"; do
  check_eq "$mpm: $u answers 200 twice at ThreadStackSize $size" \
    "$u 200 $u 200" "$(grep -F "$u " <<<"$got" | tr '\n' ' ' | sed 's/ $//')"
done
check_match "$mpm: the module's section is in /server-status" "mod_ipcguard" \
  "$(http with /server-status)"
check_eq "$mpm: no child of the server with the module died" "" "$(died with)"
httpd_stop with
finish
