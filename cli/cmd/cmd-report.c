// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report: what a record file holds.  By default one table of the
 * regions each target had in its latest snapshot; --at picks another
 * snapshot; --format jsonl dumps every snapshot for scripts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "damonctl.h"
#include "record.h"
#include "report.h"
#include "snapshot.h"
#include "units.h"
#include "view.h"

struct options {
	const char *file;
	/* Strings popt allocated and leaves to us to free. */
	char *columns;
	char *at;
	char *format;
	int json, raw, noheadings, bytes;
	/* The views' options, as given. */
	char *view, *export, *pid, *from, *to, *svg, *width, *height, *color,
	     *min_access, *top;
	/* The table's own. */
	char *sort, *range;
	/* --view temperature's. */
	char *weights;
	int over_time;
	int schemes;
};

enum {
	OPT_VIEW = 1000, OPT_EXPORT, OPT_PID, OPT_FROM, OPT_TO, OPT_SVG,
	OPT_WIDTH, OPT_HEIGHT, OPT_COLOR, OPT_MIN_ACCESS, OPT_TOP, OPT_SORT,
	OPT_RANGE, OPT_WEIGHTS,
};

/* Which snapshot --at means. */
struct at {
	enum { AT_LATEST, AT_SEQ, AT_TIME } kind;
	uint64_t seq;
	uint64_t ns;
};

static void kept_put(struct kept *k)
{
	if (k && !--k->refs) {
		free(k->rec);
		free(k);
	}
}

static struct target_pick *pick_for(struct picks *p, int32_t pid)
{
	struct target_pick *grown;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->t[i].pid == pid)
			return &p->t[i];
	grown = realloc(p->t, (p->n + 1) * sizeof(*p->t));
	if (!grown)
		return NULL;
	p->t = grown;
	memset(&p->t[p->n], 0, sizeof(*p->t));
	p->t[p->n].pid = pid;
	return &p->t[p->n++];
}

static void picks_free(struct picks *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		kept_put(p->t[i].snap);
	free(p->t);
}

static struct kept *keep(const void *rec, size_t len)
{
	struct kept *k = calloc(1, sizeof(*k));

	if (!k || !(k->rec = malloc(len))) {
		free(k);
		return NULL;
	}
	memcpy(k->rec, rec, len);
	k->len = len;
	return k;
}

static void pick(struct target_pick *t, struct kept *k)
{
	kept_put(t->snap);
	k->refs++;
	t->snap = k;
}

/* ---- choosing the snapshot ---- */

static int parse_at(const char *text, struct at *at)
{
	const char *why;

	if (!text) {
		at->kind = AT_LATEST;
		return 0;
	}
	if (text[0] == '#') {
		at->kind = AT_SEQ;
		if (!parse_count(text + 1, UINT64_MAX, &at->seq, &why))
			return 0;
	} else {
		at->kind = AT_TIME;
		if (!parse_duration_ns(text, &at->ns, &why))
			return 0;
	}
	return cmdline_usage("--at '%s' %s: give a time from the start of the "
			     "recording (e.g. --at 2.5s) or a snapshot number "
			     "(e.g. --at '#12')", text, why);
}

struct scan {
	struct picks picks;
	struct kept *at_snap;	/* the snapshot --at picked */
	uint64_t origin_ns;
	uint64_t first_seq, last_seq, first_end_ns;
	uint64_t nr_snapshots;
	struct mon_cost cost;	/* of the whole recording */
};

/* Reads every record; keeps what the table needs. */
static int scan_file(struct rec_reader *r, const struct at *at,
		     struct scan *sc)
{
	const void *rec;
	size_t len, i;
	int ret;

