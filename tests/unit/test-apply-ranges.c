// SPDX-License-Identifier: GPL-2.0
/*
 * dmon_apply_ranges(): stretching, filling, dropping and clipping regions
 * for ranges that vanish, grow, shrink or appear; errors; and the in-place
 * work compared with a simple out-of-place model on random cases.
 */
#include "check.h"

#define CAP 512

static struct dmon_region buf[CAP], saved[CAP];
static struct dmon_regions rs = { buf, 0, CAP };

/* Ranges from page numbers */
static u32 mk_ranges(struct dmon_range *out, const u64 (*b)[2], u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		out[i].start = P(b[i][0]);
		out[i].end = P(b[i][1]);
	}
	return n;
}

/* Regions with counters 1, 2, ... and ages 10, 20, ... */
static void mk_regions(const u64 (*b)[2], u32 n)
{
	u32 i;

	set_regions(&rs, b, n, NULL);
	for (i = 0; i < n; i++) {
		rs.r[i].nr_accesses = i + 1;
		rs.r[i].last_nr_accesses = i + 1;
		rs.r[i].age = 10 * (i + 1);
	}
}

/* Region i has the counters of original region k, or fresh ones (k < 0) */
static int counters_of(u32 i, int k)
{
	const struct dmon_region *r = &rs.r[i];
	u32 acc = k < 0 ? 0 : k + 1, age = k < 0 ? 0 : 10 * (k + 1);

	if (r->nr_accesses == acc && r->last_nr_accesses == acc &&
	    r->age == age && r->sampling_addr >= r->start &&
	    r->sampling_addr < r->end)
		return 1;
	tap_diag("  region %u: counters not those of %d", i, k);
	dump_regions(&rs);
	return 0;
}

static void test_empty_start(void)
{
	const u64 rb[][2] = { { 10, 20 }, { 30, 31 }, { 40, 100 } };
	struct dmon_range rg[3];

	mk_ranges(rg, rb, 3);
	rs.nr = 0;
	CHECK(dmon_apply_ranges(&rs, rg, 3) == 0);
	CHECK(check_regions(&rs) && check_cover(&rs, rg, 3));
	CHECK(rs.nr == 3);
	CHECK(counters_of(0, -1) && counters_of(2, -1));
	tap_point("no regions: one fresh region per range");
}

static void test_stretch(void)
{
	const u64 b[][2] = { { 2, 4 }, { 4, 6 } };
	const u64 rb[][2] = { { 0, 10 } };
	struct dmon_range rg[1];

	mk_ranges(rg, rb, 1);
	mk_regions(b, 2);
	CHECK(dmon_apply_ranges(&rs, rg, 1) == 0);
	CHECK(rs.nr == 2 && region_is(&rs, 0, 0, 4) &&
	      region_is(&rs, 1, 4, 10));
	CHECK(counters_of(0, 0) && counters_of(1, 1));
	tap_point("a growing range stretches its first and last regions");
}

static void test_fill(void)
{
	const u64 b[][2] = { { 0, 2 }, { 5, 6 }, { 8, 10 } };
	const u64 rb[][2] = { { 0, 10 } };
	struct dmon_range rg[1];

	mk_ranges(rg, rb, 1);
	mk_regions(b, 3);
	CHECK(dmon_apply_ranges(&rs, rg, 1) == 0);
	CHECK(check_cover(&rs, rg, 1) && rs.nr == 5);
	CHECK(region_is(&rs, 1, 2, 5) && region_is(&rs, 3, 6, 8));
	CHECK(counters_of(0, 0) && counters_of(1, -1) && counters_of(2, 1) &&
	      counters_of(3, -1) && counters_of(4, 2));
	tap_point("holes between regions are filled with fresh regions");
}

static void test_shrink(void)
{
	const u64 b[][2] = { { 0, 2 }, { 2, 5 }, { 5, 9 } };
	const u64 rb[][2] = { { 3, 7 } };
	struct dmon_range rg[1];

	mk_ranges(rg, rb, 1);
	mk_regions(b, 3);
	rs.r[1].sampling_addr = P(2);	/* clipped away: moves */
	rs.r[2].sampling_addr = P(6);	/* still inside: stays */
	CHECK(dmon_apply_ranges(&rs, rg, 1) == 0);
	CHECK(rs.nr == 2 && region_is(&rs, 0, 3, 5) &&
	      region_is(&rs, 1, 5, 7));
	CHECK(counters_of(0, 1) && counters_of(1, 2));
	CHECK(rs.r[0].sampling_addr == P(3) && rs.r[1].sampling_addr == P(6));
	tap_point("a shrinking range clips its regions and drops the rest");
}

