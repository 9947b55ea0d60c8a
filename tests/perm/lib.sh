# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the permission scenarios (tests/perm/*.sh).  They run inside
# the test VM as root, where /etc, /tmp and /run live in a throw-away
# overlay: they add users and groups, drop privileges with setpriv and
# change /dev/damon, and put the device and the module parameter back on
# exit so that every scenario starts from the harness's state (root:root
# 0600 as devtmpfs creates it, require_admin=N).
# Usage: . lib.sh; every scenario gets the directory of the perm-*
# programs as its first argument.
set -u
BIN=${1:?usage: $0 BINDIR ...}
GROUP=damon

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

[ "${DAMON_VM:-}" = 1 ] ||
	fail "runs only inside the test VM: it adds users and changes /dev/damon"
[ "$(id -u)" = 0 ] || fail "must start as root"
[ -c /dev/damon ] || fail "no /dev/damon: is the module loaded?"
for p in perm-open perm-monitor perm-sleeper; do
	[ -x "$BIN/$p" ] || fail "$BIN/$p missing"
done

PIDS=()
TMPD=$(mktemp -d /tmp/perm.XXXXXX)
chmod 1777 "$TMPD"	# the test users' sleepers write ready files here
# The test users run the programs from copies: a build directory under a
# 0700 home or a `mktemp -d` is out of their reach, and the scenarios
# test the module's rules, not the build directory's mode.
mkdir "$TMPD/bin" || fail "mkdir $TMPD/bin"
for f in "$BIN"/perm-*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	cp "$f" "$TMPD/bin/" || fail "cannot copy $f to $TMPD/bin"
done
chmod 0755 "$TMPD/bin" "$TMPD/bin"/*
BIN=$TMPD/bin
PARAM=/sys/module/damondev/parameters/require_admin

# at_exit CMD...: run CMD (as one word list) when the scenario ends; the
# last registered runs first.
EXIT_HOOKS=()
at_exit() { EXIT_HOOKS+=("$*"); }

cleanup() {
	local p i
	for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do eval "${EXIT_HOOKS[i]}"; done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2> /dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2> /dev/null; done
	chown root:root /dev/damon 2> /dev/null
	chmod 0600 /dev/damon 2> /dev/null
	[ -w "$PARAM" ] && echo N > "$PARAM"
	rm -rf "$TMPD"
}
trap cleanup EXIT

# ensure_user NAME [SUPPLEMENTARY-GROUP]: an unprivileged user with its own
# primary group and, if given, membership of that group.
ensure_user() {
	id -u "$1" > /dev/null 2>&1 ||
		useradd --no-create-home --user-group --shell /usr/sbin/nologin "$1" ||
		fail "useradd $1"
	if [ -n "${2:-}" ]; then
		getent group "$2" > /dev/null || groupadd --system "$2" ||
			fail "groupadd $2"
		usermod -a -G "$2" "$1" || fail "usermod -a -G $2 $1"
	fi
}

# as USER CMD...: run CMD as USER with USER's groups (from /etc/group), no
# capabilities.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
}

# as_caps CAP USER CMD...: as `as`, with CAP (e.g. sys_ptrace) kept as an
# ambient capability, so that CMD runs with it effective.
as_caps() {
	local c=$1 u=$2
	shift 2
	setpriv --reuid="$u" --regid="$u" --init-groups \
		--inh-caps="+$c" --ambient-caps="+$c" -- "$@"
}

# The device for GROUP, as the udev rule makes it (tests not about udev).
grant_device() {
	if ! chgrp "$GROUP" /dev/damon || ! chmod 0660 /dev/damon; then
		fail "cannot chgrp/chmod /dev/damon"
	fi
}

# spawn [USER] [--nondumpable]: start a perm-sleeper (as USER, default
# root; $SLEEPER instead if set) and wait until it is ready; its pid is
# in $SPAWNED.
spawn() {
	local who=root ready sleeper=${SLEEPER:-$BIN/perm-sleeper}
	if [ $# -gt 0 ] && [ "$1" != --nondumpable ]; then who=$1; shift; fi
	ready=$TMPD/ready.$RANDOM$RANDOM
	# A simple command, not the function `as`: $! must be the sleeper,
	# not a subshell of root.
	if [ "$who" = root ]; then
		"$sleeper" "$@" "$ready" > /dev/null 2>&1 &
	else
		setpriv --reuid="$who" --regid="$who" --init-groups -- \
			"$sleeper" "$@" "$ready" > /dev/null 2>&1 &
	fi
	SPAWNED=$!
	PIDS+=("$SPAWNED")
	wait_file "$ready" || fail "perm-sleeper ($who $*) did not start"
	[ "$(readlink "/proc/$SPAWNED/exe")" = "$sleeper" ] ||
		fail "pid $SPAWNED runs $(readlink "/proc/$SPAWNED/exe"), not $sleeper"
	[ "$(uids "$SPAWNED" | cut -d' ' -f1)" = "$(id -u "$who")" ] ||
		fail "pid $SPAWNED has uids $(uids "$SPAWNED"), expected real uid of $who"
}

wait_file() {
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# uids PID: "real effective saved fs" uids of PID.
uids() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }

# A copy of perm-sleeper that is setuid root, in the overlay's /tmp.
make_suid_sleeper() {
	SUID_SLEEPER=$TMPD/perm-sleeper-suid
	if ! cp "$BIN/perm-sleeper" "$SUID_SLEEPER" ||
	   ! chown root:root "$SUID_SLEEPER" ||
	   ! chmod 4755 "$SUID_SLEEPER"; then
		fail "cannot make a setuid copy of perm-sleeper"
	fi
}

# run CMD...: run a step; it prints its own "ok"/"FAIL" lines, and a
# failure ends the scenario.
run() {
	"$@" || fail "step failed: $*"
}
