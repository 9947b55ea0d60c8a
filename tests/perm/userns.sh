#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Root in a user namespace of one's own is not root: a member that maps
# itself to root (unshare -U -r) monitors processes inside that namespace
# only; as ptrace's commoncap rule has it, even its own processes outside
# (in the initial namespace) are out of reach, and so is everything else.
# Usage: userns.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2> /dev/null || echo 1)" != 1 ]; then
	echo "SKIP: unprivileged user namespaces are disabled"
	exit 77
fi
# The kernel refuses new user namespaces in a chroot, even to root: the
# VM's init must switch_root into the overlay, not chroot.
if ! unshare --user true 2> /dev/null; then
	echo "SKIP: unshare --user fails even for root (is this a chroot? tests/vm/init must switch_root)"
	exit 77
fi
ensure_user dmember "$GROUP"
ensure_user dother
grant_device

spawn dmember; own=$SPAWNED
spawn root; rootp=$SPAWNED
spawn dother; other=$SPAWNED
spawn dmember --nondumpable; nd=$SPAWNED
userns() { as dmember unshare --user --map-root-user -- "$@"; }
run userns "$BIN/perm-monitor" EPERM "member as root of its user namespace, its own process outside it" "$own"
run userns sh -c '"$1" & p=$!; "$2" ok "member as root of its user namespace, a process inside it" "$p"; r=$?; kill $p; exit $r' \
	sh "$BIN/perm-sleeper" "$BIN/perm-monitor"
run userns "$BIN/perm-monitor" ok "member as root of its user namespace, itself" self
run userns "$BIN/perm-monitor" EPERM "member as root of its user namespace, a process of root" "$rootp"
run userns "$BIN/perm-monitor" EPERM "member as root of its user namespace, another user's process" "$other"
run userns "$BIN/perm-monitor" EPERM "member as root of its user namespace, its own non-dumpable process" "$nd"
