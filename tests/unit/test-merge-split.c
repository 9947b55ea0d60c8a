// SPDX-License-Identifier: GPL-2.0
/*
 * dmon_merge_regions() (ages, weighted averages, thresholds, size limit,
 * the bound on the number of regions) and dmon_split_regions().
 */
#include "check.h"

#define CAP 2048

/* Widen [l, h] to include v */
#define WIDEN(l, h, v) do { \
	if ((v) < (l)) \
		(l) = (v); \
	if ((v) > (h)) \
		(h) = (v); \
} while (0)

static struct dmon_region buf[CAP], orig[CAP];
static struct dmon_regions rs = { buf, 0, CAP };
static u32 orig_nr;

static void save(void)
{
	memcpy(orig, buf, sizeof(buf));
	orig_nr = rs.nr;
}

/*
 * Compare with the saved regions: same coverage, and the counters of each
 * region are between those of the saved regions it covers (merge), or
 * equal to those of the saved region that covers it (split).
 */
static int check_against_saved(int split)
{
	u32 i, j = 0;
	u32 lo, hi, llo, lhi, alo, ahi;
	u64 a = 0, b = 0;

	for (i = 0; i < rs.nr; i++) {
		const struct dmon_region *r = &rs.r[i];

		while (j < orig_nr && orig[j].end <= r->start)
			j++;
		if (!CHECK(j < orig_nr && orig[j].start <= r->start))
			return 0;
		if (split) {
			if (!CHECK(r->end <= orig[j].end &&
				   r->nr_accesses == orig[j].nr_accesses &&
				   r->last_nr_accesses ==
				   orig[j].last_nr_accesses &&
				   r->age == orig[j].age))
				return 0;
			continue;
		}
		if (!CHECK(orig[j].start == r->start))
			return 0;
		lo = hi = orig[j].nr_accesses;
		llo = lhi = orig[j].last_nr_accesses;
		/* ages are updated (0 or + 1) before merging */
		alo = 0;
		ahi = orig[j].age + 1;
		for (; j < orig_nr && orig[j].end <= r->end; j++) {
			WIDEN(lo, hi, orig[j].nr_accesses);
			WIDEN(llo, lhi, orig[j].last_nr_accesses);
			WIDEN(alo, ahi, orig[j].age + 1);
		}
		if (!CHECK(orig[j - 1].end == r->end))
			return 0;
		if (!CHECK(lo <= r->nr_accesses && r->nr_accesses <= hi &&
			   llo <= r->last_nr_accesses &&
			   r->last_nr_accesses <= lhi &&
			   alo <= r->age && r->age <= ahi)) {
			tap_diag("  region %u", i);
			return 0;
		}
	}
	/* same total size: every saved page is covered */
	for (i = 0; i < rs.nr; i++)
		a += rs.r[i].end - rs.r[i].start;
	for (i = 0; i < orig_nr; i++)
		b += orig[i].end - orig[i].start;
	return CHECK(a == b);
}

static void test_weighted(void)
{
	const u64 b[][2] = { { 0, 1 }, { 1, 4 } };
	const u32 acc[] = { 10, 12 };

	set_regions(&rs, b, 2, acc);
	rs.r[0].last_nr_accesses = 10;
	rs.r[0].age = 4;	/* unchanged: becomes 5 */
	rs.r[1].last_nr_accesses = 0;
	rs.r[1].age = 8;	/* changed by 12 > 2: becomes 0 */
	dmon_merge_regions(&rs, 2, 0, 0);
	CHECK(rs.nr == 1 && region_is(&rs, 0, 0, 4));
	CHECK_EQ(rs.r[0].nr_accesses, (10 * 1 + 12 * 3) / 4);
	CHECK_EQ(rs.r[0].last_nr_accesses, (10 * 1 + 0 * 3) / 4);
	CHECK_EQ(rs.r[0].age, (5 * 1 + 0 * 3) / 4);
	tap_point("merged counters and age are size-weighted averages");
}

