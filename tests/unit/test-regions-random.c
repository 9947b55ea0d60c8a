// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized property test: a long random mix of the operations the module
 * performs (three regions of random address spaces, init, apply ranges that
 * vanish, grow, shrink or appear, sampling, aggregation, merge, reset,
 * split), checking after every step:
 *
 *  - the invariants: sorted, non-overlapping, page aligned, non-empty,
 *    nr <= cap;
 *  - the regions tile the current ranges exactly (so they are inside);
 *  - merge: every result region is a union of contiguous old regions whose
 *    counters and ages bound its own; an unmerged region's age is exactly
 *    0 or old + 1 by the threshold rule; nr <= max_nr_regions (the test
 *    keeps fewer ranges than max_nr_regions);
 *  - reset: last_nr_accesses is the old nr_accesses, nr_accesses is 0;
 *  - split: each piece lies in one old region and has its counters, at
 *    most nr_subregions pieces per region cut at random (8 for one cut
 *    finer: partly accessed, or around a hit), nr <= min(cap, max), no
 *    hit address left;
 *  - apply: each region has zero counters or those of an old region it
 *    overlaps;
 *  - sampling addresses are pages inside their region.
 *
 * Usage: test-regions-random [steps [seed]] (default 100000 steps).
 */
#include <inttypes.h>

#include "check.h"

typedef int64_t s64;

#define CAP		2048
#define MAX_RANGES	8
#define SPAN_PAGES	(1ULL << 24)	/* 64 GiB of address space */

static struct dmon_region buf[CAP], old[CAP];
static struct dmon_regions rs = { buf, 0, CAP };
static u32 old_nr;

static struct dmon_range ranges[MAX_RANGES];
static u32 nr_ranges;

static u32 min_nr, max_nr, max_acc, last_split_nr;
static struct dmon_range hot[4];
static u64 steps, failures;

static void save(void)
{
	memcpy(old, rs.r, sizeof(*old) * rs.nr);
	old_nr = rs.nr;
}

static int fail(const char *what)
{
	failures++;
	tap_diag("step %" PRIu64 ": %s", steps, what);
	return 0;
}

static int invariants(void)
{
	if (!check_regions(&rs))
		return fail("invariants broken");
	if (!check_cover(&rs, ranges, nr_ranges))
		return fail("regions do not tile the ranges");
	return 1;
}

/* Random VMAs -> three regions (or the span) -> the new ranges */
static void ranges_from_vmas(void)
{
	struct dmon_range vmas[64], out[3];
	u32 n = 1 + dmon_test_below(ARRAY_SIZE(vmas)), i;
	u64 pos = dmon_test_below(SPAN_PAGES / 4), len, gap;

	for (i = 0; i < n && pos < SPAN_PAGES - 2; i++) {
		len = 1 + dmon_test_below(i % 7 ? 64 : 4096);
		if (pos + len > SPAN_PAGES - 1)
			len = SPAN_PAGES - 1 - pos;
		vmas[i].start = P(pos);
		vmas[i].end = P(pos + len);
		/* unaligned ends now and then */
		if (!dmon_test_below(8))
			vmas[i].end -= dmon_test_below(PG);
		pos += len;
		gap = dmon_test_below(4);
		if (gap == 3)
			gap = dmon_test_below(SPAN_PAGES / 16);
		pos += gap;
	}
	n = i;
	if (dmon_three_regions(vmas, n, out) == 0) {
		for (i = 0; i < 3; i++)
			ranges[i] = out[i];
		nr_ranges = 3;
	} else {
		if (dmon_span_range(vmas, n, &ranges[0]))
			fail("no span range");
		nr_ranges = 1;
	}
}

