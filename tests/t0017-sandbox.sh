#!/bin/bash
# `make run` as a newcomer meets it: started here on free ports (PORT,
# LEVER_PORT, CG_PORT) with its data in this test's folder (CGLEVER_VAR), it
# prints the three URLs to open; headless Chromium (tests/sandbox_browser.py)
# then walks the story: on the simulated Lever's page move Ada to "Phone
# screen", see her test on the simulated CodinGame's page, "Complete with
# score", and find the result note on her Lever timeline. SIGTERM to `make
# run` stops it all: no lighttpd, simulator, FastCGI program or cglever-ctl
# is left, nor the Berkeley DB shared memory. Screenshots of every step:
# tests/tmp/t0017-sandbox/NN-*.png.

# An earlier run that died before its cleanup: its shared memory (lib.sh
# removes the folder that names it).
old_db="$(cd "$(dirname "$0")" && pwd)/tmp/t0017-sandbox/var/db"
if [ -f "$old_db/shm-key" ]; then
	base=$(($(cat "$old_db/shm-key")))
	for i in 0 1 2 3 4 5 6 7; do ipcrm -M $((base + i)) 2>/dev/null; done
fi
. "$(dirname "$0")/lib.sh"
need make setsid chromium chromedriver timeout curl pgrep ipcrm ipcs lighttpd openssl
need_selenium

VAR=$T/var
CONF=$VAR/cglever.conf
PORT=$(free_port); LEVER_PORT=$(free_port); CG_PORT=$(free_port)
while [ "$LEVER_PORT" = "$PORT" ]; do LEVER_PORT=$(free_port); done
while [ "$CG_PORT" = "$PORT" ] || [ "$CG_PORT" = "$LEVER_PORT" ]; do CG_PORT=$(free_port); done
# The developer's own sandbox (var/) must not be touched.
dev_conf() { [ -f "$TOP/var/cglever.conf" ] && cksum <"$TOP/var/cglever.conf" || echo none; }
DEV_CONF=$(dev_conf)

# Everything this sandbox left running: make and its process group, and what
# left the group (queue runners start their own session) but is this
# sandbox's by its command line or its CGLEVER_CONFIG.
PGID=""
ours() {
	{
		[ -n "$PGID" ] && pgrep -g "$PGID"
		pgrep -f "$VAR/"
		pgrep -f "fakes/lever_sim.py --port $LEVER_PORT( |$)"
		pgrep -f "fakes/codingame_sim.py --port $CG_PORT( |$)"
		for p in $(pgrep -f "$TOP/(cgi-bin|bin)/"); do
			grep -qzxF "CGLEVER_CONFIG=$CONF" "/proc/$p/environ" 2>/dev/null && echo "$p"
		done
	} 2>/dev/null | sort -un | grep -vx "$$"
}
none_left() { [ -z "$(ours)" ]; }
describe() { for p in "$@"; do ps -o pid=,pgid=,args= -p "$p"; done 2>/dev/null | sed 's/^/#   /'; }
STOPPED=""
stop_sandbox() {    # the safety net: TERM, then KILL, whatever is left
	[ -n "$STOPPED" ] && return 0
	STOPPED=1
	[ -n "$PGID" ] && kill -TERM -- "-$PGID" 2>/dev/null
	wait_until 5 none_left
	left=$(ours)
	[ -n "$left" ] && kill -KILL $left 2>/dev/null
	wait_until 10 none_left
	drop_shm "$VAR/db"
}
trap 'stop_sandbox; cleanup || exit 1' EXIT

# run_ready: make run printed its URLs (and PGID is known); dies if make
# run exited first.
run_ready() {
	[ -z "$PGID" ] && [ -s "$T/run.pgid" ] && PGID=$(cat "$T/run.pgid")
	[ -n "$PGID" ] && grep -q "http://127.0.0.1:$CG_PORT/ui" "$T/run.out" 2>/dev/null && return 0
	kill -0 "$RUN_PID" 2>/dev/null || die "make run exited before it printed its URLs: $(tail -n 20 "$T/run.err" | tr '\n' ' ')"
	return 1
}
# start_run: make run, in its own session (so that its whole process group can
# be signalled, as a terminal's Ctrl-C does); sets RUN_PID and PGID once the
# URLs are printed. A background job of a script starts with SIGINT ignored,
# which a shell cannot trap: the launcher puts it back to the default.
start_run() {
	STOPPED="" PGID=""
	# The launch below is a background job: its redirections happen
	# later, in the child, so the previous run's output must not be there
	# for run_ready to read.
	rm -f "$T/run.pgid" "$T/run.out"
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u CGLEVER_CONFIG \
		PORT="$PORT" LEVER_PORT="$LEVER_PORT" CG_PORT="$CG_PORT" CGLEVER_VAR="$VAR" \
		"$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
		setsid -w sh -c 'echo $$ >"$1"; exec make --no-print-directory -C "$2" run' sh "$T/run.pgid" "$TOP" \
		</dev/null >"$T/run.out" 2>"$T/run.err" &
	RUN_PID=$!
	wait_until 180 run_ready ||      # a build first, perhaps
		die "make run printed no URLs in 180 s: $(tail -n 20 "$T/run.err" | tr '\n' ' ')"
}
# stopped HOW: checks that all of the sandbox is gone within 10 s of the signal.
stopped() {
	wait_until 10 none_left
	left=$(ours)
	check "$1 stops it all within 10 s" test -z "$left"
	[ -n "$left" ] && { echo "# left running:"; describe $left; }
	check "it says 'run: stopped'" grep -q "^run: stopped" "$T/run.out"
	for p in $PORT $LEVER_PORT $CG_PORT; do
		check "nothing answers on port $p any more" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/")" = 000
	done
	stop_sandbox         # whatever is left (and the shared memory)
	wait "$RUN_PID" 2>/dev/null
}

