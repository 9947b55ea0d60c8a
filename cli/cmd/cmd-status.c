// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl status: the background recordings of this user, with the ID
 * that "stop" takes.  Everything shown comes from the state file (what the
 * recorder published when it started) and from the record file as it is
 * now: a running recorder has written whole snapshots up to its last one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "damonctl.h"
#include "output.h"
#include "cost.h"
#include "statefile.h"
#include "units.h"

enum {
	COL_ID,
	COL_STATE,
	COL_TARGETS,
	COL_FILE,
	COL_RUNNING,
	COL_SNAPSHOTS,
	COL_DROPPED,
	COL_SIZE,
	COL_STARTED,
	NR_COLUMNS
};

static const struct out_column columns[NR_COLUMNS] = {
	[COL_ID] = { "ID", 0, SCOLS_FL_RIGHT, "the recording's ID, for 'damonctl stop'" },
	[COL_STATE] = { "STATE", 0, 0,
		"running, or dead (its recorder is gone without finishing: 'damonctl stop ID' cleans up)" },
	[COL_TARGETS] = { "TARGETS", 0, 0, "what is recorded" },
	[COL_FILE] = { "FILE", 0, 0, "the record file" },
	[COL_RUNNING] = { "RUNNING", 0, SCOLS_FL_RIGHT,
		"time since the recording started (seconds with --bytes)" },
	[COL_SNAPSHOTS] = { "SNAPSHOTS", 0, SCOLS_FL_RIGHT, "snapshots in the file so far" },
	[COL_DROPPED] = { "DROPPED", 0, SCOLS_FL_RIGHT,
		"snapshots the module dropped because the recorder fell behind" },
	[COL_SIZE] = { "SIZE", 0, SCOLS_FL_RIGHT, "size of the file (bytes with --bytes)" },
	[COL_STARTED] = { "STARTED", 0, 0, "when it started (local time; seconds since the epoch with --bytes)" },
};

static const int default_columns[] = {
	COL_ID, COL_STATE, COL_TARGETS, COL_RUNNING, COL_SNAPSHOTS,
	COL_DROPPED, COL_SIZE, COL_FILE,
};

static int json_type(int id, bool bytes)
{
	switch (id) {
	case COL_ID:
	case COL_SNAPSHOTS:
	case COL_DROPPED:
		return SCOLS_JSON_NUMBER;
	case COL_RUNNING:
	case COL_SIZE:
	case COL_STARTED:
		return bytes ? SCOLS_JSON_NUMBER : SCOLS_JSON_STRING;
	default:
		return SCOLS_JSON_STRING;
	}
}

