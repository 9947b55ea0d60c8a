/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_FOLLOW_H
#define DAMONCTL_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "maps.h"
#include "targetset.h"

/*
 * A recording whose targets come and go (start --cgroup,
 * --follow-children): once per regions update interval the groups are
 * scanned again, the session's targets set to what they hold now (online
 * SET_TARGETS) and each arrival, departure and refusal written to the
 * record file.  One session holds at most max_targets processes: beyond
 * that the lowest pids are kept, and a warning says so once.
 */
struct follow {
	struct tgroup *groups;
	size_t ng;
	int32_t *pids;		/* the session's targets, sorted */
	uint64_t *starts;	/* their start times */
	char (*comms)[17];	/* their names, as last written to the file */
	uint32_t n;
	struct tproc *refused;	/* refused by the module while they live */
	size_t nrefused;
	uint32_t max;		/* the module's max_targets */
	bool warned_cap, warn;
	uint64_t interval_ns, next_ns;
	uint64_t arrivals, departures;
};

/*
 * Sets the session's first targets from the groups: 0 and f->pids/f->n,
 * or EXIT_FAIL after a sentence (no process in them, none permitted).
 */
int follow_start(struct follow *f, struct damon_device *dev);
/*
 * If the interval has passed: rescan, set the targets, write the events
 * to fd and point the maps watch at the new targets.  0, or -1 if
 * writing the file failed (errno set).
 */
int follow_poll(struct follow *f, struct damon_device *dev, int fd,
		struct maps_watch *mw, uint64_t now_ns);
void follow_free(struct follow *f);

#endif
