# Shared by the numbered tests: a throwaway config, the simulators, a real
# lighttpd with the real FastCGI programs, and TAP-style assertions.
# Each test sources this file, calls `setup`, asserts, and calls `done_testing`.
set -u
umask 027   # configs and keys as make install leaves them: nothing for others
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # tests/faults/ too
NAME=${TEST_NAME:-$(basename "$0" .sh)}
# HTTPD=apache runs the same test under Apache (mod_proxy_fcgi) instead of
# lighttpd, laid out as make install does: Apache's children run as
# www-data ($WWW); the three programs run apart, as their own user
# $APP_USER, on unix sockets (scripts/cglever-spawn); the test's folder,
# the store, the key and every cglever-ctl run belong to $APP_USER.
# $APP_USER is cglever-test (CGLEVER_TEST_USER), not make install's
# cglever: a real install on this host keeps its user to itself. A
# system user without login or home, made at the first Apache run if
# missing and kept (like a package's user).
HTTPD=${HTTPD:-lighttpd}
WWW=www-data
APP_USER=${CGLEVER_TEST_USER:-cglever-test}
# CGLEVER_BUILD: where the programs are (build/asan for make check-asan).
BUILD=${CGLEVER_BUILD:-$TOP}
if [ "$HTTPD" = apache ]; then
	mkdir -p /tmp/cglever-tests-apache
	chmod 755 /tmp/cglever-tests-apache
	# One folder per checkout: runs of other checkouts on this machine
	# use the same test names.
	T="/tmp/cglever-tests-apache/$NAME-$(printf '%s' "$TOP" | cksum | cut -d ' ' -f 1)"
	PROG="$T/prog"
else
	T="$TOP/tests/tmp/$NAME"
	PROG="$BUILD"
fi
# An earlier run that died before its cleanup: the shared memory of its
# stores (the folder that names it goes next).
for k in $(find "$T" -name shm-key 2>/dev/null); do
	base=$(($(cat "$k")))
	for i in 0 1 2 3 4 5 6 7; do ipcrm -M $((base + i)) 2>/dev/null; done
done
rm -rf "$T"
mkdir -p "$T"
# CGLEVER_SANITIZER=valgrind: every program, the FastCGI ones and each
# cglever-ctl run, goes through a wrapper that runs it under valgrind,
# one log per process in $T/valgrind.PID.log (tests/run.sh reads them).
if [ "${CGLEVER_SANITIZER:-}" = valgrind ]; then
	command -v valgrind >/dev/null 2>&1 || { echo "not ok - $NAME: valgrind is missing (run make deps)"; exit 1; }
	PROG="$T/vg"
	mkdir -p "$PROG/cgi-bin" "$PROG/bin"
	for p in cgi-bin/webhook.fcgi cgi-bin/oauth.fcgi cgi-bin/admin.fcgi bin/cglever-ctl; do
		cat >"$PROG/$p" <<VG
#!/bin/sh
exec $(command -v valgrind) -q --error-exitcode=97 --child-silent-after-fork=yes \
	--leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --suppressions="$TOP/tests/valgrind.supp" \
	--log-file="$T/valgrind.%p.log" "$BUILD/$p" "\$@"
VG
		chmod 755 "$PROG/$p"
	done
fi
N_OK=0
N_FAIL=0
PIDS=""   # the stamps (see stamps) of the simulators and the web server

ok()   { N_OK=$((N_OK + 1)); echo "ok - $*"; }
nok()  { N_FAIL=$((N_FAIL + 1)); echo "not ok - $*"; }
# check DESC CMD...: passes when CMD succeeds.
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# is DESC GOT WANT
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', want '$3')"; fi; }
die() { echo "not ok - $NAME: $*"; N_FAIL=$((N_FAIL + 1)); done_testing; }

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "required tool '$t' is missing (run make deps)"
	done
}

# need_selenium: sets PY to a python3 that imports Selenium. Debian's
# python3-selenium lives in /usr/bin/python3's dist-packages, which another
# python3 first in PATH (pyenv, a venv) does not see.
need_selenium() {
	PY=""
	for p in python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import selenium' 2>/dev/null; then PY=$p; return 0; fi
	done
	die "no python3 with Selenium (python3-selenium; run make deps)"
}

