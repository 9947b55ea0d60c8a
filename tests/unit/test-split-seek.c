// SPDX-License-Identifier: GPL-2.0
/*
 * dmon_split_regions() with the samples of the interval: regions that read
 * partly accessed are cut finer, a lone hit in a region that reads idle
 * gets a window cut around it, and the budget of regions goes to those
 * first.  Then the whole cycle of the module (sample, merge, report,
 * reset, split) simulated on hot areas of 1/64 to 1/1024 of a target,
 * standing still and moving: what the region logic finds, beside what it
 * finds cutting at random only (upstream's way), which is printed.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "check.h"

#define CAP 4096

static struct dmon_region buf[CAP];
static struct dmon_regions rs = { buf, 0, CAP };

/* One region of @pages pages at page 1000, with @last of the samples. */
static void one_region(u64 pages, u32 last, u64 hit_page)
{
	memset(buf, 0, sizeof(buf[0]));
	rs.r[0].start = P(1000);
	rs.r[0].end = P(1000 + pages);
	rs.r[0].sampling_addr = rs.r[0].start;
	rs.r[0].last_nr_accesses = last;
	rs.r[0].age = 7;
	rs.r[0].hit_addr = hit_page ? P(1000 + hit_page) : 0;
	rs.nr = 1;
}

/* The page offsets, from page 1000, where the regions after the first
 * begin, are want[0..n). */
static int cuts_are(const u64 *want, u32 n)
{
	u32 i;

	if (!CHECK(rs.nr == n + 1)) {
		dump_regions(&rs);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!CHECK(rs.r[i + 1].start == P(1000 + want[i]))) {
			dump_regions(&rs);
			return 0;
		}
	return 1;
}

static int no_hits_left(void)
{
	u32 i;

	for (i = 0; i < rs.nr; i++)
		if (!CHECK(!rs.r[i].hit_addr))
			return 0;
	return 1;
}

/*
 * Three regions of 1000 pages at page 1000 with @left, @mid and @right of
 * 20 samples; 1 page apart from the middle one if @apart.
 */
static void three_regions(u32 left, u32 mid, u32 right, bool apart)
{
	const u32 last[3] = { left, mid, right };
	u32 i;

	memset(buf, 0, 3 * sizeof(buf[0]));
	for (i = 0; i < 3; i++) {
		rs.r[i].start = P(1000 + 1000 * i + (apart && i == 2));
		rs.r[i].end = rs.r[i].start + P(1000);
		rs.r[i].sampling_addr = rs.r[i].start;
		rs.r[i].last_nr_accesses = last[i];
		rs.r[i].age = 7;
	}
	rs.r[0].end -= apart ? P(1) : 0;
	rs.nr = 3;
}

/* How many pieces the middle one of three_regions() was cut into. */
static u32 middle_pieces(void)
{
	u32 i, n = 0;

	for (i = 0; i < rs.nr; i++)
		n += rs.r[i].start >= P(2000) && rs.r[i].end <= P(3000);
	return n;
}

static void test_edges(void)
{
	u32 last;

	dmon_test_seed(3);
	/*
	 * 20 samples: a tenth is 2, so 3 to 17 read partly accessed; next to
	 * an idle region (or a fully accessed one), that is an edge.
	 */
	for (last = 0; last <= 20; last++) {
		three_regions(0, last, last, false);
		dmon_split_regions(&rs, 1000, 2, 20);
		CHECK(check_regions(&rs));
		if (!CHECK(middle_pieces() ==
			   (last >= 3 && last <= 17 ? 8U : 2U)))
			tap_diag("  last_nr_accesses %u", last);
		CHECK(rs.r[rs.nr - 1].end == P(4000) &&
		      rs.r[rs.nr - 1].last_nr_accesses == last &&
		      rs.r[rs.nr - 1].age == 7);
	}
	three_regions(10, 10, 20, false);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK_EQ(middle_pieces(), 8U);
	/* Warm between warm ones: no edge, cut at random */
	three_regions(6, 10, 14, false);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK_EQ(middle_pieces(), 2U);
	/* An idle region that does not touch it is no neighbour */
	three_regions(0, 10, 10, true);
	rs.r[2].last_nr_accesses = 10;
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK_EQ(middle_pieces(), 2U);
	/* Without the count of samples, as upstream: at random, in 2 */
	three_regions(0, 10, 20, false);
	dmon_split_regions(&rs, 1000, 2, 0);
	CHECK_EQ(middle_pieces(), 2U);
	/* A small region: one piece a page */
	one_region(5, 10, 0);
	rs.r[1] = rs.r[0];
	rs.r[1].start = rs.r[0].end;
	rs.r[1].end = rs.r[1].start + P(5);
	rs.r[1].last_nr_accesses = 0;
	rs.nr = 2;
	dmon_split_regions(&rs, 1000, 3, 20);
	CHECK_EQ(rs.nr, 5U + 3U);
	tap_point("a partly accessed region next to an idle or fully accessed "
		  "one is cut in 8, the others in 2 or 3");
}

