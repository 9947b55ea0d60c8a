#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Record-file durability: a recorder killed with SIGKILL at any moment
# leaves a file that "damonctl report" reads up to its last whole snapshot,
# or, if it was killed before its header was whole, a file that report
# refuses with one clear sentence (exit 3).  Against fakedev.so, so on the
# host:
#
#   durability-test.sh stages   the recorder is killed at each stage that
#                               matters: file created but empty, inside the
#                               header, before the first snapshot, inside a
#                               maps record, inside a snapshot, between
#                               snapshots, inside the end record, after the
#                               end; background recorders killed while
#                               starting and while running.  Each stage is
#                               reached for sure (SIGSTOP, look at the
#                               file, then SIGKILL), with damonctl under
#                               valgrind throughout.
#   durability-test.sh random   DURABILITY_ITERATIONS (200) recorders killed
#                               after random delays, with random write and
#                               read sizes; stops early after 35 s.
#
# After every kill reccheck reads the file by itself: the whole snapshots
# must be fakedev's, numbered 0, 1, 2... with the content it made, and at
# least all the batches that read() handed out before the last one must be
# there (the recorder writes a batch in full before it reads again).  Then
# report (table, --json and -f jsonl) must show exactly those snapshots,
# with the warning that names how many and where the file was cut.
#
# fakedev.so's FAKEDEV_SLOW_FILE makes the recorder's write()s to the file
# short and slow, as writes the kernel cut short: so kills land inside
# records, not only between them, which a real write() of a few KiB to a
# local file makes rare but a kill during a larger write, a full disk or a
# crash does not rule out.
#
# The random seed (DURABILITY_SEED, default from the clock) is printed; the
# same seed gives the same delays, sizes and fakedev choices, so a failure
# is replayed by running with it (the timing of the kills still varies a
# little from run to run).  DURABILITY_VERBOSE=1 prints every kill and
# what it left.
#
# Environment: DAMONCTL, FAKEDEV, VALGRIND as for cli-test.sh, and RECCHECK.
set -u

name=${1:?usage: durability-test.sh stages|random}
helpers=()

setup() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/damonctl-durability.XXXXXX") || exit 99
	trap cleanup EXIT
	cd "$work" || exit 99
	export LC_ALL=C TZ=UTC HOME="$work" XDG_RUNTIME_DIR="$work/run"
	unset DAMON_DEVICE COLUMNS LIBSMARTCOLS_DEBUG LIBSMARTCOLS_JSON
	mkdir -m 0700 run
	# The process every recording records.
	sleep 300 < /dev/null > /dev/null 2>&1 &
	target=$!
	helpers+=("$target")
}

cleanup() {
	local p
	for p in "${helpers[@]}"; do
		kill -KILL "$p" 2> /dev/null
	done
	wait 2> /dev/null
	cd / && rm -rf "$work"
}

# What is being done ($run) and the file looked at ($context), for fail.
run='' context=''
fail() {
	echo "FAIL ($name): $*"
	[ -z "$run" ] || echo "# $run"
	[ -z "$context" ] || echo "# $context"
	if [ -n "${rec:-}" ] && [ -e "$rec" ]; then
		local keep
		keep=$(mktemp -d "${TMPDIR:-/tmp}/damonctl-durability-failed.XXXXXX") &&
			cp -p "$rec" "$work"/reads.log "$work"/out "$work"/err "$keep" 2> /dev/null
		echo "# the file, fakedev's log and the last output are kept in $keep"
	fi
	exit 1
}

show() {
	echo "--- exit status $rc; stdout:"
	head -c 2000 out
	echo "--- stderr:"
	cat err
	echo "---"
}

# valgrind=1: damonctl runs under valgrind (and reports to valgrind.PID.log);
# recorder_valgrind=1: the recorder does.
valgrind=0 recorder_valgrind=0
damonctl_cmd() {
	dcmd=()
	if [ "${1:-$valgrind}" = 1 ] && [ -n "${VALGRIND:-}" ]; then
		dcmd=("$VALGRIND" -q --error-exitcode=99 --leak-check=full
		      --errors-for-leak-kinds=definite,indirect
		      --show-leak-kinds=definite,indirect
		      --log-file="$work/valgrind.%p.log")
	fi
	dcmd+=("$DAMONCTL")
}