static void test_ages(void)
{
	const u64 b[][2] = { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 } };
	const u32 acc[] = { 5, 5, 9, 1 };

	/* non-contiguous: nothing merges, only ages change */
	set_regions(&rs, b, 4, acc);
	rs.r[0].last_nr_accesses = 5;
	rs.r[0].age = 3;
	rs.r[1].last_nr_accesses = 7;	/* diff 2 == threshold: ages */
	rs.r[1].age = 0;
	rs.r[2].last_nr_accesses = 6;	/* diff 3 > threshold: reset */
	rs.r[2].age = 10;
	rs.r[3].last_nr_accesses = 1;
	rs.r[3].age = 0xffffffff;	/* saturates */
	dmon_merge_regions(&rs, 2, 0, 0);
	CHECK(rs.nr == 4);
	CHECK_EQ(rs.r[0].age, 4);
	CHECK_EQ(rs.r[1].age, 1);
	CHECK_EQ(rs.r[2].age, 0);
	CHECK_EQ(rs.r[3].age, 0xffffffff);
	tap_point("ages count intervals without a notable change");
}

static void test_threshold(void)
{
	const u64 b[][2] = { { 0, 1 }, { 1, 2 }, { 2, 3 }, { 3, 4 } };
	const u32 acc[] = { 0, 3, 7, 20 };
	const u32 acc2[] = { 0, 2, 4, 6 };

	/* 0-3 merge (3 <= 3) into 1; 1 and 7 differ by 6; 7 and 20 by 13 */
	set_regions(&rs, b, 4, acc);
	dmon_merge_regions(&rs, 3, 0, 0);
	CHECK(rs.nr == 3 && region_is(&rs, 0, 0, 2));
	CHECK_EQ(rs.r[0].nr_accesses, 1);
	/* chained: 0 and 2 merge into 1, too far from 4; 4 and 6 merge */
	set_regions(&rs, b, 4, acc2);
	dmon_merge_regions(&rs, 2, 0, 0);
	CHECK(rs.nr == 2 && region_is(&rs, 0, 0, 2) &&
	      region_is(&rs, 1, 2, 4));
	CHECK(rs.r[0].nr_accesses == 1 && rs.r[1].nr_accesses == 5);
	/* threshold 0 merges only equal counts */
	set_regions(&rs, b, 4, acc2);
	rs.r[1].nr_accesses = 0;
	dmon_merge_regions(&rs, 0, 0, 0);
	CHECK(rs.nr == 3 && region_is(&rs, 0, 0, 2));
	tap_point("the threshold is inclusive; merged regions chain");
}

static void test_sz_limit(void)
{
	u64 b[10][2];
	u32 i;

	for (i = 0; i < 10; i++) {
		b[i][0] = i;
		b[i][1] = i + 1;
	}
	set_regions(&rs, (const u64 (*)[2])b, 10, NULL);
	dmon_merge_regions(&rs, 0, P(3), 0);
	CHECK(rs.nr == 4 && region_is(&rs, 0, 0, 3) &&
	      region_is(&rs, 3, 9, 10));
	set_regions(&rs, (const u64 (*)[2])b, 10, NULL);
	dmon_merge_regions(&rs, 0, 0, 0);
	CHECK(rs.nr == 1 && region_is(&rs, 0, 0, 10));
	/* the helper: total / min, at least a page */
	set_regions(&rs, (const u64 (*)[2])b, 10, NULL);
	CHECK_EQ(dmon_regions_size(&rs), P(10));
	CHECK_EQ(dmon_merge_sz_limit(&rs, 5), P(2));
	CHECK_EQ(dmon_merge_sz_limit(&rs, 0), P(10));
	CHECK_EQ(dmon_merge_sz_limit(&rs, 100), PG);
	tap_point("merged regions stay within the size limit");
}

/* n contiguous one-page regions from page base with counts from f */
static void make_run(u32 at, u64 base, u32 n, u32 (*f)(u32))
{
	u32 i;

	for (i = 0; i < n; i++) {
		struct dmon_region *r = &rs.r[at + i];

		memset(r, 0, sizeof(*r));
		r->start = P(base + i);
		r->end = P(base + i + 1);
		r->sampling_addr = r->start;
		r->nr_accesses = f(i);
		r->last_nr_accesses = i % 3 ? f(i) : f(i + 1);
		r->age = i % 7;
	}
}

static u32 f_distinct(u32 i) { return i; }
static u32 f_zigzag(u32 i) { return i % 2 ? 20 : 0; }
static u32 f_steps(u32 i) { return (i * 37) % 101; }
static u32 f_huge(u32 i) { return i % 2 ? 0xffffffffU : 0xfffffff0U - i; }

