#!/bin/bash
# Bad input gets a clear 4xx and changes nothing.
. "$(dirname "$0")/lib.sh"
EXTRA_CONF="replay_window_seconds = 3600" setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
URL="http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC"
KEY=$(hook_token)

# payload TOKEN TRIGGERED SIGKEY: a stage-change envelope signed with SIGKEY.
payload() {
	python3 - "$@" "$OPP" <<'PY'
import hmac, hashlib, json, sys
tok, t, key, opp = sys.argv[1:]
sig = hmac.new(key.encode(), f"{tok}{t}".encode(), hashlib.sha256).hexdigest()
print(json.dumps({"event": "candidateStageChange", "triggeredAt": int(t), "token": tok, "signature": sig,
  "data": {"opportunityId": opp, "toStageId": "stage-screen", "fromStageId": "stage-applied"}}))
PY
}
post() { curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }
NOW=$(date +%s%3N)   # ms, as the rule's created_at: a whole second could predate the rule
TOK=tok$(openssl rand -hex 20)

payload "$TOK" "$NOW" wrong-key >"$T/bad-sig.json"
is "bad signature: 401" "$(post --data-binary @"$T/bad-sig.json" "$URL")" 401
is "unknown account: 404" "$(post --data-binary @"$T/bad-sig.json" "${URL%/*}/999")" 404
is "account id not a number: 404" "$(post --data-binary @"$T/bad-sig.json" "${URL%/*}/1x")" 404
is "malformed JSON: 400" "$(post --data-binary '{"token": "abc", ' "$URL")" 400
is "JSON that is not an object: 400" "$(post --data-binary '[1,2]' "$URL")" 400
is "missing fields: 400" "$(post --data-binary '{"event":"candidateStageChange"}' "$URL")" 400
printf '{"token":"a\0b","triggeredAt":1,"signature":"x","event":"e"}' >"$T/nul.json"
is "embedded NUL: 400" "$(post --data-binary @"$T/nul.json" "$URL")" 400
printf '{"token":"a\\u0000b","triggeredAt":1,"signature":"x","event":"e"}' >"$T/unul.json"
is "an escaped NUL (\\u0000): 400" "$(post --data-binary @"$T/unul.json" "$URL")" 400
python3 -c 'print("{\"a\":" * 100 + "1" + "}" * 100)' >"$T/deep.json"
is "JSON nested 100 deep: 400" "$(post --data-binary @"$T/deep.json" "$URL")" 400
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
is "body over the cap: 413" "$(post --data-binary @"$T/big.json" "$URL")" 413
is "GET: 405" "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" 405
is "the /cgi-bin/ URL reaches the same program" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/cgi-bin/webhook.fcgi/lever/$ACC")" 405
is "PUT: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$T/bad-sig.json" "$URL")" 405
payload "$TOK" $((NOW - 30 * 24 * 3600 * 1000)) "$KEY" >"$T/stale.json"
is "a month-old triggeredAt: 401" "$(post --data-binary @"$T/stale.json" "$URL")" 401
payload "$TOK" $((NOW - 2 * 3600 * 1000)) "$KEY" >"$T/old.json"
is "older than replay_window_seconds (1 h here): 401" "$(post --data-binary @"$T/old.json" "$URL")" 401
payload "$TOK" "$NOW" "$KEY" | sed 's/"signature": "\(.\)/"signature": "X/' >"$T/tampered.json"
is "a tampered signature: 401" "$(post --data-binary @"$T/tampered.json" "$URL")" 401
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["triggeredAt"]+=1; print(json.dumps(d))' "$T/bad-sig.json" >/dev/null
payload "$TOK" "$NOW" "$KEY" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["triggeredAt"]+=1; print(json.dumps(d))' >"$T/moved.json"
is "a signature for another triggeredAt: 401" "$(post --data-binary @"$T/moved.json" "$URL")" 401
# raw TOKEN TEXT SIGNED: an envelope whose triggeredAt is the JSON text
# TEXT, signed with the right key over TOKEN SIGNED.
raw() {
	python3 - "$@" "$KEY" "$OPP" <<'PY'
import hmac, hashlib, json, sys
tok, text, signed, key, opp = sys.argv[1:]
sig = hmac.new(key.encode(), f"{tok}{signed}".encode(), hashlib.sha256).hexdigest()
print('{"event":"candidateStageChange","triggeredAt":%s,"token":%s,"signature":"%s",'
      '"data":{"opportunityId":%s,"toStageId":"stage-screen","fromStageId":"stage-applied"}}'
      % (text, json.dumps(tok), sig, json.dumps(opp)))
PY
}
# triggeredAt is signed as its decimal text: only plain digits that fit
# 64 bits are taken (json-c reads 1.0 as 1 and clamps longer numbers).
raw "tok$(openssl rand -hex 20)" "$NOW.0" "$NOW" >"$T/float.json"
is "triggeredAt written $NOW.0: 400" "$(post --data-binary @"$T/float.json" "$URL")" 400
check "the answer names triggeredAt" grep -q triggeredAt "$T/body"
raw "tok$(openssl rand -hex 20)" 99999999999999999999 99999999999999999999 >"$T/huge.json"
is "triggeredAt past 64 bits, signed as sent: 400" "$(post --data-binary @"$T/huge.json" "$URL")" 400
raw "tok$(openssl rand -hex 20)" "-$NOW" "-$NOW" >"$T/neg.json"
is "a negative triggeredAt: 400" "$(post --data-binary @"$T/neg.json" "$URL")" 400
is "an unknown path: 404" "$(post --data-binary x "http://127.0.0.1:$HTTP_PORT/webhook.fcgi/nothing")" 404
check "every error says why" grep -q "Not Found" "$T/body"
LONG=$(head -c 1000 /dev/zero | tr '\0' a)
is "a 1000-byte path: 414" "$(post --data-binary x "$URL/$LONG")" 414
is "a 5000-byte query string: 414" "$(post --data-binary x "$URL?q=$LONG$LONG$LONG$LONG$LONG")" 414

# A flood of forged deliveries: each refused, and the log keeps up: at
# most a line a second per process (the next such line counts the rest).
log=$T/lighttpd.err
[ "$HTTPD" = apache ] && log=$T/httpd.err
# The flood starts once a second has passed since the last refusal logged
# above (each process's limit is on its own monotonic clock; the line's
# timestamp is taken just after it): every process may log again.
refusals_quiet() {
	last=$(grep -a 'refused' "$log" | tail -n 1 | grep -o '[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:.]*Z' | head -n 1)
	[ -z "$last" ] || [ "$(date +%s%3N)" -gt $(( $(date -d "$last" +%s%3N) + 1100 )) ]
}
wait_until 10 refusals_quiet
before=$(grep -c 'refused: bad signature' "$log")
start=$(date +%s)
codes=$(for i in $(seq 50); do post --data-binary @"$T/bad-sig.json" "$URL"; echo; done | sort | uniq -c | awk '{print $2 "x" $1}')
secs=$(( $(date +%s) - start + 1 ))
is "50 forged deliveries: all 401" "$codes" 401x50
n=$(( $(grep -c 'refused: bad signature' "$log") - before ))
check "they left $n lines in the log, at most one a second per process ($secs s)" \
	test "$n" -ge 1 -a "$n" -le $(( secs * 4 ))

# Each refusal was answered after the store's (lack of) commit: nothing to wait for.
is "nothing was queued" "$(ctl jobs | tail -n +2 | wc -l)" 0
wait_runners   # had one been woken, it is done
is "nothing was sent" "$(sends)" 0
is "Lever was not called" "$(sim LEVER GET /_sim/requests | jget 'len([r for r in (d["requests"] if isinstance(d,dict) else d) if not r["path"].startswith("/v1/webhooks")])')" 0
# The refused deliveries did not burn their token: the genuine one with
# the same token is accepted and sends once.
payload "$TOK" "$NOW" "$KEY" >"$T/good.json"
is "the genuine delivery with the same token: 200" "$(post --data-binary @"$T/good.json" "$URL")" 200
check "and its test goes out" wait_until 30 sends_eq 1
# Inside the window: a delivery Lever retried for half an hour is taken
# (and sends nothing: the change predates the rule).
OPP2=$(opportunity '{"name":"Bea","emails":["bea@example.com"],"tags":["java"],"stage":"stage-screen"}')
OPP=$OPP2 payload "tok$(openssl rand -hex 20)" $((NOW - 1800 * 1000)) "$KEY" >"$T/late.json"
is "30 minutes late, inside the window: 200" "$(post --data-binary @"$T/late.json" "$URL")" 200
check "and it is queued" grep -qs "queued: opportunity $OPP2" "$T/lighttpd.err" "$T/httpd.err"
done_testing
