/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_H
#define DAMONCTL_H

#include "msg.h"

struct subcommand {
	const char *name;
	const char *summary;
	int (*run)(int argc, const char **argv);
};

int cmd_start(int argc, const char **argv);
int cmd_stop(int argc, const char **argv);
int cmd_status(int argc, const char **argv);
int cmd_report(int argc, const char **argv);
int cmd_top(int argc, const char **argv);
int cmd_exporter(int argc, const char **argv);

#endif
