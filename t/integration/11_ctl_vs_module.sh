# ipcguardctl clean --dry-run, ipcguardctl clean and the module decide the
# same about the same state.
source "$(dirname "$0")/../harness.sh"
source "$(dirname "$0")/../full.conf.sh"
ipcg_sandbox
WITH_TEST=0 full_conf a
ctl() { "$CTL" clean -v --state-dir "$T/state" --pidfile "$T/a/run/httpd.pid" --user www-data "$@" 2>/dev/null; }
ids() { awk -F'\t' -v what="$1" '$1 == what { print $2 ":" ($3 == "-" ? $13 : $3) }' | sort | tr '\n' ' '; }

httpd_start a || fail "start"
httpd_kill9_tree a
dry=$(ctl --dry-run)
would=$(awk -F'\t' '$1 == "kept" { getline r; if (r ~ /would be removed/) print $2 ":" ($3 == "-" ? $13 : $3) }' <<<"$dry" | sort | tr '\n' ' ')
check_cmp "the dry run would remove the dead run's objects" "$(wc -w <<<"$would")" -eq 9
left_before=$(kernel_count sem)
check_eq "a dry run removes nothing" 6 "$left_before"
httpd_start a || fail "restart"
mod=$(http a "/ipc-status?json" | jq -r '.cleanup.removed[] | "\(.kind):\(.id // .name)"' | sort | tr '\n' ' ')
check_eq "the module removed exactly what the dry run named" "$would" "$mod"

httpd_kill9_tree a
dry=$(ctl --dry-run)
would=$(awk -F'\t' '$1 == "kept" { getline r; if (r ~ /would be removed/) print $2 ":" ($3 == "-" ? $13 : $3) }' <<<"$dry" | sort | tr '\n' ' ')
real=$(ctl | ids removed)
check_eq "ipcguardctl clean removes exactly what its dry run named" "$would" "$real"
check_cmp "it removed the nine objects of the dead run" "$(wc -w <<<"$real")" -eq 9
check_eq "and the sets are gone" 0 "$(kernel_count sem)"
check_eq "a second clean finds nothing more to do" "" "$(ctl | ids removed)"
finish
