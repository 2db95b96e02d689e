#!/bin/bash
# make bench, "cost vs history" (issue 13 item 7): with 1,000, 10,000 and
# 100,000 invitations in one account, what a runner pass with nothing due,
# the Activity page, the Campaigns page and one signed intake cost. Each
# figure is the median of 3 (ms). Runs under the tests' harness
# (tests/lib.sh: lighttpd, the simulators, everything stopped on exit);
# bench/histseed writes the history straight through the store API.
# Prints the Markdown section for bench/results.md on stdout.
#
# Knobs (environment): HISTORY_SIZES ("1000 10000 100000").
export TEST_NAME=bench-history
export CGLEVER_TEST_LINGER_MS=0   # a runner with nothing due exits at once
. "$(dirname "$0")/../tests/lib.sh" >&2
SIZES=${HISTORY_SIZES:-"1000 10000 100000"}
[ -x "$TOP/bench/histseed" ] || die "bench/histseed is not built: run make bench"
say() { printf 'bench: history: %s\n' "$*" >&2; }
setup >&2
BASE="http://127.0.0.1:$HTTP_PORT/admin.fcgi"
AS="admin:pw-$$"
ACC=$(add_account history)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 --pass 70 --fail 40 >/dev/null
RULE=$(ctl rule list | awk 'NR==2 {print $1}')
KEY=$(hook_token)
OPP=$(opportunity '{"name":"Not Tagged","emails":["nt@example.com"],"tags":[],"stage":"stage-screen"}')

ms() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) * 1000))' "$1"; }
# median3 CMD...: runs CMD (which prints seconds) 3 times, prints the median in ms.
median3() {
	local a b c
	a=$("$@"); b=$("$@"); c=$("$@")
	printf '%s\n%s\n%s\n' "$a" "$b" "$c" | sort -g | sed -n 2p | xargs -I{} python3 -c 'print("%.1f" % (float("{}") * 1000))'
}
timed() {   # seconds CMD takes, its output dropped
	local t0 t1
	t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
	python3 -c "print($t1 - $t0)"
}
# page NAME: the page's time in seconds; it must be 200 and list invitations
# (Activity) or campaign 1 (Campaigns).
page() {
	local out
	out=$(curl -sS -u "$AS" -o "$T/page.html" -w '%{http_code} %{time_total}' "$BASE/account/$ACC/$1")
	case "$out" in 200\ *) ;; *) die "$1 answered ${out% *}: $(head -c 300 "$T/page.html")" ;; esac
	grep -qE 'history\.example\.com|data-campaign="1"' "$T/page.html" || die "$1 shows no history"
	echo "${out#* }"
}
# intake: one signed stage change (the opportunity has no tag: its job ends
# without a send), posted straight to webhook.fcgi; prints seconds.
intake() {
	python3 - "$HTTP_PORT" "$ACC" "$KEY" "$OPP" <<'PY'
import hashlib, hmac, http.client, json, secrets, sys, time
port, acc, key, opp = sys.argv[1:5]
tok, trig = secrets.token_hex(24), int(time.time() * 1000)
body = json.dumps({"event": "candidateStageChange", "triggeredAt": trig, "token": tok,
    "signature": hmac.new(key.encode(), (tok + str(trig)).encode(), hashlib.sha256).hexdigest(),
    "data": {"opportunityId": opp, "toStageId": "stage-onsite", "fromStageId": "stage-applied"}})
c = http.client.HTTPConnection("127.0.0.1", int(port))
t0 = time.monotonic()
c.request("POST", "/webhook.fcgi/lever/" + acc, body, {"Content-Type": "application/json"})
r = c.getresponse(); r.read()
t = time.monotonic() - t0
if r.status != 200:
    sys.exit("intake answered %d" % r.status)
print(t)
PY
}
sweep_account() { timed ctl sweep --account "$ACC"; }
sweep_all() { timed ctl sweep; }

have=0
ROWS=""
for n in $SIZES; do
	say "seeding to $n invitations"
	t0=$(date +%s)
	"$TOP/bench/histseed" "$CGLEVER_CONFIG" "$ACC" "$RULE" 1 "$have" $((n - have)) || die "histseed failed"
	say "seeded $((n - have)) in $(( $(date +%s) - t0 )) s"
	have=$n
	settle >&2
	# Warm: every admin.fcgi process caches the account's lists.
	for w in 1 2 3 4; do page activity >/dev/null; page campaigns >/dev/null; done
	r1=$(median3 sweep_account)
	r2=$(median3 sweep_all)
	a=$(median3 page activity)
	c=$(median3 page campaigns)
	i=$(median3 intake)
	settle >&2
	say "$n: runner pass $r1 ms, sweep $r2 ms, activity $a ms, campaigns $c ms, intake $i ms"
	ROWS="$ROWS| $(printf "%'d" "$n") | $r1 | $r2 | $a | $c | $i |
"
done
cat <<MD

## Cost vs history (one account; medians of 3, ms)

Nine in ten invitations finished, one in ten sent and waiting for a
result polled a week later, so nothing is due; written by bench/histseed
through the store API. Runner pass: \`cglever-ctl sweep --account N\`
(the woken runner, linger 0); sweep: \`cglever-ctl sweep\` (every
account: the results poll and the waiting recheck from the store's work
index, pruning, checkpoint); pages through lighttpd with admin.fcgi (the
campaign list cached); intake: one signed stage change posted to
webhook.fcgi. $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg).

| invitations | runner pass | sweep | Activity page | Campaigns page | signed intake |
|---:|---:|---:|---:|---:|---:|
$ROWS
MD
done_testing >&2