static void test_vanish_appear(void)
{
	const u64 b[][2] = { { 0, 4 }, { 10, 12 }, { 12, 14 }, { 20, 30 } };
	/* [10, 14) vanishes, [40, 50) appears, [0, 4) and [20, 30) stay */
	const u64 rb[][2] = { { 0, 4 }, { 20, 30 }, { 40, 50 } };
	struct dmon_range rg[3];

	mk_ranges(rg, rb, 3);
	mk_regions(b, 4);
	CHECK(dmon_apply_ranges(&rs, rg, 3) == 0);
	CHECK(check_cover(&rs, rg, 3) && rs.nr == 3);
	CHECK(counters_of(0, 0) && counters_of(1, 3) && counters_of(2, -1));
	/* a range between existing regions, touching none */
	const u64 rb2[][2] = { { 0, 4 }, { 5, 6 }, { 20, 30 }, { 40, 50 } };
	struct dmon_range rg2[4];

	mk_ranges(rg2, rb2, 4);
	CHECK(dmon_apply_ranges(&rs, rg2, 4) == 0);
	CHECK(check_cover(&rs, rg2, 4) && rs.nr == 4);
	CHECK(counters_of(1, -1));
	/* all ranges gone */
	CHECK(dmon_apply_ranges(&rs, rg2, 0) == 0);
	CHECK(rs.nr == 0);
	tap_point("ranges that vanish, appear, or become empty");
}

static void test_spanning(void)
{
	const u64 b[][2] = { { 0, 100 }, { 100, 101 } };
	/* region 0 covers three ranges */
	const u64 rb[][2] = { { 5, 10 }, { 20, 30 }, { 90, 101 } };
	struct dmon_range rg[3];

	mk_ranges(rg, rb, 3);
	mk_regions(b, 2);
	CHECK(dmon_apply_ranges(&rs, rg, 3) == 0);
	CHECK(check_cover(&rs, rg, 3) && rs.nr == 4);
	CHECK(counters_of(0, 0) && counters_of(1, 0) && counters_of(2, 0) &&
	      counters_of(3, 1));
	CHECK(region_is(&rs, 2, 90, 100));
	tap_point("a region spanning several ranges is split per range");
}

static void test_unaligned(void)
{
	const u64 b[][2] = { { 2, 4 } };
	const struct dmon_range rg[] = { { P(1) + 7, P(5) - 7 } };
	const struct dmon_range aligned[] = { { P(1), P(5) } };

	mk_regions(b, 1);
	CHECK(dmon_apply_ranges(&rs, rg, 1) == 0);
	CHECK(check_cover(&rs, aligned, 1) && rs.nr == 1);
	tap_point("unaligned ranges are page aligned outwards");
}

static void test_errors(void)
{
	const u64 b[][2] = { { 0, 2 }, { 5, 6 }, { 8, 10 } };
	const u64 rb[][2] = { { 0, 10 } };
	const u64 bad[][2] = { { 5, 10 }, { 0, 3 } };
	struct dmon_region small[4];
	struct dmon_regions s = { small, 0, 4 };
	struct dmon_range rg[2];

	/* 5 regions needed, 4 available */
	mk_regions(b, 3);
	memcpy(small, rs.r, 3 * sizeof(*small));
	s.nr = 3;
	mk_ranges(rg, rb, 1);
	CHECK(dmon_apply_ranges(&s, rg, 1) == -ENOSPC);
	CHECK(s.nr == 3 && !memcmp(small, rs.r, 3 * sizeof(*small)));
	mk_ranges(rg, bad, 2);
	CHECK(dmon_apply_ranges(&s, rg, 2) == -EINVAL);
	rg[0].start = rg[0].end = P(5);
	CHECK(dmon_apply_ranges(&s, rg, 1) == -EINVAL);
	CHECK(s.nr == 3 && !memcmp(small, rs.r, 3 * sizeof(*small)));
	tap_point("-ENOSPC and -EINVAL leave the regions untouched");
}

/*
 * The model: the same rules, out of place, one range at a time.
 */
static u32 model(const struct dmon_region *in, u32 nr,
		 const struct dmon_range *rg, u32 nr_rg,
		 struct dmon_region *out)
{
	u32 n = 0, i, j, first;

	for (j = 0; j < nr_rg; j++) {
		first = n;
		for (i = 0; i < nr; i++) {
			if (in[i].end <= rg[j].start ||
			    in[i].start >= rg[j].end)
				continue;
			if (n > first && out[n - 1].end < in[i].start) {
				memset(&out[n], 0, sizeof(out[n]));
				out[n].start = out[n - 1].end;
				out[n].end = in[i].start;
				n++;
			}
			out[n] = in[i];
			out[n].start = n > first ? in[i].start : rg[j].start;
			if (out[n].end > rg[j].end)
				out[n].end = rg[j].end;
			n++;
		}
		if (n == first) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].start = rg[j].start;
			n++;
		}
		out[n - 1].end = rg[j].end;
	}
	return n;
}