	sc->origin_ns = r->info.time.monotonic_ns;
	/* Targets in the order they were given, even those with no regions. */
	for (i = 0; i < r->info.nr_targets; i++)
		if (!pick_for(&sc->picks, r->info.targets[i].pid))
			return -1;
	while ((ret = rec_next(r, &rec, &len)) > 0) {
		const unsigned char *cursor;
		struct kept *k = NULL;
		struct rec_frame frame;
		struct snap s;
		const char *why;

		rec_frame_get(rec, &frame);
		if (frame.type != DAMON_RECORD_SNAPSHOT)
			continue;
		snap_parse(&s, rec, len, &why);
		cost_add(&sc->cost, &s.hdr);
		if (!sc->nr_snapshots++) {
			sc->first_seq = s.hdr.seq;
			sc->first_end_ns = s.hdr.end_ns;
			if (!sc->origin_ns)
				sc->origin_ns = s.hdr.start_ns;
		}
		sc->last_seq = s.hdr.seq;

		if (at->kind != AT_LATEST) {
			bool match = at->kind == AT_SEQ ? s.hdr.seq == at->seq :
				s.hdr.end_ns <= sc->origin_ns + at->ns;

			if (!match)
				continue;
			kept_put(sc->at_snap);
			sc->at_snap = keep(rec, len);
			if (!sc->at_snap)
				return -1;
			sc->at_snap->refs = 1;
			/* Show pids that only the snapshot knows, too. */
			cursor = s.first_target;
			for (i = 0; i < s.hdr.nr_targets; i++) {
				struct snap_target st;

				snap_next_target(&s, &cursor, &st);
				if (!pick_for(&sc->picks, st.t.pid))
					return -1;
			}
			continue;
		}
		cursor = s.first_target;
		for (i = 0; i < s.hdr.nr_targets; i++) {
			struct snap_target st;
			struct target_pick *t;

			snap_next_target(&s, &cursor, &st);
			if (!st.t.nr_regions)
				continue;	/* exited: keep its last regions */
			t = pick_for(&sc->picks, st.t.pid);
			if (!k)
				k = keep(rec, len);
			if (!t || !k)
				return -1;
			pick(t, k);
		}
		if (k && !k->refs)
			kept_put(k);
	}
	/* Names last: arrivals and execs grow and change the list as the
	 * file is read (and may move it). */
	for (i = 0; i < sc->picks.n; i++) {
		size_t j;

		sc->picks.t[i].info = NULL;
		for (j = 0; j < r->info.nr_targets; j++)
			if (r->info.targets[j].pid == sc->picks.t[i].pid)
				sc->picks.t[i].info = &r->info.targets[j];
	}
	return ret;
}

static int no_snapshot_at(const struct rec_reader *r, const struct at *at,
			  const struct scan *sc)
{
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ];

	if (at->kind == AT_SEQ && at->seq >= sc->first_seq &&
	    at->seq <= sc->last_seq)
		errmsg("snapshot #%" PRIu64 " is not in %s: the module dropped it "
		       "because its queue was full; pick a neighbour", at->seq,
		       r->path);
	else if (at->kind == AT_SEQ)
		errmsg("there is no snapshot #%" PRIu64 " in %s: its snapshots "
		       "are #%" PRIu64 " to #%" PRIu64, at->seq, r->path,
		       sc->first_seq, sc->last_seq);
	else
		errmsg("no snapshot of %s had ended %s after the start: the first "
		       "ended at %s", r->path, format_duration_ns(a, at->ns),
		       format_duration_ns(b, sc->first_end_ns > sc->origin_ns ?
					  sc->first_end_ns - sc->origin_ns : 0));
	return EXIT_FAIL;
}

static int report_table(struct rec_reader *r, const struct options *opt,
			const struct out_selection *sel, const struct at *at,
			const struct table_filter *filter)
{
	const struct table_format fmt = {
		.out = {
			.json = opt->json, .raw = opt->raw,
			.noheadings = opt->noheadings,
		},
		.bytes = opt->bytes,
		.filter = *filter,
	};
	struct scan sc = { 0 };
	int ret;

	ret = scan_file(r, at, &sc);
	rec_warn_tail(r);
	if (ret < 0) {
		errmsg("reading %s failed", r->path);
		ret = EXIT_FAIL;
	} else if (!sc.nr_snapshots) {
		errmsg("%s holds no snapshot: the recording ended before its first "
		       "aggregation interval did", r->path);
		ret = EXIT_FAIL;
	} else if (at->kind != AT_LATEST && !sc.at_snap) {
		ret = no_snapshot_at(r, at, &sc);
	} else if (report_print_table(&fmt, sel, &sc.picks, sc.at_snap,
				      sc.origin_ns, &sc.cost)) {
		errmsg("printing the table failed");
		ret = EXIT_FAIL;
	} else {
		ret = EXIT_OK;
	}
	kept_put(sc.at_snap);
	picks_free(&sc.picks);
	return ret;
}

