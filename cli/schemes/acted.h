/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_ACTED_H
#define DAMONCTL_ACTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The ranges a scheme acted on lately.  Upstream DAMOS resets a region's
 * age once an action was applied to it, so that the region must stay idle
 * for the scheme's least age again before the next try.  The ages we see
 * are the module's, which knows nothing of our actions, and it merges and
 * splits regions (a merged region gets the size-weighted mean of its
 * parts' ages), so a region's age says nothing of the part of it acted on
 * lately: we keep what was acted on and when, and cut it out of the next
 * candidates until it has waited as long.
 */

struct acted_range {
	int32_t pid;
	uint64_t start, end;
	uint64_t at_ns;
};

struct acted_set {
	struct acted_range *r;	/* by pid and start, once acted_sort()ed */
	size_t n, cap;
	uint64_t max_len;	/* the longest: how far back a search looks */
	bool unsorted;		/* added to since the last acted_sort() */
};

/* Forgets the ranges acted on age_ns or longer before now. */
void acted_prune(struct acted_set *set, uint64_t age_ns, uint64_t now);
/* Notes [start, end) of pid as acted on at now.  Out of memory it is not
 * noted: the range may be tried again sooner, which does no harm. */
void acted_add(struct acted_set *set, int32_t pid, uint64_t start,
	       uint64_t end, uint64_t now);
/* Sorts by pid and start if added to: acted_gaps() needs it. */
void acted_sort(struct acted_set *set);
/*
 * Calls piece() for each part of [start, end) of pid that is in no range
 * of the set, in address order; stops and returns false as soon as a
 * call does.
 */
bool acted_gaps(const struct acted_set *set, int32_t pid, uint64_t start,
		uint64_t end,
		bool (*piece)(void *arg, uint64_t start, uint64_t end),
		void *arg);
void acted_free(struct acted_set *set);

#endif
