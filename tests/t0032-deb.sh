#!/bin/bash
# The Debian package (issue 17). make deb builds cglever_<version>_<arch>.deb
# on a clean copy of the source (what git tracks) and lintian finds no error
# and no unexplained warning. In a throwaway Debian 12 root
# (tests/debroot.sh) with apache2: apt installs the package, INSTALL's
# config edits (read from INSTALL) and a2enconf make a working service: a
# stage change is sent once and its result lands as a note, the programs
# running as the package's user, the admin pages refused from an address
# not allowed. An upgrade to a rebuilt higher version keeps everything; a
# restore done with INSTALL's own commands brings back the backed-up state
# while the timers tick; apt remove keeps data and config, apt purge leaves
# nothing of cglever under /etc, /var or /usr.
# The root runs no systemd: tests/deb-systemctl.sh stands in for systemctl
# (the units run from their own files: ExecStart, User, sockets), Apache is
# started with apachectl, and `systemctl tick` fires the active timers.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root (chroot, mount, apt), as make check does in CI"
need git chroot dpkg-buildpackage lintian debootstrap setsid lighttpd
umask 022   # the package build and the root's files as an admin's shell makes them
NO_LIGHTTPD=1 setup   # the simulators, on the host's loopback (the root shares it)
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
ARCH=$(dpkg --print-architecture)
W=$(mktemp -d /var/tmp/cglever-t0032.XXXXXX)
DEB2_PID=""
APT_CACHE=${APT_CACHE:-/var/cache/cglever-tests/t0032-archives}

# --- 1. make deb on a clean copy; a second copy, one version higher, builds
# meanwhile for the upgrade below.
mkdir -p "$W/src"
(cd "$TOP" && git ls-files -z | tar --null --ignore-failed-read -T - -cf -) | tar -C "$W/src" -xf - ||
	die "cannot copy the source"
