#!/bin/bash
# The gate keeps recovery away from operations under way, and nothing
# turns it off (issue 13): with an operation held inside the gate for as
# long as the test likes (as a slow fsync or a stuck process would), every
# environment open waits for it, the first as the third; released, they
# all go on.
. "$(dirname "$0")/lib.sh"
NO_LIGHTTPD=1 setup
ACC=$(add_account acme)
G="$T/db/gate.lock"
ino=$(stat -c %i "$G")
env_id() { ipcs -m | awk -v k="$(printf '0x%08x' $(($(cat "$T/db/shm-key"))))" 'tolower($1) == k {print $2}'; }
ENV=$(env_id)
check "the store's environment exists (shm id $ENV)" test -n "$ENV"

# hold: an "operation under way" in the environment: a shared lock on the
# environment's byte of gate.lock, held until $T/release exists.
hold() {
	rm -f "$T/release" "$T/holding"
	python3 - "$G" $((16 + ENV)) "$T" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_SH, 1, int(sys.argv[2]))
open(os.path.join(sys.argv[3], "holding"), "w").close()
while not os.path.exists(os.path.join(sys.argv[3], "release")):
    time.sleep(0.05)
PY
	HOLDER=$!
	PIDS="$PIDS $HOLDER"
	wait_until 30 test -e "$T/holding"
}
release() { touch "$T/release"; wait "$HOLDER"; }
# waiting PID: PID is alive and a lock request on gate.lock is blocked.
waiting_on_gate() { kill -0 "$1" 2>/dev/null && grep -q -- "-> .*:$ino " /proc/locks; }

for n in 1 2 3; do
	hold
	ctl account list >"$T/list.$n" 2>&1 &
	opener=$!
	check "open #$n waits for the operation under way" wait_until 30 waiting_on_gate "$opener"
	release
	wait "$opener"
	is "released, open #$n goes on (exit status)" "$?" 0
	check "and works" grep -q "acme" "$T/list.$n"
done

done_testing
