// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl top's state and screens: the ncurses screen redrawn at every
 * aggregation, and the plain text of --batch.  The hot list is a
 * libsmartcols table in both, printed to a string for ncurses.
 */
#include <inttypes.h>
#include <math.h>
#include <ncurses.h>
#include <stdlib.h>
#include <string.h>

#include "heatmap.h"
#include "output.h"
#include "scheme.h"
#include "snapshot.h"
#include "top.h"
#include "units.h"

#define MAPS_EVERY_NS	1000000000ULL	/* mappings change slowly */

void top_init(struct top_state *t, int32_t pid, uint64_t origin_ns)
{
	char path[64];
	FILE *f;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->origin_ns = origin_ns;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(t->comm, sizeof(t->comm), f))
			t->comm[strcspn(t->comm, "\n")] = '\0';
		fclose(f);
	}
}

void top_free(struct top_state *t)
{
	size_t i;

	for (i = 0; i < t->nr_strip; i++)
		free(t->strip[i].regions);
	maps_free(&t->maps);
	memset(t, 0, sizeof(*t));
}

static void refresh_maps(struct top_state *t, uint64_t now_ns)
{
	struct maps m;
	char *text;
	size_t len;

	if (t->maps_read_ns && now_ns - t->maps_read_ns < MAPS_EVERY_NS)
		return;
	t->maps_read_ns = now_ns;
	if (maps_read(t->pid, &text, &len))
		return;		/* gone: keep the last ones */
	if (len && !maps_parse(text, len, &m)) {
		maps_free(&t->maps);
		t->maps = m;
	}
	free(text);
}

static int keep_snapshot(struct top_state *t, const struct snap *s,
			 const struct snap_target *st)
{
	struct top_snap ts = { 0 };
	uint32_t i;

	ts.regions = malloc(st->t.nr_regions * sizeof(*ts.regions));
	if (!ts.regions)
		return -1;
	for (i = 0; i < st->t.nr_regions; i++) {
		struct damon_snapshot_region r;

		snap_region(st, i, &r);
		ts.regions[i].start = r.start;
		ts.regions[i].end = r.end;
		ts.regions[i].nr_accesses = r.nr_accesses;
		ts.regions[i].age = r.age;
	}
	ts.s.seq = s->hdr.seq;
	ts.s.t_start = s->hdr.start_ns > t->origin_ns ?
		s->hdr.start_ns - t->origin_ns : 0;
	ts.s.t_end = s->hdr.end_ns > t->origin_ns ?
		s->hdr.end_ns - t->origin_ns : 0;
	ts.s.sample_us = s->hdr.sample_us;
	ts.s.aggr_us = s->hdr.aggr_us;
	ts.s.nr_passes = s->hdr.nr_passes;
	ts.s.n = st->t.nr_regions;
	if (t->nr_strip == TOP_STRIP_MAX) {
		free(t->strip[0].regions);
		memmove(t->strip, t->strip + 1,
			(TOP_STRIP_MAX - 1) * sizeof(t->strip[0]));
		t->nr_strip--;
	}
	t->strip[t->nr_strip++] = ts;
	return 0;
}

int top_take(struct top_state *t, const void *rec, size_t len,
	     uint64_t now_ns)
{
	const unsigned char *cursor;
	const char *why;
	struct snap s;
	uint32_t i;
	int got = 0;

	if (snap_parse(&s, rec, len, &why))
		return 0;	/* not a snapshot: nothing to show */
	t->snapshots++;
	t->seq = s.hdr.seq;
	t->cpu_ns = s.hdr.cpu_ns;
	t->interval_ns = s.hdr.end_ns - s.hdr.start_ns;
	t->samples_done = s.hdr.samples_done;
	t->samples_due = s.hdr.samples_due;
	t->dropped += s.hdr.dropped;
	cursor = s.first_target;
	for (i = 0; i < s.hdr.nr_targets; i++) {
		struct snap_target st;

		snap_next_target(&s, &cursor, &st);
		if (st.t.pid != t->pid)
			continue;
		if (st.t.flags & (DAMON_TARGET_EXITED | DAMON_TARGET_REVOKED))
			t->exited = true;
		if (st.t.nr_regions && !keep_snapshot(t, &s, &st))
			got = 1;
	}
	if (got)
		refresh_maps(t, now_ns);
	return got;
}

