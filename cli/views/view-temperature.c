// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --view temperature: access rate and age in one number per
 * region, at the last snapshot of the window, as damo's temperature does:
 *
 *   accessed (nr_accesses > 0):  W_ACCESS * access% + W_AGE * age in seconds
 *   idle:                      -(W_AGE * age in seconds)
 *
 * so memory that has been hot for long is hotter than memory that just
 * became hot, and memory idle for long is colder than memory just gone
 * idle.  The weights default to 1 and 1 (--temperature-weights): one
 * percentage point of accesses weighs as much as one second of age.
 * Percentiles and the histogram weigh regions by their size.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "damonctl.h"
#include "output.h"
#include "units.h"
#include "view.h"

#define NR_BUCKETS	10

static const int percentiles[] = { 0, 25, 50, 75, 90, 100 };

struct temp {
	double t;
	uint64_t bytes;
};

static int by_temp(const void *a, const void *b)
{
	const struct temp *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

double view_temperature_of(const struct view_snap *s,
			   const struct view_region *r, double w_access,
			   double w_age)
{
	double age_s = (double)r->age * (double)s->aggr_us / 1e6;

	if (!r->nr_accesses)
		return -(w_age * age_s);
	return w_access * 100.0 * view_access(s, r) + w_age * age_s;
}

enum { C_KIND, C_PERCENTILE, C_TEMP, C_FROM, C_TO, C_SIZE, C_SHARE, C_BAR };

static const struct view_col cols[] = {
	[C_KIND] = { "KIND", "kind", 0, SCOLS_JSON_STRING },
	[C_PERCENTILE] = { "PERCENTILE", "percentile", SCOLS_FL_RIGHT,
			   SCOLS_JSON_NUMBER },
	[C_TEMP] = { "TEMPERATURE", "temperature", SCOLS_FL_RIGHT,
		     SCOLS_JSON_NUMBER },
	[C_FROM] = { "TEMPERATURE", "temperature_min", SCOLS_FL_RIGHT,
		     SCOLS_JSON_NUMBER },
	[C_TO] = { "TO", "temperature_max", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_SIZE] = { "SIZE", "size", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_SHARE] = { "SHARE", "percent", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_BAR] = { "", "bar", 0, SCOLS_JSON_STRING },
};

/* In JSON one table holds every column but the bar. */
static const int json_ids[] = { C_KIND, C_PERCENTILE, C_TEMP, C_FROM,
				 C_TO, C_SIZE, C_SHARE };
#define NR_JSON_IDS (sizeof(json_ids) / sizeof(json_ids[0]))
static const int bucket_ids[3] = { C_SIZE, C_SHARE, C_BAR };

static void temp_text(char *buf, double t)
{
	snprintf(buf, UNITS_BUFSZ, "%.3f", t == 0 ? 0 : t);	/* no -0.000 */
}

/* Size-weighted: the temperature that p% of the bytes do not exceed. */
static double percentile(const struct temp *v, size_t n, uint64_t total,
			 int p)
{
	uint64_t want = (uint64_t)((double)total * p / 100.0), sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		sum += v[i].bytes;
		if (sum > want || (p < 100 && sum == want && want))
			return v[i].t;
	}
	return n ? v[n - 1].t : 0;
}

static void add_percentiles(const struct view_out *t, const struct temp *v,
			    size_t n, uint64_t total)
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
		temp_text(buf, percentile(v, n, total, percentiles[i]));
		view_out_set(t, ln, C_TEMP, buf);
	}
}

/* NR_BUCKETS equal steps from the coldest to the hottest region. */
static void add_histogram(const struct view_out *t, const struct view_opts *o,
			  const struct temp *v, size_t n, uint64_t total)
{
	uint64_t bytes[NR_BUCKETS] = { 0 }, max = 0;
	double lo = n ? v[0].t : 0, hi = n ? v[n - 1].t : 0;
	double step = (hi - lo) / NR_BUCKETS;
	char buf[UNITS_BUFSZ];
	size_t i, b, nb = step > 0 ? NR_BUCKETS : 1;

	for (i = 0; i < n; i++) {
		b = step > 0 ? (size_t)((v[i].t - lo) / step) : 0;
		if (b >= nb)
			b = nb - 1;	/* the hottest belongs to the last */
		bytes[b] += v[i].bytes;
	}
	for (b = 0; b < nb; b++)
		if (bytes[b] > max)
			max = bytes[b];
	for (b = 0; b < nb; b++) {
		struct libscols_line *ln = scols_table_new_line(t->tb, NULL);

		if (!ln)
			return;
		view_out_set(t, ln, C_KIND, "histogram");
		temp_text(buf, lo + step * (double)b);
		view_out_set(t, ln, C_FROM, buf);
		temp_text(buf, b + 1 == nb ? hi : lo + step * (double)(b + 1));
		view_out_set(t, ln, C_TO, buf);
		view_out_bucket(t, ln, o, bucket_ids, bytes[b], total, max);
	}
}

int view_temperature(const struct view_data *d, const struct view_opts *o)
{
	static const int pct_ids[] = { C_PERCENTILE, C_TEMP };
	static const int hist_ids[] = { C_FROM, C_TO, C_SIZE, C_SHARE, C_BAR };
	const struct view_snap *s = &d->snaps[d->nr_snaps - 1];
	struct temp *v = calloc(s->n ? s->n : 1, sizeof(*v));
	struct view_out t = { 0 }, h = { 0 };
	char who[64], a[UNITS_BUFSZ], b[UNITS_BUFSZ];
	uint64_t total = 0;
	size_t i;
	int ret;

	if (!v || view_out_init(&t, "temperature", o, cols, pct_ids, 2,
				json_ids, NR_JSON_IDS)) {
		free(v);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < s->n; i++) {
		const struct view_region *r = &d->regions[s->first + i];

		v[i].t = view_temperature_of(s, r, o->w_access, o->w_age);
		v[i].bytes = r->end - r->start;
		total += v[i].bytes;
	}
	qsort(v, s->n, sizeof(*v), by_temp);
	if (!o->json) {
		view_target_name(d, who, sizeof(who));
		printf("temperature of %s at %s (snapshot #%" PRIu64 "), %s "
		       "monitored, weighted by size:\n%g x access %% + %g x age "
		       "in seconds where accessed, -%g x age in seconds where "
		       "idle\n", who, format_duration_ns(a, s->t_end), s->seq,
		       format_size(b, total), o->w_access, o->w_age, o->w_age);
	}
	add_percentiles(&t, v, s->n, total);
	if (o->json) {
		add_histogram(&t, o, v, s->n, total);
		ret = view_print_table(t.tb);
	} else {
		ret = view_print_table(t.tb);
		putchar('\n');
		if (!ret && !view_out_init(&h, "temperature", o, cols, hist_ids,
					   5, json_ids, NR_JSON_IDS)) {
			add_histogram(&h, o, v, s->n, total);
			ret = view_print_table(h.tb);
		}
	}
	free(v);
	return ret;
}
