#!/bin/bash
# The chaos run (part of make check; `make chaos` runs it alone).
# 500 stage changes for distinct candidates, spread over 10 accounts (each
# with its own Lever key and rate limit), every delivery made 3 times in
# random order, 16 at a time, while FastCGI processes and queue runners
# are SIGKILLed every 200-500 ms until the last test is sent. Lever
# (played by the driver) retries until it gets a 2xx. FLAKY=1 (chaos-
# flaky.sh) also has CodinGame fail a third of its calls (500, timeouts,
# replies lost after acting) and Lever answer bursts of 429. At the end,
# after sweeps: exactly 500 sends, no duplicate, nothing lost, and every
# database verifies.
TEST_NAME=${TEST_NAME:-chaos}
. "$(dirname "$0")/../lib.sh"
need db5.3_verify shuf pgrep
N=${CHAOS_N:-500}
ACCOUNTS=${CHAOS_ACCOUNTS:-10}
FLAKY=${FLAKY:-}
KILL_FOR=${CHAOS_KILL_SECONDS:-60}   # the kills stop then at the latest
EXTRA_CONF="job_backoff_seconds = 1
http_timeout_seconds = 2" LEASE=5 FCGI_PROCS=4 setup
# One Lever key per account: each has its own 10/s bucket, as in Lever.
# The simulator is one Lever for all of them, so each account's rule has
# its own tag: the sweep's reconciliation would otherwise (rightly) find
# every other account's candidates in its stage.
ACCS=""
for a in $(seq 1 $ACCOUNTS); do
	printf 'lever-key-%s-%s\n' "$a" $$ >"$T/keys/lever"
	sim LEVER POST /_sim/keys "{\"key\":\"lever-key-$a-$$\"}" >/dev/null
	acc=$(add_account "acme$a") || die "cannot add account $a"
	ctl rule add "$acc" --tag "java-$acc" --stage stage-screen --campaign 1 >/dev/null
	ACCS="$ACCS $acc"
done
if [ -n "$FLAKY" ]; then
	# A third of CodinGame calls fail: 1/9 answered 500, 1/9 held past the
	# client's 2 s timeout (then acted on), 1/9 acted on with the reply
	# dropped. Probabilities chain: 1/9, then 1/8 of the rest, then 1/7.
	sim CG POST /_sim/faults '{"action":"status","status":500,"count":-1,"probability":0.1111}' >/dev/null
	sim CG POST /_sim/faults '{"action":"delay","delay_ms":2500,"count":-1,"probability":0.125}' >/dev/null
	sim CG POST /_sim/faults '{"action":"drop_after","count":-1,"probability":0.1429}' >/dev/null
	INJECTED="CodinGame: a third of calls (500, timeout, lost reply); Lever: 429 bursts"
else
	# A few lost replies (acted on, then 502) and refusals.
	sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send","action":"status_after","status":502,"count":15}' >/dev/null
	sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send","action":"status","status":500,"count":15}' >/dev/null
	INJECTED=30
