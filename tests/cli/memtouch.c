// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch MIB SECONDS: a workload with a known hot set for the in-VM CLI
 * tests.  It maps MIB MiB, touches all of it once, then keeps writing to
 * its first eighth for SECONDS (0: until killed) and exits with 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv)
{
	size_t size, hot, i;
	unsigned char *p;
	double seconds;
	time_t end;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MIB SECONDS\n", argv[0]);
		return 2;
	}
	size = strtoul(argv[1], NULL, 10) << 20;
	seconds = strtod(argv[2], NULL);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!size || p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < size; i += 4096)
		p[i] = 1;
	hot = size / 8;
	end = time(NULL) + (time_t)seconds;
	for (;;) {
		for (i = 0; i < hot; i += 4096)
			p[i]++;
		if (seconds > 0 && time(NULL) >= end)
			return 0;
	}
}
