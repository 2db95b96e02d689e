#!/bin/sh
# A stand-in for systemctl inside tests/debroot.sh's root, which runs no
# systemd (t0032 installs it as /usr/local/sbin/systemctl there). It
# drives the package's units from their files, as systemd would:
#   start X.socket    binds ListenStream= with SocketUser/Group/Mode and
#                     starts its service with the socket as standard input
#                     (eagerly: systemd waits for the first connection)
#   start X.service   Type=oneshot: runs ExecStart= as User=/Group= with
#                     Environment=, and waits; a socket's service: starts
#                     the socket
#   start X.timer     marks the timer active (the test fires it: see
#                     `tick`); stop X.timer unmarks it
#   stop X.service    ends every process of the unit, as systemd ends its
#                     control group: those with FAKE_SYSTEMD_UNIT=X in
#                     their environment, and the detached ones of its
#                     User= that carry no such mark (the queue runners the
#                     webhook starts with an environment of their own)
#   stop X.socket     unbinds the socket (its service keeps running, as
#                     under systemd)
#   is-active X       exit 0 when active
#   tick              runs the service of every active timer once, as its
#                     elapsing would (a test helper, not systemctl's)
#   daemon-reload     nothing to do
# A service's output goes to /var/log/fake-journal/UNIT.log.
set -u
UNITS=${FAKE_UNIT_DIR:-/lib/systemd/system}
STATE=/run/fake-systemd
LOG=/var/log/fake-journal
mkdir -p "$STATE" "$LOG"

die() { echo "systemctl (fake): $*" >&2; exit 1; }
# key UNIT KEY: the last value of KEY= in the unit file.
key() { sed -n "s/^$2=//p" "$UNITS/$1" | tail -n 1; }
unit_file() { [ -f "$UNITS/$1" ] || die "unit $1 not found in $UNITS"; }

# pids UNIT: the processes of a service, in this root only (their root
# is this root's /: the host's and other roots' are left alone).
pids() {
	python3 - "$1" "$(id -u "$(key "$1" User)" 2>/dev/null)" <<'PY'
import os, sys
unit, uid = sys.argv[1], sys.argv[2]
me = os.stat("/")
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        st = os.stat(f"/proc/{p}/root")
        if (st.st_dev, st.st_ino) != (me.st_dev, me.st_ino):
            continue
        env = open(f"/proc/{p}/environ", "rb").read().split(b"\0")
        owner = os.stat(f"/proc/{p}").st_uid
    except OSError:
        continue
    marks = [e[18:].decode() for e in env if e.startswith(b"FAKE_SYSTEMD_UNIT=")]
    if marks == [unit] or (not marks and uid not in ("", "0") and owner == int(uid)):
        print(p)
PY
}

# run_cmd UNIT: the words (one a line) that run its ExecStart= as systemd
# would: as User=/Group=, with a clean environment and Environment=.
run_cmd() {
	u=$1
	user=$(key "$u" User)
	group=$(key "$u" Group)
	envs=$(sed -n 's/^Environment=//p' "$UNITS/$u" | tr '\n' ' ')
	# shellcheck disable=SC2086 # ExecStart and Environment= are word lists
	set -- ${user:+setpriv --reuid="$user" --regid="${group:-$user}" --init-groups} \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin FAKE_SYSTEMD_UNIT="$u" $envs $(key "$u" ExecStart)
	printf '%s\n' "$@"
}

start_socket() {
	s=$1
	svc=$(key "$s" Service)
	svc=${svc:-${s%.socket}.service}
	unit_file "$svc"
	[ -f "$STATE/$s" ] && return 0
	path=$(key "$s" ListenStream)
	run_cmd "$svc" >"$STATE/$svc.cmd"
	python3 - "$path" "$(key "$s" SocketUser)" "$(key "$s" SocketGroup)" "$(key "$s" SocketMode)" \
		"$LOG/$svc.log" "$STATE/$svc.cmd" <<'PY' >"$STATE/$svc.pid" || die "cannot start $s"
import grp, os, pwd, socket, sys
path, user, group, mode, log, cmdfile = sys.argv[1:]
cmd = open(cmdfile).read().splitlines()
os.makedirs(os.path.dirname(path), exist_ok=True)
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(128)
os.chown(path, pwd.getpwnam(user or "root").pw_uid, grp.getgrnam(group or "root").gr_gid)
os.chmod(path, int(mode or "0666", 8))
pid = os.fork()
if pid == 0:
    os.setsid()
    os.dup2(s.fileno(), 0)
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.closerange(3, 65536)
    os.execvp(cmd[0], cmd)
print(pid)
PY
	: >"$STATE/$s"
}

stop_service() {
	u=$1
	for sig in TERM KILL; do
		ps=$(pids "$u")
		[ -z "$ps" ] && break
		kill -s "$sig" $ps 2>/dev/null
		i=0
		while [ -n "$(pids "$u")" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	done
	rm -f "$STATE/$u.pid"
	[ -z "$(pids "$u")" ] || die "$u: processes left: $(pids "$u")"
}

start_oneshot() {
	u=$1
	run_cmd "$u" >"$STATE/$u.cmd"
	# The command's words, one per line, back into "$@".
	set --
	while IFS= read -r w; do set -- "$@" "$w"; done <"$STATE/$u.cmd"
	"$@" >>"$LOG/$u.log" 2>&1
}

verb=${1:-}
[ $# -gt 0 ] && shift
rc=0
case $verb in
daemon-reload) exit 0 ;;
tick)
	for t in "$STATE"/*.timer; do
		[ -f "$t" ] || continue
		t=$(basename "$t")
		u=$(key "$t" Unit)
		start_oneshot "${u:-${t%.timer}.service}" || rc=1
	done
	exit $rc ;;
esac
for u in "$@"; do
	case $u in -*) continue ;; esac
	unit_file "$u"
	case $verb/$u in
	start/*.socket | restart/*.socket) start_socket "$u" || rc=1 ;;
	stop/*.socket) rm -f "$(key "$u" ListenStream)" "$STATE/$u" ;;
	start/*.timer | restart/*.timer) : >"$STATE/$u" ;;
	stop/*.timer) rm -f "$STATE/$u" ;;
	start/*.service)
		if [ -f "$UNITS/${u%.service}.socket" ]; then
			start_socket "${u%.service}.socket" || rc=1
		else
			start_oneshot "$u" || rc=1
		fi ;;
	stop/*.service) stop_service "$u" || rc=1 ;;
	is-active/*.service) [ -n "$(pids "$u")" ] || rc=3 ;;
	is-active/*) [ -f "$STATE/$u" ] || rc=3 ;;
	*) die "$verb $u: not handled" ;;
	esac
done
exit $rc