static void test_needle(void)
{
	/* 6400 pages: a window of 100 around page 3200, then 400 and 1600 */
	const u64 mid[] = { 2400, 3000, 3150, 3251, 3401, 4001 };
	const u64 low[] = { 61, 211, 811 };
	const u64 high[] = { 5589, 6189, 6339 };
	const u64 one[] = { 3150 };

	dmon_test_seed(5);
	one_region(6400, 1, 3200);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK(cuts_are(mid, ARRAY_SIZE(mid)) && no_hits_left());
	CHECK(rs.r[3].start <= P(1000 + 3200) && P(1000 + 3200) < rs.r[3].end);
	/* near the start: no cut before page 0; near the end likewise */
	one_region(6400, 2, 10);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK(cuts_are(low, ARRAY_SIZE(low)));
	one_region(6400, 1, 6389);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK(cuts_are(high, ARRAY_SIZE(high)));
	/* one cut allowed: the innermost */
	one_region(6400, 1, 3200);
	dmon_split_regions(&rs, 2, 2, 20);
	CHECK(cuts_are(one, 1));
	/* no hit left, or one outside the region, or too many samples hit
	 * to be a needle: at random */
	one_region(6400, 1, 0);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK_EQ(rs.nr, 2U);
	one_region(6400, 1, 0);
	rs.r[0].hit_addr = P(999);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK_EQ(rs.nr, 2U);
	CHECK(no_hits_left());
	one_region(6400, 3, 3200);
	dmon_split_regions(&rs, 1000, 3, 20);
	CHECK_EQ(rs.nr, 3U);
	/* a hit whose count a merge with idle neighbours rounded down to 0
	 * still gets its window */
	one_region(6400, 0, 3200);
	dmon_split_regions(&rs, 1000, 2, 20);
	CHECK(cuts_are(mid, ARRAY_SIZE(mid)));
	tap_point("a lone hit in a region that reads idle gets a window around it");
}

/* Four regions of 100 pages at page 1000; the last one partly accessed
 * (10 of 20), next to an idle one. */
static void four_regions(void)
{
	u32 i;

	memset(buf, 0, 4 * sizeof(buf[0]));
	for (i = 0; i < 4; i++) {
		rs.r[i].start = P(1000 + 100 * i);
		rs.r[i].end = P(1100 + 100 * i);
		rs.r[i].sampling_addr = rs.r[i].start;
	}
	rs.r[3].last_nr_accesses = 10;
	rs.nr = 4;
}

static void test_budget(void)
{
	u32 i;

	/* Room for 7 more: all of them go to the edge, none to the three
	 * before it. */
	four_regions();
	dmon_split_regions(&rs, 11, 2, 20);
	CHECK_EQ(rs.nr, 11U);
	for (i = 0; i < 3; i++)
		CHECK_EQ(rs.r[i].end - rs.r[i].start, P(100));
	/* Room for 9: the edge's 7, then the first two */
	four_regions();
	dmon_split_regions(&rs, 13, 2, 20);
	CHECK_EQ(rs.nr, 13U);
	CHECK(rs.r[1].end == P(1100) && rs.r[3].end == P(1200));
	CHECK(rs.r[4].start == P(1200) && rs.r[4].end == P(1300));
	CHECK(check_regions(&rs));
	tap_point("the budget of regions goes where access changes first");
}

