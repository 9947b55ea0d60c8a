/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_TOP_H
#define DAMONCTL_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps.h"
#include "record.h"
#include "view.h"

/*
 * What damonctl top shows, kept from the snapshots as they come: the
 * latest few of the target (for the heatmap strip), the session's own
 * overhead, and the target's mappings (re-read every second) to name the
 * hot regions.
 */

#define TOP_STRIP_MAX	32

struct top_snap {
	struct view_snap s;		/* first is 0: regions are its own */
	struct view_region *regions;
};

struct top_state {
	int32_t pid;
	char comm[17];
	uint64_t origin_ns;		/* CLOCK_MONOTONIC when monitoring started */
	/* The latest snapshot's header. */
	uint64_t seq, cpu_ns, interval_ns, samples_done, samples_due;
	uint64_t dropped;		/* in all, since monitoring started */
	uint64_t snapshots;
	bool exited;			/* the target is gone: no more regions */
	bool ended;			/* the session ended */
	/* The target's latest snapshots, oldest first. */
	size_t nr_strip;
	struct top_snap strip[TOP_STRIP_MAX];
	struct maps maps;
	uint64_t maps_read_ns;
	double min_access;
	/* --scheme: what the schemes have done so far (a copy), or none. */
	struct damonrec_scheme_stats *schemes;
	size_t nr_schemes;
};

void top_init(struct top_state *t, int32_t pid, uint64_t origin_ns);
void top_free(struct top_state *t);
/* Takes one record; 1 if it is a snapshot with regions of the target. */
int top_take(struct top_state *t, const void *rec, size_t len,
	     uint64_t now_ns);

/* The screen (ncurses); the terminal was set up by the caller. */
void top_draw(const struct top_state *t, const char *status);
void top_colors(void);
/* One plain snapshot for logs. */
int top_print_batch(const struct top_state *t, unsigned hot_rows);

/*
 * top --cgroup, or --pid with --follow-children: a table of the groups'
 * processes, redrawn once per update interval (top-groups.c).  The groups
 * stay the caller's.  Returns an EXIT_* code.
 */
struct tgroup;
int top_groups(struct tgroup *groups, size_t ng, const struct damon_attrs *a,
	       int sample_given, bool batch, uint64_t iterations);

#endif
