#!/bin/bash
# No email: a note says the test waits; it goes out once an email appears
# and `cglever-ctl sweep` runs.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 2 >/dev/null
OPP=$(opportunity '{"name":"Mute","emails":[],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$OPP" stage-screen >/dev/null
notes() { sim LEVER GET "/_sim/notes?opportunity=$OPP" | jget 'len(d["notes"])'; }
notes_eq() { [ "$(notes)" -eq "$1" ]; }
check "a note is posted" wait_until 5 notes_eq 1
check "the note says the test waits for an email" grep -qi "no email" <(sim LEVER GET "/_sim/notes?opportunity=$OPP")
wait_runners
is "nothing is sent" "$(sends)" 0
check "the invitation is kept as waiting" grep -q "waiting_email" <(ctl invitations "$ACC")
ctl sweep
is "a sweep without an email still sends nothing" "$(sends)" 0
is "and posts no second note" "$(notes)" 1
sim LEVER POST "/_sim/opportunities/$OPP" '{"emails":["mute@example.com"]}' >/dev/null
ctl sweep
is "after the email is added, sweep sends the test" "$(sends)" 1
is "to the new email" "$(sim CG GET /_sim/sends | jget 'd["sends"][0]["candidate_email"]')" mute@example.com
is "for the rule's campaign" "$(sim CG GET /_sim/sends | jget 'd["sends"][0]["campaign_id"]')" 2
ctl sweep
is "another sweep sends nothing more" "$(sends)" 1
check "the invitation is now sent" grep -q " sent " <(ctl invitations "$ACC")
done_testing
