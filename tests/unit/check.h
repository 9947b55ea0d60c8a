/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared checks and builders for the region unit tests.
 */
#ifndef DAMONDEV_TEST_CHECK_H
#define DAMONDEV_TEST_CHECK_H

#include <string.h>

#include "regions.h"
#include "shim.h"
#include "tap.h"

#define PG		((u64)DMON_PAGE_SIZE)
/* The address of page n */
#define P(n)		((u64)(n) * PG)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline void dump_regions(const struct dmon_regions *rs)
{
	u32 i;

	tap_diag("  %u regions (cap %u):", rs->nr, rs->cap);
	for (i = 0; i < rs->nr && i < 64; i++)
		tap_diag("  [%u] [0x%llx, 0x%llx) acc %u last %u age %u", i,
			 (unsigned long long)rs->r[i].start,
			 (unsigned long long)rs->r[i].end,
			 rs->r[i].nr_accesses, rs->r[i].last_nr_accesses,
			 rs->r[i].age);
}

/* The invariants of struct dmon_regions; dumps the regions if broken. */
static inline int check_regions(const struct dmon_regions *rs)
{
	int ok = 1;
	u32 i;

	ok &= CHECK(rs->nr <= rs->cap);
	for (i = 0; ok && i < rs->nr; i++) {
		const struct dmon_region *r = &rs->r[i];

		ok &= CHECK(r->start % PG == 0);
		ok &= CHECK(r->end % PG == 0);
		ok &= CHECK(r->start < r->end);
		if (i)
			ok &= CHECK(rs->r[i - 1].end <= r->start);
		if (!ok)
			tap_diag("  at region %u", i);
	}
	if (!ok)
		dump_regions(rs);
	return ok;
}

/* Every region lies inside one of the (page-aligned) ranges. */
static inline int check_inside(const struct dmon_regions *rs,
			       const struct dmon_range *ranges, u32 nr_ranges)
{
	u32 i, j = 0;

	for (i = 0; i < rs->nr; i++) {
		while (j < nr_ranges && ranges[j].end <= rs->r[i].start)
			j++;
		if (!CHECK(j < nr_ranges && ranges[j].start <= rs->r[i].start &&
			   rs->r[i].end <= ranges[j].end)) {
			tap_diag("  region %u is outside the ranges", i);
			dump_regions(rs);
			return 0;
		}
	}
	return 1;
}

/* The regions tile the (page-aligned) ranges exactly. */
static inline int check_cover(const struct dmon_regions *rs,
			      const struct dmon_range *ranges, u32 nr_ranges)
{
	u32 i = 0, j;
	u64 pos;

	for (j = 0; j < nr_ranges; j++) {
		pos = ranges[j].start;
		while (i < rs->nr && rs->r[i].start == pos &&
		       rs->r[i].end <= ranges[j].end)
			pos = rs->r[i++].end;
		if (!CHECK(pos == ranges[j].end)) {
			tap_diag("  range %u [0x%llx, 0x%llx) up to 0x%llx",
				 j, (unsigned long long)ranges[j].start,
				 (unsigned long long)ranges[j].end,
				 (unsigned long long)pos);
			dump_regions(rs);
			return 0;
		}
	}
	if (!CHECK(i == rs->nr)) {
		dump_regions(rs);
		return 0;
	}
	return 1;
}

/* Set rs to the regions [P(b[i][0]), P(b[i][1])) with the counters in c. */
static inline void set_regions(struct dmon_regions *rs, const u64 (*b)[2],
			       u32 nr, const u32 *acc)
{
	u32 i;

	memset(rs->r, 0, sizeof(*rs->r) * rs->cap);
	for (i = 0; i < nr; i++) {
		rs->r[i].start = P(b[i][0]);
		rs->r[i].end = P(b[i][1]);
		rs->r[i].sampling_addr = rs->r[i].start;
		rs->r[i].nr_accesses = acc ? acc[i] : 0;
	}
	rs->nr = nr;
}

/* Does region i span pages [s, e)? */
static inline int region_is(const struct dmon_regions *rs, u32 i, u64 s,
			    u64 e)
{
	if (i < rs->nr && rs->r[i].start == P(s) && rs->r[i].end == P(e))
		return 1;
	tap_diag("  region %u is not [P(%llu), P(%llu))", i,
		 (unsigned long long)s, (unsigned long long)e);
	dump_regions(rs);
	return 0;
}

#endif /* DAMONDEV_TEST_CHECK_H */
