#!/bin/bash
# A long-lived webhook process through 20 recoveries (issue 13): each
# time a queue runner is killed while it has the store open, the next
# opener runs recovery and the webhook process finds its environment
# replaced. Berkeley DB cannot free the old handle (its regions stay
# attached): the store detaches them, so the process never holds more
# than one environment's segments, its memory does not grow by a region
# per recovery, and nothing is lost.
. "$(dirname "$0")/lib.sh"
FCGI_PROCS=1 setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null

held() { [ "$(sim LEVER GET /_sim/held | jget 'd["held"]')" -ge 1 ]; }
webhooks() { for p in $(pgrep -P "$LIGHTTPD_PID"); do grep -q webhook.fcgi "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done; }
# The System V segments a process has attached, and those of one environment.
attached() { grep -c 'SYSV' "/proc/$1/maps" 2>/dev/null || echo 0; }
candidate() { opportunity "{\"name\":\"C$1\",\"emails\":[\"c$1@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}"; }

worst=0 pids="" rss0=""
for i in $(seq 1 20); do
	# A runner with the store open, held inside a call to Lever, killed.
	O=$(candidate "k$i")
	sim LEVER POST /_sim/faults "{\"method\":\"GET\",\"path\":\"/opportunities/$O\$\",\"action\":\"hold\"}" >/dev/null
	deliver "$ACC" "$O" stage-screen >/dev/null
	wait_until 30 held || { nok "round $i: the runner did not reach Lever"; break; }
	for p in $(runners); do kill -9 "$p"; done
	sim LEVER POST /_sim/release '{}' >/dev/null
	wait_runners
	# The next opener (this sweep) recovers; the webhook process's next
	# request meets the new environment.
	ctl sweep >/dev/null 2>&1
	deliver "$ACC" "$(candidate "d$i")" stage-screen >/dev/null
	for p in $(webhooks); do
		a=$(attached "$p"); [ "$a" -gt "$worst" ] && worst=$a
		pids="$pids $p"
		rss=$(awk '/^VmRSS/{print $2}' "/proc/$p/status")
		[ -n "$rss0" ] || rss0=$rss
	done
done
segs=$(store_segments "$T/db")
check "no webhook process kept more than one environment's segments (worst $worst, one environment has $segs)" \
	test "$worst" -le "$segs"
n_pids=$(echo $pids | tr ' ' '\n' | sort -u | wc -l)
recoveries=$(grep -c "reopening the environment" "$T/lighttpd.err")
check "the same webhook process served through the recoveries ($n_pids process, $recoveries reopens)" \
	test "$n_pids" -eq 1 -a "$recoveries" -ge 20
check "it detached the replaced environments' regions" grep -q "detached [0-9]* region(s) of the replaced environment" "$T/lighttpd.err"
# A region is about 10 MB; 20 kept would add 200 MB.
check "its resident memory grew by less than one region (${rss0} kB -> ${rss} kB)" test $((rss - rss0)) -lt 10240
ctl sweep >/dev/null 2>&1
check "every candidate's test is sent (40)" wait_until 120 sends_ge 40
wait_runners
is "each once" "$(sends)" 40
is "no database is damaged" "$(bad_databases)" 0
done_testing