/* ---- what both screens show ---- */

static const struct top_snap *latest(const struct top_state *t)
{
	return t->nr_strip ? &t->strip[t->nr_strip - 1] : NULL;
}

static void overhead_line(const struct top_state *t, char *buf, size_t len)
{
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ];

	snprintf(buf, len, "kdamond %s%% CPU, samples %" PRIu64 "/%" PRIu64
		 " (%s%%), dropped %" PRIu64,
		 format_percent(a, t->interval_ns ? 100.0 * (double)t->cpu_ns /
				(double)t->interval_ns : 0),
		 t->samples_done, t->samples_due,
		 format_percent(b, t->samples_due ? 100.0 *
				(double)t->samples_done /
				(double)t->samples_due : 100),
		 t->dropped);
}

static void wss_line(const struct top_state *t, char *buf, size_t len)
{
	const struct top_snap *ts = latest(t);
	uint64_t wss = 0, total = 0;
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ];
	size_t i;

	for (i = 0; ts && i < ts->s.n; i++) {
		uint64_t size = ts->regions[i].end - ts->regions[i].start;

		total += size;
		if (100 * view_access(&ts->s, &ts->regions[i]) > t->min_access)
			wss += size;
	}
	snprintf(buf, len, "WSS %s of %s monitored (%s%%), %zu regions",
		 format_size(a, wss), format_size(b, total),
		 format_percent(c, total ? 100.0 * (double)wss / (double)total : 0),
		 ts ? ts->s.n : 0);
}

/* What scheme i has done since top started. */
static void scheme_line(const struct top_state *t, size_t i, char *buf,
			size_t len)
{
	const struct damonrec_scheme_stats *s = &t->schemes[i];
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ];
	uint64_t refused = 0;
	int k;

	for (k = 0; k < DAMONREC_NR_REFUSALS; k++)
		refused += s->refused_bytes[k];
	snprintf(buf, len, "Scheme %zu %s (%s): %s applied, %s held by "
		 "quota, %s refused; %s", i + 1, scheme_action_name(s->action),
		 s->flags & DAMONREC_SCHEME_STAT_ONLY ? "stat only" :
		 !s->snapshots ? "no snapshot yet" :
		 s->flags & DAMONREC_SCHEME_ACTIVE ? "acting" : "waiting",
		 format_size(a, s->applied_bytes), format_size(b, s->quota_bytes),
		 format_size(c, refused), s->text);
}

struct hot {
	const struct view_region *r;
	double score;
};

static int by_score(const void *a, const void *b)
{
	const struct hot *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->r->start < y->r->start ? -1 : 1;
}

/* The hottest regions of the latest snapshot, as a libsmartcols table. */
static struct libscols_table *hot_table(const struct top_state *t,
					unsigned rows, int width)
{
	const struct top_snap *ts = latest(t);
	struct libscols_table *tb;
	struct out_format fmt = { 0 };
	struct hot *h;
	char a[UNITS_BUFSZ];
	size_t i, n = 0;

	tb = out_new_table("hot", &fmt);
	if (!tb)
		return NULL;
	out_add_column(tb, "START", SCOLS_FL_RIGHT, SCOLS_JSON_STRING);
	out_add_column(tb, "SIZE", SCOLS_FL_RIGHT, SCOLS_JSON_STRING);
	out_add_column(tb, "ACCESS", SCOLS_FL_RIGHT, SCOLS_JSON_STRING);
	out_add_column(tb, "AGE", SCOLS_FL_RIGHT, SCOLS_JSON_STRING);
	out_add_column(tb, "MAPPING", SCOLS_FL_TRUNC, SCOLS_JSON_STRING);
	if (width > 0) {
		scols_table_set_termwidth(tb, (size_t)width);
		scols_table_set_termforce(tb, SCOLS_TERMFORCE_ALWAYS);
	}
	if (!ts)
		return tb;
	h = calloc(ts->s.n ? ts->s.n : 1, sizeof(*h));
	if (!h)
		return tb;
	for (i = 0; i < ts->s.n; i++) {
		double p = view_access(&ts->s, &ts->regions[i]);

		if (p <= 0)
			continue;
		h[n].r = &ts->regions[i];
		h[n++].score = p * (double)(ts->regions[i].end -
					    ts->regions[i].start);
	}
	qsort(h, n, sizeof(*h), by_score);
	for (i = 0; i < n && i < rows; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		const struct map_entry *e = maps_find(&t->maps, h[i].r->start);

		if (!ln)
			break;
		out_cell(ln, 0, "0x%" PRIx64, h[i].r->start);
		scols_line_set_data(ln, 1, format_size(a, h[i].r->end -
						       h[i].r->start));
		out_cell(ln, 2, "%s%%", format_percent(a, 100 *
				view_access(&ts->s, h[i].r)));
		scols_line_set_data(ln, 3, format_duration_us(a,
				(uint64_t)h[i].r->age * ts->s.aggr_us));
		scols_line_set_data(ln, 4, !t->maps.n ? "" : e ? map_label(e) :
				    "(unmapped)");
	}
	free(h);
	return tb;
}

