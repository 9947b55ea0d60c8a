// SPDX-License-Identifier: GPL-2.0
/*
 * Loading one target's snapshots for the views of damonctl report, and
 * what the views share.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "output.h"
#include "damonctl.h"
#include "snapshot.h"
#include "units.h"
#include "view.h"

const struct view_def view_defs[NR_VIEWS] = {
	[VIEW_HEATMAP] = { "heatmap", view_heatmap },
	[VIEW_WSS] = { "wss", view_wss },
	[VIEW_HOT] = { "hot", view_hot },
	[VIEW_RECENCY] = { "recency", view_recency },
	[VIEW_TEMPERATURE] = { "temperature", view_temperature },
};

enum view_kind view_find(const char *name)
{
	int i;

	for (i = VIEW_NONE + 1; i < NR_VIEWS; i++)
		if (!strcmp(view_defs[i].name, name))
			return (enum view_kind)i;
	return VIEW_NONE;
}

/* Options that only some views take; a mistake is better said than ignored. */
int view_check_options(const struct view_opts *o)
{
	const char *name = o->view ? view_defs[o->view].name : NULL;

	if (o->export && o->view)
		return cmdline_usage("give --view or --export, not both");
	if (o->export && (o->json || o->svg || o->have_pid))
		return cmdline_usage("--export writes every target in damo's "
				     "format: it takes none of --json, --svg, --pid");
	if (!o->view && !o->export)
		return cmdline_usage("--from, --to, --svg, --width, --height, "
				     "--color, --over-time, --top and "
				     "--temperature-weights are options of "
				     "--view");
	if (o->svg && o->json)
		return cmdline_usage("give --svg or --json, not both");
	if (o->svg && o->view != VIEW_HEATMAP && o->view != VIEW_WSS)
		return cmdline_usage("--svg draws --view heatmap or wss, not %s",
				     name);
	if ((o->width || o->height) && o->view != VIEW_HEATMAP)
		return cmdline_usage("--width and --height are options of "
				     "--view heatmap");
	if (o->color != COLOR_AUTO && o->view != VIEW_HEATMAP)
		return cmdline_usage("--color is an option of --view heatmap");
	if ((o->min_access > 0 || o->over_time) && o->view != VIEW_WSS)
		return cmdline_usage("--min-access and --over-time are options "
				     "of --view wss");
	if (o->top && o->view != VIEW_HOT)
		return cmdline_usage("--top is an option of --view hot");
	if (o->have_weights && o->view != VIEW_TEMPERATURE)
		return cmdline_usage("--temperature-weights is an option of "
				     "--view temperature");
	if (o->from_ns >= o->to_ns)
		return cmdline_usage("--from must be before --to");
	return 0;
}

double view_access(const struct view_snap *s, const struct view_region *r)
{
	if (!s->nr_passes)
		return 0;
	/* A module may count a sample twice in a pass it cuts short. */
	if (r->nr_accesses >= s->nr_passes)
		return 1;
	return (double)r->nr_accesses / s->nr_passes;
}

const struct maps *view_maps_at(const struct view_data *d, uint64_t t_ns)
{
	size_t i;

	if (!d->nr_maps)
		return NULL;
	for (i = d->nr_maps; i-- > 1; )
		if (d->maps[i].t_ns <= t_ns)
			return &d->maps[i].maps;
	return &d->maps[0].maps;
}

void view_target_name(const struct view_data *d, char *buf, size_t len)
{
	if (d->target && d->target->comm[0])
		snprintf(buf, len, "pid %d (%s)", (int)d->pid, d->target->comm);
	else
		snprintf(buf, len, "pid %d", (int)d->pid);
}

bool view_use_color(enum view_color c)
{
	const char *term = getenv("TERM");

	if (c != COLOR_AUTO)
		return c == COLOR_ALWAYS;
	/* https://no-color.org: any value turns colour off. */
	if (getenv("NO_COLOR") && getenv("NO_COLOR")[0])
		return false;
	return isatty(STDOUT_FILENO) && term && strcmp(term, "dumb");
}

struct libscols_table *view_table(const char *name, const struct view_opts *o,
				  const struct view_col *cols, size_t n)
{
	struct out_format fmt = { .json = o->json };
	struct libscols_table *tb = out_new_table(name, &fmt);
	size_t i;

	for (i = 0; tb && i < n; i++)
		if (!out_add_column(tb, o->json ? cols[i].json_name : cols[i].name,
				    cols[i].flags, cols[i].json_type)) {
			scols_unref_table(tb);
			return NULL;
		}
	return tb;
}

