// SPDX-License-Identifier: GPL-2.0
/*
 * The demo workload: 256 MiB in three parts that are hot (16 MiB, written
 * all the time), warm (64 MiB, read now and then) and cold (the rest,
 * touched once), for a given number of seconds (default 10).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MIB (1UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10, end = now() + seconds;
	size_t total = 256 * MIB, hot = 16 * MIB, warm = 64 * MIB;
	unsigned long long x = 88172645463325252ULL, i = 0;
	volatile char sink;
	char *p;

	p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 1, total);
	printf("demo workload: hot %p-%p, warm %p-%p, cold %p-%p\n",
	       (void *)p, (void *)(p + hot), (void *)(p + hot),
	       (void *)(p + hot + warm), (void *)(p + hot + warm),
	       (void *)(p + total));
	fflush(stdout);
	while (now() < end) {
		for (int k = 0; k < 4096; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[(x % (hot / 4096)) * 4096] += 1;
			if (++i % 16 == 0)
				sink = p[hot + (x % (warm / 4096)) * 4096];
		}
	}
	(void)sink;
	return 0;
}
