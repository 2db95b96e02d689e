#!/bin/bash
# The sanitizer suite's core in make check: the delivery and bad-input
# tests again with every program built with ASan+UBSan, and the
# bad-input test with every program under valgrind. Any report, leak or
# invalid access fails. `make check-asan` / `make check-valgrind` run the
# unit and end-to-end tests whole.
. "$(dirname "$0")/lib.sh"
CGLEVER_CONFIG=$T/none.conf   # read by lib.sh's cleanup; no server here
need valgrind
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || die "no C compiler"
(cd "$TOP" && make -s asan) >"$T/build.log" 2>&1 || die "the ASan build failed: $(tail -n 5 "$T/build.log")"
# The inner runs print TAP lines with their own [lighttpd asan] prefix;
# they count here. Their own summary line is not TAP.
(cd "$TOP" && CGLEVER_BUILD="$TOP/build/asan" CGLEVER_SANITIZER=asan HTTPDS=lighttpd \
	TESTS="${SAN_CHECK_ASAN:-t0002-deliver t0004-bad-input}" sh tests/run.sh) >"$T/asan.out" 2>&1
rc_asan=$?
(cd "$TOP" && CGLEVER_SANITIZER=valgrind HTTPDS=lighttpd \
	TESTS="${SAN_CHECK_VALGRIND:-t0004-bad-input}" sh tests/run.sh) >"$T/valgrind.out" 2>&1
rc_vg=$?
grep -hE '^(ok|not ok) ' "$T/asan.out" "$T/valgrind.out"
N_OK=$(cat "$T/asan.out" "$T/valgrind.out" | grep -cE '^ok ')
N_FAIL=$(cat "$T/asan.out" "$T/valgrind.out" | grep -cE '^not ok ')
grep -h '^# valgrind:' "$TOP"/tests/tmp/t0004-bad-input.log 2>/dev/null
is "the ASan+UBSan run ends well (exit $rc_asan: $(tail -n 1 "$T/asan.out"))" "$rc_asan" 0
is "the valgrind run ends well (exit $rc_vg: $(tail -n 1 "$T/valgrind.out"))" "$rc_vg" 0
done_testing
