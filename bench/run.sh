#!/bin/bash
# make bench: webhook intake against its limits, end to end within Lever's
# limits, memory, and a Node.js peer, in one run (issue 8). Everything runs
# on loopback in bench/tmp/ and is stopped on exit, Ctrl-C included.
# Prints the table and writes it to bench/results.md (see README.md,
# "Benchmark").
#
# Knobs (environment): BENCH_SECONDS (wrk seconds per point, 4),
# BENCH_CONNS ("1 8 32"), BENCH_E2E (stage changes end to end, 2000),
# BENCH_PROCS (FastCGI webhook processes, 8), BENCH_SKIP ("apache",
# "peer", "e2e", "history": leave parts out while working on the others),
# BENCH_PROFILE=1 (a system-wide perf profile of every 32-connection
# point: bench/tmp/profile-*.txt, CPU by program and by function),
# BENCH_OUT (where the table goes, bench/results.md; the tests' smoke
# run writes elsewhere).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/bench
T=$B/tmp
SECS=${BENCH_SECONDS:-4}
CONNS=${BENCH_CONNS:-"1 8 32"}
E2E_N=${BENCH_E2E:-2000}
# The FastCGI webhook processes of each server, and so the committers of
# the store probe: 8, as the shipped lighttpd configuration runs
# (etc/lighttpd/conf-available/50-cglever.conf says why);
# scripts/lighttpd-conf.sh gets it explicitly, and apache.conf's
# FcgidMaxProcessesPerClass is set to it.
PROCS=${BENCH_PROCS:-8}
SKIP=${BENCH_SKIP:-}
PROFILE=${BENCH_PROFILE:-}
OUT=${BENCH_OUT:-$B/results.md}
WWW=www-data
RESULTS=$T/results.txt
START=$(date +%s)
export BENCH_RUN_ID="cglever-bench-$$-$START"   # every process started here inherits it