int view_out_init(struct view_out *t, const char *name,
		  const struct view_opts *o, const struct view_col *cols,
		  const int *ids, size_t n, const int *json_ids, size_t json_n)
{
	struct view_col c[VIEW_MAX_COLS];
	size_t i;

	if (o->json) {
		ids = json_ids;
		n = json_n;
	}
	memset(t->pos, -1, sizeof(t->pos));
	for (i = 0; i < n && i < VIEW_MAX_COLS; i++) {
		c[i] = cols[ids[i]];
		t->pos[ids[i]] = (int)i;
	}
	t->tb = view_table(name, o, c, i);
	return t->tb ? 0 : -1;
}

void view_out_set(const struct view_out *t, struct libscols_line *ln, int id,
		  const char *text)
{
	if (t->pos[id] >= 0)
		scols_line_set_data(ln, (size_t)t->pos[id], text);
}

void view_out_bucket(const struct view_out *t, struct libscols_line *ln,
		     const struct view_opts *o, const int ids[3],
		     uint64_t bytes, uint64_t total, uint64_t max)
{
	char buf[UNITS_BUFSZ], bar[VIEW_BAR_WIDTH + 1];
	size_t len = max ? (size_t)((double)bytes / (double)max *
				    VIEW_BAR_WIDTH + 0.5) : 0;

	view_out_set(t, ln, ids[0], view_size(o, buf, bytes));
	format_percent(buf, total ? 100.0 * (double)bytes / (double)total : 0);
	if (!o->json)
		strcat(buf, "%");
	view_out_set(t, ln, ids[1], buf);
	memset(bar, '#', len);
	bar[len] = '\0';
	view_out_set(t, ln, ids[2], bar);
}

int view_print_table(struct libscols_table *tb)
{
	int ret = tb && !scols_print_table(tb) ? 0 : EXIT_FAIL;

	if (ret)
		errmsg("printing the table failed");
	scols_unref_table(tb);
	return ret;
}

const char *view_size(const struct view_opts *o, char *buf, uint64_t bytes)
{
	if (o->json || o->bytes) {
		snprintf(buf, UNITS_BUFSZ, "%" PRIu64, bytes);
		return buf;
	}
	return format_size(buf, bytes);
}

const char *view_time(const struct view_opts *o, char *buf, uint64_t ns)
{
	if (o->json)
		snprintf(buf, UNITS_BUFSZ, "%" PRIu64, ns);
	else if (o->bytes)
		snprintf(buf, UNITS_BUFSZ, "%" PRIu64, ns / 1000);
	else
		format_duration_ns(buf, ns);
	return buf;
}

/* ---- loading ---- */

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return p;
	while (ncap < need)
		ncap *= 2;
	q = realloc(p, ncap * size);
	if (q)
		*cap = ncap;
	return q;
}

struct loader {
	struct view_data *d;
	const struct view_opts *o;
	size_t snaps_cap, regions_cap, maps_cap;
	bool pid_chosen, pid_seen;
};

static int add_maps(struct loader *l, const void *rec, size_t len)
{
	struct view_data *d = l->d;
	struct damonrec_maps hdr;
	struct view_maps *vm;
	const char *text;
	size_t text_len;
	void *p;

	if (rec_parse_maps(rec, len, &hdr, &text, &text_len) ||
	    hdr.pid != d->pid)
		return 0;
	p = grow(d->maps, &l->maps_cap, d->nr_maps + 1, sizeof(*d->maps));
	if (!p)
		return -1;
	d->maps = p;
	vm = &d->maps[d->nr_maps];
	vm->t_ns = hdr.monotonic_ns > d->origin_ns ?
		hdr.monotonic_ns - d->origin_ns : 0;
	if (maps_parse(text, text_len, &vm->maps))
		return -1;
	d->nr_maps++;
	return 0;
}

static int add_snapshot(struct loader *l, const void *rec, size_t len)
{
	struct view_data *d = l->d;
	const unsigned char *cursor;
	struct view_snap *vs;
	const char *why;
	struct snap s;
	uint32_t i, j;
	void *p;

	snap_parse(&s, rec, len, &why);	/* checked by rec_next() */
	cursor = s.first_target;
	for (i = 0; i < s.hdr.nr_targets; i++) {
		struct snap_target st;
		uint64_t t_end;

		snap_next_target(&s, &cursor, &st);
		if (!l->pid_chosen) {	/* no target in the header */
			d->pid = st.t.pid;
			l->pid_chosen = true;
		}
		if (st.t.pid != d->pid)
			continue;
		l->pid_seen = true;
		t_end = s.hdr.end_ns > d->origin_ns ? s.hdr.end_ns - d->origin_ns : 0;
		/* In the window: those that had ended by --to, after --from. */
		if (!st.t.nr_regions || t_end <= l->o->from_ns ||
		    t_end > l->o->to_ns)
			continue;
		p = grow(d->snaps, &l->snaps_cap, d->nr_snaps + 1,
			 sizeof(*d->snaps));
		if (!p)
			return -1;
		d->snaps = p;
		p = grow(d->regions, &l->regions_cap,
			 d->nr_regions + st.t.nr_regions, sizeof(*d->regions));
		if (!p)
			return -1;
		d->regions = p;
		vs = &d->snaps[d->nr_snaps++];
		vs->seq = s.hdr.seq;
		vs->t_start = s.hdr.start_ns > d->origin_ns ?
			s.hdr.start_ns - d->origin_ns : 0;
		vs->t_end = t_end;
		vs->sample_us = s.hdr.sample_us;
		vs->aggr_us = s.hdr.aggr_us;
		vs->nr_passes = s.hdr.nr_passes;
		vs->first = d->nr_regions;
		vs->n = st.t.nr_regions;
		for (j = 0; j < st.t.nr_regions; j++) {
			struct damon_snapshot_region r;
			struct view_region *vr = &d->regions[d->nr_regions++];

			snap_region(&st, j, &r);
			vr->start = r.start;
			vr->end = r.end;
			vr->nr_accesses = r.nr_accesses;
			vr->age = r.age;
		}
	}
	return 0;
}

