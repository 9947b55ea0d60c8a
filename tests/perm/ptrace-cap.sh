#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# CAP_SYS_PTRACE lifts the same-user and dumpable rules: a user holding it
# monitors another user's, root's and a non-dumpable process; the same
# user without it cannot.
# Usage: ptrace-cap.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dcap "$GROUP"
ensure_user dother
grant_device

spawn dother; other=$SPAWNED
spawn root; rootp=$SPAWNED
spawn dother --nondumpable; nd=$SPAWNED
run as dcap "$BIN/perm-monitor" EPERM "without CAP_SYS_PTRACE, another user's process" "$other"
run as_caps sys_ptrace dcap "$BIN/perm-monitor" ok "CAP_SYS_PTRACE, another user's process" "$other"
run as_caps sys_ptrace dcap "$BIN/perm-monitor" ok "CAP_SYS_PTRACE, a process of root" "$rootp"
run as_caps sys_ptrace dcap "$BIN/perm-monitor" ok "CAP_SYS_PTRACE, another user's non-dumpable process" "$nd"
# The capability does not open the device: the node's mode still applies.
ensure_user dcapout
run as_caps sys_ptrace dcapout "$BIN/perm-open" EACCES "CAP_SYS_PTRACE outside $GROUP"
