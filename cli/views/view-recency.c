// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --view recency: how long the target's memory has been
 * idle, at the last snapshot of the window.  A region that no sample found
 * accessed has been idle for its age times the aggregation interval (the
 * age counts the intervals its access rate stayed about the same); a
 * region accessed in the snapshot is not idle.  Percentiles and the
 * histogram weigh regions by their size.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "damonctl.h"
#include "output.h"
#include "units.h"
#include "view.h"

#define MAX_BUCKETS	40

static const int percentiles[] = { 0, 25, 50, 75, 90, 100 };

struct idle {
	uint64_t us;		/* 0: accessed in the snapshot */
	uint64_t bytes;
	bool accessed;
};

static int by_idle(const void *a, const void *b)
{
	const struct idle *x = a, *y = b;

	if (x->accessed != y->accessed)
		return x->accessed ? -1 : 1;
	return x->us < y->us ? -1 : x->us > y->us;
}

enum { C_KIND, C_PERCENTILE, C_IDLE, C_FROM, C_TO, C_SIZE, C_SHARE, C_BAR };

static const struct view_col cols[] = {
	[C_KIND] = { "KIND", "kind", 0, SCOLS_JSON_STRING },
	[C_PERCENTILE] = { "PERCENTILE", "percentile", SCOLS_FL_RIGHT,
			   SCOLS_JSON_NUMBER },
	[C_IDLE] = { "IDLE", "idle_ns", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_FROM] = { "IDLE", "idle_min_ns", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_TO] = { "TO", "idle_max_ns", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_SIZE] = { "SIZE", "size", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_SHARE] = { "SHARE", "percent", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_BAR] = { "", "bar", 0, SCOLS_JSON_STRING },
};

/* In JSON one table holds every column but the bar. */
static const int json_ids[] = { C_KIND, C_PERCENTILE, C_IDLE, C_FROM,
				 C_TO, C_SIZE, C_SHARE };
#define NR_JSON_IDS (sizeof(json_ids) / sizeof(json_ids[0]))
static const int bucket_ids[3] = { C_SIZE, C_SHARE, C_BAR };

static void idle_text(const struct view_opts *o, char *buf, uint64_t us)
{
	view_time(o, buf, us * 1000);
}

/* Size-weighted: the idle time that p% of the bytes do not exceed. */
static uint64_t percentile(const struct idle *v, size_t n, uint64_t total,
			   int p)
{
	uint64_t want = (uint64_t)((double)total * p / 100.0), sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		sum += v[i].bytes;
		if (sum > want || (p < 100 && sum == want && want))
			return v[i].us;
	}
	return n ? v[n - 1].us : 0;
}

static void add_percentiles(const struct view_out *t, const struct view_opts *o,
			    const struct idle *v, size_t n, uint64_t total)
{
	char buf[UNITS_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(percentiles) / sizeof(percentiles[0]); i++) {
		struct libscols_line *ln = scols_table_new_line(t->tb, NULL);

		if (!ln)
			return;
		view_out_set(t, ln, C_KIND, "percentile");
		snprintf(buf, sizeof(buf), "%d", percentiles[i]);
		view_out_set(t, ln, C_PERCENTILE, buf);
		idle_text(o, buf, percentile(v, n, total, percentiles[i]));
		view_out_set(t, ln, C_IDLE, buf);
	}
}

/*
 * Buckets double from one aggregation interval, after one for the memory
 * accessed in the snapshot: [0, aggr) idle, [aggr, 2 aggr), [2 aggr, ...
 */
static void add_histogram(const struct view_out *t, const struct view_opts *o,
			  const struct idle *v, size_t n, uint64_t total,
			  uint64_t aggr_us)
{
	uint64_t bytes[MAX_BUCKETS + 1] = { 0 }, max = 0;
	size_t i, nb = 1, b;
	char buf[UNITS_BUFSZ];

	if (!aggr_us)
		aggr_us = 1;
	for (i = 0; i < n; i++) {
		if (v[i].accessed) {
			b = 0;
		} else {
			uint64_t q = v[i].us / aggr_us;

			for (b = 1; q && b < MAX_BUCKETS; b++)
				q >>= 1;
		}
		bytes[b] += v[i].bytes;
		if (b + 1 > nb)
			nb = b + 1;
	}
	for (b = 0; b < nb; b++)
		if (bytes[b] > max)
			max = bytes[b];
	for (b = 0; b < nb; b++) {
		struct libscols_line *ln = scols_table_new_line(t->tb, NULL);

		if (!ln)
			return;
		view_out_set(t, ln, C_KIND, b ? "idle" : "accessed");
		if (b) {
			idle_text(o, buf, b == 1 ? 0 : aggr_us << (b - 2));
			view_out_set(t, ln, C_FROM, buf);
			idle_text(o, buf, aggr_us << (b - 1));
			view_out_set(t, ln, C_TO, buf);
		} else if (!o->json) {
			view_out_set(t, ln, C_FROM, "accessed");
		}
		view_out_bucket(t, ln, o, bucket_ids, bytes[b], total, max);
	}
}

int view_recency(const struct view_data *d, const struct view_opts *o)
{
	static const int pct_ids[] = { C_PERCENTILE, C_IDLE };
	static const int hist_ids[] = { C_FROM, C_TO, C_SIZE, C_SHARE, C_BAR };
	const struct view_snap *s = &d->snaps[d->nr_snaps - 1];
	struct idle *v = calloc(s->n ? s->n : 1, sizeof(*v));
	struct view_out t = { 0 }, h = { 0 };
	char who[64], a[UNITS_BUFSZ], b[UNITS_BUFSZ];
	uint64_t total = 0;
	size_t i;
	int ret;

	if (!v || view_out_init(&t, "recency", o, cols, pct_ids, 2, json_ids,
				NR_JSON_IDS)) {
		free(v);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < s->n; i++) {
		const struct view_region *r = &d->regions[s->first + i];

		v[i].accessed = r->nr_accesses > 0;
		v[i].us = v[i].accessed ? 0 : (uint64_t)r->age * s->aggr_us;
		v[i].bytes = r->end - r->start;
		total += v[i].bytes;
	}
	qsort(v, s->n, sizeof(*v), by_idle);
	if (!o->json) {
		view_target_name(d, who, sizeof(who));
		printf("idle time of %s at %s (snapshot #%" PRIu64 "), %s "
		       "monitored, weighted by size:\n", who,
		       format_duration_ns(a, s->t_end), s->seq,
		       format_size(b, total));
	}
	add_percentiles(&t, o, v, s->n, total);
	if (o->json) {
		add_histogram(&t, o, v, s->n, total, s->aggr_us);
		ret = view_print_table(t.tb);
	} else {
		ret = view_print_table(t.tb);
		putchar('\n');
		if (!ret && !view_out_init(&h, "recency", o, cols, hist_ids,
					   5, json_ids, NR_JSON_IDS)) {
			add_histogram(&h, o, v, s->n, total, s->aggr_us);
			ret = view_print_table(h.tb);
		}
	}
	free(v);
	return ret;
}
