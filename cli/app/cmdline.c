// SPDX-License-Identifier: GPL-2.0
/*
 * Shared popt plumbing for the subcommands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmdline.h"
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
