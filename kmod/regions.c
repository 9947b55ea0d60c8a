// SPDX-License-Identifier: GPL-2.0
/*
 * Pure region logic of the monitor, after upstream DAMON's (mm/damon):
 * the three regions of an address space, the initial split, the update to
 * new address ranges, and the adaptive merge and split of regions.
 *
 * Everything works in place on a caller-provided array: no allocation, no
 * locks, no page tables.  The same file is compiled into the module and
 * into the user-space unit tests (tests/unit/).
 */
#include "regions.h"

#define DMON_PAGE		((u64)DMON_PAGE_SIZE)
/* The highest page-aligned address: a larger end cannot be rounded up. */
#define DMON_ADDR_LIMIT		(~(DMON_PAGE - 1))
#define DMON_U32_MAX		((u32)~0U)
/* Most pieces dmon_split_regions() makes out of one region, as upstream */
#define DMON_MAX_SUBREGIONS	3
/* Pieces of a region that holds an edge (see dmon_split_kind()) */
#define DMON_EDGE_SUBREGIONS	8
/* Around a lone hit: a window of about this fraction of the region, */
#define DMON_NEEDLE_RATIO	64
/* pieces this many times wider on either side, */
#define DMON_NEEDLE_STEP	4
/* this many a side (2 * DMON_NEEDLE_RUNGS < DMON_EDGE_SUBREGIONS) */
#define DMON_NEEDLE_RUNGS	3

static inline u64 dmon_page_down(u64 addr)
{
	return addr & ~(DMON_PAGE - 1);
}

/* The caller makes sure that @addr <= DMON_ADDR_LIMIT. */
static inline u64 dmon_page_up(u64 addr)
{
	return dmon_page_down(addr + DMON_PAGE - 1);
}

static inline u64 dmon_u64_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

static inline u32 dmon_u32_diff(u32 a, u32 b)
{
	return a > b ? a - b : b - a;
}

static inline u64 dmon_range_size(const struct dmon_range *r)
{
	return r->end - r->start;
}

static inline u64 dmon_region_pages(const struct dmon_region *r)
{
	return (r->end - r->start) / DMON_PAGE;
}

/* Make @r the fresh region [@start, @end): zero counters and age. */
static void dmon_new_region(struct dmon_region *r, u64 start, u64 end)
{
	r->start = start;
	r->end = end;
	r->sampling_addr = start;
	r->hit_addr = 0;
	r->nr_accesses = 0;
	r->last_nr_accesses = 0;
	r->age = 0;
}

/*
 * Make @r the part [@start, @end) of @from: same counters and age, and the
 * same sampling and hit addresses if they are inside the part.
 */
static void dmon_part_region(struct dmon_region *r,
			     const struct dmon_region *from, u64 start, u64 end)
{
	*r = *from;
	r->start = start;
	r->end = end;
	if (r->sampling_addr < start || r->sampling_addr >= end)
		r->sampling_addr = start;
	if (r->hit_addr < start || r->hit_addr >= end)
		r->hit_addr = 0;
}

/*
 * A uniformly distributed random number in [0, @ceil), 0 < @ceil <= 2^62.
 * Page counts of regions need more than the 32 bits of dmon_rand_below().
 */
static u64 dmon_rand_below64(u64 ceil)
{
	const u64 span = 1ULL << 62;
	u64 limit, x;

	if (ceil <= DMON_U32_MAX)
		return dmon_rand_below((u32)ceil);
	/* 62 random bits; reject the tail that would bias the remainder */
	limit = span - span % ceil;
	do {
		x = (u64)dmon_rand_below(1U << 31) << 31;
		x |= dmon_rand_below(1U << 31);
	} while (x >= limit);
	return x % ceil;
}

/*
 * Ranges: each non-empty, and sorted and non-overlapping once page aligned
 * outwards (start rounded down, end rounded up).
 */
static bool dmon_ranges_valid(const struct dmon_range *ranges, u32 nr_ranges)
{
	u32 i;

	for (i = 0; i < nr_ranges; i++) {
		if (ranges[i].start >= ranges[i].end ||
		    ranges[i].end > DMON_ADDR_LIMIT)
			return false;
		if (i && dmon_page_down(ranges[i].start) <
			 dmon_page_up(ranges[i - 1].end))
			return false;
	}
	return true;
}

/**
 * dmon_layout_init() - Start collecting the layout of an address space
 * @l:	the layout to reset
 *
 * A layout keeps only what the three-regions rule needs (the span and the
 * two biggest gaps), so the module collects it while walking the VMAs
 * under mmap_read_lock, without allocating.
 */
void dmon_layout_init(struct dmon_layout *l)
{
	struct dmon_range none = { 0, 0 };

	l->start = 0;
	l->end = 0;
	l->nr = 0;
	l->invalid = false;
	l->gap[0] = none;
	l->gap[1] = none;
}

