#!/bin/bash
# Issue 14's web edges. One Lever rate limit per account across every
# process: admin pages (lists, backfill previews) and a runner working a
# backlog at once stay within 10 requests in any second, with no 429;
# the backfill preview is a POST and admin.fcgi refuses requests from
# other sites. The CSRF key is derived from the passphrase, not the
# passphrase itself. Numbers are plain, bounded digits: an overlong
# campaign id and a "+12" Content-Length are refused with 400.
. "$(dirname "$0")/lib.sh"
FCGI_PROCS=4 setup
BASE="http://127.0.0.1:$HTTP_PORT/admin.fcgi"
AS="admin:pw-$$"
web() { curl -sS -u "$AS" "$@"; }
csrf() { web "$BASE/" | sed -n 's/.*name="csrf" value="\([0-9a-f.]*\)".*/\1/p' | head -1; }
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
RULE=$(ctl rule list | awk 'NR==2 {print $1}')
n_rules() { ctl rule list | tail -n +2 | wc -l; }

# --- A: cross-site requests and the preview as a POST ---
is "the preview is no longer a GET (an <img> cannot start it)" \
	"$(web -o /dev/null -w '%{http_code}' "$BASE/rule/$RULE/backfill")" 404
is "a GET with Sec-Fetch-Site: cross-site: 403" \
	"$(web -o "$T/xs.html" -w '%{http_code}' -H 'Sec-Fetch-Site: cross-site' "$BASE/account/$ACC")" 403
check "the 403 says the request came from another site" grep -q "another web site" "$T/xs.html"
is "a POST with another site's Origin: 403" \
	"$(web -o /dev/null -w '%{http_code}' -H 'Origin: https://evil.example' --data-urlencode "csrf=$(csrf)" "$BASE/rule/$RULE/preview")" 403
is "an Origin of this site: allowed" \
	"$(web -o /dev/null -w '%{http_code}' -H "Origin: http://127.0.0.1:$HTTP_PORT" -H 'Sec-Fetch-Site: same-origin' --data-urlencode "csrf=$(csrf)" "$BASE/rule/$RULE/preview")" 200
is "a form POST from our own page (Origin: null under no-referrer, same-origin): allowed" \
	"$(web -o /dev/null -w '%{http_code}' -H 'Origin: null' -H 'Sec-Fetch-Site: same-origin' --data-urlencode "csrf=$(csrf)" "$BASE/rule/$RULE/preview")" 200
is "no Origin and no Sec-Fetch-Site (curl): allowed" "$(web -o /dev/null -w '%{http_code}' "$BASE/account/$ACC")" 200

# --- A: one limit across processes ---
# A backlog: 60 candidates in the stage, delivered at once; while the
# runner works them, 4 FastCGI processes serve 40 page views that list
# tags and stages and 30 backfill previews (each lists opportunities).
deliver_burst "$ACC" 60 16 >"$T/load.txt"
is "60 deliveries answered 200" "$(cat "$T/load.txt")" "200 60"
TOK=$(csrf)
pages() {
	for i in $(seq 1 10); do
		web -o /dev/null -w '%{http_code}\n' "$BASE/account/$ACC"
		web -o /dev/null -w '%{http_code}\n' "$BASE/rule/$RULE/edit"
	done
}
previews() {
	for i in $(seq 1 10); do
		web -o /dev/null -w '%{http_code}\n' --data-urlencode "csrf=$TOK" "$BASE/rule/$RULE/preview"
	done
}
( pages & pages & previews & previews & previews & wait ) >"$T/codes.txt"
is "70 page views and previews answered 200" "$(sort -u "$T/codes.txt" | tr '\n' ' ')$(wc -l <"$T/codes.txt")" "200 70"
check "the backlog is sent" wait_until 120 sends_ge 60
wait_runners
st=$(sim LEVER GET /_sim/stats)
echo "# Lever stats: $st"
max=$(echo "$st" | jget 'd["max_1s"]')
check "at most 10 Lever requests in any second (max_1s $max)" test "$max" -le 10
is "Lever never answered 429" "$(echo "$st" | jget 'd["rate_limited"]')" 0
check "one bucket file for the account in db_home" test -f "$T/db/rate-$ACC.bucket"

