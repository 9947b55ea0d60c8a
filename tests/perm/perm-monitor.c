// SPDX-License-Identifier: GPL-2.0
/*
 * perm-monitor EXPECT WHAT PID [REPORTED]: as the calling user, open
 * /dev/damon and make PID ("self": the caller) the session's target.
 *
 * EXPECT ok: SET_TARGETS, START and one snapshot succeed; the snapshot has
 * one live target with regions, reported as REPORTED (default PID: the
 * number as the caller's pid namespace sees it).
 * EXPECT EPERM or ESRCH: SET_TARGETS fails with it, names the pid
 * (err_field PIDS, err_index 0, the matching err_reason) and leaves the
 * session without targets.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "perm.h"

static int open_session(const char *what)
{
	int fd = open(DAMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		KT_FAIL("%s: cannot open %s: %s (%s)", what, DAMON_DEVICE_PATH,
			strerror(errno), perm_whoami());
	return fd;
}

static void expect_refused(int fd, pid_t pid, int want, const char *what)
{
	struct damon_targets t = {
		.size = sizeof(t), .nr_pids = 1, .pids = (uintptr_t)&pid,
	};
	unsigned int reason = want == EPERM ? DAMON_ERR_NOT_PERMITTED :
			      DAMON_ERR_NO_SUCH_PROCESS;
	struct damon_status st;

	errno = 0;
	if (!ioctl(fd, DAMON_IOC_SET_TARGETS, &t))
		KT_FAIL("%s: SET_TARGETS of pid %d succeeded, expected %s (%s)",
			what, pid, perm_errname(want), perm_whoami());
	if (errno != want)
		KT_FAIL("%s: SET_TARGETS of pid %d failed with %s, expected %s (%s)",
			what, pid, perm_errname(errno), perm_errname(want),
			perm_whoami());
	if (t.err_field != DAMON_FIELD_PIDS || t.err_reason != reason ||
	    t.err_index != 0)
		KT_FAIL("%s: error report field %u reason %u index %u, expected %u %u 0",
			what, t.err_field, t.err_reason, t.err_index,
			DAMON_FIELD_PIDS, reason);
	kt_status(fd, &st);
	if (st.nr_targets != 0)
		KT_FAIL("%s: the refused pid became a target", what);
	kt_pass("%s: SET_TARGETS of pid %d fails with %s (reason %u)", what,
		pid, perm_errname(want), t.err_reason);
}

static void expect_monitored(int fd, pid_t pid, pid_t reported,
			     const char *what)
{
	struct damon_targets t = {
		.size = sizeof(t), .nr_pids = 1, .pids = (uintptr_t)&pid,
	};
	const struct damon_snapshot_target *st;
	const struct damon_snapshot *s;
	struct perm_reader r;

	if (ioctl(fd, DAMON_IOC_SET_TARGETS, &t))
		KT_FAIL("%s: SET_TARGETS of pid %d failed with %s, reason %u, expected success (%s)",
			what, pid, perm_errname(errno), t.err_reason,
			perm_whoami());
	kt_set_attrs(fd, 5000, 100000, 10, 1000, 16, 0);
	perm_reader_init(&r, fd);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	s = perm_next(&r, 10000);
	if (!s)
		KT_FAIL("%s: no snapshot within 10 s", what);
	if (s->nr_targets != 1)
		KT_FAIL("%s: snapshot has %u targets, expected 1", what,
			s->nr_targets);
	st = kt_first_target(s);
	if (st->pid != reported)
		KT_FAIL("%s: snapshot reports pid %d, expected %d", what,
			st->pid, reported);
	if (st->flags & (DAMON_TARGET_EXITED | DAMON_TARGET_REVOKED))
		KT_FAIL("%s: target flags 0x%x (exited or revoked)", what,
			st->flags);
	if (!st->nr_regions)
		KT_FAIL("%s: target has no regions", what);
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	kt_pass("%s: pid %d monitored; snapshot seq %llu reports pid %d with %u regions",
		what, pid, (unsigned long long)s->seq, st->pid, st->nr_regions);
}

int main(int argc, char **argv)
{
	int want, fd;
	pid_t pid, reported;

	if (argc != 4 && argc != 5)
		KT_FAIL("usage: perm-monitor ok|EPERM|ESRCH WHAT PID [REPORTED-PID]");
	want = perm_parse_expect(argv[1]);
	pid = perm_parse_pid(argv[3]);
	reported = argc == 5 ? perm_parse_pid(argv[4]) : pid;
	fd = open_session(argv[2]);
	if (want == 0)
		expect_monitored(fd, pid, reported, argv[2]);
	else if (want == EPERM || want == ESRCH)
		expect_refused(fd, pid, want, argv[2]);
	else
		KT_FAIL("perm-monitor expects ok, EPERM or ESRCH");
	close(fd);
	return 0;
}
