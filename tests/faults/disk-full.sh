#!/bin/bash
# The store's disk fills up: deliveries are answered 503 (Lever retries),
# nothing already accepted is lost, and once space returns everything
# completes, each candidate's test sent once. db_home is a small tmpfs.
. "$(dirname "$0")/../lib.sh"
need mount umount db5.3_verify dd
N=${DISK_N:-10}
mkdir -p "$T/db"
mount -t tmpfs -o size=24m,mode=0700 tmpfs "$T/db" ||
	die "cannot mount a tmpfs for the disk-full test (run as root, as make check does in CI)"
unmount() { cleanup; rc=$?; umount "$T/db" 2>/dev/null; return $rc; }
trap 'unmount || exit 1' EXIT
# No runner is woken (ctl_path is /bin/true): the jobs stay queued while
# the disk is full, and the sweeps below work them when it is not.
CTL_PATH=/bin/true setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
# simpy ARGS: one Python run against the Lever simulator (fast: no
# interpreter start per call). "opps K": makes K candidates, prints ids;
# "deliver TOKEN_PREFIX ID...": one signed stage change each, prints the
# statuses.
simpy() {
	python3 - "$LEVER_PORT" "http://127.0.0.1:$HTTP_PORT/webhook.fcgi/lever/$ACC" "$@" <<'PY'
import json, sys, urllib.request
port, url, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def call(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=60))
if cmd == "opps":
    for i in range(int(args[0])):
        print(call("/_sim/opportunities", {"name": f"Disk {i}", "emails": [f"d{i}@example.com"],
                                           "tags": ["java"], "stage": "stage-screen"})["id"])
else:
    for o in args[1:]:
        print(call("/_sim/deliver", {"url": url, "opportunityId": o, "toStageId": "stage-screen",
                                     "token": f"{args[0]}-{o}"})["status"])
PY
}
simpy opps $((2 * N)) >"$T/opps"
# deliver_all FROM TO TOKEN_PREFIX: prints the statuses, one per line.
deliver_all() { simpy deliver "$3" $(sed -n "$1,$2p" "$T/opps"); }
accepted=$(deliver_all 1 "$N" first | grep -c '^200$')
is "before the disk fills: $N deliveries accepted" "$accepted" "$N"

# Fill the disk: one big file, then small ones for the last blocks.
dd if=/dev/zero of="$T/db/filler" bs=1M 2>/dev/null
for i in $(seq 1 64); do head -c 4096 /dev/zero >"$T/db/filler.$i" 2>/dev/null || break; done
is "the disk is full" "$(df --output=avail "$T/db" | tail -1 | tr -d ' ')" 0
deliver_all $((N + 1)) $((2 * N)) second >"$T/full.statuses"
# A commit small enough for the last, partly used page of the log file
# still succeeds (and is durable): 200 or 503, mostly 503.
is "disk full: deliveries answered 503 (Lever retries) or, if committed, 200" \
	"$(grep -vcx '200\|503' "$T/full.statuses")" 0
refused=$(grep -c '^503$' "$T/full.statuses")
check "disk full: most deliveries refused ($refused of $N)" [ "$refused" -ge $((N / 2)) ]
timeout 120 "$PROG/bin/cglever-ctl" sweep >"$T/sweep-full.out" 2>"$T/sweep-full.err"
rc=$?
check "disk full: a sweep ends (exit $rc), it does not hang" [ $rc -ne 124 ]
check "disk full: the logs say why" grep -qi "no space left" "$T/sweep-full.err" "$T/lighttpd.err"

# Space returns; Lever retries the refused deliveries (same tokens).
rm -f "$T/db"/filler*
deliver_all $((N + 1)) $((2 * N)) second >"$T/after.statuses"
is "space back: the retried deliveries are accepted" "$(sort -u "$T/after.statuses" | tr '\n' ' ')" "200 "
is "the first deliveries are still known: their retries change nothing" \
	"$(deliver_all 1 "$N" first | sort -u | tr '\n' ' ')" "200 "
ctl sweep >/dev/null 2>>"$T/sweep.err"
wait_until 30 sh -c "[ \"\$(ctl jobs $ACC | tail -n +2 | wc -l)\" -eq 0 ] || { ctl sweep >/dev/null 2>&1; false; }"
s=$(sim CG GET /_sim/sends)
sends=$(echo "$s" | jget 'len(d["sends"])')
distinct=$(echo "$s" | jget 'len(set(x["candidate_email"] for x in d["sends"]))')
echo "# faults: disk full: accepted before=$accepted refused while full=$refused sends=$sends duplicates=$((sends - distinct)) lost=$((2 * N - distinct))"
is "every candidate got the test" "$distinct" $((2 * N))
is "no duplicate" "$((sends - distinct))" 0
is "no job left" "$(ctl jobs "$ACC" | tail -n +2 | wc -l)" 0
# The environment is quiet now: every database verifies.
is "db_verify: every database is clean" "$(bad_databases)" 0
done_testing
