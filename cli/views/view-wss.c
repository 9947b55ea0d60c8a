// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --view wss: the working set size, that is the bytes of
 * the regions accessed in more than --min-access of the samples, as
 * percentiles over the snapshots of the window (what damo's "report wss"
 * shows with --exclude_samples 0 --per_target: damonctl(8) says why not by
 * default), as a time series, or as an SVG line chart.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols.h>

#include "damonctl.h"
#include "output.h"
#include "svg.h"
#include "units.h"
#include "view.h"

static const int percentiles[] = { 0, 25, 50, 75, 100 };

static uint64_t snap_wss(const struct view_data *d, const struct view_snap *s,
			 double min_access)
{
	uint64_t wss = 0;
	size_t j;

	for (j = 0; j < s->n; j++) {
		const struct view_region *r = &d->regions[s->first + j];

		if (100 * view_access(s, r) > min_access)
			wss += r->end - r->start;
	}
	return wss;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * As damo picks it (_damo_dist.get_percentile): the value at index
 * floor(p * n / 100) of the sorted values, the last for p = 100.
 */
static uint64_t percentile(const uint64_t *sorted, size_t n, int p)
{
	size_t i = (size_t)p * n / 100;

	return sorted[i < n ? i : n - 1];
}

static int print_summary(const struct view_data *d, const struct view_opts *o,
			 const uint64_t *wss)
{
	static const struct view_col cols[] = {
		{ "PERCENTILE", "percentile", SCOLS_FL_RIGHT, SCOLS_JSON_STRING },
		{ "WSS", "wss", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	};
	struct libscols_table *tb = view_table("wss", o, cols, 2);
	uint64_t *sorted = malloc(d->nr_snaps * sizeof(*sorted));
	char buf[UNITS_BUFSZ];
	double sum = 0;
	size_t i;

	if (!tb || !sorted) {
		free(sorted);
		scols_unref_table(tb);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	memcpy(sorted, wss, d->nr_snaps * sizeof(*sorted));
	qsort(sorted, d->nr_snaps, sizeof(*sorted), cmp_u64);
	for (i = 0; i < d->nr_snaps; i++)
		sum += (double)wss[i];
	for (i = 0; i <= sizeof(percentiles) / sizeof(percentiles[0]); i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		uint64_t v;

		if (!ln)
			break;
		if (i < sizeof(percentiles) / sizeof(percentiles[0])) {
			out_cell(ln, 0, "%d", percentiles[i]);
			v = percentile(sorted, d->nr_snaps, percentiles[i]);
		} else {
			scols_line_set_data(ln, 0, "average");
			v = (uint64_t)llround(sum / (double)d->nr_snaps);
		}
		scols_line_set_data(ln, 1, view_size(o, buf, v));
	}
	free(sorted);
	return view_print_table(tb);
}

static int print_series(const struct view_data *d, const struct view_opts *o,
			const uint64_t *wss)
{
	static const struct view_col cols[] = {
		{ "SEQ", "seq", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
		{ "TIME", "time_ns", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
		{ "WSS", "wss", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	};
	struct libscols_table *tb = view_table("wss", o, cols, 3);
	char buf[UNITS_BUFSZ];
	size_t i;

	for (i = 0; tb && i < d->nr_snaps; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln)
			break;
		out_cell(ln, 0, "%" PRIu64, d->snaps[i].seq);
		scols_line_set_data(ln, 1, view_time(o, buf, d->snaps[i].t_end));
		scols_line_set_data(ln, 2, view_size(o, buf, wss[i]));
	}
	return view_print_table(tb);
}

/* ---- SVG ---- */

#define W	900
#define H	480
#define LEFT	90
#define RIGHT	30
#define TOP	50
#define BOTTOM	60

static int print_svg(const struct view_data *d, const struct view_opts *o,
		     const uint64_t *wss)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM, ticks[12];
	double t0 = d->snaps[0].t_start / 1e9;
	double t1 = d->snaps[d->nr_snaps - 1].t_end / 1e9;
	double max = 0, scale = 1, sum = 0, ymax, avg;
	char who[64], title[192], pct[UNITS_BUFSZ];
	size_t i, nt;
	int u = 0;
	FILE *f;

	for (i = 0; i < d->nr_snaps; i++) {
		if ((double)wss[i] > max)
			max = (double)wss[i];
		sum += (double)wss[i];
	}
	avg = sum / (double)d->nr_snaps;
	while (u < 4 && max / scale >= 1024) {
		scale *= 1024;
		u++;
	}
	nt = svg_ticks(0, max / scale > 0 ? max / scale * 1.15 : 1, 6, ticks);
	ymax = ticks[nt - 1] < max / scale ? max / scale : ticks[nt - 1];
	if (ymax <= 0)
		ymax = 1;
	if (t1 <= t0)
		t1 = t0 + 1e-3;
	view_target_name(d, who, sizeof(who));
	snprintf(title, sizeof(title), "Working set size of %s (regions "
		 "accessed in more than %s%% of samples)", who,
		 format_percent(pct, o->min_access));
	f = svg_open(o->svg, W, H, title);
	if (!f)
		return EXIT_FAIL;
	svg_text(f, W / 2.0, 28, "middle", 16, 0, "%s", title);
	for (i = 0; i < nt; i++) {
		double y = TOP + ph - ticks[i] / ymax * ph;

		fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" "
			"stroke=\"#dddddd\"/>\n", LEFT, y, LEFT + pw, y);
		svg_text(f, LEFT - 8, y + 4, "end", 11, 0, "%g %s", ticks[i],
			 units[u]);
	}
	nt = svg_ticks(t0, t1, 8, ticks);
	for (i = 0; i < nt; i++) {
		double x = LEFT + (ticks[i] - t0) / (t1 - t0) * pw;

		fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
			"stroke=\"black\"/>\n", x, TOP + ph, x, TOP + ph + 6);
		svg_text(f, x, TOP + ph + 20, "middle", 11, 0, "%g s", ticks[i]);
	}
	svg_text(f, LEFT + pw / 2, H - 12, "middle", 13, 0,
		 "time since the recording started (s)");
	svg_text(f, 18, TOP + ph / 2, "middle", 13, -90, "working set size (%s)",
		 units[u]);
	fputs("<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" "
	      "points=\"", f);
	for (i = 0; i < d->nr_snaps; i++)
		fprintf(f, "%s%.2f,%.2f", i ? " " : "",
			LEFT + (d->snaps[i].t_end / 1e9 - t0) / (t1 - t0) * pw,
			TOP + ph - (double)wss[i] / scale / ymax * ph);
	fputs("\"/>\n", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" "
		"stroke=\"#2c3e50\" stroke-dasharray=\"6 4\"/>\n", LEFT,
		TOP + ph - avg / scale / ymax * ph, LEFT + pw,
		TOP + ph - avg / scale / ymax * ph);
	svg_text(f, LEFT + pw - 4, TOP + ph - avg / scale / ymax * ph - 5, "end",
		 11, 0, "average");
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" "
		"fill=\"none\" stroke=\"black\"/>\n", LEFT, TOP, pw, ph);
	return svg_close(f, o->svg);
}

int view_wss(const struct view_data *d, const struct view_opts *o)
{
	uint64_t *wss = malloc(d->nr_snaps * sizeof(*wss));
	char who[64], pct[UNITS_BUFSZ];
	size_t i;
	int ret;

	if (!wss) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < d->nr_snaps; i++)
		wss[i] = snap_wss(d, &d->snaps[i], o->min_access);
	if (!o->json && !o->svg) {
		view_target_name(d, who, sizeof(who));
		printf("working set of %s: regions accessed in more than %s%% of "
		       "samples, %zu snapshot%s\n", who,
		       format_percent(pct, o->min_access), d->nr_snaps,
		       d->nr_snaps == 1 ? "" : "s");
	}
	if (o->svg)
		ret = print_svg(d, o, wss);
	else if (o->over_time)
		ret = print_series(d, o, wss);
	else
		ret = print_summary(d, o, wss);
	free(wss);
	return ret;
}
