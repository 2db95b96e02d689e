#!/bin/bash
# Concurrent writers of one account (issue 13): the admin saves a CodinGame
# key, or presses Disconnect, while the queue runner rotates the Lever
# tokens. Each change is its own transaction on its own fields, so the
# record ends with the newest refresh token and the admin's last change,
# and a Disconnect is never undone. The interleavings are driven by
# holding one side's request at a simulator, not by timing.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(ctl account add acme --codingame-api-key-file "$T/keys/cg" 2>/dev/null)
. "$(dirname "$0")/oauth.sh"
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
is "connected with OAuth" "$(connect)" 303

refreshes() { sim LEVER GET /_sim/oauth/stats | jget 'd["refreshes"]'; }
invalid_grants() { sim LEVER GET /_sim/oauth/stats | jget 'd["invalid_grants"]'; }
held_at() { [ "$(sim "$1" GET /_sim/held | jget 'd["held"]')" -ge 1 ]; }
connected() { ctl account list | grep -q "acme .* oauth .* connected"; }
N=0
candidate() {
	N=$((N + 1))
	opportunity "{\"name\":\"C$N\",\"emails\":[\"c$N@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}"
}
# A send that needs a refresh: every access token expired at Lever, so the
# runner must refresh with the refresh token the store holds now.
send_after_refresh() {
	sim LEVER POST /_sim/oauth/expire '{}' >/dev/null
	b=$(sends)
	deliver "$ACC" "$(candidate)" stage-screen >/dev/null
	wait_until 30 sends_ge $((b + 1))
}

for round in 1 2 3; do
	# The admin saves a new key; CodinGame's check of it is held while
	# the runner refreshes the tokens (R -> R') and sends a test.
	key="cgk${round}$(openssl rand -hex 6)"
	sim CG POST /_sim/keys "{\"key\":\"$key\"}" >/dev/null
	sim CG POST /_sim/faults '{"method":"GET","path":"/campaigns$","action":"hold"}' >/dev/null
	web -o "$T/acct.html" "$BASE/admin.fcgi/account/$ACC"
	web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf_from "$T/acct.html")" \
		--data-urlencode "codingame_key=$key" "$BASE/admin.fcgi/account/$ACC/codingame" \
		>"$T/save.code" &
	saver=$!
	check "round $round: the key check is held at CodinGame" wait_until 30 held_at CG
	r0=$(refreshes)
	check "round $round: meanwhile the runner refreshes and sends" send_after_refresh
	is "round $round: with one refresh" "$(( $(refreshes) - r0 ))" 1
	sim CG POST /_sim/release '{}' >/dev/null
	wait $saver
	is "round $round: the key is saved (303)" "$(cat "$T/save.code")" 303
	check "round $round: the page shows the new key" grep -qF "${key: -4}" <(web "$BASE/admin.fcgi/account/$ACC")
	wait_runners
	g0=$(invalid_grants)
	check "round $round: the stored refresh token is the newest (a further refresh works)" send_after_refresh
	is "round $round: Lever saw no spent refresh token" "$(( $(invalid_grants) - g0 ))" 0
	check "round $round: still connected" connected
	wait_runners

	# Disconnect while the runner's refresh is held at the token endpoint.
	sim LEVER POST /_sim/faults '{"method":"POST","path":"^/oauth/token$","action":"hold"}' >/dev/null
	sim LEVER POST /_sim/oauth/expire '{}' >/dev/null
	b=$(sends)
	deliver "$ACC" "$(candidate)" stage-screen >/dev/null
	check "round $round: the runner's refresh is held at Lever" wait_until 30 held_at LEVER
	web -o "$T/admin.html" "$BASE/admin.fcgi/"
	code=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf_from "$T/admin.html")" \
		--data "account=$ACC" "$BASE/admin.fcgi/disconnect")
	check "round $round: Disconnect answers (got $code)" test "$code" = 303 -o "$code" = 200
	sim LEVER POST /_sim/release '{}' >/dev/null
	wait_runners
	check "round $round: the Disconnect stands after the refresh ends" \
		grep -q "acme .* none .* disconnected: disconnected by admin" <(ctl account list)
	is "round $round: nothing was sent while disconnected" "$(sends)" "$b"
	is "round $round: the job waits" "$(ctl jobs "$ACC" | grep -c pending)" 1
	is "round $round: reconnecting works" "$(connect)" 303
	check "round $round: and the waiting job runs" wait_until 30 sends_ge $((b + 1))
	wait_runners
done
is "no job left" "$(ctl jobs "$ACC" | tail -n +2 | wc -l)" 0
done_testing