# run_browser SECONDS SCRIPT ARGS...: runs tests/SCRIPT (Selenium, headless
# Chromium, screenshots in $T) with $PY under a timeout. Its TAP lines go to
# $T/browser.tap and count here too; its stderr goes to $T/browser.err.
run_browser() {
	timeout -k 5 "$1" "$PY" -B -u "$TOP/tests/$2" "${@:3}" \
		--chromium "$(command -v chromium)" --chromedriver "$(command -v chromedriver)" \
		--out "$T" 2>"$T/browser.err" | tee "$T/browser.tap"
	rc=${PIPESTATUS[0]}
	N_OK=$((N_OK + $(grep -c '^ok ' "$T/browser.tap")))
	N_FAIL=$((N_FAIL + $(grep -c '^not ok ' "$T/browser.tap")))
	case $rc in
	0) ok "the browser script ends cleanly" ;;
	124|137) nok "the browser script timed out ($1 s)" ;;
	1) grep -q '^not ok ' "$T/browser.tap" || nok "the browser script exits 1 without saying why (see $T/browser.err)" ;;
	*) nok "the browser script exits $rc (see $T/browser.err)" ;;
	esac
}

# free_port: an unused TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# jget EXPR: evaluates a Python expression over the JSON on stdin as `d`.
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(json.dumps(r) if isinstance(r,(dict,list)) else r)' "$1"; }

# start_sim NAME SCRIPT: starts a simulator on a free port; sets ${NAME}_PORT.
start_sim() {
	python3 "$TOP/tests/fakes/$2" --port 0 >"$T/$1.out" 2>"$T/$1.err" &
	PIDS="$PIDS $(stamps $!)"
	eval "${1}_PID=$!"
	wait_until 30 grep -q "listening on" "$T/$1.out" || die "$2 did not start: $(cat "$T/$1.err")"
	eval "${1}_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/$1.out" | head -1)"
}

# sim LEVER|CG METHOD PATH [JSON]: calls a simulator's API, prints the body.
sim() {
	case $1 in LEVER) p=$LEVER_PORT ;; CG) p=$CG_PORT ;; esac
	curl -sS -X "$2" -H 'Content-Type: application/json' ${4:+--data-binary "$4"} \
		"http://127.0.0.1:$p$3"
}

write_config() {
	mkdir -p "$T/keys"
	openssl rand -hex 32 >"$T/keys/secret"
	chmod 600 "$T/keys/secret"
	cat >"$T/cglever.conf" <<CONF
# written by tests/lib.sh
db_home = $T/db
secret_key_file = $T/keys/secret
public_url = http://127.0.0.1:$HTTP_PORT
lever_api_url = http://127.0.0.1:$LEVER_PORT/v1
codingame_api_url = http://127.0.0.1:$CG_PORT/assessment/api/v1.1
ctl_path = ${CTL_PATH:-$PROG/bin/cglever-ctl}
log_level = debug
job_lease_seconds = ${LEASE:-2}
lever_auth_url = http://127.0.0.1:$LEVER_PORT/authorize
lever_token_url = http://127.0.0.1:$LEVER_PORT/oauth/token
lever_client_id = cglever-test
lever_client_secret = client-secret-$$
admin_users = admin, boss
oauth_state_seconds = ${STATE_SECONDS:-600}
${CGLEVER_TEST_LINGER_MS:+runner_linger_ms = $CGLEVER_TEST_LINGER_MS}
${EXTRA_CONF:-}
CONF
	printf 'admin:pw-%s\nboss:pw-%s\nmallory:pw-%s\n' $$ $$ $$ >"$T/users"
	export CGLEVER_CONFIG="$T/cglever.conf"
}

start_lighttpd() {
	need lighttpd
	AUTH_USERFILE="$T/users" sh "$TOP/scripts/lighttpd-conf.sh" "$PROG" "$HTTP_PORT" "$CGLEVER_CONFIG" "$T" "${FCGI_PROCS:-2}" >"$T/lighttpd.conf"
	lighttpd -D -f "$T/lighttpd.conf" 2>>"$T/lighttpd.err" &
	LIGHTTPD_PID=$!
	PIDS="$PIDS $(stamps $!)"
	wait_until 30 curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" ||
		die "lighttpd did not start: $(cat "$T/lighttpd.err")"
}

