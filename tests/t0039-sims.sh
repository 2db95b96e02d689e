#!/bin/bash
# The simulators' endpoints for issue 16, checked against API-NOTES.md
# without any cglever program: Lever's opportunity list (filters, paging),
# stageChanges, webhook listing and deletion, file uploads (scope,
# multipart), candidateDeleted deliveries; CodinGame's expiry, resend,
# PDF report and deletion; faults and the request log on the new paths.
# A lenient simulator would let cglever pass tests that Lever or CodinGame
# would fail, so each refusal is asserted as well as each success.
. "$(dirname "$0")/lib.sh"
CGLEVER_CONFIG=$T/none.conf # read by lib.sh's cleanup; no config here
need python3 curl
start_sim LEVER lever_sim.py
start_sim CG codingame_sim.py
LV="http://127.0.0.1:$LEVER_PORT"
CGA="http://127.0.0.1:$CG_PORT/assessment/api/v1.1"
sim LEVER POST /_sim/keys '{"key":"lk"}' >/dev/null
sim CG POST /_sim/keys '{"key":"ck"}' >/dev/null
KEY="Authorization: Basic $(printf 'lk:' | base64)"

# call HEADER URL METHOD [curl args]: the body goes to $T/b; prints the
# status. Lever answers 429 past 10 requests/s: wait for its bucket, retry.
call() {
	local h=$1 url=$2 m=$3 st i
	shift 3
	for i in $(seq 100); do
		st=$(curl -sS -o "$T/b" -w '%{http_code}' -X "$m" -H "$h" "$@" "$url")
		[ "$st" = 429 ] || break
		sleep 0.2
	done
	echo "$st"
}
lv() { call "$KEY" "$LV/v1$2" "$1" "${@:3}"; }
cg() { call "API-Key: ck" "$CGA$2" "$1" "${@:3}"; }
body() { jget "$1" <"$T/b"; }
code() { body 'd["code"]'; }

cat >"$T/walk.py" <<'PY'
# walk.py PORT AUTH PATH: follows a Lever list through every page (429:
# waits for the bucket); prints {"ids","pages","next_on_last"} or {"error"}.
import json, sys, time, urllib.error, urllib.parse, urllib.request
port, auth, path = sys.argv[1:4]
ids, pages, off = [], 0, None
while True:
    url = f"http://127.0.0.1:{port}/v1{path}"
    if off is not None:
        url += ("&" if "?" in path else "?") + "offset=" + urllib.parse.quote(off)
    for _ in range(100):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth})) as r:
                d = json.load(r)
            break
        except urllib.error.HTTPError as e:
            if e.code != 429:
                sys.exit(print(json.dumps({"error": e.code, "body": e.read().decode()})))
            time.sleep(0.2)
    pages += 1
    ids += [x["id"] for x in d["data"]]
    if not d["hasNext"]:
        sys.exit(print(json.dumps({"ids": ids, "pages": pages, "next_on_last": "next" in d})))
    off = d["next"]
PY
walk() { python3 "$T/walk.py" "$LEVER_PORT" "${KEY#Authorization: }" "$1"; }

# --- Lever: GET /opportunities, its filters and paging ---
# 24 candidates: tags cycle java / python / both / none, every third in
# stage-screen, 5 and 10 archived, 7 confidential, updatedAt 1000 * (i + 1).
python3 - "$LEVER_PORT" >"$T/opps.json" <<'PY'
import json, sys, urllib.request
out = []
for i in range(24):
    o = {"name": f"cand{i}", "emails": [f"Cand{i}@Example.com"], "tags": [["java"], ["python"], ["java", "python"], []][i % 4],
         "stage": "stage-screen" if i % 3 == 0 else "stage-applied", "archived": i in (5, 10),
         "confidentiality": "confidential" if i == 7 else "non-confidential", "updatedAt": 1000 * (i + 1)}
    r = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/_sim/opportunities", json.dumps(o).encode())
    o["id"] = json.load(urllib.request.urlopen(r))["id"]
    out.append(o)
