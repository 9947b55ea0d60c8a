// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report: what a record file holds.  By default one table of the
 * regions each target had in its latest snapshot; --at picks another
 * snapshot; --format jsonl dumps every snapshot for scripts.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "damonctl.h"
#include "record.h"
#include "report.h"
#include "snapshot.h"
#include "units.h"

struct options {
	const char *file;
	/* Strings popt allocated and leaves to us to free. */
	char *columns;
	char *at;
	char *format;
	int json, raw, noheadings, bytes;
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
	for (i = 0; i < r->info.nr_targets; i++) {
		struct target_pick *t = pick_for(&sc->picks, r->info.targets[i].pid);

		if (!t)
			return -1;
		t->info = &r->info.targets[i];
	}
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
			const struct out_selection *sel, const struct at *at)
{
	const struct table_format fmt = {
		.out = {
			.json = opt->json, .raw = opt->raw,
			.noheadings = opt->noheadings,
		},
		.bytes = opt->bytes,
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
				      sc.origin_ns)) {
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
		CMDLINE_HELP,
		POPT_TABLEEND
	};
	struct out_selection sel;
	struct rec_reader r;
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
		cmdline_keep(rc == 'o' ? &opt.columns : rc == 'a' ? &opt.at :
			     &opt.format, poptGetOptArg(ctx));
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
	if (opt.format && !strcmp(opt.format, "jsonl")) {
		jsonl = true;
	} else if (opt.format && strcmp(opt.format, "table")) {
		ret = cmdline_usage("unknown format '%s': use table or jsonl",
				    opt.format);
		goto out;
	}
	if (jsonl && (opt.columns || opt.at || opt.json || opt.raw ||
		      opt.noheadings || opt.bytes)) {
		ret = cmdline_usage("--format jsonl prints every snapshot in full: "
				    "it takes none of -o, --at, --json, --raw, "
				    "--noheadings, --bytes");
		goto out;
	}
	if (opt.json && opt.raw) {
		ret = cmdline_usage("give --json or --raw, not both");
		goto out;
	}
	if (!jsonl) {
		if (report_select_columns(opt.columns, &sel))
			goto out;
		if (parse_at(opt.at, &at))
			goto out;
	}

	ret = rec_open(&r, opt.file);
	if (!ret) {
		ret = jsonl ? report_jsonl(&r) : report_table(&r, &opt, &sel, &at);
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
	poptFreeContext(ctx);
	return ret;
}
