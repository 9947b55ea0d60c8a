#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A member of the device's group cannot make the machine flush TLBs more
# often than tlb_flush_max_hz, however many sessions it opens (perm-flush.c).
# Usage: flush.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dmember "$GROUP"
grant_device
run as dmember "$BIN/perm-flush" 8 3
