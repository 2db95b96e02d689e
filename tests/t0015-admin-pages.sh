#!/bin/bash
# The admin pages: valid HTML, CSRF and sign-in enforced, hostile text
# escaped and harmless, retry/resend/cancel acting once (a cancel's note
# at once), campaign figures matching the store, and pending work visible
# when no queue runner can start.
. "$(dirname "$0")/lib.sh"
need tidy gcc
# ctl_path names a link to cglever-ctl, so that the test can take the
# runner away (ctl_path naming a missing file) and give it back.
ln -s "$PROG/bin/cglever-ctl" "$T/runner"
CTL_PATH="$T/runner"
setup
BASE="http://127.0.0.1:$HTTP_PORT/admin.fcgi"
AS="admin:pw-$$"
web() { curl -sS -u "$AS" "$@"; }
csrf() { web "$BASE/" | sed -n 's/.*name="csrf" value="\([0-9a-f.]*\)".*/\1/p' | head -1; }
ACC=$(add_account acme)
XSS='<script>alert(1)</script>"'"'"'&'

# Every page is valid HTML (tidy: no errors), and escapes what is stored.
web -o /dev/null --data-urlencode "csrf=$(csrf)" --data-urlencode "name=$XSS" "$BASE/account"
XACC=$(ctl account list | awk '/script/ {print $1}')
check "an account named with a script tag is stored as typed" test -n "$XACC"
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 --pass 70 --fail 40 >/dev/null
O1=$(opportunity '{"name":"Ada <b>","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$O1" stage-screen >/dev/null
wait_until 5 sends_ge 1
RULE=$(ctl rule list | awk 'NR==2 {print $1}')
for p in "" "account/$ACC" "account/$XACC" "account/$ACC/activity" "account/$ACC/campaigns" \
	"rule/$RULE/edit" "audit"; do
	web -o "$T/page.html" "$BASE/$p"
	tidy -q -e "$T/page.html" >"$T/tidy.txt" 2>&1
	errors=$(grep -c "Error:" "$T/tidy.txt")
	is "valid HTML: /$p ($(head -c 200 "$T/tidy.txt" | tr '\n' ' '))" "$errors" 0
	check "no raw script tag on /$p" sh -c "! grep -q '<script>' '$T/page.html'"
done
check "the hostile name is shown escaped" grep -q "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;" <(web "$BASE/")
check "pages carry a CSP without inline script" grep -qi "^Content-Security-Policy: default-src 'none'" <(web -D - -o /dev/null "$BASE/")
check "and X-Frame-Options DENY" grep -qi "^X-Frame-Options: DENY" <(web -D - -o /dev/null "$BASE/")
check "and no caching" grep -qi "^Cache-Control: no-store" <(web -D - -o /dev/null "$BASE/account/$ACC")

# Sign-in and CSRF.
is "no REMOTE_USER: refused by the server" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/")" 401
is "a user not in admin_users: 403" "$(curl -s -u "mallory:pw-$$" -o "$T/p.html" -w '%{http_code}' "$BASE/")" 403
check "the 403 page says how to set up access" grep -q "admin_users" "$T/p.html"
n_rules() { ctl rule list | tail -n +2 | wc -l; }
before=$(n_rules)
is "a POST without a CSRF token: refused" "$(web -o /dev/null -w '%{http_code}' --data "tag=java&stage=stage-screen&campaign=2" "$BASE/account/$ACC/rules")" 400
is "a POST with a forged CSRF token: 403" "$(web -o /dev/null -w '%{http_code}' --data "csrf=1795000000000.$(openssl rand -hex 32)&tag=java&stage=stage-screen&campaign=2" "$BASE/account/$ACC/rules")" 403
TOKB=$(curl -sS -u "boss:pw-$$" "$BASE/" | sed -n 's/.*name="csrf" value="\([0-9a-f.]*\)".*/\1/p' | head -1)
is "another admin's CSRF token: 403" "$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$TOKB" --data "tag=java&stage=stage-screen&campaign=2" "$BASE/account/$ACC/rules")" 403
is "nothing changed" "$(n_rules)" "$before"

