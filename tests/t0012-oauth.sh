#!/bin/bash
# Connecting a Lever account with OAuth, browser-free (curl): admin page ->
# start -> Lever's consent -> callback -> admin page; then deliveries verify
# with the registered webhook's token. Bad states, denial, refresh,
# revocation, reconnection and disconnection.
. "$(dirname "$0")/lib.sh"
STATE_SECONDS=3 setup
ACC=$(ctl account add acme --codingame-api-key-file "$T/keys/cg" 2>/dev/null)
. "$(dirname "$0")/oauth.sh"
status_of() { web -o "$T/page.html" -w '%{http_code}' "$1"; }

check "the admin page needs the web server's sign-in" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/admin.fcgi/")" = 401
check "a signed-in user not in admin_users is refused" test "$(curl -s -u "mallory:pw-$$" -o /dev/null -w '%{http_code}' "$BASE/admin.fcgi/")" = 403
check "the account page offers Connect Lever" grep -q "Connect Lever" <(web "$BASE/admin.fcgi/account/$ACC")

# A denied consent: 400, nothing stored.
AUTH=$(start_flow)
check "start redirects to Lever's authorize URL" grep -q "^http://127.0.0.1:$LEVER_PORT/authorize?" <<<"$AUTH"
for p in "client_id=cglever-test" "response_type=code" "scope=offline_access" \
	"redirect_uri=http%3A%2F%2F127.0.0.1%3A$HTTP_PORT%2Foauth.fcgi%2Fcallback" \
	"audience=http%3A%2F%2F127.0.0.1%3A$LEVER_PORT%2Fv1%2F"; do
	check "the authorize URL carries $p" grep -qF "$p" <<<"$AUTH"
done
CB=$(consent "$AUTH" deny)
is "a denied consent: 400" "$(status_of "$CB")" 400
check "the page says access was not granted" grep -q "did not grant" "$T/page.html"
check "a denied consent stores nothing" grep -q "acme .* none .* none" <(ctl account list)

# Forged state and missing code.
is "a forged state: 400" "$(status_of "$BASE/oauth.fcgi/callback?code=abc&state=$(openssl rand -hex 32)")" 400
check "the page says why" grep -q "unknown or was already used" "$T/page.html"
AUTH=$(start_flow)
STATE=$(sed -n 's/.*[?&]state=\([0-9a-f]*\).*/\1/p' <<<"$AUTH")
is "a missing code: 400" "$(status_of "$BASE/oauth.fcgi/callback?state=$STATE")" 400
# Expired state (oauth_state_seconds = 3 here).
AUTH=$(start_flow)
born=$(date +%s%N)
CB=$(consent "$AUTH" allow)
# The state expires 3 s after start_flow made it: wait until the clock says so.
past_expiry() { [ $(( ($(date +%s%N) - born) / 1000000 )) -gt 3500 ]; }
wait_until 30 past_expiry
is "an expired state: 400" "$(status_of "$CB")" 400
check "the page says it expired" grep -q "expired" "$T/page.html"
check "bad states store nothing" grep -q "acme .* none .* none" <(ctl account list)
is "no webhook was registered" "$(sim LEVER GET /_sim/webhooks | jget 'len(d)')" 0

# The good flow.
AUTH=$(start_flow)
CB=$(consent "$AUTH" allow)
check "Lever sends the browser back with a code" grep -q "^$REDIRECT?code=" <<<"$CB"
LOC=$(web -o /dev/null -w '%{http_code} %{redirect_url}' "$CB")
is "the callback redirects to the admin page" "$LOC" "303 $BASE/admin.fcgi/?msg=connected&account=$ACC"
is "a replayed callback: 400" "$(status_of "$CB")" 400
check "the admin page says to switch the webhook group on" grep -q "Candidate Stage Change" <(web "$BASE/admin.fcgi/?msg=connected&account=$ACC")
check "the account shows connected (OAuth)" grep -q "connected (OAuth)" <(web "$BASE/admin.fcgi/")
check "the store holds an OAuth connection with a registered webhook" grep -q "acme .* oauth .* registered .* connected" <(ctl account list)
is "two webhooks in Lever (stage change, deletion), for this account" "$(sim LEVER GET /_sim/webhooks | jget 'sorted((w["event"], w["url"]) for w in d)')" "[[\"candidateDeleted\", \"$BASE/webhook.fcgi/lever/$ACC\"], [\"candidateStageChange\", \"$BASE/webhook.fcgi/lever/$ACC\"]]"

ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
rep=$(deliver "$ACC" "$OPP" stage-screen)
is "a delivery signed with the new webhook's token: 200" "$(echo "$rep" | jget 'd["status"]')" 200
check "and its test goes out (Lever called with the OAuth token)" wait_until 5 sends_ge 1

# Reconnecting replaces the webhook instead of adding one.
CB=$(consent "$(start_flow)" allow)
web -o /dev/null "$CB"
is "reconnecting leaves one webhook per event" "$(sim LEVER GET /_sim/webhooks | jget 'sorted(w["event"] for w in d)')" '["candidateDeleted", "candidateStageChange"]'

# 30 jobs at an expired access token: one refresh, 30 sends.
sim LEVER POST /_sim/oauth/expire '{}' >/dev/null
before=$(sim LEVER GET /_sim/oauth/stats | jget 'd["refreshes"]')
deliver_burst "$ACC" 30 30 >"$T/load.txt"
is "30 deliveries at an expired token: all 200" "$(cat "$T/load.txt")" "200 30"
sw=""; for i in 1 2 3; do ctl sweep & sw="$sw $!"; done; wait $sw
check "all 30 complete" wait_until 30 sends_ge 31
wait_runners
is "exactly one refresh at Lever" "$(( $(sim LEVER GET /_sim/oauth/stats | jget 'd["refreshes"]') - before ))" 1
is "and exactly 31 sends in all" "$(sends)" 31

