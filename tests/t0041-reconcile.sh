#!/bin/bash
# Reconciliation (issue 16, done-when 1): while webhook.fcgi is unreachable
# 30 tagged candidates enter a rule's stage; once it is back, the sweep
# sends each exactly once, and the late deliveries send nothing more.
# Those who entered the stage before the rule existed, untagged and
# archived ones get nothing. A Lever 429/500 during the pass leaves the
# window to the next sweep, and a second sweep sends nothing more.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
URL="http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC"
# Small pages: the listing is paged.
sim LEVER POST /_sim/config '{"page_size":7}' >/dev/null
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# Tagged and in the stage, entered an hour before the rule was made (the
# listing still finds them: they were updated since).
HOUR_AGO=$(( $(now_ms) - 3600000 ))
for i in 0 1 2; do
	opportunity "{\"name\":\"Old $i\",\"emails\":[\"old$i@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\",\"lastAdvancedAt\":$HOUR_AGO,\"stageChanges\":[{\"toStageId\":\"stage-applied\",\"updatedAt\":$((HOUR_AGO - 1000))},{\"toStageId\":\"stage-screen\",\"updatedAt\":$HOUR_AGO}]}" >/dev/null
done
T0=$(now_ms)
RULE=$(ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1)
T1=$(now_ms)
check "rule add prints an id" test -n "$RULE"

# webhook.fcgi unreachable: the web server stops (its whole tree).
mine=$(tree "$(stamps "$LIGHTTPD_PID")")
kill_alive TERM $mine
wait_until 30 none_alive $mine || { kill_alive KILL $mine; wait_until 10 none_alive $mine; }
check "the web server is down" none_alive $mine

# Stage changes in Lever, each with the delivery Lever makes (and that
# fails): 30 tagged candidates (the first five had been in the stage long
# before the rule, left it, and came back now; their history is listed
# newest first), 3 untagged, 3 tagged and then archived. The deliveries
# are kept in $T/deliveries.json for Lever's retries later.
python3 - "$LEVER_PORT" "$URL" "$HOUR_AGO" >"$T/moves.out" <<'PY'
import json, sys, time, urllib.request
lp, url, hour_ago = sys.argv[1], sys.argv[2], int(sys.argv[3])
def call(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{lp}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=60))
def new(name, email, tags, **extra):
    return call("/_sim/opportunities", {"name": name, "emails": [email], "tags": tags,
                                        "stage": "stage-applied", **extra})["id"]
cands = []
for i in range(30):
    o = new(f"Cand {i}", f"c{i}@example.com", ["java", "senior"])
    if i < 5:
        now = int(time.time() * 1000)
        call(f"/_sim/opportunities/{o}", {"stage": "stage-screen", "lastAdvancedAt": now, "stageChanges": [
            {"toStageId": "stage-screen", "updatedAt": now},
            {"toStageId": "stage-applied", "updatedAt": hour_ago + 1000},
            {"toStageId": "stage-screen", "updatedAt": hour_ago}]})
    else:
        call(f"/_sim/opportunities/{o}", {"stage": "stage-screen"})
    cands.append(o)
others = []
for i in range(3):
    o = new(f"Untagged {i}", f"u{i}@example.com", ["python"])
    call(f"/_sim/opportunities/{o}", {"stage": "stage-screen"})
    others.append(o)
for i in range(3):
    o = new(f"Archived {i}", f"a{i}@example.com", ["java"])
    call(f"/_sim/opportunities/{o}", {"stage": "stage-screen"})
    call(f"/_sim/opportunities/{o}", {"archived": True})
    others.append(o)
deliveries, statuses = [], []
for o in cands + others:
    r = call("/_sim/deliver", {"url": url, "opportunityId": o, "fromStageId": "stage-applied",
                               "toStageId": "stage-screen"})
    statuses.append(r["status"])
    p = r["payload"]
    deliveries.append({"url": url, "opportunityId": o, "fromStageId": "stage-applied",
                       "toStageId": "stage-screen", "token": p["token"], "triggeredAt": p["triggeredAt"]})
print(json.dumps({"statuses": sorted(set(statuses)), "deliveries": deliveries}))
PY
is "no delivery reached the host (no connection)" "$(jget 'd["statuses"]' <"$T/moves.out")" "[0]"
is "36 stage changes made" "$(jget 'len(d["deliveries"])' <"$T/moves.out")" 36
start_lighttpd
is "nothing was sent while the host was down" "$(sends)" 0

