// SPDX-License-Identifier: GPL-2.0
/*
 * Upper-level Accessed bits.  A child populates 4 GiB (a memfd mapped again
 * and again) and keeps writing one 2 MiB of it; a session samples it at
 * 5 samples an aggregation, so that a region of hundreds of MiB rarely has
 * a sample land in the hot 2 MiB.  With the upper_bits module parameter on
 * and MGLRU off, the Accessed bits of the PMD entries point the split at
 * the hot 2 MiB: a small region over it must read hot within a few
 * aggregations, and snapshots say DAMON_SNAPSHOT_UPPER_BITS.  With MGLRU
 * on (where the kernel has it), the module must leave the bits alone and
 * say DAMON_SNAPSHOT_UPPER_MGLRU instead; with the parameter off, neither.
 * The same search is timed with the bits off, for the log: sampling alone.
 * MGLRU's setting and the parameter are restored on exit, failed or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kt.h"

#define TOTAL		(4UL << 30)
#define CHUNK		(64UL << 20)
#define HUGE		(2UL << 20)
#define HOT_OFF		(TOTAL / 2 + 37 * HUGE)
#define MAX_AGGRS	40
#define FOUND_WITHIN	6

#define PARAM	"/sys/module/damondev/parameters/upper_bits"
#define LRU_GEN	"/sys/kernel/mm/lru_gen/enabled"

static char saved_lru_gen[32], saved_param[8];

static void writer(void *arg)
{
	int fd = memfd_create("upper-bits", 0);
	char *raw, *p;
	size_t off;

	(void)arg;
	if (fd < 0 || ftruncate(fd, CHUNK))
		return;
	raw = mmap(NULL, TOTAL + HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (raw == MAP_FAILED)
		return;
	p = (char *)(((unsigned long)raw + HUGE - 1) & ~(HUGE - 1));
	for (off = 0; off < TOTAL; off += CHUNK)
		if (mmap(p + off, CHUNK, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) ==
		    MAP_FAILED)
			return;
	kt_ready(p);
	for (;;)
		for (off = 0; off < HUGE; off += 4096)
			p[HOT_OFF + off]++;
}

/* The module reads these at most once a second: wait for it to see. */
static void write_file(const char *path, const char *val)
{
	int err = kt_sysfs_write(path, val);

	if (err)
		KT_FAIL("cannot write %s to %s: %s", val, path, strerror(-err));
	sleep(2);
}

/* At exit, failed or not: best effort, no KT_FAIL inside exit(). */
static void restore(void)
{
	if (saved_lru_gen[0])
		kt_sysfs_write(LRU_GEN, saved_lru_gen);
	kt_sysfs_write(PARAM, saved_param);
}

/*
 * Run a session on @pid until a region of at most 64 MiB over the hot
 * 2 MiB reads accessed in a quarter of its samples.  Returns the
 * aggregations that took (0: not within MAX_AGGRS); *flags gets the
 * flags of every snapshot.
 */
static int search(pid_t pid, unsigned long hot, unsigned int *flags)
{
	int fd = kt_open(), aggrs = 0, found = 0;
	size_t len, off;
	char *buf;

	*flags = 0;
	kt_set_attrs(fd, 10000, 50000, 10, 1000, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &pid, 1);
	len = kt_max_snapshot(fd);
	buf = malloc(len);
	KT_ASSERT(buf);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	while (!found && aggrs < MAX_AGGRS) {
		ssize_t n = KT_SYS(read(fd, buf, len));
		const struct damon_snapshot *s;

		KT_ASSERT(n > 0);
		off = 0;
		while (!found && (s = kt_next_snapshot(buf, n, &off))) {
			const struct damon_snapshot_target *t;
			unsigned int i;

			kt_check_snapshot(s);
			aggrs++;
			*flags |= s->flags;
			t = kt_first_target(s);
			for (i = 0; i < t->nr_regions; i++) {
				const struct damon_snapshot_region *r =
					kt_region(s, t, i);

				if (r->start < hot + HUGE && r->end > hot &&
				    r->end - r->start <= 32 * HUGE &&
				    4 * r->nr_accesses >= s->nr_passes)
					found = aggrs;
			}
		}
	}
	free(buf);
	close(fd);
	return found;
}

int main(void)
{
	unsigned long base, hot;
	unsigned int flags;
	int on, off, mglru;
	pid_t child;

	if (kt_sysfs_read(PARAM, saved_param, sizeof(saved_param)))
		KT_FAIL("no %s", PARAM);
	if (!kt_sysfs_read(LRU_GEN, saved_lru_gen, sizeof(saved_lru_gen)))
		write_file(LRU_GEN, "0");
	atexit(restore);

	child = kt_spawn("writer", writer, NULL, &base);
	hot = base + HOT_OFF;

	write_file(PARAM, "Y");
	on = search(child, hot, &flags);
	printf("# upper_bits on, MGLRU off: found after %d aggregations "
	       "(0: not in %d), flags 0x%x\n", on, MAX_AGGRS, flags);
	KT_ASSERT(flags == DAMON_SNAPSHOT_UPPER_BITS);
	KT_ASSERT(on && on <= FOUND_WITHIN);

	write_file(PARAM, "N");
	off = search(child, hot, &flags);
	printf("# upper_bits off: found after %d aggregations (0: not in %d), "
	       "flags 0x%x\n", off, MAX_AGGRS, flags);
	KT_ASSERT(flags == 0);

	if (saved_lru_gen[0]) {
		write_file(PARAM, "Y");
		write_file(LRU_GEN, "y");
		mglru = search(child, hot, &flags);
		printf("# upper_bits on, MGLRU on: found after %d aggregations "
		       "(0: not in %d), flags 0x%x\n", mglru, MAX_AGGRS, flags);
		KT_ASSERT(flags == DAMON_SNAPSHOT_UPPER_MGLRU);
	}
	kt_pass("upper-level Accessed bits found the hot 2 MiB of 4 GiB after %d aggregations (sampling alone: %d; 0 is not in %d)%s",
		on, off, MAX_AGGRS, saved_lru_gen[0] ?
		", and were left alone while MGLRU was on" :
		"; this kernel has no MGLRU");
	kt_kill(child);
	return 0;
}
