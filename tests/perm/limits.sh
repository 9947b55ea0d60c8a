#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Session limits: max_sessions_per_user stops one user's open() loop with
# EUSERS while other users still get sessions; max_sessions stops everyone
# with ENFILE; closing gives the count back.
# Usage: limits.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
P=/sys/module/damondev/parameters
for f in max_sessions max_sessions_per_user; do
	[ -w "$P/$f" ] || fail "no module parameter $f"
done
old_user=$(cat $P/max_sessions_per_user) old_all=$(cat $P/max_sessions)
at_exit "echo $old_user > $P/max_sessions_per_user; echo $old_all > $P/max_sessions"
ensure_user dmember "$GROUP"
ensure_user dother "$GROUP"
grant_device

echo 3 > $P/max_sessions_per_user
run as dmember "$BIN/perm-sessions" 3 EUSERS
# dmember holds its 3; another user is not affected by them.
hold=$TMPD/hold
setpriv --reuid=dmember --regid=dmember --init-groups -- \
	"$BIN/perm-sessions" 3 EUSERS "$hold" &
PIDS+=("$!")
wait_file "$hold" || fail "the holder did not open its sessions"
run as dother "$BIN/perm-sessions" 3 EUSERS
ok "another user opens its own 3 while dmember holds 3"

# Machine-wide: 3 held by dmember + 2 more, then ENFILE for anyone.
echo 5 > $P/max_sessions
run as dother "$BIN/perm-sessions" 2 ENFILE
ok "max_sessions=5 with 3 held: dother gets 2, then ENFILE"
