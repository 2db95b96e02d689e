#!/bin/bash
# Health (issue 16 items 2 and 6): cglever's webhook deleted in Lever is
# found by the sweep's look (made immediate by "Check now"), the account
# page says it is gone, "Register again" restores deliveries; the Health
# panel shows each item (webhooks, last delivery, token and next refresh,
# CodinGame key, callback and a foreign one never replaced unasked, queue,
# failed jobs, last sweep and the cron warning); admin.fcgi/metrics is
# strict Prometheus text whose counts match the store, behind the sign-in;
# the new forms refuse a POST without CSRF or from another site.
. "$(dirname "$0")/lib.sh"
# ctl_path names a link, so that the test can take the queue runner away
# (pending jobs stay pending) and give it back.
ln -s "$PROG/bin/cglever-ctl" "$T/runner"
CTL_PATH="$T/runner"
setup
. "$TOP/tests/oauth.sh"
ADMIN="$BASE/admin.fcgi"
csrf() { web "$ADMIN/" | sed -n 's/.*name="csrf" value="\([0-9a-f.]*\)".*/\1/p' | head -1; }
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
page() { web "$ADMIN/account/$ACC"; }
# item ID: the text of the Health panel's item (tags dropped).
item() { page | tr '\n' ' ' | sed -n "s|.*<dd id=\"$1\">\(.*\)|\1|p" | sed 's|</dd>.*||; s|<[^>]*>| |g'; }
has() { item "$1" | grep -q -- "$2"; }
ours() { sim LEVER GET /_sim/webhooks | jget "len([w for w in d if w['url'].endswith('/webhook.fcgi/lever/$ACC')])"; }
looks() { sim LEVER GET /_sim/requests | jget 'len([r for r in d if r["method"] == "GET" and r["path"] == "/v1/webhooks"])'; }
post() { web -o "$T/post.html" -w '%{http_code}' "$@"; }

# --- Done-when 2: the webhook deleted in Lever --------------------------
is "the account has its two webhooks in Lever" "$(ours)" 2
check "before any look the page says so" has health-webhook "Not looked for in Lever yet"
ctl sweep
is "the first sweep looks for them at once (GET /webhooks)" "$(looks)" 1
check "the page says they are present" has health-webhook "Present in Lever when looked for"
ctl sweep
is "a second sweep within the hour does not look again" "$(looks)" 1
WID=$(sim LEVER GET /_sim/webhooks | jget "[w['id'] for w in d if w['event'] == 'candidateStageChange'][0]")
sim LEVER DELETE "/_sim/webhooks/$WID" >/dev/null
check "someone deleted the stage change webhook in Lever" test "$(ours)" = 1
O1=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
check "Lever has no webhook to deliver a stage change to" sh -c "! curl -sf -X POST -H 'Content-Type: application/json' --data '{\"url\":\"http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC\",\"opportunityId\":\"$O1\"}' http://127.0.0.1:$LEVER_PORT/_sim/deliver >/dev/null"

# The new forms: no CSRF token, or another site: refused, nothing done.
is "Check now without a CSRF token: 400" "$(post --data "" "$ADMIN/account/$ACC/webhookcheck")" 400
is "Check now from another site: 403" "$(post -H 'Sec-Fetch-Site: cross-site' --data-urlencode "csrf=$(csrf)" "$ADMIN/account/$ACC/webhookcheck")" 403
is "no look was made" "$(looks)" 1
not_gone() { ! page | grep -q 'id="webhook-gone"'; }
check "the page does not say gone yet" not_gone
is "Check now: 303" "$(post --data-urlencode "csrf=$(csrf)" "$ADMIN/account/$ACC/webhookcheck")" 303
is "it looked at once" "$(looks)" 2
check "the page says the webhook is gone from Lever" has health-webhook "gone from Lever"
check "and offers Register again" sh -c "curl -sS -u '$AS' '$ADMIN/account/$ACC' | grep -q 'account/$ACC/webhooks'"
is "Register again without a CSRF token: 400" "$(post --data "" "$ADMIN/account/$ACC/webhooks")" 400
is "Register again from another site: 403" "$(post -H "Origin: http://evil.example" --data-urlencode "csrf=$(csrf)" "$ADMIN/account/$ACC/webhooks")" 403
is "nothing registered" "$(ours)" 1
is "Register again: 303" "$(post --data-urlencode "csrf=$(csrf)" "$ADMIN/account/$ACC/webhooks")" 303
is "Lever holds exactly two cglever webhooks again" "$(ours)" 2
is "one of each event" "$(sim LEVER GET /_sim/webhooks | jget "sorted(w['event'] for w in d if w['url'].endswith('/lever/$ACC'))")" '["candidateDeleted", "candidateStageChange"]'
check "the page no longer says gone" not_gone
check "the audit log has the line" grep -q "webhooks registered again" <(web "$ADMIN/audit")
check "before a delivery the page says none" has health-delivery "None received lately"
is "a delivery after it is accepted" "$(deliver "$ACC" "$O1" stage-screen | jget 'd["status"]')" 200
wait_until 30 sends_ge 1
is "and its test sent" "$(sends)" 1
check "the page shows when the last delivery arrived" has health-delivery "ago ([0-9-]* [0-9:]* UTC)"

