#!/bin/sh
# make deps: installs the Debian packages that building, testing, the demo
# and packaging need, when some are missing; does nothing otherwise. Runs
# without a terminal. Installing needs root; without it, the missing
# packages are named and the script fails.
#
# DEPS_DRY_RUN=1 prints the apt-get commands instead of running them.
set -eu

PACKAGES="apache2 apache2-dev check pkg-config curl jq wrk util-linux clang
valgrind cppcheck libapache2-mod-fcgid php-cgi prometheus debhelper lintian"

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps: not a Debian system (no dpkg-query); install by hand:" >&2
  echo "  $PACKAGES" >&2
  exit 1
fi

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    "install ok installed") ;;
    *) missing="$missing $p" ;;
  esac
done
missing=${missing# }

if [ -z "$missing" ]; then
  echo "deps: all $(echo "$PACKAGES" | wc -w) packages are installed"
  exit 0
fi

echo "deps: missing: $missing"
if [ "$(id -u)" != 0 ]; then
  echo "deps: installing them needs root; as root run:" >&2
  echo "  apt-get update && apt-get install --no-install-recommends $missing" >&2
  exit 1
fi

run() {
  if [ "${DEPS_DRY_RUN:-0}" = 1 ]; then
    echo "would run: $*"
  else
    "$@"
  fi
}

# Installing apache2 (or prometheus) would start its service: forbid
# service starts for the install with a policy-rc.d of our own, unless the
# system has one already (containers usually do), and remove ours after.
policy=/usr/sbin/policy-rc.d
ours=""
cleanup() {
  if [ -n "$ours" ]; then rm -f "$policy"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
  ours=1
  printf '#!/bin/sh\n# temporary, from mod_ipcguard t/deps.sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
fi

export DEBIAN_FRONTEND=noninteractive
run apt-get update
# shellcheck disable=SC2086
run apt-get install -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  $missing
if [ "${DEPS_DRY_RUN:-0}" != 1 ]; then echo "deps: installed: $missing"; fi