cp -a "$W/src" "$W/src2"
V2="$VERSION+t0032"
{
	printf 'cglever (%s) bookworm; urgency=medium\n\n  * t0032: the same source, one version higher.\n\n' "$V2"
	printf ' -- t0032 <t0032@example.com>  %s\n\n' "$(date -R)"
	cat "$W/src/debian/changelog"
} >"$W/src2/debian/changelog"
make -C "$W/src" deb >"$T/deb.out" 2>&1
is "make deb builds the package on a clean copy of the source ($T/deb.out)" "$?" 0
DEB=$W/src/build/deb/cglever_${VERSION}_$ARCH.deb
check "it is build/deb/cglever_${VERSION}_$ARCH.deb" test -f "$DEB"
setsid make -C "$W/src2" deb >"$T/deb2.out" 2>&1 &
DEB2_PID=$!
lintian "$W/src/build/deb/"*.changes >"$T/lintian.out" 2>&1
is "lintian: no error" "$(grep '^E: ' "$T/lintian.out")" ""
is "lintian: no warning left (each one is overridden with its reason)" "$(grep '^W: ' "$T/lintian.out")" ""
check "every lintian override has its reason in a comment above it" python3 - "$TOP"/debian/*lintian-overrides <<'PY'
import sys
for f in sys.argv[1:]:
    prev = ""
    for line in open(f).read().splitlines():
        if line.strip() and not line.startswith("#") and not prev.startswith("#"):
            sys.exit(1)
        prev = line
PY
dpkg-deb -x "$DEB" "$W/x"
printf 'server.document-root = "%s"\nserver.port = %s\nserver.bind = "127.0.0.1"\ninclude "%s"\n' \
	"$W/x" "$(free_port)" "$W/x/etc/lighttpd/conf-available/50-cglever.conf" >"$W/lighttpd.conf"
lighttpd -tt -f "$W/lighttpd.conf" >"$T/lighttpd-tt.out" 2>&1
is "lighttpd accepts the package's snippet ($T/lighttpd-tt.out)" "$?" 0
deps=$(dpkg-deb -f "$DEB" Depends)
is "runtime dependencies only ($deps)" "$(echo "$deps" | grep -oE '[a-z0-9.+-]*-dev\b|\bgcc\b|\bmake\b|pkg-config|debhelper')" ""

# --- 2. A fresh Debian 12 root with apache2, then the package.
. "$TOP/tests/debroot.sh"
stop_apache() {
	[ -n "${R:-}" ] && [ -f "$R/run/apache2/apache2.pid" ] || return 0
	apid=$(cat "$R/run/apache2/apache2.pid")
	in_root apachectl stop >/dev/null 2>&1
	wait_until 60 sh -c "! kill -0 $apid 2>/dev/null"
}
# keep_logs: the root's logs (the units' stand-in journal, Apache's) into $T.
keep_logs() { [ -n "${R:-}" ] && cp -r "$R/var/log/fake-journal" "$R/var/log/apache2" "$T/" 2>/dev/null; return 0; }
# drop_all_shm: the segments of every database the root has or set aside.
drop_all_shm() {
	[ -n "${R:-}" ] || return 0
	for d in "$R/var/lib/cglever" "$R"/var/backups/cglever/replaced-*; do drop_shm "$d"; done
}
trap 'keep_logs; stop_apache; drop_all_shm; [ -n "$DEB2_PID" ] && kill -TERM -- "-$DEB2_PID" 2>/dev/null; debroot_cleanup; rm -rf "$W"; cleanup' EXIT
debroot_new
in_root() {
	chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
# Nothing the packages install starts by itself (apache2's init script
# would take port 80 on the host's network).
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
# The packages fetched by an earlier run (the lists are fetched each time).
mkdir -p "$APT_CACHE"
cp "$APT_CACHE"/*.deb "$R/var/cache/apt/archives/" 2>/dev/null
in_root apt-get update -q >"$T/apt-update.out" 2>&1 || die "apt-get update failed: $(tail -n 3 "$T/apt-update.out")"
in_root apt-get install -y -q --no-install-recommends apache2 >"$T/apt-apache.out" 2>&1 ||
	die "apt-get install apache2 failed: $(tail -n 3 "$T/apt-apache.out")"
install -m 755 "$TOP/tests/deb-systemctl.sh" "$R/usr/local/sbin/systemctl"
cp "$DEB" "$R/tmp/"
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$DEB")" >"$T/apt-cglever.out" 2>&1
is "apt install ./cglever_${VERSION}_$ARCH.deb ($T/apt-cglever.out)" "$?" 0
cp -n "$R"/var/cache/apt/archives/*.deb "$APT_CACHE/" 2>/dev/null

mode() { in_root stat -c '%a %U:%G' "$1"; }
is "the programs run as a system user of their own" \
	"$(in_root getent passwd cglever | awk -F: '{ print ($3 < 1000) ":" $7 }')" "1:/usr/sbin/nologin"
is "cglever-ctl is in /usr/sbin and prints the package's version" "$(in_root cglever-ctl --version)" "cglever-ctl $VERSION"
for p in webhook oauth admin; do check "$p.fcgi is in /usr/lib/cgi-bin/cglever" test -x "$R/usr/lib/cgi-bin/cglever/$p.fcgi"; done
is "/etc/cglever/cglever.conf: 0640, the programs' group" "$(mode /etc/cglever/cglever.conf)" "640 root:cglever"
check "and a conffile" sh -c "chroot '$R' dpkg-query -W -f='\${Conffiles}' cglever | grep -q ' /etc/cglever/cglever.conf '"
is "the secret key: 0400, the programs' user" "$(mode /etc/cglever/secret.key)" "400 cglever:cglever"
is "the data: /var/lib/cglever, 0700" "$(mode /var/lib/cglever)" "700 cglever:cglever"
is "the backups: /var/backups/cglever, 0700" "$(mode /var/backups/cglever)" "700 cglever:cglever"
check "the man pages are installed" test -f "$R/usr/share/man/man8/cglever-ctl.8.gz" -a -f "$R/usr/share/man/man5/cglever.conf.5.gz"
check "the Apache snippet is available, not enabled" test -f "$R/etc/apache2/conf-available/cglever.conf" -a ! -e "$R/etc/apache2/conf-enabled/cglever.conf"
check "the lighttpd snippet is available for lighty-enable-mod" test -f "$R/etc/lighttpd/conf-available/50-cglever.conf"
for u in cglever-sweep.timer cglever-backup.timer; do
	check "$u is enabled" test -L "$R/etc/systemd/system/timers.target.wants/$u"
done
for u in webhook oauth admin; do
	check "cglever-$u.socket is enabled" test -L "$R/etc/systemd/system/sockets.target.wants/cglever-$u.socket"
done
is "the sweep timer fires every minute" "$(sed -n 's/^OnCalendar=//p' "$R/lib/systemd/system/cglever-sweep.timer")" minutely
check "the cron file works only where systemd does not" sh -c \
	"grep -v '^#' '$R/etc/cron.d/cglever' | grep cglever-ctl | grep -q '\[ -d /run/systemd/system \] ||'"
is "no logrotate file (cglever writes no log file of its own)" "$(ls "$R/etc/logrotate.d" | grep cglever)" ""

# INSTALL's edits, read from INSTALL, each line in place of its key's line.
C=$R/etc/cglever/cglever.conf
install_edits "$C"
check "INSTALL names the edits: public_url and admin_users" \
	sh -c "grep -q '^public_url = ' '$T/install-edits' && grep -q '^admin_users = ' '$T/install-edits'"
# What this host changes: INSTALL's example host becomes this Apache on
# loopback; Lever and CodinGame are the simulators.
APORT=$(free_port)
sed -i -e "s|^public_url = https://hr.example.com/|public_url = http://127.0.0.1:$APORT/|" \
	-e "s|^lever_api_url = https://api.lever.co/|lever_api_url = http://127.0.0.1:$LEVER_PORT/|" \
	-e "s|^codingame_api_url = https://www.codingame.com/|codingame_api_url = http://127.0.0.1:$CG_PORT/|" "$C"
check "(this host's values are in place)" test "$(grep -cE "^(public_url = http://127.0.0.1:$APORT/cglever |(lever|codingame)_api_url = http://127.0.0.1:)" "$C")" = 3
is "(the edited config keeps its mode)" "$(mode /etc/cglever/cglever.conf)" "640 root:cglever"
cp "$C" "$T/cglever.conf.edited"

# INSTALL's Apache step: the module, the snippet, the admins' passwords.
in_root a2enmod -q proxy_fcgi >"$T/a2enmod.out" 2>&1
in_root a2enconf -q cglever >"$T/a2enconf.out" 2>&1
is "a2enconf cglever" "$?" 0
in_root htpasswd -b -c /etc/cglever/htpasswd alice "pw-$$" 2>/dev/null
in_root chgrp www-data /etc/cglever/htpasswd
in_root chmod 640 /etc/cglever/htpasswd
# This Apache on a free port of loopback instead of port 80.
sed -i "s/^Listen 80$/Listen 127.0.0.1:$APORT/" "$R/etc/apache2/ports.conf"
echo "ServerName 127.0.0.1" >>"$R/etc/apache2/apache2.conf"
UNITS="cglever-webhook.socket cglever-oauth.socket cglever-admin.socket cglever-sweep.timer cglever-backup.timer"
in_root systemctl start $UNITS || die "cannot start the units: $(tail -n 3 "$R"/var/log/fake-journal/*.log)"
in_root apachectl start >"$T/apachectl.out" 2>&1 || die "apachectl start: $(cat "$T/apachectl.out")"
wait_until 20 curl -s -o /dev/null "http://127.0.0.1:$APORT/" || die "Apache in the root does not answer"

cp "$T/keys/lever" "$T/keys/cg" "$R/tmp/"
chmod 644 "$R/tmp/lever" "$R/tmp/cg"
actl() { in_root runuser -u cglever -- /usr/sbin/cglever-ctl "$@"; }
ACC=$(actl account add acme --lever-api-key-file /tmp/lever --codingame-api-key-file /tmp/cg)
is "an account, added as INSTALL says (as the cglever user)" "$ACC" 1
actl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
URL="http://127.0.0.1:$APORT/cglever/webhook.fcgi/lever/$ACC"
is "Lever's webhook points at Apache's /cglever/" \
	"$(sim LEVER GET /_sim/webhooks | jget '(d["webhooks"] if isinstance(d,dict) else d)[0]["url"]')" "$URL"
notes_of() { sim LEVER GET "/_sim/notes?opportunity=$1"; }
has_note() { [ "$(notes_of "$1" | jget "len([n for n in d['notes'] if '$2' in n['value']])")" -ge 1 ]; }
# deliver_once NAME: a stage change for a new candidate; passes when it is
# answered 200 and its test is sent (the 'test sent' note follows the send).
deliver_once() {
	OPP=$(opportunity "{\"name\":\"$1\",\"emails\":[\"$1@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	rep=$(sim LEVER POST /_sim/deliver "{\"url\":\"$URL\",\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\"}")
	[ "$(echo "$rep" | jget 'd["status"]')" = 200 ] && wait_until 30 has_note "$OPP" "CodinGame test sent"
}
check "a stage change through Apache: answered, and its test is sent" deliver_once ada
is "one send" "$(sends)" 1
# uids NAME: the users running a program in the root.
uids() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "$1" && stat -c %u "$p"
	done | sort -u | while read -r u; do in_root getent passwd "$u" | cut -d: -f1; done | tr '\n' ' '
}
is "webhook.fcgi runs as cglever" "$(uids 'cgi-bin/cglever/webhook.fcgi')" "cglever "
is "the database belongs to cglever" "$(in_root find /var/lib/cglever ! -user cglever | wc -l)" 0
TID=$(sim CG GET /_sim/sends | jget 'd["sends"][0]["test_id"]')
sim CG POST "/_sim/tests/$TID" '{"status":"completed","score":85}' >/dev/null
SWEEP=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/cglever-sweep.service")
SWEEP_USER=$(sed -n 's/^User=//p' "$R/lib/systemd/system/cglever-sweep.service")
is "the sweep unit runs cglever-ctl sweep as cglever" "$SWEEP_USER: $SWEEP" "cglever: /usr/sbin/cglever-ctl sweep"
in_root systemctl tick
check "the timers' sweep posts the result note" has_note "$OPP" "CodinGame result"
out=$(in_root runuser -u "$SWEEP_USER" -- $SWEEP 2>&1)
is "the sweep says nothing on stdout or stderr when nothing failed" "$out" ""

# The admin pages: from the allowed address (loopback), signed in; from
# another address, refused even with the password; the webhook is public.
page() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
A="http://127.0.0.1:$APORT/cglever"
is "the admin page, signed in, from 127.0.0.1" "$(page -u "alice:pw-$$" "$A/admin.fcgi/")" 200
is "the admin page asks for the sign-in" "$(page "$A/admin.fcgi/")" 401
is "the admin page from 127.0.0.2, signed in: refused" "$(page --interface 127.0.0.2 -u "alice:pw-$$" "$A/admin.fcgi/")" 403
is "the OAuth pages from 127.0.0.2: refused" "$(page --interface 127.0.0.2 -u "alice:pw-$$" "$A/oauth.fcgi/callback")" 403
code=$(page --interface 127.0.0.2 -X POST -H 'Content-Type: application/json' --data-binary '{}' "$A/webhook.fcgi/lever/$ACC")
check "the webhook from 127.0.0.2 reaches cglever (a bad delivery: $code, not Apache's 403)" \
	sh -c "[ '$code' = 400 ] || [ '$code' = 401 ]"

# Backups: the timer's service (the tick above ran it), and the rotation:
# keep N, oldest out first; the admin's other folders are left alone.
BK=$R/var/backups/cglever
stamps() { ls "$BK" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z(\.[2-9])?$' | sort; }
check "the backup timer's service took a backup" test -f "$BK/$(stamps | tail -n 1)/accounts.db"
mkdir "$BK/2020-01-01T000000Z" "$BK/2020-01-02T000000Z" "$BK/mine"
in_root runuser -u cglever -- env CGLEVER_BACKUP_KEEP=2 /usr/lib/cglever/cglever-backup
is "with keep 2, a backup leaves the newest two" "$(stamps | wc -l)/$(stamps | grep -c '^2020')" "2/0"
check "and the admin's own folder" test -d "$BK/mine"
rmdir "$BK/mine"

# --- 3. Upgrade in place to the same source one version higher.
wait "$DEB2_PID"
is "the same source one version higher ($V2) builds ($T/deb2.out)" "$?" 0
DEB2_PID=""
DEB2=$W/src2/build/deb/cglever_${V2}_$ARCH.deb
actl account list >"$T/accounts.before"
actl rule list >"$T/rules.before"
actl invitations "$ACC" >"$T/invitations.before"
cp "$R/etc/cglever/secret.key" "$T/secret.key.before"
cp "$DEB2" "$R/tmp/"
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$DEB2")" >"$T/apt-upgrade.out" 2>&1
is "apt install of the higher version, in place ($T/apt-upgrade.out)" "$?" 0
is "cglever-ctl is the new version" "$(in_root cglever-ctl --version)" "cglever-ctl $V2"
check "postinst opened the store with the new version without complaint" sh -c "! grep -q 'cannot open the store' '$T/apt-upgrade.out'"
is "the account is still there" "$(actl account list)" "$(cat "$T/accounts.before")"
is "the rules are still there" "$(actl rule list)" "$(cat "$T/rules.before")"
is "the invitations are still there" "$(actl invitations "$ACC")" "$(cat "$T/invitations.before")"
check "the edited config is kept as edited" cmp -s "$T/cglever.conf.edited" "$C"
is "with its mode and group" "$(mode /etc/cglever/cglever.conf)" "640 root:cglever"
check "the key is kept" cmp -s "$T/secret.key.before" "$R/etc/cglever/secret.key"
for u in $UNITS; do
	check "$u is still installed and enabled" sh -c "test -f '$R/lib/systemd/system/$u' &&
		ls '$R'/etc/systemd/system/*.target.wants/'$u' >/dev/null 2>&1"
done
is "the sweep timer still fires every minute" "$(sed -n 's/^OnCalendar=//p' "$R/lib/systemd/system/cglever-sweep.timer")" minutely
# postinst stops the old programs where systemd runs, and the sockets
# start the new ones at the next request; here the stand-in does both.
in_root systemctl stop cglever-webhook.service cglever-oauth.service cglever-admin.service \
	cglever-webhook.socket cglever-oauth.socket cglever-admin.socket
in_root systemctl start cglever-webhook.socket cglever-oauth.socket cglever-admin.socket
check "after the upgrade a delivery is still sent" deliver_once bea
is "(two sends in all)" "$(sends)" 2
n=$(stamps | wc -l)
in_root systemctl tick
is "the backup timer still takes a backup" "$(stamps | wc -l)" $((n + 1))

# --- 4. Restore, with INSTALL's own lines, while the timers tick: a tick
# after every line (a sweep in the gap would make an empty store).
in_root systemctl start cglever-backup.service
DATE=$(stamps | tail -n 1)
actl rule list >"$T/rules.backup"
actl account list >"$T/accounts.backup"
actl rule add "$ACC" --tag python --stage stage-screen --campaign 1 >/dev/null
check "(a rule added after the backup)" test "$(actl rule list | wc -l)" -gt "$(wc -l <"$T/rules.backup")"
OLDKEY=$(($(cat "$R/var/lib/cglever/shm-key")))
sed -n '/^ *--- restore, as root (DATE: the backup.s folder name) ---$/,/^ *--- end of restore ---$/p' "$TOP/INSTALL" |
	sed -e '1d' -e '$d' -e 's/^ *//' -e "s/DATE/$DATE/g" >"$T/restore.sh"