say() { printf 'bench: [%3ds] %s\n' $(( $(date +%s) - START )) "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }

# ------------------------------------------------------------ preflight
missing=""
for t in wrk lighttpd apache2 python3 curl openssl setpriv flock ipcrm; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
skip peer || for t in node npm; do command -v "$t" >/dev/null 2>&1 || missing="$missing $t"; done
[ -n "$PROFILE" ] && { command -v perf >/dev/null 2>&1 || missing="$missing perf"; }
if [ -n "$missing" ]; then
	say "missing:$missing"
	say "as root: apt-get update && apt-get install -y --no-install-recommends wrk nodejs npm lighttpd apache2 libapache2-mod-fcgid python3 curl openssl util-linux${PROFILE:+ linux-perf}"
	say "(the C build's packages: make deps)"
	exit 1
fi
skip peer || node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
	die "Node.js 20 or later is needed (node --version: $(node --version))"
id "$WWW" >/dev/null 2>&1 || die "user $WWW (Apache's children) is missing"
for f in cgi-bin/webhook.fcgi bin/cglever-ctl bench/trivial.fcgi bench/commitprobe; do
	[ -x "$TOP/$f" ] || die "$f is not built: run make bench"
done

# ------------------------------------------------------------ cleanup
PIDS=""
APACHE_CONFS=""
# Our processes: those whose environment names a configuration under $T
# (FastCGI programs, queue runners started detached by webhook.fcgi) or
# carries this run's id (everything else started here).
ours() {
	grep -lzE "^(CGLEVER_CONFIG=$T/|BENCH_RUN_ID=$BENCH_RUN_ID\$)" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/environ$|\1|' | grep -vxE "$$|$BASHPID"
}
# Processes of one configuration only (a server's programs and runners).
ours_conf() {
	grep -lzxF "CGLEVER_CONFIG=$1" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/environ$|\1|'
}
# drop_shm DB_HOME: the environment's System V shared memory segments
# (the store keeps its regions there; they outlive the processes).
drop_shm() {
	[ -f "$1/shm-key" ] || return 0
	local base i
	base=$(($(cat "$1/shm-key")))
	for i in 0 1 2 3 4 5 6 7; do ipcrm -M $((base + i)) 2>/dev/null; done
	return 0
}
cleanup() {
	local p c d
	trap - EXIT INT TERM
	for c in $APACHE_CONFS; do apache2 -f "$c" -k stop 2>/dev/null; done
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	[ -n "$APACHE_CONFS$PIDS" ] && sleep 0.5
	for p in $(ours); do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $(ours); do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for d in "$T"/*/db "$T"/*/*/db; do [ -d "$d" ] && drop_shm "$d"; done
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'exit 143' TERM

# An earlier run killed before its cleanup: its processes and segments.
if [ -d "$T" ]; then
	for p in $(ours); do kill -9 "$p" 2>/dev/null; done
	for d in "$T"/*/db "$T"/*/*/db; do [ -d "$d" ] && drop_shm "$d"; done
	rm -rf "$T"
fi
mkdir -p "$T"
chmod 755 "$T"
: >"$RESULTS"

# ------------------------------------------------------------ helpers
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(json.dumps(r) if isinstance(r,(dict,list)) else r)' "$1"; }
post() { curl -sS -H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$1"; }
wait_http() {  # wait_http URL SECONDS
	local i=0
	until curl -s -o /dev/null "$1"; do
		i=$((i + 1)); [ $i -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
}
# start_sim NAME SCRIPT: a simulator on a free port; sets NAME_PORT.
start_sim() {
	# Their own session: a Ctrl-C reaches this script, whose trap stops
	# everything in order, and not the simulators first.
	setsid python3 "$TOP/tests/fakes/$2" --port 0 >"$T/$1.out" 2>"$T/$1.err" &
	PIDS="$PIDS $!"
	local i=0
	until grep -q "listening on" "$T/$1.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 200 ] && die "$2 did not start: $(cat "$T/$1.err")"
		sleep 0.05
	done
	eval "${1}_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/$1.out" | head -1)"
}
result() { echo "$*" >>"$RESULTS"; }

# ------------------------------------------------------------ the machine
disk_info() {
	local src fs dev rot model
	read -r src fs < <(findmnt -no SOURCE,FSTYPE -T "$T" 2>/dev/null | head -1)
	dev=$(basename "$(readlink -f "$src" 2>/dev/null || echo "$src")")
	dev=$(lsblk -no PKNAME "/dev/$dev" 2>/dev/null | head -1 || true)
	[ -n "$dev" ] || dev=$(basename "$src")
	rot=$(cat "/sys/block/$dev/queue/rotational" 2>/dev/null || echo "?")
	model=$(cat "/sys/block/$dev/device/model" 2>/dev/null | xargs || true)
	case $dev in vd*) model=${model:-virtio block device} ;; nvme*) model=${model:-NVMe} ;; esac
	echo "$src ($fs, ${model:-unknown model}, rotational=$rot)"
}
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
	echo "cores=$(nproc)"
	echo "ram=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel=$(uname -sr)"
	echo "disk=$(disk_info)"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "lighttpd=$(lighttpd -v 2>/dev/null | head -1 | cut -d' ' -f1)"
	echo "apache=$(apache2 -v 2>/dev/null | sed -n 's/^Server version: //p')"
	echo "bdb=$(sed -n 's/^#define[[:space:]]*DB_VERSION_STRING[^"]*"\([^:"]*\).*/\1/p' /usr/include/db.h 2>/dev/null)"
	echo "node=$(node --version)"
	echo "wrk=$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
	echo "seconds=$SECS"
	echo "procs=$PROCS"
} >"$T/machine.txt"
say "machine: $(sed -n 's/^cpu=//p' "$T/machine.txt"), $(nproc) cores; results in $OUT"

# ------------------------------------------------------------ simulators
start_sim LEVER lever_sim.py
start_sim CG codingame_sim.py

