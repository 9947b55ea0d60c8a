// SPDX-License-Identifier: GPL-2.0
/*
 * perm-cgroup NICE SECONDS MIN-SHARE MAX-SHARE: as the calling user, at
 * nice NICE, start a session that keeps its kernel thread busy (sampling
 * every 100 us over thousands of regions of a populated 256 MiB target),
 * then check where the thread runs: in the caller's cgroup, at the
 * caller's nice value, using between MIN-SHARE and MAX-SHARE of one CPU
 * over SECONDS (so that the cgroup's cpu.max is seen to hold).
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "perm.h"

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		KT_FAIL("%s: %s", path, strerror(errno));
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The session's kernel thread: named damondev/<our pid>. */
static pid_t find_kdamond(void)
{
	char want[32], path[300], comm[64];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	pid_t found = 0;

	KT_ASSERT(dir);
	snprintf(want, sizeof(want), "damondev/%d\n", getpid());
	while ((d = readdir(dir)) && !found) {
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		FILE *f = fopen(path, "r");

		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			found = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	if (!found)
		KT_FAIL("no kernel thread named damondev/%d", getpid());
	return found;
}

/* Field @n (1-based, as proc(5) numbers them) of /proc/PID/stat. */
static long long stat_field(pid_t pid, int n)
{
	char path[64], buf[1024], *p;
	long long v = 0;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	read_file(path, buf, sizeof(buf));
	p = strrchr(buf, ')');
	KT_ASSERT(p);
	p += 2;		/* field 3 */
	for (i = 3; i < n; i++) {
		p = strchr(p, ' ');
		KT_ASSERT(p);
		p++;
	}
	sscanf(p, "%lld", &v);
	return v;
}

static double cpu_s(pid_t pid)
{
	return (stat_field(pid, 14) + stat_field(pid, 15)) /
	       (double)sysconf(_SC_CLK_TCK);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char mine[512], its[512], path[64];
	double secs, lo, hi, c0, t0, share;
	int want_nice, fd, nice_now;
	pid_t target, kd;
	unsigned long base;

	if (argc != 5)
		KT_FAIL("usage: perm-cgroup NICE SECONDS MIN-SHARE MAX-SHARE");
	want_nice = atoi(argv[1]);
	secs = atof(argv[2]);
	lo = atof(argv[3]);
	hi = atof(argv[4]);
	KT_SYS(setpriority(PRIO_PROCESS, 0, want_nice));
	target = kt_spawn_toucher(256UL << 20, 0, 4096, &base);
	fd = kt_open();
	kt_set_attrs(fd, 100, 100000, 2000, 8000, 4, 0);
	kt_set_targets(fd, &target, 1);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	kd = find_kdamond();

	read_file("/proc/self/cgroup", mine, sizeof(mine));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", kd);
	read_file(path, its, sizeof(its));
	if (strcmp(mine, its))
		KT_FAIL("the kernel thread %d is in cgroup %s, its starter in %s",
			kd, its, mine);
	mine[strcspn(mine, "\n")] = '\0';
	kt_pass("the kernel thread %d runs in its starter's cgroup (%s)", kd,
		mine);
	nice_now = (int)stat_field(kd, 19);
	if (nice_now < want_nice)
		KT_FAIL("the kernel thread runs at nice %d, above its starter's %d",
			nice_now, want_nice);
	kt_pass("the kernel thread runs at nice %d (its starter: %d)", nice_now,
		want_nice);

	usleep(500000);
	c0 = cpu_s(kd);
	t0 = now_s();
	usleep((useconds_t)(secs * 1e6));
	share = (cpu_s(kd) - c0) / (now_s() - t0);
	printf("# the kernel thread used %.0f%% of a CPU over %.1f s\n",
	       share * 100, secs);
	if (share < lo || share > hi)
		KT_FAIL("the kernel thread used %.2f of a CPU, expected %.2f..%.2f",
			share, lo, hi);
	kt_pass("its CPU share %.2f is within %.2f..%.2f", share, lo, hi);
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	close(fd);
	kt_kill(target);
	return 0;
}
