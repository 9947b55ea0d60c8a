// SPDX-License-Identifier: GPL-2.0
/*
 * perm-drop SETUID-SLEEPER: run as an unprivileged user (no CAP_SYS_PTRACE)
 * who may open /dev/damon.  A target that the caller was allowed to
 * monitor, and that later stops being monitorable, is dropped:
 *
 *   A makes itself non-dumpable (prctl PR_SET_DUMPABLE 0);
 *   B execs SETUID-SLEEPER, a setuid-root program;
 *   C stays as it was.
 *
 * Once A has changed, a snapshot whose interval starts after the change
 * (at most the second such one) shows A with DAMON_TARGET_REVOKED and no
 * regions, and so do all later ones; STATUS shows the flag too.  The same
 * for B.  C keeps being monitored with regions, and the session keeps
 * running.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "perm.h"

enum { A, B, C, N };
static const char *const names[N] = {
	"A (becomes non-dumpable)", "B (execs a setuid-root program)",
	"C (unchanged)",
};

struct child {
	pid_t pid;
	int cmd;	/* write end: one byte makes the child act */
	int ack;	/* read end: the child's answer */
};

static void __attribute__((noreturn))
child_main(int which, int cmd, int ack, const char *suid)
{
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		if (read(cmd, &c, 1) != 1)
			_exit(0);
		if (which == A) {
			c = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ? 'E' : 'K';
			if (write(ack, &c, 1) != 1)
				_exit(1);
		} else if (which == B) {
			c = 'K';
			if (write(ack, &c, 1) != 1)
				_exit(1);
			close(ack);
			close(cmd);
			execl(suid, suid, (char *)NULL);
			_exit(127);
		}
	}
}

static struct child spawn(int which, const char *suid)
{
	int cmd[2], ack[2];
	struct child ch;

