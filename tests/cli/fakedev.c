// SPDX-License-Identifier: GPL-2.0
/*
 * fakedev.so: a stand-in for /dev/damon, LD_PRELOADed into damonctl so that
 * the recorder (poll/read loop, signals, --background, stop, kill -9) can
 * be tested on a host without the module.  It is not a model of the
 * kernel's monitoring: it only speaks the same interface.
 *
 * open() of $FAKEDEV_PATH gives the read end of a pipe; a thread writes a
 * byte per aggregation interval, so poll() works unchanged, and read()
 * turns the bytes into snapshot records.  Closing the write end is the
 * end of the session: poll() reports POLLHUP and read() returns 0.
 *
 * Knobs (environment):
 *   FAKEDEV_PATH            the path to fake (DAMON_DEVICE points there)
 *   FAKEDEV_SNAPSHOTS=N     the targets "exit" after N snapshots (else
 *                           when they are all gone, zombies included)
 *   FAKEDEV_EPERM_PID=PID   SET_TARGETS refuses PID with EPERM
 *   FAKEDEV_NO_TLB_FLUSH=1  the handshake lacks DAMON_FEAT_TLB_FLUSH
 *   FAKEDEV_NO_AUTOTUNE=1   the handshake lacks DAMON_FEAT_AUTOTUNE
 *   FAKEDEV_TINY_BUFFER=1   max_snapshot_size is too small, so read()
 *                           fails with EINVAL until the reader grows
 *
 * For the durability tests, which kill the recorder at random moments:
 *   FAKEDEV_SEED=N          seeds the random choices below (default 1)
 *   FAKEDEV_BATCH=N         read() hands out a random 1 to N of the queued
 *                           snapshots, not as many as fit
 *   FAKEDEV_LOG=FILE        each read() that hands out snapshots appends
 *                           "read FIRST COUNT" (sequence numbers) to FILE
 *                           just before it returns
 *   FAKEDEV_SLOW_FILE=PATH  write()s to the file opened by that path go
 *                           out in pieces: each call sleeps
 *                           FAKEDEV_WRITE_DELAY_US (default 300), writes a
 *                           random 1 to FAKEDEV_WRITE_CHUNK bytes (default
 *                           64) and returns that short count, as a write
 *                           cut short by the kernel does; so a kill lands
 *                           inside a record often, not only between them
 *   FAKEDEV_SLOW_AFTER_STOP=1  only once the session is told to stop: the
 *                           end record is written slowly, not the rest
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "damondev.h"

#define MAX_PIDS 16
#define NR_REGIONS 3

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t ticker;
static bool ticking;
static int fake_fd = -1, wake_fd = -1;
static struct damon_attrs attrs = {
	.sample_us = 5000, .aggr_us = 100000, .update_us = 1000000,
	.min_nr_regions = 10, .max_nr_regions = 1000, .queue_depth = 16,
};
static int32_t pids[MAX_PIDS];
static uint32_t nr_pids;
static uint64_t produced, queued, next_seq, limit;
static uint32_t state = DAMON_STATE_IDLE, end_reason;
/* The durability knobs: the slow file's fd, and the log's. */
static int slow_fd = -1, log_fd = -1;
static uint64_t read_rng, write_rng;
static bool stop_requested;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static size_t snapshot_size(void)
{
	return sizeof(struct damon_snapshot) + nr_pids *
		(sizeof(struct damon_snapshot_target) +
		 NR_REGIONS * sizeof(struct damon_snapshot_region));
}

/* Called with the lock held. */
static void end_session(uint32_t reason)
{
	if (state != DAMON_STATE_RUNNING)
		return;
	state = DAMON_STATE_ENDED;
	end_reason = reason;
	close(wake_fd);
	wake_fd = -1;
}

