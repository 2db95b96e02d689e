#!/bin/bash
# make install lays out the FHS tree with the right modes, the programs'
# files owned by their own user (CGLEVER_USER; here the tests' user, see
# tests/lib.sh), not by the web server's; the installed config with only
# the edits INSTALL names (read from INSTALL itself), the programs started
# as that user by the installed cglever-spawn on the sockets of the
# installed Apache snippet (mod_proxy_fcgi), sends a stage change within
# a second with no sweep, and its trailing comments are comments; make
# uninstall removes the programs and keeps the data.
HTTPD=apache   # the programs' files belong to $APP_USER (lib.sh's own)
. "$(dirname "$0")/lib.sh"
need apache2 setpriv man spawn-fcgi
NO_LIGHTTPD=1 setup
U=$APP_USER
# As an admin's shell would: the scratch tree's folders must be open to
# Apache's www-data; make install sets the modes that matter itself.
umask 022
W=$(mktemp -d /tmp/cglever-t0018.XXXXXX)
chmod 755 "$W"
make -s -C "$TOP" install DESTDIR="$W" PREFIX=/usr CGLEVER_USER="$U" >"$T/install.out" 2>&1
is "make install DESTDIR=... PREFIX=/usr CGLEVER_USER=$U succeeds" "$?" 0
mode() { stat -c '%a %U:%G' "$W$1"; }
is "cglever-ctl in sbin" "$(mode /usr/sbin/cglever-ctl)" "755 root:root"
for p in webhook oauth admin; do
	is "$p.fcgi in lib/cgi-bin/cglever" "$(mode /usr/lib/cgi-bin/cglever/$p.fcgi)" "755 root:root"
done
G=$(id -gn "$U")
is "config folder: open (the web server reads htpasswd there)" "$(mode /etc/cglever)" "755 root:root"
is "config: readable by the programs' user, not the web server" "$(mode /etc/cglever/cglever.conf)" "640 root:$G"
is "key: the programs' user only" "$(mode /etc/cglever/secret.key)" "400 $U:$G"
is "data: the programs' user only" "$(mode /var/lib/cglever)" "700 $U:$G"
check "cglever-spawn in lib/cglever" test -x "$W/usr/lib/cglever/cglever-spawn"
for f in /etc/apache2/conf-available/cglever.conf /etc/apache2/conf-available/cglever-www-data.conf \
	/etc/lighttpd/conf-available/50-cglever.conf /etc/lighttpd/conf-available/50-cglever-www-data.conf \
	/etc/cron.d/cglever /usr/share/man/man8/cglever-ctl.8 /usr/share/man/man5/cglever.conf.5; do
	check "installed $f" test -f "$W$f"
done
check "Apache's default snippet is mod_proxy_fcgi to the sockets" \
	grep -q '^ProxyPass "/cglever/webhook.fcgi" "unix:/run/cglever/webhook.sock|' "$W/etc/apache2/conf-available/cglever.conf"
check "lighttpd's default snippet reaches the sockets (it starts nothing)" \
	sh -c "grep -q '\"socket\" => \"/run/cglever/webhook.sock\"' '$W/etc/lighttpd/conf-available/50-cglever.conf' && ! grep -q bin-path '$W/etc/lighttpd/conf-available/50-cglever.conf'"
for u in webhook oauth admin; do
	check "systemd: cglever-$u.service runs the installed program as $U" sh -c \
		"grep -qx 'User=$U' '$W/etc/systemd/system/cglever-$u.service' && grep -qx 'ExecStart=/usr/lib/cgi-bin/cglever/$u.fcgi' '$W/etc/systemd/system/cglever-$u.service'"
	check "systemd: cglever-$u.socket for the web server's group" \
		grep -qx 'SocketGroup=www-data' "$W/etc/systemd/system/cglever-$u.socket"
done
check "systemd: the sweep's timer and service, as $U" sh -c \
	"test -f '$W/etc/systemd/system/cglever-sweep.timer' && grep -qx 'User=$U' '$W/etc/systemd/system/cglever-sweep.service'"
