#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The meson path of README.md ("Install on a real machine"), followed on
# the VM's (throw-away) root: "meson install" for real (no DESTDIR), the
# module put where -Dinstall_module=true puts it (unless this build does
# that itself) and
# indexed by the install script's depmod, "systemd-sysusers", then
# "modprobe damondev" gives /dev/damon to the group with no trigger.  Also:
# the modprobe.d file loads it with require_admin=Y, the modules-load.d
# file makes systemd-modules-load load it.  At the end everything is
# uninstalled and the harness's module is loaded back.
# Usage: modprobe.sh BINDIR BUILD-ROOT KO MODPROBE-CONF MODULES-LOAD-CONF DEPMOD-SCRIPT
# shellcheck source=tests/perm/lib.sh
. "$(dirname "$0")/lib.sh"
build=$2 ko=$3 modprobe_conf=$4 modules_load=$5 depmod_script=$6
rel=$(uname -r)
updates=/lib/modules/$rel/updates
[ -n "${DAMON_MODULE:-}" ] || fail "DAMON_MODULE is not set"
export SYSTEMD_IGNORE_CHROOT=1	# see udev.sh
udevd=''
for f in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
	[ -x "$f" ] && { udevd=$f; break; }
done
[ -n "$udevd" ] || fail "systemd-udevd not found: apt-get install udev"

restore() {
	udevadm control --exit 2> /dev/null
	[ -e "$build/meson-logs/install-log.txt" ] &&
		ninja -C "$build" uninstall > /dev/null 2>&1
	rm -f /etc/modprobe.d/damondev.conf /etc/modules-load.d/damondev.conf \
		"$updates/damondev.ko"
	lsmod | grep -q '^damondev ' && rmmod damondev
	insmod "$DAMON_MODULE" || echo "FAIL: could not load $DAMON_MODULE back"
	for _ in $(seq 50); do [ -c /dev/damon ] && break; sleep 0.1; done
}
at_exit restore
wait_node() {
	for _ in $(seq 50); do [ -c /dev/damon ] && break; sleep 0.1; done
	[ -c /dev/damon ] || fail "no /dev/damon after $1"
	udevadm settle --timeout=30
}
node() { stat -c '%U:%G %a' /dev/damon; }
param() { cat /sys/module/damondev/parameters/require_admin; }

rm -f "$build/meson-logs/install-log.txt"
(unset DESTDIR; meson install -C "$build" --no-rebuild > "$TMPD/install.log" 2>&1) ||
	{ cat "$TMPD/install.log"; fail "meson install -C $build --no-rebuild"; }
installed() { grep -m1 "/$1\$" "$build/meson-logs/install-log.txt"; }
damonctl=$(installed damonctl) rules=$(installed 60-damondev.rules)
[ -x "$damonctl" ] || fail "meson install put no damonctl"
[ -f "$rules" ] || fail "meson install put no 60-damondev.rules"
GROUP=$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' "$rules")
ok "meson install: $damonctl, $rules (group $GROUP) and the rest"
if command -v systemd-sysusers > /dev/null; then
	systemd-sysusers > /dev/null || fail "systemd-sysusers"
else
	getent group "$GROUP" > /dev/null || groupadd --system "$GROUP"
fi
getent group "$GROUP" > /dev/null || fail "no group $GROUP after systemd-sysusers"
ok "systemd-sysusers: group $GROUP"
ensure_user dmember "$GROUP"
"$udevd" --daemon || fail "$udevd --daemon"
for _ in $(seq 100); do udevadm control --ping 2> /dev/null && break; sleep 0.1; done
udevadm control --ping || fail "systemd-udevd does not answer"
udevadm control --reload || fail "udevadm control --reload"

rmmod damondev || fail "rmmod damondev (the harness's copy)"
# depmod over the kernel's thousands of modules takes minutes under
# emulation: give it a tree of its own with the kernel's index files and
# no modules but ours (damondev depends on no other module).
moddir=/lib/modules/$rel
# A kernel with everything built in (the debug kernel) has no tree at all.
mkdir -p "$moddir"
if [ -z "$(modinfo -F depends "$ko")" ]; then
	mkdir "$TMPD/modules"
	for f in "$moddir"/modules.builtin* "$moddir/modules.order"; do
		if [ -e "$f" ]; then cp "$f" "$TMPD/modules/"; fi
	done
	[ -e "$updates/damondev.ko" ] && install -D "$updates/damondev.ko" \
		"$TMPD/modules/updates/damondev.ko"
	mount --bind "$TMPD/modules" "$moddir" || fail "cannot bind a module tree"
	# udevd keeps the module index open: stop it first.
	at_exit "udevadm control --exit 2> /dev/null; umount $moddir || umount -l $moddir"
fi
if [ ! -e "$updates/damondev.ko" ]; then
	# This build has install_module=false: do what it would have done.
	install -D -m 0644 "$ko" "$updates/damondev.ko"
	start=$(date +%s)
	(unset DESTDIR; "$depmod_script" "$rel") || fail "$depmod_script $rel"
	ok "depmod-after-install $rel took $(( $(date +%s) - start )) s"
fi
[ "$(modinfo -n damondev)" = "$updates/damondev.ko" ] ||
	fail "modinfo finds $(modinfo -n damondev 2>&1), not $updates/damondev.ko"
ok "modprobe's index has $updates/damondev.ko"

modprobe damondev || fail "modprobe damondev"
wait_node "modprobe"
[ "$(node)" = "root:$GROUP 660" ] ||
	fail "after modprobe /dev/damon is $(node), expected root:$GROUP 660"
[ "$(param)" = N ] || fail "require_admin is $(param) without the modprobe.d file"
ok "modprobe damondev: udev makes /dev/damon root:$GROUP 0660, require_admin N"
run as dmember "$BIN/perm-open" ok "member of $GROUP after modprobe"
modprobe -r damondev || fail "modprobe -r damondev"

install -D -m 0644 "$modprobe_conf" /etc/modprobe.d/damondev.conf
modprobe damondev || fail "modprobe damondev with the modprobe.d file"
wait_node "modprobe"
[ "$(param)" = Y ] || fail "with the modprobe.d file require_admin is $(param), expected Y"
ok "with $(basename "$modprobe_conf") as /etc/modprobe.d/damondev.conf, require_admin is Y"
run as dmember "$BIN/perm-open" EPERM "member of $GROUP, require_admin from modprobe.d"
modprobe -r damondev || fail "modprobe -r damondev"
rm /etc/modprobe.d/damondev.conf

modules_load_bin=''
for f in /lib/systemd/systemd-modules-load /usr/lib/systemd/systemd-modules-load; do
	[ -x "$f" ] && { modules_load_bin=$f; break; }
done
if [ -n "$modules_load_bin" ]; then
	install -D -m 0644 "$modules_load" /etc/modules-load.d/damondev.conf
	"$modules_load_bin" || fail "$modules_load_bin"
	lsmod | grep -q '^damondev ' || fail "systemd-modules-load did not load damondev"
	wait_node "systemd-modules-load"
	ok "systemd-modules-load with $(basename "$modules_load") loads damondev"
else
	echo "# systemd-modules-load missing: the modules-load.d file is not tried"
fi
