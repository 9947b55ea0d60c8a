#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The installed files at work, with the host's systemd tools: the
# sysusers.d file creates the group, and systemd-udevd with the rule gives
# /dev/damon to that group with mode 0660 (without the rule udev leaves it
# root:root 0600).  A member can then open it.  udevd is stopped at the end.
# Usage: udev.sh BINDIR RULES-FILE SYSUSERS-FILE
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
rules=${2:?rules file} sysusers=${3:?sysusers file}
GROUP=$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' "$rules")
[ -n "$GROUP" ] || fail "no GROUP= in $rules"
udevd=''
for f in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
	[ -x "$f" ] && { udevd=$f; break; }
done
[ -n "$udevd" ] || fail "systemd-udevd not found: apt-get install udev"
command -v udevadm > /dev/null || fail "udevadm not found: apt-get install udev"
# In a chroot systemd tools ignore most requests ("Running in chroot,
# ignoring request"); the VM's init switches root, but these tests should
# not depend on how they are started.
export SYSTEMD_IGNORE_CHROOT=1

# The group, from the sysusers.d file (remove it first if an earlier
# scenario created it with groupadd).
if getent group "$GROUP" > /dev/null; then
	groupdel "$GROUP" || fail "groupdel $GROUP"
fi
if command -v systemd-sysusers > /dev/null; then
	systemd-sysusers "$sysusers" || fail "systemd-sysusers $sysusers"
	gid=$(getent group "$GROUP" | cut -d: -f3)
	[ -n "$gid" ] || fail "systemd-sysusers did not create group $GROUP"
	[ "$gid" -lt 1000 ] || fail "group $GROUP has gid $gid: not a system group"
	ok "systemd-sysusers $(basename "$sysusers") created system group $GROUP (gid $gid)"
else
	echo "# systemd-sysusers missing: groupadd instead"
	groupadd --system "$GROUP" || fail "groupadd $GROUP"
fi
ensure_user dmember "$GROUP"
ensure_user doutsider

node() { stat -c '%U:%G %a' /dev/damon; }
trigger() {
	udevadm trigger --action=add --subsystem-match=misc --sysname-match=damon ||
		fail "udevadm trigger"
	udevadm settle --timeout=30 || fail "udevadm settle"
}

chown root:root /dev/damon && chmod 0600 /dev/damon
"$udevd" --daemon || fail "$udevd --daemon"
at_exit 'udevadm control --exit 2> /dev/null; rm -f /run/udev/rules.d/'"$(basename "$rules")"
for _ in $(seq 100); do
	udevadm control --ping 2> /dev/null && break
	sleep 0.1
done
udevadm control --ping || fail "systemd-udevd does not answer"
ok "systemd-udevd runs"

devno=$(cat /sys/class/misc/damon/dev)
rm -f "/run/udev/data/c$devno"
trigger
# udevd records every device it handled: proof that the event was seen.
[ -e "/run/udev/data/c$devno" ] ||
	fail "udevd did not handle the add event of /dev/damon (no /run/udev/data/c$devno)"
[ "$(node)" = "root:root 600" ] ||
	fail "without the rule udev made /dev/damon $(node), expected root:root 600"
ok "without the rule, udevd handles /dev/damon ($devno) and leaves it root:root 0600"

mkdir -p /run/udev/rules.d
cp "$rules" /run/udev/rules.d/ || fail "cannot install $rules"
udevadm control --reload || fail "udevadm control --reload"
trigger
[ "$(node)" = "root:$GROUP 660" ] ||
	fail "with $(basename "$rules") /dev/damon is $(node), expected root:$GROUP 660"
ok "with $(basename "$rules") /dev/damon is root:$GROUP 0660"
run as dmember "$BIN/perm-open" ok "member of $GROUP after udev"
run as doutsider "$BIN/perm-open" EACCES "user outside $GROUP after udev"

udevadm control --exit || fail "udevadm control --exit"
for _ in $(seq 50); do
	grep -qx 'systemd-udevd' /proc/[0-9]*/comm 2> /dev/null || break
	sleep 0.1
done
grep -qx 'systemd-udevd' /proc/[0-9]*/comm 2> /dev/null &&
	fail "systemd-udevd still runs after udevadm control --exit"
ok "systemd-udevd stopped"
