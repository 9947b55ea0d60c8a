#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One damonctl behaviour that needs no kernel module: cli-test.sh NAME.
# meson runs every test_* function below as its own test.
#
# Environment (set by tests/cli/meson.build):
#   DAMONCTL    the damonctl binary
#   MKFIXTURE   the fixture generator
#   FAKEDEV     fakedev.so, a stand-in for /dev/damon (LD_PRELOAD)
#   GOLDEN_DIR  tests/cli/golden in the source tree
#   COMPLETION  cli/damonctl.bash-completion
#   VALGRIND    valgrind, or empty: every damonctl run goes through it
# DAMONCTL_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
set -u

name=${1:?usage: cli-test.sh NAME | --list}
helpers=()

# Each test runs in a fresh directory of its own, removed afterwards.
setup() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/damonctl-test.XXXXXX") || exit 99
	trap cleanup EXIT
	cd "$work" || exit 99
	# The same output whoever runs it, wherever.
	export LC_ALL=C TZ=UTC HOME="$work" XDG_RUNTIME_DIR="$work/run"
	unset DAMON_DEVICE COLUMNS LIBSMARTCOLS_DEBUG LIBSMARTCOLS_JSON
	mkdir -m 0700 run
}

cleanup() {
	local p f
	# Background recorders a failed test left running (named by their
	# state files), and the test's own processes.
	for f in "$work"/run/damonctl/*.state; do
		[ -e "$f" ] || continue
		f=${f##*/}
		kill "${f%.state}" 2> /dev/null
	done
	for p in "${helpers[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}

fail() {
	echo "FAIL ($name): $*"
	exit 1
}

show() {
	echo "--- exit status $rc; stdout:"
	cat out
	echo "--- stderr:"
	cat err
	echo "---"
}

# The command that runs damonctl: under valgrind if there is one.
damonctl_cmd() {
	dcmd=()
	if [ -n "${VALGRIND:-}" ]; then
		dcmd=("$VALGRIND" -q --error-exitcode=99 --leak-check=full
		      --errors-for-leak-kinds=definite,indirect
		      --show-leak-kinds=definite,indirect
		      --log-file="$work/valgrind.%p.log")
	fi
	dcmd+=("$DAMONCTL")
}

# Any valgrind report of any damonctl process so far fails the test.
# Errors are "==PID==" lines; "--PID--" notes (such as a syscall valgrind
# does not know, which damonctl then does without) are not.
valgrind_clean() {
	local log
	for log in "$work"/valgrind.*.log; do
		grep -q '^==[0-9]*==' "$log" 2> /dev/null || continue
		cat "$log"
		fail "valgrind reported errors (see above)"
	done
}

# dctl ARGS...: runs damonctl; output in out and err, exit status in $rc.
dctl() {
	damonctl_cmd
	"${dcmd[@]}" "$@" > out 2> err
	rc=$?
	valgrind_clean
}

# Runs what follows against fakedev.so instead of a real /dev/damon.
with_fakedev() {
	DAMON_DEVICE=$work/fake-damon FAKEDEV_PATH=$work/fake-damon \
		LD_PRELOAD=$FAKEDEV "$@"
}

# Starts a foreground recording as a background job, so that the test can
# signal it: $recorder is damonctl's pid (valgrind runs it in-process).
# Returns once monitoring runs, that is once the file has its header.
start_recorder() {
	damonctl_cmd
	DAMON_DEVICE=$work/fake-damon FAKEDEV_PATH=$work/fake-damon \
		LD_PRELOAD=$FAKEDEV "${dcmd[@]}" start "$@" > out 2> err &
	recorder=$!
	wait_for 'test -s damon.rec'
}

# alive PID: the process runs.  An exited background recorder is reparented
# and may stay a zombie for a while: that counts as gone.
alive() {
	local state
	state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2> /dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_for COMMAND: until it succeeds, for at most 30 s.
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		eval "$1" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $1"
}

