// SPDX-License-Identifier: GPL-2.0
/*
 * What monitoring cost, from the figures every snapshot carries, for the
 * summary of start and stop, the report header and start's warnings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cost.h"
#include "msg.h"
#include "snapshot.h"
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
	c->upper_used += !!(s->flags & DAMON_SNAPSHOT_UPPER_BITS);
	c->upper_mglru += !!(s->flags & DAMON_SNAPSHOT_UPPER_MGLRU);
	if (c->snapshots == 1 || s->sample_us < c->sample_min_us)
		c->sample_min_us = s->sample_us;
	if (s->sample_us > c->sample_max_us)
		c->sample_max_us = s->sample_us;
	if (c->snapshots == 1 || s->aggr_us < c->aggr_min_us)
		c->aggr_min_us = s->aggr_us;
	if (s->aggr_us > c->aggr_max_us)
		c->aggr_max_us = s->aggr_us;
	c->sample_last_us = s->sample_us;
	c->aggr_last_us = s->aggr_us;
}

static void one_interval(FILE *f, const char *what, uint64_t min,
			 uint64_t max, uint64_t last)
{
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ];

	if (min == max)
		fprintf(f, "%s every %s", what, format_duration_us(a, min));
	else
		fprintf(f, "%s every %s to %s (last %s)", what,
			format_duration_us(a, min), format_duration_us(b, max),
			format_duration_us(c, last));
}

const char *format_intervals(char *buf, size_t len, const struct mon_cost *c)
{
	FILE *f = fmemopen(buf, len, "w");

	if (!f) {
		snprintf(buf, len, "?");
		return buf;
	}
	one_interval(f, "sampling", c->sample_min_us, c->sample_max_us,
		     c->sample_last_us);
	one_interval(f, ", aggregating", c->aggr_min_us, c->aggr_max_us,
		     c->aggr_last_us);
	fclose(f);
	buf[len - 1] = '\0';	/* fmemopen() adds none to a full buffer */
	return buf;
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

/*
 * Whether the module searched idle regions with upper-level Accessed bits:
 * said only where it did, or where MGLRU kept it from doing so, so that
 * older modules' records read as before.
 */
static const char *format_upper(char *buf, size_t len,
				const struct mon_cost *c)
{
	buf[0] = '\0';
	if (c->upper_mglru)
		snprintf(buf, len, "; upper-level Accessed bits left to MGLRU "
			 "in %" PRIu64 " of %" PRIu64 " snapshots",
			 c->upper_mglru, c->snapshots);
	else if (c->upper_used && c->upper_used == c->snapshots)
		snprintf(buf, len, "; upper-level Accessed bits used");
	else if (c->upper_used)
		snprintf(buf, len, "; upper-level Accessed bits used in %"
			 PRIu64 " of %" PRIu64 " snapshots", c->upper_used,
			 c->snapshots);
	return buf;
}

const char *format_cost(char *buf, size_t len, const struct mon_cost *c)
{
	char cpu[UNITS_BUFSZ], samples[UNITS_BUFSZ], intervals[160];
	char upper[96];

	snprintf(buf, len, "kdamond %s%% of a CPU, %s%% of samples taken "
		 "(%" PRIu64 " of %" PRIu64 "), %" PRIu64 " snapshot%s dropped, "
		 "%" PRIu64 " TLB flush%s; %s%s",
		 format_percent(cpu, cost_cpu_percent(c)),
		 format_percent(samples, cost_samples_percent(c)),
		 c->samples_done, c->samples_due, c->dropped,
		 c->dropped == 1 ? "" : "s", c->tlb_flushes,
		 c->tlb_flushes == 1 ? "" : "es",
		 format_intervals(intervals, sizeof(intervals), c),
		 format_upper(upper, sizeof(upper), c));
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

int rec_read_outcome(const char *path, struct rec_outcome *oc)
{
	struct rec_reader r;
	const void *rec;
	struct stat st;
	size_t len;
	int ret;

	memset(oc, 0, sizeof(*oc));
	ret = rec_open(&r, path);
	if (!ret) {
		while ((ret = rec_next(&r, &rec, &len)) > 0) {
			struct rec_frame frame;
			const char *why;
			struct snap s;

			/* snap_parse() fills in what an older header lacks. */
			rec_frame_get(rec, &frame);
			if (frame.type == DAMON_RECORD_SNAPSHOT &&
			    !snap_parse(&s, rec, len, &why))
				cost_add(&oc->cost, &s.hdr);
		}
		oc->finished = r.have_end;
		oc->end = r.end;
		oc->snapshots = r.snapshots;
		oc->start_monotonic_ns = r.info.time.monotonic_ns;
		if (!fstat(fileno(r.f), &st))
			oc->bytes = (uint64_t)st.st_size;
		ret = ret < 0 ? EXIT_FAIL : 0;
	}
	rec_close(&r);
	return ret;
}
