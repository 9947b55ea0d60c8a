// SPDX-License-Identifier: GPL-2.0
/*
 * dmon_random_sampling_addr() and dmon_reset_aggregated().
 */
#include "check.h"

static void test_uniform(void)
{
	struct dmon_region r = { .start = P(10), .end = P(14) };
	unsigned int hist[4] = { 0 };
	int ok = 1, i;
	u64 a;

	dmon_test_seed(1);
	for (i = 0; i < 40000; i++) {
		a = dmon_random_sampling_addr(&r);
		if (a < r.start || a >= r.end || a % PG) {
			ok = 0;
			break;
		}
		hist[(a - r.start) / PG]++;
	}
	CHECK(ok);
	/* each page ~10000 times; 9000 is more than 10 sigmas away */
	for (i = 0; i < 4; i++)
		if (!CHECK(hist[i] > 9000 && hist[i] < 11000))
			tap_diag("  page %d sampled %u times", i, hist[i]);
	tap_point("sampling addresses are pages of the region, uniformly");
}

static void test_one_page(void)
{
	struct dmon_region r = { .start = P(5), .end = P(6) };
	int i, ok = 1;

	for (i = 0; i < 100; i++)
		ok &= dmon_random_sampling_addr(&r) == P(5);
	CHECK(ok);
	/* invalid regions (empty, or less than a page) give their start */
	r.end = r.start;
	CHECK(dmon_random_sampling_addr(&r) == P(5));
	r.end = r.start + 100;
	CHECK(dmon_random_sampling_addr(&r) == P(5));
	CHECK(!dmon_test_rand_misused());
	tap_point("a one-page region always samples its page");
}

static void test_huge(void)
{
	/* 2^40 + 1 pages: needs more than 32 random bits */
	const u64 pages = (1ULL << 40) + 1;
	struct dmon_region r = { .start = P(1), .end = P(1) + pages * PG };
	/* scripted: high 31 bits, then low 31 bits, for each try */
	const u32 vals[] = { 3, 5, 0x7fffffff, 0x7fffffff, 1, 2 };
	int i, ok = 1, high = 0;
	u64 a;

	dmon_test_script(vals, ARRAY_SIZE(vals));
	a = dmon_random_sampling_addr(&r);
	CHECK_EQ(a, r.start + ((3ULL << 31) | 5) * PG);
	/* 2^62 - 1 would bias the remainder: rejected, the next try counts */
	a = dmon_random_sampling_addr(&r);
	CHECK_EQ(a, r.start + ((1ULL << 31) | 2) * PG);
	dmon_test_seed(2);
	for (i = 0; i < 1000; i++) {
		a = dmon_random_sampling_addr(&r);
		ok &= a >= r.start && a < r.end && a % PG == 0;
		high += a - r.start >= (PG << 39);
	}
	CHECK(ok);
	CHECK(high > 400 && high < 600);
	tap_point("regions of more than 2^32 pages are sampled over all pages");
}

static void test_reset(void)
{
	struct dmon_region buf[3] = {
		{ .start = P(0), .end = P(1), .sampling_addr = P(0),
		  .nr_accesses = 5, .last_nr_accesses = 1, .age = 7 },
		{ .start = P(1), .end = P(3), .sampling_addr = P(2),
		  .nr_accesses = 0, .last_nr_accesses = 9, .age = 2 },
		{ .start = P(4), .end = P(5), .sampling_addr = P(4),
		  .nr_accesses = 20, .last_nr_accesses = 20, .age = 0 },
	};
	struct dmon_regions rs = { buf, 3, 3 };

	dmon_reset_aggregated(&rs);
	CHECK(buf[0].nr_accesses == 0 && buf[0].last_nr_accesses == 5);
	CHECK(buf[1].nr_accesses == 0 && buf[1].last_nr_accesses == 0);
	CHECK(buf[2].nr_accesses == 0 && buf[2].last_nr_accesses == 20);
	/* ages and addresses are not touched */
	CHECK(buf[0].age == 7 && buf[1].age == 2 && buf[2].age == 0);
	CHECK(buf[1].start == P(1) && buf[1].end == P(3));
	CHECK(buf[1].sampling_addr == P(2));
	tap_point("reset_aggregated moves nr_accesses to last_nr_accesses");
}

int main(void)
{
	tap_start();
	test_uniform();
	test_one_page();
	test_huge();
	test_reset();
	return tap_done();
}