# lists: the updated_at_start of each GET /opportunities listing so far.
lists() {
	sim LEVER GET /_sim/requests | jget '[int(dict(x.split("=",1) for x in r["query"].split("&"))["updated_at_start"]) for r in d if r["method"] == "GET" and r["path"] == "/v1/opportunities"]'
}
sweep() { ctl sweep 2>>"$T/sweeps.err"; }

# Lever fails the listing (500, then 429, on every try): nothing is sent,
# nothing queued, and the window is kept for the next sweep.
sim LEVER POST /_sim/faults '{"method":"GET","path":"^/v1/opportunities$","action":"status","status":500,"count":-1}' >/dev/null
sweep
check "Lever 500: the sweep asked Lever for the rule's stage" test "$(lists | jget 'len(d)')" -gt 0
is "Lever 500: nothing sent" "$(sends)" 0
is "Lever 500: nothing queued" "$(pending_jobs)" 0
sim LEVER DELETE /_sim/faults >/dev/null
sim LEVER POST /_sim/faults '{"method":"GET","path":"^/v1/opportunities$","action":"status","status":429,"retry_after":1,"count":-1}' >/dev/null
n_failed=$(lists | jget 'len(d)')
sweep
check "Lever 429: the sweep asked again" test "$(lists | jget 'len(d)')" -gt "$n_failed"
is "Lever 429: nothing sent" "$(sends)" 0
sim LEVER DELETE /_sim/faults >/dev/null
n_failed=$(lists | jget 'len(d)')

# Lever answers: this sweep sends each of the 30 once.
sweep
s=$(sim CG GET /_sim/sends)
is "the sweep sends 30 tests" "$(echo "$s" | jget 'len(d["sends"])')" 30
is "one to each of the 30 candidates, none to anyone else" \
	"$(echo "$s" | jget 'sorted(x["candidate_email"] for x in d["sends"]) == sorted(f"c{i}@example.com" for i in range(30))')" True
is "all for the rule's campaign" "$(echo "$s" | jget 'sorted(set(x["campaign_id"] for x in d["sends"]))')" "[1]"
is "each tagged with its opportunity" "$(echo "$s" | jget "sorted(x['tags'] for x in d['sends']) == \
	$(jget 'sorted(x["opportunityId"] for x in d["deliveries"][:30])' <"$T/moves.out")")" True
is "no job left pending or failed" "$(ctl jobs | awk 'NR > 1' | wc -l)" 0
check "the sweep logs the count" grep -q "account $ACC: reconciliation: 30 candidate(s)" "$T/sweeps.err"

# The window: each failed pass and the first good one listed from the
# rule's creation less the 10 minutes' overlap (a failure did not move
# it); the good pass paged through Lever's list.
w=$(lists)
first=$(echo "$w" | jget 'd[0]')
check "the first pass lists from the rule's creation less 10 minutes" \
	test "$first" -ge $((T0 - 600000)) -a "$first" -le $((T1 - 600000))
is "failed passes left the window where it was" "$(echo "$w" | jget "len(set(d[:$n_failed + 1]))")" 1
check "the good pass read several pages" test "$(echo "$w" | jget 'len(d)')" -ge $((n_failed + 5))

# Lever's late deliveries (its retries: same token and time) of all 36
# changes: accepted, and nothing more is sent or noted.
python3 - "$LEVER_PORT" "$T/moves.out" >"$T/late.out" <<'PY'
import json, sys, urllib.request
def call(body):
    req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/_sim/deliver", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=60))["status"]
print(" ".join(sorted(set(str(call(x)) for x in json.load(open(sys.argv[2]))["deliveries"]))))
PY
is "the late deliveries are answered 200" "$(cat "$T/late.out")" 200
settle
is "each late delivery was taken as new and queued" "$(grep -c "delivery for account $ACC queued" "$T/lighttpd.err")" 36
is "the late deliveries send nothing more" "$(sends)" 30
is "one 'test sent' note per candidate, none more" "$(sim LEVER GET /_sim/notes | jget 'len(d["notes"])')" 30

# A second sweep sends nothing more, and lists from the first good pass on.
sweep
is "a second sweep sends nothing more" "$(sends)" 30
w=$(lists)
check "the second sweep lists from a later point (the good pass moved the window)" \
	test "$(echo "$w" | jget 'd[-1]')" -gt "$first"
is "no job left pending or failed" "$(ctl jobs | awk 'NR > 1' | wc -l)" 0
check "the sweeps' logs name no candidate" test "$(grep -c -E 'example\.com|Cand |Untagged |Archived |Old ' "$T/sweeps.err")" -eq 0
done_testing