if [ "$HTTPD" = apache ]; then
	ctl() { setpriv --reuid="$APP_USER" --regid="$APP_USER" --clear-groups "$PROG/bin/cglever-ctl" "$@"; }
else
	ctl() { "$PROG/bin/cglever-ctl" "$@"; }
fi
# own PATH...: files the test made as root become the programs' user's.
own() { [ "$HTTPD" != apache ] || chown -R "$APP_USER" "$@"; }

# app_user: makes $APP_USER if this host lacks it (a test run beside
# this one may make it at the same time: then it exists all the same).
app_user() {
	id "$APP_USER" >/dev/null 2>&1 ||
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$APP_USER" 2>/dev/null ||
		id "$APP_USER" >/dev/null 2>&1 || die "cannot make the user $APP_USER"
}

# start_apache: the programs as $APP_USER on $T/run/NAME.sock (their
# messages in $T/httpd.err), then Apache (www-data) in front of them.
# $T is $APP_USER's; www-data may only pass through it to the sockets
# and the htpasswd file.
start_apache() {
	need apache2 htpasswd setpriv spawn-fcgi useradd
	app_user
	mkdir -p "$PROG/cgi-bin" "$PROG/bin"
	cp "$BUILD"/cgi-bin/*.fcgi "$PROG/cgi-bin/"
	cp "$BUILD/bin/cglever-ctl" "$PROG/bin/"
	: >"$T/htpasswd"
	while IFS=: read -r u pw; do htpasswd -b "$T/htpasswd" "$u" "$pw" 2>/dev/null; done <"$T/users"
	own "$T"
	chmod 711 "$T"
	chgrp "$WWW" "$T/htpasswd"
	chmod 640 "$T/htpasswd"
	mkdir -m 755 "$T/run" "$T/apache"
	CGLEVER_USER=$APP_USER CGLEVER_WEB_GROUP=$WWW CGLEVER_RUN="$T/run" CGLEVER_CGIDIR="$PROG/cgi-bin" \
		CGLEVER_SPAWN_LOG="$T/httpd.err" sh "$TOP/scripts/cglever-spawn" start 2>>"$T/spawn.err" ||
		die "the programs did not start: $(cat "$T/spawn.err")"
	for p in webhook oauth admin; do PIDS="$PIDS $(stamps "$(cat "$T/run/$p.pid")")"; done
	AUTH_HTPASSWD="$T/htpasswd" sh "$TOP/scripts/apache-conf.sh" proxy "$HTTP_PORT" "$T/apache" "$T/run" >"$T/apache.conf"
	sed -i "s|^ErrorLog .*|ErrorLog \"$T/httpd.err\"|" "$T/apache.conf"
	apache2 -f "$T/apache.conf" -k start 2>"$T/apache-start.err" ||
		die "apache did not start: $(cat "$T/apache-start.err")"
	APACHE_CONF="$T/apache.conf"
	wait_until 30 curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" || die "apache is not answering"
}

# setup: simulators, config, an account with keys and webhook, lighttpd.
setup() {
	need python3 curl openssl lighttpd
	[ -x "$BUILD/cgi-bin/webhook.fcgi" ] || die "build first (make)"
	start_sim LEVER lever_sim.py
	start_sim CG codingame_sim.py
	HTTP_PORT=$(free_port)
	write_config
	LEVER_KEY=lever-key-$$
	CG_KEY=cg-key-$$
	sim LEVER POST /_sim/keys "{\"key\":\"$LEVER_KEY\"}" >/dev/null
	sim CG POST /_sim/keys "{\"key\":\"$CG_KEY\"}" >/dev/null
	printf '%s\n' "$LEVER_KEY" >"$T/keys/lever"
	printf '%s\n' "$CG_KEY" >"$T/keys/cg"
	if [ -n "${NO_LIGHTTPD:-}" ]; then
		[ "$HTTPD" != apache ] || app_user
		own "$T"
	elif [ "$HTTPD" = apache ]; then
		start_apache
	else
		start_lighttpd
	fi
}

# add_account NAME: prints the new account id.
add_account() {
	ctl account add "$1" --lever-api-key-file "$T/keys/lever" --codingame-api-key-file "$T/keys/cg"
}

# opportunity JSON: creates it in the Lever simulator, prints its id.
opportunity() { sim LEVER POST /_sim/opportunities "$1" | jget 'd["id"]'; }

# deliver ACCOUNT OPP TO_STAGE [EXTRA_JSON_FIELDS]: a signed stage change via the
# Lever simulator; prints the simulator's report (status, body, payload).
deliver() {
	sim LEVER POST /_sim/deliver "{\"url\":\"http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$1\",\"opportunityId\":\"$2\",\"toStageId\":\"$3\",\"fromStageId\":\"stage-applied\"${4:+,$4}}"
}

# install_edits CONF: INSTALL's block of config edits (between "--- edits
# to /etc/cglever/cglever.conf ---" and "--- end of edits ---"), read from
# INSTALL into $T/install-edits, each line put in CONF in place of its
# key's line (commented out or not), or added.
install_edits() {
	sed -n '/^ *--- edits to \/etc\/cglever\/cglever.conf ---$/,/^ *--- end of edits ---$/p' "$TOP/INSTALL" |
		sed -e '1d' -e '$d' -e 's/^ *//' >"$T/install-edits"
	python3 - "$1" "$T/install-edits" <<'PY'
import re, sys
conf, edits = sys.argv[1:]
lines = open(conf).read().splitlines()
for e in open(edits).read().splitlines():
    key = re.escape(e.split("=")[0].strip())
    i = next((n for n, l in enumerate(lines) if re.match(rf"#?{key} *=", l)), None)
    if i is None:
        lines.append(e)
    else:
        lines[i] = e
open(conf, "w").write("\n".join(lines) + "\n")
PY
}

