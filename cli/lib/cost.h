/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_COST_H
#define DAMONCTL_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "damondev.h"
#include "record.h"

/*
 * What monitoring cost, summed over snapshots: every snapshot says how much
 * CPU its kernel thread used, how many samples it took of those due and how
 * many TLB flushes it made in its interval.
 */
struct mon_cost {
	uint64_t snapshots;
	uint64_t interval_ns;	/* the snapshots' intervals, added up */
	uint64_t cpu_ns;
	uint64_t samples_done, samples_due;
	uint64_t tlb_flushes;
	uint64_t dropped;
	/* Snapshots with DAMON_SNAPSHOT_UPPER_BITS, _UPPER_MGLRU. */
	uint64_t upper_used, upper_mglru;
	/* The intervals in force, which auto-tuning changes. */
	uint64_t sample_min_us, sample_max_us, sample_last_us;
	uint64_t aggr_min_us, aggr_max_us, aggr_last_us;
};

void cost_add(struct mon_cost *c, const struct damon_snapshot *s);
/* Share of a CPU and of the samples due, in percent (100 with no data). */
double cost_cpu_percent(const struct mon_cost *c);
double cost_samples_percent(const struct mon_cost *c);
/*
 * "kdamond 1.2% of a CPU, 99.8% of samples taken (12034 of 12050),
 * 0 snapshots dropped, 0 TLB flushes; sampling every 5 ms, aggregating
 * every 100 ms"
 */
const char *format_cost(char *buf, size_t len, const struct mon_cost *c);
/*
 * "sampling every 5 ms, aggregating every 100 ms", or, where they changed,
 * "sampling every 5 ms to 40 ms (last 40 ms), aggregating every ...".
 */
const char *format_intervals(char *buf, size_t len, const struct mon_cost *c);

/*
 * Watches a recording as it goes, for the warnings start prints: the
 * thread falling behind (under COST_BEHIND_PERCENT of the samples due for
 * COST_BEHIND_RUN aggregations in a row) and dropped snapshots.  Each is
 * reported once per recording.
 */
#define COST_BEHIND_PERCENT	90
#define COST_BEHIND_RUN		3

struct cost_watch {
	unsigned int behind_run;
	uint64_t behind_done, behind_due;	/* over the run */
	int warned_behind, warned_dropped;
};

/* What a record file says about how its recording went, so far. */
struct rec_outcome {
	bool finished;			/* it has an end record */
	struct damonrec_end end;	/* if finished */
	uint64_t snapshots, bytes, start_monotonic_ns;
	struct mon_cost cost;
};

/* Reads the whole file; 0, or an EXIT_* code after printing why not. */
int rec_read_outcome(const char *path, struct rec_outcome *oc);

/* cost_watch()'s alarms, bits. */
#define COST_BEHIND	1U	/* the thread took too few samples for a while */
#define COST_DROPPED	2U	/* snapshots were dropped before this one */

/* The alarms this snapshot raises for the first time (0 if none). */
unsigned int cost_watch(struct cost_watch *w, const struct damon_snapshot *s);

#endif