check "cron (without systemd): the installed sweep as $U" grep -q "^\* \* \* \* \* $U \[ -d /run/systemd/system \] || .*/usr/sbin/cglever-ctl sweep" "$W/etc/cron.d/cglever"
check "cron (without systemd): the programs started at boot by cglever-spawn" \
	grep -q "^@reboot root \[ -d /run/systemd/system \] || /usr/lib/cglever/cglever-spawn start" "$W/etc/cron.d/cglever"
check "the installed config points at the FHS paths" grep -q "^db_home = /var/lib/cglever" "$W/etc/cglever/cglever.conf"
check "the installed ctl_path line is the installed program alone" \
	grep -qx "ctl_path = /usr/sbin/cglever-ctl" "$W/etc/cglever/cglever.conf"
for m in man8/cglever-ctl.8 man5/cglever.conf.5; do
	out=$(MANWIDTH=80 man -l "$W/usr/share/man/$m" 2>&1 >/dev/null)
	is "man -l renders $m without complaint" "$out" ""
done
echo "# local change" >>"$W/etc/cglever/cglever.conf"
make -s -C "$TOP" install DESTDIR="$W" PREFIX=/usr CGLEVER_USER="$U" >"$T/install2.out" 2>&1
check "a second install keeps the existing config" grep -q "# local change" "$W/etc/cglever/cglever.conf"
check "and says so" grep -q "kept, not overwritten" "$T/install2.out"

# --- The installed config, edited as INSTALL says: step 3's block of
# edits, read from INSTALL, each line in place of its key's line.
APORT=$(free_port)
C="$W/etc/cglever/cglever.conf"
install_edits "$C"
check "INSTALL's step 3 names the edits: public_url and admin_users" \
	sh -c "grep -q '^public_url = ' '$T/install-edits' && grep -q '^admin_users = ' '$T/install-edits'"
check "(as written there, with trailing comments)" test "$(grep -c ' # ' "$T/install-edits")" -ge 2
# What this host must change, and nothing else: INSTALL's example host in
# public_url becomes this Apache (its /cglever path and trailing comment
# stay); the paths make install wrote gain the DESTDIR prefix; Lever and
# CodinGame are the simulators.
sed -i -e "s|^public_url = https://hr.example.com/|public_url = http://127.0.0.1:$APORT/|" \
	-e "s|^db_home = /|db_home = $W/|" -e "s|^secret_key_file = /|secret_key_file = $W/|" \
	-e "s|^ctl_path = /|ctl_path = $W/|" \
	-e "s|^lever_api_url = https://api.lever.co/|lever_api_url = http://127.0.0.1:$LEVER_PORT/|" \
	-e "s|^codingame_api_url = https://www.codingame.com/|codingame_api_url = http://127.0.0.1:$CG_PORT/|" "$C"
