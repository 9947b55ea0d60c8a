// SPDX-License-Identifier: GPL-2.0
/*
 * What monitoring cost, from the figures every snapshot carries, for the
 * summary of start and stop, the report header and start's warnings.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cost.h"
#include "units.h"

void cost_add(struct mon_cost *c, const struct damon_snapshot *s)
{
	c->snapshots++;
	if (s->end_ns > s->start_ns)
		c->interval_ns += s->end_ns - s->start_ns;
	c->cpu_ns += s->cpu_ns;
	c->samples_done += s->samples_done;
	c->samples_due += s->samples_due;
	c->tlb_flushes += s->tlb_flushes;
	c->dropped += s->dropped;
}

double cost_cpu_percent(const struct mon_cost *c)
{
	return c->interval_ns ? 100.0 * (double)c->cpu_ns /
		(double)c->interval_ns : 0;
}

double cost_samples_percent(const struct mon_cost *c)
{
	return c->samples_due ? 100.0 * (double)c->samples_done /
		(double)c->samples_due : 100;
}

const char *format_cost(char *buf, size_t len, const struct mon_cost *c)
{
	char cpu[UNITS_BUFSZ], samples[UNITS_BUFSZ];

	snprintf(buf, len, "kdamond %s%% of a CPU, %s%% of samples taken "
		 "(%" PRIu64 " of %" PRIu64 "), %" PRIu64 " snapshot%s dropped, "
		 "%" PRIu64 " TLB flush%s",
		 format_percent(cpu, cost_cpu_percent(c)),
		 format_percent(samples, cost_samples_percent(c)),
		 c->samples_done, c->samples_due, c->dropped,
		 c->dropped == 1 ? "" : "s", c->tlb_flushes,
		 c->tlb_flushes == 1 ? "" : "es");
	return buf;
}

unsigned int cost_watch(struct cost_watch *w, const struct damon_snapshot *s)
{
	unsigned int alarms = 0;

	if (s->dropped && !w->warned_dropped) {
		w->warned_dropped = 1;
		alarms |= COST_DROPPED;
	}
	/* A snapshot with nothing due (no regions yet) neither breaks
	 * nor extends a run. */
	if (!s->samples_due)
		return alarms;
	if (s->samples_done * 100 >= s->samples_due * COST_BEHIND_PERCENT) {
		w->behind_run = 0;
		w->behind_done = w->behind_due = 0;
		return alarms;
	}
	w->behind_run++;
	w->behind_done += s->samples_done;
	w->behind_due += s->samples_due;
	if (w->behind_run >= COST_BEHIND_RUN && !w->warned_behind) {
		w->warned_behind = 1;
		alarms |= COST_BEHIND;
	}
	return alarms;
}
