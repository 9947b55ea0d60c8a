// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --view heatmap: where in the address space the target's
 * memory was accessed, over time.  In the terminal a grid of digits (or of
 * colours on a terminal), as JSON one object per cell, or an SVG picture.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "damonctl.h"
#include "heatmap.h"
#include "output.h"
#include "svg.h"
#include "units.h"
#include "view.h"

#define TERM_ROWS	20	/* rows of the grid in a terminal by default */
#define SVG_COLS	200
#define SVG_ROWS	150

static void cell_times(const struct hm_grid *g, unsigned row, uint64_t *t0,
		       uint64_t *t1)
{
	double row_ns = (double)(g->t_to - g->t_from) / g->rows;

	*t0 = g->t_from + (uint64_t)llround(row * row_ns);
	*t1 = g->t_from + (uint64_t)llround((row + 1) * row_ns);
}

/* ---- terminal ---- */

static void print_grid(const struct hm_grid *g, bool color)
{
	unsigned r, c;

	for (r = 0; r < g->rows; r++) {
		int last = -2;	/* the colour in force: none yet */

		for (c = 0; c < g->cols; c++) {
			double v = hm_cell(g, r, c);
			int level = hm_level(g, v);

			if (g->col_range[c] < 0 || v < 0) {
				if (color && last != -1)
					fputs("\033[0m", stdout);
				last = -1;
				putchar(g->col_range[c] < 0 ? '|' : ' ');
			} else if (color) {
				if (level != last)
					printf("\033[48;5;%dm", hm_term_color(level));
				last = level;
				putchar(' ');
			} else {
				putchar('0' + level);
			}
		}
		if (color && last >= 0)
			fputs("\033[0m", stdout);
		putchar('\n');
	}
}

static void print_footer(const struct view_data *d, const struct hm_grid *g,
			 bool color)
{
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ];
	uint64_t cs, ce;
	size_t i;
	int level;

	printf("time: %s to %s, top to bottom; %s per row\n",
	       format_duration_ns(a, g->t_from), format_duration_ns(b, g->t_to),
	       format_duration_ns(c, (g->t_to - g->t_from) / g->rows));
	printf("address: 0x%" PRIx64 " to 0x%" PRIx64 ", left to right, in %zu "
	       "range%s", g->ranges[0].start, g->ranges[g->nr_ranges - 1].end,
	       g->nr_ranges, g->nr_ranges == 1 ? "" : "s");
	if (g->nr_ranges > 1)
		fputs("; the gaps between them, never monitored or never "
		      "mapped, are collapsed to a '|'", stdout);
	fputs(":\n", stdout);
	for (i = 0; i < g->nr_ranges; i++) {
		const struct hm_range *r = &g->ranges[i];

		if (i) {
			hm_col_span(g, r->col - 1, &cs, &ce);
			printf("  column  %-9u gap 0x%" PRIx64 "-0x%" PRIx64
			       " (%s), %s, collapsed\n", r->col, cs, ce,
			       format_size(a, ce - cs), r->gap_unmapped ?
			       "never mapped" : "not monitored");
		}
		if (r->ncols > 1)
			snprintf(c, sizeof(c), "%u-%u", r->col + 1,
				 r->col + r->ncols);
		else
			snprintf(c, sizeof(c), "%u", r->col + 1);
		printf("  column%s %-9s 0x%" PRIx64 "-0x%" PRIx64 " (%s), %s per "
		       "column\n", r->ncols > 1 ? "s" : " ", c, r->start, r->end,
		       format_size(a, r->end - r->start),
		       format_size(b, (r->end - r->start) / r->ncols));
	}
	if (g->dropped_ranges)
		printf("  left out: %zu monitored range%s (%s) that no recorded "
		       "mapping of the target covered\n", g->dropped_ranges,
		       g->dropped_ranges == 1 ? "" : "s",
		       format_size(a, g->dropped_bytes));
	fputs("intensity: ", stdout);
	if (color) {
		for (level = 0; level <= 9; level++)
			printf("\033[48;5;%dm %d \033[0m", hm_term_color(level),
			       level);
		fputs(" ", stdout);
	}
	printf("0 no access, 1-9 up to %s%% of samples (the hottest cell); "
	       "blank: not monitored then\n", format_percent(a, 100 * g->max));
	(void)d;
}

