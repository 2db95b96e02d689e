#!/bin/bash
# A runner works each job with the account as stored when the job starts,
# not as it was when the runner started: while one runner is busy (its
# CodinGame call held at the simulator), the admin rotates the CodinGame
# key (saves the new one; CodinGame revokes the old) and a second
# candidate arrives; the runner, still the same process,
# sends the second test with the new key. Before, it kept the copy it
# loaded at its start and got 401 from CodinGame for every later job
# (seen with runner_linger_ms = 10000 in the admin browser test).
. "$(dirname "$0")/lib.sh"
setup
printf 'cg-key-old-%s\n' "$(openssl rand -hex 6)" >"$T/keys/cg-old"
sim CG POST /_sim/keys "{\"key\":\"$(cat "$T/keys/cg-old")\"}" >/dev/null
ACC=$(ctl account add acme --lever-api-key-file "$T/keys/lever" --codingame-api-key-file "$T/keys/cg-old")
. "$(dirname "$0")/oauth.sh"
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
held_at() { [ "$(sim "$1" GET /_sim/held | jget 'd["held"]')" -ge 1 ]; }
sent_to() { sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['candidate_email'] == '$1'])"; }
sent_to_is_1() { [ "$(sent_to "$1")" = 1 ]; }

# The first candidate's runner is held at its first CodinGame call.
sim CG POST /_sim/faults '{"method":"GET","path":"/tests$","action":"hold","count":1}' >/dev/null
o1=$(opportunity '{"name":"One","emails":["one@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$o1" stage-screen >/dev/null
check "the runner is held at CodinGame" wait_until 30 held_at CG
runner=$(runners | head -1)
check "one runner is at work (pid $runner)" test -n "$runner"

# Meanwhile the admin saves a new key, CodinGame revokes the old one,
# and a second candidate comes.
web -o "$T/acct.html" "$BASE/admin.fcgi/account/$ACC"
code=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf_from "$T/acct.html")" \
	--data-urlencode "codingame_key=$(cat "$T/keys/cg")" "$BASE/admin.fcgi/account/$ACC/codingame")
is "the admin saves the new CodinGame key (303)" "$code" 303
sim CG POST /_sim/keys "{\"key\":\"$(cat "$T/keys/cg-old")\",\"revoke\":true}" >/dev/null
o2=$(opportunity '{"name":"Two","emails":["two@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$o2" stage-screen >/dev/null
is "the webhook started no second runner (the first holds the lock)" "$(runners | tr '\n' ' ')" "$runner "
sim CG POST /_sim/release '{}' >/dev/null

check "the second candidate gets the test, from the same runner" wait_until 60 sent_to_is_1 two@example.com
check "(the runner that sent it is the one started before the key was saved)" \
	grep -q "cglever-ctl\[$runner\].*$o2" <(cat "$T"/*.err 2>/dev/null)
wait_runners

# An account with a hand-made webhook and no Lever credentials: its
# delivery is kept, and its runner stops at once with the job waiting for
# a connection, instead of taking the job it just put back again and again
# (it used to, until runner_max_seconds).
printf 'hand-token-%s\n' "$$" >"$T/keys/hand"
ACC3=$(ctl account add nolever --webhook-token-file "$T/keys/hand")
ctl rule add "$ACC3" --tag java --stage stage-screen --campaign 1 >/dev/null
o3=$(opportunity '{"name":"Three","emails":["three@example.com"],"tags":["java"],"stage":"stage-screen"}')
is "a delivery to it is accepted" "$(sim LEVER POST /_sim/deliver "{\"url\":\"http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC3\",\"opportunityId\":\"$o3\",\"toStageId\":\"stage-screen\",\"signatureToken\":\"hand-token-$$\"}" | jget 'd["status"]')" 200
check "the runner the delivery woke stops by itself" wait_runners
timeout 120 "$PROG/bin/cglever-ctl" sweep --account "$ACC3" 2>"$T/nolever.err"
is "its runner returns (exit 0, not killed by the 120 s limit)" "$?" 0
is "having said once that the job waits" "$(grep -c "waits: account $ACC3 is not connected to Lever" "$T/nolever.err")" 1
check "and the job is kept, pending" grep -q "pending" <(ctl jobs "$ACC3")
done_testing
