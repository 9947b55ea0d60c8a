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
#   MANPAGE_SRC cli/damonctl.8.scd
#   DEPLOY_DIR  deploy/ (the service, Prometheus and Grafana examples)
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

# need TOOL: a check that uses TOOL fails without it rather than passing
# unchecked (.ci/install-deps installs every one).
need() {
	command -v "$1" > /dev/null ||
		fail "$1 is missing, so this check cannot run: apt-get install $1 (.ci/install-deps does)"
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

# Each line a JSON value.
expect_json_lines() {
	need python3
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
	for c in start stop report top; do
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
	for o in --view --export --pid --from --to --svg --width --height \
		 --color --min-access --over-time --top --sort --range; do
		expect_in out "$o"
	done
}

test_help_top() {
	dctl top --help
	expect_rc 0
	for o in --pid --batch --iterations --sample --aggr --update \
		 --no-tlb-flush; do
		expect_in out "$o"
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
	expect_stderr "damonctl start: nothing to record: give --pid PID, --cgroup PATH or a COMMAND (after --)" \
		"Run 'damonctl start --help' for the options."
}

test_start_pid_and_command() {
	dctl start --pid 1 -- true
	expect_rc 2
	expect_in err "give either --pid/--cgroup or a COMMAND, not both"
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
	need python3
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

test_report_sort() {
	fixture basic
	dctl report --sort=-SIZE basic.rec
	expect_rc 0
	golden report-sort-size-desc.txt out
	# Ties keep the file's order; the same order in JSON and raw.
	dctl report --sort access -o PID,START,ACCESS --raw --noheadings basic.rec
	expect_rc 0
	golden report-sort-access.txt out
	dctl report -s ACCESS -o PID,START,ACCESS --json --bytes basic.rec
	expect_rc 0
	need python3
	python3 - out <<'PY' || { show; fail "JSON rows not sorted by access"; }
import json, sys
rows = json.load(open(sys.argv[1]))["regions"]
acc = [r["access"] for r in rows]
assert acc == sorted(acc) and len(rows) == 7, acc
PY
}

test_report_filters() {
	fixture basic
	dctl report --pid 1001 --min-access 5 -o PID,START,ACCESS --raw --noheadings basic.rec
	expect_rc 0
	expect_stdout "1001 0x7f1000000000 10%" "1001 0x7fff00000000 100%"
	# Regions that overlap the range, whole: one byte into the second.
	dctl report --range 0x7f0000000000-0x7f0004000001 -o START,END --raw --noheadings basic.rec
	expect_rc 0
	expect_stdout "0x7f0000000000 0x7f0004000000" "0x7f0004000000 0x7f0004401000"
	dctl report --range 140724603453440-140724603588608 -o PID,START --json basic.rec
	expect_rc 0
	expect_in out '"start": "0x7ffd00000000"'
	[ "$(grep -c '"pid"' out)" -eq 1 ] || { show; fail "expected one region"; }
	dctl report --pid 4242 --raw --noheadings basic.rec
	expect_rc 0
	expect_empty out
}

test_report_filter_errors() {
	fixture basic
	dctl report --sort FOO basic.rec
	expect_rc 2
	expect_stderr "damonctl report: --sort: unknown column 'FOO' (the columns are listed by --help)" \
		"Run 'damonctl report --help' for the options."
	dctl report --range 0x2000-0x1000 basic.rec
	expect_rc 2
	expect_in err "damonctl report: --range '0x2000-0x1000' is not START-END with START below END (e.g. 0x7f0000000000-0x7f0010000000)"
	dctl report --range 12 basic.rec
	expect_rc 2
	expect_in err "--range '12' is not START-END"
	dctl report --min-access 120 basic.rec
	expect_rc 2
	expect_in err "--min-access '120' is not a percentage from 0 to below 100"
	dctl report --view wss --sort SIZE basic.rec
	expect_rc 2
	expect_in err "--view and --export take none of -o, --at, --format, --raw, --noheadings, --sort, --range"
	dctl report -f jsonl --pid 1000 basic.rec
	expect_rc 2
	expect_in err "--format jsonl prints every snapshot in full"
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

test_report_jsonl_maps() {
	# Maps records are lines of their own, in file order.
	fixture views
	dctl report -f jsonl views.rec
	expect_rc 0
	expect_json_lines out
	[ "$(grep -c '^{"maps":' out)" -eq 2 ] || { show; fail "expected 2 maps lines"; }
	sed -n 2p out | grep -q '^{"maps":\[{"pid":1000,"time_ns":1000000,' || { show; fail "the first maps line is not second"; }
	grep '^{"maps":' out | tail -n 1 > last
	expect_json last 'j["maps"][0]["path"][4] is None and j["maps"][0]["perms"][5] == "r--p" and len(j["maps"][0]["start"]) == 11'
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
	expect_stderr_like "damonctl: warning: torn\.rec ends inside a record \(the last 198 bytes, from byte [0-9]+\): its recorder was killed while writing \(or is still running\); the 4 whole snapshots before it are used"
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
	expect_stderr_like "damonctl: warning: corrupt\.rec: the record at byte [0-9]+ is damaged \(a target's regions run past the end of the snapshot\): the 312 bytes from there are ignored"
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
	expect_in out "monitoring cost: kdamond 0.15% of a CPU, 100% of samples taken (700 of 700), 1 snapshot dropped, 0 TLB flushes"
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
	local sleep_bin
	sleep_bin=$(readlink -f "$(command -v sleep)")
	sleep 300 < /dev/null > /dev/null 2>&1 &
	target=$!
	helpers+=("$target")
	# $! is the forked shell until it has exec'd sleep; the tests expect
	# the command name of sleep, so wait for the exec, not for time.
	wait_for "[ \"\$(readlink /proc/$target/exe)\" = $sleep_bin ]"
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
	[ "$(wc -l < out)" -eq 5 ] || { show; fail "expected the cost line, the header and 3 regions"; }
	expect_end '"cause":"targets-exited"'
	[ "$(grep -c '"snapshot"' out)" -eq 5 ] || fail "expected 5 snapshots"
	expect_json_lines out
}

test_rec_cost() {
	# The fake module's figures: 1% of a CPU, every sample due taken
	# (10 passes x 3 regions a snapshot), nothing dropped or flushed.
	workload
	FAKEDEV_SNAPSHOTS=5 with_fakedev dctl start --pid "$target" "${fast[@]}"
	expect_rc 0
	expect_summary 5 "every target exited"
	expect_in err "damonctl: monitoring cost: kdamond 1% of a CPU, 100% of samples taken (150 of 150), 0 snapshots dropped, 0 TLB flushes"
	grep -q warning err && { show; fail "a warning without cause"; }
	return 0
}

test_rec_tune() {
	workload
	FAKEDEV_SNAPSHOTS=3 with_fakedev dctl start --pid "$target" "${fast[@]}" --tune
	expect_rc 0
	expect_end '"cause":"targets-exited"'
	# The floor: damo's 5 ms, or the start interval (1 ms) if shorter.
	head -n 1 out | grep -qF '"tune_goal_bp":400,"tune_min_sample_us":1000,"tune_max_sample_us":0' ||
		{ show; fail "--tune did not ask for 4% from 1 ms up"; }
	FAKEDEV_SNAPSHOTS=3 with_fakedev dctl start --pid "$target" --force \
		--sample 20ms --aggr 200ms --tune
	expect_rc 0
	dctl report -f jsonl damon.rec
	head -n 1 out | grep -qF '"tune_goal_bp":400,"tune_min_sample_us":5000,"tune_max_sample_us":0' ||
		{ show; fail "--tune did not keep tuning above 5 ms"; }
	FAKEDEV_SNAPSHOTS=3 with_fakedev dctl start --pid "$target" "${fast[@]}" \
		--force --tune=0.5% --tune-min-sample 2ms --tune-max-sample 1s
	expect_rc 0
	dctl report -f jsonl damon.rec
	head -n 1 out | grep -qF '"tune_goal_bp":50,"tune_min_sample_us":2000,"tune_max_sample_us":1000000' ||
		{ show; fail "--tune=0.5% and its bounds were not passed on"; }
	dctl report damon.rec
	expect_in out "; sampling every 1 ms, aggregating every 10 ms"
}

test_rec_tune_errors() {
	dctl start --pid $$ --tune=0
	expect_rc 2
	expect_in err "damonctl start: --tune=0 is not a share of samples from 0.01% to 100% (e.g. --tune=4%)"
	dctl start --pid $$ --tune-min-sample 1ms
	expect_rc 2
	expect_in err "--tune-min-sample and --tune-max-sample bound auto-tuning: give --tune too"
	dctl start --pid $$ --tune --tune-min-sample 1s --tune-max-sample 10ms
	expect_rc 2
	expect_in err "--tune-min-sample must not be longer than --tune-max-sample"
	dctl top --batch --pid $$ --tune=lots
	expect_rc 2
	expect_in err "damonctl top: --tune=lots is not a share of samples"
	workload
	FAKEDEV_NO_AUTOTUNE=1 with_fakedev dctl start --pid "$target" --tune
	expect_rc 1
	expect_stderr "damonctl: this damondev module cannot auto-tune its intervals (it lacks the auto-tuning feature): update the module, or leave out --tune"
	[ ! -e damon.rec ] || fail "a file was left behind"
}

test_top_regions() {
	# top takes every attribute start does.
	workload
	FAKEDEV_SNAPSHOTS=2 with_fakedev dctl top --batch --pid "$target" \
		"${fast[@]}" --min-regions 20 --max-regions 40 --tune
	expect_rc 0
	expect_in out "(sampling every 1 ms)"
}

test_rec_warn_behind() {
	# Half the samples due, every aggregation: one warning, naming the
	# options, after three aggregations.
	workload
	FAKEDEV_SAMPLES_PERCENT=50 FAKEDEV_SNAPSHOTS=6 with_fakedev \
		dctl start --pid "$target" "${fast[@]}" --max-regions 500
	expect_rc 0
	[ "$(grep -c warning err)" -eq 1 ] || { show; fail "expected one warning"; }
	expect_in err "damonctl: warning: the monitor is falling behind: it took 50% of the samples due over the last 3 aggregations; sample less often (--sample, now 1 ms) or allow fewer regions (--max-regions, now 500)"
	expect_in err "50% of samples taken (90 of 180)"
}

test_rec_warn_dropped() {
	workload
	FAKEDEV_DROP_AT=2 FAKEDEV_SNAPSHOTS=5 with_fakedev \
		dctl start --pid "$target" "${fast[@]}" --queue-depth 4
	expect_rc 0
	[ "$(grep -c warning err)" -eq 1 ] || { show; fail "expected one warning"; }
	expect_in err "damonctl: warning: the module dropped 2 snapshots that were not read in time (is the disk or the machine too busy?); let more wait (--queue-depth, now 4) or aggregate longer (--aggr, now 10 ms)"
	expect_in err "2 snapshots dropped, 0 TLB flushes"
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
	[ "$(wc -l < out)" -eq 5 ] || { show; fail "expected the cost line, the header and 3 regions"; }
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

# ---- schemes (start --scheme), against fakedev.so ----

# A field of scheme N's (default 1) counters in the last schemes line.
scheme_stat() {
	"$DAMONCTL" report -f jsonl "${3:-damon.rec}" | grep '^{"schemes"' | tail -n 1 |
		python3 -c 'import json, sys
o = json.loads(sys.stdin.read())["schemes"][0]
print(o[sys.argv[1]][int(sys.argv[2]) - 1])' "$1" "${2:-1}"
}

test_scheme_bad() {
	dctl start --pid $$ --scheme evict
	expect_rc 2
	expect_stderr "damonctl start: --scheme 'evict': 'evict' is not an action (use pageout, cold, collapse, willneed or stat)" \
		"Run 'damonctl start --help' for the options."
	dctl start --pid $$ --scheme pageout
	expect_rc 2
	expect_stderr "damonctl start: --scheme 'pageout': pageout without access= or age= would act on all memory, the hot part too; say which, e.g. pageout,access=0%,age=30s.." \
		"Run 'damonctl start --help' for the options."
	dctl start --pid $$ --scheme 'cold,age=5'
	expect_rc 2
	expect_stderr "damonctl start: --scheme 'cold,age=5': age: '5' needs a unit (ns, us, ms, s, m, h or d), e.g. 5ms" \
		"Run 'damonctl start --help' for the options."
	[ ! -e damon.rec ] || fail "a bad --scheme left a record file"
}

# stat counts the regions that match, every snapshot it looks at, and
# changes nothing: every one of fakedev's 3 regions of 1 MiB matches
# "stat".  The schemes act in a thread of their own on the newest
# snapshot, so they may skip some: the counts go by what they looked at.
test_scheme_stat() {
	need python3
	workload
	FAKEDEV_SNAPSHOTS=5 with_fakedev dctl start --pid "$target" --sample 10ms --aggr 100ms \
		--scheme stat --scheme 'stat,access=100%'
	expect_rc 0
	looked=$(scheme_stat snapshots)
	[ "$looked" -ge 1 ] && [ "$looked" -le 5 ] || fail "the schemes looked at $looked of 5 snapshots"
	[ "$(scheme_stat matched_bytes)" = $((looked * 3 << 20)) ] ||
		fail "stat matched $(scheme_stat matched_bytes) bytes in $looked snapshots, not 3 MiB each"
	[ "$(scheme_stat applied_bytes)" = "$(scheme_stat matched_bytes)" ] ||
		fail "stat did not count what matched"
	# fakedev's nr_accesses is (seq + region) % 11 of 10 passes: 100%
	# only when that is 10, which no region of seq 0 to 4 reaches.
	[ "$(scheme_stat matched_regions 2)" = 0 ] || fail "access=100% matched regions that are not that hot"
	dctl report --schemes
	expect_rc 0
	expect_empty err
	golden_like() { grep -qE "$1" out || { show; fail "report --schemes lacks /$1/"; }; }
	golden_like '^SCHEME ACTION +STATE +MATCHED +APPLIED +QUOTA-HELD +UNMAPPED +REFUSED +LAST-ERROR +ACTIVE +CPU +PATTERN$'
	golden_like '^ +1 stat +acting +([0-9]+\.000 MiB) +\1 +0 B +0 B +0 B +100% +[0-9.]+ [mun]?s +stat$'
	golden_like '^ +2 stat +acting +0 B +0 B .* stat,access=100%$'
	dctl report --schemes --json --bytes
	expect_rc 0
	python3 -c 'import json, sys
s = json.load(open("out"))["schemes"]
assert s[0]["matched"] == int(sys.argv[1]) * 3 << 20 and s[0]["pattern"] == "stat", s' "$looked" ||
		fail "report --schemes --json is not what the table says"
}

# A range that is not mapped in the target any more is not advised:
# fakedev's regions lie where sleep has nothing mapped.
test_scheme_unmapped() {
	need python3
	workload
	# Not under valgrind: Debian 12's valgrind does not know
	# process_madvise(2), so damonctl would find it missing and only count.
	FAKEDEV_SNAPSHOTS=3 with_fakedev "$DAMONCTL" start --pid "$target" "${fast[@]}" \
		--scheme 'pageout,access=0..100%' > out 2> err
	rc=$?
	expect_rc 0
	grep -q warning err && { show; fail "a warning: damonctl may not act as root"; }
	[ "$(scheme_stat matched_bytes)" -gt 0 ] || fail "nothing matched"
	[ "$(scheme_stat unmapped_bytes)" = "$(scheme_stat matched_bytes)" ] ||
		fail "ranges that are not mapped were advised"
	[ "$(scheme_stat applied_bytes)" = 0 ] || fail "something not mapped was paged out"
}

# The pressure watermark reads a pressure file; above the mark the scheme
# waits, below it acts, an unreadable one holds it and says so.
test_scheme_psi() {
	need python3
	workload
	echo "some avg10=50.00 avg60=0.00 avg300=0.00 total=0" > high
	echo "some avg10=1.00 avg60=0.00 avg300=0.00 total=0" > low
	echo "nothing here" > junk
	FAKEDEV_SNAPSHOTS=3 with_fakedev dctl start --pid "$target" "${fast[@]}" \
		--scheme "stat,psi=10%,psi-from=$work/high" --scheme "stat,psi=10%,psi-from=$work/low" \
		--scheme "stat,psi=10%,psi-from=$work/junk"
	expect_rc 0
	looked=$(scheme_stat snapshots)
	[ "$looked" -ge 1 ] || fail "the schemes looked at no snapshot"
	[ "$(scheme_stat inactive_snapshots 1)" = "$looked" ] || fail "at 50% stalled a 10% mark let the scheme act"
	[ "$(scheme_stat inactive_snapshots 2)" = 0 ] || fail "at 1% stalled a 10% mark held the scheme"
	[ "$(scheme_stat inactive_snapshots 3)" = "$looked" ] || fail "an unreadable pressure file let the scheme act"
	expect_in err "damonctl: warning: scheme 3: cannot read memory pressure from $work/junk: Invalid argument; the scheme waits"
	[ "$(grep -c 'cannot read memory pressure' err)" = 1 ] || fail "the unreadable file was not rate-limited"
}

# The schemes' thread must not take the signals meant for the recorder's
# signalfd: SIGINT and SIGTERM still end the recording cleanly, with the
# schemes' counters and the end record written.
test_scheme_signals() {
	need python3
	local sig
	for sig in INT TERM; do
		workload
		rm -f damon.rec	# start_recorder waits for a new one's header
		set -m	# else a background job starts with SIGINT ignored
		start_recorder --pid "$target" "${fast[@]}" --scheme stat
		sleep 0.5
		kill -$sig "$recorder"
		wait "$recorder"
		rc=$?
		set +m
		valgrind_clean
		expect_rc 0
		expect_summary '[0-9]+' "stopped by SIG$sig"
		expect_end "\"signal\":\"SIG$sig\""
		[ "$(scheme_stat snapshots)" -ge 1 ] || fail "no schemes record after SIG$sig"
	done
}

# top --scheme shows what each scheme has done, under the working set.
test_top_scheme() {
	workload
	FAKEDEV_SNAPSHOTS=4 with_fakedev dctl top --batch --pid "$target" --sample 10ms \
		--aggr 100ms --scheme stat --scheme 'cold,access=0%,quota=1M/s'
	expect_rc 0
	[ "$(grep -c '^Scheme 1 stat (' out)" = 4 ] || { show; fail "not one stat line per snapshot"; }
	grep -qE '^Scheme 1 stat \(acting\): [1-9][0-9.]* MiB applied, 0 B held by quota, 0 B refused; stat$' out ||
		{ show; fail "the stat scheme never counted"; }
	grep -q '^Scheme 2 cold (.*; cold,access=0%,quota=1M/s$' out || { show; fail "no line of the second scheme"; }
	dctl top --batch --cgroup / --scheme stat
	expect_rc 2
	expect_in err "top runs --scheme on one process"
}

test_report_schemes_none() {
	workload
	FAKEDEV_SNAPSHOTS=2 with_fakedev dctl start --pid "$target" "${fast[@]}"
	expect_rc 0
	dctl report --schemes
	expect_rc 1
	expect_stderr "damonctl: damon.rec holds no scheme counts: it was recorded without --scheme (or ended before the first snapshot)"
	dctl report --schemes --at 1s
	expect_rc 2
	expect_in err "--schemes prints the totals of the whole recording"
}

# ---- status ----

test_status_nothing() {
	dctl status
	expect_rc 0
	expect_empty out
	expect_stderr "damonctl status: no background recording of yours is running"
	dctl status --json
	expect_rc 0
	need python3
	[ "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])))' out)" = "{'recordings': []}" ] ||
		{ show; fail "expected an empty list"; }
}

test_status_lists() {
	# One live recorder and one killed without finishing, with the
	# figures of their files: both fixtures have 5 snapshots, 1 dropped.
	fixture basic "$work/a.rec"
	fixture noend "$work/b.rec"
	fake_recorder "$work/a.rec"
	mkdir -p -m 0700 run/damonctl
	printf 'pid 4242\noutput %s\nstarted 1700000000\ntargets pid 1002\n' \
		"$work/b.rec" > run/damonctl/4242.state
	dctl status --raw --noheadings -o ID,STATE,TARGETS,SNAPSHOTS,DROPPED,FILE
	expect_rc 0
	expect_empty err
	sed -i "s|$work|WORK|g" out
	a=$fake b=4242
	if [ "$a" -lt "$b" ]; then
		printf '%s\n' "$a running pid\\x201000,1001 5 1 WORK/a.rec" \
			"$b dead pid\\x201002 5 1 WORK/b.rec" > want
	else
		printf '%s\n' "$b dead pid\\x201002 5 1 WORK/b.rec" \
			"$a running pid\\x201000,1001 5 1 WORK/a.rec" > want
	fi
	diff -u want out || fail "unexpected status"
	dctl status --json --bytes -o ID,RUNNING,SIZE,STARTED
	expect_rc 0
	need python3
	python3 - out "$fake" "$(stat -c %s "$work/a.rec")" <<'PY' || { show; fail "unexpected JSON"; }
import json, sys
rows = {r["id"]: r for r in json.load(open(sys.argv[1]))["recordings"]}
a = rows[int(sys.argv[2])]
assert a["size"] == int(sys.argv[3]), a
assert a["started"] == 1700000000, a
assert a["running"] > 0, a
assert set(rows) == {int(sys.argv[2]), 4242}, rows
PY
	# status changes nothing: the dead recording is still there for stop.
	[ -e run/damonctl/4242.state ] || fail "status removed a state file"
	alive "$fake" || fail "status stopped a recording"
}

test_status_background() {
	workload
	with_fakedev dctl start --background --pid "$target" "${fast[@]}"
	expect_rc 0
	id=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' out)
	sleep 1
	dctl status --raw --noheadings -o ID,STATE,TARGETS
	expect_rc 0
	expect_stdout "$id running pid\\x20$target"
	dctl stop "$id"
	expect_rc 0
	dctl status
	expect_rc 0
	expect_stderr "damonctl status: no background recording of yours is running"
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
	expect_stderr "damonctl: you may not monitor pid $target (sleep, user $(id -un)): without CAP_SYS_PTRACE you may monitor only your own processes that are dumpable, hold no capabilities you lack and run in your user namespace, as with ptrace (run damonctl as root, or as the process's owner outside any user namespace)"
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

# ---- views of report ----

# A well-formed SVG (python3's XML parser) holding every TEXT given.
expect_svg() {
	local file=$1
	shift
	need python3
	python3 - "$file" "$@" << 'EOF' || fail "$file is not the SVG expected"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == '{http://www.w3.org/2000/svg}svg', root.tag
texts = [''.join(t.itertext()) for t in root.iter('{http://www.w3.org/2000/svg}text')]
for want in sys.argv[2:]:
    if not any(want in t for t in texts):
        sys.exit('no text containing %r in %s' % (want, texts))
EOF
}

# JSON (one document) for which the python expression is true (j: the value).
expect_json() {
	need python3
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert eval(sys.argv[2]), sys.argv[2]' "$1" "$2" || { show; fail "JSON check failed: $2"; }
}

test_view_heatmap() {
	fixture views
	dctl report --view heatmap views.rec
	expect_rc 0
	expect_empty err
	golden view-heatmap.txt out
}

test_view_heatmap_color() {
	fixture views
	dctl report --view heatmap --color=always --width 40 --height 5 views.rec
	expect_rc 0
	golden view-heatmap-color.txt out
	grep -q $'\033\\[48;5;226m' out || fail "no colour for the hottest cells"
	dctl report --view heatmap --color=never --width 40 --height 5 views.rec
	expect_rc 0
	grep -q $'\033' out && fail "--color=never printed escapes"
	return 0
}

test_view_heatmap_gaps() {
	# Three monitored ranges: the two gaps between them (41 TiB and
	# 1012 GiB) are one '|' column each, and so is the hole between the
	# stack and the vdso that no mapping covered; the 68 MiB range gets
	# the columns.  The range of snapshot #0 that no mapping covered (the
	# address space before exec) is left out.
	fixture views
	dctl report --view heatmap --height 3 views.rec
	expect_rc 0
	sed -n 2,4p out > grid
	[ "$(grep -c '^.|.\{74\}|.|.$' grid)" -eq 3 ] || { show; fail "gaps not at columns 2, 77 and 79"; }
	expect_in out "column  2         gap 0x55555555a000-0x7f0000000000 (41.667 TiB), not monitored, collapsed"
	expect_in out "columns 3-76      0x7f0000000000-0x7f0004401000 (68.004 MiB), 941.026 KiB per column"
	expect_in out "column  77        gap 0x7f0004401000-0x7ffd00000000 (1011.934 GiB), not monitored, collapsed"
	expect_in out "column  79        gap 0x7ffd00021000-0x7ffd000fe000 (884.000 KiB), never mapped, collapsed"
	expect_in out "left out: 1 monitored range (512.000 KiB) that no recorded mapping of the target covered"
	# Too narrow for all: only the widest gap is collapsed.
	dctl report --view heatmap --width 8 --height 1 views.rec
	expect_rc 0
	[ "$(sed -n 2p out | tr -cd '|' | wc -c)" -eq 1 ] || { show; fail "expected one gap marker"; }
	expect_in out "gap 0x55555555a000-0x7f0000000000 (41.667 TiB), not monitored, collapsed"
}

test_view_heatmap_json() {
	fixture views
	dctl report --view heatmap --json --width 20 --height 4 views.rec
	expect_rc 0
	golden view-heatmap.json out
	# 4 rows of 17 cells (3 columns are gap markers); the hottest is 9.
	expect_json out 'len(j["heatmap"]) == 68 and max(c["level"] for c in j["heatmap"]) == 9'
}

test_view_heatmap_svg() {
	fixture views
	dctl report --view heatmap --svg heat.svg views.rec
	expect_rc 0
	expect_empty out
	expect_svg heat.svg "Access heatmap of pid 1000 (memhog)" "time (s)" \
		"address (4 ranges" "0x7f0000000000" "0.4 s" "90%" \
		"gap of 41.667 TiB, not monitored (collapsed)" "not monitored"
	[ "$(grep -c 'class="gap"' heat.svg)" -eq 3 ] || fail "expected three gaps in the SVG"
	expect_in heat.svg "<title>gap 0x7ffd00021000-0x7ffd000fe000 (884.000 KiB), never mapped</title>"
}

test_view_wss() {
	fixture views
	dctl report --view wss views.rec
	expect_rc 0
	expect_empty err
	golden view-wss.txt out
}

test_view_wss_over_time() {
	fixture views
	dctl report --view wss --over-time --min-access 10% views.rec
	expect_rc 0
	golden view-wss-over-time.txt out
	dctl report --view wss --over-time --json --min-access 50 views.rec
	expect_rc 0
	golden view-wss-over-time.json out
	expect_json out 'j["wss"][0] == {"seq": 0, "time_ns": 102000000, "wss": 33554432}'
}

test_view_wss_svg() {
	fixture views
	dctl report --view wss --svg wss.svg views.rec
	expect_rc 0
	expect_svg wss.svg "Working set size of pid 1000 (memhog)" \
		"time since the recording started (s)" "working set size (MiB)" \
		"40 MiB" "average"
}

test_view_wss_bad_min_access() {
	fixture views
	dctl report --view wss --min-access lots views.rec
	expect_rc 2
	expect_in err "--min-access 'lots' is not a percentage from 0 to below 100 (e.g. 5 or 0.5%)"
}

test_view_hot() {
	fixture views
	dctl report --view hot views.rec
	expect_rc 0
	expect_empty err
	golden view-hot.txt out
	# Named by the maps in force at the end: libc came in a later record.
	expect_in out " libc.so.6"
	expect_in out "coverage: 132.000 KiB of the 68.293 MiB mapped (0.19%) lay outside the monitoring regions at 1.002 s"
	grep -q '^\[heap\] ' out || { show; fail "the heap is not named as left out"; }
}

test_view_hot_json() {
	fixture views
	dctl report --view hot --json --top 3 views.rec
	expect_rc 0
	golden view-hot.json out
	expect_json out '[r["mapping"] for r in j["hot"] if r["kind"] == "excluded"] == ["[heap]"]'
	expect_json out '[r["kind"] for r in j["hot"]].count("region") == 3'
}

test_view_hot_no_maps() {
	fixture views
	dctl report --view hot --pid 1001 --bytes views.rec
	expect_rc 0
	golden view-hot-1001.txt out
	expect_in out "coverage: unknown: the recording has no maps of the target"
}

test_view_temperature() {
	fixture views
	dctl report --view temperature views.rec
	expect_rc 0
	expect_empty err
	golden view-temperature.txt out
	dctl report --view temperature --json views.rec
	expect_rc 0
	golden view-temperature.json out
	# The coldest: the 132 KiB stack region, idle for 90.9 s; the
	# histogram's shares add up to all the bytes.
	expect_json out '[r["temperature"] for r in j["temperature"] if r["kind"] == "percentile"][0] == -90.9'
	expect_json out 'abs(sum(r["percent"] for r in j["temperature"] if r["kind"] == "histogram") - 100) < 0.05'
	dctl report --view temperature --temperature-weights 0,1 --json views.rec
	expect_rc 0
	expect_json out '[r["temperature"] for r in j["temperature"] if r["kind"] == "percentile"][0] == -90.9'
	dctl report --view temperature --temperature-weights x views.rec
	expect_rc 2
	expect_in err "--temperature-weights 'x' is not ACCESS,AGE: two weights of 0 or more, not both 0 (e.g. 1,1)"
	dctl report --view hot --temperature-weights 1,1 views.rec
	expect_rc 2
	expect_in err "--temperature-weights is an option of --view temperature"
}

test_view_recency() {
	fixture views
	dctl report --view recency views.rec
	expect_rc 0
	expect_empty err
	golden view-recency.txt out
	dctl report --view recency --json views.rec
	expect_rc 0
	golden view-recency.json out
	expect_json out '[r["idle_ns"] for r in j["recency"] if r["kind"] == "percentile"][-1] == 90900000000'
}

test_view_window() {
	fixture views
	dctl report --view wss --over-time --from 510ms --to 810ms views.rec
	expect_rc 0
	[ "$(awk 'NR > 2 { print $1 }' out | tr '\n' ' ')" = "5 7 " ] || { show; fail "expected snapshots 5 and 7"; }
	dctl report --view recency --to 450ms views.rec
	expect_rc 0
	expect_in out "at 402 ms (snapshot #3)"
	dctl report --view heatmap --from 5s views.rec
	expect_rc 1
	expect_stderr "damonctl: pid 1000 has no regions in a snapshot of views.rec that ended after 5 s and by the end"
}

test_view_bad_pid() {
	fixture views
	dctl report --view wss --pid 42 views.rec
	expect_rc 1
	expect_stderr "damonctl: pid 42 is not a target of views.rec: its targets are 1000, 1001"
}

test_view_option_errors() {
	fixture views
	dctl report --view heatmap --top 3 views.rec
	expect_rc 2
	expect_in err "damonctl report: --top is an option of --view hot"
	dctl report --view hot --svg x.svg views.rec
	expect_rc 2
	expect_in err "--svg draws --view heatmap or wss, not hot"
	dctl report --view nope views.rec
	expect_rc 2
	expect_in err "unknown view 'nope': use heatmap, wss, hot, recency or temperature"
	dctl report --view wss -o PID views.rec
	expect_rc 2
	expect_in err "--view and --export take none of -o"
	dctl report --top 3 views.rec
	expect_rc 2
	expect_in err "--from, --to, --svg, --width, --height, --color, --over-time, --top and --temperature-weights are options of --view"
	dctl report --view heatmap --width 3 views.rec
	expect_rc 2
	expect_in err "--width must be from 8 to 4096"
	dctl report --view wss --from 2s --to 1s views.rec
	expect_rc 2
	expect_in err "--from must be before --to"
}

test_view_old_record() {
	# A recording without maps records, and with bigger structures: the
	# views read it, the hot list just cannot name mappings.
	fixture wide
	dctl report --view hot wide.rec
	expect_rc 0
	expect_in out "coverage: unknown"
	dctl report --view heatmap --pid 1001 wide.rec
	expect_rc 0
	expect_in out "heatmap of pid 1001 (sleep), 3 snapshots"
}

# ---- damo export ----

# Checks an export the way damo 3.x reads it (DamonRecord.from_kvpairs and
# what it calls), without damo.
# damo_records FILE: "PID:SNAPSHOTS ..." as damo's own loader (damo 3.3.0
# in $DAMO_DIR) reads FILE, through the file type check of its commands;
# the test is skipped, saying so, without damo.
# Call need_damo first: damo_records runs in a command substitution, where
# a skip would only end the subshell.
need_damo() {
	need python3
	need file
	[ -f "$DAMO_DIR/src/_damo_records.py" ] || {
		echo "SKIP: no damo at $DAMO_DIR (meson configure -Ddamo_dir=DIR)"
		exit 77
	}
}

damo_records() {
	python3 -c 'import sys
sys.path.insert(0, sys.argv[1])
import _damo_records
records, err = _damo_records.parse_records_file(sys.argv[2])
if err is not None:
    # Debian 12'"'"'s file calls plain JSON "JSON text data", which damo
    # 3.3.0 does not recognise (damonctl(8)): load it directly.
    records = _damo_records.parse_json_file(sys.argv[2])
print(" ".join("%d:%d" % (r.target_id, len(r.snapshots)) for r in records))' \
		"$DAMO_DIR/src" "$1"
}

test_export_damo_json() {
	fixture basic
	dctl report --export damo-json basic.rec
	expect_rc 0
	expect_empty err
	golden export-damo.json out
	need_damo
	[ "$(damo_records out)" = "1000:5 1001:3" ] || fail "unexpected records"
}

test_export_damo_compressed() {
	fixture views
	damonctl_cmd
	"${dcmd[@]}" report --export damo-json-compressed views.rec > out.z 2> err
	rc=$?
	valgrind_clean
	expect_rc 0
	need_damo
	[ "$(damo_records out.z)" = "1000:9 1001:9" ] || fail "unexpected records"
	dctl report --export damo-json --from 510ms views.rec
	[ "$(damo_records out)" = "1000:4 1001:4" ] || fail "--from ignored"
}

test_export_bad_format() {
	fixture basic
	dctl report --export perf basic.rec
	expect_rc 2
	expect_in err "unknown export format 'perf': use damo-json or damo-json-compressed"
	dctl report --export damo-json --pid 1000 basic.rec
	expect_rc 2
	expect_in err "--export writes every target in damo's format"
}

# ---- top, against fakedev.so ----

test_top_batch() {
	workload
	FAKEDEV_SNAPSHOTS=10 with_fakedev dctl top --batch --pid "$target" -n 3 "${fast[@]}"
	expect_rc 0
	expect_empty err
	[ "$(grep -c "^pid $target (sleep)  #" out)" -eq 3 ] || { show; fail "expected 3 blocks"; }
	expect_in out "kdamond "
	expect_in out "% CPU, samples "
	expect_in out "WSS "
	grep -qE '^[0-9]{80}$' out || { show; fail "no heatmap strip"; }
	expect_in out "START"
}

test_top_batch_until_exit() {
	workload
	FAKEDEV_SNAPSHOTS=2 with_fakedev dctl top --batch --pid "$target" "${fast[@]}"
	expect_rc 0
	[ "$(grep -c "^pid $target (sleep)  #" out)" -eq 2 ] || { show; fail "expected 2 blocks"; }
}

test_top_screen() {
	# The live screen in an 80x24 terminal: drawn, then q ends it with 0.
	need tmux
	workload
	damonctl_cmd
	local sock=$work/tmux.sock cmd
	printf -v cmd '%q ' env DAMON_DEVICE="$work/fake-damon" \
		FAKEDEV_PATH="$work/fake-damon" LD_PRELOAD="$FAKEDEV" \
		TERM=xterm-256color "${dcmd[@]}" top --pid "$target" "${fast[@]}"
	tmux -S "$sock" new-session -d -x 80 -y 24 "$cmd; echo \$? > $work/top.rc; sleep 60"
	helpers+=("$(tmux -S "$sock" display -p '#{pane_pid}')")
	wait_for "tmux -S $sock capture-pane -p | grep -q 'Hot regions'"
	wait_for "tmux -S $sock capture-pane -p | grep -q '^0x7f0000[0-9a-f]* *[0-9.]* KiB'"
	tmux -S "$sock" capture-pane -p > screen
	expect_in screen "damonctl top  pid $target (sleep)"
	expect_in screen "kdamond "
	expect_in screen "WSS "
	expect_in screen "Heatmap: the latest aggregations"
	grep -qE '^[0-9]{80}$' screen || { cat screen; fail "no heatmap strip"; }
	expect_in screen " q: quit"
	tmux -S "$sock" send-keys q
	wait_for "test -s $work/top.rc"
	[ "$(cat "$work/top.rc")" = 0 ] || fail "top exited with $(cat "$work/top.rc")"
	tmux -S "$sock" kill-server 2> /dev/null
	valgrind_clean
}

test_top_needs_terminal() {
	dctl top --pid $$
	expect_rc 2
	expect_in err "the live screen needs a terminal: use --batch for plain text"
}

test_rec_maps() {
	# The recorder keeps the target's maps: the hot view can tell what
	# the regions left out.
	workload
	FAKEDEV_SNAPSHOTS=5 with_fakedev dctl start --pid "$target" "${fast[@]}"
	expect_rc 0
	dctl report --view hot
	expect_rc 0
	expect_in out "coverage: "
	grep -q "coverage: unknown" out && { show; fail "no maps were recorded"; }
	grep -qE '^libc\.so\.6 ' out || { show; fail "libc is not listed as left out"; }
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
	[ "$(complete_words damonctl st)" = "start stop status" ] || fail "commands"
	[ "$(complete_words damonctl status -o ID,DR)" = "ID,DROPPED" ] || fail "status columns"
	[ "$(complete_words damonctl report -f j)" = "jsonl" ] || fail "formats"
	[ "$(complete_words damonctl report -o PID,NR_P)" = "PID,NR_PASSES" ] ||
		fail "columns after a comma"
	[ "$(complete_words damonctl start --no)" = "--no-tlb-flush" ] ||
		fail "start options"
	[ "$(complete_words damonctl report --view h)" = "heatmap hot" ] ||
		fail "views"
	[ "$(complete_words damonctl report --export damo-json-c)" = "damo-json-compressed" ] ||
		fail "export formats"
	[ "$(complete_words damonctl report --ov)" = "--over-time" ] ||
		fail "view options"
	[ "$(complete_words damonctl to)" = "top" ] || fail "top"
	[ "$(complete_words damonctl top --ba)" = "--batch" ] || fail "top options"
	[ "$(complete_words damonctl ex)" = "exporter" ] || fail "exporter"
	[ "$(complete_words damonctl exporter --cg)" = "--cgroup" ] ||
		fail "exporter options"
	[ "$(complete_words damonctl exporter --web.)" = "--web.listen-address --web.telemetry-path" ] ||
		fail "exporter web options"
}

# --follow-children: a child forked during the recording is recorded as
# it arrives (with its name) and as the one before it leaves.
test_start_follow_children() {
	bash -c 'sleep 1; sleep 6; true' < /dev/null > /dev/null 2>&1 &
	local parent=$!
	helpers+=("$parent")
	with_fakedev "$DAMONCTL" start --pid "$parent" --follow-children \
		--update 200ms --duration 3s -o f.rec > out 2> err
	rc=$?
	expect_rc 0
	dctl report -f jsonl f.rec
	expect_rc 0
	grep '^{"target"' out > events
	# A child found between its fork and its exec arrives under its
	# parent's name; an exec event names it once it has exec()ed.
	grep -q '^{"target":\[{"event":"\(arrived\|exec\)","pid":[0-9]*,"time_ns":[0-9]*,"comm":"sleep"}\]}$' events ||
		{ cat events; fail "no arrival of the second child"; }
	grep -q '^{"target":\[{"event":"left","pid":[0-9]*,"time_ns":[0-9]*,"comm":null}\]}$' events ||
		{ cat events; fail "no departure of the first child"; }
	# The table names the newcomer too.
	local newpid
	newpid=$(sed -n 's/^{"target":\[{"event":"\(arrived\|exec\)","pid":\([0-9]*\).*"comm":"sleep".*/\2/p' events | head -n 1)
	dctl report -o PID,COMM f.rec
	expect_rc 0
	grep -q "^ *$newpid sleep *\$" out || { show; fail "the table does not name the newcomer $newpid sleep"; }
}

# top --pid --follow-children: a table with the process and, once it
# forks, its child; --iterations ends it.
test_top_follow_children() {
	bash -c 'sleep 0.5; sleep 20; true' < /dev/null > /dev/null 2>&1 &
	local parent=$!
	helpers+=("$parent")
	damonctl_cmd
	with_fakedev "${dcmd[@]}" top --pid "$parent" --follow-children --batch \
		-n 4 --update 500ms > out 2> err
	rc=$?
	valgrind_clean
	expect_rc 0
	expect_empty err
	grep -q "^ *$parent bash " out || { show; fail "no row of the followed process"; }
	grep -q "^ *[0-9]* sleep " out || { show; fail "no row of its child"; }
	[ "$(grep -c '^ *PID COMM' out)" -eq 4 ] || { show; fail "not 4 tables for -n 4"; }
	dctl top --follow-children --batch
	expect_rc 2
	expect_in err "--follow-children applies to --pid"
	dctl top --cgroup "$work" --batch
	expect_rc 2
	expect_in err "--cgroup $work is not a cgroup"
}

test_start_cgroup_bad() {
	dctl start --cgroup "$work" -o x.rec
	expect_rc 2
	expect_in err "--cgroup $work is not a cgroup"
	dctl start --cgroup "$work" -o x.rec -- true
	expect_rc 2
	expect_in err "give either --pid/--cgroup or a COMMAND, not both"
	[ ! -e x.rec ] || fail "a refused start left a file"
}

# ---- exporter ----

# exporter_bad ARGS... -- REGEX: refused with exit 2 or 1 and a sentence.
test_exporter_bad_targets() {
	dctl exporter
	expect_rc 2
	expect_in err "give what to monitor: --cgroup PATH"
	dctl exporter --cgroup "$work/nope"
	expect_rc 2
	expect_in err "--cgroup $work/nope: No such file or directory; give the directory of a cgroup v2"
	: > afile
	dctl exporter --cgroup afile
	expect_rc 2
	expect_in err "--cgroup afile is not a directory"
	# A directory, but not in a cgroup file system.
	dctl exporter --cgroup "$work"
	expect_rc 2
	expect_in err "--cgroup $work is not a cgroup: give a directory under the cgroup v2 mount"
	dctl exporter --pid 0
	expect_rc 2
	expect_in err "--pid '0' is not a process id"
	dctl exporter --follow-children --cgroup "$work"
	expect_rc 2
	expect_in err "--follow-children applies to --pid targets"
	dctl exporter --pid $$ --no-tune --tune-max-sample 1s
	expect_rc 2
	expect_in err "--no-tune and --tune-min-sample or --tune-max-sample contradict"
}

test_exporter_bad_listen_address() {
	need python3
	dctl exporter --pid $$ --web.listen-address localhost
	expect_rc 2
	expect_in err "--web.listen-address 'localhost' is not HOST:PORT"
	# 192.0.2.0/24 is TEST-NET-1: no host has it.
	dctl exporter --pid $$ --web.listen-address 192.0.2.1:9732
	expect_rc 1
	expect_in err "cannot listen on 192.0.2.1:9732: this host has no such address"
	dctl exporter --pid $$ --web.telemetry-path metrics
	expect_rc 2
	expect_in err "--web.telemetry-path 'metrics' must start with /"
	# A port another program holds.
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(60)' > port &
	helpers+=("$!")
	wait_for 'test -s port'
	dctl exporter --pid $$ --web.listen-address "127.0.0.1:$(cat port)"
	expect_rc 1
	expect_in err "another program uses that port; choose another with --web.listen-address"
}

test_exporter_bad_textfile() {
	need setpriv
	dctl exporter --pid $$ --textfile "$work/nope"
	expect_rc 2
	expect_in err "--textfile $work/nope: No such file or directory; give node_exporter's --collector.textfile.directory"
	: > afile
	dctl exporter --pid $$ --textfile afile
	expect_rc 2
	expect_in err "--textfile afile is not a directory"
	dctl exporter --pid $$ --no-web
	expect_rc 2
	expect_in err "--no-web leaves nowhere to put the metrics"
	# A directory this user may not write in.
	mkdir -m 0755 ro
	chmod 0711 "$work"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$DAMONCTL" exporter --pid $$ --no-web --textfile "$work/ro" > out 2> err
	rc=$?
	expect_rc 1
	expect_in err "cannot write in $work/ro: Permission denied; make it writable for this user"
}

# Against fakedev: the exposition is what promtool accepts, the figures
# are the fake snapshots', the textfile is written and removed at exit,
# and under valgrind nothing leaks.
test_exporter_serves() {
	need curl
	need promtool
	need python3
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sleep 300 < /dev/null > /dev/null 2>&1 &
	helpers+=("$!")
	local target=$!
	mkdir tf
	damonctl_cmd
	# exec: $! must be damonctl (or valgrind), the process to signal.
	DAMON_DEVICE=$work/fake-damon FAKEDEV_PATH=$work/fake-damon \
		LD_PRELOAD=$FAKEDEV exec "${dcmd[@]}" exporter --pid "$target" \
		--per-process --web.listen-address "127.0.0.1:$port" \
		--textfile tf --textfile-interval 200ms --scheme stat > out 2> err &
	local exporter=$!
	helpers+=("$exporter")
	wait_for "curl -sf http://127.0.0.1:$port/metrics > scrape.txt && grep -q '^damon_targets{.*} 1' scrape.txt"
	# The stat scheme counts the fake regions, every one.
	wait_for "curl -sf http://127.0.0.1:$port/metrics > scrape.txt && grep -q '^damon_scheme_applied_bytes_total{cgroup=\"[^\"]*\",scheme=\"1\",action=\"stat\"} [1-9]' scrape.txt"
	promtool check metrics < scrape.txt > promtool.out 2>&1 ||
		{ cat promtool.out scrape.txt; fail "promtool check metrics refused it"; }
	# fakedev: 3 regions of 1 MiB, all accessed.
	grep -q '^damon_monitored_bytes{cgroup="[^"]*"} 3145728$' scrape.txt ||
		{ cat scrape.txt; fail "damon_monitored_bytes is not the fake 3 MiB"; }
	grep -q "^damon_process_working_set_bytes{cgroup=\"[^\"]*\",pid=\"$target\",comm=\"sleep\"} [0-9]*\$" scrape.txt ||
		{ cat scrape.txt; fail "no per-process series for the target"; }
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope" > code
	[ "$(cat code)" = 404 ] || fail "an unknown path answered $(cat code), not 404"
	wait_for 'test -s tf/damon.prom'
	promtool check metrics < tf/damon.prom > promtool.out 2>&1 ||
		{ cat promtool.out; fail "promtool check metrics refused the textfile"; }
	kill -TERM "$exporter"
	wait "$exporter"
	rc=$?
	expect_rc 0
	valgrind_clean
	[ ! -e tf/damon.prom ] || fail "the textfile outlived the exporter"
	[ -z "$(ls -A tf)" ] || fail "the exporter left files in the textfile directory: $(ls -A tf)"
}

# The metric families of an exposition: NAME per line, sorted.
families() {
	sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$1" | sort -u
}

# Every family the exporter serves is documented in the man page's METRICS
# section, and every one documented there is served.
test_exporter_metrics_documented() {
	need curl
	need python3
	local port target
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sleep 300 < /dev/null > /dev/null 2>&1 &
	target=$!
	helpers+=("$target")
	DAMON_DEVICE=$work/fake-damon FAKEDEV_PATH=$work/fake-damon \
		LD_PRELOAD=$FAKEDEV exec "$DAMONCTL" exporter --pid "$target" \
		--per-process --scheme stat --web.listen-address "127.0.0.1:$port" > out 2> err &
	helpers+=("$!")
	wait_for "curl -sf http://127.0.0.1:$port/metrics > scrape.txt && grep -q '^damon_samples_done_ratio' scrape.txt"
	families scrape.txt > served
	sed -n '/^# METRICS/,/^# UNITS/p' "$MANPAGE_SRC" |
		grep -o '\*damon_[a-z_]*' | tr -d '*' | sort -u > documented
	diff -u documented served ||
		fail "the families served (+) and those documented in damonctl(8) METRICS (-) differ"
}

# The deploy/ examples: Prometheus accepts the scrape job and the alerting
# rules, the dashboard is JSON, and every metric they use is one the
# exporter documents.
test_exporter_deploy_files() {
	need promtool
	need python3
	promtool check config "$DEPLOY_DIR/prometheus/prometheus.yml" > check.out 2>&1 ||
		{ cat check.out; fail "promtool check config refused prometheus.yml"; }
	promtool check rules "$DEPLOY_DIR/prometheus/damon-alerts.yml" > check.out 2>&1 ||
		{ cat check.out; fail "promtool check rules refused damon-alerts.yml"; }
	python3 - "$DEPLOY_DIR/grafana/damon-dashboard.json" > dash-exprs << 'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p["targets"]:
        print(t["expr"])
for v in d["templating"]["list"]:
    if v["type"] == "query":
        print(v["query"])
PY
		fail "the Grafana dashboard is not valid JSON of panels with targets"
	sed -n '/^# METRICS/,/^# UNITS/p' "$MANPAGE_SRC" |
		grep -o '\*damon_[a-z_]*' | tr -d '*' | sort -u > documented
	cat dash-exprs "$DEPLOY_DIR/prometheus/damon-alerts.yml" |
		grep -o 'damon_[a-z_]*' | sort -u > used
	[ -s used ] || fail "no damon_ metric found in the dashboard and rules"
	comm -23 used documented > unknown
	[ ! -s unknown ] || fail "the dashboard or rules use undocumented metrics: $(cat unknown)"
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
