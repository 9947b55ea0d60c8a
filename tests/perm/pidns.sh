#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pids are the caller's: a session opened inside a new pid namespace
# targets a process by its pid in that namespace, and snapshots report
# that number; a pid of the parent namespace does not resolve there.
# Usage: pidns.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
spawn root; outer=$SPAWNED
[ "$outer" -gt 50 ] || fail "outer pid $outer is too small to be told from the namespace's"

# shellcheck disable=SC2016 # expanded by the inner shell
run unshare --pid --fork --mount-proc bash -c '
	BIN=$1 outer=$2 TMPD=$3
	fail() { echo "FAIL: $*"; exit 1; }
	"$BIN/perm-sleeper" "$TMPD/ns-ready" & s=$!
	for _ in $(seq 100); do [ -e "$TMPD/ns-ready" ] && break; sleep 0.05; done
	[ -e "$TMPD/ns-ready" ] || fail "sleeper in the namespace did not start"
	[ "$s" -lt 50 ] || fail "pid $s does not look like a pid of a new namespace"
	echo "ok - in the new pid namespace the target is pid $s"
	"$BIN/perm-monitor" ok "session in a new pid namespace, its pid $s" "$s" "$s" || exit 1
	"$BIN/perm-monitor" ESRCH "session in a new pid namespace, pid $outer of the parent namespace" "$outer" || exit 1
	kill $s
' bash "$BIN" "$outer" "$TMPD"
