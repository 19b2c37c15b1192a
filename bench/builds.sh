#!/usr/bin/env bash
# Two builds of the module side by side, and the same server without it:
# start until serving and a graceful restart until a new-generation child
# serves, among SETS semaphore sets of another program. The three servers
# take turns in every round (rotating who goes first), so that a change in
# the machine's load falls on all of them; each line gives the medians
# and the spread (min-max), and the ratios against the server without the
# module. For changes too small for two separate runs of bench/start.sh
# to tell apart. Everything runs in private IPC, PID, mount and network
# namespaces with a private /dev/shm, on 127.0.0.1 only. Run as root:
#   bash bench/builds.sh A.so B.so          (ROUNDS=21 SETS=10000)
#   ENV_B="NAME=VALUE" bash bench/builds.sh A.so B.so
#                                           (B's httpd started with NAME
#                                            in its environment)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "bench/builds.sh: needs root (namespaces)" >&2
  exit 1
fi
if [ $# -ne 2 ] || [ ! -f "$1" ] || [ ! -f "$2" ]; then
  echo "usage: bench/builds.sh A.so B.so (two builds of mod_ipcguard.so)" >&2
  exit 2
fi
for v in "${ROUNDS:=21}" "${SETS:=10000}"; do
  case "$v" in ''|*[!0-9]*) echo "bench/builds.sh: ROUNDS and SETS must be numbers" >&2; exit 2 ;; esac
done
for e in ${ENV_A:-} ${ENV_B:-}; do
  case "$e" in [A-Za-z_]*=*) ;; *) echo "bench/builds.sh: ENV_A and ENV_B hold NAME=VALUE words" >&2; exit 2 ;; esac
done
a=$(readlink -f "$1") b=$(readlink -f "$2")
build_log=$(mktemp /tmp/ipcg-bench-build.XXXXXX)
if ! make -s -C "$here" all build/mkstale >"$build_log" 2>&1; then
  cat "$build_log" >&2; rm -f "$build_log"; exit 1
fi
rm -f "$build_log"
exec unshare --ipc --pid --fork --mount-proc --mount --net --propagation private \
  env IPCG_IN_NS=1 NO_PRG_MAP=1 ROUNDS="$ROUNDS" SETS="$SETS" SO_A="$a" SO_B="$b" \
  ENV_A="${ENV_A:-}" ENV_B="${ENV_B:-}" bash -s "$here" <<'INNER'
set -u
source "$1/bench/sandbox.sh" "$1"
mkdir -m 700 "$T/foreign"
if [ "$SETS" -gt 0 ]; then
  "$REPO/build/mkstale" "$SETS" "$T/foreign/x.state" 4242 4242 >/dev/null
fi

# the module as an operator installs it (its own defaults), twice
WITH_TEST=0 full_conf a
PORT[b]=${PORT[a]}
WITH_TEST=0 full_conf b
for v in a b; do
  so=$SO_A; [ "$v" = b ] && so=$SO_B
  sed -i -e '/^LogLevel info ipcguard:debug$/d' -e '/^IPCGuardScanInterval /d' \
    -e "s|^LoadModule ipcguard_module .*|LoadModule ipcguard_module $so|" "$T/$v/httpd.conf"
  if ! grep -qx "LoadModule ipcguard_module $so" "$T/$v/httpd.conf"; then
    echo "bench: $v does not load $so" >&2
    exit 1
  fi
done
PORT[without]=${PORT[a]}
WITH_TEST=0 WITH_GUARD=0 full_conf without
port=${PORT[a]}

source "$1/bench/serving.sh"

declare -A S G
echo "$SETS sets; A: $SO_A${ENV_A:+ ($ENV_A)}; B: $SO_B${ENV_B:+ ($ENV_B)}"
for ((r = 0; r < ROUNDS; r++)); do
  case $((r % 3)) in
    0) order="a b without" ;;
    1) order="b without a" ;;
    *) order="without a b" ;;
  esac
  for v in $order; do
    words=""
    [ "$v" = a ] && words=$ENV_A
    [ "$v" = b ] && words=$ENV_B
    # shellcheck disable=SC2086 # NAME=VALUE words, checked above
    [ -n "$words" ] && export $words
    start "$v" || exit 1
    S[$v]+="$MS "
    # a restart of a server that has settled, not of one still starting
    nap 0.5
    graceful || exit 1
    G[$v]+="$MS "
    stop || exit 1
    for w in $words; do unset "${w%%=*}"; done
  done
done
# shellcheck disable=SC2086 # lists of numbers
{ ws=$(median ${S[without]}); wg=$(median ${G[without]}); }
for v in a b without; do
  # shellcheck disable=SC2086
  { sm=$(median ${S[$v]}); ss=$(spread ${S[$v]}); gm=$(median ${G[$v]}); gs=$(spread ${G[$v]}); }
  printf '%-8s start %s ms (%s): %s x   graceful restart %s ms (%s): %s x\n' "$v" \
    "$sm" "$ss" "$(awk -v a="$sm" -v b="$ws" 'BEGIN { printf "%.3f", a / b }')" \
    "$gm" "$gs" "$(awk -v a="$gm" -v b="$wg" 'BEGIN { printf "%.3f", a / b }')"
done
echo "$ROUNDS rounds each, in turns; ratios of the medians against the server without the module"
INNER
