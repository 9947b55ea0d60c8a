/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough TAP for the CLI's C tests: every ok() is one test point,
 * and done() prints the plan and gives the exit status.
 */
#ifndef CLI_TAP_H
#define CLI_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_points, tap_failed;

static inline int ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_points);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

static inline void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline int done(void)
{
	printf("1..%d\n", tap_points);
	return tap_failed ? 1 : 0;
}

#endif
