#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The commoncap rule: a process of the same user that holds capabilities
# its would-be monitor lacks (AmbientCapabilities=, file capabilities) is
# out of reach; a monitor holding them too may monitor it.
# Usage: caps.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dmember "$GROUP"
grant_device

# A sleeper of dmember's with CAP_NET_RAW permitted (ambient, as systemd's
# AmbientCapabilities= gives it), and a plain one.
ready=$TMPD/ready.caps
setpriv --reuid=dmember --regid=dmember --init-groups \
	--inh-caps=+net_raw --ambient-caps=+net_raw -- \
	"$BIN/perm-sleeper" "$ready" > /dev/null 2>&1 &
capped=$!
PIDS+=("$capped")
wait_file "$ready" || fail "the capable sleeper did not start"
grep -q '^CapPrm:.*[1-9a-f]' "/proc/$capped/status" ||
	fail "the sleeper holds no permitted capability: $(grep Cap "/proc/$capped/status")"
[ "$(uids "$capped" | cut -d' ' -f1-3)" = "$(id -u dmember) $(id -u dmember) $(id -u dmember)" ] ||
	fail "the capable sleeper runs as $(uids "$capped"), not dmember"
spawn dmember; plain=$SPAWNED

run as dmember "$BIN/perm-monitor" ok "same user, no capabilities" "$plain"
run as dmember "$BIN/perm-monitor" EPERM "same user, the target holds CAP_NET_RAW" "$capped"
run as_caps net_raw dmember "$BIN/perm-monitor" ok "same user, both hold CAP_NET_RAW" "$capped"