# deliver_burst ACCOUNT N THREADS: N new tagged candidates (c0@... to
# c<N-1>@..., in stage-screen), each one signed stage change, THREADS at a
# time; prints the distinct answer statuses and the count ("200 N").
deliver_burst() {
	python3 - "$LEVER_PORT" "$HTTP_PORT" "$@" <<'PY'
import json, sys, urllib.request, concurrent.futures
lp, hp, acc, n, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def call(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{lp}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=60))
opps = [call("/_sim/opportunities", {"name": f"Cand {i}", "emails": [f"c{i}@example.com"],
        "tags": ["java"], "stage": "stage-screen"})["id"] for i in range(n)]
url = f"http://127.0.0.1:{hp}/webhook.fcgi/lever/{acc}"
def deliver(o):
    return call("/_sim/deliver", {"url": url, "opportunityId": o, "toStageId": "stage-screen",
                                  "fromStageId": "stage-applied"})["status"]
with concurrent.futures.ThreadPoolExecutor(threads) as ex:
    codes = list(ex.map(deliver, opps))
print(" ".join(sorted(set(map(str, codes)))), len(codes))
PY
}

sends() { sim CG GET /_sim/sends | jget 'len(d["sends"])'; }

# wait_until SECONDS CMD...: polls until CMD succeeds.
wait_until() {
	limit=$1; shift
	end=$(( $(date +%s) + limit ))
	until "$@"; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.1
	done
}