/* ---- JSON ---- */

static void cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	scols_line_set_data(ln, col, buf);
}

static int print_json(const struct view_data *d, const struct hm_grid *g)
{
	static const char *const names[] = {
		"pid", "row", "column", "time_start_ns", "time_end_ns",
		"address_start", "address_end", "access_percent", "level",
	};
	struct out_format fmt = { .json = true };
	struct libscols_table *tb = out_new_table("heatmap", &fmt);
	unsigned r, c;
	size_t i;
	int ret = 0;

	for (i = 0; tb && i < sizeof(names) / sizeof(names[0]); i++) {
		struct libscols_column *cl =
			scols_table_new_column(tb, names[i], 0, 0);

		if (!cl)
			ret = -1;
		else
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	}
	for (r = 0; tb && !ret && r < g->rows; r++)
		for (c = 0; !ret && c < g->cols; c++) {
			struct libscols_line *ln;
			uint64_t t0, t1, a0, a1;
			double v = hm_cell(g, r, c);
			char p[UNITS_BUFSZ];

			if (g->col_range[c] < 0)
				continue;
			ln = scols_table_new_line(tb, NULL);
			if (!ln) {
				ret = -1;
				break;
			}
			cell_times(g, r, &t0, &t1);
			hm_col_span(g, c, &a0, &a1);
			cell(ln, 0, "%d", (int)d->pid);
			cell(ln, 1, "%u", r);
			cell(ln, 2, "%u", c);
			cell(ln, 3, "%" PRIu64, t0);
			cell(ln, 4, "%" PRIu64, t1);
			cell(ln, 5, "%" PRIu64, a0);
			cell(ln, 6, "%" PRIu64, a1);
			/* null: nothing of the cell was monitored then. */
			if (v >= 0) {
				cell(ln, 7, "%s", format_percent(p, 100 * v));
				cell(ln, 8, "%d", hm_level(g, v));
			}
		}
	if (!tb || ret || scols_print_table(tb))
		ret = -1;
	scols_unref_table(tb);
	return ret;
}

/* ---- SVG ---- */

#define SVG_W		1000
#define SVG_LEFT	80
#define SVG_RIGHT	170
#define SVG_TOP		50
#define SVG_PLOT_H	520
#define SVG_BOTTOM	170

