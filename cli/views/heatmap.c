// SPDX-License-Identifier: GPL-2.0
/*
 * The heatmap grid: where the monitored ranges are, which columns they
 * get, and the access share of every cell.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heatmap.h"

struct span {
	uint64_t start, end;
};

static int by_start(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int by_size_desc(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	uint64_t sx = x->end - x->start, sy = y->end - y->start;

	return sx > sy ? -1 : sx < sy;
}

/* Sorts and merges spans that overlap or touch, in place. */
static size_t merge_spans(struct span *s, size_t n)
{
	size_t i, k;

	qsort(s, n, sizeof(*s), by_start);
	for (i = 0, k = 0; i < n; i++) {
		if (k && s[i].start <= s[k - 1].end) {
			if (s[i].end > s[k - 1].end)
				s[k - 1].end = s[i].end;
			continue;
		}
		s[k++] = s[i];
	}
	return k;
}

/*
 * The union of every snapshot's regions.  A snapshot's regions are in
 * address order and mostly touch, so they are first merged per snapshot:
 * what is sorted is a few ranges per snapshot, not every region.
 */
static int union_ranges(const struct view_snap *snaps, size_t n,
			const struct view_region *regions, struct span **out,
			size_t *nout)
{
	struct span *s = NULL, *p;
	size_t cap = 0, used = 0, i, j;

	for (i = 0; i < n; i++) {
		const struct view_region *r = regions + snaps[i].first;

		for (j = 0; j < snaps[i].n; j++) {
			if (used && s[used - 1].end == r[j].start &&
			    s[used - 1].start <= r[j].start &&
			    j > 0) {
				s[used - 1].end = r[j].end;
				continue;
			}
			if (used == cap) {
				cap = cap ? cap * 2 : 64;
				p = realloc(s, cap * sizeof(*s));
				if (!p) {
					free(s);
					return -1;
				}
				s = p;
			}
			s[used].start = r[j].start;
			s[used].end = r[j].end;
			used++;
		}
	}
	*out = s;
	*nout = merge_spans(s, used);
	return 0;
}

/* Every address any recorded mapping covered. */
static int mapped_spans(const struct view_maps *vm, size_t nr_maps,
			struct span **out, size_t *nout)
{
	size_t n = 0, i, j;
	struct span *s;

	for (i = 0; i < nr_maps; i++)
		n += vm[i].maps.n;
	s = malloc((n ? n : 1) * sizeof(*s));
	if (!s)
		return -1;
	for (i = 0, n = 0; i < nr_maps; i++)
		for (j = 0; j < vm[i].maps.n; j++) {
			s[n].start = vm[i].maps.e[j].start;
			s[n++].end = vm[i].maps.e[j].end;
		}
	*out = s;
	*nout = merge_spans(s, n);
	return 0;
}

/*
 * The monitored spans that some mapping covered, cut to what was mapped.
 * Counts the monitored spans no mapping touched.  Falls back to all of
 * them when nothing would be left.
 */
static int keep_mapped(struct span **mon, size_t *nmon,
		       const struct view_maps *vm, size_t nr_maps,
		       struct hm_grid *g)
{
	struct span *m, *out;
	size_t nm, i, j = 0, k = 0;

	if (!nr_maps)
		return 0;
	if (mapped_spans(vm, nr_maps, &m, &nm))
		return -1;
	out = malloc((*nmon + nm + 1) * sizeof(*out));
	if (!out) {
		free(m);
		return -1;
	}
	for (i = 0; i < *nmon; i++) {
		const struct span *u = &(*mon)[i];
		size_t before = k;

		while (j > 0 && m[j - 1].end > u->start)
			j--;
		for (; j < nm && m[j].start < u->end; j++) {
			uint64_t lo = m[j].start > u->start ? m[j].start : u->start;
			uint64_t hi = m[j].end < u->end ? m[j].end : u->end;

			if (hi > lo) {
				out[k].start = lo;
				out[k++].end = hi;
			}
		}
		if (k == before) {
			g->dropped_ranges++;
			g->dropped_bytes += u->end - u->start;
		}
	}
	free(m);
	if (!k) {
		free(out);
		g->dropped_ranges = 0;
		g->dropped_bytes = 0;
		return 0;
	}
	free(*mon);
	*mon = out;
	*nmon = k;
	return 0;
}

/*
 * Too many ranges would leave no room to draw them: only the widest gaps
 * are collapsed then, and the narrower ones are drawn as blank cells.
 */