/**
 * dmon_layout_add() - Add the next VMA of an address space, in order
 * @l:		the layout
 * @start:	start of the VMA
 * @end:	end of the VMA
 *
 * Only gaps between consecutive VMAs count.  A gap is shrunk inwards to
 * page boundaries before it is measured, so one without a whole page in it
 * counts as empty; it replaces a kept gap only if strictly bigger, so of
 * equal gaps the earlier is kept.  A VMA that is empty, or not after the
 * previous one, makes the layout invalid.
 */
void dmon_layout_add(struct dmon_layout *l, u64 start, u64 end)
{
	struct dmon_range gap;

	if (start >= end || end > DMON_ADDR_LIMIT ||
	    (l->nr && start < l->end))
		l->invalid = true;
	if (l->invalid)
		return;
	if (!l->nr++) {
		l->start = start;
		l->end = end;
		return;
	}
	gap.start = dmon_page_up(l->end);
	gap.end = dmon_page_down(start);
	l->end = end;
	if (gap.end <= gap.start)
		return;
	if (dmon_range_size(&gap) > dmon_range_size(&l->gap[0])) {
		l->gap[1] = l->gap[0];
		l->gap[0] = gap;
	} else if (dmon_range_size(&gap) > dmon_range_size(&l->gap[1])) {
		l->gap[1] = gap;
	}
}

/**
 * dmon_layout_three_regions() - The three regions of a collected layout
 * @l:		the layout, all VMAs added
 * @out:	the three regions, on success
 *
 * The two biggest gaps, sorted by address, cut the span in three:
 * [first VMA start, gap1 start), [gap1 end, gap2 start) and
 * [gap2 end, last VMA end), page aligned (the regions grow outwards, the
 * gaps shrink inwards), so the regions are sorted, non-empty and
 * non-overlapping even if the VMAs are not page aligned.
 *
 * Return: 0, or -EINVAL if the layout is invalid or has fewer than two
 * non-empty gaps (this includes fewer than three VMAs); @out is then left
 * untouched.
 */
int dmon_layout_three_regions(const struct dmon_layout *l,
			      struct dmon_range out[3])
{
	struct dmon_range first = l->gap[0], second = l->gap[1];

	if (l->invalid || !dmon_range_size(&second))
		return -EINVAL;
	if (first.start > second.start) {
		first = l->gap[1];
		second = l->gap[0];
	}
	out[0].start = dmon_page_down(l->start);
	out[0].end = first.start;
	out[1].start = first.end;
	out[1].end = second.start;
	out[2].start = second.end;
	out[2].end = dmon_page_up(l->end);
	return 0;
}

/**
 * dmon_layout_span() - The one range spanning all VMAs of a layout
 * @l:		the layout, all VMAs added
 * @out:	the range, on success
 *
 * The fallback for address spaces the three-regions rule does not fit:
 * from the start of the first VMA to the end of the last, page aligned
 * outwards.
 *
 * Return: 0, or -EINVAL if there is no VMA or the layout is invalid; @out
 * is then left untouched.
 */
int dmon_layout_span(const struct dmon_layout *l, struct dmon_range *out)
{
	if (l->invalid || !l->nr)
		return -EINVAL;
	out->start = dmon_page_down(l->start);
	out->end = dmon_page_up(l->end);
	return 0;
}

static void dmon_layout_of(struct dmon_layout *l,
			   const struct dmon_range *vmas, u32 nr_vmas)
{
	u32 i;

	dmon_layout_init(l);
	for (i = 0; i < nr_vmas; i++)
		dmon_layout_add(l, vmas[i].start, vmas[i].end);
}

/**
 * dmon_three_regions() - Split an address space in three around its two
 *			  biggest gaps
 * @vmas:	the VMAs of the address space: sorted, non-overlapping
 * @nr_vmas:	number of entries in @vmas
 * @out:	the three regions, on success
 *
 * dmon_layout_three_regions() of the layout of @vmas.
 *
 * Return: 0, or -EINVAL as dmon_layout_three_regions(); @out is then left
 * untouched.
 */
int dmon_three_regions(const struct dmon_range *vmas, u32 nr_vmas,
		       struct dmon_range out[3])
{
	struct dmon_layout l;

	dmon_layout_of(&l, vmas, nr_vmas);
	return dmon_layout_three_regions(&l, out);
}

/**
 * dmon_span_range() - The one range spanning all VMAs of an address space
 * @vmas:	the VMAs of the address space: sorted, non-overlapping
 * @nr_vmas:	number of entries in @vmas
 * @out:	the range, on success
 *
 * dmon_layout_span() of the layout of @vmas.
 *
 * Return: 0, or -EINVAL as dmon_layout_span(); @out is then left untouched.
 */
