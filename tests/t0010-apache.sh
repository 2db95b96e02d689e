#!/bin/bash
# Other web apps on the same host: under Apache, laid out as make install
# does (tests/lib.sh, HTTPD=apache), the programs and their queue runner
# run as their own user, not as Apache's www-data, and nothing of
# cglever's is open to www-data (any other program Apache runs): not the
# key, the configuration, the database folder nor the store's shared
# memory. A stage change through Apache is still sent once; bad input is
# refused. The checks look at what runs and who may read what, so they
# fail where the programs run as www-data (mod_fcgid's default).
HTTPD=apache
. "$(dirname "$0")/lib.sh"
need apache2 setpriv ipcs
setup
as_www() { setpriv --reuid="$WWW" --regid="$WWW" --clear-groups "$@"; }
denied() { ! as_www "$@" >/dev/null 2>&1; }   # denied CMD...: fails as www-data

ACC=$(add_account acme)
is "account add, run as the programs' user" "$ACC" 1
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
OPP=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
URL="http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC"
rep=$(sim LEVER POST /_sim/deliver "{\"url\":\"$URL\",\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\"}")
is "Apache: the delivery is answered 200" "$(echo "$rep" | jget 'd["status"]')" 200
check "Apache: the test goes out" wait_until 60 sends_ge 1
echo "$rep" | jget 'd["payload"]' >"$T/payload.json"
for i in 1 2 3 4 5; do curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary @"$T/payload.json" "$URL"; done
rep=$(sim LEVER POST /_sim/deliver "{\"url\":\"$URL\",\"opportunityId\":\"$OPP\",\"toStageId\":\"stage-screen\",\"badSignature\":true}")
is "Apache: a bad signature is refused with 401" "$(echo "$rep" | jget 'd["status"]')" 401
is "Apache: GET is refused with 405" "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" 405
is "Apache: the /cgi-bin/ URL reaches the same program" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/cgi-bin/webhook.fcgi/lever/$ACC")" 405
is "Apache: unknown account 404" "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/payload.json" "${URL%/*}/77")" 404
settle
is "Apache: repeats sent nothing more" "$(sends)" 1

# --- Who runs what: the FastCGI programs of this test's config (found
# by their environment, whoever started them) and the runner.
curl -s -o /dev/null -u "admin:pw-$$" "http://127.0.0.1:$HTTP_PORT/admin.fcgi/"
curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/oauth.fcgi/"
users=$(for p in $(strays); do ps -o user= -p "$p"; done | sort -u | tr '\n' ' ')
owner=$(stat -c %U "$T/db")
is "the three programs run, all as db_home's owner ($owner)" \
	"$(for p in $(strays); do tr '\0' '\n' <"/proc/$p/cmdline" | head -1; done | sed 's|.*/||' | sort -u | tr '\n' ' ')|$users" \
	"admin.fcgi oauth.fcgi webhook.fcgi |$owner "
check "which is not Apache's user $WWW ($owner)" test "$owner" != "$WWW"
is "the queue runner ran as that user too" "$(stat -c %U "$T/db/runner-$ACC.lock")" "$owner"
apache_users=$(ps -o user= --ppid "$(cat "$T/apache/apache.pid")" | sort -u | tr '\n' ' ')
is "Apache's children run as $WWW" "$apache_users" "$WWW "

# --- What www-data (any program Apache runs) may read of cglever's.
check "$WWW cannot read the key file" denied cat "$T/keys/secret"
check "$WWW cannot read the configuration (the OAuth client secret)" denied cat "$T/cglever.conf"
check "$WWW cannot list db_home" denied ls "$T/db"
check "$WWW cannot read a database file" denied cat "$T/db/accounts.db"
check "(root can: the file is there)" test -s "$T/db/accounts.db"
check "$WWW cannot run cglever-ctl on the store" denied "$PROG/bin/cglever-ctl" account list
# The store's shared memory (keys shm-key + 0..7): each segment is the
# programs' user's, mode 0600; asked for read access (shmget with 0400),
# the kernel grants it to that user and refuses it to www-data.
shm_read() {  # shm_read USER KEY: USER may attach segment KEY for reading
	setpriv --reuid="$1" --regid="$1" --clear-groups /usr/bin/python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
k = int(sys.argv[1], 16)
sys.exit(0 if libc.shmget(ctypes.c_int(k - (1 << 32) if k >= 1 << 31 else k), ctypes.c_size_t(0), 0o400) >= 0 else 1)' "$2"
}
uid=$(id -u "$owner")
base=$(($(cat "$T/db/shm-key")))
n=0
for i in 0 1 2 3 4 5 6 7; do
	key=$(printf '0x%08x' $((base + i)))
	id=$(ipcs -m | awk -v k="$key" 'tolower($1) == k { print $2 }')
	[ -n "$id" ] || continue
	n=$((n + 1))
	ipcs -m -i "$id" >"$T/shm-$i.txt"
	is "shared memory $key: owner $owner, mode 0600" \
		"$(sed -n 's/^uid=\([0-9]*\).*/\1/p' "$T/shm-$i.txt") $(sed -n 's/^mode=\([0-7]*\).*/\1/p' "$T/shm-$i.txt")" "$uid 0600"
	check "shared memory $key: $owner may attach it, $WWW may not" \
		sh -c "$(declare -f shm_read); shm_read '$owner' $key && ! shm_read '$WWW' $key"
done
check "the store has shared memory to check ($n segments)" test "$n" -gt 0
done_testing