static int limit_ranges(struct span *r, size_t *n, size_t max)
{
	struct span *gaps;
	size_t i, k;
	uint64_t min_gap;

	if (*n <= max)
		return 0;
	gaps = malloc((*n - 1) * sizeof(*gaps));
	if (!gaps)
		return -1;
	for (i = 1; i < *n; i++) {
		gaps[i - 1].start = r[i - 1].end;
		gaps[i - 1].end = r[i].start;
	}
	qsort(gaps, *n - 1, sizeof(*gaps), by_size_desc);
	min_gap = max > 1 ? gaps[max - 2].end - gaps[max - 2].start : UINT64_MAX;
	free(gaps);
	for (i = 1, k = 1; i < *n; i++) {
		uint64_t gap = r[i].start - r[k - 1].end;

		/* Ties keep the first gaps found: at most max - 1 stay. */
		if (gap >= min_gap && k < max) {
			r[k++] = r[i];
			continue;
		}
		r[k - 1].end = r[i].end;
	}
	*n = k;
	return 0;
}

/* Every range gets a column, the rest go by size (largest remainder). */
static void allocate_columns(struct hm_range *r, size_t n, unsigned avail)
{
	double total = 0, *frac;
	unsigned left = avail - (unsigned)n, given = 0;
	size_t i;

	for (i = 0; i < n; i++)
		total += (double)(r[i].end - r[i].start);
	frac = calloc(n, sizeof(*frac));
	for (i = 0; i < n; i++) {
		double ideal = left * (double)(r[i].end - r[i].start) / total;

		r[i].ncols = 1 + (unsigned)ideal;
		given += (unsigned)ideal;
		if (frac)
			frac[i] = ideal - floor(ideal);
	}
	while (given < left) {
		size_t best = 0;

		for (i = 1; frac && i < n; i++)
			if (frac[i] > frac[best])
				best = i;
		r[best].ncols++;
		if (frac)
			frac[best] = -1;
		given++;
	}
	free(frac);
}

static size_t find_range(const struct hm_grid *g, uint64_t addr)
{
	size_t lo = 0, hi = g->nr_ranges;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < g->ranges[mid].start)
			hi = mid;
		else
			lo = mid;
	}
	return lo;
}

/* Adds a region's share to the columns of one range it overlaps. */
static void add_range(const struct hm_range *rg, const struct view_region *r,
		      double p, double *csum, double *cw)
{
	uint64_t lo = r->start > rg->start ? r->start : rg->start;
	uint64_t hi = r->end < rg->end ? r->end : rg->end;
	double cell = (double)(rg->end - rg->start) / rg->ncols;
	double a = (double)(lo - rg->start), b = (double)(hi - rg->start);
	unsigned c, c1;

	if (hi <= lo)
		return;
	c1 = (unsigned)ceil(b / cell);
	if (c1 > rg->ncols)
		c1 = rg->ncols;
	for (c = (unsigned)(a / cell); c < c1; c++) {
		double clo = c * cell, chi = clo + cell;
		double db = (b < chi ? b : chi) - (a > clo ? a : clo);

		if (db <= 0)
			continue;
		csum[rg->col + c] += p * db;
		cw[rg->col + c] += db;
	}
}

/* Adds one snapshot's regions into per-column sums, by bytes covered.  A
 * region can span several ranges (across a collapsed hole) or none. */
static void add_columns(const struct hm_grid *g, const struct view_snap *s,
			const struct view_region *regions, double *csum,
			double *cw)
{
	size_t j, k;

	for (j = 0; j < s->n; j++) {
		const struct view_region *r = &regions[s->first + j];
		double p = view_access(s, r);

		for (k = find_range(g, r->start);
		     k < g->nr_ranges && g->ranges[k].start < r->end; k++)
			add_range(&g->ranges[k], r, p, csum, cw);
	}
}

/* Whether the gap before each range lies inside a monitored span. */
static void mark_gaps(struct hm_grid *g, const struct span *mon, size_t nmon)
{
	size_t i, j = 0;

	for (i = 1; i < g->nr_ranges; i++) {
		uint64_t gs = g->ranges[i - 1].end, ge = g->ranges[i].start;

		while (j < nmon && mon[j].end < ge)
			j++;
		g->ranges[i].gap_unmapped = j < nmon && mon[j].start <= gs &&
			mon[j].end >= ge;
	}
}