int dmon_span_range(const struct dmon_range *vmas, u32 nr_vmas,
		    struct dmon_range *out)
{
	struct dmon_layout l;

	dmon_layout_of(&l, vmas, nr_vmas);
	return dmon_layout_span(&l, out);
}

/* Number of pieces dmon_init_regions() splits @size bytes in. */
static u64 dmon_nr_pieces(u64 size, u64 unit)
{
	u64 nr = size / unit;

	return nr ? nr : 1;
}

/**
 * dmon_init_regions() - Set the initial regions of a target
 * @rs:			the regions to replace
 * @ranges:		the address ranges to monitor: sorted, non-overlapping
 * @nr_ranges:		number of entries in @ranges
 * @min_nr_regions:	the number of regions to aim at (0 counts as 1)
 *
 * The ranges are page aligned outwards.  The size unit is their total size
 * divided by @min_nr_regions, rounded down to a page, and at least a page.
 * Each range is cut into max(1, size / unit) pieces of equal page-aligned
 * size (as upstream DAMON does, so that no piece is smaller than the unit),
 * the last piece taking the remainder.  Counters and ages are zero and the
 * sampling address of each region is its start.
 *
 * Return: 0; -EINVAL if @nr_ranges is 0 or a range is empty, unsorted or
 * overlaps another (@rs is then left untouched); -ENOSPC if the regions
 * would not fit in @rs->cap (@rs is then left empty).
 */
int dmon_init_regions(struct dmon_regions *rs, const struct dmon_range *ranges,
		      u32 nr_ranges, u32 min_nr_regions)
{
	u64 total = 0, nr = 0, unit, start, end, piece, n, k;
	u32 i;

	if (!nr_ranges || !dmon_ranges_valid(ranges, nr_ranges))
		return -EINVAL;

	for (i = 0; i < nr_ranges; i++)
		total += dmon_page_up(ranges[i].end) -
			 dmon_page_down(ranges[i].start);
	unit = dmon_page_down(total / (min_nr_regions ? min_nr_regions : 1));
	if (!unit)
		unit = DMON_PAGE;
	for (i = 0; i < nr_ranges; i++)
		nr += dmon_nr_pieces(dmon_page_up(ranges[i].end) -
				     dmon_page_down(ranges[i].start), unit);

	rs->nr = 0;
	if (nr > rs->cap)
		return -ENOSPC;

	for (i = 0; i < nr_ranges; i++) {
		start = dmon_page_down(ranges[i].start);
		end = dmon_page_up(ranges[i].end);
		n = dmon_nr_pieces(end - start, unit);
		piece = dmon_page_down((end - start) / n);
		for (k = 0; k < n; k++, start += piece)
			dmon_new_region(&rs->r[rs->nr++], start,
					k == n - 1 ? end : start + piece);
	}
	return 0;
}

/**
 * dmon_random_sampling_addr() - Pick the page to sample in a region
 * @r:		the region
 *
 * Return: the address of a page of @r, every page equally likely.
 */
u64 dmon_random_sampling_addr(const struct dmon_region *r)
{
	u64 pages;

	if (r->end <= r->start)
		return r->start;
	pages = dmon_region_pages(r);
	if (!pages)
		return r->start;
	return r->start + dmon_rand_below64(pages) * DMON_PAGE;
}

/**
 * dmon_reset_aggregated() - Start a new aggregation interval
 * @rs:		the regions
 *
 * For each region, @nr_accesses becomes @last_nr_accesses and restarts
 * from 0.  Ages are updated by dmon_merge_regions(), which must be called
 * before this, at the end of the aggregation interval.
 */
void dmon_reset_aggregated(struct dmon_regions *rs)
{
	u32 i;

	for (i = 0; i < rs->nr; i++) {
		rs->r[i].last_nr_accesses = rs->r[i].nr_accesses;
		rs->r[i].nr_accesses = 0;
	}
}

/**
 * dmon_regions_size() - Total size of the regions
 * @rs:		the regions
 *
 * Return: the sum of the sizes of the regions, in bytes.
 */
u64 dmon_regions_size(const struct dmon_regions *rs)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < rs->nr; i++)
		total += rs->r[i].end - rs->r[i].start;
	return total;
}

/**
 * dmon_merge_sz_limit() - The size limit of a merged region
 * @rs:			the regions
 * @min_nr_regions:	the number of regions to keep at least (0 counts
 *			as 1)
 *
 * As upstream DAMON: merging must not make a region bigger than the total
 * size divided by @min_nr_regions, so that merging alone does not leave
 * fewer than @min_nr_regions regions.
 *
 * Return: the limit in bytes for dmon_merge_regions(), at least a page.
 */
