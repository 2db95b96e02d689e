#!/bin/sh
# make run: lighttpd on 127.0.0.1:$PORT (8080) with the FastCGI programs,
# the Lever and CodinGame simulators on $LEVER_PORT (8081) and $CG_PORT
# (8082), a database under var/ ($CGLEVER_VAR), and a sweep every minute (as
# cron would). Ctrl-C (or SIGTERM) stops everything. If var/cglever.conf points
# at the real services (https URLs), no simulator is started and nothing is
# seeded. The simulators have pages for people at /ui (see the closing message).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8080} LEVER_PORT=${LEVER_PORT:-8081} CG_PORT=${CG_PORT:-8082}
VAR=${CGLEVER_VAR:-$TOP/var}
CONF=$VAR/cglever.conf
mkdir -p "$VAR"
command -v lighttpd >/dev/null || { echo "run: lighttpd is missing (make deps)" >&2; exit 1; }

real=0
if [ -f "$CONF" ] && grep -q '^lever_api_url *= *https://' "$CONF"; then
	real=1
else
	# The simulators keep no state between runs, so neither does the sandbox.
	if [ -f "$VAR/db/shm-key" ]; then   # the old environment's shared memory
		base=$(($(cat "$VAR/db/shm-key")))
		for i in 0 1 2 3 4 5 6 7; do ipcrm -M $((base + i)) 2>/dev/null || true; done
	fi
	rm -rf "$VAR/db" "$VAR/run"
	[ -f "$VAR/secret.key" ] || { umask 077; openssl rand -hex 32 >"$VAR/secret.key"; }
	cat >"$CONF" <<CONF
# written by make run (sandbox); point the URLs at the real services to go live
db_home = $VAR/db
secret_key_file = $VAR/secret.key
public_url = http://127.0.0.1:$PORT
lever_api_url = http://127.0.0.1:$LEVER_PORT/v1
codingame_api_url = http://127.0.0.1:$CG_PORT/assessment/api/v1.1
ctl_path = $TOP/bin/cglever-ctl
log_level = info
lever_auth_url = http://127.0.0.1:$LEVER_PORT/authorize
lever_token_url = http://127.0.0.1:$LEVER_PORT/oauth/token
lever_client_id = cglever-sandbox
lever_client_secret = sandbox-client-secret
admin_users = admin
CONF
	chmod 0640 "$CONF"   # cglever refuses a config others can read
	# The sandbox's admin sign-in (lighttpd's plain backend).
	echo "admin:admin" >"$VAR/users"
fi
export CGLEVER_CONFIG=$CONF
mkdir -p "$VAR/run"
pids=""
sleeper=""   # the sweep loop's `sleep 60` (in the background: it ignores Ctrl-C's SIGINT)
stop() {
	trap - INT TERM EXIT
	for p in $pids $sleeper; do kill "$p" 2>/dev/null || true; done
	# lighttpd restarts a FastCGI program that dies (Ctrl-C reaches them
	# all) until it has exited itself: wait for it first.
	wait 2>/dev/null || true
	# lighttpd's FastCGI programs: only this sandbox's (its CGLEVER_CONFIG), not
	# those of another `make run` or test from the same checkout.
	if [ -r /proc/self/environ ]; then
		for p in $(pgrep -f "$TOP/cgi-bin/" 2>/dev/null); do
			{ grep -qzxF "CGLEVER_CONFIG=$CONF" "/proc/$p/environ" 2>/dev/null && kill "$p" 2>/dev/null; } || true
		done
	else
		pkill -f "$TOP/cgi-bin/" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
	echo "run: stopped"
}
# Ctrl-C or SIGTERM: stop everything and end here (not back in the sweep loop).
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

