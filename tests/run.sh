#!/bin/sh
# Runs every numbered test and ends with one line: N passed, N failed.
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
mkdir -p tests/tmp
for t in tests/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -n "${TESTS:-}" ] && case " $TESTS " in *" $(basename "$t" .sh) "*) ;; *) continue ;; esac
	echo "# $t"
	out=tests/tmp/$(basename "$t" .sh).log
	start=$(date +%s)
	bash "$t" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $t exited $rc without reporting a failure" >>"$out"
	fi
	grep -E '^(ok|not ok) ' "$out"
	[ "$f" -ne 0 ] && grep '^#' "$out"
	echo "# $t: $(( $(date +%s) - start ))s"
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
