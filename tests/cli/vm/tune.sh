#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --tune asks the module to auto-tune its intervals: from 1 ms sampling on
# a process that touches only a small part of its memory, the module
# lengthens the intervals towards 4% of samples accessed, and the report
# shows the intervals that were in force, from first to last.  top shows
# the ones in force now.
. "$(dirname "$0")/lib.sh"

workload 64
dctl start --pid "$target" --duration 4s --sample 1ms --aggr 20ms --tune \
	--no-tlb-flush -o t.rec
expect_rc 0
cat err
expect_report t.rec "$target"
dctl report -f jsonl t.rec
head -n 1 out | grep -qF '"tune_goal_bp":400' || fail "--tune did not ask for 4%"
# Every snapshot says which intervals it was made with.
samples=$(grep -o '"sample_us":[0-9]*' out | sort -u | wc -l)
log "$samples distinct sampling intervals in the snapshots"
[ "$samples" -ge 2 ] || fail "auto-tuning never changed the sampling interval"
dctl report t.rec
expect_rc 0
head -n 1 out
head -n 1 out | grep -qE "; sampling every 1 ms to [0-9.]+ (us|ms|s) \(last [0-9.]+ (us|ms|s)\), aggregating every 20 ms to " ||
	fail "the report does not show the range of tuned intervals"
echo "PASS"
