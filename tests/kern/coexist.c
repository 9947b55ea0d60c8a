// SPDX-License-Identifier: GPL-2.0
/*
 * Our session and the kernel's own DAMON (its sysfs interface, vaddr
 * operations) on the same process at the same time.  Both clear the
 * Accessed bits of the same page tables, so each sees some of the other's
 * clears as idleness; what must hold is that both keep working, that ours
 * still finds the known hot area, and that stopping either leaves the
 * other running.  Nothing may WARN (vm-final-checks reads the log).
 *
 *   A  ours alone: the hot area's share of accessed samples (the baseline)
 *   B  ours with the kernel's DAMON on: the share again, the kernel's
 *      kdamond running, its scheme seeing the hot area
 *   C  ours stopped: the kernel's DAMON still on and still applying its
 *      scheme
 *   D  ours started again, the kernel's DAMON turned off: ours as in A
 *
 * Prints the shares of A, B and D, the interference figure README.md
 * quotes.  Skips (77) only when the kernel is built without DAMON's sysfs
 * interface, going by its config; fails if the config has it and the
 * directory is missing.
 */
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "kt.h"

#define TOTAL	(256UL << 20)
#define HOT_OFF	(128UL << 20)
#define HOT_LEN	(32UL << 20)
#define ADMIN	"/sys/kernel/mm/damon/admin"
#define KD	ADMIN "/kdamonds/0"
#define CTX	KD "/contexts/0"
#define SCHEME	CTX "/schemes/0"

static bool kernel_damon_on;