/* Move range ends, drop or add ranges, keeping them sorted and apart */
static void mutate_ranges(void)
{
	u32 j = dmon_test_below(nr_ranges), k;
	u64 lo, hi, s, e;
	s64 d, n;

	switch (dmon_test_below(4)) {
	case 0:	/* vanish */
		if (nr_ranges > 1) {
			for (k = j; k + 1 < nr_ranges; k++)
				ranges[k] = ranges[k + 1];
			nr_ranges--;
			break;
		}
		/* fall through */
	case 1:	/* appear in a gap */
		if (nr_ranges < MAX_RANGES && nr_ranges < max_nr) {
			lo = j ? ranges[j - 1].end / PG : 0;
			hi = ranges[j].start / PG;
			if (hi - lo >= 3) {
				s = lo + 1 + dmon_test_below(hi - lo - 2);
				e = s + 1 + dmon_test_below(hi - s - 1);
				for (k = nr_ranges; k > j; k--)
					ranges[k] = ranges[k - 1];
				ranges[j].start = P(s);
				ranges[j].end = P(e);
				nr_ranges++;
			}
			break;
		}
		/* fall through */
	default: /* grow or shrink an end, or both */
		lo = j ? ranges[j - 1].end / PG + 1 : 0;
		hi = j + 1 < nr_ranges ? ranges[j + 1].start / PG - 1 :
					 SPAN_PAGES;
		d = (s64)dmon_test_below(2001) - 1000;
		s = ranges[j].start / PG;
		e = ranges[j].end / PG;
		if (dmon_test_below(2)) {
			n = (s64)s + d;
			n = n < (s64)lo ? (s64)lo : n;
			s = n >= (s64)e ? e - 1 : (u64)n;
		} else {
			n = (s64)e + d;
			n = n > (s64)hi ? (s64)hi : n;
			e = n <= (s64)s ? s + 1 : (u64)n;
		}
		ranges[j].start = P(s);
		ranges[j].end = P(e);
	}
}

static void step_apply(void)
{
	struct dmon_range prev[MAX_RANGES];
	u32 prev_nr = nr_ranges, i, j;
	int ret;

	memcpy(prev, ranges, sizeof(prev));
	if (!dmon_test_below(10))
		ranges_from_vmas();
	else
		mutate_ranges();
	save();
	ret = dmon_apply_ranges(&rs, ranges, nr_ranges);
	if (ret == -ENOSPC) {
		/* allowed, but then nothing changed */
		if (rs.nr != old_nr || memcmp(rs.r, old, sizeof(*old) * old_nr))
			fail("-ENOSPC changed the regions");
		memcpy(ranges, prev, sizeof(prev));
		nr_ranges = prev_nr;
		return;
	}
	if (ret)
		fail("apply failed");
	if (!invariants())
		return;
	for (i = 0, j = 0; i < rs.nr; i++) {
		const struct dmon_region *r = &rs.r[i];
		u32 k;
		int found = !r->nr_accesses && !r->last_nr_accesses && !r->age;

		while (j < old_nr && old[j].end <= r->start)
			j++;
		for (k = j; !found && k < old_nr && old[k].start < r->end;
		     k++) {
			const struct dmon_region *o = &old[k];

			found = o->nr_accesses == r->nr_accesses &&
				o->last_nr_accesses == r->last_nr_accesses &&
				o->age == r->age;
		}
		if (!found) {
			fail("apply invented counters");
			return;
		}
	}
}

static int is_hot(u64 addr)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(hot); i++)
		if (hot[i].start <= addr && addr < hot[i].end)
			return 1;
	return 0;
}

static void new_hot_set(void)
{
	u32 i, n = dmon_test_below(nr_ranges);
	u64 size, s;

	for (i = 0; i < ARRAY_SIZE(hot); i++) {
		size = ranges[n].end - ranges[n].start;
		s = ranges[n].start + dmon_test_below(size / PG) * PG;
		hot[i].start = s;
		hot[i].end = s + (1 + dmon_test_below(size / PG / 4 + 1)) * PG;
		n = dmon_test_below(nr_ranges);
	}
}