start_run
sed 's/^/# make run: /' "$T/run.out"

# The closing message: three URLs and the story.
url() { grep -o "$1" "$T/run.out" | head -n 1; }
ADMIN_URL=$(url "http://127.0.0.1:$PORT/admin\.fcgi/")
LEVER_URL=$(url "http://127.0.0.1:$LEVER_PORT/ui")
CG_URL=$(url "http://127.0.0.1:$CG_PORT/ui")
check "make run prints cglever's admin page URL ($ADMIN_URL)" test -n "$ADMIN_URL"
check "with its sign-in, admin/admin" grep -q "user admin, password admin" "$T/run.out"
check "the simulated Lever's page ($LEVER_URL)" test -n "$LEVER_URL"
check "the simulated CodinGame's page ($CG_URL)" test -n "$CG_URL"
check "and the story (Phone screen, Complete with score, the result note)" \
	grep -q 'Phone screen.*CodinGame' <(tr '\n' ' ' <"$T/run.out" | grep 'Complete with score.*result note')
is "the admin page asks for a password" "$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN_URL")" 401
is "admin/admin opens it" "$(curl -s -o /dev/null -w '%{http_code}' -u admin:admin "$ADMIN_URL")" 200
is "the Lever page answers without auth" "$(curl -s -o /dev/null -w '%{http_code}' "$LEVER_URL")" 200
is "so does the CodinGame page" "$(curl -s -o /dev/null -w '%{http_code}' "$CG_URL")" 200
CB=$(curl -s -H "API-Key: sandbox-codingame-key" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/webhook" | jget 'd["url"]' 2>/dev/null)
check "the sandbox account has CodinGame's callback on ($CB)" \
	grep -qE "^http://127.0.0.1:$PORT/webhook.fcgi/codingame/[0-9]+/[0-9a-f]+$" <<<"$CB"
check "make run keeps its data in CGLEVER_VAR" grep -qx "db_home = $VAR/db" "$CONF"
is "and leaves the checkout's var/ alone" "$(dev_conf)" "$DEV_CONF"

# The story, in the browser. It prints its own TAP lines; they count here too.
if [ -n "$LEVER_URL" ] && [ -n "$CG_URL" ]; then
	run_browser 120 sandbox_browser.py --lever "$LEVER_URL" --cg "$CG_URL" \
		--candidate "Ada Lovelace" --email ada@example.com --stage stage-screen --stage-text "Phone screen" \
		--score 75
	shots=$(ls "$T"/[0-9][0-9]-*.png 2>/dev/null | wc -l)
	check "the browser left its screenshots ($shots) in $T" test "$shots" -ge 5
fi

# What the clicks left behind, seen through the simulators' control APIs.
OPP=$(sed -n 's/.*Ada Lovelace (opportunity \([^)]*\)).*/\1/p' "$T/run.out" | head -n 1)
notes=$(sim LEVER GET "/_sim/notes?opportunity=$OPP")
is "Ada's timeline holds one result note with Score: 75%" \
	"$(jget "len([n for n in d['notes'] if 'CodinGame result' in n['value'] and 'Score: 75%' in n['value']])" <<<"$notes")" 1
is "one test went out, to Ada, campaign 1" \
	"$(sim CG GET /_sim/sends | jget '[(s["candidate_email"], s["campaign_id"]) for s in d["sends"]]')" \
	'[["ada@example.com", 1]]'

# SIGTERM to make alone (as a service manager would): everything stops.
kill -TERM "$PGID" 2>/dev/null
stopped "SIGTERM to make"
# Ctrl-C: SIGINT to the whole process group, as the terminal sends it.
start_run
ok "make run starts again on the same ports and folder"
kill -INT -- "-$PGID" 2>/dev/null
stopped "Ctrl-C (SIGINT to the process group)"

base=$(($(cat "$VAR/db/shm-key" 2>/dev/null || echo 0)))
segs=0
if [ "$base" -ne 0 ]; then
	for i in 0 1 2 3 4 5 6 7; do
		ipcs -m | grep -qi "^$(printf '0x%08x' $((base + i))) " && segs=$((segs + 1))
	done
fi
is "no Berkeley DB shared memory segment is left" "$segs" 0
done_testing
