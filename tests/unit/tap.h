/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny TAP (version 13) producer for the unit tests.
 *
 * A test point is a group of CHECK()s closed by tap_point("description"):
 * it is "ok" if none of its checks failed.  tap_done() prints the plan and
 * returns the exit status (non-zero if any point failed).
 */
#ifndef DAMONDEV_TAP_H
#define DAMONDEV_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_nr_points, tap_nr_failed, tap_point_failed;

static inline void tap_start(void)
{
	printf("TAP version 13\n");
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline void tap_check_failed(const char *file, int line,
				    const char *what)
{
	tap_point_failed = 1;
	tap_diag("%s:%d: check failed: %s", file, line, what);
}

/* Record a failure of the current point if cond is false; evaluates to it. */
#define CHECK(cond) \
	((cond) ? 1 : (tap_check_failed(__FILE__, __LINE__, #cond), 0))

/* Like CHECK() for two integers, printing both. */
#define CHECK_EQ(a, b) do { \
	unsigned long long a_ = (unsigned long long)(a); \
	unsigned long long b_ = (unsigned long long)(b); \
	if (a_ != b_) { \
		tap_check_failed(__FILE__, __LINE__, #a " == " #b); \
		tap_diag("  left 0x%llx (%llu), right 0x%llx (%llu)", \
			 a_, a_, b_, b_); \
	} \
} while (0)

static inline int tap_point(const char *fmt, ...)
{
	int failed = tap_point_failed;
	va_list ap;

	tap_nr_points++;
	printf("%sok %d - ", failed ? "not " : "", tap_nr_points);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tap_nr_failed += failed;
	tap_point_failed = 0;
	return !failed;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_nr_points);
	if (tap_nr_failed)
		tap_diag("%d of %d test points failed", tap_nr_failed,
			 tap_nr_points);
	return tap_nr_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* DAMONDEV_TAP_H */
