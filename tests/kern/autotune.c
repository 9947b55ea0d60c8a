// SPDX-License-Identifier: GPL-2.0
/*
 * Interval auto-tuning converges on a steady workload and stays within its
 * bounds.  The workload writes ~100 random 4 KiB pages per millisecond over
 * 1 GiB without huge pages, so the share of samples that find their page
 * accessed grows with the sampling interval (~0.2% at 5 ms); with a goal of
 * 4% the tuner must lengthen the intervals, keep their ratio, stay within
 * [tune_min, tune_max], and end up near the goal.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

#define TOTAL (1UL << 30)

static pid_t spawn_steady(void)
{
	pid_t pid = KT_SYS(fork());
	unsigned long long x = 88172645463325252ULL;
	struct timespec ms = { 0, 1000000 };
	char *p;
	int i;

	if (pid)
		return pid;
	close_range(3, ~0U, 0);
	p = mmap(NULL, TOTAL, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	/* A kernel without THP (Debian's PREEMPT_RT one) refuses the advice
	 * with EINVAL: it has no huge pages to avoid anyway. */
	if (madvise(p, TOTAL, MADV_NOHUGEPAGE) &&
	    !(errno == EINVAL && access("/sys/kernel/mm/transparent_hugepage", F_OK)))
		_exit(1);
	memset(p, 1, TOTAL);
	for (;;) {
		for (i = 0; i < 100; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[(x % (TOTAL / 4096)) * 4096] += 1;
		}
		nanosleep(&ms, NULL);
	}
}

int main(void)
{
	int fd = kt_open();
	pid_t child = spawn_steady();
	struct damon_attrs a = {
		.size = sizeof(a), .sample_us = 5000, .aggr_us = 25000,
		.min_nr_regions = 10, .max_nr_regions = 100,
		.tune_goal_bp = 400, .tune_aggrs = 3,
		.tune_min_sample_us = 1000, .tune_max_sample_us = 200000,
	};
	double acc = 0, pos = 0;
	unsigned long long first = 0, last = 0;
	const struct damon_snapshot *s;
	struct timespec t0, t;
	size_t len;
	char *buf;
	int n = 0, late = 0;

	sleep(3);	/* let it populate its gigabyte */
	if (ioctl(fd, DAMON_IOC_SET_ATTRS, &a))
		KT_FAIL("SET_ATTRS: %s field %u", strerror(errno), a.err_field);
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd) * 16;
	buf = malloc(len);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		const struct damon_snapshot_target *tg;
		unsigned int i;

		s = kt_read_one(fd, buf, len);
		if (s->sample_us < 1000 || s->sample_us > 200000)
			KT_FAIL("sampling interval %llu us outside the tuning bounds",
				(unsigned long long)s->sample_us);
		if (s->aggr_us != 5 * s->sample_us)
			KT_FAIL("aggregation %llu us is not 5 x sampling %llu us",
				(unsigned long long)s->aggr_us,
				(unsigned long long)s->sample_us);
		if (!n++)
			first = s->sample_us;
		last = s->sample_us;
		clock_gettime(CLOCK_MONOTONIC, &t);
		/* Judge the last third of a 30 s run. */
		if (t.tv_sec - t0.tv_sec < 20)
			continue;
		late++;
		tg = kt_first_target(s);
		for (i = 0; i < tg->nr_regions; i++) {
			const struct damon_snapshot_region *r = kt_region(s, tg, i);
			double pages = (r->end - r->start) / 4096.0;

			acc += pages * r->nr_accesses;
			pos += pages * s->nr_passes;
		}
	} while (t.tv_sec - t0.tv_sec < 30);
	printf("# sampling interval %llu us -> %llu us; last 10 s: %.2f%% of samples accessed (goal 4%%), %d snapshots\n",
	       first, last, 100 * acc / pos, late);
	KT_ASSERT(last > 2 * first);
	KT_ASSERT(late >= 3 && pos > 0);
	/*
	 * Near the goal; or, when the workload is too slow for it (the debug
	 * kernel's syscalls are), at the longest interval allowed and still
	 * below it: the tuner went as far as its bounds let it.
	 */
	if (last == a.tune_max_sample_us && acc / pos < 0.04) {
		KT_ASSERT(acc / pos > 0);
		kt_pass("auto-tuning moved sampling %llu -> %llu us, its maximum, "
			"and reached %.2f%% (goal 4%% out of reach of this workload)",
			first, last, 100 * acc / pos);
	} else {
		KT_ASSERT(acc / pos >= 0.02 && acc / pos <= 0.08);
		kt_pass("auto-tuning moved sampling %llu -> %llu us and holds %.2f%% (goal 4%%)",
			first, last, 100 * acc / pos);
	}
	kt_kill(child);
	free(buf);
	close(fd);
	return 0;
}
