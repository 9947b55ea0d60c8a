// SPDX-License-Identifier: GPL-2.0
/*
 * schemework HOT_MIB COLD_MIB [LOCKED_MIB]: the workload of the in-VM
 * scheme tests.  Three anonymous areas, each its own mapping (a PROT_NONE
 * page after each keeps them from merging) so /proc/PID/smaps shows each
 * one's residency: a hot area, aligned to 2 MiB so that it can be
 * collapsed into huge pages, that it writes to without pause; a cold area
 * it fills once and never touches again; and, if asked, a cold area it
 * mlock()s.  All are filled with data that is not one byte repeated, so
 * zram stores real pages.
 *
 * It writes every page of the hot area, then sleeps 5 ms, and so on: the
 * hot area stays hot (each page written every few milliseconds) while the
 * workload leaves the VM's two emulated CPUs to the kernel thread and to
 * the reclaim it is tested with, as a service does between requests.
 *
 * It prints "hot START END", "cold START END" and "locked START END"
 * (hexadecimal, as /proc/PID/maps has them), then "ready", then once a
 * second "rate N": the hot pages it wrote in that second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)

static unsigned char *area(size_t size, size_t align)
{
	unsigned char *p, *start;
	size_t slack = align > PAGE ? align : 0;

	p = mmap(NULL, size + PAGE + slack, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	start = slack ? (unsigned char *)(((uintptr_t)p + align - 1) &
					  ~(uintptr_t)(align - 1)) : p;
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (p + size + PAGE + slack > start + size + PAGE)
		munmap(start + size + PAGE,
		       (size_t)(p + size + PAGE + slack - (start + size + PAGE)));
	if (mprotect(start + size, PAGE, PROT_NONE)) {
		perror("mprotect");
		exit(1);
	}
	return start;
}

static void fill(unsigned char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i += 8)
		*(uint64_t *)(p + i) = (i / 8) * 0x9E3779B97F4A7C15ULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t hot_size, cold_size, locked_size = 0, i;
	unsigned char *hot, *cold, *locked = NULL;
	unsigned long long pages = 0;
	double next;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s HOT_MIB COLD_MIB [LOCKED_MIB]\n",
			argv[0]);
		return 2;
	}
	hot_size = strtoul(argv[1], NULL, 10) << 20;
	cold_size = strtoul(argv[2], NULL, 10) << 20;
	if (argc == 4)
		locked_size = strtoul(argv[3], NULL, 10) << 20;
	if (!hot_size || !cold_size) {
		fprintf(stderr, "%s: the hot and the cold area need a size\n",
			argv[0]);
		return 2;
	}
	cold = area(cold_size, PAGE);
	fill(cold, cold_size);
	if (locked_size) {
		locked = area(locked_size, PAGE);
		fill(locked, locked_size);
		if (mlock(locked, locked_size)) {
			perror("mlock");
			return 1;
		}
	}
	hot = area(hot_size, HUGE);
	fill(hot, hot_size);
	printf("hot %lx %lx\n", (unsigned long)hot,
	       (unsigned long)(hot + hot_size));
	printf("cold %lx %lx\n", (unsigned long)cold,
	       (unsigned long)(cold + cold_size));
	if (locked)
		printf("locked %lx %lx\n", (unsigned long)locked,
		       (unsigned long)(locked + locked_size));
	printf("ready\n");
	fflush(stdout);
	next = now() + 1;
	for (;;) {
		struct timespec pause = { .tv_nsec = 5000000 };

		for (i = 0; i < hot_size; i += PAGE)
			hot[i]++;
		pages += hot_size / PAGE;
		nanosleep(&pause, NULL);
		if (now() >= next) {
			printf("rate %llu\n", pages);
			fflush(stdout);
			pages = 0;
			next += 1;
		}
	}
}
