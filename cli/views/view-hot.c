// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --view hot: the hottest memory of the window, ranked by
 * access frequency times size, each named by the mapping it is in, and
 * how much of the target's mappings the monitoring regions left out.
 *
 * Regions change with every aggregation (they split and merge), so the
 * window is cut at every boundary any region had, and at the mappings'
 * boundaries; each piece gets the time-weighted access share of the
 * regions that covered it, and neighbours in the same mapping with about
 * the same share are joined again.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "damonctl.h"
#include "output.h"
#include "units.h"
#include "view.h"

#define DEFAULT_TOP	10
#define MAX_EXCLUDED	5	/* mappings listed under the coverage line */

struct piece {
	uint64_t start, end;
	double access;		/* time-weighted share of samples, 0..1 */
	const struct map_entry *map;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t index_of(const uint64_t *b, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Every region boundary of the window and every mapping boundary. */
static uint64_t *boundaries(const struct view_data *d, const struct maps *m,
			    size_t *n)
{
	size_t cap = 2 * d->nr_regions + (m ? 2 * m->n : 0), used = 0, i, k;
	uint64_t *b = malloc((cap ? cap : 1) * sizeof(*b));

	if (!b)
		return NULL;
	for (i = 0; i < d->nr_regions; i++) {
		b[used++] = d->regions[i].start;
		b[used++] = d->regions[i].end;
	}
	for (i = 0; m && i < m->n; i++) {
		b[used++] = m->e[i].start;
		b[used++] = m->e[i].end;
	}
	qsort(b, used, sizeof(*b), cmp_u64);
	for (i = 0, k = 0; i < used; i++)
		if (!k || b[i] != b[k - 1])
			b[k++] = b[i];
	*n = k;
	return b;
}

/* The window's access shares of the pieces between boundaries. */
static struct piece *pieces(const struct view_data *d, const struct maps *m,
			    size_t *npieces)
{
	size_t nb, i, j, k = 0;
	uint64_t *b = boundaries(d, m, &nb);
	double *acc = NULL, *seen = NULL, a = 0, t = 0;
	struct piece *p = NULL;

	if (!b)
		return NULL;
	acc = calloc(nb, sizeof(*acc));
	seen = calloc(nb, sizeof(*seen));
	p = malloc(nb * sizeof(*p));
	if (!acc || !seen || !p)
		goto out;
	/* Differences at the ends of each region, summed up below. */
	for (i = 0; i < d->nr_snaps; i++) {
		const struct view_snap *s = &d->snaps[i];
		double dt = (double)(s->t_end - s->t_start);

		if (dt <= 0)
			dt = (double)s->aggr_us * 1000;
		for (j = 0; j < s->n; j++) {
			const struct view_region *r = &d->regions[s->first + j];
			size_t i0 = index_of(b, nb, r->start);
			size_t i1 = index_of(b, nb, r->end);
			double pa = view_access(s, r) * dt;

			acc[i0] += pa;
			acc[i1] -= pa;
			seen[i0] += dt;
			seen[i1] -= dt;
		}
	}
	for (i = 0; i + 1 < nb; i++) {
		a += acc[i];
		t += seen[i];
		if (t <= 1e-6)
			continue;	/* never monitored */
		p[k].start = b[i];
		p[k].end = b[i + 1];
		p[k].access = a / t > 0 ? a / t : 0;
		p[k].map = m ? maps_find(m, b[i]) : NULL;
		k++;
	}
out:
	free(b);
	free(acc);
	free(seen);
	if (!acc || !seen) {
		free(p);
		return NULL;
	}
	*npieces = k;
	return p;
}

/* Joins neighbours of one mapping whose shares differ by little. */
static size_t join(struct piece *p, size_t n)
{
	double max = 0, tol;
	size_t i, k;

	for (i = 0; i < n; i++)
		if (p[i].access > max)
			max = p[i].access;
	tol = max / 10;
	for (i = 0, k = 0; i < n; i++) {
		struct piece *q = k ? &p[k - 1] : NULL;

		if (q && q->end == p[i].start && q->map == p[i].map &&
		    fabs(q->access - p[i].access) <= tol) {
			double wq = (double)(q->end - q->start);
			double wp = (double)(p[i].end - p[i].start);

			q->access = (q->access * wq + p[i].access * wp) / (wq + wp);
			q->end = p[i].end;
			continue;
		}
		p[k++] = p[i];
	}
	return k;
}

static double score(const struct piece *p)
{
	return p->access * (double)(p->end - p->start);
}

static int by_score(const void *a, const void *b)
{
	double x = score(a), y = score(b);
	const struct piece *pa = a, *pb = b;

	if (x != y)
		return x > y ? -1 : 1;
	return pa->start < pb->start ? -1 : pa->start > pb->start;
}

static const char *label(const struct maps *m, const struct map_entry *e)
{
	if (!m)
		return "";
	return e ? map_label(e) : "(unmapped)";
}

enum { C_KIND, C_RANK, C_START, C_END, C_SIZE, C_ACCESS, C_HOT, C_MAPPING,
	C_PATH, C_MAPPED };

static const struct view_col hot_cols[] = {
	[C_KIND] = { "KIND", "kind", 0, SCOLS_JSON_STRING },
	[C_RANK] = { "RANK", "rank", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_START] = { "START", "start", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_END] = { "END", "end", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_SIZE] = { "SIZE", "size", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_ACCESS] = { "ACCESS", "access_percent", SCOLS_FL_RIGHT,
		       SCOLS_JSON_NUMBER },
	[C_HOT] = { "HOT", "hot", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[C_MAPPING] = { "MAPPING", "mapping", SCOLS_FL_TRUNC, SCOLS_JSON_STRING },
	[C_PATH] = { "PATH", "path", 0, SCOLS_JSON_STRING },
	[C_MAPPED] = { "MAPPED", "mapped", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
};

/* Where the JSON has every column, the terminal has these. */
static const int term_hot[] = { C_RANK, C_START, C_END, C_SIZE, C_ACCESS,
				C_HOT, C_MAPPING };
static const int term_excluded[] = { C_MAPPING, C_START, C_END, C_SIZE,
				     C_MAPPED };

struct out {
	struct libscols_table *tb;
	const int *ids;		/* the table's columns, as C_* */
	size_t n;
};

static int out_init(struct out *t, const char *name, const struct view_opts *o,
		    const int *ids, size_t n, const char *size_name)
{
	static int all[sizeof(hot_cols) / sizeof(hot_cols[0])];
	struct view_col cols[sizeof(hot_cols) / sizeof(hot_cols[0])];
	size_t i;

	if (o->json) {
		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			all[i] = (int)i;
		ids = all;
		n = sizeof(all) / sizeof(all[0]);
	}
	for (i = 0; i < n; i++) {
		cols[i] = hot_cols[ids[i]];
		if (ids[i] == C_SIZE && size_name)
			cols[i].name = size_name;
	}
	t->ids = ids;
	t->n = n;
	t->tb = view_table(name, o, cols, n);
	return t->tb ? 0 : -1;
}

static void set(const struct out *t, struct libscols_line *ln, int id,
		const char *text)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->ids[i] == id && text)
			scols_line_set_data(ln, i, text);
}

static void add_piece(const struct out *t, const struct view_opts *o,
		      const struct maps *m, const struct piece *p, size_t rank)
{
	struct libscols_line *ln = scols_table_new_line(t->tb, NULL);
	char buf[UNITS_BUFSZ];

	if (!ln)
		return;
	set(t, ln, C_KIND, "region");
	snprintf(buf, sizeof(buf), "%zu", rank);
	set(t, ln, C_RANK, buf);
	snprintf(buf, sizeof(buf), o->json ? "%" PRIu64 : "0x%" PRIx64, p->start);
	set(t, ln, C_START, buf);
	snprintf(buf, sizeof(buf), o->json ? "%" PRIu64 : "0x%" PRIx64, p->end);
	set(t, ln, C_END, buf);
	set(t, ln, C_SIZE, view_size(o, buf, p->end - p->start));
	format_percent(buf, 100 * p->access);
	if (!o->json)
		strcat(buf, "%");
	set(t, ln, C_ACCESS, buf);
	set(t, ln, C_HOT, view_size(o, buf, (uint64_t)llround(score(p))));
	if (m) {
		set(t, ln, C_MAPPING, label(m, p->map));
		if (p->map)
			set(t, ln, C_PATH, p->map->path);
	}
}

/* ---- coverage ---- */

struct excluded {
	const struct map_entry *map;
	uint64_t bytes;
};

static int by_bytes(const void *a, const void *b)
{
	const struct excluded *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->map->start < y->map->start ? -1 : 1;
}

/* The bytes of each mapping that no region of the snapshot covers. */
static struct excluded *coverage(const struct view_data *d,
				 const struct view_snap *s,
				 const struct maps *m, size_t *n,
				 uint64_t *mapped, uint64_t *left_out)
{
	struct excluded *ex = calloc(m->n ? m->n : 1, sizeof(*ex));
	const struct view_region *r = d->regions + s->first;
	size_t i, j = 0;

	*n = 0;
	*mapped = *left_out = 0;
	if (!ex)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const struct map_entry *e = &m->e[i];
		uint64_t covered = 0, lo, hi;
		size_t k;

		/* Not user memory: no process has regions there. */
		if (!strcmp(e->path, "[vsyscall]"))
			continue;
		while (j < s->n && r[j].end <= e->start)
			j++;
		for (k = j; k < s->n && r[k].start < e->end; k++) {
			lo = r[k].start > e->start ? r[k].start : e->start;
			hi = r[k].end < e->end ? r[k].end : e->end;
			if (hi > lo)
				covered += hi - lo;
		}
		*mapped += e->end - e->start;
		if (covered < e->end - e->start) {
			ex[*n].map = e;
			ex[*n].bytes = e->end - e->start - covered;
			*left_out += ex[*n].bytes;
			(*n)++;
		}
	}
	qsort(ex, *n, sizeof(*ex), by_bytes);
	return ex;
}

static void add_excluded(const struct out *t, const struct view_opts *o,
			 const struct excluded *x)
{
	struct libscols_line *ln = scols_table_new_line(t->tb, NULL);
	char buf[UNITS_BUFSZ];

	if (!ln)
		return;
	set(t, ln, C_KIND, "excluded");
	snprintf(buf, sizeof(buf), o->json ? "%" PRIu64 : "0x%" PRIx64,
		 x->map->start);
	set(t, ln, C_START, buf);
	snprintf(buf, sizeof(buf), o->json ? "%" PRIu64 : "0x%" PRIx64,
		 x->map->end);
	set(t, ln, C_END, buf);
	set(t, ln, C_SIZE, view_size(o, buf, x->bytes));
	set(t, ln, C_MAPPED, view_size(o, buf, x->map->end - x->map->start));
	set(t, ln, C_MAPPING, map_label(x->map));
	set(t, ln, C_PATH, x->map->path);
}

static void print_coverage_line(const struct view_opts *o, uint64_t mapped,
				uint64_t left_out, uint64_t t_ns)
{
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ], p[UNITS_BUFSZ];

