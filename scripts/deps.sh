#!/bin/sh
# Installs the Debian packages cglever's build, tests and `make run` need.
# As root: apt-get installs what is missing. Otherwise: prints the line.
set -eu
PKGS="gcc make pkg-config libc6-dev libfcgi-dev libcurl4-openssl-dev libjson-c-dev
libssl-dev libdb5.3-dev db5.3-util lighttpd apache2 libapache2-mod-fcgid
python3 curl openssl procps ca-certificates tidy chromium chromium-driver
python3-selenium man-db clang libclang-rt-14-dev valgrind wrk"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of: $(echo $PKGS)" >&2
	exit 0
fi
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; as root run:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet.
apt-get update -q || echo "deps: apt-get update failed; trying with the lists present" >&2
apt-get install -y -q --no-install-recommends $missing
