#!/bin/bash
# Repeats, concurrent copies and retries never send twice; two rules for
# one stage send two campaigns.
. "$(dirname "$0")/lib.sh"
FCGI_PROCS=4 setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
URL="http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC"

# One signed payload, delivered 50 times in a row.
rep=$(deliver "$ACC" "$OPP" stage-screen)
echo "$rep" | jget 'd["payload"]' >"$T/payload.json"
codes=$(echo "$rep" | jget 'd["status"]')
for i in $(seq 2 50); do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$T/payload.json" "$URL")"
done
is "50 identical deliveries are all answered 200" "$(echo $codes | tr ' ' '\n' | sort -u)" 200
settle
is "50 identical deliveries make one send" "$(sends)" 1

# 20 copies of a new delivery at once (another candidate).
OPP2=$(opportunity '{"name":"Bob","emails":["bob@example.com"],"tags":["java"],"stage":"stage-screen"}')
python3 - "$LEVER_PORT" "$URL" "$OPP2" >"$T/concurrent.txt" <<'PY'
import json, sys, threading, urllib.request
port, url, opp = sys.argv[1:]
hooks = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/_sim/webhooks"))
hooks = hooks["webhooks"] if isinstance(hooks, dict) else hooks
import hmac, hashlib, time, secrets
tok = secrets.token_hex(24); t = int(time.time() * 1000)
sig = hmac.new([w for w in hooks if w["event"] == "candidateStageChange"][0]["configuration"]["signatureToken"].encode(), f"{tok}{t}".encode(), hashlib.sha256).hexdigest()
body = json.dumps({"id": "x", "event": "candidateStageChange", "triggeredAt": t, "token": tok,
    "signature": sig, "data": {"opportunityId": opp, "toStageId": "stage-screen", "fromStageId": "stage-applied"}}).encode()
barrier = threading.Barrier(20); out = []
def go():
    barrier.wait()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try: out.append(urllib.request.urlopen(req, timeout=30).status)
    except urllib.error.HTTPError as e: out.append(e.code)
ts = [threading.Thread(target=go) for _ in range(20)]
[x.start() for x in ts]; [x.join() for x in ts]
print(" ".join(map(str, sorted(set(out)))), len(out))
PY
is "20 concurrent copies are all answered 200" "$(cat "$T/concurrent.txt")" "200 20"
settle
is "20 concurrent copies make one send" "$(sends)" 2
is "the second send went to Bob" "$(sim CG GET /_sim/sends | jget 'd["sends"][1]["candidate_email"]')" bob@example.com

# The same stage change delivered again with a NEW token (a second event
# for the same move) still sends nothing more.
deliver "$ACC" "$OPP" stage-screen >/dev/null
settle
is "a new delivery for an invited candidate sends nothing" "$(sends)" 2

# Two rules for the same stage, two campaigns: two sends.
ctl rule add "$ACC" --tag python --stage stage-onsite --campaign 1 >/dev/null
ctl rule add "$ACC" --tag python --stage stage-onsite --campaign 2 >/dev/null
OPP3=$(opportunity '{"name":"Cy","emails":["cy@example.com"],"tags":["python"],"stage":"stage-onsite"}')
deliver "$ACC" "$OPP3" stage-onsite >/dev/null
settle
s=$(sim CG GET /_sim/sends)
is "two rules make two sends" "$(echo "$s" | jget 'len([x for x in d["sends"] if x["candidate_email"]=="cy@example.com"])')" 2
is "one per campaign" "$(echo "$s" | jget 'sorted(x["campaign_id"] for x in d["sends"] if x["candidate_email"]=="cy@example.com")')" "[1, 2]"
done_testing