	printf("coverage: %s of the %s mapped (%s%%) lay outside the monitoring "
	       "regions at %s", view_size(o, a, left_out), view_size(o, b, mapped),
	       format_percent(p, mapped ? 100.0 * (double)left_out /
			      (double)mapped : 0),
	       format_duration_ns(c, t_ns));
	puts(left_out ? ", so accesses there were not seen:" : "");
}

int view_hot(const struct view_data *d, const struct view_opts *o)
{
	const struct view_snap *last = &d->snaps[d->nr_snaps - 1];
	const struct maps *m = view_maps_at(d, last->t_end);
	unsigned top = o->top ? o->top : DEFAULT_TOP;
	struct excluded *ex = NULL;
	uint64_t mapped = 0, left_out = 0;
	size_t n, nex = 0, i;
	struct piece *p = pieces(d, m, &n);
	struct out t = { 0 }, te = { 0 };
	char who[64], a[UNITS_BUFSZ], b[UNITS_BUFSZ];
	int ret;

	if (!p || (m && !(ex = coverage(d, last, m, &nex, &mapped, &left_out))) ||
	    out_init(&t, "hot", o, term_hot,
		     sizeof(term_hot) / sizeof(term_hot[0]), NULL)) {
		free(p);
		free(ex);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	n = join(p, n);
	qsort(p, n, sizeof(*p), by_score);
	if (!o->json) {
		view_target_name(d, who, sizeof(who));
		printf("hottest memory of %s from %s to %s (%zu snapshot%s), by "
		       "access share times size:\n", who,
		       format_duration_ns(a, d->snaps[0].t_start),
		       format_duration_ns(b, last->t_end), d->nr_snaps,
		       d->nr_snaps == 1 ? "" : "s");
	}
	for (i = 0; i < n && i < top && score(&p[i]) > 0; i++)
		add_piece(&t, o, m, &p[i], i + 1);
	if (!i && !o->json)
		scols_table_enable_noheadings(t.tb, 1);
	if (o->json) {
		/* One document: the coverage rows go into the same table. */
		struct libscols_line *ln;

		for (i = 0; i < nex; i++)
			add_excluded(&t, o, &ex[i]);
		if (m && (ln = scols_table_new_line(t.tb, NULL))) {
			set(&t, ln, C_KIND, "coverage");
			set(&t, ln, C_SIZE, view_size(o, a, left_out));
			set(&t, ln, C_MAPPED, view_size(o, a, mapped));
		}
		ret = view_print_table(t.tb);
	} else {
		ret = view_print_table(t.tb);
		if (!n || !score(&p[0]))
			puts("(no region was accessed in this window)");
		if (!m) {
			puts("coverage: unknown: the recording has no maps of "
			     "the target (recorded by an older damonctl)");
		} else {
			print_coverage_line(o, mapped, left_out, last->t_end);
			if (nex && !ret && !out_init(&te, "excluded", o,
					term_excluded,
					sizeof(term_excluded) /
					sizeof(term_excluded[0]), "LEFT_OUT")) {
				for (i = 0; i < nex && i < MAX_EXCLUDED; i++)
					add_excluded(&te, o, &ex[i]);
				ret = view_print_table(te.tb);
				if (nex > MAX_EXCLUDED)
					printf("(and %zu more mappings: --json "
					       "lists them all)\n",
					       nex - MAX_EXCLUDED);
			}
		}
	}
	free(p);
	free(ex);
	return ret;
}
