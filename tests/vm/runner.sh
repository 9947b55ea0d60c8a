#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (under the host's root, read-only).  Loads the
# module, runs every test of the list that has no result yet, one after
# another, and records for each: NAME.log (its output), NAME.dmesg (kernel
# messages during it) and NAME.rc (exit status; written last, so a missing
# .rc means the VM died during the test).
results=$1
cd "$results" || exit 1
. ./vm.conf		# LIST MODULE EXTRA_MODULES
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp DAMON_VM=1 DAMON_MODULE="$MODULE"

# Messages that mean the kernel is unwell, whatever the test said.
bad_kernel='WARNING:|BUG:|Oops|Call Trace|general protection|KASAN|UBSAN|kmemleak|unreferenced object|list_add corruption|list_del corruption|refcount_t:|blocked for more than|soft lockup|hard LOCKUP'

echo 1 > /proc/sys/kernel/panic_on_warn
echo 1 > /proc/sys/kernel/panic_on_oops
echo 0 > /proc/sys/kernel/hung_task_panic 2>/dev/null
dmesg -c > /dev/null
# The debug kernel (tests/debug-kernel) must scan for leaks; what the
# kernel leaked while booting is not ours: scan once and set it aside.
debug_kernel=0
case $(uname -r) in *-damondev-debug) debug_kernel=1 ;; esac
if [ -w /sys/kernel/debug/kmemleak ]; then
	# No periodic scans: the final checks scan on purpose, and the scan
	# thread (nice 10) preempted inside its RCU read-side section behind
	# a busy test stalled RCU for 26 s on one emulated CPU.
	echo scan=off > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
	# "kmemleak: Automatic memory scanning thread ended" is no failure.
	dmesg -c > /dev/null
fi

# Run one step: record_result NAME TIMEOUT COMMAND...
run_step() {
	local name=$1 tmo=$2 rc
	shift 2
	[ -e "$name.rc" ] && return 0
	echo "$name" > current
	sync
	echo "vm: ==== $name"
	: > "$name.log"
	timeout -k 5 "$tmo" "$@" >> "$name.log" 2>&1 < /dev/null
	rc=$?
	dmesg -c > "$name.dmesg"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "vm: $name timed out after ${tmo}s" >> "$name.log"
		rc=124
	fi
	if grep -Eq "$bad_kernel" "$name.dmesg"; then
		echo "vm: kernel reported a problem during $name:" >> "$name.log"
		grep -E -A3 "$bad_kernel" "$name.dmesg" | head -40 >> "$name.log"
		[ $rc -eq 0 ] && rc=250
	fi
	echo "$rc" > "$name.rc"
	sync
	echo "vm: ==== $name exit $rc"
}

load_modules() {
	local m
	for m in $EXTRA_MODULES "$MODULE"; do
		[ -n "$m" ] || continue
		if ! lsmod | grep -q "^$(basename "$m" .ko) "; then
			insmod "$m" || return 1
		fi
	done
	for _ in $(seq 50); do
		[ -c /dev/damon ] && return 0
		sleep 0.1
	done
	echo "no /dev/damon after insmod"
	return 1
}

final_checks() {
	local fail=0
	if ! rmmod damondev; then
		echo "rmmod damondev failed"; fail=1
	fi
	if ps -eo comm | grep -q '^damondev'; then
		echo "a damondev thread survived rmmod:"; ps -eo pid,comm | grep damondev
		fail=1
	fi
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan > /sys/kernel/debug/kmemleak
		sleep 1
		echo scan > /sys/kernel/debug/kmemleak
		if [ -s /sys/kernel/debug/kmemleak ]; then
			echo "kmemleak found leaks:"; cat /sys/kernel/debug/kmemleak
			fail=1
		fi
	elif [ "$debug_kernel" = 1 ]; then
		echo "the debug kernel has no /sys/kernel/debug/kmemleak"; fail=1
	else
		echo "kmemleak not available in this kernel: leak scan skipped"
	fi
	return $fail
}

export debug_kernel
export -f load_modules final_checks

# After a crash the host boots again and the list resumes after the test
# that died; the module is loaded on every boot, but recorded only once.
if [ -e vm-module-load.rc ]; then
	load_modules > /dev/null 2>&1
else
	run_step vm-module-load 60 bash -c load_modules
fi

while IFS=$'\t' read -r name tmo cmd; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086 # the command line is split on purpose
	run_step "$name" "$tmo" $cmd
done < "$LIST"

# kmemleak scans all of memory twice; under KASAN in the emulator, after
# the whole suite, that took more than a minute.
final_tmo=60
[ "$debug_kernel" = 1 ] && final_tmo=300
run_step vm-final-checks "$final_tmo" bash -c final_checks
rm -f current
echo "vm: done"
