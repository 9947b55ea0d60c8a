/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_OUTPUT_H
#define DAMONCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include <libsmartcols.h>

/*
 * Tables through libsmartcols, with lsblk's conventions: -o picks columns
 * by name ("-o PID,SIZE", or "-o +AGE" to add to the default set), --json,
 * --raw and --noheadings change the form, not the content.
 */

struct out_column {
	const char *name;
	double whint;		/* libsmartcols width hint */
	int flags;		/* SCOLS_FL_* */
	const char *help;
};

#define OUT_MAX_COLUMNS 32

struct out_selection {
	size_t n;
	int ids[OUT_MAX_COLUMNS];
};

/*
 * Returns 0, or -1 after printing which name is unknown (a usage error).  A list that
 * starts with '+' adds to the defaults.
 */
int out_select(const struct out_column *cols, size_t ncols,
	       const int *defaults, size_t ndefaults, const char *list,
	       struct out_selection *sel);
void out_print_columns(FILE *out, const struct out_column *cols, size_t ncols);

struct out_format {
	bool json, raw, noheadings;
};

struct libscols_table *out_new_table(const char *name,
				     const struct out_format *fmt);
/* A column whose JSON values are arrays, one element per line of a cell. */
void out_make_array(struct libscols_column *cl, int json_type);

/* A column of a view's table: its JSON type applies with --json. */
struct libscols_column *out_add_column(struct libscols_table *tb,
				       const char *name, int flags,
				       int json_type);
/* Sets a cell from printf arguments. */
void out_cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Squeezes libsmartcols' indented JSON into one line in place, for JSON
 * Lines.  Only whitespace outside strings goes: libsmartcols escapes
 * control characters inside strings, so no string is changed.
 */
char *out_json_one_line(char *json);

#endif
