/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_ATTROPTS_H
#define DAMONCTL_ATTROPTS_H

#include <popt.h>

#include "damondev.h"

/*
 * The monitoring attributes as the commands that open a session (start,
 * top) take them: one popt table, included in each command's, and one
 * parser, so that the options mean the same everywhere.
 */
struct attr_opts {
	struct damon_attrs attrs;
	int sample_given;	/* --sample: keep it, whatever the flush budget */
};

/* poptGetNextOpt() returns these for the table's options. */
enum {
	ATTR_OPT_SAMPLE = 900, ATTR_OPT_AGGR, ATTR_OPT_UPDATE,
	ATTR_OPT_MIN_REGIONS, ATTR_OPT_MAX_REGIONS, ATTR_OPT_QUEUE_DEPTH,
	ATTR_OPT_TUNE, ATTR_OPT_TUNE_MIN, ATTR_OPT_TUNE_MAX,
	ATTR_OPT_NO_TLB_FLUSH, ATTR_OPT_LAST = ATTR_OPT_NO_TLB_FLUSH
};

/* The auto-tuning goal --tune alone asks for: upstream DAMON's advice. */
#define ATTR_DEFAULT_TUNE_GOAL_BP	400

extern struct poptOption attr_options_table[];

/* damonctl's defaults: the module's, with TLB flushes. */
void attr_opts_init(struct attr_opts *a);
/*
 * Takes option opt (one of ATTR_OPT_*) with its argument; 0, or
 * EXIT_USAGE after saying what is wrong.
 */
int attr_opts_take(struct attr_opts *a, int opt, const char *arg);
/* After the last option: checks that need them all; 0 or EXIT_USAGE. */
int attr_opts_finish(struct attr_opts *a);

#endif
