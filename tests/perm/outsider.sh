#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A user outside the device's group cannot open /dev/damon (EACCES from
# the node's mode); nor can anyone but root while the node is root:root
# 0600, as devtmpfs creates it without the udev rule.
# Usage: outsider.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user doutsider
ensure_user dmember "$GROUP"

[ "$(stat -c '%U:%G %a' /dev/damon)" = "root:root 600" ] ||
	fail "/dev/damon is $(stat -c '%U:%G %a' /dev/damon), expected root:root 600"
run as dmember "$BIN/perm-open" EACCES "member of $GROUP, node root:root 0600"
run "$BIN/perm-open" ok "root, node root:root 0600"
grant_device
run as doutsider "$BIN/perm-open" EACCES "user outside $GROUP, node root:$GROUP 0660"
run as dmember "$BIN/perm-open" ok "member of $GROUP, node root:$GROUP 0660"