# --- Done-when 6: each health item ---------------------------------------
check "API key credentials" has health-token "API key (does not expire"
check "CodinGame key: when it last worked" has health-codingame "Last worked .* ago"
check "callback: not registered" has health-callback "Not registered"
is "Turn callback on: 303" "$(post --data-urlencode "csrf=$(csrf)" --data "on=1" "$ADMIN/account/$ACC/callback")" 303
check "callback: this account's" has health-callback "Registered: this account&#39;s URL"
# Another integration takes the organization's callback.
FOREIGN='https://other.example/hooks/s3cr3t-of-theirs'
curl -sS -X POST -H "API-Key: $CG_KEY" -H 'Content-Type: application/json' --data "\"$FOREIGN\"" \
	"http://127.0.0.1:$CG_PORT/assessment/api/v1.1/webhook"
cg_hook() { curl -sS -H "API-Key: $CG_KEY" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/webhook" | jget 'd["url"]'; }
check "callback: someone else's, said so" has health-callback "Registered to another URL (https://other.example"
check "with a warning" sh -c "curl -sS -u '$AS' '$ADMIN/account/$ACC' | grep -q 'id=\"callback-foreign\"'"
check "their URL's secret path is not shown" sh -c "! curl -sS -u '$AS' '$ADMIN/account/$ACC' | grep -q 's3cr3t'"
is "Turn callback on: asks first (409)" "$(post --data-urlencode "csrf=$(csrf)" --data "on=1" "$ADMIN/account/$ACC/callback")" 409
check "the question names the owner and offers to replace" sh -c "grep -q 'callback-confirm' '$T/post.html' && grep -q 'name=\"replace\"' '$T/post.html'"
is "their callback is kept" "$(cg_hook)" "$FOREIGN"
is "Turn callback off: 303" "$(post --data-urlencode "csrf=$(csrf)" --data "on=0" "$ADMIN/account/$ACC/callback")" 303
is "their callback is not removed either" "$(cg_hook)" "$FOREIGN"
is "the confirmation without a CSRF token: 400" "$(post --data "on=1&replace=1" "$ADMIN/account/$ACC/callback")" 400
is "their callback is still kept" "$(cg_hook)" "$FOREIGN"
is "confirmed (replace=1): 303" "$(post --data-urlencode "csrf=$(csrf)" --data "on=1&replace=1" "$ADMIN/account/$ACC/callback")" 303
ours_cb() { cg_hook | grep -q "/webhook.fcgi/codingame/$ACC/"; }
check "now cglever's" ours_cb

# Queue: a failed job (an unknown campaign) and pending ones (no runner).
ctl rule add "$ACC" --tag ruby --stage stage-screen --campaign 999 >/dev/null
O2=$(opportunity '{"name":"Rb","emails":["rb@example.com"],"tags":["ruby"],"stage":"stage-screen"}')
deliver "$ACC" "$O2" stage-screen >/dev/null
failed_job() { ctl jobs "$ACC" | grep -q "failed .*InvalidCampaignId"; }
wait_until 30 failed_job || nok "the job failed"
wait_runners
rm "$T/runner"
for i in 1 2; do
	O=$(opportunity "{\"name\":\"P$i\",\"emails\":[\"p$i@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$O" stage-screen >/dev/null
done
is "the store holds 2 pending jobs" "$(pending_jobs)" 2
n_failed=$(ctl jobs "$ACC" | awk 'NR > 1 && $4 == "failed"' | wc -l)
is "and 1 failed" "$n_failed" 1
check "the page: queue depth and failed jobs" has health-queue "2 pending, 1 failed"
check "the page: how long the oldest waited" has health-queue "the oldest due job has waited [0-9]* s"

# Last sweep and the cron warning.
check "last sweep shown" has health-sweep "ago ("
check "no cron warning after a recent sweep" sh -c "! curl -sS -u '$AS' '$ADMIN/account/$ACC' | grep -q 'id=\"sweep-late\"'"
touch -d '6 minutes ago' "$T/db/last-sweep"
check "a sweep 6 minutes ago: the cron warning" has health-sweep "has not run .*cglever-ctl sweep"
check "the page says when it last ran" has health-sweep "6 min ago"

# An OAuth account: token state and next refresh.
web -o /dev/null --data-urlencode "csrf=$(csrf)" --data "name=oauthco" "$ADMIN/account"
ACC2=$(ctl account list | awk '$2 == "oauthco" {print $1}')
OACC=$ACC
ACC=$ACC2
is "OAuth connect" "$(connect)" 303
check "token: valid until" has health-token "OAuth access token valid until"
check "token: next refresh a minute before expiry" has health-token "Next refresh in 5[89] min"
ACC=$OACC

# --- /metrics -----------------------------------------------------------
is "metrics without sign-in: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN/metrics")" 401
is "metrics for a user not in admin_users: 403" "$(curl -s -u "mallory:pw-$$" -o /dev/null -w '%{http_code}' "$ADMIN/metrics")" 403
web -D "$T/metrics.h" -o "$T/metrics.txt" "$ADMIN/metrics"
check "metrics: Content-Type is Prometheus text 0.0.4" grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$T/metrics.h"
python3 - "$T/metrics.txt" >"$T/metrics.json" 2>"$T/metrics.err" <<'PY'
# A strict reader of Prometheus' text format 0.0.4: each metric's HELP and
# TYPE come before its samples, every sample is name{labels} value.
import json, re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"({NAME})(?:\{{({LABEL}(?:,{LABEL})*)?\}})? (\S+)$")
help_, type_, samples, seen_done = {}, {}, [], set()
current = None
for n, line in enumerate(open(sys.argv[1]).read().split("\n"), 1):
    if line == "":
        continue
    m = re.fullmatch(rf"# (HELP|TYPE) ({NAME}) (.+)", line)
    if m:
        kind, name, rest = m.groups()
        table = help_ if kind == "HELP" else type_
        assert name not in table, f"line {n}: second {kind} for {name}"
        if kind == "TYPE":
            assert rest in ("counter", "gauge", "histogram", "summary", "untyped"), f"line {n}: type {rest}"
        assert name not in seen_done, f"line {n}: {name} comes back after other metrics"
        if current and current != name:
            seen_done.add(current)
        current = name
        table[name] = rest
        continue
    assert not line.startswith("#"), f"line {n}: a comment that is no HELP/TYPE: {line}"
    m = SAMPLE.match(line)
    assert m, f"line {n}: not a sample: {line}"
    name, labels, value = m.groups()
    assert name in help_ and name in type_, f"line {n}: {name} without HELP and TYPE before it"
    assert name == current, f"line {n}: {name} sample outside its group"
    float(value)
    lab = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
    samples.append([name, lab, float(value)])
