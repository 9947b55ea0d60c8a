// SPDX-License-Identifier: GPL-2.0
/*
 * The monitoring attribute options of start and top.
 */
#include <stdlib.h>

#include "attropts.h"
#include "cmdline.h"
#include "damonctl.h"
#include "units.h"

struct poptOption attr_options_table[] = {
	{ "sample", 0, POPT_ARG_STRING, NULL, ATTR_OPT_SAMPLE,
	  "sampling interval (default 5ms)", "DURATION" },
	{ "aggr", 0, POPT_ARG_STRING, NULL, ATTR_OPT_AGGR,
	  "aggregation interval: one snapshot each (default 100ms)",
	  "DURATION" },
	{ "update", 0, POPT_ARG_STRING, NULL, ATTR_OPT_UPDATE,
	  "how often the targets' mappings are re-read (default 1s)",
	  "DURATION" },
	{ "min-regions", 0, POPT_ARG_STRING, NULL, ATTR_OPT_MIN_REGIONS,
	  "least regions per target (default 10)", "N" },
	{ "max-regions", 0, POPT_ARG_STRING, NULL, ATTR_OPT_MAX_REGIONS,
	  "most regions per target (default 1000)", "N" },
	{ "queue-depth", 0, POPT_ARG_STRING, NULL, ATTR_OPT_QUEUE_DEPTH,
	  "snapshots the module keeps for damonctl (default 16)", "N" },
	{ "tune", 0, POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL, NULL,
	  ATTR_OPT_TUNE,
	  "auto-tune the intervals towards this share of samples that find "
	  "memory accessed (default 4%)", "GOAL" },
	{ "tune-min-sample", 0, POPT_ARG_STRING, NULL, ATTR_OPT_TUNE_MIN,
	  "with --tune: the shortest sampling interval to choose (default "
	  "the module's least, or the TLB flush budget's)", "DURATION" },
	{ "tune-max-sample", 0, POPT_ARG_STRING, NULL, ATTR_OPT_TUNE_MAX,
	  "with --tune: the longest sampling interval to choose (default "
	  "100 x --sample)", "DURATION" },
	{ "no-tlb-flush", 0, POPT_ARG_NONE, NULL, ATTR_OPT_NO_TLB_FLUSH,
	  "do not flush TLBs after sampling (cheaper, may miss accesses)",
	  NULL },
	POPT_TABLEEND
};

void attr_opts_init(struct attr_opts *a)
{
	*a = (struct attr_opts){
		/* See DAMON_ATTR_TLB_FLUSH: without it a hot page can look
		 * idle, and under an emulator nearly every page does. */
		.attrs = {
			.size = sizeof(struct damon_attrs),
			.flags = DAMON_ATTR_TLB_FLUSH,
			.sample_us = 5000, .aggr_us = 100000,
			.update_us = 1000000, .min_nr_regions = 10,
			.max_nr_regions = 1000, .queue_depth = 16,
		},
	};
}

static int duration_option(const char *name, const char *arg, __u64 *field)
{
	const char *why;
	uint64_t us;

	if (parse_duration_us(arg, &us, &why))
		return cmdline_usage("%s '%s' %s", name, arg, why);
	/* Zero would silently mean "the module's default". */
	if (!us)
		return cmdline_usage("%s must be longer than 0", name);
	*field = us;
	return 0;
}

static int count_option(const char *name, const char *arg, __u32 *value)
{
	const char *why;
	uint64_t v;

	if (parse_count(arg, UINT32_MAX, &v, &why))
		return cmdline_usage("%s '%s' %s", name, arg, why);
	if (!v)
		return cmdline_usage("%s must be more than 0", name);
	*value = (__u32)v;
	return 0;
}

/* "4", "4%" or "0.5%": basis points from 1 (0.01%) to 10000 (100%). */
static int goal_option(const char *arg, __u32 *bp)
{
	char *end;
	double pct;

	if (!arg) {
		*bp = ATTR_DEFAULT_TUNE_GOAL_BP;
		return 0;
	}
	pct = strtod(arg, &end);
	if (end != arg && *end == '%')
		end++;
	if (end == arg || *end || !(pct >= 0.01) || pct > 100)
		return cmdline_usage("--tune=%s is not a share of samples from "
				     "0.01%% to 100%% (e.g. --tune=4%%)", arg);
	*bp = (__u32)(pct * 100 + 0.5);
	return 0;
}

int attr_opts_take(struct attr_opts *a, int opt, const char *arg)
{
	switch (opt) {
	case ATTR_OPT_SAMPLE:
		a->sample_given = 1;
		return duration_option("--sample", arg, &a->attrs.sample_us);
	case ATTR_OPT_AGGR:
		return duration_option("--aggr", arg, &a->attrs.aggr_us);
	case ATTR_OPT_UPDATE:
		return duration_option("--update", arg, &a->attrs.update_us);
	case ATTR_OPT_MIN_REGIONS:
		return count_option("--min-regions", arg,
				    &a->attrs.min_nr_regions);
	case ATTR_OPT_MAX_REGIONS:
		return count_option("--max-regions", arg,
				    &a->attrs.max_nr_regions);
	case ATTR_OPT_QUEUE_DEPTH:
		return count_option("--queue-depth", arg, &a->attrs.queue_depth);
	case ATTR_OPT_TUNE:
		return goal_option(arg, &a->attrs.tune_goal_bp);
	case ATTR_OPT_TUNE_MIN:
		return duration_option("--tune-min-sample", arg,
				       &a->attrs.tune_min_sample_us);
	case ATTR_OPT_TUNE_MAX:
		return duration_option("--tune-max-sample", arg,
				       &a->attrs.tune_max_sample_us);
	case ATTR_OPT_NO_TLB_FLUSH:
		a->attrs.flags &= ~DAMON_ATTR_TLB_FLUSH;
		return 0;
	}
	return 0;
}

int attr_opts_finish(struct attr_opts *a)
{
	const struct damon_attrs *t = &a->attrs;

	/* The bounds are never 0 once given (duration_option). */
	if ((t->tune_min_sample_us || t->tune_max_sample_us) &&
	    !t->tune_goal_bp)
		return cmdline_usage("--tune-min-sample and --tune-max-sample "
				     "bound auto-tuning: give --tune too");
	if (t->tune_min_sample_us && t->tune_max_sample_us &&
	    t->tune_min_sample_us > t->tune_max_sample_us)
		return cmdline_usage("--tune-min-sample must not be longer "
				     "than --tune-max-sample");
	return 0;
}