int hm_build(struct hm_grid *g, const struct view_snap *snaps, size_t n,
	     const struct view_region *regions, unsigned cols, unsigned rows,
	     const struct view_maps *maps, size_t nr_maps)
{
	struct span *spans = NULL, *mon = NULL;
	size_t nspans, nmon, i, max_ranges;
	double row_ns, *csum = NULL, *cw = NULL;
	unsigned c, col;

	memset(g, 0, sizeof(*g));
	if (!n)
		return -1;
	if (union_ranges(snaps, n, regions, &spans, &nspans))
		return -1;
	mon = malloc(nspans * sizeof(*mon));
	if (!mon)
		goto fail;
	memcpy(mon, spans, nspans * sizeof(*mon));
	nmon = nspans;
	if (keep_mapped(&spans, &nspans, maps, nr_maps, g))
		goto fail;
	/* A range and its gap marker need at least four columns each. */
	max_ranges = cols / 4 ? cols / 4 : 1;
	if (limit_ranges(spans, &nspans, max_ranges))
		goto fail;
	g->cols = cols;
	g->rows = rows;
	g->nr_ranges = nspans;
	g->ranges = calloc(nspans, sizeof(*g->ranges));
	g->col_range = calloc(cols, sizeof(*g->col_range));
	g->sum = calloc((size_t)rows * cols, sizeof(*g->sum));
	g->weight = calloc((size_t)rows * cols, sizeof(*g->weight));
	csum = calloc(cols, sizeof(*csum));
	cw = calloc(cols, sizeof(*cw));
	if (!g->ranges || !g->col_range || !g->sum || !g->weight || !csum ||
	    !cw)
		goto fail;
	for (i = 0; i < nspans; i++) {
		g->ranges[i].start = spans[i].start;
		g->ranges[i].end = spans[i].end;
	}
	allocate_columns(g->ranges, nspans, cols - (unsigned)(nspans - 1));
	mark_gaps(g, mon, nmon);
	for (i = 0, col = 0; i < nspans; i++) {
		if (i)
			g->col_range[col++] = -1;
		g->ranges[i].col = col;
		for (c = 0; c < g->ranges[i].ncols; c++)
			g->col_range[col++] = (int)i;
	}

	g->t_from = snaps[0].t_start;
	g->t_to = snaps[n - 1].t_end > g->t_from ? snaps[n - 1].t_end :
		g->t_from + 1;
	row_ns = (double)(g->t_to - g->t_from) / rows;
	for (i = 0; i < n; i++) {
		double t0 = (double)(snaps[i].t_start - g->t_from);
		double t1 = (double)(snaps[i].t_end - g->t_from);
		unsigned r, r0, r1;

		if (snaps[i].t_start < g->t_from || t1 <= t0)
			continue;
		memset(csum, 0, cols * sizeof(*csum));
		memset(cw, 0, cols * sizeof(*cw));
		add_columns(g, &snaps[i], regions, csum, cw);
		r0 = (unsigned)(t0 / row_ns);
		r1 = (unsigned)ceil(t1 / row_ns);
		if (r1 > rows)
			r1 = rows;
		for (r = r0; r < r1; r++) {
			double lo = r * row_ns, hi = lo + row_ns;
			double dt = (t1 < hi ? t1 : hi) - (t0 > lo ? t0 : lo);

			if (dt <= 0)
				continue;
			for (c = 0; c < cols; c++) {
				g->sum[(size_t)r * cols + c] += csum[c] * dt;
				g->weight[(size_t)r * cols + c] += cw[c] * dt;
			}
		}
	}
	for (i = 0; i < (size_t)rows * cols; i++)
		if (g->weight[i] > 0 && g->sum[i] / g->weight[i] > g->max)
			g->max = g->sum[i] / g->weight[i];
	free(spans);
	free(mon);
	free(csum);
	free(cw);
	return 0;
fail:
	free(spans);
	free(mon);
	free(csum);
	free(cw);
	hm_free(g);
	return -1;
}

void hm_free(struct hm_grid *g)
{
	free(g->ranges);
	free(g->col_range);
	free(g->sum);
	free(g->weight);
	memset(g, 0, sizeof(*g));
}

double hm_cell(const struct hm_grid *g, unsigned row, unsigned col)
{
	size_t i = (size_t)row * g->cols + col;

	/* Slivers of a byte-second are rounding, not monitoring. */
	if (g->col_range[col] < 0 || g->weight[i] <= 1e-9)
		return -1;
	return g->sum[i] / g->weight[i];
}

int hm_level(const struct hm_grid *g, double v)
{
	int level;

	if (v <= 0 || g->max <= 0)
		return 0;
	/* (0, 1/9] of the hottest is 1, ..., (8/9, 1] is 9; the epsilon
	 * keeps equal shares on one level whatever the rounding. */
	level = (int)ceil(v / g->max * 9 - 1e-9);
	return level < 1 ? 1 : level > 9 ? 9 : level;
}

void hm_col_span(const struct hm_grid *g, unsigned col, uint64_t *start,
		 uint64_t *end)
{
	const struct hm_range *r;
	double cell;

	if (g->col_range[col] < 0) {	/* the gap it marks */
		*start = g->ranges[g->col_range[col - 1]].end;
		*end = g->ranges[g->col_range[col + 1]].start;
		return;
	}
	r = &g->ranges[g->col_range[col]];
	cell = (double)(r->end - r->start) / r->ncols;
	*start = r->start + (uint64_t)((col - r->col) * cell);
	*end = col - r->col + 1 == r->ncols ? r->end :
		r->start + (uint64_t)((col - r->col + 1) * cell);
}

int hm_term_color(int level)
{
	/* Dark grey for "monitored, not accessed", then blue to red to
	 * yellow: readable on dark and light terminals alike. */
	static const int colors[10] = {
		236, 17, 19, 26, 31, 35, 106, 172, 202, 226,
	};

	return colors[level < 0 ? 0 : level > 9 ? 9 : level];
}
