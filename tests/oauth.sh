# Sourced by the tests that connect an account with OAuth through the admin
# page (after lib.sh's setup): the simulator's OAuth app, and the browser's
# steps done with curl. Needs ACC (the account id) set before start_flow.
BASE="http://127.0.0.1:$HTTP_PORT"
REDIRECT="$BASE/oauth.fcgi/callback"
AS="admin:pw-$$"
sim LEVER POST /_sim/oauth/client "{\"client_id\":\"cglever-test\",\"client_secret\":\"client-secret-$$\",\"redirect_uri\":\"$REDIRECT\"}" >/dev/null
web() { curl -sS -u "$AS" "$@"; }
# csrf_from FILE: the first CSRF token in a saved page.
csrf_from() { sed -n 's/.*name="csrf" value="\([0-9a-f.]*\)".*/\1/p' "$1" | head -1; }
# start_flow: POSTs "Connect Lever"; prints Lever's authorize URL.
start_flow() {
	web -o "$T/admin.html" "$BASE/admin.fcgi/"
	web -o /dev/null -w '%{redirect_url}' --data-urlencode "csrf=$(csrf_from "$T/admin.html")" \
		--data "account=$ACC" "$BASE/oauth.fcgi/start"
}
# consent URL allow|deny: the simulator's consent page and its answer; prints the callback URL.
consent() {
	curl -sS -o "$T/consent.html" "$1"
	txn=$(sed -n 's/.*name="txn" value="\([^"]*\)".*/\1/p' "$T/consent.html" | head -1)
	curl -sS -o /dev/null -w '%{redirect_url}' --data "txn=$txn&decision=$2" \
		"http://127.0.0.1:$LEVER_PORT/authorize/decision"
}
# connect: the whole "Connect Lever" round; prints the callback's HTTP status.
connect() { web -o /dev/null -w '%{http_code}' "$(consent "$(start_flow)" allow)"; }
