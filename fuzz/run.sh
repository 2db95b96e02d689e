#!/bin/sh
# fuzz/run.sh SECONDS TARGET...: runs each built target (fuzz/build/TARGET)
# in turn for SECONDS on a scratch copy of fuzz/corpus/TARGET/, and prints
# one line per target: "TARGET: N runs, no crash" or "TARGET: N runs,
# CRASH ...". Exits 1 when any target crashed (or failed to run).
cd "$(dirname "$0")/.." || exit 1
secs=$1
shift
failed=0
for t in "$@"; do
	w=fuzz/build/run/$t
	rm -rf "$w"
	mkdir -p "$w/corpus" "$w/crashes"
	cp fuzz/corpus/"$t"/* "$w/corpus/" 2>/dev/null
	dict=""
	[ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
	# -timeout: a single input taking 10 s is a hang, reported as a crash.
	"fuzz/build/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$w/crashes/" $dict "$w/corpus" \
		</dev/null >"$w/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$w/log" | tail -n 1)
	# After a crash there are no final stats: the last progress line tells.
	[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$w/log" | tail -n 1)
	[ -n "$runs" ] || runs=0
	crash=$(ls "$w/crashes" 2>/dev/null | head -n 1)
	if [ $rc -eq 0 ] && [ -z "$crash" ]; then
		echo "$t: $runs runs, no crash"
	else
		failed=1
		why=$(grep -m 1 -E 'ERROR: |runtime error:|check failed:' "$w/log" | cut -c 1-200)
		echo "$t: $runs runs, CRASH (exit $rc${crash:+, input $w/crashes/$crash}): ${why:-see $w/log}"
	fi
done
exit $failed
