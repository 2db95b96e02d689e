# A throwaway Debian 12 (bookworm) root for the tests that install
# packages. Sourced after tests/lib.sh, as root:
#   debroot_new     sets R to a fresh copy of the cached root, with /proc
#                   mounted and the host's resolv.conf and hosts (apt
#                   reaches the mirror as the host does)
#   debroot_cleanup kills what runs in the copies, unmounts them, removes them
#                   (on exit, also when the test is killed: see the traps)
# The root is what the issue's fresh machine had: debootstrap
# --variant=minbase with build-essential, git, python3 and curl. It is
# made once (a few minutes) and kept, outside the clone, as the tarball
# $DEBROOT_CACHE; remove that file to make it again.
DEBROOT_CACHE=${DEBROOT_CACHE:-/var/cache/cglever-tests/bookworm-minbase.tar.zst}
# The mirror: the host's own (its first Debian archive that is not the
# security one), unless DEBROOT_MIRROR names another.
debroot_host_mirror() {
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p' | tr ' ' '\n'
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2) }'
}
DEBROOT_MIRROR=${DEBROOT_MIRROR:-$(debroot_host_mirror | grep -E '^https?://' | grep -v security | head -n 1)}
DEBROOT_TMP=${DEBROOT_TMP:-/var/tmp}
DEBROOT_DIRS=""   # this test's copies: $DEBROOT_TMP/cglever-debroot.PID.XXXXXX
DEBROOT_PID=""    # a debootstrap running (its own process group)
R=""

# debroot_remove DIR: kills the processes whose root is under DIR, unmounts
# everything under it, deepest first, and removes it, never crossing into
# a file system still mounted there.
debroot_remove() {
	local d=$1 p m
	[ -d "$d" ] || return 0
	for p in /proc/[0-9]*; do
		case $(readlink "$p/root" 2>/dev/null) in "$d"/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
	done
	for m in $(awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if awk -v d="$d/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		echo "# debroot: $d still has mounts; left in place" >&2
		return 1
	fi
	rm -rf --one-file-system "$d"
}

debroot_cleanup() {
	[ -n "$DEBROOT_PID" ] && kill -TERM -- "-$DEBROOT_PID" 2>/dev/null
	local d
	for d in $DEBROOT_DIRS; do debroot_remove "$d"; done
	DEBROOT_DIRS=""
}
trap 'debroot_cleanup; cleanup' EXIT   # lib.sh's cleanup as well
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Copies left by a run that was killed outright (SIGKILL: no trap ran).
for d in "$DEBROOT_TMP"/cglever-debroot.*; do
	[ -d "$d" ] || continue
	pid=${d#"$DEBROOT_TMP"/cglever-debroot.}
	pid=${pid%%.*}
	kill -0 "$pid" 2>/dev/null || debroot_remove "$d"
done

# debroot_mkdir: sets D to a new copy's directory, removed by debroot_cleanup.
debroot_mkdir() {
	D=$(mktemp -d "$DEBROOT_TMP/cglever-debroot.$$.XXXXXX") || die "cannot make a directory in $DEBROOT_TMP"
	DEBROOT_DIRS="$DEBROOT_DIRS $D"
}

# debroot_make: the cached tarball, made if missing (one maker at a time).
debroot_make() {
	[ -s "$DEBROOT_CACHE" ] && return 0
	[ -n "$DEBROOT_MIRROR" ] || die "no Debian mirror in /etc/apt: set DEBROOT_MIRROR"
	command -v debootstrap >/dev/null 2>&1 ||
		die "debootstrap is missing: cannot make the Debian root (Debian: debootstrap; run make deps-check)"
	mkdir -p "$(dirname "$DEBROOT_CACHE")"
	exec 8>"$DEBROOT_CACHE.lock"
	flock 8
	if [ ! -s "$DEBROOT_CACHE" ]; then
		debroot_mkdir
		local d=$D
		echo "# debroot: making $DEBROOT_CACHE (debootstrap, a few minutes; log in $T/debootstrap.log)"
		setsid debootstrap --variant=minbase --include=build-essential,git,python3,curl \
			bookworm "$d/root" "$DEBROOT_MIRROR" >"$T/debootstrap.log" 2>&1 &
		DEBROOT_PID=$!
		wait $DEBROOT_PID || die "debootstrap failed: $(tail -n 5 "$T/debootstrap.log")"
		DEBROOT_PID=""
		rm -f "$d"/root/var/cache/apt/archives/*.deb
		tar -C "$d/root" --numeric-owner -cf - . | zstd -q -T0 -o "$DEBROOT_CACHE.tmp.$$" &&
			mv "$DEBROOT_CACHE.tmp.$$" "$DEBROOT_CACHE" ||
			{ rm -f "$DEBROOT_CACHE.tmp.$$"; die "cannot write $DEBROOT_CACHE"; }
		debroot_remove "$d"
	fi
	exec 8>&-
}

debroot_new() {
	need zstd tar flock setsid mount umount
	debroot_make
	debroot_mkdir
	R=$D/root
	mkdir -m 755 "$R"
	zstd -q -dc "$DEBROOT_CACHE" | tar -C "$R" --numeric-owner -xf - ||
		die "cannot unpack $DEBROOT_CACHE (remove it to make it again)"
	[ -c "$R/dev/null" ] || die "$R/dev/null is not a device: the cached root is incomplete (remove $DEBROOT_CACHE)"
	mount -t proc proc "$R/proc" || die "cannot mount /proc in $R"
	chmod 755 "$R"   # the root's /: a user in it must reach /src
	rm -f "$R/etc/resolv.conf" "$R/etc/hosts"
	# Readable by all: apt fetches as its own user (_apt).
	install -m 644 /etc/resolv.conf "$R/etc/resolv.conf"
	install -m 644 /etc/hosts "$R/etc/hosts"
}
