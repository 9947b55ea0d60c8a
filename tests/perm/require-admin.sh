#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# With the module parameter require_admin=Y only CAP_SYS_ADMIN may open
# /dev/damon: group members and CAP_SYS_PTRACE holders get EPERM, root and
# a CAP_SYS_ADMIN holder work.  Back to N, members work again.
# Usage: require-admin.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dmember "$GROUP"
ensure_user dcap "$GROUP"
ensure_user dadmin "$GROUP"
grant_device
[ -w "$PARAM" ] || fail "$PARAM is not writable"
[ "$(cat "$PARAM")" = N ] || fail "require_admin is $(cat "$PARAM") before the test, expected N"

spawn dmember; own=$SPAWNED
spawn root; rootp=$SPAWNED
echo Y > "$PARAM" || fail "cannot set require_admin"
ok "require_admin set to $(cat "$PARAM")"
run as dmember "$BIN/perm-open" EPERM "require_admin=Y, member of $GROUP"
run as_caps sys_ptrace dcap "$BIN/perm-open" EPERM "require_admin=Y, CAP_SYS_PTRACE"
run as_caps sys_admin dadmin "$BIN/perm-monitor" ok "require_admin=Y, CAP_SYS_ADMIN, a process of root" "$rootp"
run "$BIN/perm-monitor" ok "require_admin=Y, root, a member's process" "$own"
echo N > "$PARAM" || fail "cannot clear require_admin"
run as dmember "$BIN/perm-monitor" ok "require_admin=N again, member, its own process" "$own"