# ------------------------------------------------------------ servers
# setup_server NAME KIND(lighttpd|apache): a configuration, database,
# account (Lever and CodinGame keys of its own, the webhook registered in
# the Lever simulator) and rule (tag java + stage-screen -> campaign 1),
# and the server with webhook.fcgi and trivial.fcgi. Sets S_DIR, S_CONF,
# S_DB, S_PORT, S_ACC, S_HOOK (webhook URL), S_TRIVIAL (URL), S_KEY
# (signature token).
ctl_as() {  # ctl_as KIND PROG ARGS...: cglever-ctl as the server's user
	local kind=$1 prog=$2; shift 2
	if [ "$kind" = apache ]; then
		setpriv --reuid=$WWW --regid=$WWW --clear-groups "$prog/bin/cglever-ctl" "$@"
	else
		"$prog/bin/cglever-ctl" "$@"
	fi
}
setup_server() {
	local name=$1 kind=$2 prog url
	S_DIR=$T/$name
	S_DB=$S_DIR/db
	S_CONF=$S_DIR/cglever.conf
	S_PORT=$(free_port)
	mkdir -p "$S_DIR/keys"
	openssl rand -hex 32 >"$S_DIR/keys/secret"
	chmod 600 "$S_DIR/keys/secret"
	echo "bench-lever-$name-$$" >"$S_DIR/keys/lever"
	echo "bench-cg-$name-$$" >"$S_DIR/keys/cg"
	post "$LEVER_PORT/_sim/keys" "{\"key\":\"bench-lever-$name-$$\"}" >/dev/null
	post "$CG_PORT/_sim/keys" "{\"key\":\"bench-cg-$name-$$\"}" >/dev/null
	if [ "$kind" = apache ]; then
		# Apache's children run as $WWW: the programs and data are theirs.
		prog=$S_DIR/prog
		mkdir -p "$prog/cgi-bin" "$prog/bin" "$S_DIR/apache/fcgid"
		cp "$TOP"/cgi-bin/*.fcgi "$B/trivial.fcgi" "$prog/cgi-bin/"
		cp "$TOP/bin/cglever-ctl" "$prog/bin/"
		url=http://127.0.0.1:$S_PORT/cgi-bin
	else
		prog=$TOP
		url=http://127.0.0.1:$S_PORT
	fi
	cat >"$S_CONF" <<CONF
# written by bench/run.sh
db_home = $S_DB
secret_key_file = $S_DIR/keys/secret
public_url = $url
lever_api_url = http://127.0.0.1:$LEVER_PORT/v1
codingame_api_url = http://127.0.0.1:$CG_PORT/assessment/api/v1.1
ctl_path = $prog/bin/cglever-ctl
log_level = info
CONF
	chmod 640 "$S_CONF"   # it may hold secrets: nothing for others (conf.c insists)
	[ "$kind" = apache ] && chown -R "$WWW:$WWW" "$S_DIR"
	S_ACC=$(CGLEVER_CONFIG=$S_CONF ctl_as "$kind" "$prog" account add "bench-$name" \
		--lever-api-key-file "$S_DIR/keys/lever" --codingame-api-key-file "$S_DIR/keys/cg") ||
		die "$name: cglever-ctl account add failed"
	CGLEVER_CONFIG=$S_CONF ctl_as "$kind" "$prog" rule add "$S_ACC" --tag java \
		--stage stage-screen --campaign 1 >/dev/null || die "$name: rule add failed"
	S_HOOK=$url/webhook.fcgi/lever/$S_ACC
	S_TRIVIAL=$url/trivial.fcgi
	S_KEY=$(curl -sS "http://127.0.0.1:$LEVER_PORT/_sim/webhooks" |
		jget "[w for w in (d['webhooks'] if isinstance(d,dict) else d) if w['url']=='$S_HOOK' and w['event']=='candidateStageChange'][-1]['configuration']['signatureToken']") ||
		die "$name: no webhook registered in the Lever simulator for $S_HOOK"
	if [ "$kind" = apache ]; then
		sh "$TOP/scripts/apache-conf.sh" "$prog" "$S_PORT" "$S_CONF" "$S_DIR/apache" $WWW \
			>"$S_DIR/apache.conf"
		grep -q "FcgidMaxProcessesPerClass $PROCS\$" "$S_DIR/apache.conf" ||
			sed -i "s/^FcgidMaxProcessesPerClass .*/FcgidMaxProcessesPerClass $PROCS/" "$S_DIR/apache.conf"
		chown -R "$WWW:$WWW" "$S_DIR/apache"
		apache2 -f "$S_DIR/apache.conf" -k start 2>"$S_DIR/apache-start.err" ||
			die "apache did not start: $(cat "$S_DIR/apache-start.err")"
		APACHE_CONFS="$APACHE_CONFS $S_DIR/apache.conf"
	else
		sh "$TOP/scripts/lighttpd-conf.sh" "$TOP" "$S_PORT" "$S_CONF" "$S_DIR" "$PROCS" \
			>"$S_DIR/lighttpd.conf"
		# The floor: trivial.fcgi with the same settings as webhook.fcgi.
		cat >>"$S_DIR/lighttpd.conf" <<CONF
fastcgi.server += ( "/trivial.fcgi" => (( "bin-path" => "$B/trivial.fcgi",
      "socket" => "$S_DIR/trivial.sock", "max-procs" => $PROCS, "check-local" => "disable",
      "bin-environment" => ( "CGLEVER_CONFIG" => "$S_CONF" ) )) )
CONF
		lighttpd -D -f "$S_DIR/lighttpd.conf" 2>>"$S_DIR/lighttpd.err" &
		PIDS="$PIDS $!"
		S_LIGHTTPD=$!
	fi
	wait_http "http://127.0.0.1:$S_PORT/" 10 || die "$kind is not answering on port $S_PORT"
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary '{}' "$S_TRIVIAL")
	[ "$code" = 200 ] || die "$kind: trivial.fcgi answers $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary '{}' "$S_HOOK")
	[ "$code" = 400 ] || die "$kind: webhook.fcgi answers $code to an empty delivery (want 400)"
}

