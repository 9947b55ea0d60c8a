// SPDX-License-Identifier: GPL-2.0
/*
 * Accuracy smoke test.  A child maps and populates 1 GiB, then keeps
 * writing random pages of one 64 MiB sub-range.  After a few aggregations,
 * the regions inside that range must report far more accesses per sample
 * than the regions of the rest of the mapping.
 *
 * What it proves: sampling finds the Accessed bits the workload sets, on
 * PTEs or THP PMDs, and attributes them to the right addresses.  Under
 * QEMU's software emulation an Accessed bit is set again only when the
 * emulated TLB misses, so the session sets DAMON_ATTR_TLB_FLUSH (see the
 * README); without it this test measures the emulator, not the module.
 * Regions adapt (merge and split) while it runs; only regions wholly
 * inside or wholly outside the hot range are counted.
 *
 * A sampled hot page reads as accessed only if the toucher wrote it within
 * the sampling interval, so the share measured depends on how fast the
 * emulated CPU runs the toucher: without THP (Debian's PREEMPT_RT kernel)
 * the 64 MiB are 16,384 pages, and at 5 ms intervals a busy host measured
 * 52%.  Sampling every 20 ms gives each page four times the chance (over
 * 90% at the same speed), so the share tests the module, not the host.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

#define TOTAL	(1UL << 30)
#define HOT_OFF	(512UL << 20)
#define HOT_LEN	(64UL << 20)

int main(void)
{
	int fd = kt_open();
	unsigned long base;
	pid_t child = kt_spawn_toucher(TOTAL, HOT_OFF, HOT_LEN, &base);
	unsigned long hot_start = base + HOT_OFF, hot_end = hot_start + HOT_LEN;
	double hot_acc = 0, hot_pass = 0, cold_acc = 0, cold_pass = 0;
	const struct damon_snapshot *s;
	size_t len, off;
	int got = 0;
	char *buf;

	kt_set_attrs(fd, 20000, 400000, 100, 1000, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd);
	buf = malloc(len);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	while (got < 23) {
		ssize_t n = KT_SYS(read(fd, buf, len));
		const struct damon_snapshot_target *t;
		unsigned int i;

		off = 0;
		while ((s = kt_next_snapshot(buf, n, &off))) {
			kt_check_snapshot(s);
			if (got++ < 3)	/* the first intervals warm up */
				continue;
			t = kt_first_target(s);
			for (i = 0; i < t->nr_regions; i++) {
				const struct damon_snapshot_region *r = kt_region(s, t, i);
				double bytes = r->end - r->start;

				if (r->start >= hot_start && r->end <= hot_end) {
					hot_acc += bytes * r->nr_accesses;
					hot_pass += bytes * s->nr_passes;
				} else if (r->start >= base && r->end <= base + TOTAL &&
					   (r->end <= hot_start || r->start >= hot_end)) {
					cold_acc += bytes * r->nr_accesses;
					cold_pass += bytes * s->nr_passes;
				}
			}
		}
	}
	KT_ASSERT(hot_pass > 0 && cold_pass > 0);
	printf("# hot range: %.1f%% of samples accessed; rest of the mapping: %.2f%%\n",
	       100 * hot_acc / hot_pass, 100 * cold_acc / cold_pass);
	KT_ASSERT(hot_acc / hot_pass >= 0.60);
	KT_ASSERT(hot_acc / hot_pass >= 10 * (cold_acc / cold_pass));
	kt_pass("the 64 MiB hot range stands out of the 1 GiB mapping");
	kt_kill(child);
	free(buf);
	close(fd);
	return 0;
}
