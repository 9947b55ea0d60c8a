// SPDX-License-Identifier: GPL-2.0
/*
 * The region table of damonctl report: one row per region, columns as
 * lsblk does them (-o, --json, --raw, --noheadings), values in damo's
 * units unless --bytes asks for plain numbers.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdline.h"
#include "report.h"
#include "snapshot.h"
#include "units.h"

enum {
	COL_PID, COL_START, COL_END, COL_SIZE, COL_ACCESS, COL_HZ, COL_AGE,
	COL_NR_ACCESSES, COL_NR_PASSES, COL_AGE_INTERVALS, COL_SEQ, COL_TIME,
	COL_COMM, COL_COMMAND,
};

static const struct out_column columns[] = {
	[COL_PID] = { "PID", 0, SCOLS_FL_RIGHT, "target process" },
	[COL_START] = { "START", 0, SCOLS_FL_RIGHT, "first address of the region" },
	[COL_END] = { "END", 0, SCOLS_FL_RIGHT, "address just past the region" },
	[COL_SIZE] = { "SIZE", 0, SCOLS_FL_RIGHT, "size of the region (bytes with --bytes)" },
	[COL_ACCESS] = { "ACCESS", 0, SCOLS_FL_RIGHT,
		"share of the samples that found the region accessed (%)" },
	[COL_HZ] = { "HZ", 0, SCOLS_FL_RIGHT,
		"samples per second that found the region accessed" },
	[COL_AGE] = { "AGE", 0, SCOLS_FL_RIGHT,
		"how long the access rate has stayed about the same (us with --bytes)" },
	[COL_NR_ACCESSES] = { "NR_ACCESSES", 0, SCOLS_FL_RIGHT,
		"samples that found the region accessed" },
	[COL_NR_PASSES] = { "NR_PASSES", 0, SCOLS_FL_RIGHT,
		"samples taken of each region in the snapshot's interval" },
	[COL_AGE_INTERVALS] = { "AGE_INTERVALS", 0, SCOLS_FL_RIGHT,
		"AGE counted in aggregation intervals" },
	[COL_SEQ] = { "SEQ", 0, SCOLS_FL_RIGHT, "number of the snapshot (as in --at '#N')" },
	[COL_TIME] = { "TIME", 0, SCOLS_FL_RIGHT,
		"end of the snapshot's interval, from the start of the recording (us with --bytes)" },
	[COL_COMM] = { "COMM", 0, 0, "command name of the target" },
	[COL_COMMAND] = { "COMMAND", 0, SCOLS_FL_TRUNC, "command line of the target" },
};

#define NR_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static const int default_columns[] = {
	COL_PID, COL_START, COL_END, COL_SIZE, COL_ACCESS, COL_HZ, COL_AGE,
};

struct table_ctx {
	struct libscols_table *tb;
	const struct out_selection *sel;
	const struct table_format *fmt;
	uint64_t origin_ns;
};

static void set_cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	scols_line_set_data(ln, col, buf);
}

static int add_region_row(struct table_ctx *c, const struct snap *s,
			  const struct target_pick *t,
			  const struct damon_snapshot_region *r)
{
	struct libscols_line *ln = scols_table_new_line(c->tb, NULL);
	const struct table_format *fmt = c->fmt;
	char buf[UNITS_BUFSZ];
	uint64_t size = r->end - r->start;
	uint64_t age_us = (uint64_t)r->age * s->hdr.aggr_us;
	uint64_t time_ns = s->hdr.end_ns > c->origin_ns ?
		s->hdr.end_ns - c->origin_ns : 0;
	size_t i;

	if (!ln)
		return -1;
	for (i = 0; i < c->sel->n; i++) {
		switch (c->sel->ids[i]) {
		case COL_PID:
			set_cell(ln, i, "%d", (int)t->pid);
			break;
		case COL_START:
			set_cell(ln, i, "0x%" PRIx64, (uint64_t)r->start);
			break;
		case COL_END:
			set_cell(ln, i, "0x%" PRIx64, (uint64_t)r->end);
			break;
		case COL_SIZE:
			if (fmt->bytes)
				set_cell(ln, i, "%" PRIu64, size);
			else
				scols_line_set_data(ln, i, format_size(buf, size));
			break;
		case COL_ACCESS:
			/* No passes, no samples: there is no share to show. */
			if (s->hdr.nr_passes)
				set_cell(ln, i, "%s%s", format_percent(buf,
					 100.0 * r->nr_accesses / s->hdr.nr_passes),
					 fmt->out.json ? "" : "%");
			break;
		case COL_HZ:
			if (s->hdr.aggr_us)
				scols_line_set_data(ln, i, format_hz(buf,
					1e6 * r->nr_accesses / s->hdr.aggr_us));
			break;
		case COL_AGE:
			if (fmt->bytes)
				set_cell(ln, i, "%" PRIu64, age_us);
			else
				scols_line_set_data(ln, i,
					format_duration_us(buf, age_us));
			break;
		case COL_NR_ACCESSES:
			set_cell(ln, i, "%" PRIu32, r->nr_accesses);
			break;
		case COL_NR_PASSES:
			set_cell(ln, i, "%" PRIu32, s->hdr.nr_passes);
			break;
		case COL_AGE_INTERVALS:
			set_cell(ln, i, "%" PRIu32, r->age);
			break;
		case COL_SEQ:
			set_cell(ln, i, "%" PRIu64, (uint64_t)s->hdr.seq);
			break;
		case COL_TIME:
			if (fmt->bytes)
				set_cell(ln, i, "%" PRIu64, time_ns / 1000);
			else
				scols_line_set_data(ln, i,
					format_duration_ns(buf, time_ns));
			break;
		case COL_COMM:
			if (t->info)
				scols_line_set_data(ln, i, t->info->comm);
			break;
		case COL_COMMAND:
			if (t->info) {
				char *cmd = rec_target_cmdline(t->info);

				if (cmd)
					scols_line_refer_data(ln, i, cmd);
			}
			break;
		}
	}
	return 0;
}

