/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure region logic of the monitor: no page tables, no locks, no allocation.
 * Compiled into the module and into the user-space unit tests.
 */
#ifndef DAMONDEV_REGIONS_H
#define DAMONDEV_REGIONS_H

#include "regions_shim.h"

/* A half-open address range [start, end). */
struct dmon_range {
	u64 start;
	u64 end;
};

/**
 * struct dmon_region - one monitored region of a target
 * @start:		first byte, page aligned
 * @end:		one past the last byte, page aligned, > @start
 * @sampling_addr:	page sampled in the current sampling interval
 * @nr_accesses:	samples that found the region accessed in the current
 *			aggregation interval
 * @last_nr_accesses:	@nr_accesses of the previous aggregation interval
 * @age:		aggregation intervals since @nr_accesses last changed
 *			notably
 * @hit_addr:		a page a sample found accessed (the latest), or 0:
 *			where dmon_split_regions() looks for a small hot
 *			area in a region that reads cold
 */
struct dmon_region {
	u64 start;
	u64 end;
	u64 sampling_addr;
	u32 nr_accesses;
	u32 last_nr_accesses;
	u32 age;
	u64 hit_addr;
};

/**
 * struct dmon_regions - the regions of one target, sorted by address
 * @r:		array of @cap entries, the first @nr in use
 * @nr:		regions in use
 * @cap:	capacity of @r
 *
 * Invariants: sorted, non-overlapping, page aligned, start < end.
 */
struct dmon_regions {
	struct dmon_region *r;
	u32 nr;
	u32 cap;
};

/*
 * The functions below are documented (kernel-doc) where they are defined, in
 * regions.c.  Unless stated otherwise, each keeps the invariants of
 * struct dmon_regions, never allocates and never sleeps.
 *
 * One aggregation interval of the module, in upstream DAMON's order:
 *
 *	dmon_merge_regions(rs, thres, dmon_merge_sz_limit(rs, min), max);
 *	(report the regions)
 *	dmon_reset_aggregated(rs);
 *	if (rs->nr <= max / 2)
 *		dmon_split_regions(rs, max, nr_subs, max_nr_accesses);
 *
 * where max_nr_accesses is aggregation interval / sampling interval, thres
 * is max_nr_accesses / 10 and nr_subs is 3 if rs->nr did not change since
 * the previous split and rs->nr < max / 3, else 2.  A sample that finds a
 * page accessed sets the region's hit_addr to that page.  Upstream applies
 * max and the size limit to all targets together; here they are per
 * struct dmon_regions, so a module with several targets divides them.
 *
 * On start and on each regions update interval the module collects the
 * target's VMAs into a struct dmon_layout, takes its three regions (or,
 * where the rule does not apply, its span: upstream would leave such a
 * target unmonitored) and passes them to dmon_init_regions() or
 * dmon_apply_ranges().  dmon_three_regions() and dmon_span_range() do the
 * same from an array of VMAs.
 */

/* Construction of the monitored address ranges from the VMAs of a target */
/**
 * struct dmon_layout - what the three-regions rule needs of an address space
 * @start:	start of the first VMA
 * @end:	end of the last VMA so far
 * @nr:		VMAs added
 * @invalid:	a VMA was empty or out of order
 * @gap:	the biggest and second biggest gap, page aligned inwards
 */
struct dmon_layout {
	u64 start;
	u64 end;
	u32 nr;
	bool invalid;
	struct dmon_range gap[2];
};

void dmon_layout_init(struct dmon_layout *l);
void dmon_layout_add(struct dmon_layout *l, u64 start, u64 end);
int dmon_layout_three_regions(const struct dmon_layout *l,
			      struct dmon_range out[3]);
int dmon_layout_span(const struct dmon_layout *l, struct dmon_range *out);
int dmon_three_regions(const struct dmon_range *vmas, u32 nr_vmas,
		       struct dmon_range out[3]);
int dmon_span_range(const struct dmon_range *vmas, u32 nr_vmas,
		    struct dmon_range *out);

/* Region life cycle */
int dmon_init_regions(struct dmon_regions *rs, const struct dmon_range *ranges,
		      u32 nr_ranges, u32 min_nr_regions);
int dmon_apply_ranges(struct dmon_regions *rs, const struct dmon_range *ranges,
		      u32 nr_ranges);

/* Sampling and aggregation */
u64 dmon_random_sampling_addr(const struct dmon_region *r);
void dmon_reset_aggregated(struct dmon_regions *rs);

/* Adaptive regions adjustment */
u64 dmon_regions_size(const struct dmon_regions *rs);
u64 dmon_merge_sz_limit(const struct dmon_regions *rs, u32 min_nr_regions);
void dmon_merge_regions(struct dmon_regions *rs, u32 threshold, u64 sz_limit,
			u32 max_nr_regions);
void dmon_bound_regions(struct dmon_regions *rs, u32 threshold, u64 sz_limit,
			u32 max_nr_regions);
void dmon_split_regions(struct dmon_regions *rs, u32 max_nr_regions,
			u32 nr_subregions, u32 max_nr_accesses);

#endif /* DAMONDEV_REGIONS_H */
