/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_MSG_H
#define DAMONCTL_MSG_H

/*
 * Messages and exit codes, shared by damonctl, its library and the
 * programs built on it.  The program defines progname and command_name.
 */

/* Exit codes, documented in damonctl(8). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_BADFILE = 3,	/* the file is not a record this damonctl reads */
	EXIT_NODEV = 4,		/* /dev/damon is missing or may not be opened */
};

extern const char *progname;
/* "damonctl start" while a subcommand runs, for its messages. */
extern const char *command_name;

/* "damonctl: ..." on stderr; the message is one sentence, no newline. */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
