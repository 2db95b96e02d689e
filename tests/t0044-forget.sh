#!/bin/bash
# Forget on request (issue 16 item 5, Done-when 5). A candidateDeleted
# delivery (with only opportunityId, only candidateId, only contactId)
# and `cglever-ctl forget --email` leave no trace of the person's email or
# name in db_home: not in the decrypted records (every database dumped
# with the key), not in clear in any raw file, and not in the program
# logs written afterwards. Their unstarted test is cancelled at
# CodinGame, a started one is not; with forget_deletes_test the test is
# deleted there. The audit lines name no person. A badly signed
# candidateDeleted is refused (401) and forgets nothing. retention_days:
# the sweep forgets finished invitations older than that, once a day.
. "$(dirname "$0")/lib.sh"
need db5.3_dump db5.3_printlog cc pkg-config
setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
SECRET=$(head -n 1 "$T/keys/secret")
URL="http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC"

# The store's public API, for what has no command (tests/forget_helper.c).
[ -f "$BUILD/lib/libcglever.a" ] || die "no $BUILD/lib/libcglever.a: run make progs"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$TOP/lib" $(pkg-config --cflags json-c) \
	"$TOP/tests/forget_helper.c" "$BUILD/lib/libcglever.a" -lfcgi -ldb \
	$(pkg-config --libs libcurl json-c libcrypto) -lpthread -o "$T/helper" 2>"$T/helper-build.err" ||
	die "building tests/forget_helper.c: $(cat "$T/helper-build.err")"
helper() { "$T/helper" "$T/db" "$SECRET" "$@"; }