# runner_off ACC: holds the account's runner lock, so webhook.fcgi sees a
# runner at work and starts none (nothing forked, jobs pile up).
# runner_on: lets go; the next delivery starts the runner.
runner_off() {
	local lock=$S_DB/runner-$1.lock
	[ -e "$lock" ] || { : >"$lock"; chmod 600 "$lock"; }
	chown --reference="$S_DB" "$lock"
	( exec 9>>"$lock"; flock -x 9; exec sleep 100000 ) &
	RUNNER_HOLD=$!
	PIDS="$PIDS $RUNNER_HOLD"
	sleep 0.2
}
runner_on() { kill "$RUNNER_HOLD" 2>/dev/null; wait "$RUNNER_HOLD" 2>/dev/null; sleep 0.1; }

# point SERVER WHAT RUNNER CONNS URL MODE [KEY]: one wrk run; its figures
# go to $RESULTS as "point server=.. what=.. runner=.. conns=.. rps=.. ...".
point() {
	local server=$1 what=$2 runner=$3 c=$4 url=$5 mode=$6 key=${7:-$S_KEY} thr=2 out line
	[ "$c" -lt 2 ] && thr=1
	out=$T/wrk-$server-$what-$runner-$c.out
	[ -n "$PROFILE" ] && [ "$c" = 32 ] && profile "$server-$what-$runner-$c"
	wrk -t$thr -c"$c" -d"${SECS}s" --timeout 10s -s "$B/sign.lua" "$url" -- "$key" "$mode" "$RANDOM" \
		>"$out" 2>&1
	[ -n "$PERF" ] && { wait "$PERF"; PERF=""; }
	line=$(sed -n 's/^WRKRESULT //p' "$out")
	[ -n "$line" ] || die "wrk failed: $(tail -3 "$out")"
	result "point server=$server what=$what runner=$runner conns=$c $line foreign=$(foreign) load1=$(cut -d' ' -f1 /proc/loadavg)"
	say "$(printf '%-8s %-8s runner=%-3s c=%-2s %s' "$server" "$what" "$runner" "$c" "$line")"
}
# profile NAME: perf samples every CPU through the middle of the wrk run
# about to start (not its first and last half second), then writes
# $T/profile-NAME.txt: the share of CPU time by program (idle shows as
# swapper), by library, and the hottest functions; perf-NAME.data stays
# for `perf report -i` (call graphs).
PERF=""
profile() {
	local data=$T/perf-$1.data
	( sleep 0.5; perf record -q -a -F 499 -g -o "$data" -- sleep $((SECS > 2 ? SECS - 1 : 1)) \
		>/dev/null 2>"$T/perf-$1.err"
	  { echo "# $1: CPU time by program (all CPUs; swapper = idle)"
	    perf report -i "$data" --stdio --no-children --sort comm -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -12
	    echo "# $1: CPU time by program and library"
	    perf report -i "$data" --stdio --no-children --sort comm,dso -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -25
	    echo "# $1: hottest functions (self time)"
	    perf report -i "$data" --stdio --no-children --sort comm,dso,sym -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -40
	  } >"$T/profile-$1.txt"
	  ) &
	PERF=$!
}
# foreign: how many cglever programs, test runners or fuzzers not started
# here are running (they share the cores and the disk with the figures).
foreign() {
	local mine n=0 p
	mine=" $(ours | tr '\n' ' ') "
	for p in $(pgrep -f '(webhook|admin|oauth)\.fcgi|cglever-ctl|fuzz_|tests/(run|faults/)' 2>/dev/null); do
		case $mine in *" $p "*) ;; *) n=$((n + 1)) ;; esac
	done
	echo "$n"
}
warmup() {  # warmup URL MODE: starts every FastCGI process, fills caches
	wrk -t2 -c32 -d1s -s "$B/sign.lua" "$1" -- "$S_KEY" "$2" "$RANDOM" >/dev/null 2>&1
}

