/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_REPORT_H
#define DAMONCTL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cost.h"
#include "output.h"
#include "record.h"

/* A copy of a snapshot, shared by the targets whose latest it is. */
struct kept {
	unsigned char *rec;
	size_t len;
	unsigned int refs;
};

/* A target of the report, and the snapshot its rows come from. */
struct target_pick {
	int32_t pid;
	struct kept *snap;
	const struct rec_target_info *info;	/* from the header, or NULL */
};

struct picks {
	size_t n;
	struct target_pick *t;
};

/* Which rows the table shows, and in which order. */
struct table_filter {
	bool have_pid;
	int32_t pid;
	double min_access;	/* percent: rows accessed more; < 0 for all */
	bool have_range;
	uint64_t range_start, range_end;	/* rows that overlap it */
	int sort_col;		/* a column index, or -1: file order */
	bool sort_desc;
};

struct table_format {
	struct out_format out;
	bool bytes;		/* sizes in bytes, times in microseconds */
	struct table_filter filter;
};

/* The region table (report-table.c). */
int report_select_columns(const char *list, struct out_selection *sel);
/* The column --sort names: its index, or -1 after printing why not. */
int report_sort_column(const char *name);
void report_print_columns(FILE *out);
/*
 * Each target's rows from at_snap if given, else from its own snapshot,
 * under a line (a "cost" object in JSON) saying what monitoring cost over
 * the whole recording.
 */
int report_print_table(const struct table_format *fmt,
		       const struct out_selection *sel,
		       const struct picks *picks, const struct kept *at_snap,
		       uint64_t origin_ns, const struct mon_cost *cost);

/* damonctl report --schemes: what each scheme did, in a table. */
int report_schemes(struct rec_reader *r, const struct out_format *fmt,
		   bool bytes);

/* damonctl report --format jsonl: the whole file, one object per line. */
int report_jsonl(struct rec_reader *r);

#endif