valgrind_clean() {
	local log
	for log in "$work"/valgrind.*.log; do
		grep -q '^==[0-9]*==' "$log" 2> /dev/null || continue
		cat "$log"
		fail "valgrind reported errors (see above)"
	done
}

dctl() {
	damonctl_cmd
	"${dcmd[@]}" "$@" > out 2> err
	rc=$?
	valgrind_clean
}

expect_rc() {
	[ "$rc" -eq "$1" ] || { show; fail "exit status $rc, expected $1"; }
}

# expect_stderr LINE...: stderr is exactly these lines.
expect_stderr() {
	if [ $# -eq 0 ]; then
		: > want
	else
		printf '%s\n' "$@" > want
	fi
	diff -u want err > diff.out || { show; cat diff.out; fail "unexpected stderr"; }
}

# The recorder's environment: fakedev, its log, and the knobs in $knobs.
knobs=()
# record [ARG...]: starts "damonctl start --pid $target -o $rec ARG..." as
# a background job; $recorder is its pid (valgrind runs damonctl in the
# same process).
record() {
	rm -f "$rec" reads.log
	damonctl_cmd "$recorder_valgrind"
	env DAMON_DEVICE="$work/fake-damon" FAKEDEV_PATH="$work/fake-damon" \
		LD_PRELOAD="$FAKEDEV" FAKEDEV_LOG="$work/reads.log" \
		FAKEDEV_SLOW_FILE="$rec" "${knobs[@]}" \
		"${dcmd[@]}" start --pid "$target" -o "$rec" "$@" \
		< /dev/null > rec.out 2> rec.err &
	recorder=$!
}

# wait_for COMMAND: until it succeeds, for at most 60 s.
wait_for() {
	local i
	for ((i = 0; i < 1200; i++)); do
		eval "$1" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $1"
}

# scan: reccheck's view of $rec into $state $n $tail $tail_at $tail_type
# $end $lower $upper $last.
scan() {
	local line
	line=$("$RECCHECK" "$rec" --log reads.log 2> scan.err) ||
		{ cat scan.err; fail "reccheck: the file is not what the recorder should leave"; }
	# shellcheck disable=SC2034 # lower: reccheck checks it (--log)
	read -r state n tail tail_at tail_type end lower upper last <<< "$line"
	scanned=$line
}

# stop_at CONDITION: freezes the recorder (SIGSTOP: a write() in progress
# completes first) whenever CONDITION holds of the file (a shell
# expression over scan's variables), else lets it go on for a moment;
# returns with the recorder stopped where CONDITION holds.
stop_at() {
	local i
	for ((i = 0; i < 3000; i++)); do
		kill -STOP "$recorder" 2> /dev/null || fail "the recorder is gone (waiting for: $1)"
		scan
		eval "$1" && return 0
		kill -CONT "$recorder"
		sleep 0.02
	done
	fail "the recorder never got to: $1 (last: $scanned)"
}

# alive PID: the process runs (a zombie does not count).
alive() {
	local state
	state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2> /dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# kill9: SIGKILL for the recorder, and wait for it to go (a background
# recorder is not this shell's child: wait returns at once).
kill9() {
	kill -KILL "$recorder" 2> /dev/null
	wait "$recorder" 2> /dev/null
	[ $? != 127 ] || wait_for "! alive $recorder"
	valgrind_clean
}

# Snapshot types, as reccheck prints the type of a cut record.
T_SNAPSHOT=1 T_END=$((0xDA01)) T_MAPS=$((0xDA02))
passes=10	# fakedev: nr_passes = aggr / sample

# check_file: what report says of $rec, now that its recorder is gone.
# Sets $kind to what the kill left, for the statistics.
check_file() {
	local warning want i f=$rec vg=$valgrind
	scan
	context="file: $scanned (state snapshots tail_bytes tail_offset tail_type end lower upper last)"
	case $state in
	nofile)
		kind=nofile
		dctl report "$f"
		expect_rc 1
		expect_stderr "damonctl: cannot open $f: No such file or directory"
		;;
	empty | header-torn)
		kind=$state
		if [ "$state" = empty ]; then
			want="damonctl: $f: the file is empty, so not a damonctl record (was the recorder killed before it started?)"
		else
			want="damonctl: $f: the record header is incomplete (was the recorder killed while starting?)"
		fi
		for form in "" "--json" "-f jsonl"; do
			# shellcheck disable=SC2086
			dctl report $form "$f"
			expect_rc 3
			expect_stderr "$want"
			[ ! -s out ] || { show; fail "report $form printed something"; }
			# They read the header alike: one under valgrind is enough.
			valgrind=0
		done
		valgrind=$vg
		;;
	records)
		if [ "$tail" -gt 0 ]; then
			warning=("damonctl: warning: $f ends inside a record (the last $tail bytes, from byte $tail_at): its recorder was killed while writing (or is still running); the $n whole snapshots before it are used")
			case $tail_type in
			"$T_SNAPSHOT") kind=torn-snapshot ;;
			"$T_MAPS") kind=torn-maps ;;
			"$T_END") kind=torn-end ;;
			*) kind=torn-frame ;;	# not even the record's size
			esac
		elif [ "$end" = 0 ]; then
			warning=("damonctl: warning: $f has no end record: the recording did not finish (its recorder was killed, or is still running); the $n snapshots in it are used")
			kind=between-records
		else
			warning=()
			kind=finished
		fi
		[ "$n" -gt 0 ] || kind="$kind-no-snapshot"

		# Every record, for scripts: exactly the whole snapshots, with
		# fakedev's content.
		dctl report -f jsonl "$f"
		expect_rc 0
		expect_stderr "${warning[@]}"
		"$RECCHECK" "$f" --jsonl out > /dev/null 2> scan.err ||
			{ cat scan.err; fail "report -f jsonl does not list the snapshots of the file"; }

		# The table: the latest whole snapshot's regions.
		dctl report -o SEQ,NR_ACCESSES,AGE_INTERVALS --raw --noheadings "$f"
		if [ "$n" -eq 0 ]; then
			expect_rc 1
			expect_stderr "${warning[@]}" "damonctl: $f holds no snapshot: the recording ended before its first aggregation interval did"
		else
			expect_rc 0
			expect_stderr "${warning[@]}"
			# reccheck made sure the last whole one is #(n - 1).
			: > want
			for i in 0 1 2; do
				echo "$last $(((last + i) % (passes + 1))) $last" >> want
			done
			diff -u want out > diff.out ||
				{ cat diff.out; fail "the table does not show snapshot #$last"; }
		fi

		# The same snapshot as JSON (the same reading: no valgrind).
		valgrind=0
		dctl report --json -o SEQ "$f"
		valgrind=$vg
		if [ "$n" -eq 0 ]; then
			expect_rc 1
		else
			expect_rc 0
			[ "$(grep -c "\"seq\": $last\$" out)" -eq 3 ] ||
				{ show; fail "report --json does not show snapshot #$last"; }
		fi
		;;
	*)
		fail "reccheck said '$scanned'"
		;;
	esac
	context=
}