# --- B: the CSRF key is not the passphrase ---
# The token as the old code made it: HMAC-SHA256 keyed with the raw
# passphrase over "csrf\0" user "\0" ts.
OLDTOK=$(python3 - "$T/keys/secret" <<'PY'
import hashlib, hmac, sys, time
key = open(sys.argv[1]).readline().rstrip("\r\n").encode()
ts = str(int(time.time() * 1000))
print(ts + "." + hmac.new(key, b"csrf\0admin\0" + ts.encode(), hashlib.sha256).hexdigest())
PY
)
before=$(n_rules)
is "a CSRF token keyed with the raw passphrase: 403" \
	"$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$OLDTOK" --data "tag=java&stage=stage-onsite&campaign=2" "$BASE/account/$ACC/rules")" 403
is "and nothing was stored" "$(n_rules)" "$before"
is "the page's own token works: 303" \
	"$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data "tag=java&stage=stage-onsite&campaign=2" "$BASE/account/$ACC/rules")" 303
is "and the rule is stored" "$(n_rules)" "$((before + 1))"

# --- D: numbers are plain, bounded digits ---
before=$(n_rules)
is "campaign=9999999999999999999: 400" \
	"$(web -o "$T/big.html" -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data "tag=java&stage=stage-offer&campaign=9999999999999999999" "$BASE/account/$ACC/rules")" 400
check "the page says the campaign is out of range" grep -q "campaign.*out of range" "$T/big.html"
is "no rule stored" "$(n_rules)" "$before"
no_clamped() { ! ctl rule list | grep -q 9223372036854775807; }
check "no rule with campaign 9223372036854775807" no_clamped
is "campaign=+5: 400" \
	"$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data "tag=java&stage=stage-offer&campaign=%2B5" "$BASE/account/$ACC/rules")" 400
is "pass=101: 400" \
	"$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf)" --data "tag=java&stage=stage-offer&campaign=1&pass=101" "$BASE/account/$ACC/rules")" 400
is "and still no rule stored" "$(n_rules)" "$before"
# A raw request: curl would not send a "+12" Content-Length.
raw() {
	python3 - "$HTTP_PORT" "$ACC" "$1" <<'PY'
import socket, sys
port, acc, cl = sys.argv[1:]
body = b'{"event":"x"}'[:12]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
s.sendall(("POST /webhook.fcgi/lever/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Content-Length: %s\r\nConnection: close\r\n\r\n" % (acc, cl)).encode() + body)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b" ", 2)[1].decode(), body.decode(errors="replace").strip())
PY
}
is "a webhook POST with Content-Length: +12 through the web server: 400" "$(raw +12 | head -1 | cut -d' ' -f1)" 400
# lighttpd (and Apache) refuse that header themselves; cglever must too,
# behind any server or gateway that passes it on: the program as plain CGI.
cgi() {
	printf '{"event":1}\n' | env -i CGLEVER_CONFIG="$CGLEVER_CONFIG" GATEWAY_INTERFACE=CGI/1.1 \
		REQUEST_METHOD=POST PATH_INFO="/lever/$ACC" CONTENT_TYPE=application/json \
		CONTENT_LENGTH="$1" "$PROG/cgi-bin/webhook.fcgi" 2>>"$T/cgi.err" | sed -n '1p;$p' | tr -d '\r' | tr '\n' ' '
}
is "webhook.fcgi given CONTENT_LENGTH=+12: 400, the length refused" "$(cgi +12)" \
	"Status: 400 Bad Request 400 Bad Request: missing or short body "
is "and CONTENT_LENGTH=' 12': the same" "$(cgi ' 12')" \
	"Status: 400 Bad Request 400 Bad Request: missing or short body "
r12=$(raw 12)
read12() { case $r12 in *"missing or short"*) return 1 ;; 400*) return 0 ;; *) return 1 ;; esac; }
check "with Content-Length: 12 the same body is read, refused for its JSON ($r12)" read12

done_testing
