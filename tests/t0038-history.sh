#!/bin/bash
# History does not slow anything down (issue 13 item 7), what a user
# sees of it: a store written by the previous version gets its indexes
# and campaign summaries built once (and the log says so); the Activity
# page shows one page of 50 with an Older link, and paging visits every
# invitation exactly once, both ways; a bad cursor is 400 and changes
# nothing; the Campaigns page's figures match the invitations after
# results arrive through the CodinGame simulator.
. "$(dirname "$0")/lib.sh"
need git gcc make
OLD_COMMIT=2818968   # the last version without the history indexes
N_OLD=300
NO_LIGHTTPD=1 setup

# The previous version, built from git into $T/old: its cglever-ctl and
# bench/histseed linked with its library (one transaction per invitation,
# as that version wrote them).
mkdir -p "$T/old"
git -C "$TOP" archive "$OLD_COMMIT" | tar -x -C "$T/old" || die "git archive $OLD_COMMIT failed"
make -C "$T/old" -s lib/libcglever.a bin/cglever-ctl >"$T/old-build.log" 2>&1 ||
	die "building $OLD_COMMIT failed: $(tail -5 "$T/old-build.log")"
# The Makefile's flags and libraries.
PKGS="libcurl json-c libcrypto"
CFL=$(pkg-config --cflags $PKGS)
LBS="$(pkg-config --libs fcgi 2>/dev/null || echo -lfcgi) -ldb $(pkg-config --libs $PKGS)"
gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -DHISTSEED_ONE_BY_ONE -I"$T/old/lib" $CFL \
	"$TOP/bench/histseed.c" -o "$T/old/histseed" "$T/old/lib/libcglever.a" $LBS 2>"$T/old-build.log" ||
	die "building the old histseed failed: $(tail -5 "$T/old-build.log")"
OLDCTL="$T/old/bin/cglever-ctl"
ACC=$("$OLDCTL" account add acme --lever-api-key-file "$T/keys/lever" --codingame-api-key-file "$T/keys/cg" 2>>"$T/old.err")
"$OLDCTL" rule add "$ACC" --tag java --stage stage-screen --campaign 1 --pass 70 --fail 40 >/dev/null 2>>"$T/old.err"
RULE=$("$OLDCTL" rule list 2>>"$T/old.err" | awk 'NR==2 {print $1}')
"$T/old/histseed" "$CGLEVER_CONFIG" "$ACC" "$RULE" 1 0 "$N_OLD" 2>>"$T/old.err" || die "old histseed: $(cat "$T/old.err")"
is "the previous version wrote $N_OLD invitations" "$(ctl_count() { "$OLDCTL" invitations "$ACC" | tail -n +2 | wc -l; }; ctl_count)" "$N_OLD"

# The upgrade: the first open by this version builds what is missing.
ctl account list >/dev/null 2>"$T/upgrade.log"
check "the first open says it built the indexes, once ($(grep -o 'history indexes[^;]*' "$T/upgrade.log" | tail -1))" \
	grep -q "history indexes and campaign summaries built: $N_OLD invitation(s)" "$T/upgrade.log"
ctl account list >/dev/null 2>"$T/upgrade2.log"
check "the next open builds nothing" sh -c "! grep -q 'history indexes' '$T/upgrade2.log'"

start_lighttpd
BASE="http://127.0.0.1:$HTTP_PORT/admin.fcgi"
AS="admin:pw-$$"
web() { curl -sS -u "$AS" "$@"; }
code() { web -o /dev/null -w '%{http_code}' "$@"; }

# Real tests on top: four candidates, three finish in CodinGame, one waits.
for i in 1 2 3 4; do
	O=$(opportunity "{\"name\":\"Real $i\",\"emails\":[\"real$i@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$O" stage-screen >/dev/null
done
wait_until 30 sends_ge 4
settle
for spec in "real1 95" "real2 72" "real3 12"; do
	set -- $spec
	tid=$(sim CG GET /_sim/sends | jget "[s['test_id'] for s in d['sends'] if s['candidate_email']=='$1@example.com'][0]")
	sim CG POST "/_sim/tests/$tid" "{\"status\":\"completed\",\"score\":$2}" >/dev/null
done
ctl sweep 2>>"$T/sweep.err"
TOTAL=$((N_OLD + 4))

# Paging, older then newer: every invitation once, 50 a page.
python3 - "$BASE/account/$ACC/activity" "admin" "pw-$$" "$TOTAL" >"$T/paging.txt" <<'PY'
import base64, re, sys, urllib.parse, urllib.request
start, user, pw, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
auth = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
def get(url):
    r = urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth}))
    html = r.read().decode()
    inv = html.split("<h2>Invitations</h2>", 1)[1]
    rows = re.findall(r"<tr><td>[^<]*<br>([^<]*)</td>", inv)
    link = lambda c: (lambda m: urllib.parse.urljoin(url, m.group(1).replace("&amp;", "&")) if m else None)(
        re.search(r'<a class="%s" href="([^"]*)"' % c, inv))
    return rows, link("older"), link("newer")