static int same_regions(const struct dmon_region *a,
			const struct dmon_region *b, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end ||
		    a[i].nr_accesses != b[i].nr_accesses ||
		    a[i].last_nr_accesses != b[i].last_nr_accesses ||
		    a[i].age != b[i].age)
			return 0;
	return 1;
}

/* Up to max sorted, non-overlapping random page ranges within [0, span) */
static u32 random_ranges(struct dmon_range *out, u32 max, u64 span)
{
	u64 pos = dmon_test_below(span / 4);
	u32 n = 0;

	while (n < max && pos < span - 1) {
		u64 len = 1 + dmon_test_below(span / 8 + 1);

		if (pos + len > span)
			len = span - pos;
		out[n].start = P(pos);
		out[n].end = P(pos + len);
		n++;
		pos += len + dmon_test_below(4) * dmon_test_below(span / 8 + 1);
	}
	return n;
}

/* Does some region of rs intersect two or more of the ranges? */
static int spans_ranges(const struct dmon_range *rg, u32 nr_rg)
{
	u32 i, j, hits;

	for (i = 0; i < rs.nr; i++) {
		hits = 0;
		for (j = 0; j < nr_rg; j++)
			hits += rs.r[i].start < rg[j].end &&
				rg[j].start < rs.r[i].end;
		if (hits > 1)
			return 1;
	}
	return 0;
}

static void test_model(void)
{
	static struct dmon_region want[4 * CAP];
	struct dmon_range rg[16], old[16];
	u32 round, nr_old, nr_rg, n, i, nr, min_nr;
	u32 grew = 0, shrank = 0, spanned = 0, fails = 0;
	u64 span, half;

	dmon_test_seed(42);
	for (round = 0; round < 20000 && fails < 5; round++) {
		span = 8 + dmon_test_below(200);
		/* a valid starting state: regions tiling random ranges ... */
		nr_old = random_ranges(old, 1 + dmon_test_below(16), span);
		rs.cap = CAP;
		min_nr = 1 + dmon_test_below(40);
		CHECK(dmon_init_regions(&rs, old, nr_old, min_nr) == 0);
		for (i = 0; i < rs.nr; i++) {
			rs.r[i].nr_accesses = dmon_test_below(1000);
			rs.r[i].last_nr_accesses = dmon_test_below(1000);
			rs.r[i].age = dmon_test_below(1000);
		}
		/* ... with a few holes in it */
		for (i = 0; i + 1 < rs.nr; i++) {
			half = (rs.r[i].end - rs.r[i].start) / PG / 2;
			if (!dmon_test_below(8))
				rs.r[i].end -= P(half);
		}
		nr_rg = random_ranges(rg, 1 + dmon_test_below(16), span);
		nr = rs.nr;
		n = model(rs.r, nr, rg, nr_rg, want);
		grew += n > nr;
		shrank += n < nr;
		spanned += spans_ranges(rg, nr_rg);

		/* one region short: -ENOSPC, untouched */
		if (n > nr) {
			memcpy(saved, rs.r, sizeof(*saved) * nr);
			rs.cap = n - 1;
			CHECK(dmon_apply_ranges(&rs, rg, nr_rg) == -ENOSPC);
			CHECK(rs.nr == nr && same_regions(rs.r, saved, nr));
		}
		/* the tightest room: everything happens in place */
		rs.cap = n > nr ? n : nr;
		CHECK(dmon_apply_ranges(&rs, rg, nr_rg) == 0);
		if (!CHECK(rs.nr == n && same_regions(rs.r, want, n) &&
			   check_regions(&rs) && check_cover(&rs, rg, nr_rg))) {
			tap_diag("  round %u: %u regions, model %u", round,
				 rs.nr, n);
			fails++;
		}
	}
	rs.cap = CAP;
	tap_diag("%u rounds: %u grew, %u shrank, %u split a region", round,
		 grew, shrank, spanned);
	CHECK(grew > 1000 && shrank > 1000 && spanned > 1000);
	tap_point("in-place result equals the model with the tightest room");
}

int main(void)
{
	tap_start();
	test_empty_start();
	test_stretch();
	test_fill();
	test_shrink();
	test_vanish_appear();
	test_spanning();
	test_unaligned();
	test_errors();
	test_model();
	return tap_done();
}