started() {  # started FILE: waits for a simulator's "listening on" line
	i=0
	until grep -q "listening on" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { echo "run: $1: did not start" >&2; cat "${1%.out}.err" >&2; exit 1; }
		sleep 0.05
	done
}
if [ $real = 0 ]; then
	python3 "$TOP/tests/fakes/lever_sim.py" --port "$LEVER_PORT" >"$VAR/run/lever.out" 2>"$VAR/run/lever.err" &
	pids="$pids $!"
	python3 "$TOP/tests/fakes/codingame_sim.py" --port "$CG_PORT" >"$VAR/run/cg.out" 2>"$VAR/run/cg.err" &
	pids="$pids $!"
	started "$VAR/run/lever.out"
	started "$VAR/run/cg.out"
fi
AUTH_USERFILE=$VAR/users sh "$TOP/scripts/lighttpd-conf.sh" "$TOP" "$PORT" "$CONF" "$VAR/run" >"$VAR/run/lighttpd.conf"
lighttpd -D -f "$VAR/run/lighttpd.conf" &
pids="$pids $!"

if [ $real = 0 ]; then
	post() { curl -sS -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$1"; }
	post "$LEVER_PORT/_sim/keys" '{"key":"sandbox-lever-key"}' >/dev/null
	post "$CG_PORT/_sim/keys" '{"key":"sandbox-codingame-key"}' >/dev/null
	post "$LEVER_PORT/_sim/oauth/client" "{\"client_id\":\"cglever-sandbox\",\"client_secret\":\"sandbox-client-secret\",\"redirect_uri\":\"http://127.0.0.1:$PORT/oauth.fcgi/callback\"}" >/dev/null
	echo sandbox-lever-key >"$VAR/run/lever.key"
	echo sandbox-codingame-key >"$VAR/run/cg.key"
	ACC=$("$TOP/bin/cglever-ctl" account add sandbox --lever-api-key-file "$VAR/run/lever.key" \
		--codingame-api-key-file "$VAR/run/cg.key")
	"$TOP/bin/cglever-ctl" rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
	# CodinGame calls cglever back when a test ends: results come at once, not at the next sweep.
	"$TOP/bin/cglever-ctl" callback "$ACC" on >/dev/null
	OPP=$(post "$LEVER_PORT/_sim/opportunities" \
		'{"name":"Ada Lovelace","emails":["ada@example.com"],"tags":["java"],"stage":"stage-applied"}' |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	cat <<MSG

cglever is running with simulated Lever and CodinGame. Open in a browser:
  cglever's admin page:  http://127.0.0.1:$PORT/admin.fcgi/  (user admin, password admin)
  Lever (simulated):     http://127.0.0.1:$LEVER_PORT/ui
  CodinGame (simulated): http://127.0.0.1:$CG_PORT/ui
The story: in Lever, move Ada Lovelace to "Phone screen" (stage-screen) -> CodinGame
lists her test -> "Complete with score" -> back in Lever (reload), the result note is
on Ada's timeline.
  account $ACC "sandbox", rule: tag "java" + stage "stage-screen" -> CodinGame campaign 1,
  CodinGame callback on; candidate Ada Lovelace (opportunity $OPP), tagged java
On the admin page, "Reconnect Lever" runs the OAuth flow against the simulated Lever.

The same by hand: move her to the screen stage (Lever calls the webhook, signed):
  curl -s -H 'Content-Type: application/json' http://127.0.0.1:$LEVER_PORT/_sim/deliver \\
    -d '{"url":"http://127.0.0.1:$PORT/webhook.fcgi/lever/$ACC","opportunityId":"$OPP","toStageId":"stage-screen"}'
Then see the test CodinGame sent, and cglever's record of it:
  curl -s http://127.0.0.1:$CG_PORT/_sim/sends
  CGLEVER_CONFIG=$CONF $TOP/bin/cglever-ctl invitations $ACC
Logs: $VAR/run/lighttpd.err. Ctrl-C stops everything.
MSG
else
	echo "cglever is running on http://127.0.0.1:$PORT/ against the services in $CONF. Ctrl-C stops it."
fi
# cron's job: the sweep every minute.
while :; do
	sleep 60 &
	sleeper=$!
	wait $sleeper || true
	"$TOP/bin/cglever-ctl" sweep || echo "run: sweep failed (see above)" >&2
done