# A hostile value in every text field of the rule form: refused or stored
# as plain text, never markup.
code=$(web -o "$T/p.html" -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data-urlencode "tag=$XSS" \
	--data-urlencode "stage=$XSS" --data "campaign=1" "$BASE/account/$ACC/rules")
is "a script tag as a stage id: 400" "$code" 400
check "the error is shown next to the field, the page escaped" sh -c "grep -q 'field-error' '$T/p.html' && ! grep -q '<script>' '$T/p.html'"
code=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data-urlencode "tag=$XSS" \
	--data "stage=stage-onsite&campaign=2&pass=50" --data-urlencode "pass_tag=$XSS" \
	--data-urlencode "fail_tag=$XSS" --data-urlencode "review_tag=$XSS" "$BASE/account/$ACC/rules")
is "a script tag as tags: stored (303)" "$code" 303
check "and shown escaped" sh -c "web() { curl -sS -u '$AS' \"\$@\"; }; ! web '$BASE/account/$ACC' | grep -q '<script>'"
code=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data-urlencode "codingame_key=$XSS" "$BASE/account/$ACC/codingame")
is "a script tag as CodinGame key: checked with CodinGame, refused (400)" "$code" 400
check "the audit log records changes, escaped" grep -q "rule added" <(web "$BASE/audit")

# Retry, resend, cancel: each acts once.
T1=$(sim CG GET /_sim/sends | jget 'd["sends"][0]["test_id"]')
action() { web -o "$T/act.html" -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data "$1" "$BASE/account/$ACC/action"; }
is "resend: 303" "$(action "action=resend&test=$T1")" 303
is "CodinGame resent the email once" "$(sim CG GET "/_sim/tests/$T1" | jget 'd["resends"]')" 1
check "the activity page says so" grep -q "sent the invitation email again" <(web "$BASE/account/$ACC/activity?msg=resent")
is "cancel: 303" "$(action "action=cancel&test=$T1")" 303
is "the test is cancelled in CodinGame" "$(sim CG GET "/_sim/tests/$T1" | jget 'd["status"]')" cancelled
# The timeline says so at once: no sweep runs before this check (a sweep
# would only poll tests whose next poll is due, and a cancel moves none).
cancel_notes() { sim LEVER GET "/_sim/notes?opportunity=$O1" |
	jget 'len([n for n in d["notes"] if n["value"].startswith("CodinGame test cancelled")])'; }
has_cancel_note() { [ "$(cancel_notes)" -ge 1 ]; }
check "the cancelled test gets its note without a sweep" wait_until 20 has_cancel_note
is "cancelling again: refused by CodinGame (400)" "$(action "action=cancel&test=$T1")" 400
is "a test of another account: 400" "$(action "action=resend&test=999999")" 400
wait_runners
ctl sweep
is "the cancel note is posted once (a sweep adds none)" "$(cancel_notes)" 1
ctl rule add "$ACC" --tag ruby --stage stage-screen --campaign 999 >/dev/null
O2=$(opportunity '{"name":"Rb","emails":["rb@example.com"],"tags":["ruby"],"stage":"stage-screen"}')
deliver "$ACC" "$O2" stage-screen >/dev/null
failed_job() { ctl jobs "$ACC" | grep -q "failed .*InvalidCampaignId"; }
wait_until 10 failed_job
JOB=$(ctl jobs "$ACC" | awk '/failed/ {print $1}' | head -1)
check "the failed job is listed with a Retry button" grep -q "value=\"$JOB\"" <(web "$BASE/account/$ACC/activity")
sim CG POST /_sim/campaigns '{"campaigns":[{"id":1,"name":"Java"},{"id":2,"name":"Python"},{"id":999,"name":"Ruby"}]}' >/dev/null
is "retry: 303" "$(action "action=retry&job=$JOB")" 303
ruby_sent() { [ "$(sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['campaign_id']==999])")" -ge 1 ]; }
check "the retried job sends the test" wait_until 10 ruby_sent
wait_runners
is "once" "$(sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['campaign_id']==999])")" 1
is "retrying a job that is no longer failed: 400" "$(action "action=retry&job=$JOB")" 400