/* ---- command line ---- */

static void help(poptContext ctx)
{
	poptPrintHelp(ctx, stdout, 0);
	fputs("\nFILE defaults to damon.rec.  --at WHEN picks a snapshot instead "
	      "of each\ntarget's latest: a time from the start of the recording "
	      "(--at 2.5s: the\nlatest snapshot that had ended by then) or a "
	      "snapshot number (--at '#12').\n", stdout);
	report_print_columns(stdout);
	fputs("\nFormats: table (the default; --json, --raw, --noheadings, -o "
	      "apply) and\njsonl (every snapshot, one JSON object per line; see "
	      "damonctl(8)).\n", stdout);
	fputs("\nViews (--view VIEW), of one target (--pid, default the first) "
	      "between --from\nand --to (times from the start of the "
	      "recording); --json for scripts:\n"
	      "  heatmap  access over time and address; --width, --height, "
	      "--color, --svg\n"
	      "  wss      working set size percentiles; --min-access, "
	      "--over-time, --svg\n"
	      "  hot      the hottest regions and the mappings they are in; "
	      "--top\n"
	      "  recency  how long memory has been idle\n"
	      "\n--export damo-json (or damo-json-compressed) writes the "
	      "recording to standard\noutput in the record format of damo, "
	      "the DAMON user space tool.\n", stdout);
}

static int parse_window(const char *name, const char *text, uint64_t *ns)
{
	const char *why;

	if (text && parse_duration_ns(text, ns, &why))
		return cmdline_usage("%s '%s' %s: give a time from the start of "
				     "the recording, e.g. %s 2.5s", name, text,
				     why, name);
	return 0;
}

static int parse_number(const char *name, const char *text, uint64_t min,
			uint64_t max, unsigned *out)
{
	const char *why;
	uint64_t v;

	if (!text)
		return 0;
	if (parse_count(text, UINT64_MAX, &v, &why))
		return cmdline_usage("%s '%s' %s", name, text, why);
	if (v < min || v > max)
		return cmdline_usage("%s must be from %" PRIu64 " to %" PRIu64,
				     name, min, max);
	*out = (unsigned)v;
	return 0;
}

static int parse_pid(const char *text, int32_t *pid)
{
	const char *why;
	uint64_t v;

	if (parse_count(text, INT32_MAX, &v, &why) || !v)
		return cmdline_usage("--pid '%s' is not a process id", text);
	*pid = (int32_t)v;
	return 0;
}

static int parse_min_access(const char *text, double *percent)
{
	char *end;

	*percent = strtod(text, &end);
	if (end != text && *end == '%')
		end++;
	if (end == text || *end || !(*percent >= 0) || *percent >= 100)
		return cmdline_usage("--min-access '%s' is not a percentage "
				     "from 0 to below 100 (e.g. 5 or 0.5%%)",
				     text);
	return 0;
}

/* "0x7f0000000000-0x7f0004000000": hexadecimal with 0x, else decimal. */
static int parse_range(const char *text, uint64_t *start, uint64_t *end)
{
	const char *dash = strchr(text, '-');
	char *stop;

	if (dash && dash != text) {
		errno = 0;
		*start = strtoull(text, &stop, 0);
		if (!errno && stop == dash && dash[1] && dash[1] != '-') {
			*end = strtoull(dash + 1, &stop, 0);
			if (!errno && !*stop && *start < *end)
				return 0;
		}
	}
	return cmdline_usage("--range '%s' is not START-END with START below "
			     "END (e.g. 0x7f0000000000-0x7f0010000000)", text);
}