static int json_type(int id, bool bytes)
{
	switch (id) {
	case COL_SIZE:
	case COL_AGE:
	case COL_TIME:
		return bytes ? SCOLS_JSON_NUMBER : SCOLS_JSON_STRING;
	case COL_START:
	case COL_END:
	case COL_COMM:
	case COL_COMMAND:
		return SCOLS_JSON_STRING;
	default:
		return SCOLS_JSON_NUMBER;
	}
}

/* A region of the table before it is printed: filtered, then sorted. */
struct row {
	const struct snap *s;
	const struct target_pick *t;
	struct damon_snapshot_region r;
	size_t order;		/* in the file: ties keep it */
};

struct rows {
	struct row *v;
	size_t n, cap;
	struct snap *snaps;	/* one per target pick, for the rows' s */
};

static double row_access(const struct row *w)
{
	return w->s->hdr.nr_passes ?
		100.0 * w->r.nr_accesses / w->s->hdr.nr_passes : 0;
}

static bool row_wanted(const struct table_filter *f, const struct row *w)
{
	if (f->have_pid && w->t->pid != f->pid)
		return false;
	if (f->min_access >= 0 && !(row_access(w) > f->min_access))
		return false;
	if (f->have_range && (w->r.end <= f->range_start ||
			      w->r.start >= f->range_end))
		return false;
	return true;
}

