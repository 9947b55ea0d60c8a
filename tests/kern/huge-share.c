// SPDX-License-Identifier: GPL-2.0
/*
 * Regions that share a page table, and a huge page's Accessed bit.  A child
 * keeps writing every page of a 64 MiB area (transparent huge pages where
 * the kernel has them), while a session holds regions of about 64 KiB,
 * some thirty to each 2 MiB.  A region's check and the clear of its next
 * sample are done in one visit of the page table; with a huge page, the
 * bit cleared for one region is the bit the next regions in the same 2 MiB
 * are still to test.  Done too early, the clear makes all but the first of
 * them read idle: the area must read accessed in nearly every sample.
 * Without transparent huge pages (Debian's PREEMPT_RT kernel) the PTE case
 * alone is tested, and the pass line says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kt.h"

#define SIZE	(64UL << 20)
#define HUGE	(2UL << 20)

static void writer(void *arg)
{
	char *raw, *p;
	size_t off;

	(void)arg;
	raw = mmap(NULL, SIZE + HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return;
	p = (char *)(((unsigned long)raw + HUGE - 1) & ~(HUGE - 1));
	madvise(p, SIZE, MADV_HUGEPAGE);	/* fails without THP: fine */
	for (off = 0; off < SIZE; off += 4096)
		p[off] = 1;
	kt_ready(p);
	for (;;)
		for (off = 0; off < SIZE; off += 4096)
			p[off]++;
}

/* AnonHugePages of the child's mapping at @base, in KiB, from smaps. */
static unsigned long huge_kib(pid_t pid, unsigned long base)
{
	unsigned long start, end, kib = 0;
	char path[64], line[256];
	int in_it = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		KT_FAIL("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in_it = base >= start && base < end;
		else if (in_it && sscanf(line, "AnonHugePages: %lu", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

int main(void)
{
	double acc = 0, passes = 0;
	unsigned long base, kib;
	int fd = kt_open(), got = 0, small = 0, regions = 0;
	size_t len, off;
	pid_t child;
	char *buf;

	child = kt_spawn("writer", writer, NULL, &base);
	kib = huge_kib(child, base);

	/* 20 ms samples: the writer's loop comes round within one. */
	kt_set_attrs(fd, 20000, 400000, 1000, 2000, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd);
	buf = malloc(len);
	KT_ASSERT(buf);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	while (got < 12) {
		ssize_t n = KT_SYS(read(fd, buf, len));
		const struct damon_snapshot *s;

		off = 0;
		while ((s = kt_next_snapshot(buf, n, &off))) {
			const struct damon_snapshot_target *t;
			unsigned int i;

			kt_check_snapshot(s);
			if (got++ < 2)	/* the first intervals warm up */
				continue;
			t = kt_first_target(s);
			for (i = 0; i < t->nr_regions; i++) {
				const struct damon_snapshot_region *r =
					kt_region(s, t, i);

				if (r->start < base || r->end > base + SIZE)
					continue;
				regions++;
				small += r->end - r->start < HUGE;
				acc += (double)r->nr_accesses;
				passes += s->nr_passes;
			}
		}
	}
	KT_ASSERT(passes > 0);
	printf("# %d regions in the area, %d of them smaller than 2 MiB; "
	       "%lu KiB of it in huge pages; %.1f%% of samples accessed\n",
	       regions, small, kib, 100 * acc / passes);
	/* Regions smaller than a huge page, or this tests nothing. */
	KT_ASSERT(small >= regions / 2);
	KT_ASSERT(acc / passes >= 0.8);
	kt_pass("every region of an area written all over reads accessed (%s)",
		kib >= SIZE / 1024 / 2 ? "huge pages" :
		"PTEs only: this kernel gave no huge pages");
	kt_kill(child);
	free(buf);
	close(fd);
	return 0;
}
