/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_RECORDER_H
#define DAMONCTL_RECORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runner.h"
#include "cost.h"
#include "device.h"
#include "follow.h"
#include "maps.h"
#include "record.h"

/* A running session being copied into a record file. */
struct recording {
	struct damon_device dev;
	int out_fd;
	const char *out_path;
	int sig_fd;		/* signalfd: SIGINT, SIGTERM, SIGHUP, SIGCHLD */
	pid_t command_pid;	/* the COMMAND's pid, 0 if none */
	uint64_t duration_ns;	/* 0: until the targets exit or a signal */
	uint64_t start_monotonic_ns;
	struct damonrec_end end;	/* filled as the recording goes */
	struct maps_watch maps;	/* the targets' /proc/PID/maps into the file */
	struct follow *follow;	/* targets that come and go, or NULL */
	struct actor_runner *runner;	/* --scheme: acts on the snapshots,
					   in a thread; or NULL */
	struct mon_cost cost;	/* what monitoring cost, so far */
	struct cost_watch watch;
	bool warn;		/* print start's warnings (not in the background) */
};

/* How long the module may take to end the session after DAMON_IOC_STOP. */
#define RECORDER_DRAIN_TIMEOUT_MS 10000

/*
 * poll()+read() until read() returns 0, appending what it reads to the
 * file; a signal, the --duration or the COMMAND's exit makes it stop the
 * session and drain it.  Then writes the end record.  Returns 0 or an
 * EXIT_* code (printed).
 */
int recorder_run(struct recording *rec);

#endif
