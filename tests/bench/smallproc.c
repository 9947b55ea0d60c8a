// SPDX-License-Identifier: GPL-2.0
/*
 * smallproc N MIB PERIOD_MS: N small processes, as a fleet's services
 * look to the exporter: each maps MIB MiB of its own, touches all of it
 * once, then writes to its first quarter every PERIOD_MS and sleeps in
 * between.  The first is the parent of the others (so they share its
 * cgroup); it prints "ready" once all have forked.  SIGTERM to the first
 * ends them all.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void work(size_t size, long period_ms)
{
	struct timespec nap = { period_ms / 1000, (period_ms % 1000) * 1000000L };
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (i = 0; i < size; i += 4096)
		p[i] = 1;
	while (!stop) {
		for (i = 0; i < size / 4; i += 4096)
			p[i]++;
		nanosleep(&nap, NULL);
	}
}

int main(int argc, char **argv)
{
	long n, i, period_ms;
	pid_t *kids;
	size_t size;

	if (argc != 4) {
		fprintf(stderr, "usage: %s N MIB PERIOD_MS\n", argv[0]);
		return 2;
	}
	n = strtol(argv[1], NULL, 10);
	size = strtoul(argv[2], NULL, 10) << 20;
	period_ms = strtol(argv[3], NULL, 10);
	if (n < 1 || !size || period_ms < 1) {
		fprintf(stderr, "%s: N, MIB and PERIOD_MS must be above 0\n", argv[0]);
		return 2;
	}
	kids = calloc((size_t)n, sizeof(*kids));
	if (!kids) {
		perror("calloc");
		return 1;
	}
	signal(SIGTERM, on_term);
	for (i = 1; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (!kids[i]) {
			work(size, period_ms);
			return 0;
		}
	}
	printf("ready\n");
	fflush(stdout);
	work(size, period_ms);
	for (i = 1; i < n; i++)
		kill(kids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	free(kids);
	return 0;
}