static void title_line(const struct top_state *t, char *buf, size_t len)
{
	const struct top_snap *ts = latest(t);
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ];

	/* The intervals in force: auto-tuning changes them. */
	snprintf(buf, len, "pid %d%s%s%s  #%" PRIu64 " at %s, every %s "
		 "(sampling every %s)",
		 (int)t->pid, t->comm[0] ? " (" : "", t->comm,
		 t->comm[0] ? ")" : "", t->seq,
		 format_duration_ns(a, ts ? ts->s.t_end : 0),
		 format_duration_us(b, ts ? ts->s.aggr_us : 0),
		 format_duration_us(c, ts ? ts->s.sample_us : 0));
}

/* ---- --batch ---- */

int top_print_batch(const struct top_state *t, unsigned hot_rows)
{
	const struct top_snap *ts = latest(t);
	struct libscols_table *tb;
	char line[256];
	struct hm_grid g;
	unsigned c;
	int ret = 0;

	title_line(t, line, sizeof(line));
	printf("%s\n", line);
	overhead_line(t, line, sizeof(line));
	printf("%s\n", line);
	wss_line(t, line, sizeof(line));
	printf("%s\n", line);
	for (c = 0; c < t->nr_schemes; c++) {
		scheme_line(t, c, line, sizeof(line));
		printf("%s\n", line);
	}
	if (ts && !hm_build(&g, &ts->s, 1, ts->regions, 80, 1, NULL, 0)) {
		for (c = 0; c < g.cols; c++) {
			double v = hm_cell(&g, 0, c);

			putchar(g.col_range[c] < 0 ? '|' : v < 0 ? ' ' :
				'0' + hm_level(&g, v));
		}
		putchar('\n');
		hm_free(&g);
	}
	tb = hot_table(t, hot_rows, 0);
	if (!tb || scols_print_table(tb))
		ret = -1;
	scols_unref_table(tb);
	putchar('\n');
	fflush(stdout);
	return ret;
}

/* ---- the screen ---- */

/* Schemes shown on the screen; --batch shows every one. */
#define TOP_SCHEME_LINES 3

static bool have_colors;