# Campaign summary: seeded results against the store.
for i in 1 2 3 4 5; do
	O=$(opportunity "{\"name\":\"S$i\",\"emails\":[\"s$i@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$O" stage-screen >/dev/null
done
wait_until 10 sends_ge 7; wait_runners
for spec in "s1 95" "s2 72" "s3 55" "s4 12"; do
	set -- $spec
	tid=$(sim CG GET /_sim/sends | jget "[s['test_id'] for s in d['sends'] if s['candidate_email']=='$1@example.com'][0]")
	sim CG POST "/_sim/tests/$tid" "{\"status\":\"completed\",\"score\":$2}" >/dev/null
done
ctl sweep
web "$BASE/account/$ACC/campaigns" >"$T/camp.html"
python3 - "$T/camp.html" >"$T/camp.txt" <<'PY'
import re, sys
html = open(sys.argv[1]).read()
sec = re.search(r'data-campaign="1">(.*?)</section>', html, re.S).group(1)
get = lambda c: re.search(r'class="%s">([^<]*)<' % c, sec).group(1)
bars = [int(n) for n in re.findall(r'data-count="(\d+)"', sec)]
print(get("sent"), get("completed"), get("waiting"), get("median"), get("passrate"), bars)
PY
# Campaign 1: ada (cancelled), s1..s5 sent; s1..s4 completed 95, 72, 55, 12; s5 waiting.
# Median of 12, 55, 72, 95 = 63.5; pass at 70: 95 and 72 pass -> 50%.
is "campaign 1 summary: sent, completed, waiting, median, pass rate, bars" "$(cat "$T/camp.txt")" \
	"6 4 1 63.5% 50% [0, 1, 0, 0, 0, 1, 0, 1, 0, 1]"

# Backfill: explicit, listed first (a POST: it calls Lever), sent once.
OLD=$(opportunity '{"name":"Old Timer","emails":["old@example.com"],"tags":["java"],"stage":"stage-screen"}')
web --data-urlencode "csrf=$(csrf)" "$BASE/rule/$RULE/preview" >"$T/bf.html"
check "the backfill page lists the candidate who never got the test" grep -q "Old Timer" "$T/bf.html"
check "and not those who did" sh -c "! grep -q 'Ada' '$T/bf.html'"
is "nothing is sent before the confirmation" "$(sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['candidate_email']=='old@example.com'])")" 0
is "confirm: 303" "$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" "$BASE/rule/$RULE/backfill")" 303
old_sent() { [ "$(sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['candidate_email']=='old@example.com'])")" -ge 1 ]; }
check "the test goes out" wait_until 60 old_sent
wait_runners
web -o /dev/null --data-urlencode "csrf=$(csrf)" "$BASE/rule/$RULE/backfill"
settle
is "a second confirmation sends nothing more" "$(sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['candidate_email']=='old@example.com'])")" 1
check "the page now lists nobody" grep -q "Nobody" <(web --data-urlencode "csrf=$(csrf)" "$BASE/rule/$RULE/preview")