u64 dmon_merge_sz_limit(const struct dmon_regions *rs, u32 min_nr_regions)
{
	u64 limit;

	limit = dmon_regions_size(rs) / (min_nr_regions ? min_nr_regions : 1);
	return limit < DMON_PAGE ? DMON_PAGE : limit;
}

/*
 * A region's age counts the aggregation intervals since its nr_accesses
 * last differed from last_nr_accesses by more than @threshold.
 */
static void dmon_update_ages(struct dmon_regions *rs, u32 threshold)
{
	struct dmon_region *r;
	u32 i;

	for (i = 0; i < rs->nr; i++) {
		r = &rs->r[i];
		if (dmon_u32_diff(r->nr_accesses, r->last_nr_accesses) >
		    threshold)
			r->age = 0;
		else if (r->age < DMON_U32_MAX)
			r->age++;
	}
}

/*
 * (@a * @wa + @b * @wb) / (@wa + @wb), rounded down, without overflow:
 * weights too big for that are scaled down together first, which keeps the
 * result between @a and @b.  @wa + @wb > 0.
 */
static u32 dmon_weighted_avg(u32 a, u64 wa, u32 b, u64 wb)
{
	while (wa + wb > 1ULL << 31) {
		wa >>= 1;
		wb >>= 1;
	}
	return (u32)(((u64)a * wa + (u64)b * wb) / (wa + wb));
}

/* Merge @r into @l, its left neighbour; the caller drops @r. */
static void dmon_merge_two(struct dmon_region *l, const struct dmon_region *r)
{
	u64 wl = dmon_region_pages(l), wr = dmon_region_pages(r);

	l->nr_accesses = dmon_weighted_avg(l->nr_accesses, wl,
					   r->nr_accesses, wr);
	l->last_nr_accesses = dmon_weighted_avg(l->last_nr_accesses, wl,
						r->last_nr_accesses, wr);
	l->age = dmon_weighted_avg(l->age, wl, r->age, wr);
	/* The part accessed more is likelier to have the hit of now. */
	if (!l->hit_addr || r->nr_accesses > l->nr_accesses)
		l->hit_addr = r->hit_addr;
	l->end = r->end;
}

/*
 * One left-to-right pass merging each region into its left neighbour (the
 * result of previous merges included) if they are contiguous, their
 * nr_accesses differ by at most @threshold and, unless @sz_limit is 0, the
 * merged region would not be bigger than @sz_limit bytes.
 */
/*
 * One left-to-right merging pass; it stops merging once only @floor
 * regions are left (0: no floor), so that a bound is met without
 * collapsing the regions far below it.
 */
static void dmon_merge_pass(struct dmon_regions *rs, u32 threshold,
			    u64 sz_limit, u32 floor)
{
	struct dmon_region *prev, *r;
	u32 i, w = 0, left = rs->nr;

	for (i = 0; i < rs->nr; i++) {
		r = &rs->r[i];
		if (w && left > floor) {
			prev = &rs->r[w - 1];
			if (prev->end == r->start &&
			    dmon_u32_diff(prev->nr_accesses, r->nr_accesses) <=
			    threshold &&
			    (!sz_limit || r->end - prev->start <= sz_limit)) {
				dmon_merge_two(prev, r);
				left--;
				continue;
			}
		}
		if (w != i)
			rs->r[w] = *r;
		w++;
	}
	rs->nr = w;
}

/**
 * dmon_merge_regions() - Update ages and merge regions of similar access
 *			  frequency
 * @rs:			the regions
 * @threshold:		the largest difference of nr_accesses that merges
 * @sz_limit:		the largest size of a merged region in bytes, or 0 for
 *			no limit (see dmon_merge_sz_limit())
 * @max_nr_regions:	the most regions to leave, or 0 for no bound
 *
 * Called at the end of each aggregation interval, before
 * dmon_reset_aggregated().  First the age of every region is updated: reset
 * to 0 if nr_accesses differs from last_nr_accesses by more than
 * @threshold, else incremented (saturating).  Then each region merges into
 * its left neighbour if they are contiguous, their nr_accesses differ by at
 * most @threshold and the result is not bigger than @sz_limit; the merged
 * nr_accesses, last_nr_accesses and age are the size-weighted averages,
 * rounded down, so they stay between those of the parts.
 *
 * If more than @max_nr_regions regions remain, dmon_bound_regions()
 * repeats merging (without updating ages again) with a threshold doubling
 * each time (0 becomes 1) up to the highest nr_accesses of the regions, at
 * which every contiguous pair qualifies; then with @sz_limit doubling each time, and at last
 * without it.  These further passes stop as soon as @max_nr_regions
 * regions are left, so the bound is met exactly rather than by collapsing
 * (with min == max, or after lowering max online, a pass without a size
 * limit would otherwise leave one region per run).  So afterwards
 * @rs->nr <= @max_nr_regions whenever @max_nr_regions is at least the
 * number of runs of contiguous regions, which is at most the number of
 * ranges given to dmon_init_regions() or dmon_apply_ranges().  Regions that
 * are not contiguous are never merged, so with more runs than
 * @max_nr_regions the bound is not met.
 */