	KT_SYS(pipe2(cmd, O_CLOEXEC));
	KT_SYS(pipe2(ack, O_CLOEXEC));
	ch.pid = KT_SYS(fork());
	if (!ch.pid) {
		/* Hold no session fd: nothing is open yet but the pipes. */
		close(cmd[1]);
		close(ack[0]);
		child_main(which, cmd[0], ack[1], suid);
	}
	close(cmd[0]);
	close(ack[1]);
	ch.cmd = cmd[1];
	ch.ack = ack[0];
	return ch;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Effective uid of @pid from /proc, or -1. */
static long euid_of(pid_t pid)
{
	char path[64], line[256];
	long ruid, euid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld %ld", &ruid, &euid) == 2)
			break;
	if (f)
		fclose(f);
	return euid;
}

static const struct damon_snapshot_target *
section(const struct damon_snapshot *s, const struct child *ch, int which)
{
	const struct damon_snapshot_target *t = perm_find(s, ch[which].pid);

	if (!t)
		KT_FAIL("snapshot seq %llu has no section for %s, pid %d (nr_targets %u)",
			(unsigned long long)s->seq, names[which],
			ch[which].pid, s->nr_targets);
	return t;
}

static void check_live(const struct damon_snapshot *s, const struct child *ch,
		       int which)
{
	const struct damon_snapshot_target *t = section(s, ch, which);

	if (t->flags & (DAMON_TARGET_REVOKED | DAMON_TARGET_EXITED))
		KT_FAIL("snapshot seq %llu: %s has flags 0x%x, expected it monitored",
			(unsigned long long)s->seq, names[which], t->flags);
	if (!t->nr_regions)
		KT_FAIL("snapshot seq %llu: %s has no regions",
			(unsigned long long)s->seq, names[which]);
}

static void check_revoked(const struct damon_snapshot *s,
			  const struct child *ch, int which)
{
	const struct damon_snapshot_target *t = section(s, ch, which);

	if (!(t->flags & DAMON_TARGET_REVOKED) || t->nr_regions)
		KT_FAIL("snapshot seq %llu: %s has flags 0x%x and %u regions, expected DAMON_TARGET_REVOKED (0x%x) and none",
			(unsigned long long)s->seq, names[which], t->flags,
			t->nr_regions, DAMON_TARGET_REVOKED);
}

static void check_status(int fd, const struct child *ch, int which)
{
	struct damon_target_status ts[N];
	struct damon_status st = {
		.size = sizeof(st), .targets_len = N,
		.targets = (uintptr_t)ts,
	};

	KT_SYS(ioctl(fd, DAMON_IOC_STATUS, &st));
	if (st.state != DAMON_STATE_RUNNING)
		KT_FAIL("session state %u, expected running", st.state);
	KT_ASSERT(st.nr_targets == N);
	for (int i = 0; i < N; i++)
		if (ts[i].pid == ch[which].pid) {
			if (!(ts[i].flags & DAMON_TARGET_REVOKED) ||
			    ts[i].nr_regions)
				KT_FAIL("STATUS: %s has flags 0x%x and %u regions, expected REVOKED and none",
					names[which], ts[i].flags,
					ts[i].nr_regions);
			return;
		}
	KT_FAIL("STATUS does not list %s", names[which]);
}

/*
 * Make @which change (the targets in @revoked were dropped before), then
 * follow the snapshots until it shows as revoked.
 */
static void make_unmonitorable(int fd, struct perm_reader *r,
			       const struct child *ch, int which,
			       const bool *revoked)
{
	const struct damon_snapshot *s;
	unsigned long long changed;
	char c = 'x';
	int after = 0, i;

	KT_ASSERT(write(ch[which].cmd, &c, 1) == 1);
	KT_ASSERT(read(ch[which].ack, &c, 1) == 1);
	if (c != 'K')
		KT_FAIL("%s could not change", names[which]);
	if (which == B) {
		/* The ack comes just before execve: wait for the new creds. */
		for (i = 0; i < 500 && euid_of(ch[B].pid) != 0; i++)
			usleep(10000);
		if (euid_of(ch[B].pid) != 0)
			KT_FAIL("%s: euid is %ld after exec, not 0: is the helper setuid root, and the file system not nosuid?",
				names[B], euid_of(ch[B].pid));
	}
	changed = now_ns();
	for (;;) {
		s = perm_next(r, 5000);
		if (!s)
			KT_FAIL("no snapshot within 5 s after %s changed", names[which]);
		if (s->start_ns < changed) {
			/* May or may not show it yet; the others as before. */
			for (i = 0; i < N; i++)
				if (revoked[i])
					check_revoked(s, ch, i);
				else if (i != which)
					check_live(s, ch, i);
			continue;
		}
		after++;
		if (section(s, ch, which)->flags & DAMON_TARGET_REVOKED)
			break;
		if (after >= 2)
			check_revoked(s, ch, which);	/* fails, with the flags */
	}
	check_revoked(s, ch, which);
	check_live(s, ch, C);
	kt_pass("%s: dropped with DAMON_TARGET_REVOKED and no regions in snapshot seq %llu (%d after the change)",
		names[which], (unsigned long long)s->seq, after);
	/* It stays dropped; C goes on being monitored. */
	for (i = 0; i < 3; i++) {
		s = perm_next(r, 5000);
		if (!s)
			KT_FAIL("monitoring stopped after %s was dropped", names[which]);
		check_revoked(s, ch, which);
		check_live(s, ch, C);
	}
	check_status(fd, ch, which);
	kt_pass("%s stays dropped (also in STATUS); C is still monitored, seq %llu",
		names[which], (unsigned long long)s->seq);
}

static struct child ch[N];

/* Also on failure: B, once setuid, no longer dies with its parent. */
static void kill_children(void)
{
	for (int i = 0; i < N; i++)
		if (ch[i].pid > 0) {
			kill(ch[i].pid, SIGKILL);
			waitpid(ch[i].pid, NULL, 0);
			ch[i].pid = 0;
		}
}

int main(int argc, char **argv)
{
	struct damon_attrs attrs = {
		.size = sizeof(attrs), .sample_us = 5000, .aggr_us = 100000,
		.update_us = 100000, .min_nr_regions = 10,
		.max_nr_regions = 1000, .queue_depth = 64,
	};
	pid_t pids[N];
	bool revoked[N] = { false };
	const struct damon_snapshot *s;
	struct perm_reader r;
	int fd, i;

	if (argc != 2)
		KT_FAIL("usage: perm-drop SETUID-SLEEPER");
	if (geteuid() == 0)
		KT_FAIL("run as an unprivileged user (root may monitor anything)");
	if (access(argv[1], X_OK))
		KT_FAIL("%s: %s", argv[1], strerror(errno));
	for (i = 0; i < N; i++) {
		ch[i] = spawn(i, argv[1]);
		pids[i] = ch[i].pid;
	}
	atexit(kill_children);
	fd = kt_open();
	/* Regions are recomputed every aggregation, so a check made there
	 * is at most 100 ms late. */
	if (ioctl(fd, DAMON_IOC_SET_ATTRS, &attrs))
		KT_FAIL("SET_ATTRS: %s (field %u reason %u)", strerror(errno),
			attrs.err_field, attrs.err_reason);
	kt_set_targets(fd, pids, N);
	perm_reader_init(&r, fd);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	s = perm_next(&r, 10000);
	if (!s)
		KT_FAIL("no first snapshot within 10 s");
	for (i = 0; i < N; i++)
		check_live(s, ch, i);
	kt_pass("A, B and C (same user as the caller) are monitored (%s)",
		perm_whoami());

	make_unmonitorable(fd, &r, ch, A, revoked);
	revoked[A] = true;
	make_unmonitorable(fd, &r, ch, B, revoked);
	revoked[B] = true;

	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	close(fd);
	kill_children();
	return 0;
}
