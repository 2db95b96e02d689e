#!/bin/bash
# 300 stage changes for distinct candidates at once: 300 sends, and Lever
# never answers 429 (cglever keeps to 10 requests/s). The Apache pass sends
# 100: the rate limit is the same code, and 300 take a minute at 10/s.
. "$(dirname "$0")/lib.sh"
N=300
[ "$HTTPD" = apache ] && N=100
FCGI_PROCS=4 setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
deliver_burst "$ACC" "$N" 32 >"$T/load.txt"
is "$N deliveries answered 200" "$(cat "$T/load.txt")" "200 $N"
check "$N sends within 90 s" wait_until 90 sends_ge "$N"
wait_runners
is "exactly $N sends" "$(sends)" "$N"
is "to $N distinct candidates" "$(sim CG GET /_sim/sends | jget 'len(set(s["candidate_email"] for s in d["sends"]))')" "$N"
st=$(sim LEVER GET /_sim/stats)
is "Lever never answered 429" "$(echo "$st" | jget 'd["rate_limited"]')" 0
# Every process a delivery woke logs as cglever-ctl[PID]: the burst must
# have started one runner (it takes the waker's lock), not one per
# delivery that came while the first was still starting.
log=$T/lighttpd.err
[ "$HTTPD" = apache ] && log=$T/httpd.err
is "one queue runner started for the burst" \
	"$(grep -o 'cglever-ctl\[[0-9]*\]' "$log" | sort -u | wc -l)" 1
echo "# Lever stats: $st"
done_testing
