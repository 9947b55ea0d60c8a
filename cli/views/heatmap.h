/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_HEATMAP_H
#define DAMONCTL_HEATMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "view.h"

/*
 * The heatmap grid shared by report --view heatmap and top: time down,
 * address across.  The address axis is the union of the ranges that were
 * monitored at any time, with the gaps between them (never monitored, and
 * often terabytes wide) collapsed to one marker column each.  Where the
 * target's mappings were recorded, what no mapping ever covered is
 * collapsed too: the unmapped holes inside monitored ranges, and whole
 * ranges of an address space the target left (a COMMAND's, before its
 * exec, until the next regions update).  Every range gets at least one
 * column, so a cell's address span depends on its range.  A cell holds the share of samples that found its memory
 * accessed, averaged over the monitored bytes and time it covers.
 */

struct hm_range {
	uint64_t start, end;
	unsigned col, ncols;	/* its first column and how many it has */
	bool gap_unmapped;	/* the gap before it was monitored, never mapped */
};

struct hm_grid {
	unsigned cols, rows;
	size_t nr_ranges;
	struct hm_range *ranges;
	int *col_range;		/* per column: its range, or -1: a gap marker */
	uint64_t t_from, t_to;	/* ns since the recording started */
	double *sum, *weight;	/* rows * cols */
	double max;		/* the highest cell, 0 to 1 */
	size_t dropped_ranges;	/* monitored ranges no mapping ever covered */
	uint64_t dropped_bytes;
};

/* 0, or -1 when out of memory.  cols >= 1, rows >= 1; maps may be none. */
int hm_build(struct hm_grid *g, const struct view_snap *snaps, size_t n,
	     const struct view_region *regions, unsigned cols, unsigned rows,
	     const struct view_maps *maps, size_t nr_maps);
void hm_free(struct hm_grid *g);
/* The cell's access share, or -1 where nothing was monitored. */
double hm_cell(const struct hm_grid *g, unsigned row, unsigned col);
/* 0 for no access, 1 to 9 for a share up to the hottest cell. */
int hm_level(const struct hm_grid *g, double v);
/* The addresses a column covers (rounded to bytes). */
void hm_col_span(const struct hm_grid *g, unsigned col, uint64_t *start,
		 uint64_t *end);
/* The xterm-256 colour of a level, for terminals. */
int hm_term_color(int level);

#endif
