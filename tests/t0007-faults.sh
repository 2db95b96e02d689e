#!/bin/bash
# Failures and crashes end in exactly one send.
. "$(dirname "$0")/lib.sh"
LEASE=2 setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
mkopp() { opportunity "{\"name\":\"$1\",\"emails\":[\"$1@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}"; }
sends_to() { sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['candidate_email']=='$1@example.com'])"; }
sent_to() { [ "$(sends_to "$1")" -ge 1 ]; }
has_runner() { [ -n "$(runners)" ]; }
# lease_over OPP: the job's lease has observably run out: its due time
# (shown to the second, rounded down) is in an earlier second than now.
lease_over() {
	due=$(ctl jobs "$ACC" | awk -v o="$1" '$3 == o { print $6 }')
	case $due in
	now|"") return 0 ;;   # due at once, or done
	*T*Z) [ "$(date -u +%s)" -gt "$(date -u -d "$due" +%s)" ] ;;
	*) return 1 ;;
	esac
}

# CodinGame answers 500 three times, then works.
O1=$(mkopp five)
sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send","action":"status","status":500,"count":3}' >/dev/null
deliver "$ACC" "$O1" stage-screen >/dev/null
check "500 x3 then 200: sent" wait_until 60 sent_to five
wait_runners
is "500 x3 then 200: exactly one send" "$(sends_to five)" 1

# CodinGame acts on the send but the reply is lost (500 after acting).
O2=$(mkopp lost)
sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send","action":"status_after","status":502,"count":1}' >/dev/null
deliver "$ACC" "$O2" stage-screen >/dev/null
check "lost reply: the test exists" wait_until 60 sent_to lost
wait_runners
is "lost reply: looked up, not sent again" "$(sends_to lost)" 1
check "lost reply: the invitation knows its test" grep -q "$O2 .* sent " <(ctl invitations "$ACC")

# Lever rate-limits with Retry-After.
O3=$(mkopp limited)
sim LEVER POST /_sim/faults '{"method":"GET","path":"/v1/opportunities/","action":"status","status":429,"retry_after":1,"count":2}' >/dev/null
deliver "$ACC" "$O3" stage-screen >/dev/null
check "429 with Retry-After: sent" wait_until 60 sent_to limited
wait_runners
is "429 with Retry-After: exactly one send" "$(sends_to limited)" 1
cat "$T"/*.err | grep -q "Retry-After\|retry.after\|429" && ok "the 429 is logged" || nok "the 429 is logged"

# The runner is killed (SIGKILL) after the job is committed, before the send.
O4=$(mkopp killed)
sim LEVER POST /_sim/faults '{"method":"GET","path":"/v1/opportunities/","action":"delay","delay_ms":3000,"count":1}' >/dev/null
deliver "$ACC" "$O4" stage-screen >/dev/null
check "a runner started" wait_until 30 has_runner
wait_until 30 sim_holding LEVER || nok "Lever holds the runner's request"
KILLED=$(stamps $(runners))
kill_alive KILL $KILLED   # this test's runners only
wait_until 30 none_alive $KILLED
# The sweep below takes the job once its lease has run out.
wait_until 30 lease_over "$O4" || nok "the killed runner's lease runs out"
is "killed before sending: nothing sent yet" "$(sends_to killed)" 0
check "killed before sending: the job is still queued" grep -q "$O4" <(ctl jobs "$ACC")
ctl sweep
is "killed before sending: the next sweep sends once" "$(sends_to killed)" 1

# The runner is killed while CodinGame holds the send (it acts after 3 s):
# the next sweep must find the test instead of sending again.
O5=$(mkopp midsend)
sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send","action":"delay","delay_ms":3000,"count":1}' >/dev/null
deliver "$ACC" "$O5" stage-screen >/dev/null
check "a runner started for the slow send" wait_until 30 has_runner
wait_until 30 sim_holding CG || nok "CodinGame holds the runner's send"
KILLED=$(stamps $(runners))
kill_alive KILL $KILLED   # this test's runners only
wait_until 30 none_alive $KILLED
# CodinGame acts once its hold is over (then fails to answer the dead runner).
wait_until 30 sent_to midsend
wait_until 30 lease_over "$O5" || nok "the killed runner's lease runs out"
is "killed mid-send: CodinGame created the test" "$(sends_to midsend)" 1
ctl sweep
is "killed mid-send: the sweep does not send again" "$(sends_to midsend)" 1
check "killed mid-send: the invitation is recorded as sent" grep -q "$O5 .* sent " <(ctl invitations "$ACC")

# A final error (unknown campaign) keeps the job as failed, with its error.
ctl rule add "$ACC" --tag ruby --stage stage-screen --campaign 999 >/dev/null
O6=$(opportunity '{"name":"Ruby","emails":["ruby@example.com"],"tags":["ruby"],"stage":"stage-screen"}')
deliver "$ACC" "$O6" stage-screen >/dev/null
failed_job() { ctl jobs "$ACC" | grep -q "failed .*InvalidCampaignId"; }
check "a refused send is kept as a failed job, with its error" wait_until 60 failed_job
is "the database still answers after the crashes" "$(ctl account list | tail -n +2 | wc -l)" 1
done_testing
