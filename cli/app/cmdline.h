/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_CMDLINE_H
#define DAMONCTL_CMDLINE_H

#include <popt.h>

/* Every subcommand's --help/-h; popt's own autohelp would exit() early. */
#define CMDLINE_HELP \
	{ "help", 'h', POPT_ARG_NONE, NULL, 'h', "show this help and exit", NULL }

/*
 * A popt context for a subcommand.  main() has set argv[0] to
 * "damonctl CMD", so popt's help says "Usage: damonctl CMD ...".
 */
poptContext cmdline_context(int argc, const char **argv,
			    const struct poptOption *options,
			    const char *args_help, unsigned int flags);
/*
 * String options are declared with arg NULL and a val, and stored with
 * this: popt would otherwise leak the value of an option given twice.
 * The last one wins.
 */
void cmdline_keep(char **slot, char *arg);
/* A repeatable option's values: appends a copy of arg; 0, or EXIT_FAIL
 * after saying so. */
int cmdline_append(char ***list, size_t *n, const char *arg);
void cmdline_list_free(char **list, size_t n);
/* For a negative poptGetNextOpt(): prints the problem, returns EXIT_USAGE. */
int cmdline_bad_option(poptContext ctx, int rc);
/* A usage error: the sentence, then where to get help; EXIT_USAGE. */
int cmdline_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct scheme;
/* --scheme ARG appended to v[0..*n): 0, or EXIT_USAGE after the sentence. */
int cmdline_scheme(struct scheme **v, size_t *n, const char *arg);

#endif
