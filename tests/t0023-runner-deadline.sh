#!/bin/bash
# runner_max_seconds: a runner with a long backlog stops between two jobs,
# closes the store cleanly (exit 0, no recovery at the next open), and the
# next runs finish the backlog with every test sent exactly once.
. "$(dirname "$0")/lib.sh"
need flock ipcs
N=15
EXTRA_CONF="runner_max_seconds = 5" setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
# CodinGame answers every send after 1.5 s: the backlog is over 20 s of work.
sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send$","action":"delay","delay_ms":1500,"count":-1}' >/dev/null

# The backlog, queued while the test holds the account's runner lock: the
# webhook finds it taken and starts no runner; the test starts them itself.
exec 9>>"$T/db/runner-$ACC.lock"
flock -n 9 || die "cannot take the runner lock"
codes=""
for i in $(seq 1 $N); do
	o=$(opportunity "{\"name\":\"c$i\",\"emails\":[\"c$i@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$o" stage-screen >>"$T/deliveries.json"
	echo >>"$T/deliveries.json"
done
# A runner a delivery woke finds the lock taken and leaves: none may be
# left to take it when the test lets go (at any runner_linger_ms).
wait_runners
exec 9>&-
is "$N deliveries answered 200" "$(grep -c '"status": 200,' "$T/deliveries.json")" $N
is "and nothing sent yet (no runner)" "$(sends)" 0

# The first segment of the environment's shared memory: recovery replaces
# it, so a new id means the open that followed ran recovery.
env_shmid() {
	ipcs -m | awk -v k="$(printf '0x%08x' $(($(cat "$T/db/shm-key"))))" '$1 == k { print $2 }'
}

# run_runner FILE: the runner the webhook would start, in the foreground;
# sets RC and SECS (its wall time).
run_runner() {
	t0=$(date +%s%N)
	ctl sweep --account "$ACC" 2>"$1"
	RC=$?
	SECS=$(( ($(date +%s%N) - t0) / 1000000000 ))
}

run_runner "$T/run1.err"
n1=$(sends)
is "a runner past runner_max_seconds exits 0" "$RC" 0
check "it says why it stopped" grep -q "account $ACC: runner_max_seconds (5 s) reached: stopping" "$T/run1.err"
check "it stopped between jobs, with work left: $n1 of $N sent after ${SECS} s" \
	test "$n1" -ge 2 -a "$n1" -lt $N -a "$SECS" -ge 5 -a "$SECS" -lt 15
id1=$(env_shmid)
ctl jobs "$ACC" >"$T/jobs.out" 2>"$T/jobs.err"
is "the next open runs no recovery (same environment, shm id $id1)" "$(env_shmid)" "$id1"
check "(the environment exists)" test -n "$id1"
# A job taken and not finished would show a try.
is "the jobs left wait untouched: $((N - n1)) pending, none tried" \
	"$(awk 'NR > 1 && $4 == "pending" && $5 == 0' "$T/jobs.out" | wc -l) $(awk 'NR > 1' "$T/jobs.out" | wc -l)" \
	"$((N - n1)) $((N - n1))"

runs=1
while [ "$(sends)" -lt $N ] && [ $runs -lt 12 ]; do
	runs=$((runs + 1))
	run_runner "$T/run$runs.err"
	[ "$RC" -eq 0 ] || nok "run $runs exited $RC"
done
is "later runs finish the backlog ($runs runs)" "$(sends)" $N
is "every candidate got exactly one test" \
	"$(sim CG GET /_sim/sends | jget 'len(set(s["candidate_email"] for s in d["sends"]))')" $N
check "the first run already stopped as told, not at the end of the backlog" test $runs -ge 3

# The probe can see a recovery: a runner killed mid-job (as the old
# alarm did) makes the next open recover, which the id shows.
exec 9>>"$T/db/runner-$ACC.lock"
flock -n 9 || die "cannot take the runner lock"
o=$(opportunity '{"name":"k","emails":["k@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$o" stage-screen >/dev/null
wait_runners
exec 9>&-
id2=$(env_shmid)
# (The binary itself, so that $! is its PID; this test runs under lighttpd.)
"$PROG/bin/cglever-ctl" sweep --account "$ACC" 2>"$T/killed.err" &
pid=$!
# It holds the runner lock once its store is open.
lock_taken() { ! flock -n "$T/db/runner-$ACC.lock" true; }
wait_until 20 lock_taken || nok "the runner never took its lock"
kill -9 $pid
wait $pid 2>/dev/null
ctl jobs "$ACC" >/dev/null 2>&1
check "(control: after a killed runner the next open recovers: shm id $id2 -> $(env_shmid))" \
	test "$(env_shmid)" != "$id2"
wait_runners
done_testing
