#!/bin/bash
# Config errors stop every program with a message naming file, line and key.
. "$(dirname "$0")/lib.sh"
need openssl
mkdir -p "$T/keys"
openssl rand -hex 32 >"$T/keys/secret"; chmod 600 "$T/keys/secret"
good() {
	cat <<CONF
db_home = $T/db
secret_key_file = $T/keys/secret
public_url = http://127.0.0.1:1
lever_api_url = http://127.0.0.1:2/v1
codingame_api_url = http://127.0.0.1:3/assessment/api/v1.1
CONF
}
# expect_error DESC CONFIG_TEXT PATTERN...: every program must exit non-zero
# and print all patterns.
expect_error() {
	desc=$1 text=$2; shift 2
	printf '%s\n' "$text" >"$T/c.conf"
	for prog in bin/cglever-ctl cgi-bin/webhook.fcgi cgi-bin/oauth.fcgi cgi-bin/admin.fcgi; do
		args=""; [ "$prog" = bin/cglever-ctl ] && args="account list"
		CGLEVER_CONFIG="$T/c.conf" REQUEST_METHOD=GET "$PROG/$prog" $args </dev/null >"$T/out" 2>"$T/err"
		rc=$?
		miss=""
		for p in "$@"; do grep -qF -- "$p" "$T/err" || miss="$miss '$p'"; done
		if [ $rc -ne 0 ] && [ -z "$miss" ]; then ok "$desc: $prog"
		else nok "$desc: $prog exited $rc, missing$miss in: $(head -c 300 "$T/err")"; fi
	done
}

good >"$T/good.conf"
CGLEVER_CONFIG="$T/good.conf" ctl account list >"$T/out" 2>"$T/err"
is "a good config works" "$?" 0
check "db_home is created mode 0700" test "$(stat -c %a "$T/db")" = 700

expect_error "missing key" "$(good | grep -v '^public_url')" "$T/c.conf:" "public_url" "missing"
expect_error "unknown key" "$(good; echo 'colour = blue')" "$T/c.conf:6:" "colour" "unknown key"
expect_error "bad value" "$(good; echo 'max_body_bytes = lots')" "$T/c.conf:6:" "max_body_bytes"
expect_error "plain http off loopback" "$(good | sed 's|^public_url.*|public_url = http://example.com|')" "$T/c.conf:3:" "public_url"
expect_error "a look-alike of loopback" "$(good | sed 's|^public_url.*|public_url = http://127.0.0.1.evil.example/|')" "$T/c.conf:3:" "public_url"
expect_error "an https URL without a host" "$(good | sed 's|^lever_api_url.*|lever_api_url = https:///v1|')" "$T/c.conf:4:" "lever_api_url"
expect_error "a URL with userinfo" "$(good | sed 's|^lever_api_url.*|lever_api_url = https://user@evil.example/v1|')" "$T/c.conf:4:" "lever_api_url"
expect_error "a replay window under a minute" "$(good; echo 'replay_window_seconds = 5')" "$T/c.conf:6:" "replay_window_seconds" "60..2592000"
good >"$T/open.conf"; chmod 0644 "$T/open.conf"
for prog in bin/cglever-ctl cgi-bin/webhook.fcgi; do
	CGLEVER_CONFIG="$T/open.conf" REQUEST_METHOD=GET "$PROG/$prog" account list </dev/null >/dev/null 2>"$T/err"
	rc=$?
	check "a config others can read (0644) is refused: $prog (exit $rc)" \
		sh -c "[ $rc -ne 0 ] && grep -q 'readable or writable by others (mode 0644)' '$T/err'"
done
expect_error "a backoff of zero" "$(good; echo 'job_backoff_seconds = 0')" "$T/c.conf:6:" "job_backoff_seconds"
chmod 000 "$T/keys/secret"
if [ "$(id -u)" = 0 ]; then
	# root reads anything: make the file missing instead.
	expect_error "unreadable secret key file" "$(good | sed "s|keys/secret|keys/nope|")" "$T/c.conf:2:" "secret_key_file" "keys/nope"
else
	expect_error "unreadable secret key file" "$(good)" "$T/c.conf:2:" "secret_key_file"
fi
chmod 644 "$T/keys/secret"
expect_error "secret key file readable by others" "$(good)" "$T/c.conf:2:" "secret_key_file" "0600"
chmod 600 "$T/keys/secret"
echo short >"$T/keys/short"; chmod 600 "$T/keys/short"
expect_error "short secret" "$(good | sed "s|keys/secret|keys/short|")" "$T/c.conf:2:" "secret_key_file" "32"
CGLEVER_CONFIG="$T/none.conf" ctl account list >"$T/out" 2>"$T/err"
check "a missing config file is named" grep -q "$T/none.conf" "$T/err"
done_testing
