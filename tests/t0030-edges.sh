#!/bin/bash
# The edges of a delivery (issue 14): invalid UTF-8 anywhere in a body is
# refused and records nothing; a verified token is used up whatever the
# delivery says, so a genuine envelope cannot come back re-aimed; and the
# unsigned data is checked against Lever's own record before a send.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
check "callback on" ctl callback "$ACC" on
CBURL=$(curl -s -H "API-Key: $CG_KEY" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/webhook" | jget 'd["url"]')
URL="http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC"
KEY=$(hook_token)
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
NOW=$(date +%s%3N)   # after the rule and the opportunity: a change after both

# envelope FILE TOKEN EVENT DATA [ID]: a delivery signed with the webhook's
# key, written as raw bytes. TOKEN, EVENT and ID are Python bytes literals
# (b'...'), so any byte can go in; DATA is JSON text.
envelope() {
	python3 - "$KEY" "$NOW" "$@" <<'PY'
import ast, hmac, hashlib, sys
key, t, out, tok, ev, data = sys.argv[1:7]
tok, ev = ast.literal_eval(tok), ast.literal_eval(ev)
ident = ast.literal_eval(sys.argv[7]) if len(sys.argv) > 7 else b"x"
sig = hmac.new(key.encode(), tok + t.encode(), hashlib.sha256).hexdigest().encode()
open(out, "wb").write(b'{"id":"' + ident + b'","event":"' + ev + b'","triggeredAt":' + t.encode() +
    b',"token":"' + tok + b'","signature":"' + sig + b'","data":' + data.encode() + b'}')
PY
}
post() { curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$1" "$2"; }
DATA="{\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\",\"fromStageId\":\"stage-applied\"}"
jobs_of() { ctl jobs "$ACC" | tail -n +2 | wc -l; }
no_jobs() { [ "$(jobs_of)" -eq 0 ]; }
# settled: every queued job worked and every runner gone.
settled() { wait_until 30 no_jobs; wait_runners; }

# 1. Invalid UTF-8: 400, nothing recorded, nothing sent.
envelope "$T/ff.json" "b'tok-\\xff\\xfe-$NOW'" "b'candidateStageChange'" "$DATA"
is "a signed delivery whose token holds ff fe: 400" "$(post "$T/ff.json" "$URL")" 400
check "and the answer says why" grep -q "UTF-8" "$T/body"
envelope "$T/cut.json" "b'tok-cut-$NOW\\xe2\\x82'" "b'candidateStageChange'" "$DATA"
is "a token ending in a cut sequence (e2 82): 400" "$(post "$T/cut.json" "$URL")" 400
envelope "$T/overlong.json" "b'tok-overlong-$NOW'" "b'candidate\\xc0\\xafHired'" '{}'
is "an event name with an overlong sequence (c0 af): 400" "$(post "$T/overlong.json" "$URL")" 400
envelope "$T/surrogate.json" "b'tok-id-$NOW'" "b'candidateStageChange'" "$DATA" "b'\\xed\\xa0\\x80'"
is "a surrogate (ed a0 80) in a field cglever does not read: 400" "$(post "$T/surrogate.json" "$URL")" 400
envelope "$T/big.json" "b'tok-id-$NOW'" "b'candidateStageChange'" "$DATA" "b'\\xf4\\x90\\x80\\x80'"
is "a code point past U+10FFFF: 400" "$(post "$T/big.json" "$URL")" 400
printf '{"test_id":"\xff"}' >"$T/cb-bad.json"
is "a CodinGame callback with invalid UTF-8: 400" "$(post "$T/cb-bad.json" "$CBURL")" 400
settled
is "nothing was queued" "$(jobs_of)" 0
is "nothing was sent" "$(sends)" 0
# The refused one did not use up its token: the same token, valid UTF-8
# (non-ASCII too), is the delivery that acts.
envelope "$T/good.json" "b'tok-id-$NOW'" "b'candidateStageChange'" "$DATA" "b'ok \\xc3\\xa9 \\xe2\\x82\\xac \\xf0\\x9f\\x98\\x80'"
is "the same token with valid UTF-8 (é € 😀): 200" "$(post "$T/good.json" "$URL")" 200
check "and the test goes out, once" wait_until 30 sends_eq 1
settled

# 2. A genuine envelope re-aimed: its token is used up by the first use.
OPP2=$(opportunity '{"name":"Bob","emails":["bob@example.com"],"tags":["java"],"stage":"stage-screen"}')
NOW=$(date +%s%3N)
DATA2="{\"opportunityId\":\"$OPP2\",\"toStageId\":\"stage-screen\",\"fromStageId\":\"stage-applied\"}"
envelope "$T/hired.json" "b'tok-test-$NOW'" "b'candidateHired'" '{}'
is "Lever's \"send test\" delivery (candidateHired, data {}): 200" "$(post "$T/hired.json" "$URL")" 200
envelope "$T/reaimed.json" "b'tok-test-$NOW'" "b'candidateStageChange'" "$DATA2"
is "the same token, triggeredAt and signature re-aimed at a stage change: 200" "$(post "$T/reaimed.json" "$URL")" 200
check "answered as a duplicate" grep -q "duplicate" "$T/body"
envelope "$T/nodata.json" "b'tok-nodata-$NOW'" "b'candidateStageChange'" '{}'
is "a stage change without usable data: 400" "$(post "$T/nodata.json" "$URL")" 400
envelope "$T/fixed.json" "b'tok-nodata-$NOW'" "b'candidateStageChange'" "$DATA2"
is "the same envelope with the data filled in: 200" "$(post "$T/fixed.json" "$URL")" 200
check "answered as a duplicate" grep -q "duplicate" "$T/body"
settled
is "re-aimed envelopes queue nothing" "$(jobs_of)" 0
is "and send nothing" "$(sends)" 1

# 3. The unsigned data against Lever's record.
OPP3=$(opportunity '{"name":"Cy","emails":["cy@example.com"],"tags":["java"],"stage":"stage-applied"}')
NOW=$(date +%s%3N)
envelope "$T/lie.json" "b'tok-lie-$NOW'" "b'candidateStageChange'" \
	"{\"opportunityId\":\"$OPP3\",\"toStageId\":\"stage-screen\",\"fromStageId\":\"stage-applied\"}"
is "a delivery for a stage the candidate is not in (nor moved since): 200" "$(post "$T/lie.json" "$URL")" 200
settled
is "sends nothing" "$(sends)" 1
check "and says why in the log" grep -q "opportunity $OPP3: the delivery says stage stage-screen, Lever says stage-applied" "$T/lighttpd.err"
# Moved on since the delivery (lastAdvancedAt after triggeredAt): the
# stage left is not told, the delivery is taken at its word.
OPP4=$(opportunity '{"name":"Dee","emails":["dee@example.com"],"tags":["java"],"stage":"stage-applied"}')
NOW=$(date +%s%3N)
sim LEVER POST "/_sim/opportunities/$OPP4" "{\"stage\":\"stage-onsite\",\"lastAdvancedAt\":$((NOW + 1000))}" >/dev/null
envelope "$T/moved.json" "b'tok-moved-$NOW'" "b'candidateStageChange'" \
	"{\"opportunityId\":\"$OPP4\",\"toStageId\":\"stage-screen\",\"fromStageId\":\"stage-applied\"}"
is "a candidate moved on since the delivery: 200" "$(post "$T/moved.json" "$URL")" 200
check "still gets the test" wait_until 30 sends_eq 2
# The control: Bob, whose re-aimed envelopes sent nothing, in the stage.
deliver "$ACC" "$OPP2" stage-screen >/dev/null
check "a genuine delivery for the candidate in the stage sends" wait_until 30 sends_eq 3
settled
is "to the right candidates" "$(sim CG GET /_sim/sends | jget 'sorted(s["candidate_email"] for s in d["sends"])')" \
	'["ada@example.com", "bob@example.com", "dee@example.com"]'
done_testing