fi
# Lever: a burst of ten 429s (Retry-After 1) every 5 s while it runs.
# (The sleeps of bursts, cron and chaos pace the faults; nothing waits on them.)
bursts() {
	while [ ! -f "$T/chaos.done" ]; do
		sim LEVER POST /_sim/faults '{"action":"status","status":429,"retry_after":1,"count":10}' >/dev/null
		echo burst >>"$T/bursts"
		sleep 5
	done
}
# cron: a sweep of each account's jobs every 2 s (cron's is every minute)
# restarts the work of killed runners; they are killed too. Only the jobs:
# polling 500 unfinished tests for results is not what this run is about.
sweep_jobs() { for a in $ACCS; do timeout -s KILL 90 "$PROG/bin/cglever-ctl" sweep --account "$a"; done >>"$T/cron.out" 2>>"$T/cron.err"; }
cron() {
	while [ ! -f "$T/chaos.done" ]; do
		sweep_jobs &
		sleep 2
	done
}
# An admin's hot backups, one after another while the chaos runs: each
# copy must verify, and the backups must not hold the store's opens back
# or leave it in a state that turns its protection off.
backups() {
	n=0
	while [ ! -f "$T/chaos.done" ]; do
		n=$((n + 1))
		d="$T/backup.$n"
		if "$PROG/bin/cglever-ctl" backup "$d" >>"$T/backup.out" 2>>"$T/backup.err"; then
			# A hot copy is made consistent by recovery from its log,
			# as the first open of a restored store does; then verified.
			bad=0
			db5.3_recover -h "$d" -P "$(cat "$T/keys/secret")" >>"$T/backup-verify.err" 2>&1 || bad=1
			for f in "$d"/*.db; do
				db5.3_verify -h "$d" -P "$(cat "$T/keys/secret")" "$(basename "$f")" \
					>>"$T/backup-verify.err" 2>&1 || bad=$((bad + 1))
			done
			echo "$bad" >>"$T/backups.ok"
		else
			echo "backup $n failed" >>"$T/backups.failed"
		fi
		rm -rf "$d"   # back to back: each copy, recovery and check paces the next
	done
}
sent() { sim CG GET /_sim/sends | jget 'len(set(x["candidate_email"] for x in d["sends"]))'; }
chaos() {  # kills a webhook.fcgi (5 in 6) or a runner every 200-500 ms
	kills=0
	end=$(( $(date +%s) + KILL_FOR ))
	while [ "$(date +%s)" -lt $end ]; do
		sleep "0.$(( (RANDOM % 4) + 2 ))"
		if [ -f "$T/driver.done" ] && [ $((kills % 10)) = 0 ] && [ "$(sent)" -ge "$N" ]; then break; fi
		if [ $((RANDOM % 6)) = 0 ]; then victim=$(runners | shuf -n 1)
		else victim=$(pgrep -P "$LIGHTTPD_PID" -f webhook.fcgi | shuf -n 1); fi
		[ -n "$victim" ] && kill -9 "$victim" 2>/dev/null && kills=$((kills + 1))
	done
	echo "$kills" >"$T/kills"
	touch "$T/chaos.done"
}
chaos &
CHAOS=$!
cron &
CRON=$!
backups &
BACKUPS=$!
[ -n "$FLAKY" ] && { bursts & BURSTS=$!; }
python3 - "$LEVER_PORT" "$HTTP_PORT" "$N" $ACCS >"$T/driver.txt" 2>"$T/driver.err" <<'PY'
import json, random, secrets, sys, time, urllib.request, concurrent.futures
lp, hp, n, accs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def call(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{lp}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=60))
opps = [(call("/_sim/opportunities", {"name": f"Chaos {i}", "emails": [f"x{i}@example.com"],
         "tags": [f"java-{accs[i % len(accs)]}"], "stage": "stage-screen"})["id"], accs[i % len(accs)])
        for i in range(n)]
now = int(time.time() * 1000)
work = [(o, a, secrets.token_hex(24)) for o, a in opps] * 3      # every delivery 3 times
random.shuffle(work)
tries = 0
def deliver(item):
    global tries
    o, a, tok = item
    url = f"http://127.0.0.1:{hp}/webhook.fcgi/lever/{a}"
    for _ in range(100):                 # Lever retries until a 2xx
        tries += 1
        r = call("/_sim/deliver", {"url": url, "opportunityId": o, "toStageId": "stage-screen",
                                   "token": tok, "triggeredAt": now})
        if 200 <= r["status"] < 300:
            return 1
        time.sleep(0.05)
    return 0
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    ok = sum(ex.map(deliver, work))
print(len(work), ok, tries)
PY
touch "$T/driver.done"
wait $CHAOS $CRON $BACKUPS
[ -n "${BURSTS:-}" ] && wait "$BURSTS"
read -r deliveries accepted attempts <"$T/driver.txt"
is "every delivery was accepted in the end (Lever's retries)" "$accepted" "$deliveries"
# The queue drains: sweeps (as cron would) until no job is left.
pending() { for a in $ACCS; do ctl jobs "$a" | tail -n +2; done | grep -vc failed; }
drained() { [ "$(pending)" -eq 0 ] || { sweep_jobs; false; }; }
wait_until 120 drained
wait_runners; sweep_jobs
# One whole sweep, faults off: it also checkpoints, for db_verify.
sim CG DELETE /_sim/faults >/dev/null
ctl sweep >/dev/null 2>&1
s=$(sim CG GET /_sim/sends)
sends=$(echo "$s" | jget 'len(d["sends"])')
distinct=$(echo "$s" | jget 'len(set(x["candidate_email"] for x in d["sends"]))')
echo "# faults: ${FLAKY:+flaky }chaos: deliveries=$deliveries (HTTP attempts $attempts) kills=$(cat "$T/kills") injected failures=$INJECTED${FLAKY:+ (Lever 429 bursts $(wc -l <"$T/bursts"))} sends=$sends duplicates=$((sends - distinct)) lost=$((N - distinct)) stalled processes replaced=$(cat "$T"/*.err | grep -c 'stalled for')"
is "no job left" "$(for a in $ACCS; do ctl jobs "$a" | tail -n +2; done | wc -l)" 0
is "no duplicate send" "$((sends - distinct))" 0
is "no candidate lost" "$((N - distinct))" 0
is "every invitation recorded as sent" "$(for a in $ACCS; do ctl invitations "$a"; done | grep -c ' sent ')" "$N"
is "Lever's rate limit never hit (429 from its bucket)" "$(sim LEVER GET /_sim/stats | jget 'd["rate_limited"]')" 0
# Everything is quiet now: every database verifies.
is "db_verify: every database is clean" "$(bad_databases)" 0
nb=$(cat "$T/backups.ok" 2>/dev/null | wc -l)
check "backups in a loop during the chaos: $nb taken, $(cat "$T/backups.failed" 2>/dev/null | wc -l) refused" test "$nb" -ge 1
is "every backup taken verifies (after the recovery its first open runs)" "$(cat "$T/backups.ok" 2>/dev/null | awk '$1 > 0' | wc -l)" 0
# The gate keeps nothing across opens (an old gate remembered a "stuck"
# environment in gate.lock and stopped waiting there for good).
is "the gate remembers nothing afterwards (gate.lock is empty)" "$(stat -c %s "$T/db/gate.lock")" 0
done_testing