static void test_merge_keeps_hit(void)
{
	/* Two regions that merge: the hit of the one accessed more stays */
	memset(buf, 0, 2 * sizeof(buf[0]));
	rs.r[0].start = P(10);
	rs.r[0].end = P(20);
	rs.r[0].nr_accesses = 1;
	rs.r[0].hit_addr = P(12);
	rs.r[1].start = P(20);
	rs.r[1].end = P(30);
	rs.r[1].nr_accesses = 2;
	rs.r[1].hit_addr = P(25);
	rs.nr = 2;
	dmon_merge_regions(&rs, 2, 0, 0);
	CHECK(rs.nr == 1 && rs.r[0].hit_addr == P(25));
	tap_point("a merged region keeps the hit of the part accessed more");
}

/* ------------------------------------------------ the simulated cycle */

struct sim {
	u64 size, hot_size;	/* bytes */
	u32 move_every;		/* aggregations; 0: the hot area stays */
	u32 heat_pct;		/* a sample finds the hot area accessed */
	u32 aggrs;
	u32 max_nr_accesses;	/* 0: cut at random only */
	/* results */
	double precision, recall, wss_err;
	u32 worst_latency;
	double mean_regions;
};

#define SIM_BASE	(1ULL << 32)
#define SIM_MIN		10
#define SIM_MAX		1000
#define SIM_PASSES	20
#define SIM_WARMUP	20

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static u64 overlap(u64 s, u64 e, u64 hs, u64 he)
{
	u64 a = s > hs ? s : hs, b = e < he ? e : he;

	return a < b ? b - a : 0;
}

/*
 * The module's cycle over one target, a hot area accessed all the time
 * and the rest never: precision and recall of the bytes reported hot
 * (a quarter of the samples or more, as the benchmark counts them) after
 * a warm-up and once a move was found, the median working-set error
 * (regions with any access), and the aggregations until a moved area is
 * found (precision and recall 0.5).
 */
static void simulate(struct sim *s, u64 seed)
{
	struct dmon_range range = { SIM_BASE, SIM_BASE + s->size };
	static double werr[1024];
	double tp = 0, fp = 0, fn = 0, regions = 0;
	u64 hot = SIM_BASE + s->size / 3 / PG * PG;
	u32 a, p, i, n = 0, nsplit = 0, last_nr = 0, since = 0;
	bool moving = false;

	dmon_test_seed(seed);
	s->worst_latency = 0;
	dmon_init_regions(&rs, &range, 1, SIM_MIN);
	for (a = 0; a < s->aggrs; a++) {
		double t = 0, f = 0, seen = 0;

		if (s->move_every && a && !(a % s->move_every)) {
			hot = SIM_BASE +
			      dmon_test_below((s->size - s->hot_size) / PG) * PG;
			moving = true;
			since = 0;
		}
		for (p = 0; p < SIM_PASSES; p++)
			for (i = 0; i < rs.nr; i++) {
				u64 addr = dmon_random_sampling_addr(&rs.r[i]);

				if (addr >= hot && addr < hot + s->hot_size &&
				    (s->heat_pct >= 100 ||
				     dmon_test_below(100) < s->heat_pct)) {
					rs.r[i].nr_accesses++;
					rs.r[i].hit_addr = addr;
				}
			}
		dmon_merge_regions(&rs, SIM_PASSES / 10,
				   dmon_merge_sz_limit(&rs, SIM_MIN), SIM_MAX);
		for (i = 0; i < rs.nr; i++) {
			const struct dmon_region *r = &rs.r[i];
			u64 o = overlap(r->start, r->end, hot,
					hot + s->hot_size);

			if (r->nr_accesses >= SIM_PASSES / 4) {
				t += o;
				f += r->end - r->start - o;
			}
			if (r->nr_accesses)
				seen += r->end - r->start;
		}
		if (moving) {
			since++;
			if (t / (t + f + 1) >= 0.5 && t / s->hot_size >= 0.5) {
				moving = false;
				if (since > s->worst_latency)
					s->worst_latency = since;
			}
		}
		if (a >= SIM_WARMUP && !moving) {
			tp += t;
			fp += f;
			fn += s->hot_size - t;
			if (n < ARRAY_SIZE(werr))
				werr[n++] = (seen > s->hot_size ?
					     seen - s->hot_size :
					     s->hot_size - seen) / s->hot_size;
		}
		dmon_reset_aggregated(&rs);
		if (rs.nr <= SIM_MAX / 2) {
			u32 nr = rs.nr;

			dmon_split_regions(&rs, SIM_MAX, nr == last_nr &&
					   nr < SIM_MAX / 3 ? 3 : 2,
					   s->max_nr_accesses);
			last_nr = rs.nr;
		}
		if (a >= SIM_WARMUP) {
			regions += rs.nr;
			nsplit++;
		}
	}
	if (moving)	/* never found: as bad as the whole interval */
		s->worst_latency = s->move_every;
	s->precision = tp + fp ? tp / (tp + fp) : 0;
	s->recall = tp + fn ? tp / (tp + fn) : 0;
	qsort(werr, n, sizeof(werr[0]), by_value);
	s->wss_err = n ? werr[n / 2] : 1;
	s->mean_regions = nsplit ? regions / nsplit : 0;
}

