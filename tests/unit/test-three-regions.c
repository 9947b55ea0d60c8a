// SPDX-License-Identifier: GPL-2.0
/*
 * dmon_three_regions() and dmon_span_range(): which gaps are kept, page
 * alignment, and the cases that fail with -EINVAL.
 */
#include "check.h"

static const struct dmon_range sentinel = { 0xdead000, 0xbeef000 };

static void fill_sentinel(struct dmon_range out[3])
{
	out[0] = out[1] = out[2] = sentinel;
}

static int untouched(const struct dmon_range out[3])
{
	int i;

	for (i = 0; i < 3; i++)
		if (out[i].start != sentinel.start ||
		    out[i].end != sentinel.end)
			return 0;
	return 1;
}

static int out_is(const struct dmon_range out[3], u64 s0, u64 e0, u64 s1,
		  u64 e1, u64 s2, u64 e2)
{
	if (out[0].start == s0 && out[0].end == e0 && out[1].start == s1 &&
	    out[1].end == e1 && out[2].start == s2 && out[2].end == e2)
		return 1;
	tap_diag("  got [0x%llx, 0x%llx) [0x%llx, 0x%llx) [0x%llx, 0x%llx)",
		 (unsigned long long)out[0].start,
		 (unsigned long long)out[0].end,
		 (unsigned long long)out[1].start,
		 (unsigned long long)out[1].end,
		 (unsigned long long)out[2].start,
		 (unsigned long long)out[2].end);
	return 0;
}

static void test_basic(void)
{
	/* gaps: 2, 10, 1, 7 pages: keep the 10 and the 7 */
	const struct dmon_range v[] = {
		{ P(10), P(12) }, { P(14), P(20) }, { P(30), P(31) },
		{ P(32), P(40) }, { P(47), P(50) },
	};
	struct dmon_range out[3];

	fill_sentinel(out);
	CHECK(dmon_three_regions(v, ARRAY_SIZE(v), out) == 0);
	CHECK(out_is(out, P(10), P(20), P(30), P(40), P(47), P(50)));
	tap_point("the two biggest gaps separate the three regions");
}

static void test_larger_first(void)
{
	/* the bigger gap (100 pages) comes before the smaller (5) */
	const struct dmon_range v[] = {
		{ P(0), P(1) }, { P(101), P(102) }, { P(103), P(104) },
		{ P(109), P(110) },
	};
	struct dmon_range out[3];

	CHECK(dmon_three_regions(v, ARRAY_SIZE(v), out) == 0);
	CHECK(out_is(out, P(0), P(1), P(101), P(104), P(109), P(110)));
	tap_point("gaps are sorted by address when the larger one comes first");
}

static void test_ties(void)
{
	/* gaps: 3, 5, 5, 5: keep the first two of size 5 */
	const struct dmon_range v[] = {
		{ P(0), P(1) }, { P(4), P(5) }, { P(10), P(11) },
		{ P(16), P(17) }, { P(22), P(23) },
	};
	/* all gaps equal: keep the first two */
	const struct dmon_range w[] = {
		{ P(0), P(1) }, { P(2), P(3) }, { P(4), P(5) },
		{ P(6), P(7) },
	};
	/* gaps 5, 3, 5: the second 5 replaces the 3, not the first 5 */
	const struct dmon_range x[] = {
		{ P(0), P(1) }, { P(6), P(7) }, { P(10), P(11) },
		{ P(16), P(17) },
	};
	struct dmon_range out[3];

	CHECK(dmon_three_regions(v, ARRAY_SIZE(v), out) == 0);
	CHECK(out_is(out, P(0), P(5), P(10), P(11), P(16), P(23)));
	CHECK(dmon_three_regions(w, ARRAY_SIZE(w), out) == 0);
	CHECK(out_is(out, P(0), P(1), P(2), P(3), P(4), P(7)));
	CHECK(dmon_three_regions(x, ARRAY_SIZE(x), out) == 0);
	CHECK(out_is(out, P(0), P(1), P(6), P(11), P(16), P(17)));
	tap_point("ties keep the earlier gap");
}

static void test_exactly_three(void)
{
	const struct dmon_range v[] = {
		{ P(1), P(3) }, { P(8), P(9) }, { P(20), P(24) },
	};
	struct dmon_range out[3];

	CHECK(dmon_three_regions(v, 3, out) == 0);
	CHECK(out_is(out, P(1), P(3), P(8), P(9), P(20), P(24)));
	tap_point("exactly three VMAs give themselves");
}

static void test_too_few(void)
{
	const struct dmon_range v[] = {
		{ P(1), P(3) }, { P(8), P(9) }, { P(20), P(24) },
	};
	struct dmon_range out[3];
	u32 n;

	for (n = 0; n < 3; n++) {
		fill_sentinel(out);
		CHECK(dmon_three_regions(v, n, out) == -EINVAL);
		CHECK(untouched(out));
	}
	tap_point("fewer than three VMAs: -EINVAL, output untouched");
}

