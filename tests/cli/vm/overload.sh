#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A session asked for far more than one CPU can do (1,000 regions sampled
# every 100 us: ten million checks a second) falls behind, and start says
# so while it records, once, naming the options to change; the summary
# shows the share of samples taken.  Then an ordinary session: no warning.
. "$(dirname "$0")/lib.sh"

workload 64
dctl start --pid "$target" --duration 2s --sample 100us --aggr 10ms \
	--min-regions 1000 --max-regions 1000 --no-tlb-flush -o o.rec
expect_rc 0
cat err
[ "$(grep -c 'warning: the monitor is falling behind' err)" = 1 ] ||
	fail "expected one falling-behind warning"
grep -qE "^damonctl: warning: the monitor is falling behind: it took [0-9.]+% of the samples due over the last [0-9]+ aggregations; sample less often \(--sample, now 100 us\) or allow fewer regions \(--max-regions, now 1000\)$" err ||
	fail "the warning does not name the options"
grep -qE "^damonctl: monitoring cost: kdamond [0-9.]+% of a CPU, [0-9.]+% of samples taken \([0-9]+ of [0-9]+\), [0-9]+ snapshots? dropped, 0 TLB flushes; sampling every 100 us, aggregating every 10 ms$upper\$" err ||
	fail "no cost line"
expect_report o.rec "$target"

# The module's default intervals; on the debug kernel (KASAN: each check
# about 20 times dearer) four times longer, since there 5 ms right after
# the overload once took only 44% of its samples.
ordinary=(--duration 1s --sample 5ms --aggr 100ms)
case $(uname -r) in
*-damondev-debug) ordinary=(--duration 2s --sample 20ms --aggr 400ms) ;;
esac
dctl start --pid "$target" "${ordinary[@]}" --no-tlb-flush -o ok.rec
expect_rc 0
cat err
grep -q warning err && fail "a warning for a session that keeps up"
echo "PASS"
