/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_LAUNCH_H
#define DAMONCTL_LAUNCH_H

#include <signal.h>
#include <sys/types.h>

/*
 * Running the COMMAND of "damonctl start -- COMMAND": the child exists
 * (so its pid can be a target) but waits to exec until monitoring has
 * started, so the recording sees it from its first instruction.
 */
struct launch {
	pid_t pid;
	int go_fd;	/* write a byte: exec now; close: give up */
	int err_fd;	/* the child's errno if exec failed; EOF if it worked */
};

/* sigmask: the mask the COMMAND should run with (damonctl blocks some). */
int launch_prepare(struct launch *l, const char *const *argv,
		   const sigset_t *sigmask);
/* Returns 0 once the COMMAND runs, or -1 after saying why it could not. */
int launch_go(struct launch *l, const char *name);
/* Before launch_go: the child exits without running anything. */
void launch_abandon(struct launch *l);
int launch_block_signals(sigset_t *old, int *sig_fd);

#endif
