#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --tune asks the module to auto-tune its intervals: starting from --sample
# and --aggr, the module scales them (keeping their ratio) towards 4% of
# samples finding memory accessed, in whichever direction the process
# needs (seen: down to the module's least interval for a process that
# writes 8 MiB without pause, when allowed), and the report shows the
# range of intervals that were in force and the last one; without
# --tune-min-sample they stay at damo's floor, 5 ms, or above.
. "$(dirname "$0")/lib.sh"

workload 64
# The module's least interval as the floor, so that it may go down too.
dctl start --pid "$target" --duration 4s --sample 1ms --aggr 20ms --tune \
	--tune-min-sample 100us --no-tlb-flush -o t.rec
expect_rc 0
cat err
expect_report t.rec "$target"
dctl report -f jsonl t.rec
head -n 1 out | grep -qF '"tune_goal_bp":400' || fail "--tune did not ask for 4%"
# Every snapshot says which intervals it was made with; the first ones
# are the intervals asked for.
grep -m 1 '^{"snapshot"' out | grep -qF '"sample_us":1000,"aggr_us":20000' ||
	fail "the first snapshot was not made at --sample 1ms --aggr 20ms"
samples=$(grep -o '"sample_us":[0-9]*' out | sort -u | wc -l)
log "$samples distinct sampling intervals in the snapshots"
[ "$samples" -ge 2 ] || fail "auto-tuning never changed the sampling interval"
dctl report t.rec
expect_rc 0
head -n 1 out
t='[0-9.]+ (us|ms|s)'
head -n 1 out | grep -qE "; sampling every $t to $t \(last $t\), aggregating every $t to $t \(last $t\)$upper\$" ||
	fail "the report does not show the range of tuned intervals"
# Without --tune-min-sample, damo's floor: the same writer keeps the
# intervals at 5 ms and above rather than driving them to 100 us.
dctl start --pid "$target" --duration 3s --sample 5ms --aggr 100ms --tune \
	--no-tlb-flush -o floor.rec
expect_rc 0
dctl report -f jsonl floor.rec
head -n 1 out | grep -qF '"tune_min_sample_us":5000' ||
	fail "--tune without --tune-min-sample did not ask for a 5 ms floor"
least=$(grep -o '"sample_us":[0-9]*' out | cut -d: -f2 | sort -n | head -n 1)
log "with the default floor the least sampling interval was $least us"
[ "$least" -ge 5000 ] || fail "tuning went below the 5 ms floor ($least us)"
echo "PASS"