static int no_such_pid(const struct rec_reader *r, int32_t pid)
{
	char list[256] = "";
	size_t i, n = 0;

	for (i = 0; i < r->info.nr_targets && n < sizeof(list) - 16; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d",
				      i ? ", " : "", (int)r->info.targets[i].pid);
	if (n)
		errmsg("pid %d is not a target of %s: its targets are %s",
		       (int)pid, r->path, list);
	else
		errmsg("pid %d is not a target of %s", (int)pid, r->path);
	return EXIT_FAIL;
}

int view_load(struct rec_reader *r, const struct view_opts *o,
	      struct view_data *d)
{
	struct loader l = { .d = d, .o = o };
	const void *rec;
	size_t len, i;
	int ret;

	memset(d, 0, sizeof(*d));
	d->path = r->path;
	d->info = &r->info;
	d->origin_ns = r->info.time.monotonic_ns;
	if (o->have_pid) {
		d->pid = o->pid;
		l.pid_chosen = true;
	} else if (r->info.nr_targets) {
		d->pid = r->info.targets[0].pid;
		l.pid_chosen = true;
	}
	for (i = 0; i < r->info.nr_targets; i++)
		if (l.pid_chosen && r->info.targets[i].pid == d->pid) {
			d->target = &r->info.targets[i];
			l.pid_seen = true;
		}
	while ((ret = rec_next(r, &rec, &len)) > 0) {
		struct rec_frame frame;

		rec_frame_get(rec, &frame);
		if (frame.type == DAMON_RECORD_SNAPSHOT) {
			/* No time in the header: the first snapshot is 0. */
			if (!d->origin_ns) {
				struct snap s;
				const char *why;

				snap_parse(&s, rec, len, &why);
				d->origin_ns = s.hdr.start_ns;
			}
			ret = add_snapshot(&l, rec, len);
		} else if (frame.type == DAMONREC_RECORD_MAPS && l.pid_chosen) {
			ret = add_maps(&l, rec, len);
		}
		if (ret < 0) {
			errmsg("out of memory reading %s", r->path);
			return EXIT_FAIL;
		}
	}
	rec_warn_tail(r);
	if (ret < 0)
		return EXIT_FAIL;
	if (o->have_pid && !l.pid_seen)
		return no_such_pid(r, o->pid);
	if (!d->nr_snaps) {
		char a[UNITS_BUFSZ], b[UNITS_BUFSZ];

		if (!r->snapshots)
			errmsg("%s holds no snapshot: the recording ended before "
			       "its first aggregation interval did", r->path);
		else if (o->from_ns || o->to_ns != UINT64_MAX)
			errmsg("pid %d has no regions in a snapshot of %s that "
			       "ended after %s and by %s", (int)d->pid, r->path,
			       format_duration_ns(a, o->from_ns),
			       o->to_ns == UINT64_MAX ? "the end" :
			       format_duration_ns(b, o->to_ns));
		else
			errmsg("pid %d has no regions in any snapshot of %s",
			       (int)d->pid, r->path);
		return EXIT_FAIL;
	}
	return 0;
}

void view_data_free(struct view_data *d)
{
	size_t i;

	for (i = 0; i < d->nr_maps; i++)
		maps_free(&d->maps[i].maps);
	free(d->maps);
	free(d->snaps);
	free(d->regions);
	memset(d, 0, sizeof(*d));
}

int view_run(struct rec_reader *r, const struct view_opts *o)
{
	struct view_data d;
	int ret;

	if (o->export)
		return export_damo(r, o);
	ret = view_load(r, o, &d);
	if (!ret)
		ret = view_defs[o->view].show(&d, o);
	view_data_free(&d);
	return ret;
}
