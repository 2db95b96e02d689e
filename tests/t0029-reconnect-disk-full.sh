#!/bin/bash
# Reconnecting with OAuth when the store cannot save (issue 13): the new
# webhook is registered first and the old one removed only after the new
# one's token is stored, so a save that fails (disk full) leaves the old
# webhook working and no orphan webhook in Lever. db_home is a small tmpfs.
. "$(dirname "$0")/lib.sh"
need mount umount dd
mkdir -p "$T/db"
mount -t tmpfs -o size=24m,mode=0700 tmpfs "$T/db" ||
	die "cannot mount a tmpfs for db_home (run as root, as make check does in CI)"
unmount() { cleanup; umount "$T/db" 2>/dev/null; }
trap unmount EXIT
setup
ACC=$(ctl account add acme --codingame-api-key-file "$T/keys/cg" 2>/dev/null)
. "$(dirname "$0")/oauth.sh"
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
is "connected with OAuth" "$(connect)" 303
hooks() { sim LEVER GET /_sim/webhooks | jget '" ".join(w["id"] for w in d)'; }
W1=$(hooks)
check "two webhooks registered, stage change and deletion ($W1)" test -n "$W1" -a "$(echo $W1 | wc -w)" = 2

# Reconnect: Lever's answer to the webhook registration is held while the
# disk fills; released, the store cannot save the new connection.
sim LEVER POST /_sim/faults '{"method":"POST","path":"/webhooks$","action":"hold"}' >/dev/null
CB=$(consent "$(start_flow)" allow)
web -o "$T/cb.html" -w '%{http_code}' "$CB" >"$T/cb.code" &
cb=$!
held() { [ "$(sim LEVER GET /_sim/held | jget 'd["held"]')" -ge 1 ]; }
check "the new webhook's registration is held at Lever" wait_until 30 held
dd if=/dev/zero of="$T/db/filler" bs=1M 2>/dev/null
for i in $(seq 1 64); do head -c 4096 /dev/zero >"$T/db/filler.$i" 2>/dev/null || break; done
# The log file's last page may still have room for a small commit (tmpfs
# allocates whole pages): writes of the store's own use it up, until one
# is refused, so the reconnect's save meets a full disk whatever the log's
# length was.
refused=0
for i in $(seq 1 200); do
	ctl rule add "$ACC" --tag "slack$i" --stage stage-screen --campaign 1 >/dev/null 2>&1 || { refused=1; break; }
done
is "the store refuses writes now (after $i rule(s))" "$refused" 1
sim LEVER POST /_sim/release '{}' >/dev/null
wait $cb
code=$(cat "$T/cb.code")
check "the reconnect fails with an error page (got $code)" test "$code" -ge 500
check "which says nothing was changed" grep -q "Nothing was changed" "$T/cb.html"
is "Lever holds only the old webhooks: the new ones were removed" "$(hooks)" "$W1"
rm -f "$T/db"/filler*

# The old webhook still verifies deliveries, and its test goes out.
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
rep=$(deliver "$ACC" "$OPP" stage-screen)
is "a delivery signed with the old webhook's token: 200" "$(echo "$rep" | jget 'd["status"]')" 200
check "and its test is sent" wait_until 30 sends_ge 1
check "the account is still connected" grep -q "acme .* oauth .* connected" <(ctl account list)
# With space back, reconnecting works and replaces the webhook.
is "a reconnect with space: 303" "$(connect)" 303
W2=$(hooks)
check "Lever holds two webhooks, both new ($W2)" test "$(echo $W2 $W1 | tr ' ' '\n' | sort -u | wc -l)" = 4
OPP2=$(opportunity '{"name":"Bob","emails":["bob@example.com"],"tags":["java"],"stage":"stage-screen"}')
is "deliveries verify with the new token" "$(deliver "$ACC" "$OPP2" stage-screen | jget 'd["status"]')" 200
check "and are sent" wait_until 30 sends_ge 2
wait_runners
done_testing
