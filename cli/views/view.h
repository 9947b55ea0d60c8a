/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_VIEW_H
#define DAMONCTL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "maps.h"
#include "record.h"

/*
 * The views of damonctl report (--view heatmap|wss|hot|recency) and the
 * damo export.  Each view looks at one target over a window of time: the
 * target's snapshots in that window are loaded into memory, compactly (24
 * bytes a region), and each view computes what it shows from them.
 */

enum view_kind {
	VIEW_NONE = 0, VIEW_HEATMAP, VIEW_WSS, VIEW_HOT, VIEW_RECENCY,
	VIEW_TEMPERATURE, NR_VIEWS
};

enum view_color { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

enum export_kind { EXPORT_NONE = 0, EXPORT_DAMO_JSON, EXPORT_DAMO_JSON_ZLIB };

struct view_opts {
	enum view_kind view;
	enum export_kind export;
	bool have_pid;
	int32_t pid;
	uint64_t from_ns, to_ns;	/* to_ns UINT64_MAX: to the end */
	bool json;
	bool bytes;			/* plain numbers in the terminal */
	const char *svg;		/* write an SVG picture there */
	unsigned width, height;		/* heatmap grid; 0: the default */
	enum view_color color;
	double min_access;		/* wss: percent of samples, exclusive */
	bool over_time;			/* wss: one row per snapshot */
	unsigned top;			/* hot: how many regions */
	bool have_weights;		/* temperature: weights given */
	double w_access, w_age;		/* temperature: per % and per s */
};

struct view_region {
	uint64_t start, end;
	uint32_t nr_accesses, age;
};

struct view_snap {
	uint64_t seq;
	uint64_t t_start, t_end;	/* ns since the recording started */
	uint64_t sample_us, aggr_us;
	uint32_t nr_passes;
	size_t first, n;		/* regions[first, first + n) */
};

struct view_maps {
	uint64_t t_ns;			/* since the recording started */
	struct maps maps;
};

struct view_data {
	const char *path;
	const struct rec_info *info;
	int32_t pid;
	const struct rec_target_info *target;	/* NULL if not in the header */
	uint64_t origin_ns;		/* CLOCK_MONOTONIC of time 0 */
	size_t nr_snaps;
	struct view_snap *snaps;
	size_t nr_regions;
	struct view_region *regions;
	size_t nr_maps;
	struct view_maps *maps;
};

/* 0, or an EXIT_* code after saying what is wrong with the options. */
int view_check_options(const struct view_opts *o);
/* Runs the view or export the options ask for on an opened file. */
int view_run(struct rec_reader *r, const struct view_opts *o);

int view_load(struct rec_reader *r, const struct view_opts *o,
	      struct view_data *d);
void view_data_free(struct view_data *d);

/* The share of samples that found r accessed, 0 to 1. */
double view_access(const struct view_snap *s, const struct view_region *r);
/* The maps in force at time t: the last read by then, else the first. */
const struct maps *view_maps_at(const struct view_data *d, uint64_t t_ns);
/* "pid 1000 (memhog)" */
void view_target_name(const struct view_data *d, char *buf, size_t len);
/* Whether to colour the terminal output. */
bool view_use_color(enum view_color c);

/*
 * The views' tables: a column has a name for people and one for JSON,
 * where sizes are bytes and times nanoseconds ("_ns").
 */
struct view_col {
	const char *name;
	const char *json_name;
	int flags;		/* SCOLS_FL_* */
	int json_type;		/* SCOLS_JSON_* */
};

struct libscols_table;
struct libscols_line;
struct libscols_table *view_table(const char *name, const struct view_opts *o,
				  const struct view_col *cols, size_t n);
/* Prints and frees the table; 0 or EXIT_FAIL (printed). */
int view_print_table(struct libscols_table *tb);

/*
 * A table of some of a view's columns: in the terminal a view may print
 * several (percentiles, then a histogram), in JSON one table holds them
 * all (json_ids), rows told apart by a column of their own.
 */
#define VIEW_MAX_COLS	16

struct view_out {
	struct libscols_table *tb;
	int pos[VIEW_MAX_COLS];	/* column id -> position, -1: not shown */
};

int view_out_init(struct view_out *t, const char *name,
		  const struct view_opts *o, const struct view_col *cols,
		  const int *ids, size_t n, const int *json_ids, size_t json_n);
/* Sets the cell of column id, if the table shows it. */
void view_out_set(const struct view_out *t, struct libscols_line *ln, int id,
		  const char *text);
/*
 * A histogram bucket's size, share of total and bar (max fills it), in the
 * columns ids[0], ids[1] and ids[2].
 */
#define VIEW_BAR_WIDTH	30
void view_out_bucket(const struct view_out *t, struct libscols_line *ln,
		     const struct view_opts *o, const int ids[3],
		     uint64_t bytes, uint64_t total, uint64_t max);
/* A size as the output wants it: bytes (--json, --bytes) or "1.5 MiB". */
const char *view_size(const struct view_opts *o, char *buf, uint64_t bytes);
/* A time: ns (--json), us (--bytes) or "1.500 s". */
const char *view_time(const struct view_opts *o, char *buf, uint64_t ns);

/* The views: 0 or an EXIT_* code. */
int view_heatmap(const struct view_data *d, const struct view_opts *o);
int view_wss(const struct view_data *d, const struct view_opts *o);
int view_hot(const struct view_data *d, const struct view_opts *o);
int view_recency(const struct view_data *d, const struct view_opts *o);
int view_temperature(const struct view_data *d, const struct view_opts *o);
int export_damo(struct rec_reader *r, const struct view_opts *o);

/* A region's temperature (view-temperature.c, damonctl(8)). */
double view_temperature_of(const struct view_snap *s,
			   const struct view_region *r, double w_access,
			   double w_age);

/* Every view by name, indexed by enum view_kind (VIEW_NONE has none). */
struct view_def {
	const char *name;
	int (*show)(const struct view_data *d, const struct view_opts *o);
};

extern const struct view_def view_defs[NR_VIEWS];
/* The view of that name, or VIEW_NONE. */
enum view_kind view_find(const char *name);

#endif