# memory SERVER CONF: peak RSS (VmHWM) of each webhook.fcgi process.
memory() {
	local pid
	for pid in $(ours_conf "$2"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = webhook.fcgi ] || continue
		result "mem server=$1 pid=$pid $(awk '/^(VmHWM|VmRSS|RssAnon|RssShmem):/ {
			sub(":", "", $1); printf "%s_kb=%s ", tolower($1), $2 }' "/proc/$pid/status" 2>/dev/null)"
	done
}
# stop_server KIND: the server, its FastCGI programs and queue runners.
stop_server() {
	local p
	if [ "$1" = apache ]; then
		apache2 -f "$S_DIR/apache.conf" -k stop 2>/dev/null
		APACHE_CONFS=${APACHE_CONFS/" $S_DIR/apache.conf"/}
		sleep 1
	else
		kill "$S_LIGHTTPD" 2>/dev/null
		wait "$S_LIGHTTPD" 2>/dev/null
	fi
	for p in $(ours_conf "$S_CONF"); do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $(ours_conf "$S_CONF"); do kill -9 "$p" 2>/dev/null; done
	drop_shm "$S_DB"
}

# ------------------------------------------------------------ 1b: the store
say "limit: the store's durable commit rate (commitprobe)"
mkdir -p "$T/probe"
openssl rand -hex 32 >"$T/probe/secret"
chmod 600 "$T/probe/secret"
cat >"$T/probe/cglever.conf" <<CONF
# written by bench/run.sh: commitprobe's own environment, beside the servers'
db_home = $T/probe/db
secret_key_file = $T/probe/secret
public_url = http://127.0.0.1:9
lever_api_url = http://127.0.0.1:9/v1
codingame_api_url = http://127.0.0.1:9/assessment/api/v1.1
CONF
chmod 640 "$T/probe/cglever.conf"
for args in "--fsync $T/probe --seconds 1" "--procs 1 --seconds 2 $T/probe/cglever.conf" \
	    "--procs $PROCS --seconds $SECS $T/probe/cglever.conf"; do
	# shellcheck disable=SC2086
	line=$("$B/commitprobe" $args) || die "commitprobe $args failed"
	result "probe $line"
	say "probe $line"
done
drop_shm "$T/probe/db"

# ------------------------------------------------------------ 1a, 2, 3: per server
bench_server() {
	local kind=$1 c
	say "$kind: starting ($PROCS webhook.fcgi processes)"
	setup_server "$kind" "$kind"
	runner_off "$S_ACC"
	warmup "$S_TRIVIAL" valid
	warmup "$S_HOOK" valid
	point "$kind" trivial - 32 "$S_TRIVIAL" valid
	point "$kind" invalid off 32 "$S_HOOK" bad
	for c in $CONNS; do point "$kind" valid off "$c" "$S_HOOK" valid; done
	runner_on
	for c in $CONNS; do point "$kind" valid on "$c" "$S_HOOK" valid; done
	memory "$kind" "$S_CONF"
	result "jobs server=$kind backlog_db_bytes=$(du -sb "$S_DB" | cut -f1)"
	stop_server "$kind"
}
bench_server lighttpd
skip apache || bench_server apache