print(json.dumps(out))
PY
# expect PYEXPR: the ids of the candidates o (with i) for which it holds.
expect() { python3 -c 'import json,sys; print(json.dumps(sorted(o["id"] for i, o in enumerate(json.load(open(sys.argv[2]))) if eval(sys.argv[1]))))' "$1" "$T/opps.json"; }
visible='o["confidentiality"] != "confidential"'
# each DESC QUERY PYEXPR [PAGES]: the walk finds each expected candidate once.
each() {
	walk "$2" >"$T/walk.out"
	is "$1: every match, once" "$(jget 'sorted(d["ids"])' <"$T/walk.out")" "$(expect "$3")"
	is "$1: no candidate twice" "$(jget 'len(d["ids"]) - len(set(d["ids"]))' <"$T/walk.out")" 0
	[ -n "${4:-}" ] && is "$1: in $4 pages" "$(jget 'd["pages"]' <"$T/walk.out")" "$4"
	is "$1: no next on the last page" "$(jget 'd["next_on_last"]' <"$T/walk.out")" False
}
each "tag=java&tag=python (the union), 3 a page" "/opportunities?tag=java&tag=python&limit=3" \
	"$visible and set(o['tags']) & {'java', 'python'}" 6
each "tag and stage_id together (both hold)" "/opportunities?tag=java&stage_id=stage-screen&limit=2" \
	"$visible and 'java' in o['tags'] and o['stage'] == 'stage-screen'"
each "updated_at_start=5000&updated_at_end=9000 (inclusive)" \
	"/opportunities?updated_at_start=5000&updated_at_end=9000&limit=2" "$visible and 5000 <= o['updatedAt'] <= 9000" 2
each "archived=true" "/opportunities?archived=true" "$visible and o['archived']"
each "archived=false" "/opportunities?archived=false&limit=7" "$visible and not o['archived']"
each "no archived (both), the default page size" "/opportunities" "$visible" 1
each "confidentiality=all" "/opportunities?confidentiality=all&limit=5" "True" 5
each "email, repeated (any of them, any case)" "/opportunities?email=cand3@example.com&email=CAND4@example.com" "i in (3, 4)"
each "tag is case sensitive" "/opportunities?tag=Java" "False"
sim LEVER POST /_sim/config '{"page_size":4}' >/dev/null
each "the simulator's page size caps limit" "/opportunities?tag=java&limit=100" "$visible and 'java' in o['tags']" 3
sim LEVER POST /_sim/config '{"page_size":100}' >/dev/null
is "expand=stage: 200" "$(lv GET '/opportunities?stage_id=stage-screen&expand=stage&limit=1')" 200
is "and the stage comes as {id, text}" "$(body 'd["data"][0]["stage"]')" '{"id": "stage-screen", "text": "Phone screen"}'
NEXT=$(lv GET '/opportunities?tag=java&limit=1' >/dev/null; body 'd["next"]')
for q in "archived=yes" "updated_at_start=soon" "limit=0" "limit=101" "updatedAtStart=5" "archived=true&archived=false" \
	"expand=owner,everything" "confidentiality=secret" "offset=bm90LWlzc3VlZA" "tag=python&offset=$NEXT"; do
	is "GET /opportunities?$q: 400" "$(lv GET "/opportunities?$q")" 400
	is "GET /opportunities?$q: Lever's error shape" "$(body 'sorted(d)')" '["code", "message"]'
done
is "the offset it issued still works for its own list" "$(lv GET "/opportunities?tag=java&offset=$NEXT&limit=1")" 200

# --- stageChanges ---
O=$(opportunity '{"name":"Sam","emails":["sam@example.com"],"tags":["java"],"stage":"stage-applied"}')
sc() { sim LEVER GET "/_sim/opportunities/$O" | jget "$1"; }
is "a new candidate has one stageChanges entry, into its stage" \
	"$(sc '[(c["toStageId"], c["toStageIndex"], c["userId"], c["updatedAt"] == d["createdAt"] == d["lastAdvancedAt"]) for c in d["stageChanges"]]')" \
	'[["stage-applied", 0, "user-admin", true]]'
sim LEVER POST "/_sim/opportunities/$O" '{"stage":"stage-screen"}' >/dev/null
is "a move through _sim appends the entry and sets lastAdvancedAt" \
	"$(sc '[(c["toStageId"], c["toStageIndex"], c["updatedAt"] == d["lastAdvancedAt"]) for c in d["stageChanges"]][1:]')" \
	'[["stage-screen", 1, true]]'
sim LEVER POST "/_sim/opportunities/$O" '{"name":"Sam B"}' >/dev/null
is "a change that is not a move appends nothing" "$(sc 'len(d["stageChanges"])')" 2
is "PUT /opportunities/:id/stage?perform_as=: 200" \
	"$(lv PUT "/opportunities/$O/stage?perform_as=user-admin" -H 'Content-Type: application/json' --data '{"stage":"stage-onsite"}')" 200
