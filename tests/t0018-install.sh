#!/bin/bash
# make install lays out the FHS tree with the right modes; Apache, pointed
# at the installed tree with the shipped configuration, runs a stage
# change through it; make uninstall removes the programs and keeps the data.
. "$(dirname "$0")/lib.sh"
need apache2 setpriv man
NO_LIGHTTPD=1 setup
# As an admin's shell would: the scratch tree's folders must be open to
# Apache's www-data; make install sets the modes that matter itself.
umask 022
W=$(mktemp -d /tmp/cglever-t0018.XXXXXX)
chmod 755 "$W"
make -s -C "$TOP" install DESTDIR="$W" PREFIX=/usr >"$T/install.out" 2>&1
is "make install DESTDIR=... PREFIX=/usr succeeds" "$?" 0
mode() { stat -c '%a %U:%G' "$W$1"; }
is "cglever-ctl in sbin" "$(mode /usr/sbin/cglever-ctl)" "755 root:root"
for p in webhook oauth admin; do
	is "$p.fcgi in lib/cgi-bin/cglever" "$(mode /usr/lib/cgi-bin/cglever/$p.fcgi)" "755 root:root"
done
is "config folder: root and the web server group only" "$(mode /etc/cglever)" "750 root:www-data"
is "config: readable by the web server, nobody else" "$(mode /etc/cglever/cglever.conf)" "640 root:www-data"
is "key: the web server user only" "$(mode /etc/cglever/secret.key)" "400 www-data:www-data"
is "data: the web server user only" "$(mode /var/lib/cglever)" "700 www-data:www-data"
for f in /etc/apache2/conf-available/cglever.conf /etc/apache2/conf-available/cglever-proxy-fcgi.conf \
	/etc/lighttpd/conf-available/50-cglever.conf /etc/cron.d/cglever /usr/share/man/man8/cglever-ctl.8 \
	/usr/share/man/man5/cglever.conf.5; do
	check "installed $f" test -f "$W$f"
done
check "the cron line runs the installed sweep as www-data" grep -q "www-data .*/usr/sbin/cglever-ctl sweep" "$W/etc/cron.d/cglever"
check "the installed config points at the FHS paths" grep -q "^db_home = /var/lib/cglever" "$W/etc/cglever/cglever.conf"
for m in man8/cglever-ctl.8 man5/cglever.conf.5; do
	out=$(MANWIDTH=80 man -l "$W/usr/share/man/$m" 2>&1 >/dev/null)
	is "man -l renders $m without complaint" "$out" ""
done
echo "# local change" >>"$W/etc/cglever/cglever.conf"
make -s -C "$TOP" install DESTDIR="$W" PREFIX=/usr >"$T/install2.out" 2>&1
check "a second install keeps the existing config" grep -q "# local change" "$W/etc/cglever/cglever.conf"
check "and says so" grep -q "kept, not overwritten" "$T/install2.out"

# Apache with the shipped cglever.conf, paths moved under the scratch root.
APORT=$(free_port)
C="$W/etc/cglever/cglever.conf"
sed -i -e "s|^db_home = .*|db_home = $W/var/lib/cglever|" \
	-e "s|^secret_key_file = .*|secret_key_file = $W/etc/cglever/secret.key|" \
	-e "s|^public_url = .*|public_url = http://127.0.0.1:$APORT/cglever|" \
	-e "s|^lever_api_url = .*|lever_api_url = http://127.0.0.1:$LEVER_PORT/v1|" \
	-e "s|^codingame_api_url = .*|codingame_api_url = http://127.0.0.1:$CG_PORT/assessment/api/v1.1|" \
	-e "s|^ctl_path = .*|ctl_path = $W/usr/sbin/cglever-ctl|" "$C"
mkdir -p "$W/run/fcgid"
chown www-data "$W/run/fcgid"
mods=/usr/lib/apache2/modules
cat >"$W/apache.conf" <<CONF
ServerRoot "$W/run"
ServerName 127.0.0.1
Listen 127.0.0.1:$APORT
PidFile "$W/run/apache.pid"
DefaultRuntimeDir "$W/run"
Mutex file:$W/run
ErrorLog "$W/run/apache.err"
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authn_file_module $mods/mod_authn_file.so
LoadModule auth_basic_module $mods/mod_auth_basic.so
LoadModule authz_user_module $mods/mod_authz_user.so
LoadModule alias_module $mods/mod_alias.so
LoadModule fcgid_module $mods/mod_fcgid.so
User www-data
Group www-data
DocumentRoot "$W/run"
FcgidIPCDir "$W/run/fcgid"
FcgidProcessTableFile "$W/run/fcgid.shm"
Include "$W/apache-cglever.conf"
CONF
sed -e "s|/usr/lib/cgi-bin/cglever|$W/usr/lib/cgi-bin/cglever|g" -e "s|/etc/cglever|$W/etc/cglever|g" \
	"$W/etc/apache2/conf-available/cglever.conf" >"$W/apache-cglever.conf"
apache2 -f "$W/apache.conf" -t >"$T/apache-t.out" 2>&1
is "Apache accepts the shipped configuration" "$?" 0
apache2 -f "$W/apache.conf" -k start 2>"$T/apache-start.err" || die "apache: $(cat "$T/apache-start.err")"
trap 'apache2 -f "$W/apache.conf" -k stop 2>/dev/null; sleep 0.5; cp "$W/run/apache.err" "$T/" 2>/dev/null; wait_runners; drop_shm "$W/var/lib/cglever"; rm -rf "$W"; cleanup' EXIT
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$APORT/" || die "apache is not answering"
wctl() { CGLEVER_CONFIG="$C" setpriv --reuid=www-data --regid=www-data --clear-groups "$W/usr/sbin/cglever-ctl" "$@"; }
cp "$T/keys/lever" "$T/keys/cg" "$W/"
chmod 644 "$W/lever" "$W/cg"
ACC=$(wctl account add acme --lever-api-key-file "$W/lever" --codingame-api-key-file "$W/cg")
is "the installed cglever-ctl adds an account" "$ACC" 1
wctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
rep=$(sim LEVER POST /_sim/deliver "{\"url\":\"http://127.0.0.1:$APORT/cglever/webhook.fcgi/lever/$ACC\",\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\"}")
is "a stage change through the installed webhook: 200" "$(echo "$rep" | jget 'd["status"]')" 200
check "and the test goes out" wait_until 10 sends_ge 1
is "the installed admin page asks for sign-in" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT/cglever/admin.fcgi/")" 401
wait_runners
apache2 -f "$W/apache.conf" -k stop 2>/dev/null; sleep 0.5
make -s -C "$TOP" uninstall DESTDIR="$W" PREFIX=/usr >"$T/uninstall.out" 2>&1
is "make uninstall succeeds" "$?" 0
check "the programs are gone" test ! -e "$W/usr/sbin/cglever-ctl" -a ! -e "$W/usr/lib/cgi-bin/cglever/webhook.fcgi"
check "the configuration, key and data are kept" test -f "$W/etc/cglever/cglever.conf" -a -f "$W/etc/cglever/secret.key" -a -d "$W/var/lib/cglever"
done_testing
