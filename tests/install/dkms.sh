#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS builds and installs the module from a source tree made the way
# README.md ("Install on a real machine") says (dkms.conf, kmod/ and uapi/
# copied to <sourcetree>/damondev-<version>), against a kernel's installed
# headers.
# Everything stays in a private directory: DKMS tree, source tree, install
# tree and the signing key that dkms makes when the kernel signs modules.
# Usage: dkms.sh SOURCE-ROOT VERSION RELEASE KERNEL-BUILD-DIR
set -uo pipefail
src=$1 version=$2 release=$3 kdir=$4
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
command -v dkms > /dev/null || { echo "SKIP: dkms missing (apt-get install dkms)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: dkms wants root"; exit 77; }

conf_version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$src/dkms.conf")
[ "$conf_version" = "$version" ] ||
	fail "dkms.conf has PACKAGE_VERSION $conf_version, meson.build has $version"
ok "dkms.conf PACKAGE_VERSION is $version, as in meson.build"

tmp=$(mktemp -d /tmp/damondev-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/tree sources=$tmp/src installtree=$tmp/lib-modules
mkdir -p "$tree" "$sources/damondev-$version" "$installtree/$release"
cp -r "$src/dkms.conf" "$src/kmod" "$src/uapi" "$sources/damondev-$version/" ||
	fail "cannot copy the source tree"
# dkms 3 signs with $mok_signing_key, made on first use (default
# /var/lib/dkms/mok.key): keep it here.
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
dk() {
	echo "+ dkms $*"
	dkms --dkmstree "$tree" --sourcetree "$sources" --installtree "$installtree" "$@"
}

dk add "damondev/$version" || fail "dkms add"
ok "dkms add"
if ! dk build "damondev/$version" -k "$release" --kernelsourcedir "$kdir"; then
	cat "$tree/damondev/$version/build/make.log" 2> /dev/null
	fail "dkms build"
fi
ko=$tree/damondev/$version/$release/$(uname -m)/module/damondev.ko
[ -f "$ko" ] || { ls -R "$tree"; fail "dkms build made no $ko"; }
magic=$(modinfo -F vermagic "$ko")
case $magic in
"$release "*) ;;
*) fail "damondev.ko has vermagic \"$magic\", expected one for $release" ;;
esac
ok "dkms build: damondev.ko for $release (vermagic $magic)"

dk install "damondev/$version" -k "$release" --no-depmod || fail "dkms install"
inst=$(find "$installtree/$release" -name 'damondev.ko*')
[ -n "$inst" ] || { ls -R "$installtree"; fail "dkms install put no damondev.ko under $installtree/$release"; }
case ${inst#"$installtree/$release"} in
/updates/*) ;;
*) fail "installed as $inst, expected under /lib/modules/$release/updates" ;;
esac
ok "dkms install: ${inst#"$installtree"}"
dk status damondev
dk remove "damondev/$version" --all --no-depmod || fail "dkms remove"
[ -z "$(find "$installtree" -name 'damondev.ko*')" ] || fail "dkms remove left the module installed"
ok "dkms remove"
