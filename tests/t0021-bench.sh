#!/bin/bash
# make bench's machinery, briefly (1 s points, 1 connection, lighttpd
# only; no Apache, peer, end-to-end or history part): every part starts, every
# answer is what it must be, and the table has the limits and the ratios
# of the same run. It asserts no speed: make bench measures that.
. "$(dirname "$0")/lib.sh"
CGLEVER_CONFIG=$T/none.conf # read by lib.sh's cleanup; no config here
need wrk lighttpd apache2 setpriv flock ipcrm
(cd "$TOP" && make -s bench/trivial.fcgi bench/commitprobe) >"$T/build.out" 2>&1 ||
	die "cannot build the bench programs: $(tail -3 "$T/build.out")"

BENCH_SKIP="apache peer e2e history" BENCH_CONNS=1 BENCH_SECONDS=1 BENCH_OUT="$T/results.md" \
	bash "$TOP/bench/run.sh" >"$T/bench.out" 2>&1
is "bench/run.sh exits 0 (output in $T/bench.out)" "$?" 0
md=$T/results.md
# row TEXT: the table row whose first cells are TEXT.
row() { awk -v p="| $1 |" 'index($0, p) == 1' "$md" | head -n 1; }
# col ROW N: the Nth cell of a row, commas removed.
col() { echo "$1" | awk -F'|' -v n="$2" '{ gsub(/[ ,]/, "", $(n + 1)); print $(n + 1) }'; }
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }

r=$(row "store: delivery + job, 1 durable transaction each, 8 processes (commitprobe)")
check "the store's commit rate, 8 processes, is measured ($(col "$r" 2)/s)" positive "$(col "$r" 2)"
r=$(row "trivial.fcgi under lighttpd, 32 connections")
check "trivial.fcgi is measured ($(col "$r" 2)/s)" positive "$(col "$r" 2)"
for runner in off on; do
	r=$(row "lighttpd + webhook.fcgi | $runner | 1")
	check "signed deliveries, runner $runner: measured ($(col "$r" 4)/s)" positive "$(col "$r" 4)"
	is "signed deliveries, runner $runner: every answer 2xx" "$(col "$r" 7)" 0
done
r=$(row "lighttpd")
is "invalid signatures: every answer 401" "$(col "$r" 5)" all
check "the ratios of the same run are in the table" \
	grep -qE '^\| invalid signatures / trivial.fcgi \(32 conn\) \| [0-9.]+ \|' "$md"
check "and the machine it ran on" grep -q "^Run .* on: .*cores" "$md"
check "nothing of the run is left running" test -z "$(grep -lzE "^CGLEVER_CONFIG=$TOP/bench/tmp/" /proc/[0-9]*/environ 2>/dev/null)"
done_testing
