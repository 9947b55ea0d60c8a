/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_BACKGROUND_H
#define DAMONCTL_BACKGROUND_H

#include <sys/types.h>

/*
 * start --background: the recorder forks into its own session, and the
 * process that ran "start" waits until the recorder says monitoring runs,
 * or dies trying, so errors still reach the terminal and the exit status
 * of "start --background" means something.
 */

/*
 * Returns in both processes: in the recorder with *recorder == 0 and
 * *notify_fd to hand to background_ready(); in the parent with the
 * recorder's pid, once it is ready (0) or has failed (its exit status).
 */
int background_detach(int *notify_fd, pid_t *recorder);
/*
 * In the recorder, once monitoring runs: publishes the state file (whose
 * lock *lock_fd must stay open while recording), prints the ID, releases
 * the parent and leaves the terminal.  Closes *notify_fd.
 */
int background_ready(const char *output, const char *targets, int *notify_fd,
		     int *lock_fd);

/* In the recorder, when all is done: removes the state file and lets go of
 * the lock, which tells "stop" that the record file is complete. */
void background_done(int lock_fd);

#endif
