#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A session's kernel thread works for whoever starts it: it runs in that
# process's cgroup, so the cgroup's cpu.max holds it, and at that
# process's nice value (perm-cgroup.c).
# Usage: cgroup.sh BINDIR
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
ensure_user dmember "$GROUP"
grant_device
cg=/sys/fs/cgroup
if [ "$(stat -f -c %T $cg 2> /dev/null)" != cgroup2fs ]; then
	mount -t cgroup2 none $cg || fail "cannot mount cgroup2 on $cg"
	at_exit "umount $cg"
fi
grep -qw cpu $cg/cgroup.controllers || fail "the kernel has no cpu controller: $(cat $cg/cgroup.controllers)"
echo +cpu > $cg/cgroup.subtree_control || fail "cannot enable the cpu controller"
d=$cg/damon-perm-test
mkdir -p $d || fail "mkdir $d"
at_exit "rmdir $d"
# inside CMD...: CMD as dmember, started inside the test cgroup.
inside() {
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$d" \
		setpriv --reuid=dmember --regid=dmember --init-groups -- "$@"
}
# Unlimited first, so that the limit below is seen to be what holds it.
echo max > $d/cpu.max
run inside "$BIN/perm-cgroup" 5 3 0.3 1.5
echo "10000 100000" > $d/cpu.max
run inside "$BIN/perm-cgroup" 7 3 0 0.15
ok "cpu.max of 10% holds the kernel thread of a session started in the cgroup"
