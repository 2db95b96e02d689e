#!/bin/bash
# The admin pages in a real browser: headless Chromium driven by Selenium
# (tests/admin_browser.py) signs in with the web server's basic auth, creates
# account acme with the form, connects Lever through the simulator's consent
# page, saves the CodinGame key, adds a rule from the live drop-downs, sees
# the candidate in Activity after a stage change, edits the rule (campaign
# 2) and deletes it, switches the callback on and off, opens Campaigns and
# disconnects. Screenshots of every step (the artifacts):
# tests/tmp/t0014-admin-browser/NN-*.png.
. "$(dirname "$0")/lib.sh"
need chromium chromedriver timeout
need_selenium
setup
BASE="http://127.0.0.1:$HTTP_PORT"
sim LEVER POST /_sim/oauth/client "{\"client_id\":\"cglever-test\",\"client_secret\":\"client-secret-$$\",\"redirect_uri\":\"$BASE/oauth.fcgi/callback\"}" >/dev/null
# Lever's tags are those its opportunities carry: java, python, senior.
OPP=$(opportunity '{"name":"Ada Lovelace","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
opportunity '{"name":"Guido","emails":["guido@example.com"],"tags":["python","senior"],"stage":"stage-applied"}' >/dev/null
[ -n "$OPP" ] || die "the Lever simulator did not create the opportunity"

# The browser script runs cglever-ctl as the test's ctl() does.
CTLW="$TOP/bin/cglever-ctl"
if [ "$HTTPD" = apache ]; then
	CTLW="$T/ctl-wrapper"
	printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups %s "$@"\n' \
		"$APP_USER" "$APP_USER" "$PROG/bin/cglever-ctl" >"$CTLW"
	chmod 755 "$CTLW"
fi
# The browser script prints its own TAP lines; they count here too.
run_browser 240 admin_browser.py --base "$BASE" --user admin --password "pw-$$" \
	--lever "http://127.0.0.1:$LEVER_PORT" --cg "http://127.0.0.1:$CG_PORT" --cg-key "$CG_KEY" \
	--opportunity "$OPP" --candidate "Ada Lovelace" --email ada@example.com --ctl "$CTLW"
shots=$(ls "$T"/[0-9][0-9]-*.png 2>/dev/null | wc -l)
check "the browser left its screenshots ($shots) in $T" test "$shots" -gt 0

# What the clicks left behind, seen from the store and the simulators.
ACC=$(cat "$T/account-id" 2>/dev/null)
check "the form created account acme" grep -q "^${ACC:-none} .*acme " <(ctl account list)
check "with the CodinGame key saved and Lever disconnected at the end" \
	grep -q "^${ACC:-none} .*acme .* none .* api-key .* none .* disconnected: disconnected by admin" <(ctl account list)
is "exactly one test went out, to Ada, campaign 1" \
	"$(sim CG GET /_sim/sends | jget '[(s["candidate_email"], s["campaign_id"]) for s in d["sends"]]')" \
	'[["ada@example.com", 1]]'
is "no rule is left" "$(ctl rule list | tail -n +2 | wc -l)" 0
is "no webhook is left in Lever" "$(sim LEVER GET /_sim/webhooks | jget 'len(d)')" 0
done_testing
