#!/bin/sh
# Runs every numbered test and the fault suite (tests/faults) under
# lighttpd, then the end-to-end tests again
# under Apache (mod_proxy_fcgi, the programs as their own user), and ends with one line: N passed, N failed.
# TESTS="t0002-deliver ..." runs a subset; HTTPDS="lighttpd" one server.
# CGLEVER_TEST_LINGER_MS=N sets runner_linger_ms = N in every test's config
# (how long a woken queue runner stays once its queue is empty; the suite
# must pass at 0 and at 10000).
cd "$(dirname "$0")/.." || exit 1
pass=0
fail=0
mkdir -p tests/tmp
# The end-to-end tests: those that drive the web server.
E2E="t0002-deliver t0003-once t0004-bad-input t0005-rules t0006-no-email t0007-faults
t0008-load t0009-secrets t0012-oauth t0013-results t0014-admin-browser t0015-admin-pages
t0016-backup"
for httpd in ${HTTPDS:-lighttpd apache}; do
	for t in tests/t[0-9][0-9][0-9][0-9]-*.sh tests/faults/*.sh; do
		name=$(basename "$t" .sh)
		[ -n "${TESTS:-}" ] && case " $(echo $TESTS) " in *" $name "*) ;; *) continue ;; esac
		if [ "$httpd" = apache ]; then
			case " $(echo $E2E) " in *" $name "*) ;; *) continue ;; esac
			out=tests/tmp/$name-apache.log
		else
			out=tests/tmp/$name.log
		fi
		echo "# $t ($httpd)"
		start=$(date +%s)
		HTTPD=$httpd bash "$t" >"$out" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$out")
		f=$(grep -c '^not ok ' "$out")
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "not ok - $t exited $rc without reporting a failure" >>"$out"
		fi
		# Sanitizer runs: any report anywhere in the test's logs fails it.
		case ${CGLEVER_SANITIZER:-} in
		asan)
			n=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$out" \
				tests/tmp/$name/*.err tests/tmp/$name/*/*.err 2>/dev/null | wc -l) ;;
		valgrind)
			n=$(find tests/tmp/$name -name 'valgrind.*.log' -size +0 2>/dev/null | wc -l)
			echo "# valgrind: $(find tests/tmp/$name -name 'valgrind.*.log' | wc -l) processes" >>"$out" ;;
		*) n=-1 ;;
		esac
		if [ "$n" -gt 0 ]; then
			echo "not ok - $CGLEVER_SANITIZER: $n log(s) with reports (tests/tmp/$name)" >>"$out"
			f=$((f + 1))
		elif [ "$n" -eq 0 ]; then
			echo "ok - $CGLEVER_SANITIZER: no report, no leak" >>"$out"
			p=$((p + 1))
		fi
		grep -E '^(ok|not ok) ' "$out" | sed "s/^\(ok\|not ok\) - /&[$httpd${CGLEVER_SANITIZER:+ $CGLEVER_SANITIZER}] /"
		grep '^# faults:' "$out"
		[ "$f" -ne 0 ] && grep '^#' "$out"
		echo "# $t ($httpd): $(( $(date +%s) - start ))s"
		pass=$((pass + p))
		fail=$((fail + f))
	done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
