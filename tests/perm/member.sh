#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A member of the device's group monitors its own processes, and nothing
# it could not ptrace-read: root's, another user's, a non-dumpable one of
# its own, a setuid-root one it started.  Root may monitor all of them.
# Usage: member.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dmember "$GROUP"
ensure_user dother
grant_device
make_suid_sleeper
uid=$(id -u dmember)

run as dmember "$BIN/perm-open" ok "member of $GROUP"
run as dmember "$BIN/perm-monitor" ok "member, itself" self
spawn dmember; own=$SPAWNED
run as dmember "$BIN/perm-monitor" ok "member, another process of its own" "$own"

spawn root; rootp=$SPAWNED
run as dmember "$BIN/perm-monitor" EPERM "member, a process of root" "$rootp"
spawn dother; other=$SPAWNED
run as dmember "$BIN/perm-monitor" EPERM "member, a process of another user" "$other"
spawn dmember --nondumpable; nd=$SPAWNED
run as dmember "$BIN/perm-monitor" EPERM "member, its own non-dumpable process" "$nd"
SLEEPER=$SUID_SLEEPER spawn dmember; suid=$SPAWNED
[ "$(uids "$suid")" = "$uid 0 0 0" ] ||
	fail "the setuid sleeper runs with uids $(uids "$suid"), expected $uid 0 0 0"
run as dmember "$BIN/perm-monitor" EPERM "member, a setuid-root process it started" "$suid"

for p in "$rootp" "$other" "$nd" "$suid"; do
	run "$BIN/perm-monitor" ok "root, pid $p refused to the member" "$p"
done