/* The regions of one target as they are in one snapshot. */
static int collect_target_rows(struct rows *rows, const struct table_filter *f,
			       const struct target_pick *t, struct snap *s)
{
	const unsigned char *cursor = s->first_target;
	uint32_t i, j;

	for (i = 0; i < s->hdr.nr_targets; i++) {
		struct snap_target st;

		snap_next_target(s, &cursor, &st);
		if (st.t.pid != t->pid)
			continue;
		for (j = 0; j < st.t.nr_regions; j++) {
			struct row w = { .s = s, .t = t, .order = rows->n };

			snap_region(&st, j, &w.r);
			if (!row_wanted(f, &w))
				continue;
			if (rows->n == rows->cap) {
				size_t cap = rows->cap ? rows->cap * 2 : 64;
				struct row *v = realloc(rows->v, cap * sizeof(*v));

				if (!v)
					return -1;
				rows->v = v;
				rows->cap = cap;
			}
			rows->v[rows->n++] = w;
		}
	}
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_double(double a, double b)
{
	return a < b ? -1 : a > b;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct row *a = pa, *b = pb;
	const struct table_filter *f = arg;
	char *ca, *cb;
	int c = 0;

	switch (f->sort_col) {
	case COL_PID:
		c = a->t->pid < b->t->pid ? -1 : a->t->pid > b->t->pid;
		break;
	case COL_START:
		c = cmp_u64(a->r.start, b->r.start);
		break;
	case COL_END:
		c = cmp_u64(a->r.end, b->r.end);
		break;
	case COL_SIZE:
		c = cmp_u64(a->r.end - a->r.start, b->r.end - b->r.start);
		break;
	case COL_ACCESS:
		c = cmp_double(row_access(a), row_access(b));
		break;
	case COL_HZ:
		c = cmp_double(a->s->hdr.aggr_us ? (double)a->r.nr_accesses /
			       a->s->hdr.aggr_us : 0,
			       b->s->hdr.aggr_us ? (double)b->r.nr_accesses /
			       b->s->hdr.aggr_us : 0);
		break;
	case COL_AGE:
		c = cmp_u64((uint64_t)a->r.age * a->s->hdr.aggr_us,
			    (uint64_t)b->r.age * b->s->hdr.aggr_us);
		break;
	case COL_NR_ACCESSES:
		c = cmp_u64(a->r.nr_accesses, b->r.nr_accesses);
		break;
	case COL_NR_PASSES:
		c = cmp_u64(a->s->hdr.nr_passes, b->s->hdr.nr_passes);
		break;
	case COL_AGE_INTERVALS:
		c = cmp_u64(a->r.age, b->r.age);
		break;
	case COL_SEQ:
		c = cmp_u64(a->s->hdr.seq, b->s->hdr.seq);
		break;
	case COL_TIME:
		c = cmp_u64(a->s->hdr.end_ns, b->s->hdr.end_ns);
		break;
	case COL_COMM:
		c = cmp_str(a->t->info ? a->t->info->comm : NULL,
			    b->t->info ? b->t->info->comm : NULL);
		break;
	case COL_COMMAND:
		ca = a->t->info ? rec_target_cmdline(a->t->info) : NULL;
		cb = b->t->info ? rec_target_cmdline(b->t->info) : NULL;
		c = cmp_str(ca, cb);
		free(ca);
		free(cb);
		break;
	}
	if (f->sort_desc)
		c = -c;
	return c ? c : cmp_u64(a->order, b->order);
}

int report_sort_column(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COLUMNS; i++)
		if (!strcasecmp(columns[i].name, name))
			return (int)i;
	cmdline_usage("--sort: unknown column '%s' (the columns are listed "
		      "by --help)", name);
	return -1;
}

/*
 * libsmartcols prints one object holding the table; the cost goes into
 * that object as a member of its own, before the closing brace.
 */