void dmon_merge_regions(struct dmon_regions *rs, u32 threshold, u64 sz_limit,
			u32 max_nr_regions)
{
	dmon_update_ages(rs, threshold);
	dmon_merge_pass(rs, threshold, sz_limit, 0);
	dmon_bound_regions(rs, threshold, sz_limit, max_nr_regions);
}

/**
 * dmon_bound_regions() - Merge regions until at most @max_nr_regions are left
 * @rs:			the regions
 * @threshold:		the nr_accesses difference to start from
 * @sz_limit:		the size limit in bytes to start from, or 0 for none
 * @max_nr_regions:	the most regions to leave, or 0 for no bound
 *
 * The further passes of dmon_merge_regions(), also used alone when the
 * bound is lowered online: ages are left as they are, and merging stops as
 * soon as @max_nr_regions regions are left.
 */
void dmon_bound_regions(struct dmon_regions *rs, u32 threshold, u64 sz_limit,
			u32 max_nr_regions)
{
	u32 ceiling = 0, i;

	if (!max_nr_regions || rs->nr <= max_nr_regions)
		return;

	/* Merged counts stay between those of the parts: a fixed ceiling */
	for (i = 0; i < rs->nr; i++)
		if (rs->r[i].nr_accesses > ceiling)
			ceiling = rs->r[i].nr_accesses;
	while (rs->nr > max_nr_regions && threshold < ceiling) {
		if (threshold < ceiling / 2)
			threshold = threshold ? threshold * 2 : 1;
		else
			threshold = ceiling;
		dmon_merge_pass(rs, threshold, sz_limit, max_nr_regions);
	}
	/* Small pieces first: the size limit relaxes step by step. */
	while (rs->nr > max_nr_regions && sz_limit) {
		sz_limit = sz_limit < (u64)1 << 63 ? sz_limit * 2 : 0;
		dmon_merge_pass(rs, ceiling, sz_limit, max_nr_regions);
	}
	if (rs->nr > max_nr_regions)
		dmon_merge_pass(rs, ceiling, 0, max_nr_regions);
}

/*
 * Pick @nr_cuts distinct page offsets in [1, @pages - 1], sorted, every set
 * equally likely.  @nr_cuts < @pages.
 */
static void dmon_pick_cuts(u64 pages, u32 nr_cuts, u64 *cuts)
{
	u32 i, j, k;
	u64 v;

	for (i = 0; i < nr_cuts; i++) {
		/* the v-th offset not picked yet */
		v = 1 + dmon_rand_below64(pages - 1 - i);
		for (j = 0; j < i && cuts[j] <= v; j++)
			v++;
		for (k = i; k > j; k--)
			cuts[k] = cuts[k - 1];
		cuts[j] = v;
	}
}

/*
 * How a region is split, by what its last aggregation interval saw, out of
 * @max_nr_accesses samples (thres being a tenth of them, as for merging).
 *
 * A region that read partly accessed (more than thres, fewer than
 * @max_nr_accesses - thres) next to one that read idle or fully accessed
 * holds an edge between the two: it is cut in DMON_EDGE_SUBREGIONS, so
 * that the next merge narrows the edge that many times rather than 2 or 3.
 * A region inside an area accessed alike but partly (warm) is not an
 * edge: its neighbours read partly accessed too, and cutting all of them
 * finely would only fill the budget with regions the merge joins again.
 *
 * A region that read idle (at most thres; 0 after a merge with idle
 * neighbours) but where a sample hit a page since the last split may hold
 * a small hot area lost in cold memory, which random cuts would keep
 * diluting: it is cut around that page (see dmon_needle_cuts()), so that
 * the piece with the hit reads many times as hot next time, unless the
 * hit was a stray one.
 *
 * The others are cut at random, as upstream cuts them.
 */
enum dmon_split_kind {
	DMON_SPLIT_RANDOM,
	DMON_SPLIT_EDGE,
	DMON_SPLIT_NEEDLE,
};

struct dmon_split_plan {
	u32 nr_subregions;
	u32 max_nr_accesses;
	/*
	 * The budget runs out at region @cut_at (DMON_U32_MAX: it does not),
	 * among the targeted regions or the others, which get @cut_extra.
	 */
	bool cut_targeted;
	u32 cut_at;
	u32 cut_extra;
};

