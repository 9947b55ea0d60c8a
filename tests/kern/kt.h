/* SPDX-License-Identifier: GPL-2.0 */
/* Tiny helpers shared by the in-VM test programs. */
#ifndef KT_H
#define KT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "damondev.h"

void kt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* Fail the test (exit 1) with a message and the source position. */
#define KT_FAIL(...) kt_fail(__FILE__, __LINE__, __VA_ARGS__)
#define KT_ASSERT(cond) \
	do { if (!(cond)) KT_FAIL("assertion failed: %s", #cond); } while (0)
/* Assert that a call failed with a given errno. */
#define KT_ERRNO(call, err) \
	do { \
		errno = 0; \
		long kt_r_ = (long)(call); \
		if (kt_r_ != -1 || errno != (err)) \
			KT_FAIL("%s returned %ld errno %d (%s), expected %s", \
				#call, kt_r_, errno, strerror(errno), #err); \
	} while (0)
/* Assert that a call returning -1/errno succeeded. */
#define KT_SYS(call) \
	({ \
		errno = 0; \
		long kt_r_ = (long)(call); \
		if (kt_r_ == -1) \
			KT_FAIL("%s: %s", #call, strerror(errno)); \
		kt_r_; \
	})

void kt_pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kt_open(void);

/* Session helpers: fail the test on any error. */
void kt_handshake(int fd, struct damon_handshake *hs);
void kt_set_attrs(int fd, unsigned long long sample_us,
		  unsigned long long aggr_us, unsigned int min_regions,
		  unsigned int max_regions, unsigned int depth,
		  unsigned int flags);
void kt_set_targets(int fd, const pid_t *pids, unsigned int nr);
void kt_status(int fd, struct damon_status *st);

/*
 * A child that runs @body(@arg), holding none of the test's file
 * descriptors and killed when the test exits.  @body sets up its memory,
 * calls kt_ready() with the address the test should know, then works until
 * killed (returning means it failed).  Returns once kt_ready() was called;
 * *base gets that address.  @name says which child failed.
 */
pid_t kt_spawn(const char *name, void (*body)(void *arg), void *arg,
	       unsigned long *base);
/* In a kt_spawn() child: hand @addr to the test. */
void kt_ready(void *addr);

/*
 * A child that maps @total bytes (populated), then writes random pages of
 * [hot_off, hot_off + hot_len) until killed.  Returns once the mapping is
 * populated; *base gets the mapping's address in the child.
 */
pid_t kt_spawn_toucher(size_t total, size_t hot_off, size_t hot_len,
		       unsigned long *base);
/* A child that sleeps until killed. */
pid_t kt_spawn_sleeper(void);
void kt_kill(pid_t pid);

/* Walk the records in a read() buffer; fails the test on a malformed one. */
const struct damon_snapshot *kt_next_snapshot(const char *buf, size_t len,
					      size_t *off);
const struct damon_snapshot_target *kt_first_target(const struct damon_snapshot *s);
const struct damon_snapshot_target *kt_next_target(const struct damon_snapshot *s,
						   const struct damon_snapshot_target *t);
const struct damon_snapshot_region *kt_region(const struct damon_snapshot *s,
					      const struct damon_snapshot_target *t,
					      unsigned int i);
/* Check a snapshot's invariants (sizes, sorted aligned regions, counts). */
void kt_check_snapshot(const struct damon_snapshot *s);
/* A buffer large enough for any snapshot of the session. */
size_t kt_max_snapshot(int fd);
/* A seedable PRNG (splitmix64: one word of state) for the random tests. */
struct kt_rng {
	uint64_t s;
};
uint64_t kt_rnd(struct kt_rng *r);
/* A number in [0, n), 0 if n is 0. */
uint64_t kt_below(struct kt_rng *r, uint64_t n);
/*
 * Write @val to, or read the first line (without its newline) of, the
 * sysfs file @path.  A file that answers EBUSY (DAMON's, while its lock is
 * held) is tried again every 10 ms for up to 3 s; kt_sysfs_busy counts
 * those tries.  Return 0 or -errno (-ENODATA: the file was empty).
 */
int kt_sysfs_write(const char *path, const char *val);
int kt_sysfs_read(const char *path, char *buf, size_t len);
extern unsigned int kt_sysfs_busy;
/* Number of kernel threads named damondev/... (sessions' kdamonds). */
int kt_count_kdamonds(void);
#endif

/*
 * A child with @nr adjacent areas of @size bytes in one populated mapping;
 * area i gets (i + 1) * (i + 1) page writes per round, so every area has
 * its own access frequency; areas in @idle_mask are never touched.
 */
pid_t kt_spawn_areas(unsigned int nr, size_t size, unsigned long idle_mask,
		     unsigned long *base);
/* Read one snapshot (blocking) into @buf of @len; fails on EOF. */
const struct damon_snapshot *kt_read_one(int fd, char *buf, size_t len);