/* Fill nr_accesses as an aggregation interval would */
static void step_sample(void)
{
	u32 i, s, pattern = dmon_test_below(4);
	u64 a;

	if (pattern == 0) {
		/* real sampling of a hot set */
		for (s = 0; s < max_acc; s++) {
			for (i = 0; i < rs.nr; i++) {
				a = dmon_random_sampling_addr(&rs.r[i]);
				if (a < rs.r[i].start || a >= rs.r[i].end ||
				    a % PG)
					fail("sampling address outside");
				rs.r[i].sampling_addr = a;
				if (is_hot(a)) {
					rs.r[i].nr_accesses++;
					rs.r[i].hit_addr = a;
				}
			}
		}
	} else {
		/* adversarial: random, alternating, or noisy counts */
		for (i = 0; i < rs.nr; i++) {
			if (pattern == 1)
				a = dmon_test_below(max_acc + 1);
			else if (pattern == 2)
				a = i % 2 ? max_acc : 0;
			else
				a = i ? rs.r[i - 1].nr_accesses : max_acc / 2;
			if (pattern == 3) {
				a += dmon_test_below(5);
				a = a < 2 ? 0 : a - 2;
				a = a > max_acc ? max_acc : a;
			}
			rs.r[i].nr_accesses = a;
			/* a hit inside, none, or a stale one anywhere */
			a = dmon_test_below(3);
			rs.r[i].hit_addr = a == 0 ? 0 : a == 1 ?
				dmon_random_sampling_addr(&rs.r[i]) :
				P(dmon_test_below(SPAN_PAGES));
		}
	}
}

static void step_merge(void)
{
	u32 thres = dmon_test_below(max_acc / 4 + 2), i, j = 0, parts;
	u64 sz_limit = dmon_merge_sz_limit(&rs, min_nr);
	u32 lo, hi, llo, lhi, alo, ahi, want_age;

	save();
	dmon_merge_regions(&rs, thres, sz_limit, max_nr);
	if (!invariants())
		return;
	if (rs.nr > max_nr)
		fail("more than max_nr_regions after merge");
	for (i = 0; i < rs.nr; i++) {
		const struct dmon_region *r = &rs.r[i];

		if (old[j].start != r->start) {
			fail("merge moved a region start");
			return;
		}
		lo = hi = old[j].nr_accesses;
		llo = lhi = old[j].last_nr_accesses;
		alo = 0;
		ahi = old[j].age + 1;
		for (parts = 0; j < old_nr && old[j].end <= r->end; j++) {
			const struct dmon_region *o = &old[j];

			parts++;
			lo = o->nr_accesses < lo ? o->nr_accesses : lo;
			hi = o->nr_accesses > hi ? o->nr_accesses : hi;
			llo = o->last_nr_accesses < llo ?
			      o->last_nr_accesses : llo;
			lhi = o->last_nr_accesses > lhi ?
			      o->last_nr_accesses : lhi;
			ahi = o->age + 1 > ahi ? o->age + 1 : ahi;
			if (parts > 1 && o->start != old[j - 1].end) {
				fail("merged across a hole");
				return;
			}
		}
		if (old[j - 1].end != r->end) {
			fail("merge moved a region end");
			return;
		}
		if (r->nr_accesses < lo || r->nr_accesses > hi ||
		    r->last_nr_accesses < llo || r->last_nr_accesses > lhi ||
		    r->age < alo || r->age > ahi) {
			fail("merged counters out of the parts' bounds");
			return;
		}
		if (parts == 1) {
			const struct dmon_region *o = &old[j - 1];
			u32 d = o->nr_accesses > o->last_nr_accesses ?
				o->nr_accesses - o->last_nr_accesses :
				o->last_nr_accesses - o->nr_accesses;

			want_age = d > thres ? 0 : o->age + 1;
			if (r->age != want_age ||
			    r->nr_accesses != o->nr_accesses) {
				fail("unmerged region changed wrongly");
				return;
			}
		}
	}
}

static void step_reset(void)
{
	u32 i;

	save();
	dmon_reset_aggregated(&rs);
	for (i = 0; i < rs.nr; i++) {
		if (rs.r[i].nr_accesses ||
		    rs.r[i].last_nr_accesses != old[i].nr_accesses ||
		    rs.r[i].age != old[i].age) {
			fail("reset wrong");
			return;
		}
	}
	invariants();
}