# A runner that cannot start (ctl_path names a missing file): Lever is
# answered and the job queued; the Activity page lists it as pending with
# its age, and the account page warns once it has waited over a minute.
wait_runners
rm "$T/runner"
O4=$(opportunity '{"name":"Pat","emails":["pat@example.com"],"tags":["java"],"stage":"stage-screen"}')
is "a delivery while no runner can start: 200" "$(deliver "$ACC" "$O4" stage-screen | jget 'd["status"]')" 200
ERRLOG="$T/lighttpd.err"; [ "$HTTPD" = apache ] && ERRLOG="$T/httpd.err"
check "the web server's log says why" wait_until 10 grep -q "cannot start the queue runner $T/runner" "$ERRLOG"
# pending FILE OPP: the "Queued" and "Next try" cells of OPP's pending job.
pending() { python3 - "$1" "$2" <<'PY'
import html, re, sys
page, opp = open(sys.argv[1]).read(), sys.argv[2]
for row in re.findall(r'<tr class="pending">(.*?)</tr>', page, re.S):
    cells = [html.unescape(re.sub(r'<[^>]*>', '', c)) for c in re.findall(r'<td[^>]*>(.*?)</td>', row, re.S)]
    if cells[1] == opp:
        print(cells[2] + " | " + cells[4])
PY
}
web "$BASE/account/$ACC/activity" >"$T/pending.html"
check "the Activity page lists the job as pending, with its age ($(pending "$T/pending.html" "$O4"))" \
	grep -Eq '^[0-9]+ s ago \| due' <(pending "$T/pending.html" "$O4")
no_warning() { ! grep -q 'id="queue-late"' "$1"; }
web "$BASE/account/$ACC" >"$T/acct.html"
check "the account page does not warn before a minute" no_warning "$T/acct.html"
# A minute later, without waiting one: the admin program runs as plain
# CGI with the wall clock read 2 minutes ahead (an LD_PRELOAD shim over
# clock_gettime); the store and the job are as they were.
cat >"$T/later.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int r;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	r = real(id, ts);
	if (r == 0 && id == CLOCK_REALTIME)
		ts->tv_sec += 120;
	return r;
}
C
gcc -shared -fPIC -o "$T/later.so" "$T/later.c" -ldl || die "cannot build the clock shim"
own "$T/later.so"
RUNAS=(); [ "$HTTPD" = apache ] && RUNAS=(setpriv --reuid="$APP_USER" --regid="$APP_USER" --clear-groups)
later() {  # later PATH: the page at admin.fcgi/PATH two minutes from now (no headers)
	env -i CGLEVER_CONFIG="$CGLEVER_CONFIG" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
		PATH_INFO="$1" QUERY_STRING= REMOTE_USER=admin LD_PRELOAD="$T/later.so" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"${RUNAS[@]}" "$PROG/cgi-bin/admin.fcgi" 2>>"$T/later.err" | sed '1,/^\r$/d'
}
later "/account/$ACC" >"$T/late.html"
check "two minutes later the account page warns" grep -q 'id="queue-late"' "$T/late.html"
check "and says what to check: the runner, ctl_path, the sweep from cron" \
	sh -c "grep -q 'ctl_path' '$T/late.html' && grep -q 'cglever-ctl sweep' '$T/late.html' && grep -q 'cron' '$T/late.html'"
later "/account/$ACC/activity" >"$T/late-act.html"
check "and the job's age there is 2 min ($(pending "$T/late-act.html" "$O4"))" \
	grep -Eq '^2 min ago \| due, waiting for a runner for 2 min' <(pending "$T/late-act.html" "$O4")
tidy -q -e "$T/late.html" >"$T/tidy.txt" 2>&1
is "the warning is valid HTML" "$(grep -c "Error:" "$T/tidy.txt")" 0
# The runner back: the sweep works the waiting job; nothing was lost.
ln -s "$PROG/bin/cglever-ctl" "$T/runner"
own "$T/runner"
ctl sweep
pat_sent() { [ "$(sim CG GET /_sim/sends | jget "len([s for s in d['sends'] if s['candidate_email']=='pat@example.com'])")" -eq 1 ]; }
check "the runner back, the sweep sends the waiting test" pat_sent
later "/account/$ACC" >"$T/late.html"
check "and the warning is gone" no_warning "$T/late.html"
done_testing
