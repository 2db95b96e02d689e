#!/bin/bash
# CodinGame callbacks do not amplify (issue 14): POST only; a flood of
# callbacks leaves at most one pending job per test or per account poll,
# a poll of every unfinished test comes at most once a minute, and
# CodinGame sees a bounded number of calls.
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
check "callback on" ctl callback "$ACC" on
CBURL=$(curl -s -H "API-Key: $CG_KEY" "http://127.0.0.1:$CG_PORT/assessment/api/v1.1/webhook" | jget 'd["url"]')
for n in ada bob cy; do
	o=$(opportunity "{\"name\":\"$n\",\"emails\":[\"$n@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$o" stage-screen >/dev/null
done
check "three tests are sent" wait_until 30 sends_eq 3
jobs_of() { ctl jobs "$ACC" | tail -n +2 | wc -l; }
no_jobs() { [ "$(jobs_of)" -eq 0 ]; }
wait_until 30 no_jobs; wait_runners
T1=$(sim CG GET /_sim/sends | jget 'd["sends"][0]["test_id"]')
# test_reads: GET /tests/ID calls CodinGame has seen so far.
test_reads() { sim CG GET /_sim/requests | jget 'len([r for r in (d["requests"] if isinstance(d,dict) else d) if r["method"]=="GET" and r["path"].rsplit("/",1)[-1].isdigit()])'; }
pending() { ctl jobs "$ACC" | awk -v o="$1" '$3 == o && $4 == "pending"' | wc -l; }

curl -s -D "$T/get.h" -o /dev/null "$CBURL"
is "a GET callback: 405" "$(sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$T/get.h")" 405
check "with Allow: POST" grep -qi "^Allow: POST" "$T/get.h"

# 40 callbacks naming no test, as fast as they come, and 40 GETs.
before=$(test_reads)
codes=$(for i in $(seq 40); do
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' -d '{}' "$CBURL"
	curl -s -o /dev/null -w '%{http_code}\n' "$CBURL"
done | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
is "40 POSTs answered 200, 40 GETs 405" "$codes" "200x40 405x40 "
wait_runners
polls=$(pending '*')
check "at most one poll job is pending ($polls)" test "$polls" -le 1
reads=$(( $(test_reads) - before ))
# One poll re-reads the three unfinished tests; a second may start when
# a callback comes in as the first ends. 80 callbacks used to make 240.
check "CodinGame saw at most two polls' worth of test reads ($reads)" test "$reads" -le 6
check "and the callbacks did poll: a change is not missed" test "$reads" -ge 3

# 40 callbacks naming one unfinished test.
before=$(test_reads)
for i in $(seq 40); do
	curl -s -o /dev/null -H 'Content-Type: application/json' -d "{\"test_id\":$T1,\"status\":\"in_progress\"}" "$CBURL"
done
wait_runners
checks=$(ctl jobs "$ACC" | awk '$3 != "*" && $4 == "pending"' | wc -l)
check "at most one check of that test is pending ($checks)" test "$checks" -le 1
reads=$(( $(test_reads) - before ))
check "CodinGame saw at most two reads of it ($reads)" test "$reads" -le 2
done_testing
