#!/bin/bash
# The test's whole life on the timeline (issue 16, items 3 and 4): an
# expired or cancelled test gets its note and codingame-expired /
# codingame-cancelled tag once; the rule's reminder makes CodinGame resend
# an unstarted test once (never twice, even after a lost reply; never for
# a started test) and says so on the timeline; with the account option
# on, CodinGame's PDF report is attached to the opportunity once, even
# after a lost reply, and with it off nothing is. The options form
# refuses bad input.
#
# "Days" made short: the reminder counts from CodinGame's send_time of
# the test (the invitation's age at CodinGame), so the test moves that
# send_time a day into the past in the simulator (POST
# /_sim/tests/ID/expire {"as":"waiting","send_time":MS}) instead of
# waiting or adding a configuration knob.
#
# CodinGame's callbacks for one test are taken at most once a minute
# (INTAKE_CALLBACK_GAP_MS): each test gets its first look at once, and the
# second looks all come together a minute later.
. "$(dirname "$0")/lib.sh"
EXTRA_CONF="job_backoff_seconds = 1" LEASE=2 setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 --reminder-days 1 >/dev/null
is "rule add refuses --reminder-days 0" "$(ctl rule add "$ACC" --tag x --stage stage-screen --campaign 1 --reminder-days 0 >/dev/null 2>&1; echo $?)" 2
is "and --reminder-days 61" "$(ctl rule add "$ACC" --tag x --stage stage-screen --campaign 1 --reminder-days 61 >/dev/null 2>&1; echo $?)" 2
check "callback on" ctl callback "$ACC" on
CBURL=$(curl -s -H "API-Key: $CG_KEY" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/webhook" | jget 'd["url"]')

count_notes() { sim LEVER GET "/_sim/notes?opportunity=$1" | jget "len([n for n in d['notes'] if '$2' in n['value']])"; }
has_notes() { [ "$(count_notes "$1" "$2")" -ge 1 ]; }
test_of() { sim CG GET /_sim/sends | jget "[s['test_id'] for s in d['sends'] if s['candidate_email']=='$1@example.com'][0]"; }
candidate() {  # candidate NAME: a tagged candidate moved to the stage; prints the opportunity id
	o=$(opportunity "{\"name\":\"$1\",\"emails\":[\"$1@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$o" stage-screen >/dev/null
	wait_until 60 has_notes "$o" "CodinGame test sent" || true
	echo "$o"
}
tags() { sim LEVER GET "/_sim/opportunities/$1" | jget "sorted(t for t in (d.get('tags') or d['data']['tags']) if t.startswith('codingame-'))"; }
requests() {  # requests METHOD PATH_SUFFIX: how many the Lever simulator answered
	sim LEVER GET /_sim/requests | jget "len([r for r in d if r['method']=='$1' and r['path'].endswith('$2')])"
}
callback() { curl -s -o /dev/null -H 'Content-Type: application/json' -d "{\"test_id\":$1,\"status\":\"x\"}" "$CBURL"; }
# poke TEST: CodinGame's callback names the test (its first look), then a sweep.
poke() { callback "$1"; settle; ctl sweep; wait_runners; }
resends() { sim CG GET "/_sim/tests/$1" | jget 'd["resends"]'; }
day_ago() { echo $(( $(date +%s%3N) - 86400000 - 60000 )); }

# --- the options form (Done-when 4 needs it on) ---
BASE="http://127.0.0.1:$HTTP_PORT/admin.fcgi"
AS="admin:pw-$$"
web() { curl -sS -u "$AS" "$@"; }
csrf() { web "$BASE/" | sed -n 's/.*name="csrf" value="\([0-9a-f.]*\)".*/\1/p' | head -1; }
attach_on() { web "$BASE/account/$ACC" | grep -q 'name="attach_report" value="1" checked'; }
check "the account page has the options form" sh -c "curl -sS -u '$AS' '$BASE/account/$ACC' | grep -q 'action=\"[^\"]*/account/$ACC/options\"'"
check "the option starts off" eval '! attach_on'
is "options without a CSRF token: 400" "$(web -o /dev/null -w '%{http_code}' --data 'attach_report=1' "$BASE/account/$ACC/options")" 400
is "with a forged token: 403" "$(web -o /dev/null -w '%{http_code}' --data "csrf=1795000000000.$(openssl rand -hex 32)&attach_report=1" "$BASE/account/$ACC/options")" 403
is "from another site: 403" "$(web -o /dev/null -w '%{http_code}' -H 'Origin: https://evil.example' -H 'Sec-Fetch-Site: cross-site' --data-urlencode "csrf=$(csrf)" --data 'attach_report=1' "$BASE/account/$ACC/options")" 403
is "a value other than 1: 400" "$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data 'attach_report=7' "$BASE/account/$ACC/options")" 400
check "none of them changed anything" eval '! attach_on'
check "no options audit line yet" eval "! web '$BASE/audit' | grep -q 'attach report'"
is "the option turned on: 303" "$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data 'attach_report=1' "$BASE/account/$ACC/options")" 303
check "the page shows it on" attach_on
check "and the audit log records it" sh -c "curl -sS -u '$AS' '$BASE/audit' | grep -q 'attach report on'"

# --- first looks ---
O1=$(candidate ada); T1=$(test_of ada)     # expires
O2=$(candidate bob); T2=$(test_of bob)     # cancelled
O3=$(candidate cy); T3=$(test_of cy)       # unstarted a day after it was sent
O4=$(candidate dee); T4=$(test_of dee)     # started a day after it was sent
O5=$(candidate eve); T5=$(test_of eve)     # unstarted, the resend's reply lost
O6=$(candidate fay); T6=$(test_of fay)     # completed: report attached
O7=$(candidate gus); T7=$(test_of gus)     # completed: the upload's reply lost
O9=$(candidate ivy); T9=$(test_of ivy)     # sent today
wait_runners
sim CG POST "/_sim/tests/$T1/expire" '{}' >/dev/null
sim CG POST "/_sim/tests/$T2" '{"status":"cancelled"}' >/dev/null
for t in "$T3" "$T4" "$T5"; do
	sim CG POST "/_sim/tests/$t/expire" "{\"as\":\"waiting\",\"send_time\":$(day_ago)}" >/dev/null
done
sim CG POST "/_sim/tests/$T4" '{"status":"in_progress"}' >/dev/null
sim CG POST /_sim/faults "{\"method\":\"POST\",\"path\":\"/tests/$T5/actions/resend\$\",\"action\":\"status_after\",\"status\":502}" >/dev/null
sim CG POST "/_sim/tests/$T6" '{"status":"completed","score":80}' >/dev/null
sim CG POST "/_sim/tests/$T7" '{"status":"completed","score":30}' >/dev/null
sim LEVER POST /_sim/faults "{\"method\":\"POST\",\"path\":\"$O7/files\$\",\"action\":\"status_after\",\"status\":502}" >/dev/null
for t in "$T1" "$T2" "$T3" "$T4" "$T5" "$T6" "$T7" "$T9"; do poke "$t"; done

# Done-when 3.
check "the expired test's note is on the timeline" has_notes "$O1" "CodinGame test expired"
is "tagged codingame-expired" "$(tags "$O1")" '["codingame-expired"]'
check "the cancelled test's note" has_notes "$O2" "CodinGame test cancelled"
is "tagged codingame-cancelled" "$(tags "$O2")" '["codingame-cancelled"]'
is "a day after CodinGame sent it, unstarted: CodinGame resent it once" "$(resends "$T3")" 1
check "and the timeline says so" has_notes "$O3" "sent the candidate a reminder"
is "a started test gets no reminder" "$(resends "$T4")" 0
is "a resend whose reply was lost: asked once" "$(resends "$T5")" 1
is "sent today: no reminder yet" "$(resends "$T9")" 0
# Done-when 4.
files_of() { sim LEVER GET "/_sim/files?opportunity=$1"; }
n_files() { files_of "$1" | jget 'len(d["files"])'; }
pdf_sha() { curl -s -H "API-Key: $CG_KEY" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/tests/$1/report?report_type=full" | sha256sum | cut -d ' ' -f 1; }
is "completed: the report is attached" "$(n_files "$O6")" 1
is "as codingame-report-TEST.pdf, a PDF" "$(files_of "$O6" | jget '[(f["name"], f["contentType"]) for f in d["files"]]')" "[[\"codingame-report-$T6.pdf\", \"application/pdf\"]]"
is "the very bytes of CodinGame's report" "$(files_of "$O6" | jget 'd["files"][0]["sha256"]')" "$(pdf_sha "$T6")"
is "the upload whose reply was lost is there" "$(n_files "$O7")" 1
check "and was looked for among the opportunity's files" [ "$(requests GET "$O7/files")" -ge 1 ]
is "its bytes are the report's" "$(files_of "$O7" | jget 'd["files"][0]["sha256"]')" "$(pdf_sha "$T7")"
is "its result note was posted all the same" "$(count_notes "$O7" "CodinGame result")" 1
sim CG DELETE /_sim/faults >/dev/null
sim LEVER DELETE /_sim/faults >/dev/null

# --- second looks: a callback for each test (taken a minute after the
# first), and sweeps until the queue is empty ---
for t in "$T1" "$T2" "$T3" "$T4" "$T5" "$T6" "$T7"; do callback "$t"; done
swept() { ctl sweep >/dev/null; [ "$(pending_jobs)" -eq 0 ]; }
check "the second looks are taken" wait_until 150 swept
wait_runners; ctl sweep; wait_runners
is "still one expiry note" "$(count_notes "$O1" "CodinGame test expired")" 1
is "one cancellation note" "$(count_notes "$O2" "CodinGame test cancelled")" 1
is "the expired tag was asked for once" "$(requests POST "$O1/addTags")" 1
is "the cancelled tag was asked for once" "$(requests POST "$O2/addTags")" 1
is "neither got a reminder" "$(resends "$T1")$(resends "$T2")" 00
is "still one resend" "$(resends "$T3")" 1
is "and one reminder note" "$(count_notes "$O3" "reminder")" 1
is "a started test never gets a reminder" "$(resends "$T4")" 0
is "nor a reminder note" "$(count_notes "$O4" "reminder")" 0
is "a resend whose reply was lost is never repeated" "$(resends "$T5")" 1
is "the lost resend was asked for once" "$(sim CG GET /_sim/requests | jget "len([r for r in d if r['path'].endswith('/tests/$T5/actions/resend')])")" 1
is "one report file" "$(n_files "$O6")" 1
is "uploaded once" "$(requests POST "$O6/files")" 1
is "after the lost reply: one report file" "$(n_files "$O7")" 1
is "uploaded once" "$(requests POST "$O7/files")" 1

# --- the option off: no file ---
is "the option turned off: 303" "$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" "$BASE/account/$ACC/options")" 303
check "the page shows it off" eval '! attach_on'
O8=$(candidate hal); T8=$(test_of hal)
wait_runners
sim CG POST "/_sim/tests/$T8" '{"status":"completed","score":90}' >/dev/null
poke "$T8"
check "the result note is posted" has_notes "$O8" "CodinGame result"
is "with the option off nothing is attached" "$(n_files "$O8")" 0
is "and CodinGame's report was not even fetched" "$(sim CG GET "/_sim/tests/$T8" | jget 'd["reports"]')" 0
done_testing
