// SPDX-License-Identifier: GPL-2.0
/*
 * A hot set that moves is followed ("stairs"): ten 16 MiB areas, the hot
 * one moves to the next area every 1.5 s.  For each snapshot the area with
 * the highest size-weighted access rate is taken as detected; after each
 * move, the aggregations until the new area is detected are counted, and
 * their average must be at most 3.  Phase start times come from the child
 * on CLOCK_MONOTONIC, the clock of the snapshots' timestamps.
 */
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

#define NR_AREAS	10
#define AREA		(16UL << 20)
#define PHASES		8
#define PHASE_NS	1500000000ULL

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Child: writes the base, then each phase's start time, then touches. */
static void __attribute__((noreturn)) stairs(int out)
{
	unsigned long long x = 88172645463325252ULL, start, t;
	char *p;
	int phase;

	p = mmap(NULL, NR_AREAS * AREA, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED || write(out, &p, sizeof(p)) != sizeof(p))
		_exit(1);
	for (phase = 0; phase < PHASES; phase++) {
		char *area = p + (phase % NR_AREAS) * AREA;

		start = now_ns();
		if (write(out, &start, sizeof(start)) != sizeof(start))
			_exit(1);
		do {
			int k;

			for (k = 0; k < 4096; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				area[(x % (AREA / 4096)) * 4096] += 1;
			}
			t = now_ns();
		} while (t - start < PHASE_NS);
	}
	_exit(0);
}

int main(void)
{
	int fd = kt_open(), pfd[2], phase = 0, i;
	unsigned long long starts[PHASES + 1];
	unsigned long base;
	int latency[PHASES], found[PHASES] = { 0 }, after[PHASES] = { 0 };
	const struct damon_snapshot *s;
	double sum = 0;
	size_t len;
	char *buf;
	pid_t child;

	KT_SYS(pipe(pfd));
	child = KT_SYS(fork());
	if (!child) {
		close(pfd[0]);
		close_range(3, pfd[1] - 1, 0);
		stairs(pfd[1]);
	}
	close(pfd[1]);
	KT_ASSERT(read(pfd[0], &base, sizeof(base)) == sizeof(base));
	KT_ASSERT(read(pfd[0], &starts[0], sizeof(starts[0])) == sizeof(starts[0]));
	kt_set_attrs(fd, 5000, 100000, 10, 1000, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd) * 64;
	buf = malloc(len);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	for (i = 1; i <= PHASES; i++)
		starts[i] = ~0ULL;
	for (;;) {
		ssize_t n = KT_SYS(read(fd, buf, len));
		size_t off = 0;

		if (!n)
			break;
		/* Learn phase starts as they come, without blocking. */
		while (phase + 1 < PHASES) {
			struct pollfd p = { .fd = pfd[0], .events = POLLIN };

			if (poll(&p, 1, 0) != 1 ||
			    read(pfd[0], &starts[phase + 1], 8) != 8)
				break;
			phase++;
		}
		while ((s = kt_next_snapshot(buf, n, &off))) {
			const struct damon_snapshot_target *t = kt_first_target(s);
			double rate[NR_AREAS] = { 0 };
			int best = 0, ph;
			unsigned int j;

			if (!t || !t->nr_regions)
				continue;
			for (j = 0; j < t->nr_regions; j++) {
				const struct damon_snapshot_region *r = kt_region(s, t, j);
				int a;

				for (a = 0; a < NR_AREAS; a++) {
					unsigned long lo = base + a * AREA, hi = lo + AREA;
					unsigned long l = r->start > lo ? r->start : lo;
					unsigned long h = r->end < hi ? r->end : hi;

					if (h > l)
						rate[a] += (double)(h - l) * r->nr_accesses;
				}
			}
			for (j = 1; j < NR_AREAS; j++)
				if (rate[j] > rate[best])
					best = j;
			/*
			 * Count from the first interval that saw any of the
			 * phase, even if it mostly saw the one before.
			 */
			for (ph = PHASES - 1; ph >= 0; ph--)
				if (s->end_ns > starts[ph])
					break;
			if (ph < 0 || found[ph])
				continue;
			after[ph]++;
			if (best == ph % NR_AREAS && rate[best] > 0) {
				found[ph] = 1;
				latency[ph] = after[ph];
			}
		}
	}
	for (i = 0; i < PHASES; i++) {
		if (!found[i])
			KT_FAIL("phase %d: hot area %d never detected (%d snapshots)",
				i, i % NR_AREAS, after[i]);
		printf("# phase %d: detected after %d aggregation(s)\n", i, latency[i]);
		sum += latency[i];
	}
	printf("# average detection latency: %.2f aggregations\n", sum / PHASES);
	KT_ASSERT(sum / PHASES <= 3.0);
	kt_pass("a moving hot set is detected %.2f aggregations after each move on average",
		sum / PHASES);
	free(buf);
	close(fd);
	return 0;
}
