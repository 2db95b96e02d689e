#!/bin/bash
# A reboot removes the environment's System V shared memory but keeps
# db_home: the service must start normally after it, whether the programs
# stopped cleanly or were killed (issue 13: "a reboot stops the service").
. "$(dirname "$0")/lib.sh"
setup
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 >/dev/null
BASE="http://127.0.0.1:$HTTP_PORT"

# lighttpd and its FastCGI children: the PIDs this test started.
fcgi_children() { pgrep -P "$LIGHTTPD_PID" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
stop_all() {   # clean|kill
	if [ "$1" = kill ]; then
		# Stopped first, lighttpd cannot start a new child while its
		# children die; SIGKILL ends it stopped.
		kill -STOP "$LIGHTTPD_PID"
		kids=$(fcgi_children)
		for p in $kids $(runners); do kill -9 "$p" 2>/dev/null; done
		kill -9 "$LIGHTTPD_PID" 2>/dev/null
	else
		kids=$(fcgi_children)
		kill "$LIGHTTPD_PID"
	fi
	for p in $LIGHTTPD_PID $kids; do wait_until 30 gone "$p" || nok "process $p did not stop"; done
	wait "$LIGHTTPD_PID" 2>/dev/null
	wait_runners
}
# As a reboot does: the segments go, db_home stays.
reboot() { drop_shm "$T/db"; }
one_round() {   # clean|kill N
	OPP=$(opportunity "{\"name\":\"Cand $2\",\"emails\":[\"c$2@example.com\"],\"tags\":[\"java\"],\"stage\":\"stage-screen\"}")
	before=$(sends)
	stop_all "$1"
	reboot
	is "$1 stop, then a reboot: no segment of the store is left" "$(store_segments "$T/db")" 0
	start_lighttpd
	rep=$(deliver "$ACC" "$OPP" stage-screen)
	is "$1 stop + reboot: the next delivery is accepted" "$(echo "$rep" | jget 'd["status"]')" 200
	check "$1 stop + reboot: and its test is sent" wait_until 30 sends_ge $((before + 1))
	out=$(ctl jobs "$ACC" 2>&1); rc=$?
	is "$1 stop + reboot: cglever-ctl works (exit status)" "$rc" 0
	wait_runners
	is "$1 stop + reboot: sent once" "$(sends)" $((before + 1))
}

# Something in the store first, so the environment exists with its log.
OPP0=$(opportunity '{"name":"Ada","emails":["ada@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$OPP0" stage-screen >/dev/null
check "a first test is sent" wait_until 30 sends_ge 1
wait_runners
one_round clean 1
one_round kill 2
# A crash in the middle of work: the kill lands while a runner is busy.
sim CG POST /_sim/faults '{"action":"hold","path":"/actions/send$"}' >/dev/null
OPP3=$(opportunity '{"name":"Cand 3","emails":["c3@example.com"],"tags":["java"],"stage":"stage-screen"}')
deliver "$ACC" "$OPP3" stage-screen >/dev/null
held() { [ "$(sim CG GET /_sim/held | jget 'd["held"]')" -ge 1 ]; }
check "a runner is inside a send" wait_until 30 held
stop_all kill
sim CG POST /_sim/release '{}' >/dev/null
reboot
start_lighttpd
ctl sweep >/dev/null 2>&1
check "after a crash mid-send and a reboot, the sweep sends the test" wait_until 60 sends_ge 4
wait_runners
is "and only once (the interrupted send was found at CodinGame)" "$(sends)" 4
is "every account survived" "$(ctl account list | grep -c acme)" 1
is "no database is damaged" "$(bad_databases)" 0
done_testing
