#!/bin/sh
# Installs the Debian packages the build and the tests need, if missing.
# Needs root only when something is missing; works with no terminal.
set -e
PKGS="apache2 apache2-dev check pkg-config curl jq util-linux iproute2 \
procps clang clang-tidy valgrind cppcheck prometheus wrk \
libapache2-mod-fcgid php-cgi libapache2-mod-php8.2 debhelper dpkg-dev lintian git chromium"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing packages:$missing (run 'make deps' as root)" >&2
  exit 1
fi
echo "installing:$missing"
# the package scripts must not start the system's apache2 or prometheus
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() {
  if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