/* Does @nb, if any, touch @r and read idle or fully accessed? */
static bool dmon_saturated_neighbour(const struct dmon_region *r,
				     const struct dmon_region *nb,
				     u32 max_nr_accesses)
{
	u32 thres = max_nr_accesses / 10;

	if (!nb || (nb->end != r->start && nb->start != r->end))
		return false;
	return nb->last_nr_accesses <= thres ||
	       nb->last_nr_accesses + thres >= max_nr_accesses;
}

/* @left and @right: the regions before and after @r, or NULL. */
static enum dmon_split_kind dmon_split_kind(const struct dmon_region *r,
					    const struct dmon_region *left,
					    const struct dmon_region *right,
					    u32 max_nr_accesses)
{
	u32 thres = max_nr_accesses / 10, n = r->last_nr_accesses;

	if (!max_nr_accesses)
		return DMON_SPLIT_RANDOM;
	/*
	 * A hit left since the last split, even if the count reads 0: a
	 * merge with idle neighbours rounds a count of 1 down to 0.
	 */
	if (n <= thres && r->hit_addr >= r->start && r->hit_addr < r->end)
		return DMON_SPLIT_NEEDLE;
	if (n > thres && n + thres < max_nr_accesses &&
	    (dmon_saturated_neighbour(r, left, max_nr_accesses) ||
	     dmon_saturated_neighbour(r, right, max_nr_accesses)))
		return DMON_SPLIT_EDGE;
	return DMON_SPLIT_RANDOM;
}

/*
 * The cuts around the hit of @r, in page offsets, sorted: a window of
 * about 1/DMON_NEEDLE_RATIO of @r around the page hit, and on either side
 * pieces DMON_NEEDLE_STEP times wider, DMON_NEEDLE_RUNGS cuts a side, so
 * that a hot area bigger than the window also fills the pieces next to
 * it.  At most @max cuts, the innermost first; returns how many.
 */
static u32 dmon_needle_cuts(const struct dmon_region *r, u32 max, u64 *cuts)
{
	u64 total = dmon_region_pages(r);
	u64 hit = (r->hit_addr - r->start) / DMON_PAGE;
	u64 d = total / DMON_NEEDLE_RATIO / 2, c;
	u32 k, n = 0, i;

	if (!d)
		d = 1;
	for (k = 0; k < DMON_NEEDLE_RUNGS && n < max; k++) {
		if (hit > d)
			cuts[n++] = hit - d;
		if (n < max && hit + 1 + d < total)
			cuts[n++] = hit + 1 + d;
		d *= DMON_NEEDLE_STEP;
	}
	/* Insertion sort: left cuts come out falling, right ones rising. */
	for (k = 1; k < n; k++) {
		c = cuts[k];
		for (i = k; i > 0 && cuts[i - 1] > c; i--)
			cuts[i] = cuts[i - 1];
		cuts[i] = c;
	}
	return n;
}

/* How many pieces beyond the first @r, of @kind, would be split into. */
static u32 dmon_split_want(const struct dmon_region *r,
			   enum dmon_split_kind kind,
			   const struct dmon_split_plan *p)
{
	u64 pages = dmon_region_pages(r), cuts[2 * DMON_NEEDLE_RUNGS];
	u32 pieces = p->nr_subregions;

	if (pages < 2)
		return 0;
	switch (kind) {
	case DMON_SPLIT_NEEDLE:
		return dmon_needle_cuts(r, 2 * DMON_NEEDLE_RUNGS, cuts);
	case DMON_SPLIT_EDGE:
		pieces = DMON_EDGE_SUBREGIONS;
		break;
	case DMON_SPLIT_RANDOM:
		break;
	}
	return (u32)dmon_u64_min(pieces - 1, pages - 1);
}

/*
 * The pieces beyond the first region @i, of @kind, gets: the budget goes
 * to the targeted regions (edges and needles) first, then to the others,
 * each class in address order, until it runs out at @p->cut_at.
 */
static u32 dmon_split_extra(const struct dmon_region *r, u32 i,
			    enum dmon_split_kind kind,
			    const struct dmon_split_plan *p)
{
	bool targeted = kind != DMON_SPLIT_RANDOM;

	if (p->cut_at == DMON_U32_MAX)
		return dmon_split_want(r, kind, p);
	if (targeted != p->cut_targeted)
		return targeted ? dmon_split_want(r, kind, p) : 0;
	if (i < p->cut_at)
		return dmon_split_want(r, kind, p);
	return i == p->cut_at ? p->cut_extra : 0;
}

/* The kind of region @i of @rs, before any of them is split. */
static enum dmon_split_kind dmon_kind_at(const struct dmon_regions *rs, u32 i,
					 const struct dmon_split_plan *p)
{
	return dmon_split_kind(&rs->r[i], i ? &rs->r[i - 1] : NULL,
			       i + 1 < rs->nr ? &rs->r[i + 1] : NULL,
			       p->max_nr_accesses);
}