for name in help_:
    assert name in type_, f"{name}: HELP without TYPE"
json.dump(samples, sys.stdout)
PY
rc=$?
is "metrics parse as Prometheus text ($(tr '\n' ' ' <"$T/metrics.err" | tail -c 300))" "$rc" 0
# metric NAME ACCOUNT [LABEL=VALUE]: the sample's value (integer).
metric() {
	python3 -c '
import json, sys
name, acc, extra = sys.argv[2], sys.argv[3], sys.argv[4:]
want = {"account": acc} if acc != "-" else {}
want.update(e.split("=", 1) for e in extra)
v = [s[2] for s in json.load(open(sys.argv[1])) if s[0] == name and s[1] == want]
print(int(v[0]) if len(v) == 1 else "none" if not v else "many")' "$T/metrics.json" "$@"
}
is "metrics: pending jobs match cglever-ctl jobs" "$(metric cglever_jobs "$ACC" state=pending)" "$(pending_jobs)"
is "metrics: failed jobs match" "$(metric cglever_jobs "$ACC" state=failed)" "$n_failed"
n_sent=$(ctl invitations "$ACC" | awk 'NR > 1 && $3 == "sent"' | wc -l)
is "metrics: sent invitations match cglever-ctl invitations ($n_sent)" "$(metric cglever_invitations "$ACC" state=sent)" "$n_sent"
n_wait=$(ctl invitations "$ACC" | awk 'NR > 1 && $3 == "waiting_email"' | wc -l)
is "metrics: waiting_email invitations match" "$(metric cglever_invitations "$ACC" state=waiting_email)" "$n_wait"
is "metrics: tests without a result yet: the sent ones" "$(metric cglever_tests "$ACC" result=none)" "$n_sent"
is "metrics: the webhook is not missing" "$(metric cglever_webhook_missing "$ACC")" 0
last=$(metric cglever_last_delivery_timestamp_seconds "$ACC")
check "metrics: last delivery within the last 10 minutes ($last)" test "$last" -gt $(( $(date +%s) - 600 ))
is "metrics: last sweep is the stamp's time" "$(metric cglever_last_sweep_timestamp_seconds -)" "$(stat -c %Y "$T/db/last-sweep")"
check "metrics: the OAuth account's token expiry is about an hour ahead" \
	test "$(metric cglever_lever_token_expiry_timestamp_seconds "$ACC2")" -gt $(( $(date +%s) + 3000 ))
is "metrics: the API key account has no token expiry" "$(metric cglever_lever_token_expiry_timestamp_seconds "$ACC")" none
# Done-when 2 seen in the metrics: gone, then back.
WID=$(sim LEVER GET /_sim/webhooks | jget "[w['id'] for w in d if w['event'] == 'candidateDeleted' and w['url'].endswith('/lever/$ACC')][0]")
sim LEVER DELETE "/_sim/webhooks/$WID" >/dev/null
post --data-urlencode "csrf=$(csrf)" "$ADMIN/account/$ACC/webhookcheck" >/dev/null
web -o "$T/metrics2.txt" "$ADMIN/metrics"
check "metrics: the deletion webhook gone: webhook_missing 1" grep -qx "cglever_webhook_missing{account=\"$ACC\"} 1" "$T/metrics2.txt"

# Give the runner back: the pending jobs are worked.
ln -s "$PROG/bin/cglever-ctl" "$T/runner"
ctl sweep
settle
done_testing
