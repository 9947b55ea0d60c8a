// SPDX-License-Identifier: GPL-2.0
/*
 * dmon_init_regions(): the size unit, the even split of each range with
 * the remainder in the last piece, and the error cases.
 */
#include "check.h"

#define CAP 4096

static struct dmon_region buf[CAP];
static struct dmon_regions rs = { buf, 0, CAP };

/* The regions are fresh: zero counters and age, sampling at the start. */
static int all_fresh(void)
{
	u32 i;

	for (i = 0; i < rs.nr; i++)
		if (rs.r[i].nr_accesses || rs.r[i].last_nr_accesses ||
		    rs.r[i].age || rs.r[i].sampling_addr != rs.r[i].start)
			return 0;
	return 1;
}

/* The sizes of the regions, in pages, are sz[0..n). */
static int sizes_are(const u64 *sz, u32 n)
{
	u32 i;

	if (!CHECK(rs.nr == n)) {
		dump_regions(&rs);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (rs.r[i].end - rs.r[i].start != P(sz[i])) {
			tap_diag("  region %u has %llu pages, not %llu", i,
				 (unsigned long long)
				 ((rs.r[i].end - rs.r[i].start) / PG),
				 (unsigned long long)sz[i]);
			dump_regions(&rs);
			return 0;
		}
	}
	return 1;
}

static void test_even_split(void)
{
	/* 33 pages, 10 wanted: unit 3 pages */
	const struct dmon_range rg[] = {
		{ P(0), P(10) }, { P(20), P(40) }, { P(50), P(53) },
	};
	const u64 sz[] = { 3, 3, 4, 3, 3, 3, 3, 3, 5, 3 };

	rs.nr = 0;
	CHECK(dmon_init_regions(&rs, rg, 3, 10) == 0);
	CHECK(check_regions(&rs));
	CHECK(check_cover(&rs, rg, 3));
	CHECK(sizes_are(sz, ARRAY_SIZE(sz)));
	CHECK(all_fresh());
	tap_point("each range split by the unit, remainder in the last piece");
}

static void test_evenness(void)
{
	/* 100 pages, 3 wanted: unit 33 pages, pieces 33, 33, 34 */
	const struct dmon_range a[] = { { P(0), P(100) } };
	const u64 sza[] = { 33, 33, 34 };
	/* 70 + 30 pages, 3 wanted: unit 33: 2 pieces of 35, then 30 */
	const struct dmon_range b[] = { { P(0), P(70) }, { P(80), P(110) } };
	const u64 szb[] = { 35, 35, 30 };

	CHECK(dmon_init_regions(&rs, a, 1, 3) == 0);
	CHECK(sizes_are(sza, ARRAY_SIZE(sza)));
	CHECK(dmon_init_regions(&rs, b, 2, 3) == 0);
	CHECK(sizes_are(szb, ARRAY_SIZE(szb)));
	CHECK(check_cover(&rs, b, 2));
	tap_point("pieces of a range are equal (upstream), never below unit");
}

static void test_unit_min_page(void)
{
	const struct dmon_range rg[] = { { P(7), P(12) }, { P(40), P(42) } };
	u32 i;

	/* 7 pages, 1000 regions wanted: one region per page */
	CHECK(dmon_init_regions(&rs, rg, 2, 1000) == 0);
	CHECK(check_regions(&rs));
	CHECK(check_cover(&rs, rg, 2));
	CHECK(rs.nr == 7);
	for (i = 0; i < rs.nr; i++)
		CHECK(rs.r[i].end - rs.r[i].start == PG);
	/* a unit smaller than a page after rounding: also one page */
	CHECK(dmon_init_regions(&rs, rg, 2, 6) == 0);
	CHECK(rs.nr == 7);
	tap_point("unit at least a page when min_nr_regions exceeds the pages");
}

static void test_small_range_and_zero_min(void)
{
	/* 2 + 98 pages, 10 wanted: unit 10 pages; the small range stays */
	const struct dmon_range rg[] = { { P(0), P(2) }, { P(10), P(108) } };

	CHECK(dmon_init_regions(&rs, rg, 2, 10) == 0);
	CHECK(check_cover(&rs, rg, 2));
	CHECK(rs.nr == 10);
	CHECK(region_is(&rs, 0, 0, 2));
	/* min_nr_regions 0 counts as 1: one region per range */
	CHECK(dmon_init_regions(&rs, rg, 2, 0) == 0);
	CHECK(rs.nr == 2);
	CHECK(region_is(&rs, 0, 0, 2) && region_is(&rs, 1, 10, 108));
	tap_point("a range below the unit is one region; min 0 counts as 1");
}

