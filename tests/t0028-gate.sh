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
# waiting N: open #N said it waits for the operations under way.
waiting() { grep -q "waiting for the operations under way" "$T/list.$1"; }
# past_patience T0: more than 3 s (the gate's patience after a death is
# 2 s) since T0 (ms): a live store's open must still be waiting then.
past_patience() { [ $(( $(date +%s%3N) - $1 )) -gt 3000 ]; }

for n in 1 2 3; do
	hold
	ctl account list >"$T/list.$n" 2>&1 &
	opener=$!
	check "open #$n waits for the operation under way" wait_until 30 waiting "$n"
	t0=$(date +%s%3N)
	wait_until 30 past_patience "$t0"
	check "and still waits past the patience kept for dead processes (no process died)" \
		kill -0 "$opener"
	release
	wait "$opener"
	is "released, open #$n goes on (exit status)" "$?" 0
	check "and works" grep -q "acme" "$T/list.$n"
	check "without giving up on the gate" sh -c "! grep -q 'recovering anyway' '$T/list.$n'"
done
done_testing
