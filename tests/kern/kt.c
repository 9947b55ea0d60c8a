// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <unistd.h>

#include "kt.h"

void kt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	exit(1);
}

void kt_pass(const char *fmt, ...)
{
	va_list ap;

	fputs("ok - ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

int kt_open(void)
{
	return KT_SYS(open(DAMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC));
}

void kt_handshake(int fd, struct damon_handshake *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->size = sizeof(*hs);
	KT_SYS(ioctl(fd, DAMON_IOC_HANDSHAKE, hs));
}

void kt_set_attrs(int fd, unsigned long long sample_us,
		  unsigned long long aggr_us, unsigned int min_regions,
		  unsigned int max_regions, unsigned int depth,
		  unsigned int flags)
{
	struct damon_attrs a = {
		.size = sizeof(a),
		.flags = flags,
		.sample_us = sample_us,
		.aggr_us = aggr_us,
		.min_nr_regions = min_regions,
		.max_nr_regions = max_regions,
		.queue_depth = depth,
	};

	if (ioctl(fd, DAMON_IOC_SET_ATTRS, &a))
		KT_FAIL("SET_ATTRS: %s (field %u reason %u limit %llu)",
			strerror(errno), a.err_field, a.err_reason,
			(unsigned long long)a.err_limit);
}

void kt_set_targets(int fd, const pid_t *pids, unsigned int nr)
{
	struct damon_targets t = {
		.size = sizeof(t),
		.nr_pids = nr,
		.pids = (uintptr_t)pids,
	};

	if (ioctl(fd, DAMON_IOC_SET_TARGETS, &t))
		KT_FAIL("SET_TARGETS: %s (field %u reason %u index %u)",
			strerror(errno), t.err_field, t.err_reason,
			t.err_index);
}

void kt_status(int fd, struct damon_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	KT_SYS(ioctl(fd, DAMON_IOC_STATUS, st));
}

static int ready_fd = -1;

void kt_ready(void *addr)
{
	if (write(ready_fd, &addr, sizeof(addr)) != sizeof(addr))
		_exit(1);
	close(ready_fd);
}

pid_t kt_spawn(const char *name, void (*body)(void *arg), void *arg,
	       unsigned long *base)
{
	int fds[2];
	char *p;
	pid_t pid;

	KT_SYS(pipe(fds));
	pid = KT_SYS(fork());
	if (!pid) {
		/* Hold no session fd of the parent: tests count on close(). */
		close_range(3, fds[1] - 1, 0);
		close_range(fds[1] + 1, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ready_fd = fds[1];
		body(arg);
		_exit(1);
	}
	close(fds[1]);
	if (read(fds[0], &p, sizeof(p)) != sizeof(p))
		KT_FAIL("the %s child exited before its memory was ready", name);
	close(fds[0]);
	*base = (unsigned long)p;
	return pid;
}

struct toucher_args {
	size_t total, hot_off, hot_len;
};

static void toucher(void *arg)
{
	const struct toucher_args *a = arg;
	size_t pages = a->hot_len / 4096;
	unsigned long long x = 88172645463325252ULL;
	char *p;

	p = mmap(NULL, a->total, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return;
	kt_ready(p);
	for (;;) {
		/* xorshift: cheap, and no libc lock in the hot loop */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[a->hot_off + (x % pages) * 4096] += 1;
	}
}

pid_t kt_spawn_toucher(size_t total, size_t hot_off, size_t hot_len,
		       unsigned long *base)
{
	struct toucher_args a = { total, hot_off, hot_len };

	return kt_spawn("toucher", toucher, &a, base);
}

pid_t kt_spawn_sleeper(void)
{
	pid_t pid = KT_SYS(fork());

	if (!pid) {
		close_range(3, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

void kt_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

const struct damon_snapshot *kt_next_snapshot(const char *buf, size_t len,
					      size_t *off)
{
	const struct damon_snapshot *s;

	if (*off == len)
		return NULL;
	if (len - *off < sizeof(*s))
		KT_FAIL("truncated record header at %zu of %zu", *off, len);
	s = (const void *)(buf + *off);
	if (s->size < sizeof(*s) || s->size > len - *off)
		KT_FAIL("record size %u at %zu of %zu", s->size, *off, len);
	*off += s->size;
	return s;
}

const struct damon_snapshot_target *kt_first_target(const struct damon_snapshot *s)
{
	return s->nr_targets ? (const void *)((const char *)s + s->hdr_size) : NULL;
}

const struct damon_snapshot_target *kt_next_target(const struct damon_snapshot *s,
						   const struct damon_snapshot_target *t)
{
	const char *p = (const char *)t + s->target_size +
			(size_t)t->nr_regions * s->region_size;

	return p < (const char *)s + s->size ? (const void *)p : NULL;
}

const struct damon_snapshot_region *kt_region(const struct damon_snapshot *s,
					      const struct damon_snapshot_target *t,
					      unsigned int i)
{
	return (const void *)((const char *)t + s->target_size +
			      (size_t)i * s->region_size);
}

void kt_check_snapshot(const struct damon_snapshot *s)
{
	const struct damon_snapshot_target *t;
	size_t bytes = s->hdr_size;
	unsigned int n = 0, i;

	KT_ASSERT(s->type == DAMON_RECORD_SNAPSHOT);
	KT_ASSERT(s->version == DAMON_SNAPSHOT_VERSION);
	/*
	 * Ours, or the shorter one of modules before the TLB flush counts,
	 * so that a new test can be run against an old module
	 * (DAMON_MODULE, tests/vm/run-only) to see it fail for its reason.
	 */
	KT_ASSERT(s->hdr_size == sizeof(struct damon_snapshot) ||
		  s->hdr_size == offsetof(struct damon_snapshot, tlb_flushes));
	KT_ASSERT(s->target_size == sizeof(struct damon_snapshot_target));
	KT_ASSERT(s->region_size == sizeof(struct damon_snapshot_region));
	KT_ASSERT(s->end_ns >= s->start_ns);
	/* At most a pass or two more than a punctual thread would make. */
	if (s->nr_passes)
		KT_ASSERT(s->samples_done <= s->samples_due +
			  2 * ((s->samples_done + s->nr_passes - 1) / s->nr_passes));
	for (t = kt_first_target(s); t; t = kt_next_target(s, t)) {
		n++;
		bytes += s->target_size + (size_t)t->nr_regions * s->region_size;
		KT_ASSERT(bytes <= s->size);
		for (i = 0; i < t->nr_regions; i++) {
			const struct damon_snapshot_region *r = kt_region(s, t, i);

			if (r->start % 4096 || r->end % 4096 || r->start >= r->end)
				KT_FAIL("region %u [%llx, %llx) not aligned or empty",
					i, (unsigned long long)r->start,
					(unsigned long long)r->end);
			if (i && r->start < kt_region(s, t, i - 1)->end)
				KT_FAIL("region %u overlaps or is out of order", i);
			if (r->nr_accesses > s->nr_passes)
				KT_FAIL("region %u: %u accesses of %u passes", i,
					r->nr_accesses, s->nr_passes);
		}
	}
	KT_ASSERT(n == s->nr_targets);
	KT_ASSERT(bytes == s->size);
}

size_t kt_max_snapshot(int fd)
{
	struct damon_handshake hs;

	kt_handshake(fd, &hs);
	return hs.max_snapshot_size;
}

uint64_t kt_rnd(struct kt_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t kt_below(struct kt_rng *r, uint64_t n)
{
	return n ? kt_rnd(r) % n : 0;
}

unsigned int kt_sysfs_busy;

/* DAMON's sysfs files are busy while its kdamond looks for commands. */
#define SYSFS_TRIES	300	/* 10 ms apart: 3 s */

static ssize_t sysfs_io(const char *path, void *buf, size_t len, bool write)
{
	int fd = open(path, write ? O_WRONLY : O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	for (int tries = 1;; tries++) {
		n = write ? pwrite(fd, buf, len, 0) : pread(fd, buf, len, 0);
		if (n >= 0 || errno != EBUSY || tries == SYSFS_TRIES)
			break;
		kt_sysfs_busy++;
		usleep(10000);
	}
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

int kt_sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n = sysfs_io(path, (void *)val, len, true);

	return n < 0 ? (int)n : n == (ssize_t)len ? 0 : -EIO;
}

int kt_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n = sysfs_io(path, buf, len - 1, false);

	if (n <= 0)
		return n ? (int)n : -ENODATA;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int kt_count_kdamonds(void)
{
	char path[300], comm[64];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;

	if (!d)
		KT_FAIL("opendir /proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "damondev/", 9))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

struct areas_args {
	unsigned int nr;
	size_t size;
	unsigned long idle_mask;
};

static void areas_child(void *arg)
{
	const struct areas_args *a = arg;
	size_t pages = a->size / 4096;
	unsigned long long x = 88172645463325252ULL;
	unsigned int i, k;
	char *p;

	p = mmap(NULL, a->nr * a->size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return;
	kt_ready(p);
	for (;;) {
		for (i = 0; i < a->nr; i++) {
			if (a->idle_mask & (1UL << i))
				continue;
			for (k = 0; k < (i + 1) * (i + 1); k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				p[i * a->size + (x % pages) * 4096] += 1;
			}
		}
	}
}

pid_t kt_spawn_areas(unsigned int nr, size_t size, unsigned long idle_mask,
		     unsigned long *base)
{
	struct areas_args a = { nr, size, idle_mask };

	return kt_spawn("areas", areas_child, &a, base);
}

const struct damon_snapshot *kt_read_one(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n = KT_SYS(read(fd, buf, len));
	const struct damon_snapshot *s;

	if (!n)
		KT_FAIL("unexpected end of monitoring");
	s = kt_next_snapshot(buf, n, &off);
	kt_check_snapshot(s);
	return s;
}
