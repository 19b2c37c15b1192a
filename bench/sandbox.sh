# shellcheck shell=bash
# The set-up shared by the benchmarks that start servers among other
# programs' sets (start.sh, builds.sh, restart_cost.sh), sourced at the
# top level of their shell inside the private namespaces (the harness
# declares its arrays there), with the repository's path:
#   source "$1/bench/sandbox.sh" "$1"
# It brings the tests' harness, their full configuration and the bench
# statistics, a private /dev/shm and temp tree ($T), the state directory
# on a tmpfs as /run/ipcguard is on a Debian host (STATE_FS=disk leaves it
# on the disk of /tmp), and room for 32,000 sets in this namespace only.

# (paths known at run time only)
# shellcheck source=/dev/null
source "$1/t/harness.sh"
# shellcheck source=/dev/null
source "$1/t/full.conf.sh"
# shellcheck source=/dev/null
source "$1/bench/stats.sh"
ipcg_sandbox
if [ "${STATE_FS:-tmpfs}" = tmpfs ]; then
  mount -t tmpfs -o size=16m,mode=700 tmpfs "$T/state" || exit 1
  trap 'umount "$T/state"; rm -rf "$T"' EXIT
fi
sysctl -q -w kernel.sem="250 64000 32 32000"
