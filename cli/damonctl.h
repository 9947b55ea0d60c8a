/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_H
#define DAMONCTL_H

/* Exit codes, documented in damonctl(8). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_BADFILE = 3,	/* the file is not a record this damonctl reads */
	EXIT_NODEV = 4,		/* /dev/damon is missing or may not be opened */
};

struct subcommand {
	const char *name;
	const char *summary;
	int (*run)(int argc, const char **argv);
};

extern const char *progname;
/* "damonctl start" while a subcommand runs, for its messages. */
extern const char *command_name;

int cmd_start(int argc, const char **argv);
int cmd_stop(int argc, const char **argv);
int cmd_status(int argc, const char **argv);
int cmd_report(int argc, const char **argv);
int cmd_top(int argc, const char **argv);

/* "damonctl: ..." on stderr; the message is one sentence, no newline. */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
