// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --schemes: what the schemes of a recording did, one row
 * per scheme, from the last schemes record (its counters are the totals).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "damonctl.h"
#include "output.h"
#include "record.h"
#include "report.h"
#include "scheme.h"
#include "snapshot.h"
#include "units.h"

enum {
	K_SCHEME, K_ACTION, K_STATE, K_MATCHED, K_APPLIED, K_QUOTA,
	K_UNMAPPED, K_REFUSED, K_ERROR, K_ACTIVE, K_CPU, K_PATTERN, K_COUNT
};

static const struct {
	const char *name;
	int flags;
	int json;
} cols[K_COUNT] = {
	[K_SCHEME] = { "SCHEME", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_ACTION] = { "ACTION", 0, SCOLS_JSON_STRING },
	[K_STATE] = { "STATE", 0, SCOLS_JSON_STRING },
	[K_MATCHED] = { "MATCHED", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_APPLIED] = { "APPLIED", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_QUOTA] = { "QUOTA-HELD", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_UNMAPPED] = { "UNMAPPED", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_REFUSED] = { "REFUSED", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_ERROR] = { "LAST-ERROR", 0, SCOLS_JSON_STRING },
	[K_ACTIVE] = { "ACTIVE", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_CPU] = { "CPU", SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[K_PATTERN] = { "PATTERN", 0, SCOLS_JSON_STRING },
};

static const char *state(const struct damonrec_scheme_stats *s)
{
	if (s->flags & DAMONREC_SCHEME_STAT_ONLY)
		return "stat-only";
	if (!s->snapshots)
		return "not-started";
	return s->flags & DAMONREC_SCHEME_ACTIVE ? "acting" : "waiting";
}

static void size_cell(struct libscols_line *ln, int col, uint64_t v,
		      bool bytes)
{
	char b[UNITS_BUFSZ];

	if (bytes)
		out_cell(ln, (size_t)col, "%" PRIu64, v);
	else
		out_cell(ln, (size_t)col, "%s", format_size(b, v));
}

static int print(const struct damonrec_scheme_stats *st, int n,
		 const struct out_format *fmt, bool bytes)
{
	struct libscols_table *tb = out_new_table("schemes", fmt);
	char b[UNITS_BUFSZ];
	int i, c, ret;

	if (!tb)
		return -1;
	/* As in the regions table: numbers with --bytes, else text with
	 * units, in JSON too. */
	for (c = 0; c < K_COUNT; c++)
		if (!out_add_column(tb, cols[c].name, cols[c].flags,
				    cols[c].json == SCOLS_JSON_NUMBER &&
				    c != K_SCHEME && !bytes ?
				    SCOLS_JSON_STRING : cols[c].json))
			goto fail;
	for (i = 0; i < n; i++) {
		const struct damonrec_scheme_stats *s = &st[i];
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		uint64_t refused = 0;

		if (!ln)
			goto fail;
		for (c = 0; c < DAMONREC_NR_REFUSALS; c++)
			refused += s->refused_bytes[c];
		out_cell(ln, K_SCHEME, "%d", i + 1);
		out_cell(ln, K_ACTION, "%s", scheme_action_name(s->action));
		out_cell(ln, K_STATE, "%s", state(s));
		size_cell(ln, K_MATCHED, s->matched_bytes, bytes);
		size_cell(ln, K_APPLIED, s->applied_bytes, bytes);
		size_cell(ln, K_QUOTA, s->quota_bytes, bytes);
		size_cell(ln, K_UNMAPPED, s->unmapped_bytes, bytes);
		size_cell(ln, K_REFUSED, refused, bytes);
		out_cell(ln, K_ERROR, "%s", s->last_errno ?
			 strerrorname_np(s->last_errno) ?
			 strerrorname_np(s->last_errno) : "?" : "");
		/* The share of snapshots the watermarks let it act on. */
		out_cell(ln, K_ACTIVE, "%s%s", format_percent(b,
			 s->snapshots ? 100.0 * (double)(s->snapshots -
			 s->inactive) / (double)s->snapshots : 0),
			 bytes ? "" : "%");
		if (bytes)
			out_cell(ln, K_CPU, "%" PRIu64, (uint64_t)s->cpu_ns /
				 1000);
		else
			out_cell(ln, K_CPU, "%s",
				 format_duration_ns(b, s->cpu_ns));
		out_cell(ln, K_PATTERN, "%s", s->text);
	}
	ret = scols_print_table(tb);
	scols_unref_table(tb);
	return ret;
fail:
	scols_unref_table(tb);
	return -1;
}

int report_schemes(struct rec_reader *r, const struct out_format *fmt,
		   bool bytes)
{
	struct damonrec_scheme_stats st[SCHEME_RECORD_MAX];
	struct damonrec_schemes hdr;
	const void *rec;
	size_t len;
	int n = -1, more;

	while ((more = rec_next(r, &rec, &len)) > 0) {
		struct rec_frame frame;
		int got;

		rec_frame_get(rec, &frame);
		if (frame.type != DAMONREC_RECORD_SCHEMES)
			continue;
		got = rec_parse_schemes(rec, len, &hdr, st, SCHEME_RECORD_MAX);
		if (got >= 0)
			n = got < SCHEME_RECORD_MAX ? got : SCHEME_RECORD_MAX;
	}
	rec_warn_tail(r);
	if (more < 0)
		return EXIT_FAIL;
	if (n < 0) {
		errmsg("%s holds no scheme counts: it was recorded without "
		       "--scheme (or ended before the first snapshot)",
		       r->path);
		return EXIT_FAIL;
	}
	if (print(st, n, fmt, bytes)) {
		errmsg("printing the table failed");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
