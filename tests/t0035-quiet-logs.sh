#!/bin/bash
# At log_level = debug (as every test runs), a full round leaves no
# personal data and no secret in any log: an OAuth connect, a delivery,
# a send, a result note. The logs say what happened with ids, shapes and
# lengths, never a candidate's email or name, a note's text, a token or
# a key (SECURITY.md, "Logs").
. "$(dirname "$0")/lib.sh"
setup
ACC=$(ctl account add acme --codingame-api-key-file "$T/keys/cg" 2>>"$T/ctl.err")
. "$(dirname "$0")/oauth.sh"
is "Lever connected with OAuth" "$(connect)" 303
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 --pass 50 >/dev/null
EMAIL="grace.quietlog$$@example.com"
NAME="Grace Quietlog$$"
OPP=$(opportunity "{\"name\":\"$NAME\",\"emails\":[\"$EMAIL\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
is "the delivery: 200" "$(deliver "$ACC" "$OPP" stage-screen | jget 'd["status"]')" 200
check "the test is sent" wait_until 20 sends_ge 1
wait_runners
TID=$(sim CG GET /_sim/sends | jget 'd["sends"][0]["test_id"]')
is "CodinGame got the candidate's email" "$(sim CG GET /_sim/sends | jget 'd["sends"][0]["candidate_email"]')" "$EMAIL"
sim CG POST "/_sim/tests/$TID" '{"status":"completed","score":77}' >/dev/null
ctl sweep 2>>"$T/ctl.err"
notes() { sim LEVER GET "/_sim/notes?opportunity=$OPP" | jget 'len([n for n in d["notes"] if "77" in n["value"]])'; }
has_note() { [ "$(notes)" -ge 1 ]; }
check "the result note is on the timeline" wait_until 20 has_note
wait_runners
check "the run logged at debug level" grep -q "debug: lever: POST" "$T"/*.err
# Everything secret or personal this run handled.
sim LEVER GET /_sim/oauth/tokens | jget '"\n".join(d)' >"$T/tokens.txt"
check "the simulator issued OAuth tokens" test -s "$T/tokens.txt"
HOOK=$(hook_token)
{
	printf '%s\n' "$EMAIL" "$NAME" "Quietlog$$" "$CG_KEY" "$HOOK" "client-secret-$$" \
		"$(cat "$T/keys/secret")"
	cat "$T/tokens.txt"
} | grep -v '^$' >"$T/needles.txt"
is "needles: email, name, surname, CodinGame key, webhook token, client secret, passphrase, tokens" \
	"$(($(wc -l <"$T/needles.txt") >= 9))" 1
# cglever's logs: the web server's error log (the FastCGI programs and the
# runners they start) and cglever-ctl's stderr; not the simulators' own.
for f in "$T/lighttpd.err" "$T/httpd.err" "$T/ctl.err"; do
	[ -f "$f" ] || continue
	hits=$(grep -aoF -f "$T/needles.txt" "$f" | sort -u | cut -c1-12 | tr '\n' ' ')
	is "nothing personal or secret in $(basename "$f")" "$hits" ""
done
done_testing