# A runner holding an old token while another process stores a new one
# that Lever has already expired (issue 12): the runner's request is held
# at Lever while the admin reconnects and Lever expires every access token;
# released, it meets a 401, takes the stored token, meets a 401 again, and
# must then refresh at the token endpoint instead of giving up the grant.
OPP_H=$(opportunity '{"name":"Hal","emails":["hal@example.com"],"tags":["java"],"stage":"stage-screen"}')
sim LEVER POST /_sim/faults "{\"method\":\"GET\",\"path\":\"/opportunities/$OPP_H\$\",\"action\":\"hold\"}" >/dev/null
base=$(sends)
refreshes() { sim LEVER GET /_sim/oauth/stats | jget 'd["refreshes"]'; }
r0=$(refreshes)
deliver "$ACC" "$OPP_H" stage-screen >/dev/null
held() { [ "$(sim LEVER GET /_sim/held | jget 'd["held"]')" -ge 1 ]; }
check "the runner's request for the opportunity is held at Lever" wait_until 30 held
CB=$(consent "$(start_flow)" allow)
web -o /dev/null "$CB"
sim LEVER POST /_sim/oauth/expire '{}' >/dev/null
sim LEVER POST /_sim/release '{}' >/dev/null
check "released, its test still goes out" wait_until 30 sends_ge $((base + 1))
wait_runners
check "the account stays connected" grep -q "acme .* oauth .* connected" <(ctl account list)
check "no account was marked disconnected" test "$(ctl account list | grep -c disconnected)" -eq 0
is "one refresh at Lever did it" "$(( $(refreshes) - r0 ))" 1
is "sent once" "$(sends)" $((base + 1))

# Revocation: the account shows disconnected, jobs wait, nothing is lost.
base=$(sends)
sim LEVER POST /_sim/oauth/revoke '{}' >/dev/null
for i in 1 2 3; do
	O=$(opportunity "{\"name\":\"R$i\",\"emails\":[\"r$i@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$O" stage-screen >/dev/null
done
disconnected() { ctl account list | grep -q "acme .* disconnected"; }
check "a revoked grant shows the account disconnected" wait_until 10 disconnected
wait_runners
is "nothing was sent while revoked" "$(sends)" "$base"
is "the three jobs are kept" "$(ctl jobs "$ACC" | grep -c pending)" 3
check "the account page offers Reconnect" grep -q "Reconnect Lever" <(web "$BASE/admin.fcgi/account/$ACC")
ctl sweep
is "a sweep leaves the waiting jobs alone" "$(ctl jobs "$ACC" | grep -c pending)" 3
CB=$(consent "$(start_flow)" allow)
web -o /dev/null "$CB"
check "after reconnecting, the waiting jobs run" wait_until 20 sends_ge $((base + 3))
no_jobs() { [ "$(ctl jobs "$ACC" | tail -n +2 | wc -l)" -eq 0 ]; }
check "and no job is left" wait_until 60 no_jobs
wait_runners
is "with no duplicate send" "$(sends)" $((base + 3))

# Tokens stay out of the logs and the database files.
sim LEVER GET /_sim/oauth/tokens >"$T/tokens.json" 2>/dev/null
ntok=$(jget 'len(d)' <"$T/tokens.json" 2>/dev/null || echo 0)
check "the simulator lists the tokens it issued" test "$ntok" -gt 0
leaks=""
for tok in $(jget '" ".join(d)' <"$T/tokens.json"); do
	grep -rlaF -- "$tok" "$T/db" "$T"/*.err >/dev/null && leaks="$leaks ${tok:0:8}"
done
is "no access or refresh token in clear in db_home or the logs" "$leaks" ""

# Disconnect: webhook removed in Lever, tokens gone from the store.
web -o "$T/admin.html" "$BASE/admin.fcgi/"
code=$(web -o /dev/null -w '%{http_code}' --data "account=$ACC" "$BASE/admin.fcgi/disconnect")
is "disconnect without a CSRF token: 400 or 403" "$(case $code in 400|403) echo refused;; *) echo "$code";; esac)" refused
code=$(curl -sS -u "boss:pw-$$" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf_from "$T/admin.html")" --data "account=$ACC" "$BASE/admin.fcgi/disconnect")
is "another admin's CSRF token: 403" "$code" 403
code=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf_from "$T/admin.html")" --data "account=$ACC" "$BASE/admin.fcgi/disconnect")
is "disconnect: 303 back to the admin page" "$code" 303
is "the webhooks are gone from Lever" "$(sim LEVER GET /_sim/webhooks | jget 'len(d)')" 0
check "the store holds no Lever credentials any more" grep -q "acme .* none .* none .* disconnected: disconnected by admin" <(ctl account list)
check "rules are kept" test "$(ctl rule list | tail -n +2 | wc -l)" -eq 1
rep=$(deliver "$ACC" "$OPP" stage-screen "\"signatureToken\":\"whatever\"")
is "a late delivery after disconnect: 200, nothing recorded" "$(echo "$rep" | jget 'd["status"]')" 200
is "no job queued" "$(ctl jobs "$ACC" | tail -n +2 | wc -l)" 0
done_testing