rows, older, newer = get(start)
print("first page:", len(rows), "rows, older link:", older is not None, ", newer link:", newer is not None)
seen, pages, url, newers = list(rows), 1, older, 0
while url and pages < 100:
    rows, url, newer = get(url)
    seen += rows; pages += 1; newers += newer is not None
print("older walk:", pages, "pages,", len(seen), "rows,", len(set(seen)), "distinct,",
      "a Newer link on each:", newers == pages - 1)
back, url = [], newer
rows_last = rows
while url and pages < 200:
    rows, older, url = get(url)
    back += rows; pages += 1
back += rows_last
print("newer walk:", len(back), "rows,", len(set(back)), "distinct, same set:", set(back) == set(seen))
print("cursor:", (older or "").split("before=")[-1] if older else "")
PY
head -1 "$T/paging.txt" >"$T/p1"
is "one page of 50, an Older link and no Newer link" "$(cat "$T/p1")" \
	"first page: 50 rows, older link: True , newer link: False"
is "Older visits every invitation exactly once" "$(sed -n 2p "$T/paging.txt")" \
	"older walk: $(( (TOTAL + 49) / 50 )) pages, $TOTAL rows, $TOTAL distinct, a Newer link on each: True"
is "Newer from the last page visits them all again, once" "$(sed -n 3p "$T/paging.txt")" \
	"newer walk: $TOTAL rows, $TOTAL distinct, same set: True"
CUR=$(sed -n 's/^cursor: //p' "$T/paging.txt")
check "a cursor to try tampering with" test -n "$CUR"

# Bad cursors: 400, and nothing changes.
ACC2=$(add_account other)
before=$(ctl invitations "$ACC" | md5sum; ctl jobs | md5sum)
A="$BASE/account/$ACC/activity"
is "not hex: 400" "$(code "$A?before=zz")" 400
is "empty: 400" "$(code "$A?before=")" 400
is "upper-case hex: 400" "$(code "$A?before=$(echo "$CUR" | tr a-f A-F)")" 400
is "cut short: 400" "$(code "$A?before=${CUR%??}")" 400
is "before and after at once: 400" "$(code "$A?before=$CUR&after=$CUR")" 400
is "another account's cursor: 400" "$(code "$BASE/account/$ACC2/activity?before=$CUR")" 400
is "the good one: 200" "$(code "$A?before=$CUR")" 200
is "the error page says why" "$(web "$A?before=zz" | grep -c 'Bad page cursor')" 1
is "nothing changed" "$(ctl invitations "$ACC" | md5sum; ctl jobs | md5sum)" "$before"

# Campaigns: the page's figures against the invitations (histseed's are
# known by number; the real ones as the simulator finished them).
web "$BASE/account/$ACC/campaigns" >"$T/camp.html"
python3 - "$T/camp.html" "$N_OLD" >"$T/camp.txt" <<'PY'
import re, sys
html, n = open(sys.argv[1]).read(), int(sys.argv[2])
sec = re.search(r'data-campaign="1">(.*?)</section>', html, re.S).group(1)
get = lambda c: re.search(r'class="%s">([^<]*)<' % c, sec).group(1)
bars = [int(x) for x in re.findall(r'data-count="(\d+)"', sec)]
print("page:", get("sent"), get("completed"), get("waiting"), get("median"), get("passrate"), bars)
# What the invitations say: bench/histseed's i % 10 != 0 completed with
# score i*37 % 101, the rest waiting; real1..3 completed 95, 72, 12, real4 waiting.
scores = sorted([i * 37 % 101 for i in range(n) if i % 10] + [95, 72, 12])
sent, done = n + 4, len(scores)
med = (scores[(done - 1) // 2] + scores[done // 2]) / 2
bins = [0] * 10
for s in scores: bins[min(int(s // 10), 9)] += 1
print("want:", sent, done, sent - done, "%.1f%%" % med, "%.0f%%" % (100 * sum(s >= 70 for s in scores) / done), bins)
PY
is "Campaigns: sent, completed, waiting, median, pass rate and bars match the invitations" \
	"$(sed -n 's/^page: //p' "$T/camp.txt")" "$(sed -n 's/^want: //p' "$T/camp.txt")"
wait_runners
done_testing