static void test_bound(void)
{
	u32 (*const fs[])(u32) = { f_distinct, f_zigzag, f_steps, f_huge };
	u32 f, max;
	int ok;

	for (f = 0; f < ARRAY_SIZE(fs); f++) {
		for (max = 1; max <= 1000; max = max * 3 + 1) {
			make_run(0, 100, 1000, fs[f]);
			rs.nr = 1000;
			save();
			/* a size limit that alone would keep 500 regions */
			dmon_merge_regions(&rs, 0, P(2), max);
			ok = CHECK(check_regions(&rs));
			/* met exactly: no collapse below the bound */
			ok &= CHECK(rs.nr == max);
			ok &= CHECK(check_against_saved(0));
			if (!ok)
				tap_diag("  pattern %u max %u: %u regions", f,
					 max, rs.nr);
		}
	}
	tap_point("max_nr_regions holds under adversarial counts");
}

static void test_bound_runs(void)
{
	u32 i;

	/* 50 runs of 20 regions, separated by one-page holes */
	for (i = 0; i < 50; i++)
		make_run(i * 20, i * 21, 20, f_distinct);
	rs.nr = 1000;
	save();
	dmon_merge_regions(&rs, 1, P(1), 60);
	CHECK(check_regions(&rs));
	CHECK(rs.nr == 60);
	CHECK(check_against_saved(0));
	/* fewer allowed than runs: one region per run, never across holes */
	dmon_merge_regions(&rs, 1, P(1), 30);
	CHECK(check_regions(&rs));
	CHECK(rs.nr == 50);
	for (i = 0; i < 50; i++)
		CHECK(region_is(&rs, i, i * 21, i * 21 + 20));
	CHECK(check_against_saved(0));
	/* max 0: no bound, only the base pass (nothing qualifies here) */
	make_run(0, 0, 100, f_zigzag);
	rs.nr = 100;
	dmon_merge_regions(&rs, 0, 0, 0);
	CHECK(rs.nr == 100);
	tap_point("the bound stops at one region per contiguous run");
}

static u32 f_zero(u32 i) { (void)i; return 0; }

static void test_bound_online(void)
{
	u32 i, ages_ok = 1;

	/* equal counts everywhere: a pass without a bound would leave one */
	make_run(0, 100, 1000, f_zero);
	rs.nr = 1000;
	save();
	dmon_bound_regions(&rs, 0, P(1), 100);
	CHECK(check_regions(&rs));
	CHECK(rs.nr == 100);
	CHECK(check_against_saved(0));
	/* regions it did not merge keep their age: no ages update here */
	for (i = 0; i < rs.nr; i++)
		if (rs.r[i].end - rs.r[i].start == PG &&
		    rs.r[i].age != (rs.r[i].start / PG - 100) % 7)
			ages_ok = 0;
	CHECK(ages_ok);
	/* already within the bound: nothing happens */
	dmon_bound_regions(&rs, 0, P(1), 100);
	CHECK(rs.nr == 100);
	tap_point("lowering the bound online merges down to it, not below");
}

static void test_big_weights(void)
{
	/* 2^40 pages + 1 page with counts near 2^32 */
	struct dmon_region *r = rs.r;

	memset(r, 0, 2 * sizeof(*r));
	r[0].start = 0;
	r[0].end = PG << 40;
	r[0].nr_accesses = 0xffffffffU;
	r[0].last_nr_accesses = 0xffffffffU;
	r[0].age = 0xfffffff0U;
	r[1].start = r[0].end;
	r[1].end = r[1].start + PG;
	r[1].nr_accesses = 0xfffffffeU;
	r[1].last_nr_accesses = 0xfffffffeU;
	r[1].age = 0xfffffff0U;
	rs.nr = 2;
	dmon_merge_regions(&rs, 1, 0, 0);
	CHECK(rs.nr == 1);
	CHECK(rs.r[0].nr_accesses >= 0xfffffffeU);
	CHECK_EQ(rs.r[0].age, 0xfffffff1U);
	CHECK(rs.r[0].last_nr_accesses >= 0xfffffffeU);
	CHECK(rs.r[0].end == (PG << 40) + PG);
	tap_point("no overflow with huge regions and counts");
}

/* n regions of sizes sz[i] pages, contiguous, with distinct counters */
static void make_sized(const u64 *sz, u32 n)
{
	u64 pos = 10;
	u32 i;

	memset(rs.r, 0, sizeof(*rs.r) * n);
	for (i = 0; i < n; i++) {
		rs.r[i].start = P(pos);
		pos += sz[i];
		rs.r[i].end = P(pos);
		rs.r[i].sampling_addr = rs.r[i].start;
		rs.r[i].nr_accesses = i + 1;
		rs.r[i].last_nr_accesses = 2 * i;
		rs.r[i].age = 3 * i;
	}
	rs.nr = n;
}