# This test's queue runners: their environment names this test's config
# (they are detached, so neither the command line nor the parent tells).
runners() {
	[ -n "${CGLEVER_CONFIG:-}" ] || return 0
	# Any program run as "... sweep" (ctl_path may name a link to
	# cglever-ctl); the environment tells whose it is.
	for pid in $(pgrep -f "[^ ]+ sweep( |$)"); do
		tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "CGLEVER_CONFIG=$CGLEVER_CONFIG" &&
			echo "$pid"
	done
}
no_runners() { [ -z "$(runners)" ]; }
# wait_runners: until no runner of this test is left. A woken runner stays
# runner_linger_ms (up to 60 s; the tests run it at 0 and 10 s) once its
# queue is empty, so the limit is generous.
wait_runners() { wait_until 60 no_runners; }
# pending_jobs: this test's jobs still to be worked (a failed job is done).
pending_jobs() { ctl jobs | awk 'NR > 1 && $4 == "pending"' | wc -l; }
worked_off() { [ "$(pending_jobs)" -eq 0 ] && no_runners; }
# settle: until every job accepted so far has been worked and no runner is
# left: what the deliveries answered so far started is over (the webhook
# commits the job before it answers, so a job is never missed).
settle() { wait_until 60 worked_off || nok "the queue settles within 60 s ($(pending_jobs) job(s) pending, runners: $(runners | tr '\n' ' '))"; }

