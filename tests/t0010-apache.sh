#!/bin/bash
# The same programs under Apache with mod_fcgid, running as the web server
# user: a stage change sends once, bad input is refused.
. "$(dirname "$0")/lib.sh"
need apache2 setpriv
NO_LIGHTTPD=1 setup
WWW=www-data
id "$WWW" >/dev/null 2>&1 || die "user $WWW is missing"
# Apache's children run as $WWW, who may not reach this checkout (CI may
# clone under /root): install the programs into a folder of theirs.
W=$(mktemp -d /tmp/cglever-t0010.XXXXXX)
chmod 755 "$W"
mkdir -p "$W/cgi-bin" "$W/bin" "$W/apache/fcgid"
cp "$TOP"/cgi-bin/*.fcgi "$W/cgi-bin/"
cp "$TOP/bin/cglever-ctl" "$W/bin/"
cp "$T/keys/secret" "$T/keys/lever" "$T/keys/cg" "$W/"
APACHE_PORT=$(free_port)
sed -e "s|^public_url = .*|public_url = http://127.0.0.1:$APACHE_PORT/cgi-bin|" \
    -e "s|^db_home = .*|db_home = $W/db|" -e "s|^secret_key_file = .*|secret_key_file = $W/secret|" \
    -e "s|^ctl_path = .*|ctl_path = $W/bin/cglever-ctl|" "$T/cglever.conf" >"$W/cglever.conf"
export CGLEVER_CONFIG="$W/cglever.conf"
chown -R "$WWW" "$W"
wctl() { setpriv --reuid="$WWW" --regid="$WWW" --clear-groups "$W/bin/cglever-ctl" "$@"; }
ctl() { wctl "$@"; }   # lib.sh's helpers (settle) work this store, as $WWW
STORES="$W/db"         # cleanup drops its shared memory
sh "$TOP/scripts/apache-conf.sh" "$W" "$APACHE_PORT" "$CGLEVER_CONFIG" "$W/apache" "$WWW" >"$W/apache.conf"
apache2 -f "$W/apache.conf" -k start 2>"$T/apache-start.err" || die "apache did not start: $(cat "$T/apache-start.err")"
trap 'stop_apache "$W/apache.conf"; cp "$W/apache/apache.err" "$T/" 2>/dev/null; cleanup; rc=$?; rm -rf "$W"; [ $rc -eq 0 ] || exit 1' EXIT
wait_until 30 curl -s -o /dev/null "http://127.0.0.1:$APACHE_PORT/" || die "apache is not answering"

ACC=$(wctl account add acme --lever-api-key-file "$W/lever" --codingame-api-key-file "$W/cg")
is "account add as the web server user" "$ACC" 1
is "the webhook is registered at the Apache URL" "$(sim LEVER GET /_sim/webhooks | jget '(d["webhooks"] if isinstance(d,dict) else d)[0]["url"]')" \
	"http://127.0.0.1:$APACHE_PORT/cgi-bin/webhook.fcgi/lever/$ACC"
wctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
URL="http://127.0.0.1:$APACHE_PORT/cgi-bin/webhook.fcgi/lever/$ACC"
rep=$(sim LEVER POST /_sim/deliver "{\"url\":\"$URL\",\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\"}")
is "Apache: the delivery is answered 200" "$(echo "$rep" | jget 'd["status"]')" 200
check "Apache: the test goes out" wait_until 60 sends_ge 1
echo "$rep" | jget 'd["payload"]' >"$T/payload.json"
for i in 1 2 3 4 5; do curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$T/payload.json" "$URL"; done
rep=$(sim LEVER POST /_sim/deliver "{\"url\":\"$URL\",\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\",\"badSignature\":true}")
is "Apache: a bad signature is refused with 401" "$(echo "$rep" | jget 'd["status"]')" 401
is "Apache: GET is refused with 405" "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" 405
is "Apache: unknown account 404" "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/payload.json" "${URL%/*}/77")" 404
settle
is "Apache: repeats sent nothing more" "$(sends)" 1
check "Apache: the runner ran as $WWW" test "$(stat -c %U "$W/db/runner-$ACC.lock")" = "$WWW"
done_testing