static int print_json_with_cost(struct libscols_table *tb,
				const struct mon_cost *cost)
{
	char *json = NULL, *end;
	int ret = -1;

	if (scols_print_table_to_string(tb, &json) || !json)
		goto out;
	end = strrchr(json, '}');
	if (!end)
		goto out;
	*end = '\0';
	while (end > json && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	printf("%s,\n   \"cost\": {\"snapshots\": %" PRIu64
	       ", \"cpu_ns\": %" PRIu64 ", \"cpu_percent\": %.3f"
	       ", \"samples_done\": %" PRIu64 ", \"samples_due\": %" PRIu64
	       ", \"samples_percent\": %.3f, \"dropped\": %" PRIu64
	       ", \"tlb_flushes\": %" PRIu64 ", \"upper_bits_snapshots\": %"
	       PRIu64 ", \"upper_mglru_snapshots\": %" PRIu64
	       ", \"sample_us\": [%" PRIu64
	       ", %" PRIu64 ", %" PRIu64 "], \"aggr_us\": [%" PRIu64 ", %"
	       PRIu64 ", %" PRIu64 "]}\n}\n",
	       json, cost->snapshots, cost->cpu_ns, cost_cpu_percent(cost),
	       cost->samples_done, cost->samples_due,
	       cost_samples_percent(cost), cost->dropped, cost->tlb_flushes,
	       cost->upper_used, cost->upper_mglru, cost->sample_min_us,
	       cost->sample_max_us, cost->sample_last_us, cost->aggr_min_us,
	       cost->aggr_max_us, cost->aggr_last_us);
	ret = 0;
out:
	free(json);
	return ret;
}

int report_print_table(const struct table_format *fmt,
		       const struct out_selection *sel,
		       const struct picks *picks, const struct kept *at_snap,
		       uint64_t origin_ns, const struct mon_cost *cost)
{
	struct table_ctx c = { .sel = sel, .fmt = fmt, .origin_ns = origin_ns };
	struct rows rows = { 0 };
	size_t i;
	int ret = 0;

	c.tb = out_new_table("regions", &fmt->out);
	if (!c.tb)
		return -1;
	for (i = 0; i < sel->n && !ret; i++) {
		const struct out_column *col = &columns[sel->ids[i]];
		struct libscols_column *cl;

		cl = scols_table_new_column(c.tb, col->name, col->whint,
					    col->flags);
		if (!cl)
			ret = -1;
		else
			scols_column_set_json_type(cl,
				json_type(sel->ids[i], fmt->bytes));
	}
	rows.snaps = calloc(picks->n ? picks->n : 1, sizeof(*rows.snaps));
	if (!rows.snaps)
		ret = -1;
	for (i = 0; i < picks->n && !ret; i++) {
		const struct kept *k = at_snap ? at_snap : picks->t[i].snap;
		const char *why;

		if (!k)
			continue;
		/* Cannot fail: the snapshot was checked when it was read. */
		if (snap_parse(&rows.snaps[i], k->rec, k->len, &why))
			ret = -1;
		else
			ret = collect_target_rows(&rows, &fmt->filter,
						  &picks->t[i], &rows.snaps[i]);
	}
	if (!ret && fmt->filter.sort_col >= 0)
		qsort_r(rows.v, rows.n, sizeof(*rows.v), cmp_rows,
			(void *)&fmt->filter);
	for (i = 0; i < rows.n && !ret; i++)
		ret = add_region_row(&c, rows.v[i].s, rows.v[i].t, &rows.v[i].r);
	free(rows.v);
	free(rows.snaps);
	if (!ret && fmt->out.json) {
		ret = print_json_with_cost(c.tb, cost);
	} else if (!ret) {
		/* A line for people; --raw and --noheadings are for scripts. */
		if (!fmt->out.raw && !fmt->out.noheadings) {
			char line[512];

			printf("monitoring cost: %s\n",
			       format_cost(line, sizeof(line), cost));
		}
		ret = scols_print_table(c.tb) ? -1 : 0;
	}
	scols_unref_table(c.tb);
	return ret;
}

int report_select_columns(const char *list, struct out_selection *sel)
{
	return out_select(columns, NR_COLUMNS, default_columns,
			  sizeof(default_columns) / sizeof(default_columns[0]),
			  list, sel);
}

void report_print_columns(FILE *out)
{
	out_print_columns(out, columns, NR_COLUMNS);
}
