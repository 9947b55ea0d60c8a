// SPDX-License-Identifier: GPL-2.0
/* The ranges a scheme acted on lately (see acted.h). */
#include <stdlib.h>

#include "acted.h"

void acted_prune(struct acted_set *set, uint64_t age_ns, uint64_t now)
{
	size_t k, n = 0;

	set->max_len = 0;
	for (k = 0; k < set->n; k++) {
		const struct acted_range *r = &set->r[k];

		if (r->at_ns + age_ns <= now)
			continue;
		if (r->end - r->start > set->max_len)
			set->max_len = r->end - r->start;
		set->r[n++] = *r;
	}
	set->n = n;
}

void acted_add(struct acted_set *set, int32_t pid, uint64_t start,
	       uint64_t end, uint64_t now)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		struct acted_range *g = realloc(set->r, cap * sizeof(*g));

		if (!g)
			return;
		set->r = g;
		set->cap = cap;
	}
	if (end - start > set->max_len)
		set->max_len = end - start;
	set->unsorted = true;
	set->r[set->n++] = (struct acted_range){
		.pid = pid, .start = start, .end = end, .at_ns = now,
	};
}

static int by_pid_start(const void *x, const void *y)
{
	const struct acted_range *a = x, *b = y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

void acted_sort(struct acted_set *set)
{
	if (set->unsorted)
		qsort(set->r, set->n, sizeof(*set->r), by_pid_start);
	set->unsorted = false;
}

/* The first range that may reach start or past it: none is longer than
 * max_len, so none that begins before start - max_len does. */
static size_t first_reaching(const struct acted_set *set, int32_t pid,
			     uint64_t start)
{
	uint64_t from = start > set->max_len ? start - set->max_len : 0;
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct acted_range *r = &set->r[mid];

		if (r->pid < pid || (r->pid == pid && r->start < from))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool acted_gaps(const struct acted_set *set, int32_t pid, uint64_t start,
		uint64_t end,
		bool (*piece)(void *arg, uint64_t start, uint64_t end),
		void *arg)
{
	uint64_t pos = start;
	size_t j;

	/* Ranges may overlap (a range acted on twice, in two pieces): pos
	 * is the furthest any reached so far. */
	for (j = first_reaching(set, pid, start); j < set->n; j++) {
		const struct acted_range *r = &set->r[j];

		if (r->pid != pid || r->start >= end)
			break;
		if (r->end <= pos)
			continue;
		if (r->start > pos && !piece(arg, pos, r->start))
			return false;
		pos = r->end;
	}
	return pos >= end || piece(arg, pos, end);
}

void acted_free(struct acted_set *set)
{
	free(set->r);
	*set = (struct acted_set){ 0 };
}
