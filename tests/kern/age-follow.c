// SPDX-License-Identifier: GPL-2.0
/*
 * Regions follow the mappings and report age.  A new 512 MiB mapping is
 * covered by regions within two regions-update intervals and is gone from
 * them after munmap; a populated area that is never touched again reports
 * an age that grows with every aggregation.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt.h"

#define BIG (512UL << 20)

/* Bytes of [start, end) covered by the snapshot's regions. */
static unsigned long covered(const struct damon_snapshot *s, unsigned long start,
			     unsigned long end)
{
	const struct damon_snapshot_target *t = kt_first_target(s);
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < t->nr_regions; i++) {
		const struct damon_snapshot_region *r = kt_region(s, t, i);
		unsigned long lo = r->start > start ? r->start : start;
		unsigned long hi = r->end < end ? r->end : end;

		if (hi > lo)
			sum += hi - lo;
	}
	return sum;
}

int main(void)
{
	int fd = kt_open(), cmd[2], rep[2];
	const struct damon_snapshot *s;
	unsigned long base, big = 0;
	unsigned int i, min_age = ~0u, n = 0;
	pid_t child;
	size_t len;
	char *buf, c;

	/* A populated, then idle, 64 MiB; the child maps BIG on request. */
	KT_SYS(pipe(cmd));
	KT_SYS(pipe(rep));
	child = KT_SYS(fork());
	if (!child) {
		char *p;

		close(cmd[1]);
		close(rep[0]);
		p = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (write(rep[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		while (read(cmd[0], &c, 1) == 1) {
			if (c == 'm') {
				p = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			} else {
				munmap(p, BIG);
			}
			if (write(rep[1], &p, sizeof(p)) != sizeof(p))
				_exit(1);
		}
		_exit(0);
	}
	close(cmd[0]);
	close(rep[1]);
	KT_ASSERT(read(rep[0], &base, sizeof(base)) == sizeof(base));

	/* 50 ms aggregation, 200 ms regions update */
	struct damon_attrs a = { .size = sizeof(a), .sample_us = 5000,
				 .aggr_us = 50000, .update_us = 200000,
				 .min_nr_regions = 10, .max_nr_regions = 100 };
	KT_SYS(ioctl(fd, DAMON_IOC_SET_ATTRS, &a));
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd) * 64;
	buf = malloc(len);
	KT_SYS(ioctl(fd, DAMON_IOC_START));

	/* The idle 64 MiB area: its regions' age grows with the seq. */
	for (i = 0; i < 30; i++)
		s = kt_read_one(fd, buf, len);
	{
		const struct damon_snapshot_target *t = kt_first_target(s);

		for (i = 0; i < t->nr_regions; i++) {
			const struct damon_snapshot_region *r = kt_region(s, t, i);

			if (r->start >= base && r->end <= base + (64 << 20)) {
				n++;
				if (r->age < min_age)
					min_age = r->age;
			}
		}
	}
	KT_ASSERT(n > 0);
	if (min_age + 2 < s->seq)
		KT_FAIL("idle regions' age %u after %llu aggregations", min_age,
			(unsigned long long)s->seq);
	kt_pass("%u regions of an idle area report age >= %u after %llu aggregations",
		n, min_age, (unsigned long long)s->seq);

	KT_ASSERT(write(cmd[1], "m", 1) == 1);
	KT_ASSERT(read(rep[0], &big, sizeof(big)) == sizeof(big));
	for (i = 0; i < 12; i++) {	/* 600 ms: three update intervals */
		s = kt_read_one(fd, buf, len);
		if (covered(s, big, big + BIG) == BIG)
			break;
	}
	if (i == 12)
		KT_FAIL("512 MiB mapping not covered after 600 ms (%lu bytes)",
			covered(s, big, big + BIG));
	kt_pass("a new 512 MiB mapping is covered after %u aggregations", i + 1);

	KT_ASSERT(write(cmd[1], "u", 1) == 1);
	KT_ASSERT(read(rep[0], &big, sizeof(big)) == sizeof(big));
	for (i = 0; i < 12; i++) {
		s = kt_read_one(fd, buf, len);
		if (covered(s, big, big + BIG) == 0)
			break;
	}
	if (i == 12)
		KT_FAIL("unmapped 512 MiB still covered after 600 ms");
	kt_pass("after munmap it leaves the regions within %u aggregations", i + 1);
	close(cmd[1]);
	waitpid(child, NULL, 0);
	free(buf);
	close(fd);
	return 0;
}
