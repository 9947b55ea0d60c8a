#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Targets that stop being monitorable while a session runs are dropped,
# stay dropped across STOP and START, and an exec in the middle of an
# interval shows in that interval's snapshot (see perm-drop.c).
# Usage: drop.sh BINDIR drop|restart|exec
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dmember "$GROUP"
grant_device
make_suid_sleeper
run as dmember "$BIN/perm-drop" "${2:?mode}" "$SUID_SLEEPER"