check "INSTALL has the restore's lines ($(wc -l <"$T/restore.sh"))" test "$(wc -l <"$T/restore.sh")" -ge 5
bad=""
fresh=""
while IFS= read -r line; do
	in_root sh -c "$line" >>"$T/restore.out" 2>&1 || bad="$bad [$line]"
	in_root systemctl tick >>"$T/restore.out" 2>&1
	# The new db_home, before the backup is copied in: a tick must not
	# have made a store there.
	case $line in install\ -d*) fresh=$(ls -A "$R/var/lib/cglever" | tr '\n' ' ') ;; esac
done <"$T/restore.sh"
is "each of INSTALL's restore lines succeeds" "$bad" ""
is "the new db_home stays empty until the backup is copied in, timers ticking" "$fresh" ""
is "the rules are the backup's" "$(actl rule list)" "$(cat "$T/rules.backup")"
is "the account is the backup's" "$(actl account list)" "$(cat "$T/accounts.backup")"
check "the replaced database is kept aside" sh -c "ls '$R'/var/backups/cglever/replaced-*/accounts.db >/dev/null 2>&1"
# segs KEY: how many System V segments have keys KEY..KEY+7 (the root
# shares the host's IPC namespace).
segs() {
	ipcs -m | python3 -c 'import sys; k = int(sys.argv[1])
print(sum(1 for l in sys.stdin if l.startswith("0x") and k <= int(l.split()[0], 16) < k + 8))' "$1"
}
is "the old environment's shared memory is gone" "$(segs "$OLDKEY")" 0
check "after the restore a delivery is sent" deliver_once cy
is "(three sends in all)" "$(sends)" 3