is "the API's move is in stageChanges, as the API shows it" \
	"$(lv GET "/opportunities/$O" >/dev/null; body '[(c["toStageId"], c["toStageIndex"], c["userId"]) for c in d["data"]["stageChanges"]]')" \
	'[["stage-applied", 0, "user-admin"], ["stage-screen", 1, "user-admin"], ["stage-onsite", 2, "user-admin"]]'
sim LEVER POST "/_sim/opportunities/$O" '{"stage":"stage-screen","lastAdvancedAt":3000,"stageChanges":[{"toStageId":"stage-screen","updatedAt":1000},{"toStageId":"stage-applied","updatedAt":2000,"userId":"u2"},{"toStageId":"stage-screen","updatedAt":3000}]}' >/dev/null
is "_sim sets the history (re-entry included) and lastAdvancedAt as given" \
	"$(sc '[[(c["toStageId"], c["toStageIndex"], c["userId"], c["updatedAt"]) for c in d["stageChanges"]], d["lastAdvancedAt"]]')" \
	'[[["stage-screen", 1, "user-admin", 1000], ["stage-applied", 0, "u2", 2000], ["stage-screen", 1, "user-admin", 3000]], 3000]'
is "advanced_at_end filters on lastAdvancedAt" "$(walk '/opportunities?advanced_at_end=3000' | jget 'd["ids"]')" "[\"$O\"]"
check "a history with an unknown stage is refused" grep -q '"code"' <(sim LEVER POST "/_sim/opportunities/$O" '{"stageChanges":[{"toStageId":"nope","updatedAt":1}]}')

# --- webhooks: GET (paged), DELETE ---
for e in candidateStageChange candidateDeleted candidateHired; do
	is "POST /webhooks $e: 201" "$(lv POST /webhooks -H 'Content-Type: application/json' \
		--data "{\"url\":\"http://127.0.0.1:$CG_PORT/hook\",\"event\":\"$e\"}")" 201
done
sim LEVER POST /_sim/config '{"page_size":2}' >/dev/null
walk /webhooks >"$T/walk.out"
is "GET /webhooks, 2 a page: the 3 webhooks once each, in 2 pages" "$(jget '[len(set(d["ids"])), len(d["ids"]), d["pages"]]' <"$T/walk.out")" "[3, 3, 2]"
sim LEVER POST /_sim/config '{"page_size":100}' >/dev/null
lv GET /webhooks >/dev/null
is "a listed webhook shows no signatureToken" "$(body '[w["configuration"].get("signatureToken") for w in d["data"]]')" "[null, null, null]"
W1=$(body 'd["data"][0]["id"]')
W2=$(body 'd["data"][1]["id"]')
is "DELETE /webhooks/:id: 204" "$(lv DELETE "/webhooks/$W1")" 204
is "DELETE again: 404" "$(lv DELETE "/webhooks/$W1")" 404
is "with code ResourceNotFound" "$(code)" ResourceNotFound
sim LEVER DELETE "/_sim/webhooks/$W2" >/dev/null
is "a webhook deleted in Lever (_sim) is gone from GET /webhooks" "$(lv GET /webhooks >/dev/null; body '[w["event"] for w in d["data"]]')" '["candidateHired"]'
is "the request log counts GET /webhooks" "$(sim LEVER GET /_sim/requests | jget 'sum(r["method"] == "GET" and r["path"] == "/v1/webhooks" and r["status"] != 429 for r in d)')" 4

# --- candidateDeleted deliveries ---
DEL=$(opportunity '{"name":"Del","emails":["del@example.com"],"stage":"stage-applied"}')
CONTACT=$(sim LEVER GET "/_sim/opportunities/$DEL" | jget 'd["contact"]')
TOKEN=$(sim LEVER GET /_sim/webhooks | jget '[w for w in d if w["event"] == "candidateHired"][0]["configuration"]["signatureToken"]')
sim LEVER POST /_sim/deliver "{\"url\":\"http://127.0.0.1:$CG_PORT/hook\",\"event\":\"candidateDeleted\",\"opportunityId\":\"$DEL\",\"signatureToken\":\"$TOKEN\",\"ids\":[\"contactId\"],\"delete\":true}" >"$T/del.json"
is "candidateDeleted carries only the ids the test chose" "$(jget 'd["payload"]["data"]' <"$T/del.json")" "{\"contactId\": \"$CONTACT\"}"
check "and is signed: HMAC-SHA256(signatureToken, token + triggeredAt)" python3 -c '
import hashlib, hmac, json, sys
p = json.load(open(sys.argv[1]))["payload"]
sys.exit(p["event"] != "candidateDeleted" or p["signature"] != hmac.new(sys.argv[2].encode(),
         (p["token"] + str(p["triggeredAt"])).encode(), hashlib.sha256).hexdigest())' "$T/del.json" "$TOKEN"
