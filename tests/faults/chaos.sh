#!/bin/bash
# `make chaos` (not yet in `make check`: it still finds a duplicate or a
# loss in some runs; see issue #7). Chaos: 500 candidates, every delivery made 3 times in random order, some
# concurrently, while FastCGI processes and queue runners are SIGKILLed
# every few hundred milliseconds and CodinGame drops some sends. Lever
# (played by the driver) retries until it gets a 2xx. At the end: exactly
# 500 sends, no duplicate, nothing lost.
. "$(dirname "$0")/../lib.sh"
N=${CHAOS_N:-500}
LEASE=2 FCGI_PROCS=4 setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
KEY=$(hook_token)
# CodinGame: a burst of lost replies (acted on, then 502) and refusals.
sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send","action":"status_after","status":502,"count":15}' >/dev/null
sim CG POST /_sim/faults '{"method":"POST","path":"/actions/send","action":"status","status":500,"count":15}' >/dev/null
chaos() {  # kills a random webhook.fcgi or runner every 200-500 ms
	kills=0
	while [ ! -f "$T/driver.done" ]; do
		sleep "0.$(( (RANDOM % 4) + 2 ))"
		victim=$(pgrep -f "$( [ $((RANDOM % 3)) = 0 ] && echo 'cglever-ctl sweep' || echo 'webhook.fcgi')" | shuf -n 1)
		[ -n "$victim" ] && kill -9 "$victim" 2>/dev/null && kills=$((kills + 1))
	done
	echo "$kills" >"$T/kills"
}
chaos &
CHAOS=$!
python3 - "$LEVER_PORT" "$HTTP_PORT" "$ACC" "$KEY" "$N" >"$T/driver.txt" 2>"$T/driver.err" <<'PY'
import json, random, secrets, sys, time, urllib.request, concurrent.futures
lp, hp, acc, key, n = sys.argv[1:]
def call(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{lp}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=60))
opps = [call("/_sim/opportunities", {"name": f"Chaos {i}", "emails": [f"x{i}@example.com"],
        "tags": ["java"], "stage": "stage-screen"})["id"] for i in range(int(n))]
url = f"http://127.0.0.1:{hp}/webhook.fcgi/lever/{acc}"
now = int(time.time() * 1000)
work = [(o, secrets.token_hex(24)) for o in opps] * 3      # every delivery 3 times
random.shuffle(work)
tries = 0
def deliver(item):
    global tries
    o, tok = item
    for _ in range(50):                  # Lever retries until a 2xx
        tries += 1
        r = call("/_sim/deliver", {"url": url, "opportunityId": o, "toStageId": "stage-screen",
                                   "token": tok, "triggeredAt": now, "signatureToken": key})
        if 200 <= r["status"] < 300:
            return 1
        time.sleep(0.05)
    return 0
with concurrent.futures.ThreadPoolExecutor(16) as ex:
    ok = sum(ex.map(deliver, work))
print(len(work), ok, tries)
PY
touch "$T/driver.done"
wait $CHAOS
read -r deliveries accepted attempts <"$T/driver.txt"
is "every delivery was accepted in the end (Lever's retries)" "$accepted" "$deliveries"
# Let the queue drain: sweeps (as cron would) until no job is left.
pending() { [ "$(ctl jobs "$ACC" | tail -n +2 | grep -vc failed)" -eq 0 ]; }
end=$(( $(date +%s) + 240 ))
while ! pending && [ "$(date +%s)" -lt $end ]; do ctl sweep; sleep 1; done
wait_runners; ctl sweep
s=$(sim CG GET /_sim/sends)
sends=$(echo "$s" | jget 'len(d["sends"])')
distinct=$(echo "$s" | jget 'len(set(x["candidate_email"] for x in d["sends"]))')
echo "# faults: deliveries=$deliveries (HTTP attempts $attempts) kills=$(cat "$T/kills") injected CodinGame failures=30 sends=$sends duplicates=$((sends - distinct)) lost=$((N - distinct))"
is "no job left" "$(ctl jobs "$ACC" | tail -n +2 | wc -l)" 0
is "no duplicate send" "$((sends - distinct))" 0
is "no candidate lost" "$((N - distinct))" 0
is "every invitation recorded as sent" "$(ctl invitations "$ACC" | grep -c ' sent ')" "$N"
is "Lever never answered 429" "$(sim LEVER GET /_sim/stats | jget 'd["rate_limited"]')" 0
done_testing