static bool process_exists(int32_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Like the module: the session ends when every target is gone. */
static bool targets_gone(void)
{
	uint32_t i;

	for (i = 0; i < nr_pids; i++)
		if (process_exists(pids[i]))
			return false;
	return true;
}

static void *tick(void *unused)
{
	(void)unused;
	for (;;) {
		struct timespec ts = {
			.tv_sec = attrs.aggr_us / 1000000,
			.tv_nsec = (attrs.aggr_us % 1000000) * 1000,
		};

		nanosleep(&ts, NULL);
		pthread_mutex_lock(&lock);
		if (state != DAMON_STATE_RUNNING) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		produced++;
		queued++;
		(void)!write(wake_fd, "s", 1);
		if ((limit && produced >= limit) || targets_gone())
			end_session(DAMON_END_TARGETS_EXITED);
		pthread_mutex_unlock(&lock);
	}
}

static uint64_t env_number(const char *name, uint64_t dflt);

static void build_snapshot(unsigned char *p, uint64_t seq)
{
	struct damon_snapshot s = {
		.size = (uint32_t)snapshot_size(),
		.type = DAMON_RECORD_SNAPSHOT,
		.version = DAMON_SNAPSHOT_VERSION,
		.hdr_size = sizeof(s),
		.target_size = sizeof(struct damon_snapshot_target),
		.region_size = sizeof(struct damon_snapshot_region),
		.seq = seq,
		.end_ns = now_ns(),
		.nr_targets = nr_pids,
		.sample_us = attrs.sample_us,
		.aggr_us = attrs.aggr_us,
		.nr_passes = (uint32_t)(attrs.aggr_us / attrs.sample_us),
	};
	uint32_t i, j;

	s.start_ns = s.end_ns - attrs.aggr_us * 1000;
	/* The cost figures: 1% of a CPU, FAKEDEV_SAMPLES_PERCENT (default
	 * 100) of the samples due, and FAKEDEV_DROP_AT=SEQ makes that
	 * snapshot follow two dropped ones (its seq says so too). */
	s.cpu_ns = attrs.aggr_us * 10;
	s.samples_due = (uint64_t)s.nr_passes * NR_REGIONS * nr_pids;
	s.samples_done = s.samples_due *
		env_number("FAKEDEV_SAMPLES_PERCENT", 100) / 100;
	if (getenv("FAKEDEV_DROP_AT") &&
	    seq >= env_number("FAKEDEV_DROP_AT", 0)) {
		s.seq += 2;
		if (seq == env_number("FAKEDEV_DROP_AT", 0))
			s.dropped = 2;
	}
	memcpy(p, &s, sizeof(s));
	p += sizeof(s);
	for (i = 0; i < nr_pids; i++) {
		struct damon_snapshot_target t = {
			.pid = pids[i], .nr_regions = NR_REGIONS,
		};

		memcpy(p, &t, sizeof(t));
		p += sizeof(t);
		for (j = 0; j < NR_REGIONS; j++) {
			struct damon_snapshot_region r = {
				.start = 0x7f0000000000ULL + j * 0x100000,
				.end = 0x7f0000000000ULL + (j + 1) * 0x100000,
				.nr_accesses = (uint32_t)((seq + j) % (s.nr_passes + 1)),
				.age = (uint32_t)seq,
			};

			memcpy(p, &r, sizeof(r));
			p += sizeof(r);
		}
	}
}

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static int (*real_open)(const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);

/* xorshift64*: the same FAKEDEV_SEED, the same choices. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1DULL;
}

/* 1 to max, evenly. */
static uint64_t random_upto(uint64_t *x, uint64_t max)
{
	return max > 1 ? 1 + next_random(x) % max : 1;
}

static uint64_t env_number(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 10) : dflt;
}

__attribute__((constructor)) static void init(void)
{
	uint64_t seed;

	real_read = dlsym(RTLD_NEXT, "read");
	real_write = dlsym(RTLD_NEXT, "write");
	real_close = dlsym(RTLD_NEXT, "close");
	real_open = dlsym(RTLD_NEXT, "open");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	/* Two streams, so that the ticker's timing does not change which
	 * sizes the writes get. */
	seed = env_number("FAKEDEV_SEED", 1);
	read_rng = seed * 2 + 1;
	write_rng = (seed ^ 0x5DEECE66DULL) * 2 + 1;
	next_random(&read_rng);
	next_random(&write_rng);
}

/* "read FIRST COUNT": what the recorder has been handed, for the test to
 * compare with the file.  One small write(), so a kill leaves whole lines. */