# ------------------------------------------------------------ 4, 5: end to end
NPM_PID=""
peer_deps() {  # better-sqlite3 once (a native build from its bundled SQLite)
	[ -d "$B/peer/node_modules/better-sqlite3" ] && return 0
	say "peer: npm ci in bench/peer (builds better-sqlite3; about 2 minutes, once)"
	( cd "$B/peer" && npm_config_build_from_source=true npm ci --no-audit --no-fund ) \
		>"$T/npm-ci.log" 2>&1 &
	NPM_PID=$!
	PIDS="$PIDS $NPM_PID"
}
skip peer || peer_deps   # builds while the end-to-end run waits on Lever's rate limit
if ! skip e2e; then
	say "end to end: $E2E_N stage changes for distinct candidates under lighttpd (runner on)"
	setup_server e2e lighttpd
	# cron's job, as installed (etc/cron.d/cglever): a sweep every minute.
	# It also restarts the work should a runner die (nothing else would
	# until a new delivery comes).
	( while :; do
		sleep 60
		CGLEVER_CONFIG=$S_CONF "$TOP/bin/cglever-ctl" sweep >>"$S_DIR/cron.log" 2>&1
	done ) &
	CRON=$!
	PIDS="$PIDS $CRON"
	# In the background, so that a TERM is handled at once (bash runs traps
	# between commands, and `wait` is one).
	BENCH_HOOK_URL=$S_HOOK python3 "$B/e2e.py" "$LEVER_PORT" "$CG_PORT" "$E2E_N" "$T/e2e.json" 900 >&2 &
	E2E=$!
	PIDS="$PIDS $E2E"
	wait "$E2E" || die "the end-to-end run failed"
	pkill -P "$CRON" 2>/dev/null; kill "$CRON" 2>/dev/null
	memory e2e "$S_CONF"
	dbb=$(find "$S_DB" -maxdepth 1 -name '*.db' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	logb=$(find "$S_DB" -maxdepth 1 -name 'log.*' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	result "dbsize du_bytes=$(du -sb "$S_DB" | cut -f1) db_files_bytes=$dbb log_bytes=$logb"
	stop_server e2e
fi

# ------------------------------------------------------------ 6: the peer
if ! skip peer; then
	if [ -n "$NPM_PID" ]; then
		wait "$NPM_PID" || die "npm ci failed in bench/peer: $(tail -5 "$T/npm-ci.log")"
	fi
	PEER_PORT=$(free_port)
	mkdir -p "$T/peer"
	S_KEY=peer-signature-token-$$
	PEER_PORT=$PEER_PORT PEER_DB=$T/peer/peer.db PEER_KEY=$S_KEY setsid node "$B/peer/server.js" \
		>"$T/peer/out" 2>"$T/peer/err" &
	PIDS="$PIDS $!"
	i=0
	until grep -q "listening on" "$T/peer/out" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 200 ] && die "the Node peer did not start: $(cat "$T/peer/err")"
		sleep 0.05
	done
	say "peer: $(cat "$T/peer/out")"
	URL=http://127.0.0.1:$PEER_PORT/lever/1
	warmup "$URL" valid
	point peer invalid - 32 "$URL" bad
	for c in $CONNS; do point peer valid - "$c" "$URL" valid; done
	result "peer workers=$(sed -n 's/.*(\([0-9]*\) workers).*/\1/p' "$T/peer/out")"
fi

# ------------------------------------------------------------ 7: cost vs history
# bench/history.sh: its own lighttpd and simulators (tests/lib.sh's), and
# its own section of the table, added after report.py's.
if ! skip history; then
	say "cost vs history: 1,000, 10,000 and 100,000 invitations (bench/history.sh)"
	bash "$B/history.sh" >"$T/history.md" 2>"$T/history.log" ||
		die "bench/history.sh failed: $(tail -5 "$T/history.log")"
fi

result "elapsed seconds=$(( $(date +%s) - START ))"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$T/machine.txt"
python3 "$B/report.py" "$T/machine.txt" "$RESULTS" "$T/e2e.json" >"$OUT" ||
	die "report.py failed"
[ -s "$T/history.md" ] && cat "$T/history.md" >>"$OUT"
cat "$OUT"
say "done in $(( $(date +%s) - START )) s; the table is in $OUT"