# ---- stages ----

fast=(--sample 1ms --aggr 10ms)
# No snapshot for 2 s: time to look at the file before the first.
slow_start=(--sample 1ms --aggr 2s)

stage() {
	echo "# stage: $*"
	run="stage: $*"
}

# expect_kind KIND: what the last kill left.
expect_kind() {
	[ "$kind" = "$1" ] || fail "expected the kill to leave $1, it left $kind ($scanned)"
}

test_stages() {
	# Every report under valgrind; the recorder in the stages where it
	# loops over short writes or exits by itself (valgrind slows it
	# down, and a killed process leaves no leak report anyway).
	valgrind=1
	rec=$work/stage.rec

	stage "file created, nothing written yet"
	recorder_valgrind=0
	knobs=(FAKEDEV_WRITE_DELAY_US=3000000)
	record "${fast[@]}"
	wait_for "test -e '$rec'"
	stop_at '[ "$state" = empty ]'
	kill9
	check_file
	expect_kind empty

	stage "inside the header"
	recorder_valgrind=0
	knobs=(FAKEDEV_WRITE_DELAY_US=100000 FAKEDEV_WRITE_CHUNK=8)
	record "${fast[@]}"
	stop_at '[ "$state" = header-torn ]'
	kill9
	check_file
	expect_kind header-torn

	stage "header (and maybe maps) whole, no snapshot yet"
	recorder_valgrind=0
	knobs=(FAKEDEV_WRITE_DELAY_US=0 FAKEDEV_WRITE_CHUNK=1000000)
	record "${slow_start[@]}"
	stop_at '[ "$state" = records ] && [ "$tail" = 0 ]'
	kill9
	check_file
	expect_kind between-records-no-snapshot

	stage "inside the maps record, before the first snapshot"
	recorder_valgrind=0
	knobs=(FAKEDEV_WRITE_DELAY_US=20000 FAKEDEV_WRITE_CHUNK=64)
	record "${slow_start[@]}"
	stop_at '[ "$tail_type" = "$T_MAPS" ]'
	kill9
	check_file
	expect_kind torn-maps-no-snapshot

	stage "inside a snapshot"
	recorder_valgrind=1
	knobs=(FAKEDEV_WRITE_DELAY_US=10000 FAKEDEV_WRITE_CHUNK=48)
	record "${fast[@]}"
	stop_at '[ "$n" -ge 2 ] && [ "$tail_type" = "$T_SNAPSHOT" ]'
	kill9
	check_file
	expect_kind torn-snapshot

	stage "between snapshots"
	recorder_valgrind=0
	knobs=(FAKEDEV_WRITE_DELAY_US=0 FAKEDEV_WRITE_CHUNK=1000000)
	record "${fast[@]}"
	stop_at '[ "$n" -ge 3 ] && [ "$tail" = 0 ]'
	kill9
	check_file
	expect_kind between-records

	stage "inside the end record"
	recorder_valgrind=1
	knobs=(FAKEDEV_SLOW_AFTER_STOP=1 FAKEDEV_WRITE_DELAY_US=50000 FAKEDEV_WRITE_CHUNK=8)
	record "${fast[@]}"
	stop_at '[ "$n" -ge 3 ]'
	kill -TERM "$recorder"
	stop_at '[ "$tail_type" = "$T_END" ]'
	kill9
	check_file
	expect_kind torn-end
	# Told to stop, it had written every snapshot it read.
	[ "$n" = "$upper" ] || fail "$n snapshots of the $upper read are in the file"

	stage "after the end record"
	recorder_valgrind=1
	knobs=(FAKEDEV_WRITE_DELAY_US=0 FAKEDEV_WRITE_CHUNK=1000000)
	record "${fast[@]}"
	stop_at '[ "$n" -ge 3 ]'
	kill -TERM "$recorder"
	kill -CONT "$recorder"
	wait "$recorder"
	rc=$?
	valgrind_clean
	[ "$rc" = 0 ] || { cat rec.err; fail "the recorder stopped by SIGTERM exited with $rc"; }
	check_file
	expect_kind finished

	stage "background recorder, inside a snapshot; then stop"
	recorder_valgrind=0
	knobs=(FAKEDEV_WRITE_DELAY_US=10000 FAKEDEV_WRITE_CHUNK=48)
	record --background "${fast[@]}"
	wait "$recorder"
	rc=$?
	[ "$rc" = 0 ] || { cat rec.out rec.err; fail "start --background exited with $rc"; }
	recorder=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' rec.out)
	[ -n "$recorder" ] || { cat rec.out rec.err; fail "no recording id"; }
	helpers+=("$recorder")
	stop_at '[ "$n" -ge 2 ] && [ "$tail_type" = "$T_SNAPSHOT" ]'
	kill9
	check_file
	expect_kind torn-snapshot
	dctl stop
	expect_rc 1
	expect_stderr "damonctl: background recording $recorder (pid $target) had died without finishing (was its recorder killed?): $(realpath "$rec") keeps its $n whole snapshots ('damonctl report $(realpath "$rec")'); its state file is removed"

	stage "background recorder killed while starting"
	recorder_valgrind=1
	knobs=(FAKEDEV_WRITE_DELAY_US=3000000)
	record --background "${fast[@]}"
	local parent=$recorder
	wait_for "children_of $parent > children && test -s children"
	recorder=$(cat children)
	helpers+=("$recorder")
	stop_at '[ "$state" = empty ]'
	kill9
	wait "$parent"
	rc=$?
	valgrind_clean
	[ "$rc" = 1 ] || { cat rec.out rec.err; fail "start --background exited with $rc, expected 1"; }
	diff -u - rec.err <<< "damonctl: the background recorder died while starting" ||
		fail "unexpected stderr from start --background"
	check_file
	expect_kind empty
	! ls run/damonctl/*.state > /dev/null 2>&1 || fail "a state file was left"
	echo "PASS"
}

# children_of PID: its child processes' pids.
children_of() {
	local f
	if [ -r "/proc/$1/task/$1/children" ]; then
		tr ' ' '\n' < "/proc/$1/task/$1/children" | sed '/^$/d'
		return
	fi
	for f in /proc/[0-9]*/stat; do
		awk -v p="$1" '$4 == p { print $1 }' "$f" 2> /dev/null
	done
}

