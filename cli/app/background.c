// SPDX-License-Identifier: GPL-2.0
/*
 * Detaching a recorder from the terminal and telling the parent how its
 * start went.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "background.h"
#include "damonctl.h"
#include "statefile.h"

/* The parent: a byte means "running"; EOF means the recorder gave up. */
static int wait_for_recorder(int fd, pid_t recorder)
{
	int status;
	char c;

	if (read(fd, &c, 1) == 1) {
		close(fd);
		return EXIT_OK;
	}
	close(fd);
	if (waitpid(recorder, &status, 0) == recorder && WIFEXITED(status) &&
	    WEXITSTATUS(status))
		return WEXITSTATUS(status);	/* it said why on stderr */
	errmsg("the background recorder died while starting");
	return EXIT_FAIL;
}

int background_detach(int *notify_fd, pid_t *recorder)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC)) {
		errmsg("cannot start a background recorder: %s", strerror(errno));
		return EXIT_FAIL;
	}
	fflush(NULL);
	*recorder = fork();
	if (*recorder < 0) {
		errmsg("cannot start a background recorder: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return EXIT_FAIL;
	}
	if (*recorder > 0) {
		close(p[1]);
		return wait_for_recorder(p[0], *recorder);
	}
	/* Out of the terminal's session: its Ctrl-C is not for us. */
	setsid();
	close(p[0]);
	*notify_fd = p[1];
	return 0;
}

int background_ready(const char *output, const char *targets, int *notify_fd,
		     int *lock_fd)
{
	struct bg_state st = {
		.pid = getpid(),
		.started = time(NULL),
		.output = realpath(output, NULL),
		.targets = strdup(targets),
	};
	int null, ret;

	if (!st.output || !st.targets) {
		errmsg("cannot resolve the path of %s: %s", output,
		       strerror(errno));
		bg_state_free(&st);
		return EXIT_FAIL;
	}
	ret = state_publish(&st, lock_fd);
	if (!ret)
		printf("recording in the background to %s (id %d): stop it with "
		       "'damonctl stop %d'\n", st.output, (int)st.pid,
		       (int)st.pid);
	bg_state_free(&st);
	if (ret)
		return EXIT_FAIL;
	fflush(stdout);
	(void)!write(*notify_fd, "", 1);
	close(*notify_fd);
	*notify_fd = -1;
	/* Nobody reads the terminal for us any more; the end record says
	 * how the recording went. */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	/* Do not keep the directory it was started in busy.  Failing that is
	 * harmless, and failing the recording for it would not be. */
	(void)!chdir("/");
	return EXIT_OK;
}

void background_done(int lock_fd)
{
	state_unpublish(getpid(), lock_fd);
}
