#!/bin/bash
# The store's on-disk format across the split of lib/store into modules
# (issue 13): the version before it (commit 2818968) and this one read
# each other's databases alike. tests/store_compat.c, built against both
# libraries, writes a known set of records (an account with every secret
# and one with none, rules with and without thresholds, one edited in
# place, a rescheduled and a failed job, invitations full and bare, an
# OAuth state, audit entries) or reads them all back, one line a record.
# Old -> old, old -> new, new -> old and new -> new must all print the
# same lines, and records both write are the same bytes (db_dump).
. "$(dirname "$0")/lib.sh"
CGLEVER_CONFIG=$T/none.conf # read by lib.sh's cleanup; no config here
OLD_REV=2818968

git -C "$TOP" cat-file -e "$OLD_REV^{commit}" 2>/dev/null ||
	die "commit $OLD_REV (the store before the split) is not in this checkout"
[ -f "$BUILD/lib/libcglever.a" ] || die "no $BUILD/lib/libcglever.a: run make progs"

mkdir -p "$T/old"
git -C "$TOP" archive "$OLD_REV" | tar -x -C "$T/old" || die "git archive $OLD_REV"
make -C "$T/old" -j2 lib/libcglever.a >"$T/old-build.err" 2>&1 || die "building $OLD_REV"

LIBS="-lfcgi -ldb $(pkg-config --libs libcurl json-c libcrypto) -lpthread"
for v in old new; do
	if [ $v = old ]; then src=$T/old; lib=$T/old/lib/libcglever.a
	else src=$TOP; lib=$BUILD/lib/libcglever.a; fi
	# shellcheck disable=SC2086
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$src/lib" \
		$(pkg-config --cflags json-c) "$TOP/tests/store_compat.c" "$lib" $LIBS \
		-o "$T/compat-$v" 2>"$T/compat-$v.err" || die "building store_compat against $v"
done
SECRET=compat-test-secret-0123456789

cat >"$T/want" <<'EOF'
account 1 full lever-key-secret cg-key-secret wh-1 wh-token-secret cb-secret 1700000000001 access-secret refresh-secret 1700000009999 1 1700000005555 revoked in Lever
account 2 bare (null) (null) (null) (null) (null) 0 (null) (null) 0 0 0 (null)
rule 1 1 python stage-1 4242 1700000000002 70 40 passed failed review stage-2 admin
rule 2 2 golang stage-4 8 0 0 -1 (null) (null) look (null) (null)
job 1 1500 stage_change opp-1 a b 1700000000003 0 0 try again 1700000000004 99 1
job 2 9223372036854775807 check_test opp-2 (null) (null) 0 0 1 gave up 0 0 0
invitation 1 opp-1 4242 1 sent a@example.com Ada 99 https://cg.example/t/99 posted none 11 12 13 posted posting completed 87.500 1 1 14 3
invitation 2 opp-2 7 0 waiting_email (null) (null) 0 (null) (null) (null) 0 0 0 (null) (null) (null) 0.000 0 0 0 0
by_test 99 opp-1
audit (null) 0 sweep (null)
audit admin 1 rule.add rule 1
oauth state-1 1 admin 1700000000005
EOF

for w in old new; do
	for r in old new; do
		db="$T/db-$w-$r"
		"$T/compat-$w" "$db" "$SECRET" write 2>"$T/write-$w-$r.err"
		is "written by the $w store" "$?" 0
		"$T/compat-$r" "$db" "$SECRET" read >"$T/got-$w-$r" 2>"$T/read-$w-$r.err"
		is "read back by the $r store" "$?" 0
		if diff -u "$T/want" "$T/got-$w-$r" >"$T/diff-$w-$r.err"; then
			ok "$w -> $r: every field of every record reads as written"
		else
			nok "$w -> $r: every field of every record reads as written"
			sed 's/^/# /' "$T/diff-$w-$r.err"
		fi
	done
done

# The text of the records, byte for byte (jobs and audit entries have
# random or time keys: their fields are compared above).
for f in accounts account_names rules invitations invitations_by_test oauth_states; do
	for w in old new; do
		db5.3_dump -p -h "$T/db-$w-old" -P "$SECRET" "$f.db" 2>>"$T/dump.err" |
			sed -n '/^HEADER=END$/,$p' >"$T/dump-$w-$f"
	done
	if [ -s "$T/dump-old-$f" ] && cmp -s "$T/dump-old-$f" "$T/dump-new-$f"; then
		ok "$f.db: the new store writes the old one's bytes"
	else
		nok "$f.db: the new store writes the old one's bytes"
		diff "$T/dump-old-$f" "$T/dump-new-$f" | head -20 | sed 's/^/# /'
	fi
done
check "the dumps hold the secrets written (the check reads real records)" \
	grep -q 'refresh-secret' "$T/dump-new-accounts"
rm -rf "$T/old"
done_testing
