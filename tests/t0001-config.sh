#!/bin/bash
# Config errors stop every program with a message naming file, line and key.
# The `#` rule (cglever.conf(5)): after whitespace it starts a comment, in a
# word it is part of the value; checked by what the programs then do.
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
# Numbers are plain decimal digits (num_parse): no sign, nothing after.
expect_error "a number with a + sign" "$(good; echo 'max_body_bytes = +65536')" "$T/c.conf:6:" "max_body_bytes" "not a number"
expect_error "a number with trailing junk" "$(good; echo 'job_max_attempts = 8x')" "$T/c.conf:6:" "job_max_attempts" "not a number"
expect_error "a negative zero" "$(good; echo 'runner_linger_ms = -0')" "$T/c.conf:6:" "runner_linger_ms" "not a number"
expect_error "a number past 64 bits" "$(good; echo 'max_body_bytes = 99999999999999999999')" "$T/c.conf:6:" "max_body_bytes" "out of range"
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
expect_error "runner_linger_ms over a minute" "$(good; echo 'runner_linger_ms = 60001')" "$T/c.conf:6:" "runner_linger_ms" "0..60000"
expect_error "runner_max_seconds of zero" "$(good; echo 'runner_max_seconds = 0')" "$T/c.conf:6:" "runner_max_seconds" "1..86400"

# --- Comments: one rule for every line and key.
expect_error "a bad value before a trailing comment" "$(good; echo 'max_body_bytes = lots   # a comment')" \
	"$T/c.conf:6:" "max_body_bytes" "not a number"
expect_error "a value that is only a comment" "$(good; echo 'lever_client_id =	# none yet')" \
	"$T/c.conf:6:" "lever_client_id" "empty value"
expect_error "a # inside a word is part of the value" "$(good; echo 'max_body_bytes = 1000#bytes')" \
	"$T/c.conf:6:" "max_body_bytes" "not a number"
{ good | sed "s|^db_home = .*|db_home = $T/d#b   # a # inside a word is kept|"
  echo 'max_body_bytes = 1000	# a tab, then a comment'
  echo '   # an indented comment line'; } >"$T/hash.conf"
CGLEVER_CONFIG="$T/hash.conf" ctl account list >"$T/out" 2>"$T/err"
is "trailing comments after a space or a tab are left out" "$?" 0
check "a # inside a word is kept: db_home $T/d#b is created" test -d "$T/d#b"
drop_shm "$T/d#b"
# The shipped example with every setting uncommented, as an admin would:
# its trailing comments (log_level = info   # error, warn...) are comments.
sed -E -e 's/^#([a-z_]+ = [^ ])/\1/' \
	-e "s|^db_home = .*|db_home = $T/db|" -e "s|^secret_key_file = .*|secret_key_file = $T/keys/secret|" \
	"$TOP/etc/cglever.conf.example" >"$T/example.conf"
CGLEVER_CONFIG="$T/example.conf" ctl account list >"$T/out" 2>"$T/err"
rc=$?
is "the example config with every setting uncommented is accepted ($(head -c 200 "$T/err"))" "$rc" 0
check "(and that uncommented the commented settings)" grep -q '^log_level = info  *# error' "$T/example.conf"

# ctl_path, admin_users and public_url with trailing comments, live: the
# webhook starts its runner, boss signs in, Lever got the clean URL.
drop_shm "$T/db"
rm -rf "$T/db"
CTL_PATH="$PROG/bin/cglever-ctl   # the queue runner the webhook starts" NO_LIGHTTPD=1 setup
sed -i -e 's|^admin_users = .*|&	# REMOTE_USER names allowed on the admin pages|' \
	-e 's|^public_url = .*|&   # how Lever reaches us|' "$CGLEVER_CONFIG"
check "(the config has the three trailing comments)" \
	test "$(grep -cE '^(ctl_path|admin_users|public_url) = [^#]*[^ 	#][ 	]+# ' "$CGLEVER_CONFIG")" = 3
start_lighttpd
ACC=$(add_account acme)
is "public_url with a trailing comment: Lever's webhook points at the URL alone" \
	"$(sim LEVER GET /_sim/webhooks | jget '(d["webhooks"] if isinstance(d,dict) else d)[0]["url"]')" \
	"http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC"
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
is "a delivery is answered 200" "$(deliver "$ACC" "$OPP" stage-screen | jget 'd["status"]')" 200
check "ctl_path with a trailing comment: the webhook's runner sends the test (no sweep)" wait_until 20 sends_ge 1
check "and no 'cannot start the queue runner' in the log" sh -c "! grep -q 'cannot start the queue runner' '$T'/*.err"
is "admin_users with a trailing comment: boss (the last name) is let in" \
	"$(curl -s -u "boss:pw-$$" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/admin.fcgi/")" 200
is "and mallory, not listed, is not" \
	"$(curl -s -u "mallory:pw-$$" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/admin.fcgi/")" 403
wait_runners
# The store has one owner: run as another user (an admin as root by
# hand, on a store that belongs to the web server's user), cglever-ctl
# and the programs refuse, say whose it is, and create nothing there.
chown -R nobody "$T/db"
out=$(ctl account list 2>&1); rc=$?
check "cglever-ctl run by another user than db_home's owner is refused (exit $rc)" test "$rc" -ne 0
check "and says whose the store is and how to run it" grep -q "belongs to nobody.*sudo -u nobody" <<<"$out"
is "no file in db_home was made by the refused user" "$(find "$T/db" ! -user nobody | wc -l)" 0
out=$(REQUEST_METHOD=GET PATH_INFO=/ "$PROG/cgi-bin/admin.fcgi" 2>&1 </dev/null); rc=$?
check "a FastCGI program run by another user is refused too (exit $rc)" test "$rc" -ne 0
chown -R root "$T/db"
check "run by the owner, it works" ctl account list
done_testing