/*
 * Where the budget of @budget extra regions runs out, if it does; returns
 * how many extra regions will be made.
 */
static u32 dmon_split_budget(const struct dmon_regions *rs, u32 budget,
			     struct dmon_split_plan *p)
{
	enum dmon_split_kind kind;
	u32 pass, i, want, given = 0;

	p->cut_at = DMON_U32_MAX;
	for (pass = 0; pass < 2; pass++) {
		bool targeted = pass == 0;

		for (i = 0; i < rs->nr; i++) {
			kind = dmon_kind_at(rs, i, p);
			if ((kind != DMON_SPLIT_RANDOM) != targeted)
				continue;
			want = dmon_split_want(&rs->r[i], kind, p);
			if (want > budget - given) {
				p->cut_targeted = targeted;
				p->cut_at = i;
				p->cut_extra = budget - given;
				return budget;
			}
			given += want;
		}
	}
	return given;
}

/**
 * dmon_split_regions() - Split regions, finer where access changes
 * @rs:			the regions
 * @max_nr_regions:	the most regions to have afterwards
 * @nr_subregions:	the pieces to split each region into at random: 2 or
 *			3 (more counts as 3, fewer does nothing)
 * @max_nr_accesses:	the samples per region of the aggregation interval
 *			whose counts are now in @last_nr_accesses, or 0 to
 *			cut every region at random as upstream does
 *
 * Each region is cut at page boundaries.  By default at random, every
 * choice of distinct boundaries equally likely, into @nr_subregions
 * pieces, or one per page if it has fewer pages.  With @max_nr_accesses,
 * a region whose @last_nr_accesses is more than a tenth of it and less
 * than nine tenths, so partly accessed, next to one that read at most a
 * tenth or at least nine tenths, is cut at random into
 * DMON_EDGE_SUBREGIONS pieces; and one that read at most a tenth but
 * holds a @hit_addr is cut around that page: a window of about
 * 1/DMON_NEEDLE_RATIO of it, and pieces DMON_NEEDLE_STEP times wider
 * either side, DMON_NEEDLE_RUNGS a side.  Single-page regions stay
 * whole.  The pieces keep the counters and age of the region.  Every
 * @hit_addr is cleared.
 *
 * Never more than min(@rs->cap, @max_nr_regions) regions result: when that
 * limit is reached the regions cut at random are cut less or not at all,
 * those at the highest addresses first, and then the others likewise.
 *
 * As upstream DAMON, the module calls this after dmon_reset_aggregated()
 * only while @rs->nr <= @max_nr_regions / 2, with @nr_subregions 3 if the
 * number of regions did not change since the last split and is below
 * @max_nr_regions / 3, else 2; the next dmon_merge_regions() reverts the
 * splits that found no difference.
 */
void dmon_split_regions(struct dmon_regions *rs, u32 max_nr_regions,
			u32 nr_subregions, u32 max_nr_accesses)
{
	u32 limit = rs->cap < max_nr_regions ? rs->cap : max_nr_regions;
	struct dmon_split_plan plan = {
		.nr_subregions = nr_subregions,
		.max_nr_accesses = max_nr_accesses,
	};
	u64 cuts[DMON_EDGE_SUBREGIONS - 1], start, end;
	u32 i, k, extra, extra_total, dst, added, next_dst = 0;
	enum dmon_split_kind kind;
	struct dmon_region cur;

	if (nr_subregions < 2 || rs->nr >= limit)
		goto out;
	if (nr_subregions > DMON_MAX_SUBREGIONS)
		plan.nr_subregions = DMON_MAX_SUBREGIONS;

	added = dmon_split_budget(rs, limit - rs->nr, &plan);
	extra_total = added;
	/*
	 * From the end, so that each region is read before overwritten.  Its
	 * left neighbour is still in place; its right one was moved to
	 * next_dst, whose first piece keeps its start and counters.
	 */
	for (i = rs->nr; i-- > 0;) {
		cur = rs->r[i];
		kind = dmon_split_kind(&cur, i ? &rs->r[i - 1] : NULL,
				       i + 1 < rs->nr ? &rs->r[next_dst] : NULL,
				       max_nr_accesses);
		extra = dmon_split_extra(&cur, i, kind, &plan);
		extra_total -= extra;
		dst = i + extra_total;
		next_dst = dst;
		if (extra && kind == DMON_SPLIT_NEEDLE)
			dmon_needle_cuts(&cur, extra, cuts);
		else
			dmon_pick_cuts(dmon_region_pages(&cur), extra, cuts);
		start = cur.start;
		for (k = 0; k <= extra; k++) {
			end = k < extra ? cur.start + cuts[k] * DMON_PAGE :
					  cur.end;
			dmon_part_region(&rs->r[dst + k], &cur, start, end);
			start = end;
		}
	}
	rs->nr += added;
out:
	for (i = 0; i < rs->nr; i++)
		rs->r[i].hit_addr = 0;
}

