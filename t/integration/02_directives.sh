# Directives: bad values fail apache2 -t naming the directive and what it
# accepts; good ones pass; IPCGuard Off does nothing at all.
source "$(dirname "$0")/../harness.sh"
ipcg_sandbox

configtest() {   # configtest NAME -> output of apache2 -t, status in $rc
  out=$("$APACHE2" -t -f "$T/$1/httpd.conf" 2>&1)
  rc=$?
}

bad() {  # bad DIRECTIVE VALUE EXPECTED-REGEX
  httpd_conf bad <<<"$1 $2"
  configtest bad
  check_cmp "apache2 -t fails for '$1 $2'" "$rc" -ne 0
  check_match "the error names $1 and what it accepts" "$1 '$2': must be (a |an |one of )?$3" "$out"
}
bad IPCGuardCleanup sometimes 'off, report, registered, orphans'
bad IPCGuardScanInterval 0 'whole number of seconds from 1 to 86400'
bad IPCGuardScanInterval 10s 'whole number of seconds from 1 to 86400'
bad IPCGuardWarnThreshold 101 'percentage from 1 to 100'
bad IPCGuardWarnThreshold 0% 'percentage from 1 to 100'
bad IPCGuardMaxObjects 15 'whole number from 16 to 1000000'
bad IPCGuardStateDir relative/dir 'absolute directory path'
bad IPCGuardStateDir /run/../etc 'absolute directory path'
bad IPCGuardBeancounters proc/ubc 'absolute file path or .none.'

httpd_conf bad <<<"IPCGuard maybe"
configtest bad
check_cmp "IPCGuard maybe fails" "$rc" -ne 0
check_match "IPCGuard takes On or Off" "IPCGuard must be On or Off" "$out"

httpd_conf bad <<<"$(printf '<VirtualHost 127.0.0.1:1>\nIPCGuardCleanup report\n</VirtualHost>')"
configtest bad
check_cmp "a directive inside <VirtualHost> fails" "$rc" -ne 0
check_match "the error says where it belongs" "cannot occur within <VirtualHost> section" "$out"

httpd_conf good <<'CONF'
IPCGuard On
IPCGuardCleanup report
IPCGuardScanInterval 5
IPCGuardWarnThreshold 75%
IPCGuardMaxObjects 16
IPCGuardBeancounters none
IPCGuardShowForeign On
CONF
configtest good
check_eq "every directive with a good value passes apache2 -t" 0 "$rc"
check_match "Syntax OK" "Syntax OK" "$out"
check_eq "apache2 -t wrote no state file" "" "$(ls -A "$T/state")"

# IPCGuard Off: no state file, no table, the page answers 503
httpd_conf off <<<"IPCGuard Off"
httpd_start off || fail "a server with IPCGuard Off starts"
check_eq "IPCGuard Off: the handler declines (no such page)" 404 "$(http_code off /ipc-status)"
check_eq "IPCGuard Off: no state file" "" "$(ls -A "$T/state")"
check_nomatch "IPCGuard Off: the module logs nothing" 'ipcguard\(' "$(errlog off)"
httpd_stop off
finish