is "the deleted opportunity: 404 from the API" "$(lv GET "/opportunities/$DEL")" 404
is "and listed in /_sim/deleted" "$(sim LEVER GET /_sim/deleted | jget '[x["id"] for x in d["deleted"]]')" "[\"$DEL\"]"
check "ids other than Lever's are refused" grep -q '"code"' <(sim LEVER POST /_sim/deliver "{\"url\":\"http://127.0.0.1:$CG_PORT/hook\",\"event\":\"candidateDeleted\",\"opportunityId\":\"$O\",\"signatureToken\":\"t\",\"ids\":[\"email\"]}")

# --- POST /opportunities/:id/files ---
python3 -c 'import sys; sys.stdout.buffer.write(b"%PDF-1.4\n" + bytes(range(256)) * 8192)' >"$T/big.pdf"   # 2 MiB, binary
printf '%%PDF-1.4 small\n' >"$T/r.pdf"
: >"$T/empty.pdf"
up() { lv POST "/opportunities/$O/files${1}" "${@:2}"; }
is "a 2 MiB binary file (multipart, perform_as): 200" "$(up '?perform_as=user-admin' -F "file=@$T/big.pdf;type=application/pdf")" 200
is "the reply: a file object under data" "$(body '[sorted(d["data"]), d["data"]["name"], d["data"]["ext"], d["data"]["size"]]')" \
	"[[\"downloadUrl\", \"ext\", \"id\", \"name\", \"size\", \"uploadedAt\"], \"big.pdf\", \"pdf\", $(stat -c %s "$T/big.pdf")]"
is "the simulator kept the very bytes" "$(sim LEVER GET "/_sim/files?opportunity=$O" | jget '[(f["sha256"], f["performAs"], f["contentType"]) for f in d["files"]]')" \
	"[[\"$(sha256sum "$T/big.pdf" | cut -d ' ' -f 1)\", \"user-admin\", \"application/pdf\"]]"
is "GET .../files lists it" "$(lv GET "/opportunities/$O/files" >/dev/null; body '[f["name"] for f in d["data"]]')" '["big.pdf"]'
is "no perform_as: 400" "$(up '' -F "file=@$T/r.pdf")" 400
is "an unknown perform_as user: 400" "$(up '?perform_as=nobody' -F "file=@$T/r.pdf")" 400
is "a JSON body: 400" "$(up '?perform_as=user-admin' -H 'Content-Type: application/json' --data '{"file":"x"}')" 400
is "multipart without a boundary: 400" "$(up '?perform_as=user-admin' -H 'Content-Type: multipart/form-data' --data-binary @"$T/r.pdf")" 400
printf -- '--XB\r\nContent-Disposition: form-data; name="file"; filename="r.pdf"\r\n\r\n%%PDF\r\n' >"$T/cut.body"
is "a body without the close delimiter: 400" "$(up '?perform_as=user-admin' -H 'Content-Type: multipart/form-data; boundary=XB' --data-binary @"$T/cut.body")" 400
printf -- '--XB\r\nContent-Type: application/pdf\r\n\r\n%%PDF\r\n--XB--\r\n' >"$T/nocd.body"
is "a part without Content-Disposition: 400" "$(up '?perform_as=user-admin' -H 'Content-Type: multipart/form-data; boundary=XB' --data-binary @"$T/nocd.body")" 400
is "only a text field, no file part: 400" "$(up '?perform_as=user-admin' -F 'note=hello')" 400
is "the file under another field name: 400" "$(up '?perform_as=user-admin' -F "attachment=@$T/r.pdf")" 400
is "a field named file without a filename: 400" "$(up '?perform_as=user-admin' -F 'file=<'"$T/r.pdf")" 400
is "an empty file: 400" "$(up '?perform_as=user-admin' -F "file=@$T/empty.pdf")" 400
is "the refusals have Lever's error shape" "$(body 'sorted(d)')" '["code", "message"]'
is "an unknown opportunity: 404" "$(lv POST /opportunities/nope/files?perform_as=user-admin -F "file=@$T/r.pdf")" 404
is "nothing refused was kept" "$(sim LEVER GET /_sim/files | jget 'len(d["files"])')" 1
sim LEVER POST /_sim/config '{"files_status":201,"files_envelope":false}' >/dev/null
is "the other reply Lever may give: 201" "$(up '?perform_as=user-admin' -F "file=@$T/r.pdf")" 201
is "with the bare file object" "$(body 'd["name"]')" r.pdf
sim LEVER POST /_sim/faults '{"method":"POST","path":"/files$","action":"status_after","status":502}' >/dev/null
is "status_after on an upload: the reply is a 502" "$(up '?perform_as=user-admin' -F "file=@$T/r.pdf")" 502
is "but the file was attached" "$(sim LEVER GET /_sim/files | jget 'len(d["files"])')" 3
is "the request log counts every upload" "$(sim LEVER GET /_sim/requests | jget 'sum(r["method"] == "POST" and r["path"].endswith("/files") and r["status"] != 429 for r in d)')" 14