check "(this host's values are in place)" test "$(grep -cE "^(public_url = http://127.0.0.1:$APORT/cglever |(db_home|secret_key_file|ctl_path) = $W/|(lever|codingame)_api_url = http://127.0.0.1:)" "$C")" = 6
cp "$C" "$T/cglever.conf.as-run"
# INSTALL step 4: the admin users' passwords.
htpasswd -b -c "$W/etc/cglever/htpasswd" alice "pw-a-$$" 2>/dev/null
htpasswd -b "$W/etc/cglever/htpasswd" bob "pw-b-$$" 2>/dev/null
chgrp www-data "$W/etc/cglever/htpasswd"; chmod 640 "$W/etc/cglever/htpasswd"

# --- The programs, started as $U by the installed cglever-spawn (as
# the cron line does where systemd does not run), on the sockets the
# snippet names, moved under the scratch root; their messages go to
# Apache's error log.
mkdir -p "$W/run"
S=(env CGLEVER_RUN="$W/run/cglever" CGLEVER_CGIDIR="$W/usr/lib/cgi-bin/cglever" CGLEVER_CONFIG="$C"
	CGLEVER_SPAWN_LOG="$W/run/apache.err" "$W/usr/lib/cglever/cglever-spawn")
"${S[@]}" start >"$T/spawn.out" 2>&1
is "cglever-spawn start succeeds" "$?" 0
SPAWNED=$(for p in webhook oauth admin; do stamps "$(cat "$W/run/cglever/$p.pid" 2>/dev/null)"; done)
PIDS="$PIDS $SPAWNED"
is "it started the three programs, as $U" "$(for s in $SPAWNED; do ps -o user= -p "${s%%:*}"; done | sort | uniq -c | tr -s ' ')" " 3 $U"
is "their sockets: $U, the web server's group, 0660" \
	"$(stat -c '%U:%G %a' "$W/run/cglever/"*.sock | sort -u)" "$U:www-data 660"
check "www-data cannot read the installed key" sh -c "! setpriv --reuid=www-data --regid=www-data --clear-groups cat '$W/etc/cglever/secret.key' 2>/dev/null"
check "nor the installed configuration" sh -c "! setpriv --reuid=www-data --regid=www-data --clear-groups cat '$C' 2>/dev/null"

# --- Apache with the installed snippet, paths moved under the scratch root.
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
LoadModule authz_host_module $mods/mod_authz_host.so
LoadModule setenvif_module $mods/mod_setenvif.so
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
User www-data
Group www-data
DocumentRoot "$W/run"
Include "$W/apache-cglever.conf"
CONF
sed -e "s|/run/cglever|$W/run/cglever|g" -e "s|/etc/cglever|$W/etc/cglever|g" \
	"$W/etc/apache2/conf-available/cglever.conf" >"$W/apache-cglever.conf"
apache2 -f "$W/apache.conf" -t >"$T/apache-t.out" 2>&1
is "Apache accepts the shipped configuration" "$?" 0
apache2 -f "$W/apache.conf" -k start 2>"$T/apache-start.err" || die "apache: $(cat "$T/apache-start.err")"
trap 'stop_apache "$W/apache.conf"; kill_alive TERM $SPAWNED; wait_until 30 none_alive $SPAWNED; cp "$W/run/apache.err" "$T/" 2>/dev/null; wait_runners; drop_shm "$W/var/lib/cglever"; rm -rf "$W"; cleanup' EXIT
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$APORT/" || die "apache is not answering"
wctl() { CGLEVER_CONFIG="$C" setpriv --reuid="$U" --regid="$U" --clear-groups "$W/usr/sbin/cglever-ctl" "$@"; }
cp "$T/keys/lever" "$T/keys/cg" "$W/"
chmod 644 "$W/lever" "$W/cg"
ACC=$(wctl account add acme --lever-api-key-file "$W/lever" --codingame-api-key-file "$W/cg")
is "the installed cglever-ctl adds an account" "$ACC" 1
is "public_url with INSTALL's trailing comment: Lever's webhook points at the URL alone" \
	"$(sim LEVER GET /_sim/webhooks | jget '(d["webhooks"] if isinstance(d,dict) else d)[0]["url"]')" \
	"http://127.0.0.1:$APORT/cglever/webhook.fcgi/lever/$ACC"
wctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null

# --- A stage change is sent within a second, by the runner the webhook
# starts (ctl_path): nothing here runs a sweep, and the installed cron
# file is in the scratch tree, not in /etc/cron.d.
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
sim LEVER POST /_sim/deliver "{\"url\":\"http://127.0.0.1:$APORT/cglever/webhook.fcgi/lever/$ACC\",\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\"}" >"$T/delivery.json"
is "a stage change through the installed webhook: 200" "$(jget 'd["status"]' <"$T/delivery.json")" 200
check "and the test goes out (no sweep)" wait_until 20 sends_ge 1
# From the webhook's answer (the simulator's triggeredAt + the delivery's
# elapsed time) to CodinGame's record of the send; both simulators' clocks.
sim CG GET /_sim/sends >"$T/sends.json"
delay=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=json.load(open(sys.argv[2]))
print(int(s["sends"][0]["time_ms"] - (d["payload"]["triggeredAt"] + d["elapsed_ms"])))' "$T/delivery.json" "$T/sends.json")
check "sent within a second of the webhook's answer ($delay ms)" test "$delay" -lt 1000
check "(no 'cannot start the queue runner' in Apache's log)" sh -c "! grep -q 'cannot start the queue runner' '$W/run/apache.err'"

# --- The admin pages: behind Apache's sign-in; admin_users, with
# INSTALL's trailing comment, lets in alice and bob (the last name).
admin_status() { curl -s -o /dev/null -w '%{http_code}' ${1:+-u "$1"} "http://127.0.0.1:$APORT/cglever/admin.fcgi/"; }
is "the installed admin page asks for sign-in" "$(admin_status)" 401
is "alice is let in" "$(admin_status "alice:pw-a-$$")" 200
is "bob, the last name before the comment, is let in" "$(admin_status "bob:pw-b-$$")" 200
wait_runners

# --- A runner that cannot be started (the program ctl_path names is gone):
# the delivery is still answered and kept, and the Activity page shows
# the job pending with its age; once the program is back, a sweep sends it.
# No runner of the first delivery may be left to take the next job: a
# live runner holds the account's runner lock (the installed programs'
# environment need not name this test's config, so runners() may miss it).
runner_gone() { L="$W/var/lib/cglever/runner-$ACC.lock"; [ ! -e "$L" ] || flock -n "$L" true; }
check "(the first delivery's runner is gone)" wait_until 60 runner_gone
mv "$W/usr/sbin/cglever-ctl" "$W/usr/sbin/cglever-ctl.away"
OPP2=$(opportunity '{"name":"Bea","emails":["bea@example.com"],"tags":["java"],"stage":"stage-screen"}')
sim LEVER POST /_sim/deliver "{\"url\":\"http://127.0.0.1:$APORT/cglever/webhook.fcgi/lever/$ACC\",\"opportunityId\":\"$OPP2\",\"toStageId\":\"stage-screen\"}" >"$T/delivery2.json"
is "with no runner to start, the delivery is still answered 200" "$(jget 'd["status"]' <"$T/delivery2.json")" 200
cant_start() { grep -q 'cannot start the queue runner' "$W/run/apache.err"; }
check "Apache's error log says the runner cannot start" wait_until 30 cant_start
curl -s -u "alice:pw-a-$$" "http://127.0.0.1:$APORT/cglever/admin.fcgi/account/$ACC/activity" >"$T/activity.html"
check "the Activity page lists the waiting job as pending, with its age" python3 - "$T/activity.html" "$OPP2" <<'PY'
import re, sys
page, opp = open(sys.argv[1]).read(), sys.argv[2]
rows = [r for r in re.findall(r'<tr class="pending">(.*?)</tr>', page, re.S) if opp in r]
sys.exit(0 if rows and re.search(r'\d+ s ago', rows[0]) else 1)
PY
mv "$W/usr/sbin/cglever-ctl.away" "$W/usr/sbin/cglever-ctl"
wctl sweep >/dev/null 2>&1
check "with the program back, the sweep sends it" wait_until 30 sends_ge 2
wait_runners
is "each test was sent once" "$(sends)" 2

stop_apache "$W/apache.conf"
"${S[@]}" stop
check "cglever-spawn stop ends the programs it started" wait_until 30 none_alive $SPAWNED
make -s -C "$TOP" uninstall DESTDIR="$W" PREFIX=/usr >"$T/uninstall.out" 2>&1
is "make uninstall succeeds" "$?" 0
check "the programs are gone" test ! -e "$W/usr/sbin/cglever-ctl" -a ! -e "$W/usr/lib/cgi-bin/cglever/webhook.fcgi"
check "the configuration, key and data are kept" test -f "$W/etc/cglever/cglever.conf" -a -f "$W/etc/cglever/secret.key" -a -d "$W/var/lib/cglever"
done_testing