/* Does @r intersect one of @ranges (valid, page aligned outwards)? */
static bool dmon_in_ranges(const struct dmon_region *r,
			   const struct dmon_range *ranges, u32 nr_ranges,
			   u32 *from)
{
	u32 j = *from;

	while (j < nr_ranges && dmon_page_up(ranges[j].end) <= r->start)
		j++;
	*from = j;
	return j < nr_ranges && dmon_page_down(ranges[j].start) < r->end;
}

/*
 * Fit the regions @rs->r[@src, @src_end) to @ranges (valid) and return the
 * number of resulting regions.  With @emit, also write them from @rs->r[0]
 * on; each source region is copied out before any write can reach it if
 * every source region intersects a range and the result fits in
 * @rs->r[0, @src_end), and @src_end is @rs->cap.
 */
static u64 dmon_fit_regions(struct dmon_regions *rs, u32 src, u32 src_end,
			    const struct dmon_range *ranges, u32 nr_ranges,
			    bool emit)
{
	struct dmon_region cur = { 0 };
	bool have_cur = false, any;
	u64 n = 0, start, end, pos, piece;
	u32 j;

	for (j = 0; j < nr_ranges; j++) {
		start = dmon_page_down(ranges[j].start);
		end = dmon_page_up(ranges[j].end);
		pos = start;
		any = false;
		for (;;) {
			if (!have_cur) {
				if (src == src_end)
					break;
				cur = rs->r[src++];
				have_cur = true;
			}
			if (cur.start >= end)
				break;
			if (cur.end <= start) {
				/* intersects no range */
				have_cur = false;
				continue;
			}
			/* the first one stretches down to the range start */
			piece = any ? cur.start : start;
			if (piece > pos) {
				/* a hole between two regions */
				if (emit)
					dmon_new_region(&rs->r[n], pos, piece);
				n++;
			}
			pos = dmon_u64_min(cur.end, end);
			if (emit)
				dmon_part_region(&rs->r[n], &cur, piece, pos);
			n++;
			any = true;
			if (cur.end > end)
				break;	/* it goes on into the next range */
			have_cur = false;
		}
		if (!any) {
			if (emit)
				dmon_new_region(&rs->r[n], start, end);
			n++;
		} else if (pos < end && emit) {
			/* the last one stretches up to the range end */
			rs->r[n - 1].end = end;
		}
	}
	return n;
}

/**
 * dmon_apply_ranges() - Fit the regions to new address ranges
 * @rs:		the regions
 * @ranges:	the new ranges: sorted, non-overlapping (page aligned
 *		outwards here)
 * @nr_ranges:	number of entries in @ranges; 0 drops all regions
 *
 * As upstream DAMON's damon_set_regions(): regions that intersect none of
 * the ranges are dropped; a range that no region intersects gets a new
 * region covering it exactly; otherwise the regions intersecting the range
 * are clipped to it, the first is stretched down to the range start, the
 * last up to the range end, and the holes between them are filled with new
 * regions.  New regions have zero counters and age; the others keep theirs.
 * A region that intersects several ranges is split into one piece per
 * range, each with the region's counters and age (upstream keeps it only in
 * the first range).  Afterwards the regions cover exactly the ranges.
 *
 * Return: 0; -EINVAL if a range is empty, unsorted or overlaps another;
 * -ENOSPC if the result would not fit in @rs->cap.  @rs is left untouched
 * on error.
 */
int dmon_apply_ranges(struct dmon_regions *rs, const struct dmon_range *ranges,
		      u32 nr_ranges)
{
	u32 i, j = 0, kept = 0;

	if (!dmon_ranges_valid(ranges, nr_ranges))
		return -EINVAL;
	if (dmon_fit_regions(rs, 0, rs->nr, ranges, nr_ranges, false) >
	    rs->cap)
		return -ENOSPC;

	/* Drop the regions that intersect no range ... */
	for (i = 0; i < rs->nr; i++) {
		if (!dmon_in_ranges(&rs->r[i], ranges, nr_ranges, &j))
			continue;
		if (kept != i)
			rs->r[kept] = rs->r[i];
		kept++;
	}
	/* ... move the others to the end of the array ... */
	for (i = kept; i-- > 0;)
		rs->r[rs->cap - kept + i] = rs->r[i];
	/* ... and write the result from its start. */
	rs->nr = (u32)dmon_fit_regions(rs, rs->cap - kept, rs->cap, ranges,
				       nr_ranges, true);
	return 0;
}
