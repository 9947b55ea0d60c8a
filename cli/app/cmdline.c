// SPDX-License-Identifier: GPL-2.0
/*
 * Shared popt plumbing for the subcommands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "scheme.h"
#include "damonctl.h"

poptContext cmdline_context(int argc, const char **argv,
			    const struct poptOption *options,
			    const char *args_help, unsigned int flags)
{
	poptContext ctx = poptGetContext(argv[0], argc, argv, options, flags);

	if (ctx && args_help)
		poptSetOtherOptionHelp(ctx, args_help);
	return ctx;
}

void cmdline_keep(char **slot, char *arg)
{
	free(*slot);
	*slot = arg;
}

int cmdline_bad_option(poptContext ctx, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", command_name,
		poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
	fprintf(stderr, "Run '%s --help' for the options.\n", command_name);
	return EXIT_USAGE;
}

int cmdline_append(char ***list, size_t *n, const char *arg)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (grown)
		*list = grown;
	if (!grown || !(grown[*n] = strdup(arg))) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	(*n)++;
	return 0;
}

void cmdline_list_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int cmdline_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", command_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun '%s --help' for the options.\n", command_name);
	return EXIT_USAGE;
}

int cmdline_scheme(struct scheme **v, size_t *n, const char *arg)
{
	char err[512];

	if (scheme_list_add(v, n, arg, err, sizeof(err)))
		return cmdline_usage("%s", err);
	return 0;
}
