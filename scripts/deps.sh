#!/bin/sh
# Installs Debian packages for cglever.
#   scripts/deps.sh          what the programs need to build and run (make deps):
#                            no web server, no browser, no test tool
#   scripts/deps.sh check    that, and the test bench (make deps-check): what
#                            make check, run, bench, check-asan, check-valgrind
#                            and fuzz use
# As root: apt-get installs what is missing. Nothing it installs may start
# or stay enabled: a policy-rc.d denies every start during the install (the
# host's own one, if any, is put back after), and the systemd units and
# SysV links that the packages installed by this run enabled are disabled
# again. A service the host had before is never touched.
# Otherwise: prints the apt-get line and exits 1.
# CGLEVER_DEPS_PKGS="pkg ..." replaces the list (tests/t0024-deps.sh
# checks the start and enable guard with it).
set -eu

# Build and run. openssl: make install makes the key with `openssl rand`.
# ca-certificates: libcurl checks Lever's and CodinGame's certificates
# against it (a dependency of nothing here with --no-install-recommends).
# Not db5.3-util: backup is DB_ENV->backup inside cglever-ctl, restore a
# copy, recovery the programs' own (INSTALL, 9); only the tests verify.
BUILD="gcc make pkg-config libc6-dev libfcgi-dev libcurl4-openssl-dev libjson-c-dev
libssl-dev libdb5.3-dev openssl ca-certificates"
# The test bench, and which of make check (c), run (r), bench (b),
# check-asan and check-valgrind (s), fuzz (f) uses each:
#   lighttpd: c r b s, the web server of every test and of make run
#   apache2 libapache2-mod-fcgid: c b, the end-to-end tests under Apache
#   spawn-fcgi: c, runs the programs as their own user behind Apache
#   python3: c r b s, the simulators; curl: c r b s; procps: c (pgrep)
#   db5.3-util: c s (db5.3_verify); tidy: c (t0015); man-db: c (t0018)
#   chromium chromium-driver python3-selenium: c (t0014, t0017)
#   clang libclang-rt-14-dev: c f (libFuzzer); valgrind: c s; wrk: c b
#   debootstrap zstd git: c (t0024, t0032, its cached Debian root)
#   debhelper dpkg-dev fakeroot lintian: c (t0032: make deb, lintian)
# (gcc's ASan and UBSan come with gcc.) make bench's peer also needs
# Node.js 20, which Debian 12 does not have (README, "Benchmark").
CHECK="lighttpd apache2 libapache2-mod-fcgid spawn-fcgi python3 curl procps db5.3-util
tidy man-db chromium chromium-driver python3-selenium clang libclang-rt-14-dev
valgrind wrk debootstrap zstd git debhelper dpkg-dev fakeroot lintian"

case ${1:-build} in
build) PKGS=$BUILD ;;
check) PKGS="$BUILD $CHECK" ;;
*) echo "usage: $0 [build|check]" >&2; exit 2 ;;
esac
PKGS=${CGLEVER_DEPS_PKGS:-$PKGS}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of: $(echo $PKGS)" >&2
	exit 0
fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; as root run:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

POLICY=/usr/sbin/policy-rc.d
SAVED=$POLICY.cglever-deps-saved
if [ -e "$SAVED" ] || [ -L "$SAVED" ]; then
	echo "deps: $SAVED is left by an interrupted run: it is the host's own policy-rc.d;" >&2
	echo "deps: put it back (mv $SAVED $POLICY) or remove it, then run again" >&2
	exit 1
fi
STATE=$(mktemp -d)
ours=""   # set once the host's policy-rc.d is aside: from then on, restore it
restore() {
	if [ -n "$ours" ]; then
		if [ -e "$SAVED" ] || [ -L "$SAVED" ]; then mv -f "$SAVED" "$POLICY"; else rm -f "$POLICY"; fi
	fi
	rm -rf "$STATE"
}
trap restore EXIT
trap 'exit 1' HUP INT TERM

# enabled: every unit link under /etc/systemd/{system,user}/*.wants
# (*.requires) and every SysV start link, as "path -> target" lines.
enabled() {
	for l in /etc/systemd/system/*.wants/* /etc/systemd/system/*.requires/* \
		/etc/systemd/user/*.wants/* /etc/rc[0-6S].d/S*; do
		[ -L "$l" ] && echo "$l -> $(readlink "$l")"
	done
	return 0
}
packages() { dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | sort; }
enabled | sort >"$STATE/enabled.before"
packages >"$STATE/packages.before"

# Deny every start (exit 101) while apt-get runs; the host's file is kept aside.
if [ -e "$POLICY" ] || [ -L "$POLICY" ]; then cp -a "$POLICY" "$SAVED"; fi
ours=1
printf '#!/bin/sh\n# scripts/deps.sh (cglever): no service starts during its install\nexit 101\n' >"$POLICY.cglever-deps-new"
chmod 755 "$POLICY.cglever-deps-new"
mv -f "$POLICY.cglever-deps-new" "$POLICY"

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet.
apt-get update -q || echo "deps: apt-get update failed; trying with the lists present" >&2
# What a failed install left enabled is disabled all the same.
rc=0
apt-get install -y -q --no-install-recommends $missing || rc=$?

# The units and init scripts of the packages this run installed.
packages | comm -13 "$STATE/packages.before" - >"$STATE/new"
: >"$STATE/units"
while read -r p; do
	dpkg-query -L "$p" 2>/dev/null | sed -n -e 's#.*/systemd/\(system\|user\)/\([^/]*\)$#unit \2#p' \
		-e 's|^/etc/init\.d/\([^/]*\)$|sysv \1|p'
done <"$STATE/new" >"$STATE/units"
# Disable the links that appeared and point at one of those. Removing the
# link is what `systemctl disable` does; the package's postinst sees it on
# upgrade and leaves the unit disabled. SysV: `update-rc.d NAME disable`
# turns the S links into K links, which upgrades keep too.
enabled | sort | comm -13 "$STATE/enabled.before" - | while read -r l arrow target; do
	name=$(basename "$target")
	case $l in
	/etc/systemd/*)
		if grep -qxF "unit $name" "$STATE/units"; then
			echo "deps: disabling $name (installed by this run): rm $l"
			rm -f "$l"
		fi ;;
	*)
		if grep -qxF "sysv $name" "$STATE/units" && [ -L "$l" ]; then
			echo "deps: disabling $name (installed by this run): update-rc.d $name disable"
			update-rc.d "$name" disable >/dev/null
		fi ;;
	esac
done
# A running systemd rereads the links.
[ -d /run/systemd/system ] && systemctl daemon-reload
exit $rc