static void test_zero_gaps(void)
{
	/* four VMAs but only one non-empty gap */
	const struct dmon_range v[] = {
		{ P(0), P(2) }, { P(2), P(4) }, { P(9), P(10) },
		{ P(10), P(12) },
	};
	/* adjacent VMAs next to two real gaps: the zero gaps are ignored */
	const struct dmon_range w[] = {
		{ P(0), P(2) }, { P(2), P(4) }, { P(5), P(6) },
		{ P(6), P(7) }, { P(9), P(12) },
	};
	struct dmon_range out[3];

	fill_sentinel(out);
	CHECK(dmon_three_regions(v, ARRAY_SIZE(v), out) == -EINVAL);
	CHECK(untouched(out));
	CHECK(dmon_three_regions(w, ARRAY_SIZE(w), out) == 0);
	CHECK(out_is(out, P(0), P(4), P(5), P(7), P(9), P(12)));
	tap_point("adjacent VMAs have no gap; one real gap is -EINVAL");
}

static void test_unaligned(void)
{
	/* unaligned VMAs: regions grow to pages, gaps shrink to pages */
	const struct dmon_range v[] = {
		{ P(1) + 0x10, P(2) + 0x800 }, { P(6) + 0x1, P(7) + 0x1 },
		{ P(9) + 0xfff, P(10) },
	};
	/* the gap between the last two has no whole page: it is empty */
	const struct dmon_range w[] = {
		{ P(1), P(2) + 0x800 }, { P(6), P(7) + 0x800 },
		{ P(8) + 0x100, P(9) },
	};
	struct dmon_range out[3];

	CHECK(dmon_three_regions(v, ARRAY_SIZE(v), out) == 0);
	CHECK(out_is(out, P(1), P(3), P(6), P(8), P(9), P(10)));
	fill_sentinel(out);
	CHECK(dmon_three_regions(w, ARRAY_SIZE(w), out) == -EINVAL);
	CHECK(untouched(out));
	tap_point("unaligned VMAs are page aligned outwards, gaps inwards");
}

static void test_invalid(void)
{
	const struct dmon_range unsorted[] = {
		{ P(5), P(6) }, { P(1), P(2) }, { P(8), P(9) },
	};
	const struct dmon_range overlap[] = {
		{ P(1), P(5) }, { P(4), P(6) }, { P(8), P(9) },
	};
	const struct dmon_range empty[] = {
		{ P(1), P(2) }, { P(4), P(4) }, { P(8), P(9) },
	};
	const struct dmon_range top[] = {
		{ P(1), P(2) }, { P(4), P(5) }, { P(8), ~0ULL },
	};
	struct dmon_range out[3], one;

	fill_sentinel(out);
	CHECK(dmon_three_regions(unsorted, 3, out) == -EINVAL);
	CHECK(dmon_three_regions(overlap, 3, out) == -EINVAL);
	CHECK(dmon_three_regions(empty, 3, out) == -EINVAL);
	CHECK(dmon_three_regions(top, 3, out) == -EINVAL);
	CHECK(untouched(out));
	CHECK(dmon_span_range(overlap, 3, &one) == -EINVAL);
	tap_point("unsorted, overlapping, empty or unroundable VMAs: -EINVAL");
}

static void test_high_addresses(void)
{
	const u64 top = ~(PG - 1);	/* the highest page-aligned address */
	const struct dmon_range v[] = {
		{ P(16), P(17) }, { 0x7ff000000000ULL, 0x7ff000001000ULL },
		{ top - P(4), top - P(3) }, { top - P(1), top },
	};
	struct dmon_range out[3];

	CHECK(dmon_three_regions(v, ARRAY_SIZE(v), out) == 0);
	CHECK(out_is(out, P(16), P(17), 0x7ff000000000ULL,
		     0x7ff000001000ULL, top - P(4), top));
	tap_point("addresses up to the top page work");
}

static void test_span(void)
{
	const struct dmon_range v[] = {
		{ P(3) + 5, P(4) }, { P(8), P(9) + 1 },
	};
	struct dmon_range out = sentinel;

	CHECK(dmon_span_range(v, 0, &out) == -EINVAL);
	CHECK(out.start == sentinel.start && out.end == sentinel.end);
	CHECK(dmon_span_range(v, 1, &out) == 0);
	CHECK(out.start == P(3) && out.end == P(4));
	CHECK(dmon_span_range(v, 2, &out) == 0);
	CHECK(out.start == P(3) && out.end == P(10));
	tap_point("dmon_span_range: one page-aligned range, -EINVAL if none");
}

int main(void)
{
	tap_start();
	test_basic();
	test_larger_first();
	test_ties();
	test_exactly_three();
	test_too_few();
	test_zero_gaps();
	test_unaligned();
	test_invalid();
	test_high_addresses();
	test_span();
	return tap_done();
}
