#!/bin/bash
# Results on the Lever timeline: the "test sent" note, the result note
# (once, whatever the callbacks and polls), pass/fail tags and the move on
# pass; aborted tests; callbacks with a wrong secret or a foreign test.
. "$(dirname "$0")/lib.sh"
LEASE=2 setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 --pass 70 --fail 40 \
	--on-pass-stage stage-onsite >/dev/null
check "callback on registers the account's callback in CodinGame" ctl callback "$ACC" on
CBURL=$(curl -s -H "API-Key: $CG_KEY" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/webhook" | jget 'd["url"]')
check "the callback URL is this account's, with a secret" grep -qE "^http://127.0.0.1:$HTTP_PORT/webhook.fcgi/codingame/$ACC/[0-9a-f]{32,}$" <<<"$CBURL"

notes_of() { sim LEVER GET "/_sim/notes?opportunity=$1"; }
count_notes() { notes_of "$1" | jget "len([n for n in d['notes'] if '$2' in n['value']])"; }
has_notes() { [ "$(count_notes "$1" "$2")" -ge "${3:-1}" ]; }
test_of() { sim CG GET /_sim/sends | jget "[s['test_id'] for s in d['sends'] if s['candidate_email']=='$1@example.com'][0]"; }
candidate() {  # candidate NAME: a tagged candidate moved to the stage; prints the opportunity id
	o=$(opportunity "{\"name\":\"$1\",\"emails\":[\"$1@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$o" stage-screen >/dev/null
	wait_until 60 has_notes "$o" "CodinGame test sent" || true
	echo "$o"
}
lever_calls() { sim LEVER GET /_sim/requests | jget 'len([r for r in d if r["path"].startswith("/v1/")])'; }

O1=$(candidate ada)
check "a 'test sent' note appears on the timeline" has_notes "$O1" "CodinGame test sent"
CNAME=$(curl -s -H "API-Key: $CG_KEY" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/campaigns" | jget '[c["name"] for c in d if c["id"]==1][0]')
check "it names the campaign ($CNAME)" has_notes "$O1" "CodinGame test sent: $CNAME"
T1=$(test_of ada)
TURL=$(sim CG GET "/_sim/tests/$T1" | jget 'd["test_url"]')
is "it never carries the candidate's private test link" "$(count_notes "$O1" "$TURL")" 0
wait_runners

# Completed, reported by callback.
sim CG POST "/_sim/tests/$T1" '{"status":"completed","score":85,"points":170,"total_points":200,"duration":1500000,"total_duration":3600000,"technologies":{"Java":{"score":80,"points":80,"total_points":100,"skills":{"Algorithms":{"score":75},"Language knowledge":{"score":90}}},"SQL":{"score":95,"skills":{}}},"callback":true}' >"$T/cb.json"
is "CodinGame's callback is answered 200" "$(jget 'd["callback"]["status"]' <"$T/cb.json")" 200
check "the result note appears" wait_until 60 has_notes "$O1" "CodinGame result"
REPORT=$(sim CG GET "/_sim/tests/$T1" | jget 'd["url"]')
for want in "Score: 85% (170 of 200 points)" "Time used: 25 min of 60 min" "Java: 80%" "  - Algorithms: 75%" \
	"  - Language knowledge: 90%" "SQL: 95%" "Detailed report: $REPORT"; do
	check "the result note says '$want'" has_notes "$O1" "$want"
done
for i in $(seq 10); do curl -s -o /dev/null -H 'Content-Type: application/json' -d "{\"test_id\":$T1,\"status\":\"completed\"}" "$CBURL"; done
settle; ctl sweep; wait_runners
is "10 more callbacks and a sweep: still one result note" "$(count_notes "$O1" "CodinGame result")" 1
is "and one 'test sent' note" "$(count_notes "$O1" "CodinGame test sent")" 1
tags() { sim LEVER GET "/_sim/opportunities/$1" | jget "sorted(t for t in (d.get('tags') or d['data']['tags']) if t.startswith('codingame-'))"; }
stage() { sim LEVER GET "/_sim/opportunities/$1" | jget "(d.get('stage') if 'stage' in d else d['data']['stage'])"; }
is "85 >= pass 70: tagged codingame-pass" "$(tags "$O1")" '["codingame-pass"]'
is "and moved to the stage chosen for a pass" "$(stage "$O1")" stage-onsite
is "the stage change was requested once" "$(sim LEVER GET /_sim/requests | jget "len([r for r in d if r['method']=='PUT' and r['path'].endswith('/stage')])")" 1

# No callback: sweep polls. Scores between and below the thresholds.
ctl callback "$ACC" off
O2=$(candidate bob); O3=$(candidate cy); O4=$(candidate dee)
wait_runners
sim CG POST "/_sim/tests/$(test_of bob)" '{"status":"completed","score":55}' >/dev/null
sim CG POST "/_sim/tests/$(test_of cy)" '{"status":"completed","score":20}' >/dev/null
sim CG POST "/_sim/tests/$(test_of dee)" '{"status":"aborted"}' >/dev/null
ctl sweep
check "without a callback, sweep finds the completed test" has_notes "$O2" "Score: 55%"
is "55, between fail 40 and pass 70: codingame-review" "$(tags "$O2")" '["codingame-review"]'
is "and not moved" "$(stage "$O2")" stage-screen
is "20 < fail 40: codingame-fail" "$(tags "$O3")" '["codingame-fail"]'
check "an aborted test gets a short note" has_notes "$O4" "CodinGame test aborted"
is "and no tag" "$(tags "$O4")" "[]"
ctl sweep
is "another sweep posts nothing more" "$(( $(count_notes "$O2" "CodinGame result") + $(count_notes "$O4" "CodinGame test aborted") ))" 2

# Callbacks: a wrong secret, a test this account never sent.
is "a callback with a wrong secret: 404" "$(curl -s -o /dev/null -w '%{http_code}' -d "{\"test_id\":$T1}" "${CBURL%/*}/$(openssl rand -hex 24)")" 404
is "a callback for another account's path: 404" "$(curl -s -o /dev/null -w '%{http_code}' -d "{\"test_id\":$T1}" "http://127.0.0.1:$HTTP_PORT/webhook.fcgi/codingame/99/${CBURL##*/}")" 404
before=$(lever_calls)
FOREIGN=$(curl -s -X POST -H "API-Key: $CG_KEY" -H 'Content-Type: application/json' -d '{"candidate_email":"x@example.com"}' \
	"http://127.0.0.1:$CG_PORT/assessment/api/v1.1/campaigns/1/actions/send" | jget 'd["id"]')
sim CG POST "/_sim/tests/$FOREIGN" '{"status":"completed","score":99}' >/dev/null
is "a callback for a test cglever never sent: 200" "$(curl -s -o /dev/null -w '%{http_code}' -d "{\"test_id\":$FOREIGN}" "$CBURL")" 200
settle
is "and it costs no Lever call" "$(lever_calls)" "$before"
is "no job is left by the callbacks" "$(ctl jobs "$ACC" | tail -n +2 | wc -l)" 0

# Lever failing while the note is posted: 500 twice, then 429 with Retry-After.
O5=$(candidate eve)
wait_runners
sim LEVER POST /_sim/faults '{"method":"POST","path":"/notes$","action":"status","status":500,"count":2}' >/dev/null
sim LEVER POST /_sim/faults '{"method":"POST","path":"/notes$","action":"status","status":429,"retry_after":1,"count":1}' >/dev/null
sim CG POST "/_sim/tests/$(test_of eve)" '{"status":"completed","score":75}' >/dev/null
ctl sweep
check "500, 500, 429: the result note is posted" wait_until 60 has_notes "$O5" "Score: 75%"
ctl sweep; wait_runners
is "exactly once" "$(count_notes "$O5" "CodinGame result")" 1

# The runner dies after the note request left (Lever acts after 3 s).
O6=$(candidate fay)
wait_runners
sim CG POST "/_sim/tests/$(test_of fay)" '{"status":"completed","score":90}' >/dev/null
sim LEVER POST /_sim/faults '{"method":"POST","path":"/notes$","action":"delay","delay_ms":3000,"count":1}' >/dev/null
ctl sweep & SW=$!
wait_until 120 sim_holding LEVER || nok "Lever holds the sweep's note request"
KILLED=$(stamps $(runners))   # the sweep itself (under Apache, $SW is the shell that runs it as www-data)
kill_alive KILL $KILLED
kill -9 $SW 2>/dev/null
wait $SW 2>/dev/null
wait_until 30 none_alive $KILLED
# Lever posts the note once its hold is over (and fails to answer the dead sweep).
wait_until 30 has_notes "$O6" "CodinGame result"
is "killed mid-request: Lever posted the note" "$(count_notes "$O6" "CodinGame result")" 1
ctl sweep
is "killed mid-request: the next sweep does not post it again" "$(count_notes "$O6" "CodinGame result")" 1
is "and finishes the job: tagged" "$(tags "$O6")" '["codingame-pass"]'
done_testing