email() { echo "$1.zqx@example.org"; }
name() { echo "$1 Zqxforget"; }
person() {  # person FIRST: a tagged candidate moved to the stage; prints the opportunity id
	o=$(opportunity "{\"name\":\"$(name "$1")\",\"emails\":[\"$(email "$1")\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$o" stage-screen >/dev/null
	echo "$o"
}
test_of() { sim CG GET /_sim/sends | jget "[s['test_id'] for s in d['sends'] if s['candidate_email']=='$(email "$1")'][0]"; }
cg_status() { sim CG GET "/_sim/tests/$1" | jget 'd.get("status")'; }
# forget_delivery OPP IDS [EXTRA]: candidateDeleted for OPP (deleted in Lever first),
# its data carrying only IDS (a JSON list); prints the HTTP status.
forget_delivery() {
	sim LEVER POST /_sim/deliver "{\"url\":\"$URL\",\"event\":\"candidateDeleted\",\"opportunityId\":\"$1\",\"ids\":$2${3:+,$3}}" |
		jget 'd["status"]'
}
# Every database, decrypted with the key (what someone holding the key sees).
dump() {
	for f in "$T"/db/*.db; do
		db5.3_dump -p -h "$T/db" -P "$SECRET" "$(basename "$f")" 2>>"$T/dump.err"
	done
}
in_dump() { dump | grep -qiF -- "$1"; }
not_in_dump() { ! in_dump "$1"; }
not_in_raw() { ! grep -rlaiF -- "$1" "$T/db" >/dev/null; }
# The program logs (web server error log: the FastCGI programs and their
# queue runners; cglever-ctl's stderr, kept in $T/ctl-*.err) from the mark on.
mark_logs() { for f in "$T"/*.err; do echo "$f $(stat -c %s "$f")"; done >"$T/log-mark"; }
in_logs() {
	for f in "$T"/*.err; do
		off=$(awk -v f="$f" '$1 == f { print $2 }' "$T/log-mark")
		tail -c +$(( ${off:-0} + 1 )) "$f"
	done | grep -qiF -- "$1"
}
not_in_logs() { ! in_logs "$1"; }
not_in_file() { ! grep -qiF -- "$1" "$2"; }

OA=$(person alice)   # forgotten by opportunityId only; test not started
OB=$(person bob)     # by candidateId only; test started
OC=$(person carol)   # by contactId only; test not started
OD=$(person dave)    # by cglever-ctl forget --email
OE=$(person erin)    # with forget_deletes_test on (all three ids)
OF=$(person frank)   # a badly signed candidateDeleted: nothing forgotten
settle
ctl sweep 2>"$T/ctl-sweep0.err"
wait_runners
is "six tests sent" "$(sends)" 6
check "before: the decrypted records hold alice's email (the check sees data)" in_dump "$(email alice)"
check "before: and her name" in_dump "$(name alice)"
check "no raw file under db_home holds an email in clear (AES)" not_in_raw zqx@example.org
TB=$(test_of bob)
sim CG POST "/_sim/tests/$TB" '{"status":"in_progress"}' >/dev/null
mark_logs

# A bad signature: 401, nothing forgotten.
is "a badly signed candidateDeleted is refused (401)" \
	"$(forget_delivery "$OF" '["opportunityId"]' '"badSignature":true')" 401
STAGE_TOKEN=$(sim LEVER GET /_sim/webhooks | jget "[w['configuration']['signatureToken'] for w in d if w['event'] == 'candidateStageChange' and w['url'] == '$URL'][0]")
is "a candidateDeleted signed with the stage-change webhook's token is refused (401)" \
	"$(forget_delivery "$OF" '["opportunityId"]' "\"signatureToken\":\"$STAGE_TOKEN\"")" 401
is "frank's test is still waiting" "$(cg_status "$(test_of frank)")" waiting

is "candidateDeleted with opportunityId only: 200" "$(forget_delivery "$OA" '["opportunityId"]' '"delete":true')" 200
is "candidateDeleted with candidateId only: 200" "$(forget_delivery "$OB" '["candidateId"]' '"delete":true')" 200
is "candidateDeleted with contactId only: 200" "$(forget_delivery "$OC" '["contactId"]' '"delete":true')" 200
is "candidateDeleted with none of the ids: 200, nothing to do" \
	"$(sim LEVER POST /_sim/deliver "{\"url\":\"$URL\",\"event\":\"candidateDeleted\",\"data\":{\"userId\":\"u-1\"}}" | jget 'd["status"]')" 200
settle
ctl forget --email "$(email dave | tr a-z A-Z)" >"$T/forget.out" 2>"$T/ctl-forget.err"
is "cglever-ctl forget --email (other case) exits 0" "$?" 0
is "it says how many invitations it forgot in the account" "$(cat "$T/forget.out")" \
	"account $ACC: 1 invitation(s) forgotten, 1 test(s) cancelled, 0 deleted, 0 left as they were"
helper deletes-test "$ACC" on
is "with forget_deletes_test on: candidateDeleted 200" "$(forget_delivery "$OE" '["opportunityId","candidateId","contactId"]' '"delete":true')" 200
settle
ctl sweep 2>"$T/ctl-sweep1.err"   # the every-minute sweep: its checkpoint writes the pages
wait_runners

is "alice's unstarted test is cancelled" "$(cg_status "$(test_of alice)")" cancelled
is "bob's started test is left running" "$(cg_status "$TB")" in_progress
is "carol's (contactId only) is cancelled" "$(cg_status "$(test_of carol)")" cancelled
is "dave's (cglever-ctl forget) is cancelled" "$(cg_status "$(test_of dave)")" cancelled
TE=$(test_of erin)
is "erin's is deleted at CodinGame (forget_deletes_test)" \
	"$(sim CG GET /_sim/deleted | jget "$TE in d['deleted']")" True
check "the logs written since tell of the forgetting (ids and counts)" in_logs "invitation(s) forgotten"
for p in alice bob carol dave erin; do
	for what in "$(email "$p")" "$(name "$p")"; do
		check "no '$what' in the decrypted records" not_in_dump "$what"
		check "no '$what' in any raw file of db_home" not_in_raw "$what"
		check "no '$what' in the logs written since" not_in_logs "$what"
	done
done
check "frank's email is still there (bad signature: nothing forgotten)" in_dump "$(email frank)"
is "five invitations hold no email any more" "$(ctl invitations "$ACC" | awk 'NR > 1 && $5 == "-"' | wc -l)" 5
db5.3_dump -p -h "$T/db" -P "$SECRET" audit.db | grep -F '"action":"forget"' >"$T/audit"
is "five forget audit lines (4 deliveries, 1 command)" "$(grep -c 'forgotten' "$T/audit")" 5
check "the audit lines name no person" not_in_file zqx "$T/audit"

# A late stage change for a deleted opportunity: Lever answers 404, nothing is sent or stored.
deliver "$ACC" "$OA" stage-screen >/dev/null
settle
is "a stage change for the deleted opportunity sends nothing" "$(sends)" 6
check "and stores nothing about alice" not_in_dump "$(email alice)"

# An account whose webhook was made by hand in Lever has one token for
# every event: its candidateDeleted is checked with that one.
printf 'hand-token-%s\n' "$$" >"$T/keys/hook"
ACC2=$(ctl account add byhand --lever-api-key-file "$T/keys/lever" --codingame-api-key-file "$T/keys/cg" \
	--webhook-token-file "$T/keys/hook")
ctl rule add "$ACC2" --tag java --stage stage-screen --campaign 1 >/dev/null
OG=$(opportunity "{\"name\":\"$(name greta)\",\"emails\":[\"$(email greta)\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
sim LEVER POST /_sim/deliver "{\"url\":\"${URL%/*}/$ACC2\",\"opportunityId\":\"$OG\",\"signatureToken\":\"hand-token-$$\"}" >/dev/null
settle
check "the hand-made webhook's account holds greta's email" in_dump "$(email greta)"
is "its candidateDeleted, signed with its one token: 200" \
	"$(sim LEVER POST /_sim/deliver "{\"url\":\"${URL%/*}/$ACC2\",\"event\":\"candidateDeleted\",\"opportunityId\":\"$OG\",\"signatureToken\":\"hand-token-$$\",\"delete\":true}" | jget 'd["status"]')" 200
settle
check "greta is forgotten" not_in_dump "$(email greta)"
is "her test is cancelled" "$(cg_status "$(test_of greta)")" cancelled

# The command's edges.
ctl forget --email nobody@example.org >"$T/none.out" 2>>"$T/ctl-forget.err"
is "an email nobody has: exit 0" "$?" 0
check "and it says so" grep -q "nothing to forget" "$T/none.out"
ctl forget --email not-an-email >/dev/null 2>"$T/bad.out"
is "a bad email argument: exit 2" "$?" 2
check "with a clear message" grep -q "forget: --email needs one email address" "$T/bad.out"

# What Berkeley DB's log still holds (decrypted with the key): reported,
# not asserted; see SECURITY.md.
n=$(db5.3_printlog -h "$T/db" -P "$SECRET" 2>/dev/null | grep -ciF "$(email alice)")
echo "# decrypted log records still naming alice's email after the checkpoint: $n"

# retention_days (730 here): finished invitations older than that lose
# their personal data in the sweep; a recent one stays.
helper finished "$ACC" opp-old-1 old1.zqx@example.org "Oldone Zqxkept" 800
helper finished "$ACC" opp-new-1 new1.zqx@example.org "Newone Zqxkept" 10
rm -f "$T/db/retention-pass"
ctl sweep 2>"$T/ctl-sweep2.err"
check "retention: an invitation finished 800 days ago is forgotten" not_in_dump old1.zqx@example.org
check "and its name" not_in_dump "Oldone Zqxkept"
check "retention: one finished 10 days ago keeps its email" in_dump new1.zqx@example.org
check "the sweep logs the count" grep -q "retention: 1 finished invitation(s) forgotten" "$T/ctl-sweep2.err"
helper finished "$ACC" opp-old-2 old2.zqx@example.org "Oldtwo Zqxkept" 800
ctl sweep 2>"$T/ctl-sweep3.err"
check "retention runs once a day: the next sweep leaves it" in_dump old2.zqx@example.org
rm -f "$T/db/retention-pass"
ctl sweep 2>"$T/ctl-sweep4.err"
check "a day later (marker gone) it is forgotten" not_in_dump old2.zqx@example.org
check "db5.3_dump read every database without an error" not_in_file error "$T/dump.err"
done_testing