# Scopes: an OAuth grant without files:write:admin is refused.
REDIR="https://cglever.example/cb"
sim LEVER POST /_sim/oauth/client "{\"client_id\":\"c1\",\"client_secret\":\"s1\",\"redirect_uri\":\"$REDIR\"}" >/dev/null
# grant SCOPE: the consent round and the code exchange; prints the access token.
grant() {
	curl -sS -o "$T/consent.html" -G "$LV/authorize" --data-urlencode client_id=c1 --data-urlencode "redirect_uri=$REDIR" \
		--data-urlencode response_type=code --data-urlencode state=st --data-urlencode "audience=$LV/v1/" \
		--data-urlencode "scope=$1"
	txn=$(sed -n 's/.*name="txn" value="\([^"]*\)".*/\1/p' "$T/consent.html" | head -1)
	c=$(curl -sS -o /dev/null -w '%{redirect_url}' --data "txn=$txn&decision=allow" "$LV/authorize/decision" |
		sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
	curl -sS --data-urlencode grant_type=authorization_code --data-urlencode client_id=c1 --data-urlencode client_secret=s1 \
		--data-urlencode "code=$c" --data-urlencode "redirect_uri=$REDIR" "$LV/oauth/token" | jget 'd["access_token"]'
}
NOFILES=$(grant "opportunities:write:admin notes:write:admin")
FILES=$(grant "opportunities:write:admin files:write:admin")
is "a token without files:write:admin: 403" "$(call "Authorization: Bearer $NOFILES" "$LV/v1/opportunities/$O/files?perform_as=user-admin" POST -F "file=@$T/r.pdf")" 403
is "with code Forbidden" "$(code)" Forbidden
is "a token with files:write:admin: 2xx" "$(call "Authorization: Bearer $FILES" "$LV/v1/opportunities/$O/files?perform_as=user-admin" POST -F "file=@$T/r.pdf")" 201
is "files:write:admin covers GET .../files" "$(call "Authorization: Bearer $FILES" "$LV/v1/opportunities/$O/files" GET)" 200

# --- CodinGame: resend, expiry, report, delete ---
send() { cg POST /campaigns/1/actions/send -H 'Content-Type: application/json' --data "{\"candidate_email\":\"$1@example.com\",\"candidate_name\":\"$1\"}" >/dev/null; body 'd["id"]'; }
A=$(send ann) B=$(send bob) C=$(send cyd) D=$(send dee) E=$(send eve)
simtest() { sim CG GET "/_sim/tests/$1" | jget "$2"; }
is "resend a waiting test: 204" "$(cg POST "/tests/$A/actions/resend")" 204
is "and again: 204" "$(cg POST "/tests/$A/actions/resend")" 204
is "the simulator counts both" "$(simtest "$A" 'd["resends"]')" 2
is "the API's view of the test has no simulator counters" "$(cg GET "/tests/$A" >/dev/null; body '"resends" in d or "reports" in d')" False
sim CG POST "/_sim/tests/$B" '{"status":"in_progress"}' >/dev/null
sim CG POST "/_sim/tests/$C" '{"status":"completed","score":62}' >/dev/null
is "resend a started test: 400" "$(cg POST "/tests/$B/actions/resend")" 400
is "with code InvalidTestId" "$(code)" InvalidTestId
is "resend a finished test: 400" "$(cg POST "/tests/$C/actions/resend")" 400
is "neither counted" "$(simtest "$B" 'd["resends"]') $(simtest "$C" 'd["resends"]')" "0 0"
is "a started test carries last_activity_time" "$(cg GET "/tests/$B" >/dev/null; body 'isinstance(d["last_activity_time"], int)')" True

sim CG POST "/_sim/tests/$D/expire" '{}' >/dev/null
is "an expired test shows status expired" "$(cg GET "/tests/$D" >/dev/null; body 'd["status"]')" expired
is "resend an expired test: 400" "$(cg POST "/tests/$D/actions/resend")" 400
is "cancel an expired test: 400" "$(cg POST "/tests/$D/actions/cancel")" 400
is "GET /tests?status=expired finds it" "$(cg GET '/tests?status=expired' >/dev/null; body '[t["id"] for t in d["tests"]]')" "[$D]"
sim CG POST "/_sim/tests/$E/expire" '{"as":"waiting","send_time":1000}' >/dev/null
is "the other way: still waiting, sent long ago" "$(cg GET "/tests/$E" >/dev/null; body '[d["status"], d["send_time"]]')" '["waiting", 1000]'
check "only a waiting test expires" grep -q '"code"' <(sim CG POST "/_sim/tests/$B/expire" '{}')

report() { cg GET "/tests/$1/report${2:+?report_type=$2}" -D "$T/h"; }
is "the report of a waiting test: 400" "$(report "$A" full)" 400
is "with code InvalidTestId" "$(code)" InvalidTestId
is "the report of a test in progress: 400" "$(report "$B" full)" 400
is "the report of a completed test: 200" "$(report "$C" full)" 200
check "as application/pdf" grep -qi '^content-type: application/pdf' "$T/h"
check "a well-formed PDF (header, xref offsets, trailer)" python3 -c '
import re, sys
b = open(sys.argv[1], "rb").read()
x = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", b).group(1))
offs = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", b[x:])]
sys.exit(not (b.startswith(b"%PDF-1.") and b[x:x + 4] == b"xref" and offs
              and all(b[o:].startswith(b"%d 0 obj" % (i + 1)) for i, o in enumerate(offs))))' "$T/b"
check "naming the score" grep -q "Score: 62%" "$T/b"
is "report_type=simplified: 200" "$(report "$C" simplified)" 200
is "report_type=summary: 400" "$(report "$C" summary)" 400
is "with code InvalidParameter" "$(code)" InvalidParameter
is "no report_type: 400" "$(report "$C")" 400
is "an unknown test: 404" "$(report 99999 full)" 404
is "with code NotFoundTestId" "$(code)" NotFoundTestId
is "without the API key: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$CGA/tests/$C/report?report_type=full")" 401
is "the simulator counts the reports served" "$(simtest "$C" 'd["reports"]')" 2
is "the request log counts every report call" "$(sim CG GET /_sim/requests | jget 'sum(r["path"].endswith("/report") for r in d)')" 8

