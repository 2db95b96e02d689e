#!/bin/bash
# make deps on a fresh Debian 12 (issue 12, 4): in a throwaway bookworm
# root (tests/debroot.sh: minbase with build-essential, git, python3 and
# curl, cached outside the clone), `make deps` installs what the programs
# need to build and run and nothing else: they build and link, and no web
# server, browser or test tool is there, no service is enabled or running.
# As a user, scripts/deps.sh prints the apt-get line and fails. And the
# guard of make deps-check, with a package that has a service (lighttpd):
# nothing starts, its links are disabled again, the host's own service and
# policy-rc.d are left as they were.
. "$(dirname "$0")/lib.sh"
CGLEVER_CONFIG=$T/none.conf # read by lib.sh's cleanup; no config here
[ "$(id -u)" = 0 ] || die "run as root (chroot, mount), as make check does in CI"
command -v debootstrap >/dev/null 2>&1 ||
	die "debootstrap is missing (Debian: debootstrap; run make deps-check)"
need git chroot
. "$TOP/tests/debroot.sh"
debroot_new

in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
as_user() { in_root setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# The source as a clone has it, readable by all (the user below reads it;
# tar makes the folders of the listed files with the umask).
mkdir -m 755 "$R/src"
(cd "$TOP" && git ls-files -z | tar --null --ignore-failed-read -T - -cf -) | (umask 022; tar -C "$R/src" -xf -) ||
	die "cannot copy the source into $R/src"
installed() { in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }'; }
# links: every service link and its target (systemd units, SysV rc links).
links() {
	(cd "$R" && find etc/systemd/system etc/rc[0-6S].d -mindepth 1 -printf '%p -> %l\n' 2>/dev/null) | sort
}
# running: the processes whose root is the Debian root (none may be: no service started).
running() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
	done
	return 0
}

installed >"$T/packages.before"
links >"$T/links.before"

# As a user: the line to run as root, and a failure.
as_user sh /src/scripts/deps.sh >"$T/user.out" 2>"$T/user.err"
rc=$?
check "as a user, deps.sh exits non-zero when packages are missing (exit $rc)" test $rc -ne 0
check "and prints the apt-get line with what is missing ($(tail -n 1 "$T/user.err"))" \
	grep -qE '^  apt-get update && apt-get install -y --no-install-recommends .*libfcgi-dev' "$T/user.err"
is "and installs nothing" "$(installed | diff "$T/packages.before" - | grep -c '^>')" 0

# As root: make deps.
in_root make -C /src deps >"$T/deps.out" 2>&1
is "make deps as root exits 0 (output in $T/deps.out)" "$?" 0
installed >"$T/packages.after"
echo "# make deps installed $(comm -13 "$T/packages.before" "$T/packages.after" | wc -l) packages"
unwanted=$(grep -xE 'apache2(-bin)?|lighttpd|nginx.*|chromium.*|python3-selenium|valgrind|clang.*|wrk|tidy|stress-ng|libapache2-mod-fcgid|debootstrap' \
	"$T/packages.after" | tr '\n' ' ')
is "no web server, browser or test tool is installed" "$unwanted" ""
in_root make -C /src progs >"$T/progs.out" 2>&1
is "the programs build in the fresh root (make progs; $T/progs.out)" "$?" 0
for p in cgi-bin/webhook.fcgi cgi-bin/oauth.fcgi cgi-bin/admin.fcgi bin/cglever-ctl; do
	check "$p is built and finds every library" \
		sh -c "[ -x '$R/src/$p' ] && ! chroot '$R' ldd '/src/$p' | grep -q 'not found'"
done
in_root /src/bin/cglever-ctl >/dev/null 2>&1
is "cglever-ctl runs there (no command: usage, exit 2)" "$?" 2
is "no service is enabled (systemd units, rc links as before)" "$(links | diff "$T/links.before" - | grep '^[<>]')" ""
is "no service runs" "$(running)" ""
is "no policy-rc.d is left behind (the root had none)" "$(ls "$R"/usr/sbin/policy-rc.d* 2>/dev/null)" ""
out=$(in_root make -s -C /src deps 2>&1)
is "make deps again: nothing to do, nothing said" "$?/$out" "0/"

# The user again, for make deps-check: only what is missing, lighttpd among it.
as_user sh /src/scripts/deps.sh check >"$T/user-check.out" 2>"$T/user-check.err"
rc=$?
check "as a user, deps.sh check exits non-zero (exit $rc)" test $rc -ne 0
check "and its line names the test bench, not what is installed" \
	sh -c "grep -q '^  apt-get .* lighttpd ' '$T/user-check.err' && ! grep -q 'libfcgi-dev' '$T/user-check.err'"

# The guard, with a package that has a service. The host's own service
# (a unit and a SysV script) and its own policy-rc.d, which allows starts.
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
printf '[Unit]\nDescription=the admin'"'"'s own\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
	>"$R/etc/systemd/system/adminsvc.service"
ln -s /etc/systemd/system/adminsvc.service "$R/etc/systemd/system/multi-user.target.wants/adminsvc.service"
printf '#!/bin/sh\nexit 0\n' >"$R/etc/init.d/adminsvc"
chmod 755 "$R/etc/init.d/adminsvc"
ln -s ../init.d/adminsvc "$R/etc/rc2.d/S01adminsvc"
printf '#!/bin/sh\n# the admin'"'"'s own: starts allowed\nexit 0\n' >"$T/policy-rc.d"
install -m 755 "$T/policy-rc.d" "$R/usr/sbin/policy-rc.d"
links >"$T/links.guard"
in_root env CGLEVER_DEPS_PKGS=lighttpd sh /src/scripts/deps.sh >"$T/guard.out" 2>&1
is "deps.sh installs lighttpd as root (output in $T/guard.out)" "$?" 0
check "lighttpd is installed" grep -qx lighttpd <(installed)
is "lighttpd was not started" "$(running)" ""
check "its postinst wanted to start it and was denied" grep -q 'policy-rc.d denied\|returned 101' "$T/guard.out"
new=$(links | comm -13 "$T/links.guard" - | tr '\n' ' ')
is "lighttpd is not enabled: no systemd link, no SysV start link" \
	"$(echo "$new" | grep -oE '[^ ]*(wants|requires)/lighttpd[^ ]*|rc[0-6S]\.d/S[0-9]*lighttpd' | tr '\n' ' ')" ""
check "but disabled the way upgrades keep (SysV stop links; new: $new)" \
	sh -c "ls '$R'/etc/rc[0-6S].d/K[0-9]*lighttpd >/dev/null 2>&1"
is "the admin's own service is left as it was" \
	"$(links | comm -23 "$T/links.guard" - | tr '\n' ' ')" ""
check "the admin's own policy-rc.d is back, as it was" cmp -s "$T/policy-rc.d" "$R/usr/sbin/policy-rc.d"
is "and nothing of deps.sh's is left beside it" "$(ls "$R"/usr/sbin/policy-rc.d.* 2>/dev/null)" ""
done_testing
