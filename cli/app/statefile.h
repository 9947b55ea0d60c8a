/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_STATEFILE_H
#define DAMONCTL_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * State files of background recordings: <dir>/<recorder pid>.state, where
 * <dir> is $XDG_RUNTIME_DIR/damonctl, else /tmp/damonctl-<uid>.  The
 * recorder holds an flock() on its state file for as long as it runs, so
 * "the lock is free" means "the recorder is gone", whatever happened to
 * it, and a recycled pid cannot be mistaken for it.
 */

struct bg_state {
	pid_t pid;		/* of the recorder: the recording's id */
	char *output;		/* absolute path of the record file */
	char *targets;		/* what is recorded, for people */
	int64_t started;	/* seconds since the epoch */
};

/* Returns 0, or -1 after printing why the directory is unusable. */
int state_dir(char *buf, size_t len, bool create);
/* Writes and locks the state file; *lock_fd must stay open while recording. */
int state_publish(const struct bg_state *st, int *lock_fd);
void state_unpublish(pid_t pid, int lock_fd);
/* The pids of all state files, sorted; 0 or -1 (printed). */
int state_list(pid_t **pids, size_t *n);
/* Opens and parses a state file; 0, -1 (printed) or -ENOENT (gone). */
int state_open(pid_t pid, struct bg_state *st, int *fd);
/* True if a recorder still holds the lock on fd; if not, fd now holds it. */
bool state_is_live(int fd);
void state_remove(pid_t pid);
void bg_state_free(struct bg_state *st);

#endif
