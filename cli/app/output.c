// SPDX-License-Identifier: GPL-2.0
/*
 * Column selection and libsmartcols table setup shared by the commands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdline.h"
#include "damonctl.h"
#include "output.h"

static int find_column(const struct out_column *cols, size_t ncols,
		       const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len &&
		    !strncasecmp(cols[i].name, name, len))
			return (int)i;
	return -1;
}

int out_select(const struct out_column *cols, size_t ncols,
	       const int *defaults, size_t ndefaults, const char *list,
	       struct out_selection *sel)
{
	const char *p = list;

	sel->n = 0;
	if (!list || *list == '+') {
		memcpy(sel->ids, defaults, ndefaults * sizeof(*defaults));
		sel->n = ndefaults;
		if (!list)
			return 0;
		p++;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int id = find_column(cols, ncols, p, len);

		if (id < 0) {
			cmdline_usage("unknown column '%.*s' (the columns are "
				      "listed by --help)", (int)len, p);
			return -1;
		}
		if (sel->n == OUT_MAX_COLUMNS) {
			cmdline_usage("too many columns (at most %d)",
				      OUT_MAX_COLUMNS);
			return -1;
		}
		sel->ids[sel->n++] = id;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!sel->n) {
		cmdline_usage("-o needs at least one column");
		return -1;
	}
	return 0;
}

void out_print_columns(FILE *out, const struct out_column *cols, size_t ncols)
{
	size_t i, width = 0;

	for (i = 0; i < ncols; i++)
		if (strlen(cols[i].name) > width)
			width = strlen(cols[i].name);
	fputs("\nAvailable columns (for -o):\n", out);
	for (i = 0; i < ncols; i++)
		fprintf(out, "  %*s  %s\n", (int)width, cols[i].name, cols[i].help);
}

struct libscols_table *out_new_table(const char *name,
				     const struct out_format *fmt)
{
	struct libscols_table *tb = scols_new_table();

	if (!tb)
		return NULL;
	scols_table_set_name(tb, name);
	scols_table_enable_json(tb, fmt->json);
	scols_table_enable_raw(tb, fmt->raw);
	scols_table_enable_noheadings(tb, fmt->noheadings);
	return tb;
}

struct libscols_column *out_add_column(struct libscols_table *tb,
				       const char *name, int flags,
				       int json_type)
{
	struct libscols_column *cl = scols_table_new_column(tb, name, 0, flags);

	if (cl)
		scols_column_set_json_type(cl, json_type);
	return cl;
}

void out_cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0)
		scols_line_refer_data(ln, col, s);	/* libsmartcols frees it */
}

void out_make_array(struct libscols_column *cl, int json_type)
{
	scols_column_set_json_type(cl, json_type);
	scols_column_set_flags(cl, scols_column_get_flags(cl) | SCOLS_FL_WRAP);
	scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize,
				  scols_wrapnl_nextchunk, NULL);
}

char *out_json_one_line(char *json)
{
	char *in = json, *out = json;
	bool in_string = false, escaped = false;

	for (; *in; in++) {
		char c = *in;

		if (in_string) {
			*out++ = c;
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		if (c == '"')
			in_string = true;
		*out++ = c;
		/*
		 * libsmartcols (2.38) prints an array cell with no elements
		 * as [null]; every array damonctl prints holds numbers or
		 * strings, so [null] can only mean an empty list.
		 */
		if (c == ']' && out - json >= 6 &&
		    !memcmp(out - 6, "[null]", 6)) {
			out -= 6;
			*out++ = '[';
			*out++ = ']';
		}
	}
	*out = '\0';
	return json;
}
