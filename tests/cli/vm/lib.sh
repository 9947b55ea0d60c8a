# SPDX-License-Identifier: GPL-2.0
# Shared by the in-VM damonctl tests: sourced, not run.
#
# Each test is run as root inside the test VM, with the damondev module
# loaded, as: TEST.sh DAMONCTL MEMTOUCH
set -u

DAMONCTL=${1:?usage: $0 DAMONCTL MEMTOUCH}
MEMTOUCH=${2:?usage: $0 DAMONCTL MEMTOUCH}
test_name=$(basename "$0" .sh)
pids=()
restore=()

work=$(mktemp -d /tmp/damonctl-vm.XXXXXX) || exit 1
cd "$work" || exit 1
export XDG_RUNTIME_DIR=$work/run LC_ALL=C
mkdir -m 0700 run

cleanup() {
	local p cmd
	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null
	done
	wait 2> /dev/null
	for cmd in "${restore[@]}"; do
		eval "$cmd"
	done
	cd / && rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL ($test_name): $*"
	exit 1
}

# What ends the cost line where the module searched with upper-level
# Accessed bits, or left them to MGLRU (an extended regular expression,
# optional: neither is said on other CPUs or with the module's upper_bits
# off).
upper='(; upper-level Accessed bits (used|used in [0-9]+ of [0-9]+ snapshots|left to MGLRU in [0-9]+ of [0-9]+ snapshots))?'

log() {
	echo "# $*"
}

show() {
	echo "--- exit status $rc; stdout:"
	cat out
	echo "--- stderr:"
	cat err
	echo "---"
}

# dctl ARGS...: damonctl; output in out and err, exit status in $rc.
dctl() {
	"$DAMONCTL" "$@" > out 2> err
	rc=$?
	log "damonctl $* -> $rc"
}

expect_rc() {
	[ "$rc" -eq "$1" ] || { show; fail "exit status $rc, expected $1"; }
}

expect_in() {
	grep -qF -- "$2" "$1" || { show; fail "$1 lacks '$2'"; }
}

expect_empty() {
	[ ! -s "$1" ] || { show; fail "$1 is not empty"; }
}

# alive PID: the process runs.  An exited background recorder is reparented
# and may stay a zombie for a while: that counts as gone.
alive() {
	local state
	state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2> /dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# A process to record; $target is its pid.
workload() {
	"$MEMTOUCH" "${1:-64}" 0 < /dev/null > /dev/null 2>&1 &
	target=$!
	pids+=("$target")
}

# test_cgroup NAME: a cgroup v2 directory of the test, $d
# (/sys/fs/cgroup/NAME, cgroup2 mounted there if it is not), removed on
# the way out, before any umount.
test_cgroup() {
	local cg=/sys/fs/cgroup
	if [ "$(stat -f -c %T $cg 2> /dev/null)" != cgroup2fs ]; then
		mount -t cgroup2 none $cg || fail "cannot mount cgroup2 on $cg"
		restore+=("umount $cg")
	fi
	d=$cg/$1
	mkdir -p "$d" || fail "mkdir $d"
	restore=("rmdir $d 2> /dev/null" "${restore[@]}")
}

# in_cgroup [--as USER] CMD...: CMD in the test cgroup $d (as USER), in
# the background; $! is its pid.
in_cgroup() {
	local as=()
	if [ "$1" = --as ]; then
		as=(setpriv --reuid="$2" --regid="$2" --init-groups --)
		shift 2
	fi
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$d" \
		"${as[@]}" "$@" < /dev/null > /dev/null 2>&1 &
	pids+=("$!")
}

# wait_for COMMAND [SECONDS]: until it succeeds.
wait_for() {
	local i
	for ((i = 0; i < ${2:-60} * 10; i++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $1"
}

# The report of FILE: a table with regions of pid $2, no warning.
expect_report() {
	dctl report "$1"
	expect_rc 0
	expect_empty err
	grep -q "^ *$2 " out || { show; fail "no regions of pid $2 in $1"; }
	dctl report -f jsonl "$1"
	expect_rc 0
	grep -q '^{"snapshot"' out || { show; fail "no snapshot in $1"; }
	tail -n 1 out | grep -q '^{"end"' || { show; fail "no end record in $1"; }
}

[ -c /dev/damon ] || fail "no /dev/damon: is the damondev module loaded?"