/* The table's --pid, --min-access, --range and --sort. */
static int table_filter(const struct options *opt, struct table_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->min_access = -1;
	f->sort_col = -1;
	if (opt->pid && parse_pid(opt->pid, &f->pid))
		return EXIT_USAGE;
	f->have_pid = opt->pid;
	if (opt->min_access && parse_min_access(opt->min_access,
						&f->min_access))
		return EXIT_USAGE;
	if (opt->range && parse_range(opt->range, &f->range_start,
				      &f->range_end))
		return EXIT_USAGE;
	f->have_range = opt->range;
	if (opt->sort) {
		const char *name = opt->sort;

		f->sort_desc = *name == '-';
		f->sort_col = report_sort_column(name + f->sort_desc);
		if (f->sort_col < 0)
			return EXIT_USAGE;
	}
	return 0;
}

/* The view options into struct view_opts; 0 or EXIT_USAGE (printed). */
static int view_options(const struct options *opt, struct view_opts *v)
{
	memset(v, 0, sizeof(*v));
	v->to_ns = UINT64_MAX;
	v->json = opt->json;
	v->bytes = opt->bytes;
	v->svg = opt->svg;
	v->over_time = opt->over_time;
	v->w_access = v->w_age = 1;
	if (opt->view) {
		v->view = view_find(opt->view);
		if (!v->view)
			return cmdline_usage("unknown view '%s': use heatmap, wss, "
					     "hot, recency or temperature",
					     opt->view);
	}
	if (opt->weights) {
		char *end;

		v->have_weights = true;
		v->w_access = strtod(opt->weights, &end);
		if (end == opt->weights || *end != ',' ||
		    !(v->w_access >= 0) || end[1] == '\0')
			goto bad_weights;
		v->w_age = strtod(end + 1, &end);
		if (*end || !(v->w_age >= 0) || v->w_access + v->w_age == 0)
			goto bad_weights;
	}
	if (opt->export) {
		if (!strcmp(opt->export, "damo-json"))
			v->export = EXPORT_DAMO_JSON;
		else if (!strcmp(opt->export, "damo-json-compressed"))
			v->export = EXPORT_DAMO_JSON_ZLIB;
		else
			return cmdline_usage("unknown export format '%s': use "
					     "damo-json or damo-json-compressed",
					     opt->export);
	}
	if (opt->pid) {
		if (parse_pid(opt->pid, &v->pid))
			return EXIT_USAGE;
		v->have_pid = true;
	}
	if (parse_window("--from", opt->from, &v->from_ns) ||
	    parse_window("--to", opt->to, &v->to_ns) ||
	    parse_number("--width", opt->width, 8, 4096, &v->width) ||
	    parse_number("--height", opt->height, 1, 4096, &v->height) ||
	    parse_number("--top", opt->top, 1, 100000, &v->top))
		return EXIT_USAGE;
	if (opt->color) {
		if (!strcmp(opt->color, "always"))
			v->color = COLOR_ALWAYS;
		else if (!strcmp(opt->color, "never"))
			v->color = COLOR_NEVER;
		else if (strcmp(opt->color, "auto"))
			return cmdline_usage("--color '%s': use auto, always or "
					     "never", opt->color);
	}
	if (opt->min_access && parse_min_access(opt->min_access,
						&v->min_access))
		return EXIT_USAGE;
	return view_check_options(v);
bad_weights:
	return cmdline_usage("--temperature-weights '%s' is not ACCESS,AGE: "
			     "two weights of 0 or more, not both 0 (e.g. 1,1)",
			     opt->weights);
}

