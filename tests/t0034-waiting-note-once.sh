#!/bin/bash
# The "waiting for an email" note is posted once even when Lever's reply
# to it is lost (issue 14): the request is recorded before it leaves and,
# after an unknown outcome, the timeline is searched instead of posting
# again, as for the other notes.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 2 >/dev/null
OPP=$(opportunity '{"name":"Mute","emails":[],"tags":["java"],"stage":"stage-screen"}')
notes() { sim LEVER GET "/_sim/notes?opportunity=$OPP" | jget 'len([n for n in d["notes"] if "no email" in n["value"]])'; }
notes_ge() { [ "$(notes)" -ge "$1" ]; }
no_jobs() { [ "$(ctl jobs "$ACC" | tail -n +2 | wc -l)" -eq 0 ]; }

# Lever takes the note and the connection drops before its reply.
sim LEVER POST /_sim/faults '{"method":"POST","path":"/notes$","action":"drop_after","count":1}' >/dev/null
deliver "$ACC" "$OPP" stage-screen >/dev/null
check "Lever got the waiting note" wait_until 30 notes_ge 1
check "the job ends" wait_until 60 no_jobs
wait_runners
ctl sweep; wait_runners
ctl sweep; wait_runners
is "after the lost reply, retries and two sweeps: one waiting note" "$(notes)" 1
is "Lever was asked once to post it" "$(sim LEVER GET /_sim/requests | jget 'len([r for r in (d["requests"] if isinstance(d,dict) else d) if r["method"]=="POST" and r["path"].endswith("/notes")])')" 1
is "nothing is sent" "$(sends)" 0
sim LEVER POST "/_sim/opportunities/$OPP" '{"emails":["mute@example.com"]}' >/dev/null
ctl sweep
is "once an email is added, the sweep sends the test" "$(sends)" 1
is "and the waiting note is still alone" "$(notes)" 1
done_testing