# Faults on the new paths: hold, drop_after, status.
sim CG POST /_sim/faults '{"method":"GET","path":"/report$","action":"hold"}' >/dev/null
curl -sS -o "$T/held.pdf" -w '%{http_code}' -H 'API-Key: ck' "$CGA/tests/$C/report?report_type=full" >"$T/held.status" &
HELD=$!
held() { [ "$(sim CG GET /_sim/held | jget 'd["held"]')" = 1 ]; }
check "a held report request waits" wait_until 30 held
sim CG POST /_sim/release >/dev/null
wait $HELD
is "released, it is answered" "$(cat "$T/held.status")" 200
sim CG POST /_sim/faults '{"method":"POST","path":"/resend$","action":"drop_after"}' >/dev/null
cg POST "/tests/$E/actions/resend" >"$T/drop.status" 2>/dev/null
is "drop_after on a resend: no reply" "$(cat "$T/drop.status")" 000
is "but the resend happened" "$(simtest "$E" 'd["resends"]')" 1
sim CG POST /_sim/faults '{"method":"DELETE","path":"/tests/","action":"status","status":503}' >/dev/null
is "a 503 on DELETE" "$(cg DELETE "/tests/$C")" 503
is "deletes nothing" "$(cg GET "/tests/$C")" 200
is "DELETE /tests/{id}: 204" "$(cg DELETE "/tests/$C")" 204
is "then GET: 404" "$(cg GET "/tests/$C")" 404
is "with code NotFoundTestId" "$(code)" NotFoundTestId
is "DELETE again: 404" "$(cg DELETE "/tests/$C")" 404
is "the simulator lists the deletion" "$(sim CG GET /_sim/deleted | jget 'd["deleted"]')" "[$C]"
done_testing
