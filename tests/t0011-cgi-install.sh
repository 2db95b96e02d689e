#!/bin/bash
# The programs also work as plain CGI; `make install` honours PREFIX and DESTDIR.
. "$(dirname "$0")/lib.sh"
NO_LIGHTTPD=1 setup
ACC=$(add_account acme)
cgi() {  # cgi METHOD PATH [BODY]: one CGI request to webhook.fcgi
	printf '%s' "${3:-}" | env -i CGLEVER_CONFIG="$CGLEVER_CONFIG" GATEWAY_INTERFACE=CGI/1.1 \
		REQUEST_METHOD="$1" PATH_INFO="$2" CONTENT_LENGTH="${#3}" "$PROG/cgi-bin/webhook.fcgi"
}
check "CGI: GET answers 405 with a Status line" grep -q "^Status: 405" <(cgi GET "/lever/$ACC" "")
check "CGI: unknown account answers 404" grep -q "^Status: 404" <(cgi POST /lever/42 '{}')
check "CGI: malformed JSON answers 400" grep -q "^Status: 400" <(cgi POST "/lever/$ACC" '{"x":')
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
body=$(python3 - "$(hook_token)" "$OPP" <<'PY'
import hmac, hashlib, json, sys, time, secrets
key, opp = sys.argv[1:]; tok = secrets.token_hex(24); t = int(time.time() * 1000)
sig = hmac.new(key.encode(), f"{tok}{t}".encode(), hashlib.sha256).hexdigest()
print(json.dumps({"event": "candidateStageChange", "triggeredAt": t, "token": tok, "signature": sig,
    "data": {"opportunityId": opp, "toStageId": "stage-screen"}}))
PY
)
check "CGI: a signed delivery answers 200" grep -q "^Status: 200" <(cgi POST "/lever/$ACC" "$body")
check "CGI: and the test goes out" wait_until 5 sends_ge 1
check "the security headers are sent" grep -q "^X-Content-Type-Options: nosniff" <(cgi GET "/lever/$ACC" "")

D="$T/destdir"
make -s -C "$TOP" install DESTDIR="$D" PREFIX=/opt/cg >"$T/install.out" 2>&1
is "make install succeeds" "$?" 0
for f in /opt/cg/sbin/cglever-ctl /opt/cg/lib/cgi-bin/cglever/webhook.fcgi \
	/opt/cg/lib/cgi-bin/cglever/oauth.fcgi /opt/cg/lib/cgi-bin/cglever/admin.fcgi \
	/etc/cglever/cglever.conf.example; do
	check "installed $f" test -f "$D$f"
done
done_testing