void top_colors(void)
{
	int level;

	if (!has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	for (level = 0; level <= 9; level++) {
		/* The digits stay readable on the colours, and in a capture. */
		int bg = COLORS >= 256 ? hm_term_color(level) :
			level == 0 ? COLOR_BLACK : level < 4 ? COLOR_BLUE :
			level < 7 ? COLOR_MAGENTA : COLOR_RED;

		init_pair((short)(level + 1), level >= 7 ? COLOR_BLACK :
			  COLOR_WHITE, (short)bg);
	}
	have_colors = true;
}

static void draw_strip(const struct top_state *t, int y, int rows)
{
	struct view_snap snaps[TOP_STRIP_MAX];
	struct view_region *regions;
	size_t n = t->nr_strip < (size_t)rows ? t->nr_strip : (size_t)rows;
	size_t first = t->nr_strip - n, total = 0, i;
	struct hm_grid g;
	char line[160];
	int r, c;

	for (i = first; i < t->nr_strip; i++)
		total += t->strip[i].s.n;
	regions = malloc((total ? total : 1) * sizeof(*regions));
	if (!regions || !n) {
		free(regions);
		return;
	}
	for (i = first, total = 0; i < t->nr_strip; i++) {
		snaps[i - first] = t->strip[i].s;
		snaps[i - first].first = total;
		memcpy(regions + total, t->strip[i].regions,
		       t->strip[i].s.n * sizeof(*regions));
		total += t->strip[i].s.n;
	}
	if (hm_build(&g, snaps, n, regions, (unsigned)COLS, (unsigned)n,
		     NULL, 0)) {
		free(regions);
		return;
	}
	/* Newest at the bottom, like the report's heatmap. */
	for (r = 0; r < (int)n; r++) {
		move(y + rows - (int)n + r, 0);
		for (c = 0; c < COLS; c++) {
			double v = hm_cell(&g, (unsigned)r, (unsigned)c);
			int level = hm_level(&g, v);

			if (g.col_range[c] < 0 || v < 0) {
				addch(g.col_range[c] < 0 ? '|' : ' ');
				continue;
			}
			if (have_colors)
				attron(COLOR_PAIR(level + 1));
			addch((chtype)('0' + level));
			if (have_colors)
				attroff(COLOR_PAIR(level + 1));
		}
	}
	snprintf(line, sizeof(line), "0x%" PRIx64 "-0x%" PRIx64 " in %zu "
		 "range%s ('|': gap); 9 = %d%% of samples", g.ranges[0].start,
		 g.ranges[g.nr_ranges - 1].end, g.nr_ranges,
		 g.nr_ranges == 1 ? "" : "s", (int)lround(100 * g.max));
	mvaddnstr(y + rows, 0, line, COLS);
	hm_free(&g);
	free(regions);
}

void top_draw(const struct top_state *t, const char *status)
{
	int strip_rows = LINES >= 24 ? 6 : LINES >= 16 ? 3 : 1;
	int y = 0, hot_rows;
	struct libscols_table *tb;
	char line[256], *text = NULL;
	size_t i;

	erase();
	attron(A_BOLD);
	mvaddnstr(y, 0, "damonctl top", COLS);
	attroff(A_BOLD);
	title_line(t, line, sizeof(line));
	mvaddnstr(y++, 14, line, COLS - 14 > 0 ? COLS - 14 : 0);
	overhead_line(t, line, sizeof(line));
	mvaddnstr(y++, 0, line, COLS);
	wss_line(t, line, sizeof(line));
	mvaddnstr(y++, 0, line, COLS);
	for (i = 0; i < t->nr_schemes && i < TOP_SCHEME_LINES; i++) {
		scheme_line(t, i, line, sizeof(line));
		mvaddnstr(y++, 0, line, COLS);
	}
	if (t->nr_schemes > TOP_SCHEME_LINES) {
		snprintf(line, sizeof(line), "... and %zu more schemes",
			 t->nr_schemes - TOP_SCHEME_LINES);
		mvaddnstr(y++, 0, line, COLS);
	}
	attron(A_BOLD);
	mvaddnstr(y++, 0, "Heatmap: the latest aggregations, newest at the "
		  "bottom; addresses left to right", COLS);
	attroff(A_BOLD);
	draw_strip(t, y, strip_rows);
	y += strip_rows + 1;
	attron(A_BOLD);
	mvaddnstr(y++, 0, "Hot regions (access share x size)", COLS);
	attroff(A_BOLD);
	hot_rows = LINES - y - 2;
	tb = hot_table(t, hot_rows > 0 ? (unsigned)hot_rows : 0, COLS);
	if (tb && hot_rows > 0 && !scols_print_table_to_string(tb, &text) &&
	    text) {
		char *p = text, *nl;

		for (; *p && y < LINES - 1; p = nl + 1) {
			nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			mvaddnstr(y++, 0, p, COLS);
			if (!nl)
				break;
		}
	}
	free(text);
	scols_unref_table(tb);
	attron(A_REVERSE);
	mvaddnstr(LINES - 1, 0, status, COLS);
	attroff(A_REVERSE);
	refresh();
}
