#!/bin/bash
# cglever-ctl backup, then restore into a new db_home: every account, rule,
# invitation and job is kept, record by record.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
ACC2=$(ctl account add beta --codingame-api-key-file "$T/keys/cg" 2>/dev/null)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 --pass 70 >/dev/null
ctl rule add "$ACC" --tag python --stage stage-onsite --campaign 2 >/dev/null
ctl rule add "$ACC" --tag ruby --stage stage-screen --campaign 999 >/dev/null
for i in 1 2 3 4; do
	O=$(opportunity "{\"name\":\"C$i\",\"emails\":[\"c$i@example.com\"],\"tags\":[\"java\",\"ruby\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$O" stage-screen >/dev/null
done
O=$(opportunity '{"name":"Mute","emails":[],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$O" stage-screen >/dev/null
settle   # every job worked (sent, or failed for good) and no runner left
dump() {  # every record the store can list, in a stable order
	{ ctl account list; ctl rule list; ctl invitations "$ACC"; ctl invitations "$ACC2"; ctl jobs; } 2>&1
}
dump >"$T/before.txt"
check "there is something to back up (a failed job among it)" grep -q "failed" "$T/before.txt"
ctl backup "$T/backup" >"$T/backup.out" 2>&1
is "backup succeeds" "$?" 0
check "the backup holds the databases" test -f "$T/backup/accounts.db" -a -f "$T/backup/invitations.db"
ctl backup "$T/backup" >/dev/null 2>"$T/again.err"
check "backup into a non-empty folder is refused, clearly" grep -q "not an empty directory" "$T/again.err"
check "the backup has no API key in clear" sh -c "! grep -rqaF -- '$LEVER_KEY' '$T/backup'"
# Restore: a new db_home from the backup's files, the same key file.
mkdir -m 700 "$T/restored"
cp "$T/backup"/* "$T/restored/"
own "$T/restored"
sed "s|^db_home = .*|db_home = $T/restored|" "$T/cglever.conf" >"$T/restored.conf"
own "$T/restored.conf"
CGLEVER_CONFIG="$T/restored.conf" dump >"$T/after.txt"
check "restored: every account, rule, invitation and job is there" diff -u "$T/before.txt" "$T/after.txt"
is "restored: $(grep -c . "$T/before.txt") lines compared" "$(diff "$T/before.txt" "$T/after.txt" | wc -l)" 0
CGLEVER_CONFIG="$T/restored.conf" ctl rule add "$ACC" --tag go --stage stage-screen --campaign 1 >/dev/null
is "the restored store takes writes" "$?" 0
drop_shm "$T/restored"
done_testing