# --- 5. Remove, then purge. Where systemd runs, prerm stops the units;
# here the stand-in does.
KEY=$(($(cat "$R/var/lib/cglever/shm-key")))
in_root systemctl stop cglever-sweep.timer cglever-backup.timer cglever-webhook.socket cglever-oauth.socket \
	cglever-admin.socket cglever-webhook.service cglever-oauth.service cglever-admin.service
in_root apt-get remove -y -q cglever >"$T/apt-remove.out" 2>&1
is "apt remove cglever ($T/apt-remove.out)" "$?" 0
check "the programs are gone" test ! -e "$R/usr/sbin/cglever-ctl" -a ! -e "$R/usr/lib/cgi-bin/cglever/webhook.fcgi"
check "the config is kept, as edited" cmp -s "$T/cglever.conf.edited" "$C"
check "the key and the data are kept" test -f "$R/etc/cglever/secret.key" -a -f "$R/var/lib/cglever/accounts.db"
check "the backups are kept" test -d "$R/var/backups/cglever/$DATE"
check "the Apache snippet is disabled, its file kept" \
	test ! -e "$R/etc/apache2/conf-enabled/cglever.conf" -a -f "$R/etc/apache2/conf-available/cglever.conf"
check "the user is kept" sh -c "chroot '$R' getent passwd cglever >/dev/null"
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$DEB2")" >"$T/apt-reinstall.out" 2>&1
is "installed again ($T/apt-reinstall.out)" "$?" 0
is "the data is there again" "$(actl account list)" "$(cat "$T/accounts.backup")"
check "and the Apache snippet is enabled again" test -L "$R/etc/apache2/conf-enabled/cglever.conf"
in_root apt-get purge -y -q cglever >"$T/apt-purge.out" 2>&1
is "apt purge cglever ($T/apt-purge.out)" "$?" 0
is "the user and its group are gone" "$(in_root getent passwd cglever)$(in_root getent group cglever)" ""
is "nothing of cglever is left under /etc, /var or /usr" \
	"$(cd "$R" && find etc var usr -path var/log/fake-journal -prune -o -name '*cglever*' -print | tr '\n' ' ')" ""
is "no stat override is left" "$(in_root dpkg-statoverride --list | grep cglever)" ""
is "the database's shared memory is gone" "$(segs "$KEY")" 0

done_testing