static void fill_cell(struct libscols_line *ln, size_t col, int id,
		      const struct bg_state *st, bool live,
		      const struct rec_outcome *oc, bool readable, bool bytes)
{
	char buf[UNITS_BUFSZ];
	int64_t now = (int64_t)time(NULL);
	uint64_t running = now > st->started ? (uint64_t)(now - st->started) : 0;
	struct tm tm;
	time_t t;

	switch (id) {
	case COL_ID:
		out_cell(ln, col, "%d", (int)st->pid);
		break;
	case COL_STATE:
		out_cell(ln, col, "%s", live ? "running" : "dead");
		break;
	case COL_TARGETS:
		out_cell(ln, col, "%s", st->targets);
		break;
	case COL_FILE:
		out_cell(ln, col, "%s", st->output);
		break;
	case COL_RUNNING:
		if (bytes)
			out_cell(ln, col, "%" PRIu64, running);
		else
			out_cell(ln, col, "%s",
				 format_duration_ns(buf, running * 1000000000ULL));
		break;
	case COL_SNAPSHOTS:
		if (readable)
			out_cell(ln, col, "%" PRIu64, oc->snapshots);
		break;
	case COL_DROPPED:
		if (readable)
			out_cell(ln, col, "%" PRIu64, oc->cost.dropped);
		break;
	case COL_SIZE:
		if (bytes)
			out_cell(ln, col, "%" PRIu64, oc->bytes);
		else
			out_cell(ln, col, "%s", format_size(buf, oc->bytes));
		break;
	case COL_STARTED:
		t = (time_t)st->started;
		if (bytes)
			out_cell(ln, col, "%" PRId64, st->started);
		else if (localtime_r(&t, &tm) &&
			 strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
			out_cell(ln, col, "%s", buf);
		break;
	}
}

static int print_status(const struct out_format *fmt, bool bytes,
			const struct out_selection *sel)
{
	struct libscols_table *tb;
	pid_t *ids;
	size_t n, i;
	int ret = 0;

	if (state_list(&ids, &n))
		return EXIT_FAIL;
	tb = out_new_table("recordings", fmt);
	if (!tb) {
		free(ids);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < sel->n && !ret; i++) {
		const struct out_column *c = &columns[sel->ids[i]];

		if (!out_add_column(tb, c->name, c->flags,
				    json_type(sel->ids[i], bytes)))
			ret = -1;
	}
	for (i = 0; i < n && !ret; i++) {
		struct libscols_line *ln;
		struct rec_outcome oc;
		bool readable;
		struct bg_state st;
		bool live;
		size_t c;
		int fd;

		/* Gone between the listing and now: finished, not shown. */
		if (state_open(ids[i], &st, &fd))
			continue;
		live = state_is_live(fd);
		close(fd);
		readable = !rec_read_outcome(st.output, &oc);
		ln = scols_table_new_line(tb, NULL);
		if (!ln)
			ret = -1;
		for (c = 0; c < sel->n && ln; c++)
			fill_cell(ln, c, sel->ids[c], &st, live, &oc, readable,
				  bytes);
		bg_state_free(&st);
	}
	/* Nothing to list is no error; JSON still says so as an empty list. */
	if (!ret && !n && !fmt->json)
		fprintf(stderr, "%s: no background recording of yours is "
			"running\n", command_name);
	else if (!ret)
		ret = scols_print_table(tb) ? -1 : 0;
	scols_unref_table(tb);
	free(ids);
	if (ret) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_status(int argc, const char **argv)
{
	int json = 0, raw = 0, noheadings = 0, bytes = 0;
	char *columns_arg = NULL;
	struct poptOption options[] = {
		{ "output", 'o', POPT_ARG_STRING, NULL, 'o',
		  "columns to show (see below; +LIST adds to the default)",
		  "LIST" },
		{ "json", 'J', POPT_ARG_NONE, &json, 0, "JSON output", NULL },
		{ "raw", 'r', POPT_ARG_NONE, &raw, 0,
		  "one line per recording, fields separated by spaces", NULL },
		{ "noheadings", 'n', POPT_ARG_NONE, &noheadings, 0,
		  "no header line", NULL },
		{ "bytes", 'b', POPT_ARG_NONE, &bytes, 0,
		  "sizes in bytes, times in seconds", NULL },
		CMDLINE_HELP,
		POPT_TABLEEND
	};
	struct out_selection sel;
	struct out_format fmt;
	poptContext ctx;
	int rc, ret = EXIT_USAGE;

	ctx = cmdline_context(argc, argv, options, "[OPTION...]", 0);
	if (!ctx)
		return EXIT_FAIL;
	while ((rc = poptGetNextOpt(ctx)) > 0) {
		if (rc == 'o') {
			cmdline_keep(&columns_arg, poptGetOptArg(ctx));
			continue;
		}
		poptPrintHelp(ctx, stdout, 0);	/* 'h' */
		fputs("\nLists your background recordings ('damonctl start "
		      "--background'); ID is what\n'damonctl stop' takes.\n",
		      stdout);
		out_print_columns(stdout, columns, NR_COLUMNS);
		ret = EXIT_OK;
		goto out;
	}
	if (rc < -1) {
		ret = cmdline_bad_option(ctx, rc);
		goto out;
	}
	if (poptGetArgs(ctx)) {
		ret = cmdline_usage("status takes no arguments");
		goto out;
	}
	if (out_select(columns, NR_COLUMNS, default_columns,
		       sizeof(default_columns) / sizeof(default_columns[0]),
		       columns_arg, &sel))
		goto out;
	fmt = (struct out_format){ .json = json, .raw = raw,
				   .noheadings = noheadings };
	ret = print_status(&fmt, bytes, &sel);
out:
	free(columns_arg);
	poptFreeContext(ctx);
	return ret;
}
