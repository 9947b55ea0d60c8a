// SPDX-License-Identifier: GPL-2.0
/*
 * The number of regions stays within [min_nr_regions, max_nr_regions] in
 * every snapshot, as in upstream DAMON's selftest: a workload with 10
 * areas of distinct access frequency under bounds 20..100, one with 15
 * areas under 3..10, and that one changed online to 3..7 (marked by a
 * new aggregation interval, so the snapshots made under the new bounds are
 * known exactly); and min == max online, which must pin the count near
 * the bound rather than collapse it.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

static void check_bounds(const struct damon_snapshot *s, unsigned int min,
			 unsigned int max, const char *what)
{
	const struct damon_snapshot_target *t = kt_first_target(s);

	if (t->nr_regions < min || t->nr_regions > max)
		KT_FAIL("%s: snapshot %llu has %u regions, bounds %u..%u", what,
			(unsigned long long)s->seq, t->nr_regions, min, max);
}

int main(void)
{
	unsigned long base10, base15;
	pid_t p10 = kt_spawn_areas(10, 8 << 20, 0, &base10);
	pid_t p15 = kt_spawn_areas(15, 8 << 20, 0, &base15);
	int fd10 = kt_open(), fd15 = kt_open();
	unsigned int lo10 = 100, hi10 = 0, lo7 = 100, hi7 = 0, n7 = 0;
	const struct damon_snapshot *s;
	char *buf;
	size_t len;
	int i;

	kt_set_attrs(fd10, 5000, 50000, 20, 100, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd10, &p10, 1);
	kt_set_attrs(fd15, 5000, 50000, 3, 10, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd15, &p15, 1);
	len = kt_max_snapshot(fd10) + kt_max_snapshot(fd15);
	buf = malloc(len);
	KT_SYS(ioctl(fd10, DAMON_IOC_START));
	KT_SYS(ioctl(fd15, DAMON_IOC_START));

	for (i = 0; i < 40; i++) {
		s = kt_read_one(fd10, buf, len);
		check_bounds(s, 20, 100, "10 areas, 20..100");
		if (kt_first_target(s)->nr_regions < lo10)
			lo10 = kt_first_target(s)->nr_regions;
		if (kt_first_target(s)->nr_regions > hi10)
			hi10 = kt_first_target(s)->nr_regions;
		check_bounds(kt_read_one(fd15, buf, len), 3, 10, "15 areas, 3..10");
	}
	kt_pass("10 areas under 20..100: %u..%u regions in 40 snapshots", lo10, hi10);
	kt_pass("15 areas under 3..10: every snapshot within bounds");

	kt_set_attrs(fd15, 5000, 60000, 3, 7, 64, DAMON_ATTR_TLB_FLUSH);
	for (i = 0; i < 40; i++) {
		s = kt_read_one(fd15, buf, len);
		if (s->aggr_us == 60000) {
			check_bounds(s, 3, 7, "changed online to 3..7");
			n7++;
			if (kt_first_target(s)->nr_regions < lo7)
				lo7 = kt_first_target(s)->nr_regions;
			if (kt_first_target(s)->nr_regions > hi7)
				hi7 = kt_first_target(s)->nr_regions;
		} else {
			KT_ASSERT(n7 == 0);	/* no going back */
			check_bounds(s, 3, 10, "before the change took effect");
		}
	}
	KT_ASSERT(n7 >= 35);
	kt_pass("changed online to 3..7: %u snapshots under the new bounds, %u..%u regions",
		n7, lo7, hi7);

	/*
	 * min == max pins the count, from the start (the initial split may
	 * give a few more than max) and when set online: merging stops at
	 * the bound instead of collapsing the regions, which a last pass
	 * without the size limit did.
	 */
	close(fd10);
	fd10 = kt_open();
	kt_set_attrs(fd10, 5000, 50000, 60, 60, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd10, &p10, 1);
	KT_SYS(ioctl(fd10, DAMON_IOC_START));
	for (i = 0, lo7 = 1000, hi7 = 0; i < 40; i++) {
		s = kt_read_one(fd10, buf, len);
		if (kt_first_target(s)->nr_regions < lo7)
			lo7 = kt_first_target(s)->nr_regions;
		if (kt_first_target(s)->nr_regions > hi7)
			hi7 = kt_first_target(s)->nr_regions;
		check_bounds(s, 60 / 2, 60, "started at 60..60");
	}
	kt_pass("started at 60..60: %u..%u regions in 40 snapshots", lo7, hi7);
	kt_set_attrs(fd15, 5000, 70000, 5, 5, 64, DAMON_ATTR_TLB_FLUSH);
	for (i = 0, n7 = 0, lo7 = 1000, hi7 = 0; i < 40; i++) {
		s = kt_read_one(fd15, buf, len);
		if (s->aggr_us != 70000)
			continue;
		n7++;
		if (kt_first_target(s)->nr_regions < lo7)
			lo7 = kt_first_target(s)->nr_regions;
		if (kt_first_target(s)->nr_regions > hi7)
			hi7 = kt_first_target(s)->nr_regions;
		check_bounds(s, 5, 5, "changed online to 5..5");
	}
	KT_ASSERT(n7 >= 35);
	kt_pass("changed online to 5..5: %u snapshots, %u..%u regions",
		n7, lo7, hi7);
	kt_kill(p10);
	kt_kill(p15);
	free(buf);
	return 0;
}