static void step_split(void)
{
	u32 nsub, i, j = 0, pieces = 0, most;
	/* the module's count of samples, or upstream's random cuts only */
	u32 macc = dmon_test_below(4) ? max_acc : 0;

	if (rs.nr > max_nr / 2)
		return;
	nsub = last_split_nr == rs.nr && rs.nr < max_nr / 3 ? 3 : 2;
	last_split_nr = rs.nr;
	save();
	dmon_split_regions(&rs, max_nr, nsub, macc);
	if (!invariants())
		return;
	if (rs.nr > max_nr || rs.nr < old_nr)
		fail("split count out of bounds");
	for (i = 0; i < rs.nr; i++) {
		const struct dmon_region *r = &rs.r[i];

		if (old[j].end <= r->start) {
			j++;
			pieces = 0;
		}
		pieces++;
		/* Cut at random for sure: no samples, (nearly) all
		 * accessed, or (nearly) none and no hit inside. */
		{
			u32 l = old[j].last_nr_accesses, t = macc / 10;
			bool hit = old[j].hit_addr >= old[j].start &&
				   old[j].hit_addr < old[j].end;

			most = !macc || (l > t && l + t >= macc) ||
			       (l <= t && !hit) ? nsub : 8;
		}
		if (old[j].start > r->start || old[j].end < r->end ||
		    r->nr_accesses != old[j].nr_accesses ||
		    r->last_nr_accesses != old[j].last_nr_accesses ||
		    r->age != old[j].age || pieces > most) {
			fail("split piece does not match its region");
			return;
		}
		if (r->hit_addr) {
			fail("a hit address outlived the split");
			return;
		}
	}
}

static void step_init(void)
{
	int ret;

	ranges_from_vmas();
	save();
	ret = dmon_init_regions(&rs, ranges, nr_ranges, min_nr);
	if (ret)
		fail("init failed");
	invariants();
}

static void new_params(void)
{
	static const u32 maxes[] = { 3, 8, 20, 64, 200, 1000 };

	max_nr = maxes[dmon_test_below(ARRAY_SIZE(maxes))];
	min_nr = 1 + dmon_test_below(max_nr);
	max_acc = 1 + dmon_test_below(40);
	if (nr_ranges > max_nr) {
		/* keep fewer ranges than max_nr_regions */
		nr_ranges = max_nr;
		if (dmon_apply_ranges(&rs, ranges, nr_ranges))
			fail("apply of fewer ranges failed");
		invariants();
	}
}

int main(int argc, char **argv)
{
	u64 nr_steps = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;
	u64 seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5eed;
	u64 kinds[4] = { 0 };
	u32 max_seen = 0;

	tap_start();
	tap_diag("%" PRIu64 " steps, seed %" PRIu64, nr_steps, seed);
	dmon_test_seed(seed);
	max_nr = 1000;
	step_init();
	new_params();
	new_hot_set();

	while (steps < nr_steps && failures < 10) {
		u32 k = dmon_test_below(100);

		if (k < 70) {
			/* one aggregation interval: 3 steps */
			step_sample();
			step_merge();
			steps++;
			step_reset();
			steps++;
			step_split();
			kinds[0]++;
		} else if (k < 90) {
			step_apply();
			kinds[1]++;
		} else if (k < 98) {
			new_hot_set();
			new_params();
			/* lowering the bound: the next merge must meet it */
			kinds[2]++;
		} else {
			step_init();
			kinds[3]++;
		}
		steps++;
		if (rs.nr > max_seen)
			max_seen = rs.nr;
	}
	tap_diag("%" PRIu64 " aggregations, %" PRIu64 " applies, %" PRIu64
		 " parameter changes, %" PRIu64 " inits; up to %u regions",
		 kinds[0], kinds[1], kinds[2], kinds[3], max_seen);
	CHECK(failures == 0);
	tap_point("%" PRIu64 " random steps keep every invariant", steps);
	CHECK(!dmon_test_rand_misused());
	tap_point("dmon_rand_below() never called with 0");
	return tap_done();
}
