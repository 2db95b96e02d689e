#!/bin/bash
# The fuzz targets (fuzz/: libFuzzer, ASan, UBSan, leak checks) each run
# a few seconds from their seed corpus: no crash, leak or broken invariant.
# `make fuzz` runs them ten minutes each. No web server: no setup.
. "$(dirname "$0")/lib.sh"
CGLEVER_CONFIG=$T/none.conf # read by lib.sh's cleanup; no config here
TARGETS="fuzz_webhook fuzz_form fuzz_conf fuzz_lever_reply fuzz_codingame_reply"

# A fuzz run that cannot happen is a failure, not a skip.
command -v clang >/dev/null 2>&1 ||
	die "clang is missing (Debian: clang libclang-rt-14-dev; run make deps)"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)(n & 0); }\n' >"$T/probe.c"
clang -fsanitize=fuzzer,address,undefined "$T/probe.c" -o "$T/probe" 2>"$T/probe.err" ||
	die "clang cannot link libFuzzer with ASan and UBSan (libclang-rt-14-dev; run make deps)"

(cd "$TOP" && make -s fuzz-short) >"$T/fuzz.out" 2>"$T/fuzz.err"
rc=$?
for t in $TARGETS; do
	line=$(grep "^$t: " "$T/fuzz.out" | tail -n 1)
	case $line in
	"$t: "*" runs, no crash") ok "$line" ;;
	"") nok "$t: no result (make fuzz-short exited $rc, see $T/fuzz.err)" ;;
	*) nok "$line" ;;
	esac
done
done_testing