int cmd_report(int argc, const char **argv)
{
	struct options opt = { .file = "damon.rec" };
	struct poptOption options[] = {
		{ "output", 'o', POPT_ARG_STRING, NULL, 'o',
		  "columns to show; +LIST adds to the default", "LIST" },
		{ "json", 'J', POPT_ARG_NONE, &opt.json, 0,
		  "print the table as JSON", NULL },
		{ "raw", 'r', POPT_ARG_NONE, &opt.raw, 0,
		  "print the table unaligned, for scripts", NULL },
		{ "noheadings", 'n', POPT_ARG_NONE, &opt.noheadings, 0,
		  "leave out the header line", NULL },
		{ "bytes", 'b', POPT_ARG_NONE, &opt.bytes, 0,
		  "sizes in bytes and times in microseconds", NULL },
		{ "at", 'a', POPT_ARG_STRING, NULL, 'a',
		  "the snapshot to show: a time (2.5s) or '#N'", "WHEN" },
		{ "format", 'f', POPT_ARG_STRING, NULL, 'f',
		  "table (default) or jsonl", "FORMAT" },
		{ "view", 0, POPT_ARG_STRING, NULL, OPT_VIEW,
		  "heatmap, wss, hot, recency or temperature", "VIEW" },
		{ "export", 0, POPT_ARG_STRING, NULL, OPT_EXPORT,
		  "damo-json or damo-json-compressed, to standard output",
		  "FORMAT" },
		{ "pid", 'p', POPT_ARG_STRING, NULL, OPT_PID,
		  "the table: only this target's regions; a view: the target "
		  "it shows (default: the first)", "PID" },
		{ "sort", 's', POPT_ARG_STRING, NULL, OPT_SORT,
		  "the table: sort by this column; -COLUMN (--sort=-SIZE) "
		  "sorts in descending order", "COLUMN" },
		{ "range", 0, POPT_ARG_STRING, NULL, OPT_RANGE,
		  "the table: only regions that overlap these addresses",
		  "START-END" },
		{ "from", 0, POPT_ARG_STRING, NULL, OPT_FROM,
		  "views: snapshots that ended after this time", "WHEN" },
		{ "to", 0, POPT_ARG_STRING, NULL, OPT_TO,
		  "views: snapshots that had ended by this time", "WHEN" },
		{ "svg", 0, POPT_ARG_STRING, NULL, OPT_SVG,
		  "heatmap, wss: draw an SVG picture into FILE", "FILE" },
		{ "width", 0, POPT_ARG_STRING, NULL, OPT_WIDTH,
		  "heatmap: columns of the grid (default 80; 200 in SVG)", "N" },
		{ "height", 0, POPT_ARG_STRING, NULL, OPT_HEIGHT,
		  "heatmap: rows of the grid (default 20; 150 in SVG)", "N" },
		{ "color", 0, POPT_ARG_STRING, NULL, OPT_COLOR,
		  "heatmap: colours: auto (on a terminal), always, never",
		  "WHEN" },
		{ "min-access", 0, POPT_ARG_STRING, NULL, OPT_MIN_ACCESS,
		  "the table: only regions accessed in more than this % of "
		  "samples; wss: count only those (default 0)", "PERCENT" },
		{ "schemes", 0, POPT_ARG_NONE, &opt.schemes, 0,
		  "what the schemes (start --scheme) did, one row each", NULL },
		{ "over-time", 0, POPT_ARG_NONE, &opt.over_time, 0,
		  "wss: the working set size of every snapshot", NULL },
		{ "top", 0, POPT_ARG_STRING, NULL, OPT_TOP,
		  "hot: how many regions (default 10)", "N" },
		{ "temperature-weights", 0, POPT_ARG_STRING, NULL, OPT_WEIGHTS,
		  "temperature: weight of an access percentage point and of "
		  "a second of age (default 1,1)", "ACCESS,AGE" },
		CMDLINE_HELP,
		POPT_TABLEEND
	};
	struct table_filter filter;
	struct out_selection sel;
	struct view_opts vopt;
	struct rec_reader r;
	char **slot;
	bool views;
	const char **args;
	struct at at;
	poptContext ctx;
	int rc, ret = EXIT_USAGE;
	bool jsonl = false;

	ctx = cmdline_context(argc, argv, options, "[OPTION...] [FILE]", 0);
	if (!ctx)
		return EXIT_FAIL;
	while ((rc = poptGetNextOpt(ctx)) > 0) {
		if (rc == 'h') {
			help(ctx);
			ret = EXIT_OK;
			goto out;
		}
		switch (rc) {
		case 'o': slot = &opt.columns; break;
		case 'a': slot = &opt.at; break;
		case 'f': slot = &opt.format; break;
		case OPT_VIEW: slot = &opt.view; break;
		case OPT_EXPORT: slot = &opt.export; break;
		case OPT_PID: slot = &opt.pid; break;
		case OPT_FROM: slot = &opt.from; break;
		case OPT_TO: slot = &opt.to; break;
		case OPT_SVG: slot = &opt.svg; break;
		case OPT_WIDTH: slot = &opt.width; break;
		case OPT_HEIGHT: slot = &opt.height; break;
		case OPT_COLOR: slot = &opt.color; break;
		case OPT_MIN_ACCESS: slot = &opt.min_access; break;
		case OPT_SORT: slot = &opt.sort; break;
		case OPT_RANGE: slot = &opt.range; break;
		case OPT_WEIGHTS: slot = &opt.weights; break;
		default: slot = &opt.top; break;
		}
		cmdline_keep(slot, poptGetOptArg(ctx));
	}
	if (rc < -1) {
		ret = cmdline_bad_option(ctx, rc);
		goto out;
	}
	args = poptGetArgs(ctx);
	if (args && args[0] && args[1]) {
		ret = cmdline_usage("give at most one FILE");
		goto out;
	}
	if (args && args[0])
		opt.file = args[0];
	/* --pid and --min-access belong to the table and to the views. */
	views = opt.view || opt.export || opt.from || opt.to || opt.svg ||
		opt.width || opt.height || opt.color || opt.top ||
		opt.over_time || opt.weights;
	if (views) {
		if (opt.columns || opt.at || opt.format || opt.raw ||
		    opt.noheadings || opt.sort || opt.range) {
			ret = cmdline_usage("--view and --export take none of -o, "
					    "--at, --format, --raw, --noheadings, "
					    "--sort, --range (--from and --to "
					    "choose the time)");
			goto out;
		}
		ret = view_options(&opt, &vopt);
		if (ret)
			goto out;
	} else if (opt.format && !strcmp(opt.format, "jsonl")) {
		jsonl = true;
	} else if (opt.format && strcmp(opt.format, "table")) {
		ret = cmdline_usage("unknown format '%s': use table or jsonl",
				    opt.format);
		goto out;
	}
	if (jsonl && (opt.columns || opt.at || opt.json || opt.raw ||
		      opt.noheadings || opt.bytes || opt.pid || opt.sort ||
		      opt.range || opt.min_access)) {
		ret = cmdline_usage("--format jsonl prints every snapshot in full: "
				    "it takes none of -o, --at, --json, --raw, "
				    "--noheadings, --bytes, --pid, --sort, "
				    "--range, --min-access");
		goto out;
	}
	if (opt.schemes && (views || jsonl || opt.columns || opt.at ||
			    opt.pid || opt.sort || opt.range ||
			    opt.min_access)) {
		ret = cmdline_usage("--schemes prints the totals of the whole "
				    "recording: it takes only --json, --raw, "
				    "--noheadings and --bytes");
		goto out;
	}
	if (opt.json && opt.raw) {
		ret = cmdline_usage("give --json or --raw, not both");
		goto out;
	}
	if (!jsonl && !views && !opt.schemes) {
		if (report_select_columns(opt.columns, &sel))
			goto out;
		if (parse_at(opt.at, &at))
			goto out;
		if (table_filter(&opt, &filter))
			goto out;
	}

	ret = rec_open(&r, opt.file);
	if (!ret) {
		const struct out_format fmt = {
			.json = opt.json, .raw = opt.raw,
			.noheadings = opt.noheadings,
		};

		ret = views ? view_run(&r, &vopt) : jsonl ? report_jsonl(&r) :
			opt.schemes ? report_schemes(&r, &fmt, opt.bytes) :
			report_table(&r, &opt, &sel, &at, &filter);
		if (fflush(stdout) || ferror(stdout)) {
			errmsg("writing the report failed");
			ret = EXIT_FAIL;
		}
	}
	rec_close(&r);
out:
	free(opt.columns);
	free(opt.at);
	free(opt.format);
	free(opt.view);
	free(opt.export);
	free(opt.pid);
	free(opt.from);
	free(opt.to);
	free(opt.svg);
	free(opt.width);
	free(opt.height);
	free(opt.color);
	free(opt.min_access);
	free(opt.top);
	free(opt.sort);
	free(opt.range);
	free(opt.weights);
	poptFreeContext(ctx);
	return ret;
}