static void sim_report(const char *what, struct sim *s)
{
	tap_diag("  %s: precision %.3f recall %.3f wss err (median) %.3f regions %.1f",
		 what, s->precision, s->recall, s->wss_err, s->mean_regions);
	if (s->move_every)
		tap_diag("  %s: worst detection %u aggregations", what,
			 s->worst_latency);
}

/*
 * simulate() with seeds 1 to 4, as one run can be lucky or not: the means
 * of the figures, and the worst latency.
 */
static void simulate_seeds(struct sim *s)
{
	struct sim mean = *s, one;
	u64 seed;

	mean.precision = mean.recall = mean.wss_err = mean.mean_regions = 0;
	mean.worst_latency = 0;
	for (seed = 1; seed <= 4; seed++) {
		one = *s;
		simulate(&one, seed);
		mean.precision += one.precision / 4;
		mean.recall += one.recall / 4;
		mean.wss_err += one.wss_err / 4;
		mean.mean_regions += one.mean_regions / 4;
		if (one.worst_latency > mean.worst_latency)
			mean.worst_latency = one.worst_latency;
	}
	*s = mean;
}

static void test_simulated(void)
{
	static const struct {
		u64 size_mib, hot_kib;
		u32 move_every, heat_pct;
	} cases[] = {
		{ 1024, 16384, 0, 100 },	/* 1/64 */
		{ 1024, 4096, 0, 100 },		/* 1/256 */
		{ 1024, 1024, 0, 100 },		/* 1/1024 */
		{ 4096, 16384, 0, 100 },	/* 1/256 */
		{ 16384, 65536, 0, 100 },	/* 1/256 */
		{ 1024, 16384, 10, 100 },	/* 1/64, moving every 10 */
		/* warm: 60% of the samples find it accessed (so a 64 MiB
		 * area of random writes reads under the emulator) */
		{ 4096, 65536, 0, 60 },
	};
	u32 k;

	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		struct sim ours = {
			.size = cases[k].size_mib << 20,
			.hot_size = cases[k].hot_kib << 10,
			.move_every = cases[k].move_every,
			.heat_pct = cases[k].heat_pct,
			.aggrs = cases[k].move_every ? 300 : 200,
			.max_nr_accesses = SIM_PASSES,
		};
		struct sim up = ours;

		up.max_nr_accesses = 0;
		simulate_seeds(&up);
		sim_report("random cuts only (upstream), mean of 4 seeds", &up);
		simulate_seeds(&ours);
		sim_report("ours, mean of 4 seeds", &ours);
		CHECK(ours.precision >= 0.9 && ours.recall >= 0.9);
		CHECK(ours.wss_err <= 0.1);
		if (cases[k].move_every)
			CHECK(ours.worst_latency <= 5);
		/*
		 * What finding edges costs: regions sampled.  A guard, not a
		 * goal: cutting every partly accessed region finely made a
		 * warm area cost 15 times upstream's regions.
		 */
		CHECK(ours.mean_regions <= 2.5 * up.mean_regions);
		tap_point("%" PRIu64 " KiB hot (%u%%) in %" PRIu64 " MiB%s: "
			  "precision and recall >= 0.9, WSS error <= 10%%, "
			  "at most 2.5 times the regions", cases[k].hot_kib,
			  cases[k].heat_pct, cases[k].size_mib,
			  cases[k].move_every ? ", moving" : "");
	}
}

int main(void)
{
	tap_start();
	test_edges();
	test_needle();
	test_budget();
	test_merge_keeps_hit();
	test_simulated();
	return tap_done();
}
