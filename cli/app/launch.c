// SPDX-License-Identifier: GPL-2.0
/*
 * The COMMAND's process.  It gets exactly the privileges of the person
 * who ran damonctl: if damonctl was installed set-group-ID (to open
 * /dev/damon) or set-user-ID, the child gives that up before exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "damonctl.h"
#include "launch.h"

static int drop_privileges(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (getegid() == gid && geteuid() == uid)
		return 0;
	if (setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -1;
	/* Changing credentials made us undumpable, which would make the
	 * kernel refuse to let its own user monitor this process. */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void child(int go, int err, const char *const *argv,
		  const sigset_t *sigmask)
{
	char c;
	int e;

	sigprocmask(SIG_SETMASK, sigmask, NULL);
	if (drop_privileges()) {
		e = errno;
		(void)!write(err, &e, sizeof(e));
		_exit(127);
	}
	if (read(go, &c, 1) != 1)
		_exit(127);	/* damonctl gave up before monitoring started */
	execvp(argv[0], (char *const *)argv);
	e = errno;
	(void)!write(err, &e, sizeof(e));
	_exit(127);
}

int launch_prepare(struct launch *l, const char *const *argv,
		   const sigset_t *sigmask)
{
	int go[2], err[2];

	if (pipe2(go, O_CLOEXEC)) {
		errmsg("cannot start the COMMAND: %s", strerror(errno));
		return -1;
	}
	if (pipe2(err, O_CLOEXEC)) {
		errmsg("cannot start the COMMAND: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return -1;
	}
	fflush(NULL);
	l->pid = fork();
	if (l->pid < 0) {
		errmsg("cannot start the COMMAND: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		close(err[0]);
		close(err[1]);
		return -1;
	}
	if (l->pid == 0) {
		close(go[1]);
		close(err[0]);
		child(go[0], err[1], argv, sigmask);
	}
	close(go[0]);
	close(err[1]);
	l->go_fd = go[1];
	l->err_fd = err[0];
	return 0;
}

int launch_go(struct launch *l, const char *name)
{
	ssize_t n;
	int e;

	n = write(l->go_fd, "g", 1);
	close(l->go_fd);
	l->go_fd = -1;
	if (n == 1) {
		do
			n = read(l->err_fd, &e, sizeof(e));
		while (n < 0 && errno == EINTR);
	} else {
		e = errno;
		n = sizeof(e);
	}
	close(l->err_fd);
	l->err_fd = -1;
	if (n == 0)
		return 0;
	errmsg("cannot run %s: %s", name, n == sizeof(e) ? strerror(e) :
	       "the child process failed");
	return -1;
}

void launch_abandon(struct launch *l)
{
	if (l->go_fd >= 0)
		close(l->go_fd);
	if (l->err_fd >= 0)
		close(l->err_fd);
	l->go_fd = l->err_fd = -1;
	if (l->pid > 0)
		waitpid(l->pid, NULL, 0);
	l->pid = 0;
}

/*
 * Stop signals and SIGCHLD arrive on a signalfd, so the poll loop of a
 * command that runs a COMMAND sees them in order with the device.
 */
int launch_block_signals(sigset_t *old, int *sig_fd)
{
	sigset_t handled, blocked;

	sigemptyset(&handled);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGHUP);
	sigaddset(&handled, SIGCHLD);
	/* Blocked, not ignored: an ignored SIGPIPE would survive exec into
	 * the COMMAND.  Writes then fail with EPIPE instead. */
	blocked = handled;
	sigaddset(&blocked, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &blocked, old)) {
		errmsg("cannot block signals: %s", strerror(errno));
		return EXIT_FAIL;
	}
	*sig_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
	if (*sig_fd < 0) {
		errmsg("cannot create a signalfd: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}