# sim_holding LEVER|CG: the simulator holds a request (a "delay" fault:
# one of its threads sleeps, after it read the whole request and took the
# fault; nothing else in the simulators sleeps). Seen from /proc: a thread
# in nanosleep (the syscall numbers from this machine's headers).
sim_holding() {
	local pid f nr rest
	[ -n "${SLEEP_SYSCALLS:-}" ] || SLEEP_SYSCALLS=$(printf '#include <sys/syscall.h>\nSYS_clock_nanosleep SYS_nanosleep\n' | cpp -P - | tail -n 1)
	[ -n "$SLEEP_SYSCALLS" ] || die "sim_holding needs cpp and the kernel headers (run make deps)"
	pid=$(eval echo "\${${1}_PID}")
	for f in /proc/"$pid"/task/*/syscall; do
		read -r nr rest <"$f" 2>/dev/null || continue
		case " $SLEEP_SYSCALLS " in *" $nr "*) return 0 ;; esac
	done
	return 1
}

# PIDs are reused (often, on a busy machine), so a process this test
# means to stop later is named by a stamp, PID:START (its start time).
# stamps PID...: their stamps (none for a PID already gone).
stamps() {
	local p s
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		set -- $s
		echo "$p:${20}"
	done
}
# tree PID|STAMP...: the stamps of those still running and of all their
# descendants.
tree() {
	local p
	for p in "$@"; do
		alive "$p" || continue
		case $p in *:*) echo "$p" ;; *) stamps "$p" ;; esac
		tree $(pgrep -P "${p%%:*}")
	done
}
# alive PID|STAMP: running (a zombie has exited; its parent has yet to
# reap it), and, for a stamp, the same process.
alive() {
	local pid=${1%%:*} start="" s
	case $1 in *:*) start=${1#*:} ;; esac
	s=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	s=${s##*) }
	set -- $s
	[ "$1" != Z ] && { [ -z "$start" ] || [ "$start" = "${20}" ]; }
}
none_alive() {
	local p
	for p in "$@"; do alive "$p" && return 1; done
	return 0
}
# kill_alive SIGNAL STAMP...: signals those still running.
kill_alive() {
	local sig=$1 p
	shift
	for p in "$@"; do alive "$p" && kill "-$sig" "${p%%:*}" 2>/dev/null; done
	return 0
}
# stop_apache CONF: stops the Apache of CONF and waits until the process of
# its PidFile has exited; what is left of its tree then is killed.
stop_apache() {
	local pidfile pid mine
	pidfile=$(sed -n 's/^PidFile "\(.*\)"$/\1/p' "$1")
	pid=$(cat "$pidfile" 2>/dev/null)
	[ -n "$pid" ] || return 0
	mine=$(tree "$pid")
	apache2 -f "$1" -k stop 2>/dev/null
	wait_until 30 none_alive $mine
	kill_alive KILL $mine
	wait_until 10 none_alive $mine
}

# bad_databases: how many of this test's databases fail db5.3_verify
# (details in $T/verify.err). Run it when the environment is quiet.
bad_databases() {
	bad=0
	for f in "$T"/db/*.db; do
		db5.3_verify -h "$T/db" -P "$(cat "$T/keys/secret")" "$(basename "$f")" \
			>>"$T/verify.err" 2>&1 || bad=$((bad + 1))
	done
	echo "$bad"
}

# store_segments DB_HOME: how many System V segments the store's
# environment has now (its keys are shm-key + 0..7).
store_segments() {
	local base n=0
	base=$(($(cat "$1/shm-key")))
	for i in 0 1 2 3 4 5 6 7; do
		ipcs -m | awk '{print $1}' | grep -qix "$(printf '0x%08x' $((base + i)))" && n=$((n + 1))
	done
	echo $n
}

# drop_shm DB_HOME: removes the environment's System V shared memory
# segments (they outlive processes by design).
drop_shm() {
	[ -f "$1/shm-key" ] || return 0
	base=$(($(cat "$1/shm-key")))
	for i in 0 1 2 3 4 5 6 7; do ipcrm -M $((base + i)) 2>/dev/null; done
	return 0
}

# The stores this test made: every shm-key under $T, and STORES (folders
# elsewhere, e.g. t0010's).
stores() {
	for k in $(find "$T" -name shm-key 2>/dev/null); do dirname "$k"; done
	for d in ${STORES:-}; do echo "$d"; done
}

# cleanup: stops what this test started, by PID: the web server (Apache by
# its PidFile) and what it started, the simulators, this test's runners;
# then drops the shared memory of every store. Says `not ok` and fails if
# a process or a segment is left.
# strays: PIDs of cglever's programs (the FastCGI ones, cglever-ctl, or a
# link to it) run with this test's CGLEVER_CONFIG in their environment.
strays() {
	[ -n "${CGLEVER_CONFIG:-}" ] || return 0
	local pid
	for pid in $(pgrep -f '\.fcgi|cglever-ctl|[^ ]+ sweep( |$)'); do
		tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
			grep -qxF "CGLEVER_CONFIG=$CGLEVER_CONFIG" && echo "$pid"
	done
}
cleanup() {
	local mine left d k
	[ -n "${APACHE_CONF:-}" ] && stop_apache "$APACHE_CONF"
	mine=$(tree $PIDS)
	kill_alive TERM $PIDS    # the web server stops what it started
	wait_until 30 none_alive $mine
	kill_alive KILL $mine
	wait 2>/dev/null
	wait_runners
	mine="$mine $(stamps $(runners))"
	kill_alive KILL $mine
	wait_until 10 none_alive $mine
	left=""
	for k in $mine; do alive "$k" && left="$left ${k%%:*}"; done
	# Strays: a program of this test's config that no tracked process
	# owns any more (a FastCGI child whose server was SIGKILLed).
	for k in $(strays); do kill -KILL "$k" 2>/dev/null; left="$left $k(stray)"; done
	[ -n "$left" ] && { echo "not ok - $NAME: cleanup: processes left:$left"; CLEANUP_FAILED=1; }
	for d in $(stores); do
		k=$(cat "$d/shm-key" 2>/dev/null) || continue
		drop_shm "$d"
		for i in 0 1 2 3 4 5 6 7; do
			if ipcs -m | grep -qi "^$(printf '0x%08x' $((k + i))) "; then
				echo "not ok - $NAME: cleanup: shared memory of $d left"
				CLEANUP_FAILED=1
				break
			fi
		done
	done
	[ -z "${CLEANUP_FAILED:-}" ]
}
trap 'cleanup || exit 1' EXIT

done_testing() {
	echo "# $NAME: $N_OK passed, $N_FAIL failed"
	[ $N_FAIL -eq 0 ] && exit 0
	for f in "$T"/*.err; do
		[ -f "$f" ] && { echo "# --- $f (tail)"; tail -n 30 "$f" | sed 's/^/# /'; }
	done
	exit 1
}

# Polled conditions (command substitutions inside wait_until's arguments
# would be evaluated only once).
sends_ge() { [ "$(sends)" -ge "$1" ]; }
sends_eq() { [ "$(sends)" -eq "$1" ]; }
# hook_token: the signature token Lever's simulator holds for the first webhook.
hook_token() { sim LEVER GET /_sim/webhooks | jget '[w for w in (d["webhooks"] if isinstance(d,dict) else d) if w["event"] == "candidateStageChange"][0]["configuration"]["signatureToken"]'; }
