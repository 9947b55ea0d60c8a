/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_OUTFILE_H
#define DAMONCTL_OUTFILE_H

#include <stdbool.h>

/*
 * The record file being written.  It is opened before anything else, so
 * that "already exists" comes before any question to the module, and it is
 * only emptied (--force) or kept once recording has started.
 */
struct outfile {
	int fd;
	const char *path;
	bool created;		/* by us: removed if recording never starts */
	bool existed;		/* --force: emptied once recording starts */
};

/* 0 or EXIT_FAIL (printed). */
int outfile_open(struct outfile *out, const char *path, bool force);
/* Recording has started: the old content of a --force'd file goes. */
int outfile_commit(struct outfile *out);
/* Recording never started: close, and remove the file if we made it. */
void outfile_discard(struct outfile *out);

#endif