static int print_svg(const struct view_data *d, const struct hm_grid *g,
		     const char *path)
{
	double plot_w = SVG_W - SVG_LEFT - SVG_RIGHT, cw = plot_w / g->cols;
	double ch = (double)SVG_PLOT_H / g->rows, ticks[12], secs;
	char who[64], title[160], color[8], a[UNITS_BUFSZ], b[UNITS_BUFSZ];
	char caption[512];
	size_t i, nt, n;
	double last_x;
	uint64_t total;
	unsigned r, c;
	FILE *f;

	view_target_name(d, who, sizeof(who));
	snprintf(title, sizeof(title), "Access heatmap of %s", who);
	f = svg_open(path, SVG_W, SVG_TOP + SVG_PLOT_H + SVG_BOTTOM, title);
	if (!f)
		return EXIT_FAIL;
	svg_text(f, SVG_W / 2.0, 28, "middle", 18, 0, "%s", title);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		"fill=\"#eeeeee\"/>\n", SVG_LEFT, SVG_TOP, plot_w, SVG_PLOT_H);
	/* Neighbours of one colour in a row are one rectangle: a picture of
	 * big cold areas stays small. */
	fputs("<g shape-rendering=\"crispEdges\">\n", f);
	for (r = 0; r < g->rows; r++)
		for (c = 0; c < g->cols; ) {
			double v = hm_cell(g, r, c);
			char next[8];
			unsigned run = 1;

			if (g->col_range[c] < 0 || v < 0) {
				c++;
				continue;
			}
			svg_heat_color(g->max > 0 ? v / g->max : 0, color);
			while (c + run < g->cols && g->col_range[c + run] >= 0 &&
			       (v = hm_cell(g, r, c + run)) >= 0) {
				svg_heat_color(g->max > 0 ? v / g->max : 0, next);
				if (strcmp(next, color))
					break;
				run++;
			}
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
				"height=\"%.2f\" fill=\"%s\"/>\n",
				SVG_LEFT + c * cw, SVG_TOP + r * ch, run * cw + 0.05,
				ch + 0.05, color);
			c += run;
		}
	fputs("</g>\n", f);

	/* Gaps: a hatched band, so nobody reads them as cold memory. */
	fputs("<defs><pattern id=\"gap\" width=\"6\" height=\"6\" "
	      "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	      "<rect width=\"6\" height=\"6\" fill=\"white\"/>"
	      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999999\" "
	      "stroke-width=\"2\"/></pattern></defs>\n", f);
	for (i = 1, last_x = -100; i < g->nr_ranges; i++) {
		unsigned col = g->ranges[i].col - 1;
		uint64_t gs, ge;
		double x = SVG_LEFT + col * cw;
		double w = cw < 6 ? 6 : cw;

		hm_col_span(g, col, &gs, &ge);
		/* The title is the tooltip: every gap has one, labelled or not. */
		fprintf(f, "<rect class=\"gap\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
			"height=\"%d\" fill=\"url(#gap)\" stroke=\"#666666\" "
			"stroke-width=\"0.5\"><title>gap 0x%" PRIx64 "-0x%" PRIx64
			" (%s), %s</title></rect>\n", x + cw / 2 - w / 2, SVG_TOP, w,
			SVG_PLOT_H, gs, ge, format_size(a, ge - gs),
			g->ranges[i].gap_unmapped ? "never mapped" : "not monitored");
		/* Gaps side by side would write over each other's labels. */
		if (x - last_x < 12)
			continue;
		svg_text(f, x + cw / 2 + 4, SVG_TOP + 6, "end", 10, -90,
			 "gap of %s, %s (collapsed)", format_size(a, ge - gs),
			 g->ranges[i].gap_unmapped ? "never mapped" :
			 "not monitored");
		last_x = x;
	}

	/* Address axis: where each range starts and where the last ends. */
	for (i = 0, total = 0; i < g->nr_ranges; i++)
		total += g->ranges[i].end - g->ranges[i].start;
	svg_text(f, SVG_LEFT + plot_w / 2, SVG_TOP + SVG_PLOT_H + SVG_BOTTOM - 12,
		 "middle", 13, 0, "address (%zu range%s, %s in all; "
		 "gaps collapsed)", g->nr_ranges, g->nr_ranges == 1 ? "" : "s",
		 format_size(b, total));
	/* Labels that would overlap the previous one are left out; the
	 * caption under the axis names the ranges. */
	for (i = 0, last_x = -100; i <= g->nr_ranges; i++) {
		const struct hm_range *rg = &g->ranges[i < g->nr_ranges ? i : i - 1];
		double x = SVG_LEFT + (i < g->nr_ranges ? rg->col :
				       rg->col + rg->ncols) * cw;

		fprintf(f, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" "
			"stroke=\"black\"/>\n", x, SVG_TOP + SVG_PLOT_H, x,
			SVG_TOP + SVG_PLOT_H + 6);
		if (x - last_x < 14)
			continue;
		svg_text(f, x + 3, SVG_TOP + SVG_PLOT_H + 10, "end", 10, -60,
			 "0x%" PRIx64, i < g->nr_ranges ? rg->start : rg->end);
		last_x = x;
	}
	/* The ranges, three to a line of the caption. */
	for (i = 0; i < g->nr_ranges && i < 6; i += 3) {
		size_t k;

		for (k = i, n = 0; k < g->nr_ranges && k < i + 3; k++)
			n += (size_t)snprintf(caption + n, sizeof(caption) - n,
					      "%s0x%" PRIx64 "-0x%" PRIx64 " (%s)",
					      k > i ? "  |  " : "",
					      g->ranges[k].start, g->ranges[k].end,
					      format_size(a, g->ranges[k].end -
							  g->ranges[k].start));
		if (i == 3 && g->nr_ranges > 6)
			snprintf(caption + n, sizeof(caption) - n,
				 "  |  and %zu more", g->nr_ranges - 6);
		svg_text(f, SVG_LEFT + plot_w / 2, SVG_TOP + SVG_PLOT_H +
			 SVG_BOTTOM - 46 + 14 * (double)(i / 3), "middle", 10, 0,
			 "%s", caption);
	}

	/* Time axis, in seconds from the start of the recording. */
	nt = svg_ticks(g->t_from / 1e9, g->t_to / 1e9, 8, ticks);
	for (i = 0; i < nt; i++) {
		double y = SVG_TOP + (ticks[i] * 1e9 - g->t_from) /
			(double)(g->t_to - g->t_from) * SVG_PLOT_H;

		fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" "
			"stroke=\"black\"/>\n", SVG_LEFT - 6, y, SVG_LEFT, y);
		svg_text(f, SVG_LEFT - 9, y + 4, "end", 11, 0, "%g s", ticks[i]);
	}
	secs = SVG_TOP + SVG_PLOT_H / 2.0;
	svg_text(f, 18, secs, "middle", 13, -90, "time (s)");
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		"fill=\"none\" stroke=\"black\"/>\n", SVG_LEFT, SVG_TOP, plot_w,
		SVG_PLOT_H);

	/* Legend: the colour scale, from no access to the hottest cell. */
	{
		double lx = SVG_W - SVG_RIGHT + 30, ly = SVG_TOP + 20, lh = 300;
		int k;

		svg_text(f, lx, ly - 8, "start", 12, 0, "accessed samples");
		for (k = 0; k < 50; k++) {
			svg_heat_color(1 - k / 49.0, color);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.2f\" width=\"20\" "
				"height=\"%.2f\" fill=\"%s\"/>\n", lx,
				ly + k * lh / 50, lh / 50 + 0.3, color);
		}
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"%.1f\" "
			"fill=\"none\" stroke=\"black\"/>\n", lx, ly, lh);
		svg_text(f, lx + 26, ly + 8, "start", 11, 0, "%s%%",
			 format_percent(a, 100 * g->max));
		svg_text(f, lx + 26, ly + lh / 2 + 4, "start", 11, 0, "%s%%",
			 format_percent(a, 50 * g->max));
		svg_text(f, lx + 26, ly + lh, "start", 11, 0, "0%%");
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"12\" "
			"fill=\"#eeeeee\" stroke=\"black\"/>\n", lx, ly + lh + 20);
		svg_text(f, lx + 26, ly + lh + 30, "start", 11, 0, "not monitored");
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"12\" "
			"fill=\"url(#gap)\" stroke=\"black\"/>\n", lx, ly + lh + 40);
		svg_text(f, lx + 26, ly + lh + 50, "start", 11, 0, "gap, collapsed");
	}
	return svg_close(f, path);
}

int view_heatmap(const struct view_data *d, const struct view_opts *o)
{
	unsigned cols = o->width, rows = o->height;
	struct hm_grid g;
	int ret;

	if (!cols)
		cols = o->svg ? SVG_COLS : 80;
	if (!rows) {
		rows = o->svg ? SVG_ROWS : TERM_ROWS;
		if (rows > d->nr_snaps)
			rows = (unsigned)d->nr_snaps;
	}
	if (hm_build(&g, d->snaps, d->nr_snaps, d->regions, cols, rows,
		     d->maps, d->nr_maps)) {
		errmsg("out of memory for the heatmap");
		return EXIT_FAIL;
	}
	if (o->svg) {
		ret = print_svg(d, &g, o->svg);
	} else if (o->json) {
		ret = print_json(d, &g) ? EXIT_FAIL : 0;
	} else {
		bool color = view_use_color(o->color);
		char who[64];

		view_target_name(d, who, sizeof(who));
		printf("heatmap of %s, %zu snapshot%s\n", who, d->nr_snaps,
		       d->nr_snaps == 1 ? "" : "s");
		print_grid(&g, color);
		print_footer(d, &g, color);
		ret = 0;
	}
	hm_free(&g);
	return ret;
}
