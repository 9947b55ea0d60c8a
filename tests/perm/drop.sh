#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Targets that stop being monitorable while a session runs are dropped
# (see perm-drop.c).  Needs the kernel side: DAMON_TARGET_REVOKED.
# Usage: drop.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dmember "$GROUP"
grant_device
make_suid_sleeper
run as dmember "$BIN/perm-drop" "$SUID_SLEEPER"
