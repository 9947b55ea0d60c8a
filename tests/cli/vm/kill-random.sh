#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Record-file durability with the real module: recorders killed with
# SIGKILL after random delays (from before the file exists to well into
# the recording) leave a file that report reads up to its last whole
# snapshot, or, killed before the header was whole, one it refuses with a
# clear sentence.  tests/cli/durability-test.sh does this by the hundred
# against fakedev.so on the host; this is the real read() and write()
# sizes.  reccheck --any walks each file without damonctl's reader.
#
# The seed (DURABILITY_SEED, else from the clock) is logged for replays.
. "$(dirname "$0")/lib.sh"
RECCHECK=${4:?usage: $0 DAMONCTL MEMTOUCH DEMO_WORKLOAD RECCHECK}

seed=${DURABILITY_SEED:-$(($(date +%s) % 100000))}
log "seed $seed: replay with DURABILITY_SEED=$seed"
RANDOM=$seed
kills=${DURABILITY_ITERATIONS:-12}

workload 64
rec=$work/k.rec
declare -A seen
for ((i = 1; i <= kills; i++)); do
	rm -f "$rec"
	# Half of the kills in the first 200 ms, when damonctl creates the
	# file and writes its header (some 30 to 250 ms after the exec under
	# QEMU's emulation, which varies a lot); the others anywhere in the
	# first 2 s of 50 ms snapshots.
	if ((RANDOM % 2)); then
		delay=$((RANDOM % 200))
	else
		delay=$((RANDOM % 2000))
	fi
	"$DAMONCTL" start --pid "$target" -o "$rec" --aggr 50ms \
		< /dev/null > /dev/null 2>&1 &
	recorder=$!
	sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
	kill -KILL "$recorder"
	wait "$recorder" 2> /dev/null
	line=$("$RECCHECK" "$rec" --any) || fail "kill $i after $delay ms: reccheck failed (seed $seed)"
	read -r state n tail tail_at _ _ _ _ last <<< "$line"
	log "kill $i after $delay ms: $line"
	case $state in
	nofile)
		dctl report "$rec"
		expect_rc 1
		;;
	empty | header-torn)
		dctl report "$rec"
		expect_rc 3
		[ "$(wc -l < err)" = 1 ] && grep -qE "^damonctl: $rec: the (file is empty|record header is incomplete)" err ||
			{ show; fail "no clear sentence about the unreadable file (seed $seed)"; }
		;;
	records)
		if [ "$tail" -gt 0 ]; then
			warning="damonctl: warning: $rec ends inside a record (the last $tail bytes, from byte $tail_at): its recorder was killed while writing (or is still running); the $n whole snapshots before it are used"
		else
			warning="damonctl: warning: $rec has no end record: the recording did not finish (its recorder was killed, or is still running); the $n snapshots in it are used"
		fi
		dctl report -f jsonl "$rec"
		expect_rc 0
		[ "$(head -n 1 err)" = "$warning" ] && [ "$(wc -l < err)" = 1 ] ||
			{ show; echo "expected: $warning"; fail "unexpected stderr (seed $seed)"; }
		"$RECCHECK" "$rec" --any --jsonl out > /dev/null ||
			fail "report -f jsonl does not list the file's whole snapshots (seed $seed)"
		dctl report -o SEQ --raw --noheadings "$rec"
		if [ "$n" = 0 ]; then
			expect_rc 1
			expect_in err "holds no snapshot"
		else
			expect_rc 0
			[ "$(head -n 1 err)" = "$warning" ] || { show; fail "unexpected stderr (seed $seed)"; }
			[ -s out ] && [ "$(sort -u out)" = "$last" ] ||
				{ show; fail "the table is not of the last whole snapshot, #$last (seed $seed)"; }
		fi
		;;
	*)
		fail "reccheck said: $line"
		;;
	esac
	seen[$state]=1
done
[ -n "${seen[records]:-}" ] || fail "no kill left a file with records: all too early? (seed $seed)"
echo "PASS"
