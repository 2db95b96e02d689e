#!/bin/bash
# API keys and tokens are encrypted at rest: not in any file under db_home.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$OPP" stage-screen >/dev/null
wait_until 5 sends_ge 1
wait_runners
ctl sweep
HOOK=$(hook_token)
check "the database holds files" test "$(find "$T/db" -type f | wc -l)" -gt 3
for secret in "$LEVER_KEY" "$CG_KEY" "$HOOK" ada@example.com; do
	hits=$(grep -rlaF -- "$secret" "$T/db" | tr '\n' ' ')
	is "'${secret:0:12}...' is not in clear in db_home" "$hits" ""
done
for f in "$T"/*.err; do
	hits=$(grep -laF -e "$LEVER_KEY" -e "$CG_KEY" -e "$HOOK" "$f")
	is "no secret in the log $(basename "$f")" "$hits" ""
done
check "db_home is mode 0700" test "$(stat -c %a "$T/db")" = 700
done_testing