static void test_unaligned(void)
{
	const struct dmon_range rg[] = {
		{ P(1) + 1, P(3) - 1 }, { P(3) + 0x800, P(5) + 1 },
	};
	const struct dmon_range aligned[] = {
		{ P(1), P(3) }, { P(3), P(6) },
	};
	const struct dmon_range overlap[] = {
		{ P(1), P(3) + 1 }, { P(3) + 0x800, P(5) },
	};

	CHECK(dmon_init_regions(&rs, rg, 2, 5) == 0);
	CHECK(check_regions(&rs));
	CHECK(check_cover(&rs, aligned, 2));
	CHECK(rs.nr == 5);
	/* aligned outwards, these two share page 3 */
	CHECK(dmon_init_regions(&rs, overlap, 2, 5) == -EINVAL);
	tap_point("unaligned ranges are page aligned outwards");
}

static void test_replace(void)
{
	const struct dmon_range rg[] = { { P(100), P(200) } };
	u32 i;

	for (i = 0; i < rs.nr; i++) {
		rs.r[i].nr_accesses = 7;
		rs.r[i].age = 9;
	}
	CHECK(dmon_init_regions(&rs, rg, 1, 4) == 0);
	CHECK(rs.nr == 4);
	CHECK(all_fresh());
	CHECK(check_cover(&rs, rg, 1));
	tap_point("previous contents are replaced");
}

static void test_enospc(void)
{
	struct dmon_region small[4];
	struct dmon_regions s = { small, 0, 4 };
	const struct dmon_range rg[] = { { P(0), P(4) }, { P(8), P(9) } };

	/* 5 pages, 5 wanted: 5 regions do not fit in 4 */
	s.nr = 3;
	CHECK(dmon_init_regions(&s, rg, 2, 5) == -ENOSPC);
	CHECK(s.nr == 0);
	/* 4 wanted: unit 1 page still gives 5 */
	CHECK(dmon_init_regions(&s, rg, 2, 4) == -ENOSPC);
	/* 2 wanted: unit 2 pages: 2 + 1 regions fit */
	CHECK(dmon_init_regions(&s, rg, 2, 2) == 0);
	CHECK(s.nr == 3);
	CHECK(check_regions(&s));
	CHECK(check_cover(&s, rg, 2));
	/* zero capacity */
	s.cap = 0;
	CHECK(dmon_init_regions(&s, rg, 1, 1) == -ENOSPC);
	CHECK(s.nr == 0);
	tap_point("-ENOSPC when over capacity, regions left empty");
}

static void test_einval(void)
{
	const struct dmon_range ok[] = { { P(0), P(4) } };
	const struct dmon_range empty[] = { { P(0), P(4) }, { P(6), P(6) } };
	const struct dmon_range unsorted[] = { { P(6), P(8) }, { P(0), P(4) } };
	const struct dmon_range overlap[] = { { P(0), P(4) }, { P(3), P(8) } };
	const struct dmon_range top[] = { { P(0), P(4) }, { P(6), ~0ULL } };

	CHECK(dmon_init_regions(&rs, ok, 1, 2) == 0);
	CHECK(dmon_init_regions(&rs, ok, 0, 2) == -EINVAL);
	CHECK(dmon_init_regions(&rs, empty, 2, 2) == -EINVAL);
	CHECK(dmon_init_regions(&rs, unsorted, 2, 2) == -EINVAL);
	CHECK(dmon_init_regions(&rs, overlap, 2, 2) == -EINVAL);
	CHECK(dmon_init_regions(&rs, top, 2, 2) == -EINVAL);
	/* left untouched */
	CHECK(rs.nr == 2);
	CHECK(check_cover(&rs, ok, 1));
	tap_point("-EINVAL for no, empty, unsorted or overlapping ranges");
}

static void test_big(void)
{
	/* typical three regions of a process, 1000 regions */
	const struct dmon_range rg[] = {
		{ 0x555555554000ULL, 0x555555a00000ULL },
		{ 0x7f0000000000ULL, 0x7f4000000000ULL },
		{ 0x7ffffffde000ULL, 0x7ffffffff000ULL },
	};

	CHECK(dmon_init_regions(&rs, rg, 3, 1000) == 0);
	CHECK(check_regions(&rs));
	CHECK(check_cover(&rs, rg, 3));
	CHECK(rs.nr >= 3 && rs.nr <= 1003);
	tap_point("a realistic address space (%u regions)", rs.nr);
}

int main(void)
{
	tap_start();
	test_even_split();
	test_evenness();
	test_unit_min_page();
	test_small_range_and_zero_min();
	test_unaligned();
	test_replace();
	test_enospc();
	test_einval();
	test_big();
	return tap_done();
}
