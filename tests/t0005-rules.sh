#!/bin/bash
# What must NOT send: changes older than the rule, archived opportunities,
# untagged candidates, other stages; and deleted rules stop sending.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
OLD=$(( ($(date +%s) - 60) * 1000 ))   # a minute before the rule
RULE=$(ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1)
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
rep=$(deliver "$ACC" "$OPP" stage-screen "\"triggeredAt\":$OLD")
is "a change from before the rule is accepted" "$(echo "$rep" | jget 'd["status"]')" 200
ARCH=$(opportunity '{"name":"Old","emails":["old@example.com"],"tags":["java"],"stage":"stage-screen","archived":true}')
deliver "$ACC" "$ARCH" stage-screen >/dev/null
UNTAGGED=$(opportunity '{"name":"Nobody","emails":["no@example.com"],"tags":["cobol"],"stage":"stage-screen"}')
deliver "$ACC" "$UNTAGGED" stage-screen >/dev/null
OTHER=$(opportunity '{"name":"Else","emails":["else@example.com"],"tags":["java"],"stage":"stage-onsite"}')
deliver "$ACC" "$OTHER" stage-onsite >/dev/null
settle
is "no test for an old change, an archived or untagged candidate, or another stage" "$(sends)" 0
is "no job left behind" "$(ctl jobs | tail -n +2 | wc -l)" 0
# Control: the same candidate, a change after the rule, does send.
deliver "$ACC" "$OPP" stage-screen >/dev/null
check "a change after the rule sends" wait_until 60 sends_eq 1
ctl rule delete "$RULE"
is "rule delete" "$?" 0
check "rule list no longer shows it" test "$(ctl rule list | tail -n +2 | wc -l)" -eq 0
NEW=$(opportunity '{"name":"New","emails":["new@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$NEW" stage-screen >/dev/null
settle
is "a deleted rule sends nothing" "$(sends)" 1
ctl rule delete "$RULE" 2>"$T/err"; rc=$?
check "deleting it again fails clearly" test $rc -ne 0 -a -n "$(grep 'no rule' "$T/err")"
ctl rule add 99 --tag java --stage stage-screen --campaign 1 2>"$T/err"; rc=$?
check "a rule for an unknown account fails clearly" test $rc -ne 0 -a -n "$(grep 'no account 99' "$T/err")"
ctl rule add "$ACC" --tag java --stage stage-screen --campaign abc 2>"$T/err"; rc=$?
check "a non-numeric campaign fails with usage" test $rc -eq 2 -a -n "$(grep 'campaign' "$T/err")"
ctl bogus 2>"$T/err"; rc=$?
check "an unknown command prints usage" test $rc -eq 2 -a -n "$(grep 'usage' "$T/err")"
done_testing