static void test_split(void)
{
	const u64 sz[] = { 1, 2, 3, 10, 1000, 1ULL << 40 };
	const u32 n = ARRAY_SIZE(sz);

	dmon_test_seed(7);
	make_sized(sz, n);
	save();
	dmon_split_regions(&rs, 1000, 2, 0);
	CHECK(check_regions(&rs));
	CHECK(check_against_saved(1));
	CHECK_EQ(rs.nr, 2 * n - 1);	/* the one-page region stays */

	make_sized(sz, n);
	save();
	dmon_split_regions(&rs, 1000, 3, 0);
	CHECK(check_regions(&rs));
	CHECK(check_against_saved(1));
	CHECK_EQ(rs.nr, 1 + 2 + 3 * (n - 2));	/* 1 page: 1, 2 pages: 2 */

	make_sized(sz, n);
	save();
	dmon_split_regions(&rs, 1000, 9, 0);	/* counts as 3 */
	CHECK_EQ(rs.nr, 1 + 2 + 3 * (n - 2));
	make_sized(sz, n);
	dmon_split_regions(&rs, 1000, 1, 0);
	CHECK_EQ(rs.nr, n);
	CHECK(!dmon_test_rand_misused());
	tap_point("split keeps coverage, order, alignment and counters");
}

static void test_split_limits(void)
{
	const u64 sz[] = { 4, 4, 4, 4 };
	struct dmon_region small[6];
	struct dmon_regions s = { small, 0, 6 };
	u32 i;

	/* max 6: the first two regions get the two extra */
	make_sized(sz, 4);
	save();
	dmon_split_regions(&rs, 6, 2, 0);
	CHECK(check_regions(&rs) && check_against_saved(1));
	CHECK(rs.nr == 6);
	CHECK(rs.r[4].start == orig[2].start && rs.r[4].end == orig[2].end);
	CHECK(rs.r[5].start == orig[3].start && rs.r[5].end == orig[3].end);
	/* max 7 with 3 pieces: 2 extra for the first, 1 for the second */
	make_sized(sz, 4);
	dmon_split_regions(&rs, 7, 3, 0);
	CHECK(check_regions(&rs) && check_against_saved(1));
	CHECK(rs.nr == 7 && rs.r[2].end == orig[0].end &&
	      rs.r[4].end == orig[1].end);
	/* capacity limits too */
	memcpy(small, orig, 4 * sizeof(*small));
	s.nr = 4;
	dmon_split_regions(&s, 1000, 3, 0);
	CHECK(s.nr == 6);
	CHECK(check_regions(&s));
	/* already at the limit: nothing */
	make_sized(sz, 4);
	dmon_split_regions(&rs, 4, 2, 0);
	CHECK(rs.nr == 4);
	dmon_split_regions(&rs, 3, 2, 0);
	CHECK(rs.nr == 4);
	for (i = 0; i < 4; i++)
		CHECK(rs.r[i].end - rs.r[i].start == P(4));
	tap_point("split never exceeds max_nr_regions or the capacity");
}

static void test_split_uniform(void)
{
	const u64 sz[] = { 4 };
	unsigned int two[4] = { 0 }, three[4] = { 0 };
	u32 i, c1, c2;

	dmon_test_seed(11);
	for (i = 0; i < 30000; i++) {
		make_sized(sz, 1);
		dmon_split_regions(&rs, 10, 2, 0);
		two[(rs.r[0].end - rs.r[0].start) / PG]++;
		make_sized(sz, 1);
		dmon_split_regions(&rs, 10, 3, 0);
		c1 = (rs.r[0].end - P(10)) / PG;
		c2 = (rs.r[1].end - P(10)) / PG;
		/* {1,2} -> 0, {1,3} -> 1, {2,3} -> 2 */
		three[c1 + c2 - 3]++;
	}
	/* each ~10000; 9000 is more than 10 sigmas away */
	for (i = 1; i < 4; i++)
		CHECK(two[i] > 9000 && two[i] < 11000);
	for (i = 0; i < 3; i++)
		CHECK(three[i] > 9000 && three[i] < 11000);
	tap_point("cut points are uniform over page boundaries");
}

int main(void)
{
	tap_start();
	test_weighted();
	test_ages();
	test_threshold();
	test_sz_limit();
	test_bound();
	test_bound_runs();
	test_bound_online();
	test_big_weights();
	test_split();
	test_split_limits();
	test_split_uniform();
	return tap_done();
}
