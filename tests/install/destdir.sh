#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "meson install --destdir" puts every file where it belongs:
#   damonctl, its man page and bash completion (if this build makes them),
#   <damondev/damondev.h> (and it compiles on its own), the udev rule (for
#   the configured group, mode 0660), the sysusers.d file (that group),
#   and, only when their options are on, the modules-load.d file, the
#   modprobe.d file and damondev.ko under /lib/modules/<release>/updates
#   (without depmod: DESTDIR is set).
#
#   destdir.sh BUILD-DIR SOURCE-ROOT                 install BUILD-DIR as it is
#   destdir.sh BUILD-DIR SOURCE-ROOT -Dopt=val...    configure a scratch build
#       of SOURCE-ROOT with these options, build what it installs, install it
set -uo pipefail
build=$1 src=$2
shift 2
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
tmp=$(mktemp -d /tmp/damondev-destdir.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then
	echo "+ meson setup $* (scratch build)"
	meson setup "$tmp/build" "$src" "$@" > "$tmp/setup.log" 2>&1 ||
		{ cat "$tmp/setup.log"; fail "meson setup $*"; }
	build=$tmp/build
	# Build only what gets installed (the tests need not build here).
	mapfile -t targets < <(meson introspect --targets "$build" | python3 -c '
import json, os, sys
b = sys.argv[1]
for t in json.load(sys.stdin):
    if t["installed"]:
        for f in t["filename"]:
            print(os.path.relpath(f, b))' "$build")
	ninja -C "$build" "${targets[@]}" > "$tmp/build.log" 2>&1 ||
		{ tail -40 "$tmp/build.log"; fail "building ${targets[*]}"; }
fi

opt() {
	meson introspect --buildoptions "$build" | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    if o["name"] == sys.argv[1]:
        v = o["value"]
        print(str(v).lower() if isinstance(v, bool) else v)' "$1"
}
pcvar() { pkg-config --variable="$2" "$1" 2> /dev/null; }
prefix=$(opt prefix)
join() { case $2 in /*) echo "$2" ;; *) echo "$1/$2" ;; esac; }
bindir=$(join "$prefix" "$(opt bindir)")
includedir=$(join "$prefix" "$(opt includedir)")
group=$(opt device_group)
rulesdir=$(opt udevrulesdir)
if [ -z "$rulesdir" ]; then
	rulesdir=$(pcvar udev udevdir)
	rulesdir=${rulesdir:+$rulesdir/rules.d}
	rulesdir=${rulesdir:-/usr/lib/udev/rules.d}
fi
sysusersdir=$(opt sysusersdir)
[ -n "$sysusersdir" ] || sysusersdir=$(pcvar systemd sysusersdir)
[ -n "$sysusersdir" ] || sysusersdir=/usr/lib/sysusers.d
loaddir=$(pcvar systemd modulesloaddir)
[ -n "$loaddir" ] || loaddir=/usr/lib/modules-load.d
release=$(cat "$build/kmod/kernel-release")

# A stand-in depmod records whether the install script would run it.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "$*" >> %s/depmod.calls\n' "$tmp" > "$tmp/bin/depmod"
chmod +x "$tmp/bin/depmod"
dest=$tmp/dest
echo "+ meson install -C $build --destdir $dest --no-rebuild"
PATH=$tmp/bin:$PATH meson install -C "$build" --destdir "$dest" --no-rebuild \
	> "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install"; }
echo "# installed:"
(cd "$dest" && find . ! -type d | sed 's|^\.|  |' | sort)

have() {	# have FILE WHAT
	[ -f "$dest$1" ] || fail "$2 missing: no $1"
	ok "$2: $1"
}
absent() {	# absent FILE WHAT
	[ ! -e "$dest$1" ] || fail "$2 installed although its option is off: $1"
	ok "$2 not installed (option off)"
}

have "$bindir/damonctl" "damonctl"
[ -x "$dest$bindir/damonctl" ] || fail "damonctl is not executable"
if [ -e "$build/cli/damonctl.8" ]; then
	man=$(cd "$dest" && find . -path '*/man8/damonctl.8*' | head -n 1)
	[ -n "$man" ] || fail "the man page was built but not installed"
	ok "man page: ${man#.}"
fi
if [ -e "$src/cli/damonctl.bash-completion" ]; then
	comp=$(cd "$dest" && find . -path '*/completions/damonctl' | head -n 1)
	[ -n "$comp" ] || fail "the bash completion was not installed"
	ok "bash completion: ${comp#.}"
fi

have "$includedir/damondev/damondev.h" "uapi header"
printf '#include <damondev/damondev.h>\nint main(void) { struct damon_snapshot s = { .type = DAMON_RECORD_SNAPSHOT }; return s.type != 1; }\n' > "$tmp/h.c"
cc -Wall -Werror -I"$dest$includedir" -o "$tmp/h" "$tmp/h.c" ||
	fail "<damondev/damondev.h> does not compile on its own"
ok "<damondev/damondev.h> compiles on its own"

rule=$rulesdir/60-damondev.rules
have "$rule" "udev rule"
grep -Eq '^SUBSYSTEM=="misc", KERNEL=="damon", GROUP="'"$group"'", MODE="0660"$' "$dest$rule" ||
	{ cat "$dest$rule"; fail "the udev rule does not give /dev/damon to $group with mode 0660"; }
ok "udev rule: group $group, mode 0660"
have "$sysusersdir/damondev.conf" "sysusers.d file"
grep -Eq "^g $group -\$" "$dest$sysusersdir/damondev.conf" ||
	{ cat "$dest$sysusersdir/damondev.conf"; fail "sysusers.d file does not create group $group"; }
ok "sysusers.d file creates group $group"

# The exporter's service: installed off, as an unprivileged user in the
# device's group, hardened; systemd itself accepts every line of it.
unitdir=$(opt systemdunitdir)
[ -n "$unitdir" ] || unitdir=$(pcvar systemd systemdsystemunitdir)
[ -n "$unitdir" ] || unitdir=/usr/lib/systemd/system
sysconfdir=$(join "$prefix" "$(opt sysconfdir)")
unit=$unitdir/damon-exporter.service
have "$unit" "exporter service"
have "$sysusersdir/damon-exporter.conf" "exporter user (sysusers.d)"
have "$sysconfdir/default/damon-exporter" "exporter arguments"
grep -Eq '^u damon-exporter ' "$dest$sysusersdir/damon-exporter.conf" ||
	fail "the sysusers.d file does not create the user damon-exporter"
for line in "ExecStart=$bindir/damonctl exporter \$DAMON_EXPORTER_ARGS" \
		"EnvironmentFile=-$sysconfdir/default/damon-exporter" \
		User=damon-exporter "SupplementaryGroups=$group" \
		NoNewPrivileges=yes ProtectSystem=strict \
		CapabilityBoundingSet=CAP_SYS_PTRACE AmbientCapabilities=CAP_SYS_PTRACE; do
	grep -qxF "$line" "$dest$unit" || { cat "$dest$unit"; fail "the service lacks $line"; }
done
ok "exporter service: user damon-exporter in group $group, hardened"
if command -v systemd-analyze > /dev/null; then
	# verify wants ExecStart's program where it will be: here, in DESTDIR.
	sed "s|^ExecStart=$bindir/|ExecStart=$dest$bindir/|" "$dest$unit" > "$tmp/damon-exporter.service"
	systemd-analyze verify --man=no "$tmp/damon-exporter.service" > "$tmp/verify.out" 2>&1
	vrc=$?
	[ $vrc -eq 0 ] && [ ! -s "$tmp/verify.out" ] ||
		{ cat "$tmp/verify.out"; fail "systemd-analyze verify refused the service (status $vrc)"; }
	ok "systemd-analyze verify accepts the service"
else
	fail "systemd-analyze is missing, so the service cannot be checked: apt-get install systemd"
fi

if [ "$(opt load_at_boot)" = true ]; then
	have "$loaddir/damondev.conf" "modules-load.d file"
	[ "$(grep -v '^#' "$dest$loaddir/damondev.conf")" = damondev ] ||
		fail "the modules-load.d file does not name damondev"
else
	absent "$loaddir/damondev.conf" "modules-load.d file"
fi
if [ "$(opt require_admin)" = true ]; then
	have "/lib/modprobe.d/damondev.conf" "modprobe.d file"
	grep -qx 'options damondev require_admin=1' "$dest/lib/modprobe.d/damondev.conf" ||
		fail "the modprobe.d file does not set require_admin=1"
else
	absent "/lib/modprobe.d/damondev.conf" "modprobe.d file"
fi
if [ "$(opt install_module)" = true ]; then
	have "/lib/modules/$release/updates/damondev.ko" "kernel module"
	[ ! -e "$tmp/depmod.calls" ] ||
		fail "the install script ran depmod $(cat "$tmp/depmod.calls") although DESTDIR was set"
	ok "depmod not run with DESTDIR"
	# Without DESTDIR (a real install) the script runs depmod for the release.
	(unset DESTDIR; PATH=$tmp/bin:$PATH "$src/kmod/depmod-after-install" "$release") > /dev/null ||
		fail "depmod-after-install failed"
	[ "$(cat "$tmp/depmod.calls" 2> /dev/null)" = "-a $release" ] ||
		fail "without DESTDIR depmod-after-install ran: depmod $(cat "$tmp/depmod.calls" 2> /dev/null)"
	ok "without DESTDIR the install script runs depmod -a $release"
else
	absent "/lib/modules/$release/updates/damondev.ko" "kernel module"
fi
