// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl: drive /dev/damon and read what it recorded.  Each subcommand
 * lives in its own cmd-*.c file; this file only dispatches.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "damonctl.h"

const char *progname = "damonctl";
const char *command_name = "damonctl";

static const struct subcommand subcommands[] = {
	{ "start", "record the data accesses of processes to a file", cmd_start },
	{ "stop", "stop recordings running in the background", cmd_stop },
	{ "status", "list your recordings running in the background", cmd_status },
	{ "report", "show what a record file holds", cmd_report },
	{ "top", "watch a process's memory live", cmd_top },
	{ "exporter", "serve the memory of cgroups as Prometheus metrics",
	  cmd_exporter },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: %s COMMAND [OPTIONS]\n"
		"       %s --help | --version\n\nCommands:\n",
		progname, progname);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(out, "\nRun '%s COMMAND --help' for a command's options, and "
		"see damonctl(8).\n", progname);
}

int main(int argc, const char **argv)
{
	static char invocation[64];
	size_t i;

	/* Text in the user's charset, numbers always with a '.': JSON and
	 * scripts need "1.5", not "1,5". */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s %s\n", progname, DAMONCTL_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name)) {
			snprintf(invocation, sizeof(invocation), "%s %s",
				 progname, subcommands[i].name);
			command_name = invocation;
			argv[1] = invocation;
			return subcommands[i].run(argc - 1, argv + 1);
		}
	fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