static void put(const char *val, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *io_error(int err)
{
	if (err == -EBUSY)
		return "Device or resource busy (tried for 3 s)";
	return strerror(-err);
}

/* Write @val to the sysfs file named by @fmt; fails the test on error. */
static void put(const char *val, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	err = kt_sysfs_write(path, val);
	if (err)
		KT_FAIL("writing \"%s\" to %s: %s", val, path, io_error(err));
}

static void get(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The first line of the sysfs file named by @fmt, without its newline. */
static void get(char *buf, size_t len, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	err = kt_sysfs_read(path, buf, len);
	if (err)
		KT_FAIL("%s: %s", path, io_error(err));
}

static unsigned long long get_ull(const char *fmt, const char *arg)
{
	char buf[64];

	get(buf, sizeof(buf), fmt, arg);
	return strtoull(buf, NULL, 0);
}

/*
 * CONFIG_DAMON_SYSFS=y in the running kernel's config: 1 if so, 0 if not,
 * -1 if no config is found (/boot for Debian's kernels, /proc/config.gz
 * for the debug kernel).
 */
static int config_has_damon_sysfs(void)
{
	static const char want[] = "CONFIG_DAMON_SYSFS=y";
	char path[sizeof("/boot/config-") + sizeof(((struct utsname *)0)->release)];
	char line[256];
	struct utsname u;
	int found = 0;
	gzFile z;

	KT_SYS(uname(&u));
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	/* gzopen() reads an uncompressed file as it is. */
	z = gzopen(path, "r");
	if (!z)
		z = gzopen("/proc/config.gz", "r");
	if (!z)
		return -1;
	while (gzgets(z, line, sizeof(line)))
		found |= !strncmp(line, want, sizeof(want) - 1);
	gzclose(z);
	return found;
}

static void kernel_damon_off(void)
{
	if (!kernel_damon_on)
		return;
	/* From atexit() too: a failed test must not leave it running. */
	kt_sysfs_write(KD "/state", "off");
	kernel_damon_on = false;
}

static void kernel_damon_start(pid_t pid)
{
	char buf[64];

	get(buf, sizeof(buf), "%s", ADMIN "/kdamonds/nr_kdamonds");
	if (strcmp(buf, "0"))
		KT_FAIL("the kernel's DAMON already has %s kdamonds configured", buf);
	put("1", "%s", ADMIN "/kdamonds/nr_kdamonds");
	put("1", "%s", KD "/contexts/nr_contexts");
	put("vaddr", "%s", CTX "/operations");
	/* Upstream's defaults: 5 ms samples, 100 ms aggregations. */
	put("5000", "%s", CTX "/monitoring_attrs/intervals/sample_us");
	put("100000", "%s", CTX "/monitoring_attrs/intervals/aggr_us");
	put("1000000", "%s", CTX "/monitoring_attrs/intervals/update_us");
	put("10", "%s", CTX "/monitoring_attrs/nr_regions/min");
	put("1000", "%s", CTX "/monitoring_attrs/nr_regions/max");
	put("1", "%s", CTX "/targets/nr_targets");
	snprintf(buf, sizeof(buf), "%d", pid);
	put(buf, "%s", CTX "/targets/0/pid_target");
	/* Only counts what it finds: regions accessed in an aggregation. */
	put("1", "%s", CTX "/schemes/nr_schemes");
	put("stat", "%s", SCHEME "/action");
	/* Every range of the pattern is [0, 0] until written. */
	put("1", "%s", SCHEME "/access_pattern/nr_accesses/min");
	put("4294967295", "%s", SCHEME "/access_pattern/nr_accesses/max");
	put("18446744073709551615", "%s", SCHEME "/access_pattern/sz/max");
	put("4294967295", "%s", SCHEME "/access_pattern/age/max");
	put("on", "%s", KD "/state");
	kernel_damon_on = true;
	atexit(kernel_damon_off);
}

/* The kernel's DAMON is on and its kdamond is alive. */
static void check_kernel_damon_running(void)
{
	char buf[64], comm[64];
	pid_t kd;

	get(buf, sizeof(buf), "%s", KD "/state");
	if (strcmp(buf, "on"))
		KT_FAIL("the kernel's DAMON state is \"%s\", not \"on\"", buf);
	get(buf, sizeof(buf), "%s", KD "/pid");
	kd = atoi(buf);
	if (kd <= 0)
		KT_FAIL("the kernel's DAMON is on but has no kdamond (pid %s)", buf);
	get(comm, sizeof(comm), "/proc/%d/comm", kd);
	if (strcmp(comm, "kdamond.0"))
		KT_FAIL("pid %d is \"%s\", not the kernel's kdamond.0", kd, comm);
}

/* The kernel's scheme's count of regions tried, brought up to date. */
static unsigned long long kernel_damon_tried(void)
{
	put("update_schemes_stats", "%s", KD "/state");
	return get_ull("%s", SCHEME "/stats/nr_tried");
}

/*
 * The bytes of the hot area among the regions the kernel's scheme found
 * accessed in its last aggregation, and of the rest of the mapping.
 */
static void kernel_damon_view(unsigned long hot_start, unsigned long hot_end,
			      unsigned long base, double *hot, double *cold)
{
	unsigned long long s, e;
	char dir[128];
	int i;

	put("update_schemes_tried_regions", "%s", KD "/state");
	*hot = *cold = 0;
	for (i = 0;; i++) {
		snprintf(dir, sizeof(dir), SCHEME "/tried_regions/%d", i);
		if (access(dir, F_OK))
			break;
		s = get_ull("%s/start", dir);
		e = get_ull("%s/end", dir);
		if (s < hot_end && e > hot_start)
			*hot += (e < hot_end ? e : hot_end) -
				(s > hot_start ? s : hot_start);
		else if (s >= base && e <= base + TOTAL)
			*cold += e - s;
	}
	put("clear_schemes_tried_regions", "%s", KD "/state");
}

static double overlap(unsigned long long s, unsigned long long e,
		      unsigned long lo, unsigned long hi)
{
	unsigned long long from = s > lo ? s : lo, to = e < hi ? e : hi;

	return to > from ? to - from : 0;
}

/*
 * Over @count snapshots, the access rate our regions report for the hot
 * area and for the rest of the mapping, each byte counted at the rate of
 * the region it is in (so a region that straddles the hot area's edge by
 * a few pages counts for what it overlaps).
 */
static void measure(int fd, char *buf, size_t len, int count,
		    unsigned long base, double *hot, double *cold)
{
	unsigned long hot_start = base + HOT_OFF, hot_end = hot_start + HOT_LEN;
	double hot_acc = 0, hot_pass = 0, cold_acc = 0, cold_pass = 0;
	const struct damon_snapshot *s;
	int got = 0;

	while (got < count) {
		ssize_t n = KT_SYS(read(fd, buf, len));
		size_t off = 0;

		while ((s = kt_next_snapshot(buf, n, &off))) {
			const struct damon_snapshot_target *t;

			kt_check_snapshot(s);
			got++;
			t = kt_first_target(s);
			for (unsigned int i = 0; i < t->nr_regions; i++) {
				const struct damon_snapshot_region *r = kt_region(s, t, i);
				double in = overlap(r->start, r->end, hot_start, hot_end);
				double out = overlap(r->start, r->end, base, base + TOTAL) - in;

				hot_acc += in * r->nr_accesses;
				hot_pass += in * s->nr_passes;
				cold_acc += out * r->nr_accesses;
				cold_pass += out * s->nr_passes;
			}
		}
	}
	if (hot_pass == 0 || cold_pass == 0)
		KT_FAIL("the regions of %d snapshots covered %.0f bytes of the hot area and %.0f of the rest",
			count, hot_pass, cold_pass);
	*hot = hot_acc / hot_pass;
	*cold = cold_acc / cold_pass;
}

/* The snapshots queued so far are of the phase before: drop them. */
static void drain(int fd, char *buf, size_t len, int count)
{
	for (int i = 0; i < count; i++)
		KT_SYS(read(fd, buf, len));
}

static void check_hot(const char *phase, double hot, double cold)
{
	printf("# %s: hot area %.1f%% of samples accessed, rest %.2f%%\n",
	       phase, 100 * hot, 100 * cold);
	if (hot < 0.5 || hot < 10 * cold)
		KT_FAIL("%s: the hot area is %.1f%% accessed and the rest %.2f%%: expected at least 50%% and ten times the rest",
			phase, 100 * hot, 100 * cold);
}

int main(void)
{
	double alone, alone_cold, with, with_cold, after, after_cold, khot, kcold;
	unsigned long long tried0, tried1;
	unsigned long base, hot_start;
	int has, fd;
	size_t len;
	pid_t child;
	char *buf;

	has = config_has_damon_sysfs();
	if (access(ADMIN, F_OK)) {
		if (has > 0)
			KT_FAIL("the kernel's config has CONFIG_DAMON_SYSFS=y but %s is missing",
				ADMIN);
		printf("SKIP: the running kernel has no DAMON sysfs interface (%s)\n",
		       has < 0 ? "and no config to tell why" :
		       "CONFIG_DAMON_SYSFS is not set");
		return 77;
	}

	fd = kt_open();
	child = kt_spawn_toucher(TOTAL, HOT_OFF, HOT_LEN, &base);
	hot_start = base + HOT_OFF;
	kt_set_attrs(fd, 5000, 100000, 10, 1000, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd);
	buf = malloc(len);
	KT_ASSERT(buf);

	KT_SYS(ioctl(fd, DAMON_IOC_START));
	drain(fd, buf, len, 3);	/* regions adapt first */
	measure(fd, buf, len, 15, base, &alone, &alone_cold);
	check_hot("ours alone", alone, alone_cold);

	kernel_damon_start(child);
	usleep(500000);
	check_kernel_damon_running();
	drain(fd, buf, len, 3);
	measure(fd, buf, len, 15, base, &with, &with_cold);
	check_hot("ours with the kernel's DAMON on the same process", with,
		  with_cold);
	check_kernel_damon_running();
	kernel_damon_view(hot_start, hot_start + HOT_LEN, base, &khot, &kcold);
	printf("# the kernel's DAMON: %.0f MiB of the 32 MiB hot area and %.0f MiB of the rest of the mapping in regions its scheme found accessed\n",
	       khot / (1 << 20), kcold / (1 << 20));
	kt_pass("with the kernel's DAMON running on the same process, ours still finds the hot area (%.1f%% accessed; %.1f%% alone)",
		100 * with, 100 * alone);

	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	tried0 = kernel_damon_tried();
	sleep(2);
	tried1 = kernel_damon_tried();
	check_kernel_damon_running();
	if (tried1 <= tried0)
		KT_FAIL("with our session stopped, the kernel's scheme tried no region in 2 s (nr_tried %llu, then %llu)",
			tried0, tried1);
	kt_pass("stopping our session leaves the kernel's DAMON on and applying its scheme (%llu regions tried in 2 s)",
		tried1 - tried0);

	KT_SYS(ioctl(fd, DAMON_IOC_START));
	kernel_damon_off();
	put("0", "%s", ADMIN "/kdamonds/nr_kdamonds");
	drain(fd, buf, len, 3);
	measure(fd, buf, len, 15, base, &after, &after_cold);
	check_hot("ours after the kernel's DAMON was turned off", after,
		  after_cold);
	kt_pass("turning the kernel's DAMON off leaves our session finding the hot area (%.1f%% accessed)",
		100 * after);
	printf("# interference: the hot area's accessed share went from %.1f%% alone to %.1f%% with the kernel's DAMON on the same process (%.0f%% of it), and back to %.1f%%\n",
	       100 * alone, 100 * with, 100 * with / alone, 100 * after);
	printf("# DAMON's sysfs files answered EBUSY %u times and were tried again\n",
	       kt_sysfs_busy);

	kt_kill(child);
	free(buf);
	close(fd);
	return 0;
}