# ---- random ----

# sleep_ms MS
sleep_ms() {
	local s
	[ "$1" -gt 0 ] || return 0
	printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	sleep "$s"
}

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

test_random() {
	local seed=${DURABILITY_SEED:-$(($(date +%s%N) % 1000000000))}
	local iterations=${DURABILITY_ITERATIONS:-200} budget_ms=35000
	local chunks=(8 64 512 1000000) delays=(0 100 300 1000) batches=(1 4 64)
	local i mode kill_ms term_ms start elapsed k valgrind_runs=0
	declare -A seen

	echo "# seed $seed: replay with DURABILITY_SEED=$seed"
	RANDOM=$seed
	rec=$work/random.rec
	start=$(now_ms)
	for ((i = 1; i <= iterations; i++)); do
		elapsed=$(($(now_ms) - start))
		if [ "$elapsed" -gt "$budget_ms" ]; then
			echo "# time budget of $((budget_ms / 1000)) s used up: stopping after $((i - 1)) kills"
			break
		fi
		# Every choice comes from $RANDOM, in the same order, so that the
		# seed replays them all.
		knobs=("FAKEDEV_SEED=$RANDOM"
		       "FAKEDEV_WRITE_CHUNK=${chunks[RANDOM % ${#chunks[@]}]}"
		       "FAKEDEV_WRITE_DELAY_US=${delays[RANDOM % ${#delays[@]}]}"
		       "FAKEDEV_BATCH=${batches[RANDOM % ${#batches[@]}]}")
		mode=$((RANDOM % 20))
		term_ms=-1
		if [ "$mode" -lt 3 ]; then	# while it starts
			kill_ms=$((RANDOM % 30))
		elif [ "$mode" -lt 16 ]; then	# while it records
			kill_ms=$((RANDOM % 150))
		else			# while it finishes, after SIGTERM
			term_ms=$((20 + RANDOM % 100))
			kill_ms=$((RANDOM % 50))
		fi
		run="seed $seed, kill $i: SIGTERM after $term_ms ms (-1: none), SIGKILL $kill_ms ms later; ${knobs[*]}"

		record "${fast[@]}"
		if [ "$term_ms" -ge 0 ]; then
			sleep_ms "$term_ms"
			kill -TERM "$recorder" 2> /dev/null
		fi
		sleep_ms "$kill_ms"
		kill9
		# Without valgrind: under it the recorder would be too slow for
		# the delays to mean anything, and 200 kills would take many
		# minutes.  The stages test reads every kind of file under
		# valgrind; here the reports of the first file cut inside a
		# snapshot and of the first cut between records are read again
		# under it.
		valgrind=0
		check_file
		if [ -z "${seen[$kind]:-}" ] && [ -n "${VALGRIND:-}" ] &&
		   [[ $kind = torn-snapshot || $kind = between-records ]]; then
			valgrind=1
			valgrind_runs=$((valgrind_runs + 1))
			check_file
			valgrind=0
		fi
		seen[$kind]=$((${seen[$kind]:-0} + 1))
		[ -z "${DURABILITY_VERBOSE:-}" ] || echo "# $run: $kind ($scanned)"
	done
	i=$((i - 1))
	elapsed=$(($(now_ms) - start))
	printf '# %d kills in %d.%d s (%d of the files read under valgrind too):\n' \
		"$i" $((elapsed / 1000)) $((elapsed % 1000 / 100)) "$valgrind_runs"
	for k in "${!seen[@]}"; do
		echo "#   $k ${seen[$k]}"
	done | sort
	# Unless the run was cut very short, the kills must have hit inside
	# snapshots and between them; the stages test makes sure of the rest.
	if [ "$i" -ge 50 ]; then
		run="seed $seed"
		[ -n "${seen[torn-snapshot]:-}" ] || fail "no kill landed inside a snapshot"
		[ -n "${seen[between-records]:-}" ] || fail "no kill landed between records"
	fi
	echo "PASS"
}

case $name in
stages | random)
	setup
	"test_$name"
	;;
*)
	echo "durability-test.sh: no test named '$name'"
	exit 99
	;;
esac