# expect_stderr_like REGEX...: stderr is lines matching these (grep -E).
expect_stderr_like() {
	local i=0 line
	[ "$(wc -l < err)" -eq $# ] || { show; fail "expected $# lines on stderr"; }
	while IFS= read -r line; do
		i=$((i + 1))
		grep -qE -- "^${!i}\$" <<< "$line" || { show; fail "stderr line $i does not match: ${!i}"; }
	done < err
}

expect_rc() {
	[ "$rc" -eq "$1" ] || { show; fail "exit status $rc, expected $1"; }
}

# expect_stderr LINE...: stderr is exactly these lines.
expect_stderr() {
	printf '%s\n' "$@" > want
	diff -u want err || fail "unexpected stderr"
}

expect_stdout() {
	printf '%s\n' "$@" > want
	diff -u want out || fail "unexpected stdout"
}

expect_empty() {
	[ ! -s "$1" ] || { show; fail "$1 is not empty"; }
}

# expect_in FILE TEXT: a line of FILE contains TEXT.
expect_in() {
	grep -qF -- "$2" "$1" || { show; fail "$1 lacks '$2'"; }
}

golden() {
	local g=$GOLDEN_DIR/$1
	if [ "${DAMONCTL_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$2" "$g"
		return
	fi
	diff -u "$g" "$2" || fail "$2 differs from golden/$1"
}

fixture() {
	"$MKFIXTURE" "$1" "${2:-$1.rec}" || fail "mkfixture $1 failed"
}

# Each line a JSON value; skipped without python3.
expect_json_lines() {
	command -v python3 > /dev/null || return 0
	python3 -c 'import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    json.loads(line)' "$1" || fail "$1 is not valid JSON lines"
}

# A stand-in for a background recorder: a process holding the lock on a
# state file for ID, that dies on SIGTERM like a recorder would finish.
# Sets $fake to its pid, which is the recording's ID.
fake_recorder() {
	local output=$1 dir=$work/run/damonctl
	mkdir -p -m 0700 "$dir"
	: > "$dir/new.state"
	# The lock belongs to fd 9's open file, which sleep inherits: the
	# process with the lock is $!, and nothing outlives it.
	(exec 9< "$dir/new.state" && flock 9 && exec sleep 300) \
		< /dev/null > /dev/null 2>&1 &
	fake=$!
	helpers+=("$fake")
	while flock -n "$dir/new.state" true; do
		sleep 0.05
	done
	printf 'pid %d\noutput %s\nstarted 1700000000\ntargets pid 1000,1001\n' \
		"$fake" "$output" > "$dir/new.state"
	mv "$dir/new.state" "$dir/$fake.state"
}

# ---- help, usage ----

test_help() {
	dctl --help
	expect_rc 0
	expect_in out "Usage: damonctl COMMAND"
	for c in start stop report; do
		expect_in out "  $c "
	done
}

test_version() {
	dctl --version
	expect_rc 0
	grep -qE '^damonctl [0-9]+\.[0-9]+' out || fail "no version"
}

test_help_start() {
	dctl start --help
	expect_rc 0
	for o in --pid --output --force --duration --background --sample \
		 --aggr --update --min-regions --max-regions --queue-depth \
		 --no-tlb-flush; do
		expect_in out "$o"
	done
}

test_help_stop() {
	dctl stop -h
	expect_rc 0
	expect_in out "--all"
	expect_in out "--timeout"
}

test_help_report() {
	dctl report --help
	expect_rc 0
	for c in PID START END SIZE ACCESS HZ AGE NR_ACCESSES NR_PASSES \
		 AGE_INTERVALS SEQ TIME COMM COMMAND; do
		expect_in out " $c  "
	done
}

test_no_command() {
	dctl
	expect_rc 2
	expect_in err "Usage: damonctl COMMAND"
}

test_unknown_command() {
	dctl frobnicate
	expect_rc 2
	expect_in err "damonctl: unknown command 'frobnicate'"
}

test_unknown_option() {
	dctl start --frobnicate
	expect_rc 2
	expect_stderr "damonctl start: --frobnicate: unknown option" \
		"Run 'damonctl start --help' for the options."
}

test_start_no_target() {
	dctl start
	expect_rc 2
	expect_stderr "damonctl start: nothing to record: give --pid PID or a COMMAND (after --)" \
		"Run 'damonctl start --help' for the options."
}

test_start_pid_and_command() {
	dctl start --pid 1 -- true
	expect_rc 2
	expect_in err "give either --pid or a COMMAND, not both"
}

test_start_bad_pid() {
	dctl start --pid 12,abc
	expect_rc 2
	expect_in err "damonctl start: --pid 'abc' is not a process id"
}

test_start_duplicate_pid() {
	dctl start --pid 12,13 -p 12
	expect_rc 2
	expect_in err "damonctl start: pid 12 is given twice: give each pid once"
}

test_start_sample_needs_unit() {
	dctl start --pid 1 --sample 5
	expect_rc 2
	expect_in err "damonctl start: --sample '5' needs a unit (ns, us, ms, s, m, h or d), e.g. 5ms"
}

test_start_aggr_bad_unit() {
	dctl start --pid 1 --aggr 100xs
	expect_rc 2
	expect_in err "damonctl start: --aggr '100xs' has an unknown unit (use ns, us, ms, s, m, h or d)"
}

test_start_update_overflow() {
	dctl start --pid 1 --update 99999999999999999999s
	expect_rc 2
	expect_in err "damonctl start: --update '99999999999999999999s' is too large"
}

test_start_sub_microsecond() {
	dctl start --pid 1 --sample 1500ns
	expect_rc 2
	expect_in err "--sample '1500ns' is not a whole number of microseconds"
}

test_start_zero_regions() {
	dctl start --pid 1 --min-regions 0
	expect_rc 2
	expect_in err "damonctl start: --min-regions must be more than 0"
}

test_start_count_overflow() {
	dctl start --pid 1 --queue-depth 4294967296
	expect_rc 2
	expect_in err "damonctl start: --queue-depth '4294967296' is too large"
}

test_start_bad_duration() {
	dctl start --pid 1 --duration forever
	expect_rc 2
	expect_in err "--duration 'forever' is not a duration (e.g. 5ms, 1.5s, 2m)"
}

# ---- start without a module ----

test_start_no_module() {
	DAMON_DEVICE=./no-such-device dctl start --pid $$
	expect_rc 4
	expect_stderr "damonctl: ./no-such-device does not exist, so the damondev module is not loaded: load it with 'modprobe damondev' (or insmod kmod/damondev.ko)"
	[ ! -e damon.rec ] || fail "a failed start left damon.rec behind"
}

test_start_not_a_device() {
	DAMON_DEVICE=/dev/null dctl start --pid $$ -o x.rec
	expect_rc 4
	expect_stderr "damonctl: /dev/null does not answer the damondev handshake (Inappropriate ioctl for device): it is not a damondev device; check DAMON_DEVICE, or reload the module"
	[ ! -e x.rec ] || fail "a failed start left x.rec behind"
}

test_start_refuses_overwrite() {
	echo old > damon.rec
	dctl start --pid $$
	expect_rc 1
	expect_stderr "damonctl: damon.rec already exists: pass --force to overwrite it, or name another file with -o"
	[ "$(cat damon.rec)" = old ] || fail "damon.rec was changed"
}

test_start_force_keeps_file_on_failure() {
	echo old > damon.rec
	DAMON_DEVICE=./none dctl start --force --pid $$
	expect_rc 4
	[ "$(cat damon.rec)" = old ] || fail "a failed --force start changed damon.rec"
}

test_start_command_not_run_on_failure() {
	DAMON_DEVICE=./none dctl start -o x.rec -- touch ran
	expect_rc 4
	[ ! -e ran ] || fail "the COMMAND ran although recording never started"
	[ ! -e x.rec ] || fail "x.rec left behind"
}

test_start_options_end_at_command() {
	# "-l" belongs to ls: not an unknown option of damonctl.
	DAMON_DEVICE=./none dctl start -o x.rec ls -l
	expect_rc 4
	expect_in err "the damondev module is not loaded"
}

test_start_background_no_module() {
	DAMON_DEVICE=./none dctl start --background --pid $$
	expect_rc 4
	expect_in err "./none does not exist, so the damondev module is not loaded"
	expect_empty out
	[ ! -e damon.rec ] || fail "damon.rec left behind"
	! ls run/damonctl/*.state > /dev/null 2>&1 || fail "a state file was left"
}

# ---- report ----

test_report_table() {
	fixture basic
	dctl report basic.rec
	expect_rc 0
	expect_empty err
	golden report-table.txt out
}

test_report_default_file() {
	fixture basic damon.rec
	dctl report
	expect_rc 0
	golden report-table.txt out
}

test_report_json() {
	fixture basic
	dctl report --json basic.rec
	expect_rc 0
	golden report.json out
	command -v python3 > /dev/null || return 0
	python3 -m json.tool out > /dev/null || fail "--json is not JSON"
}

test_report_raw() {
	fixture basic
	dctl report --raw --noheadings --bytes basic.rec
	expect_rc 0
	golden report-raw.txt out
}

test_report_json_bytes() {
	fixture basic
	dctl report -J -b -o pid,size,age,time basic.rec
	expect_rc 0
	golden report-bytes.json out
}

test_report_columns() {
	fixture basic
	dctl report -o PID,SEQ,TIME,COMM,COMMAND,NR_ACCESSES,NR_PASSES,AGE_INTERVALS basic.rec
	expect_rc 0
	golden report-columns.txt out
}

test_report_columns_added() {
	fixture basic
	dctl report -o +comm,seq basic.rec
	expect_rc 0
	golden report-columns-added.txt out
}

test_report_bad_column() {
	fixture basic
	dctl report -o PID,FOO basic.rec
	expect_rc 2
	expect_stderr "damonctl report: unknown column 'FOO' (the columns are listed by --help)" \
		"Run 'damonctl report --help' for the options."
}

test_report_newer_layout() {
	# Bigger structures and an unknown record: read exactly as basic.
	fixture wide
	dctl report wide.rec
	expect_rc 0
	expect_empty err
	golden report-table.txt out
}

test_report_at_time() {
	fixture basic
	dctl report --at 250ms basic.rec
	expect_rc 0
	golden report-at-250ms.txt out
}

test_report_at_seq() {
	fixture basic
	dctl report --at '#4' -o +SEQ basic.rec
	expect_rc 0
	golden report-at-seq4.txt out
}

test_report_at_dropped() {
	fixture basic
	dctl report --at '#3' basic.rec
	expect_rc 1
	expect_stderr "damonctl: snapshot #3 is not in basic.rec: the module dropped it because its queue was full; pick a neighbour"
}

test_report_at_missing() {
	fixture basic
	dctl report --at '#9' basic.rec
	expect_rc 1
	expect_stderr "damonctl: there is no snapshot #9 in basic.rec: its snapshots are #0 to #5"
}

test_report_at_too_early() {
	fixture basic
	dctl report --at 50ms basic.rec
	expect_rc 1
	expect_stderr "damonctl: no snapshot of basic.rec had ended 50 ms after the start: the first ended at 102 ms"
}

test_report_at_bad() {
	fixture basic
	dctl report --at yesterday basic.rec
	expect_rc 2
	expect_in err "damonctl report: --at 'yesterday' is not a duration (e.g. 5ms, 1.5s, 2m): give a time from the start of the recording (e.g. --at 2.5s) or a snapshot number (e.g. --at '#12')"
}

test_report_jsonl() {
	fixture basic
	dctl report --format jsonl basic.rec
	expect_rc 0
	expect_empty err
	golden report.jsonl out
	expect_json_lines out
}

test_report_jsonl_options() {
	fixture basic
	dctl report -f jsonl --at 1s basic.rec
	expect_rc 2
	expect_in err "--format jsonl prints every snapshot in full"
}

test_report_bad_format() {
	fixture basic
	dctl report -f yaml basic.rec
	expect_rc 2
	expect_in err "damonctl report: unknown format 'yaml': use table or jsonl"
}

test_report_json_and_raw() {
	fixture basic
	dctl report --json --raw basic.rec
	expect_rc 2
	expect_in err "give --json or --raw, not both"
}

test_report_two_files() {
	dctl report a.rec b.rec
	expect_rc 2
	expect_in err "give at most one FILE"
}

test_report_torn() {
	fixture torn
	dctl report torn.rec
	expect_rc 0
	# Byte offsets depend on the size of the header's structures.
	expect_stderr_like "damonctl: warning: torn\.rec ends inside a record \(the last 182 bytes, from byte [0-9]+\): its recorder was killed while writing \(or is still running\); the 4 whole snapshots before it are used"
	golden report-torn.txt out
}

test_report_torn_jsonl() {
	fixture torn
	dctl report -f jsonl torn.rec
	expect_rc 0
	[ "$(wc -l < out)" -eq 5 ] || { show; fail "expected the header and 4 snapshots"; }
	expect_json_lines out
	expect_in err "torn.rec ends inside a record"
}

test_report_no_end() {
	fixture noend
	dctl report noend.rec
	expect_rc 0
	expect_stderr "damonctl: warning: noend.rec has no end record: the recording did not finish (its recorder was killed, or is still running); the 5 snapshots in it are used"
	golden report-table.txt out
}

test_report_corrupt() {
	fixture corrupt
	dctl report corrupt.rec
	expect_rc 0
	expect_stderr_like "damonctl: warning: corrupt\.rec: the record at byte [0-9]+ is damaged \(a target's regions run past the end of the snapshot\): the 296 bytes from there are ignored"
	golden report-torn.txt out
}

test_report_empty() {
	fixture empty
	dctl report empty.rec
	expect_rc 3
	expect_stderr "damonctl: empty.rec: the file is empty, so not a damonctl record (was the recorder killed before it started?)"
	expect_empty out
}

test_report_garbage() {
	fixture garbage
	dctl report garbage.rec
	expect_rc 3
	expect_stderr "damonctl: garbage.rec: not a damonctl record file (it does not start with \"DAMONREC\")"
}

test_report_future_version() {
	fixture future
	dctl report future.rec
	expect_rc 3
	expect_stderr "damonctl: future.rec is a version 2 record, newer than this damonctl reads (version 1): use a newer damonctl"
}

test_report_header_torn() {
	fixture header-torn
	dctl report header-torn.rec
	expect_rc 3
	expect_stderr "damonctl: header-torn.rec: the record header is incomplete (was the recorder killed while starting?)"
}

test_report_foreign_byte_order() {
	fixture foreign
	dctl report foreign.rec
	expect_rc 3
	expect_stderr "damonctl: foreign.rec: recorded on a machine of the other byte order: read it on a machine like the one that recorded it"
}

test_report_missing_file() {
	dctl report nothing.rec
	expect_rc 1
	expect_stderr "damonctl: cannot open nothing.rec: No such file or directory"
}

test_report_directory() {
	mkdir d.rec
	dctl report d.rec
	expect_rc 1
	expect_stderr "damonctl: d.rec is a directory, not a record file"
}

test_report_no_snapshot() {
	fixture nosnap
	dctl report nosnap.rec
	expect_rc 1
	expect_stderr "damonctl: nosnap.rec holds no snapshot: the recording ended before its first aggregation interval did"
}

test_report_no_snapshot_jsonl() {
	fixture nosnap
	dctl report -f jsonl nosnap.rec
	expect_rc 0
	golden report-nosnap.jsonl out
}

# ---- stop ----

test_stop_nothing() {
	dctl stop
	expect_rc 1
	expect_stderr "damonctl: no background recording of yours is running"
}

test_stop_all_nothing() {
	dctl stop --all
	expect_rc 0
	expect_stderr "damonctl: no background recording of yours is running"
}

test_stop_bad_id() {
	dctl stop abc
	expect_rc 2
	expect_in err "damonctl stop: 'abc' is not a recording ID (a number)"
}

test_stop_unknown_id() {
	dctl stop 4242
	expect_rc 1
	expect_stderr "damonctl: there is no background recording 4242: it may have finished on its own already"
}

test_stop_killed_recorder() {
	# A state file nobody holds: its recorder was killed (-9) mid-way.
	fixture noend "$work/rec.rec"
	mkdir -m 0700 run/damonctl
	printf 'pid 4242\noutput %s\nstarted 1700000000\ntargets pid 1000,1001\n' \
		"$work/rec.rec" > run/damonctl/4242.state
	dctl stop
	expect_rc 1
	sed -i "s|$work|WORK|g" err
	expect_stderr "damonctl: background recording 4242 (pid 1000,1001) had died without finishing (was its recorder killed?): WORK/rec.rec keeps its 5 whole snapshots ('damonctl report WORK/rec.rec'); its state file is removed"
	[ ! -e run/damonctl/4242.state ] || fail "the stale state file is still there"
}

test_stop_one() {
	fixture basic "$work/rec.rec"
	fake_recorder "$work/rec.rec"
	dctl stop
	expect_rc 0
	sed -i "s|$work|WORK|g" out
	grep -qxE "stopped recording $fake: 5 snapshots \(1 dropped\) in 654 ms, 1\.[0-9]{3} KiB to WORK/rec\.rec: the COMMAND exited with status 0" out ||
		{ show; fail "unexpected summary"; }
	expect_empty err
	alive "$fake" && fail "the recorder was not told to stop"
	[ ! -e "run/damonctl/$fake.state" ] || fail "the state file is still there"
}

test_stop_needs_id() {
	fixture basic "$work/a.rec"
	fake_recorder "$work/a.rec"
	first=$fake
	fake_recorder "$work/a.rec"
	dctl stop
	expect_rc 2
	a=$first b=$fake
	[ "$a" -lt "$b" ] || { a=$fake; b=$first; }
	expect_in err "damonctl stop: 2 background recordings are running ($a, $b): give the ID of one, or --all"
	dctl stop "$first"
	expect_rc 0
	expect_in out "stopped recording $first: 5 snapshots"
	alive "$fake" || fail "the other recording was stopped too"
}

test_stop_all() {
	fixture basic "$work/a.rec"
	fixture noend "$work/b.rec"
	fake_recorder "$work/a.rec"
	fake_recorder "$work/b.rec"
	dctl stop --all
	# b.rec has no end: its "recorder" died without finishing it.
	expect_rc 1
	expect_in out "stopped recording"
	expect_in err "had died without finishing"
	ls run/damonctl/*.state > /dev/null 2>&1 && fail "state files left"
	return 0
}

# ---- recording, against fakedev.so ----

# A process to record; killed by cleanup.
workload() {
	sleep 300 < /dev/null > /dev/null 2>&1 &
	target=$!
	helpers+=("$target")
}

fast=(--sample 1ms --aggr 10ms)

# The summary line of a recording, with its variable parts as patterns.
expect_summary() {
	grep -qE "^damonctl: recorded $1 snapshots? \(0 dropped\) in [0-9.]+ m?s, [0-9.]+ (B|KiB) to damon.rec: $2\$" err ||
		{ show; fail "no summary line '$1 snapshots ... $2'"; }
}

# The "end" line of the file's JSON lines holds TEXT.
expect_end() {
	dctl report -f jsonl damon.rec
	expect_rc 0
	tail -n 1 out | grep -qF "$1" || { show; fail "the end record lacks $1"; }
}

test_rec_until_targets_exit() {
	workload
	FAKEDEV_SNAPSHOTS=5 with_fakedev dctl start --pid "$target" "${fast[@]}"
	expect_rc 0
	expect_summary 5 "every target exited"
	dctl report
	expect_rc 0
	expect_empty err
	[ "$(wc -l < out)" -eq 4 ] || { show; fail "expected 3 regions"; }
	expect_end '"cause":"targets-exited"'
	[ "$(grep -c '"snapshot"' out)" -eq 5 ] || fail "expected 5 snapshots"
	expect_json_lines out
}

test_rec_duration() {
	workload
	with_fakedev dctl start --pid "$target" "${fast[@]}" --duration 200ms
	expect_rc 0
	expect_summary '[0-9]+' "the --duration passed"
	expect_end '"cause":"duration"'
}

test_rec_sigint() {
	workload
	set -m	# else a background job starts with SIGINT ignored
	start_recorder --pid "$target" "${fast[@]}"
	sleep 0.3
	kill -INT "$recorder"
	wait "$recorder"
	rc=$?
	valgrind_clean
	expect_rc 0
	expect_summary '[0-9]+' "stopped by SIGINT"
	expect_end '"signal":"SIGINT"'
	dctl report
	expect_rc 0
	expect_empty err
}

test_rec_sigterm() {
	workload
	start_recorder --pid "$target" "${fast[@]}"
	sleep 0.3
	kill -TERM "$recorder"
	wait "$recorder"
	rc=$?
	valgrind_clean
	expect_rc 0
	expect_summary '[0-9]+' "stopped by SIGTERM"
}

test_rec_kill9() {
	workload
	start_recorder --pid "$target" "${fast[@]}"
	sleep 0.5
	kill -KILL "$recorder"
	wait "$recorder"
	dctl report
	expect_rc 0
	grep -qE "^damonctl: warning: damon.rec (has no end record|ends inside a record)" err ||
		{ show; fail "no warning about the unfinished file"; }
	[ "$(wc -l < out)" -eq 4 ] || { show; fail "expected 3 regions"; }
}

test_rec_command() {
	with_fakedev dctl start "${fast[@]}" -- sleep 0.5
	expect_rc 0
	expect_summary '[0-9]+' "the COMMAND exited with status 0"
	dctl report -o PID,COMM,COMMAND
	expect_rc 0
	expect_in out "sleep sleep 0.5"
	expect_end '"exit_status":0'
	expect_in out '"target_flags":[1]'
}

test_rec_command_status() {
	with_fakedev dctl start "${fast[@]}" -- sh -c 'sleep 0.3; exit 3'
	expect_rc 0
	expect_summary '[0-9]+' "the COMMAND exited with status 3"
}

test_rec_command_missing() {
	with_fakedev dctl start "${fast[@]}" -- ./no-such-program
	expect_rc 1
	expect_stderr "damonctl: cannot run ./no-such-program: No such file or directory"
	[ ! -e damon.rec ] || fail "damon.rec left behind"
}

test_rec_background() {
	workload
	with_fakedev dctl start --background --pid "$target" "${fast[@]}"
	expect_rc 0
	expect_empty err
	id=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' out)
	sed -i "s|$work|WORK|g" out
	expect_stdout "recording in the background to WORK/damon.rec (id $id): stop it with 'damonctl stop $id'"
	[ -e "run/damonctl/$id.state" ] || fail "no state file"
	sleep 1
	dctl stop
	expect_rc 0
	expect_empty err
	sed -i "s|$work|WORK|g" out
	grep -qE "^stopped recording $id: [0-9]+ snapshots \(0 dropped\) in [0-9.]+ m?s, [0-9.]+ KiB to WORK/damon.rec: stopped by SIGTERM\$" out ||
		{ show; fail "no summary from stop"; }
	[ ! -e "run/damonctl/$id.state" ] || fail "the state file is still there"
	dctl report
	expect_rc 0
	expect_empty err
}

test_rec_background_killed() {
	workload
	with_fakedev dctl start --background --pid "$target" "${fast[@]}"
	expect_rc 0
	id=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' out)
	sleep 1
	kill -KILL "$id"
	wait_for "! alive $id"
	dctl stop
	expect_rc 1
	expect_in err "background recording $id (pid $target) had died without finishing (was its recorder killed?)"
	[ ! -e "run/damonctl/$id.state" ] || fail "the state file is still there"
	dctl report
	expect_rc 0
	grep -qE "^damonctl: warning: damon.rec (has no end record|ends inside a record)" err ||
		{ show; fail "no warning about the unfinished file"; }
}

test_rec_bad_attribute() {
	workload
	with_fakedev dctl start --pid "$target" --sample 5ms --aggr 50us
	expect_rc 1
	expect_stderr "damonctl: --aggr (50 us) must be at least --sample (5 ms): raise --aggr or lower --sample"
	[ ! -e damon.rec ] || fail "damon.rec left behind"
}

test_rec_forbidden_target() {
	workload
	FAKEDEV_EPERM_PID=$target with_fakedev dctl start --pid "$target"
	expect_rc 1
	expect_stderr "damonctl: you may not monitor pid $target (sleep, user $(id -un)): you may only monitor your own processes unless you have CAP_SYS_PTRACE (run damonctl as the process's owner, or as root)"
}

test_rec_no_such_process() {
	with_fakedev dctl start --pid 2147483600
	expect_rc 1
	expect_stderr "damonctl: there is no process with pid 2147483600: check the pid (the process may have exited)"
}

test_rec_module_without_tlb_flush() {
	workload
	FAKEDEV_NO_TLB_FLUSH=1 with_fakedev dctl start --pid "$target"
	expect_rc 1
	expect_stderr "damonctl: this damondev module cannot flush TLBs after sampling (it lacks the TLB flush feature): update the module, or pass --no-tlb-flush to record without (hot pages may then look idle)"
	FAKEDEV_NO_TLB_FLUSH=1 FAKEDEV_SNAPSHOTS=2 with_fakedev dctl start \
		--pid "$target" --no-tlb-flush "${fast[@]}"
	expect_rc 0
	expect_end '"end"'
	expect_in out '"tlb_flush":false'
}

test_rec_buffer_grows() {
	# The module's size hint is too small: read() says EINVAL until the
	# buffer is big enough, and no snapshot is lost.
	workload
	FAKEDEV_TINY_BUFFER=1 FAKEDEV_SNAPSHOTS=3 with_fakedev dctl start \
		--pid "$target" "${fast[@]}"
	expect_rc 0
	expect_summary 3 "every target exited"
}

test_rec_force() {
	workload
	echo old > damon.rec
	FAKEDEV_SNAPSHOTS=2 with_fakedev dctl start --force --pid "$target" "${fast[@]}"
	expect_rc 0
	dctl report
	expect_rc 0
	expect_empty err
}

# ---- shell completion ----

test_completion() {
	# shellcheck source=/dev/null
	. "$COMPLETION" || fail "the completion script does not load"
	complete_words() {
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_damonctl
		echo "${COMPREPLY[*]}"
	}
	[ "$(complete_words damonctl st)" = "start stop" ] || fail "commands"
	[ "$(complete_words damonctl report -f j)" = "jsonl" ] || fail "formats"
	[ "$(complete_words damonctl report -o PID,NR_P)" = "PID,NR_PASSES" ] ||
		fail "columns after a comma"
	[ "$(complete_words damonctl start --no)" = "--no-tlb-flush" ] ||
		fail "start options"
}

if [ "$name" = --list ]; then
	declare -F | sed -n 's/^declare -f test_//p'
	exit 0
fi
if ! declare -F "test_$name" > /dev/null; then
	echo "cli-test.sh: no test named '$name'"
	exit 99
fi
setup
"test_$name"