static void log_read(uint64_t first, size_t count)
{
	const char *path = getenv("FAKEDEV_LOG");
	char line[64];
	int len;

	if (!path)
		return;
	if (log_fd < 0)
		log_fd = real_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
				   0600);
	len = snprintf(line, sizeof(line), "read %llu %zu\n",
		       (unsigned long long)first, count);
	if (log_fd >= 0)
		(void)!real_write(log_fd, line, (size_t)len);
}

static ssize_t fake_read(void *buf, size_t len)
{
	size_t size = snapshot_size(), n = 0, most;
	char drain[64];
	uint64_t first;
	ssize_t ret;

	pthread_mutex_lock(&lock);
	if (!queued) {
		ret = state == DAMON_STATE_ENDED ? 0 : -1;
		pthread_mutex_unlock(&lock);
		if (ret)
			errno = EAGAIN;
		return ret;
	}
	if (len < size) {
		pthread_mutex_unlock(&lock);
		errno = EINVAL;
		return -1;
	}
	most = sizeof(drain);
	if (getenv("FAKEDEV_BATCH"))
		most = (size_t)random_upto(&read_rng, env_number("FAKEDEV_BATCH", 1));
	if (most > sizeof(drain))
		most = sizeof(drain);
	first = next_seq;
	while (queued && len - n * size >= size && n < most) {
		build_snapshot((unsigned char *)buf + n * size, next_seq++);
		queued--;
		n++;
	}
	/* One wake-up byte per snapshot handed out keeps poll() honest. */
	(void)!real_read(fake_fd, drain, n);
	log_read(first, n);
	pthread_mutex_unlock(&lock);
	return (ssize_t)(n * size);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int set_attrs(struct damon_attrs *a)
{
	if (a->aggr_us && a->sample_us && a->aggr_us < a->sample_us) {
		a->err_field = DAMON_FIELD_AGGR_US;
		a->err_reason = DAMON_ERR_TOO_SMALL;
		a->err_limit = a->sample_us;
		a->err_other = DAMON_FIELD_SAMPLE_US;
		return fail(EINVAL);
	}
	if (a->flags & ~DAMON_ATTR_ALL) {
		a->err_field = DAMON_FIELD_FLAGS;
		a->err_reason = DAMON_ERR_UNKNOWN_BITS;
		return fail(EINVAL);
	}
	attrs = *a;
	return 0;
}

static int set_targets(struct damon_targets *t)
{
	const int32_t *p = (const int32_t *)(uintptr_t)t->pids;
	const char *eperm = getenv("FAKEDEV_EPERM_PID");
	uint32_t i;

	if (!t->nr_pids || t->nr_pids > MAX_PIDS) {
		t->err_field = DAMON_FIELD_NR_PIDS;
		t->err_reason = t->nr_pids ? DAMON_ERR_TOO_LARGE : DAMON_ERR_TOO_SMALL;
		t->err_limit = t->nr_pids ? MAX_PIDS : 1;
		return fail(EINVAL);
	}
	for (i = 0; i < t->nr_pids; i++) {
		t->err_index = i;
		t->err_field = DAMON_FIELD_PIDS;
		if (!process_exists(p[i])) {
			t->err_reason = DAMON_ERR_NO_SUCH_PROCESS;
			return fail(ESRCH);
		}
		if (eperm && atoi(eperm) == p[i]) {
			t->err_reason = DAMON_ERR_NOT_PERMITTED;
			return fail(EPERM);
		}
	}
	t->err_field = 0;
	memcpy(pids, p, t->nr_pids * sizeof(*pids));
	nr_pids = t->nr_pids;
	return 0;
}

static void handshake(struct damon_handshake *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->size = sizeof(*hs);
	hs->api_version = DAMON_API_VERSION;
	hs->features = DAMON_FEAT_THP | DAMON_FEAT_ONLINE;
	if (!getenv("FAKEDEV_NO_TLB_FLUSH"))
		hs->features |= DAMON_FEAT_TLB_FLUSH;
	if (!getenv("FAKEDEV_NO_AUTOTUNE"))
		hs->features |= DAMON_FEAT_AUTOTUNE;
	hs->max_targets = MAX_PIDS;
	hs->max_nr_regions = 10000;
	hs->min_queue_depth = 2;
	hs->max_queue_depth = 1024;
	hs->min_sample_us = 100;
	hs->max_sample_us = 1000000;
	hs->max_interval_us = 60000000;
	hs->max_snapshot_size = getenv("FAKEDEV_TINY_BUFFER") ? 64 :
		snapshot_size();
	hs->max_session_memory = 64 << 20;
}

static int start(void)
{
	const char *n = getenv("FAKEDEV_SNAPSHOTS");
	int p[2];

	if (state == DAMON_STATE_RUNNING)
		return fail(EBUSY);
	if (!nr_pids)
		return fail(EINVAL);
	/* The pipe's read end becomes the session's fd: same number. */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -1;
	dup3(p[0], fake_fd, O_CLOEXEC);
	real_close(p[0]);
	wake_fd = p[1];
	limit = n ? strtoull(n, NULL, 10) : 0;
	produced = queued = next_seq = 0;
	state = DAMON_STATE_RUNNING;
	ticking = true;
	return pthread_create(&ticker, NULL, tick, NULL) ? fail(EAGAIN) : 0;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	int ret = 0;

	pthread_mutex_lock(&lock);
	switch (req) {
	case DAMON_IOC_HANDSHAKE:
		handshake(arg);
		break;
	case DAMON_IOC_SET_ATTRS:
		ret = state == DAMON_STATE_RUNNING ? fail(EBUSY) : set_attrs(arg);
		break;
	case DAMON_IOC_SET_TARGETS:
		/* Online, as DAMON_FEAT_ONLINE promises. */
		ret = set_targets(arg);
		break;
	case DAMON_IOC_START:
		ret = start();
		break;
	case DAMON_IOC_STOP:
		stop_requested = true;
		end_session(DAMON_END_STOPPED);
		break;
	case DAMON_IOC_STATUS: {
		struct damon_status *st = arg;

		st->state = state;
		st->end_reason = end_reason;
		st->nr_targets = nr_pids;
		st->snapshots = produced;
		st->queued = queued;
		st->cpu_ns = produced * 1000;
		break;
	}
	default:
		ret = fail(ENOTTY);
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

/* ---- the intercepted calls ---- */

int open(const char *path, int flags, ...)
{
	const char *fake = getenv("FAKEDEV_PATH");
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!fake || strcmp(path, fake)) {
		const char *slow = getenv("FAKEDEV_SLOW_FILE");
		int fd = real_open(path, flags, mode);

		if (fd >= 0 && slow && !strcmp(path, slow))
			slow_fd = fd;
		return fd;
	}
	if (fake_fd >= 0)
		return fail(EBUSY);	/* one session is enough for the tests */
	/* Until START, the session's fd is /dev/null: never readable. */
	fake_fd = real_open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fake_fd;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == fake_fd)
		return fake_ioctl(req, arg);
	return real_ioctl(fd, req, arg);
}

ssize_t read(int fd, void *buf, size_t len)
{
	if (fd >= 0 && fd == fake_fd)
		return fake_read(buf, len);
	return real_read(fd, buf, len);
}

/* FAKEDEV_SLOW_FILE: a piece at a time, with a pause before each. */
static ssize_t slow_write(int fd, const void *buf, size_t len)
{
	uint64_t delay_us = env_number("FAKEDEV_WRITE_DELAY_US", 300);
	size_t piece = (size_t)random_upto(&write_rng,
					   env_number("FAKEDEV_WRITE_CHUNK", 64));
	struct timespec ts = {
		.tv_sec = (time_t)(delay_us / 1000000),
		.tv_nsec = (long)(delay_us % 1000000) * 1000,
	};

	if (!len || (getenv("FAKEDEV_SLOW_AFTER_STOP") && !stop_requested))
		return real_write(fd, buf, len);
	nanosleep(&ts, NULL);
	return real_write(fd, buf, piece < len ? piece : len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	if (fd >= 0 && fd == slow_fd)
		return slow_write(fd, buf, len);
	return real_write(fd, buf, len);
}

int close(int fd)
{
	if (fd >= 0 && fd == slow_fd)
		slow_fd = -1;
	if (fd >= 0 && fd == fake_fd) {
		pthread_mutex_lock(&lock);
		end_session(DAMON_END_STOPPED);
		fake_fd = -1;
		pthread_mutex_unlock(&lock);
		if (ticking)
			pthread_join(ticker, NULL);
		ticking = false;
	}
	return real_close(fd);
}
