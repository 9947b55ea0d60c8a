// SPDX-License-Identifier: GPL-2.0
/*
 * Messages for people.  Every error is a single line that says what went
 * wrong and, where there is one, what to do about it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", progname, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}
