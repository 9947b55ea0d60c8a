// SPDX-License-Identifier: GPL-2.0
/*
 * perm-drop drop|restart|exec SETUID-SLEEPER: run as an unprivileged user
 * (no CAP_SYS_PTRACE) who may open /dev/damon.  A target that the caller
 * was allowed to monitor, and that later stops being monitorable, is
 * dropped.  The children:
 *
 *   A makes itself non-dumpable (prctl PR_SET_DUMPABLE 0), and later
 *     dumpable again;
 *   B execs SETUID-SLEEPER, a setuid-root program;
 *   C stays as it was;
 *   D execs perm-sleeper, a program the caller may monitor.
 *
 * drop: once A has changed, a snapshot whose interval starts after the
 * change (at most the second such one) shows A with DAMON_TARGET_REVOKED
 * and no regions, and so do all later ones; STATUS shows the flag too.
 * The same for B.  C keeps being monitored with regions, and the session
 * keeps running.
 *
 * restart: as drop, then A becomes dumpable again, and STOP and START
 * follow: A and B stay revoked with no regions in every snapshot of the
 * new run (B's layout is what a setuid program hides from its caller);
 * SET_TARGETS naming B again is refused, and naming A again (which now
 * passes the check) brings it back.
 *
 * exec: a 2 s aggregation interval; B and D exec in the middle of one.
 * The snapshot of that interval already shows B revoked with no regions,
 * and D only with regions of its new address space (starting where its
 * first new mapping starts), never the regions of the image it left.
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

enum { A, B, C, D, N };
static const char *const names[N] = {
	"A (becomes non-dumpable)", "B (execs a setuid-root program)",
	"C (unchanged)", "D (execs a program the caller may monitor)",
};
static const char *plain_sleeper;	/* perm-sleeper, beside us */
static char d_ready[64];

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
			/* 'x': non-dumpable; 'd': dumpable again */
			c = prctl(PR_SET_DUMPABLE, c == 'd', 0, 0, 0) ? 'E' : 'K';
			if (write(ack, &c, 1) != 1)
				_exit(1);
		} else if (which == D) {
			c = 'K';
			if (write(ack, &c, 1) != 1)
				_exit(1);
			close(ack);
			close(cmd);
			execl(plain_sleeper, plain_sleeper, d_ready, (char *)NULL);
			_exit(127);
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
	for (unsigned int i = 0; i < st.nr_targets && i < N; i++)
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
			for (i = A; i <= C; i++)
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

static void set_attrs(int fd, unsigned long long aggr_us)
{
	struct damon_attrs attrs = {
		.size = sizeof(attrs), .sample_us = 5000, .aggr_us = aggr_us,
		.update_us = aggr_us, .min_nr_regions = 10,
		.max_nr_regions = 1000, .queue_depth = 64,
	};

	if (ioctl(fd, DAMON_IOC_SET_ATTRS, &attrs))
		KT_FAIL("SET_ATTRS: %s (field %u reason %u)", strerror(errno),
			attrs.err_field, attrs.err_reason);
}

/* Start monitoring @n children; the first snapshot shows them all. */
static int start_session(const int *which, int n, unsigned long long aggr_us,
			 struct perm_reader *r)
{
	const struct damon_snapshot *s;
	pid_t pids[N];
	int fd, i;

	for (i = 0; i < n; i++)
		pids[i] = ch[which[i]].pid;
	fd = kt_open();
	set_attrs(fd, aggr_us);
	kt_set_targets(fd, pids, n);
	perm_reader_init(r, fd);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	s = perm_next(r, 10000);
	if (!s)
		KT_FAIL("no first snapshot within 10 s");
	for (i = 0; i < n; i++)
		check_live(s, ch, which[i]);
	kt_pass("the children, of the same user as the caller, are monitored (%s)",
		perm_whoami());
	return fd;
}

static void command(int which, char c)
{
	KT_ASSERT(write(ch[which].cmd, &c, 1) == 1);
	if (read(ch[which].ack, &c, 1) != 1 || c != 'K')
		KT_FAIL("%s could not change", names[which]);
}

/* After a setuid exec, the new credentials are in place. */
static void wait_euid_root(pid_t pid)
{
	for (int i = 0; i < 500 && euid_of(pid) != 0; i++)
		usleep(10000);
	if (euid_of(pid) != 0)
		KT_FAIL("%s: euid is %ld after exec, not 0: is the helper setuid root, and the file system not nosuid?",
			names[B], euid_of(pid));
}

static int set_targets_err(int fd, const int *which, int n,
			   struct damon_targets *t)
{
	static pid_t pids[N];

	for (int i = 0; i < n; i++)
		pids[i] = ch[which[i]].pid;
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->nr_pids = n;
	t->pids = (uintptr_t)pids;
	return ioctl(fd, DAMON_IOC_SET_TARGETS, t) ? errno : 0;
}

static void restart(int fd, struct perm_reader *r)
{
	const struct damon_snapshot *s;
	const int abc[] = { A, B, C }, ac[] = { A, C };
	struct damon_targets t;
	int i, err;

	command(A, 'd');
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	r->len = r->off = 0;	/* the ended run's snapshots are gone */
	for (i = 0; i < 5; i++) {
		s = perm_next(r, 5000);
		if (!s)
			KT_FAIL("no snapshot within 5 s after the restart");
		check_revoked(s, ch, B);
		check_revoked(s, ch, A);
		check_live(s, ch, C);
	}
	check_status(fd, ch, A);
	check_status(fd, ch, B);
	kt_pass("after STOP and START, A (dumpable again) and B (setuid root) stay revoked with no regions for 5 snapshots; C is monitored");

	err = set_targets_err(fd, abc, 3, &t);
	if (err != EPERM || t.err_index != 1 ||
	    t.err_reason != DAMON_ERR_NOT_PERMITTED)
		KT_FAIL("SET_TARGETS naming B again: %s, index %u, reason %u; expected EPERM for index 1",
			err ? strerror(err) : "success", t.err_index,
			t.err_reason);
	kt_pass("SET_TARGETS naming B (setuid root) again fails with EPERM");

	err = set_targets_err(fd, ac, 2, &t);
	if (err)
		KT_FAIL("SET_TARGETS naming A (dumpable again) again: %s",
			strerror(err));
	for (i = 0; i < 5; i++) {
		const struct damon_snapshot_target *st;

		s = perm_next(r, 5000);
		if (!s)
			KT_FAIL("no snapshot within 5 s after SET_TARGETS");
		st = perm_find(s, ch[A].pid);
		if (st && !(st->flags & DAMON_TARGET_REVOKED) && st->nr_regions)
			break;
	}
	if (i == 5)
		KT_FAIL("A did not come back with regions within 5 snapshots of SET_TARGETS naming it");
	kt_pass("SET_TARGETS naming A again, which passes the check now, brings it back (snapshot seq %llu)",
		(unsigned long long)s->seq);
}

struct ranges {
	unsigned long long start[512], end[512];
	int n;
	unsigned long long lo, hi;	/* the lowest start, the highest end */
};

/* @pid's mappings, from /proc/PID/maps. */
static void mappings(pid_t pid, struct ranges *m)
{
	unsigned long long a, b;
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		KT_FAIL("%s: %s", path, strerror(errno));
	m->n = 0;
	m->lo = ~0ULL;
	m->hi = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &a, &b) == 2 && m->n < 512) {
			m->start[m->n] = a;
			m->end[m->n++] = b;
			m->lo = a < m->lo ? a : m->lo;
			m->hi = b > m->hi ? b : m->hi;
		}
	fclose(f);
}

static bool overlaps(const struct ranges *m, unsigned long long start,
		     unsigned long long end)
{
	for (int i = 0; i < m->n; i++)
		if (m->start[i] < end && start < m->end[i])
			return true;
	return false;
}

static void exec_mid_interval(struct perm_reader *r)
{
	const struct damon_snapshot *s;
	const struct damon_snapshot_target *t;
	const struct damon_snapshot_region *reg;
	static struct ranges before, after;
	unsigned long long changed;
	char exe[64], link[4096];
	ssize_t n;
	int i;

	/* The middle of an interval: one just ended. */
	s = perm_next(r, 5000);
	if (!s)
		KT_FAIL("no snapshot within 5 s");
	usleep(700000);
	mappings(ch[D].pid, &before);
	changed = now_ns();
	command(D, 'x');
	command(B, 'x');
	wait_euid_root(ch[B].pid);
	snprintf(exe, sizeof(exe), "/proc/%d/exe", ch[D].pid);
	for (i = 0; i < 500; i++) {
		n = readlink(exe, link, sizeof(link) - 1);
		if (n > 0 && !access(d_ready, F_OK)) {
			link[n] = '\0';
			if (!strcmp(link, plain_sleeper))
				break;
		}
		usleep(10000);
	}
	if (i == 500)
		KT_FAIL("%s did not exec %s", names[D], plain_sleeper);
	mappings(ch[D].pid, &after);
	s = perm_next(r, 5000);
	if (!s)
		KT_FAIL("no snapshot within 5 s of the exec");
	if (s->start_ns > changed || s->end_ns < now_ns() - 1000000000ULL)
		KT_FAIL("snapshot seq %llu is not of the interval of the exec",
			(unsigned long long)s->seq);
	check_revoked(s, ch, B);
	kt_pass("the snapshot of the interval in which B exec'd a setuid program (seq %llu) shows B revoked with no regions",
		(unsigned long long)s->seq);
	t = section(s, ch, D);
	if (t->flags & (DAMON_TARGET_REVOKED | DAMON_TARGET_EXITED) ||
	    !t->nr_regions)
		KT_FAIL("snapshot seq %llu: D has flags 0x%x and %u regions, expected it monitored",
			(unsigned long long)s->seq, t->flags, t->nr_regions);
	/*
	 * The first pass on the new mm may come before the ELF loader has
	 * mapped the binary (it does so after the credentials are
	 * committed), so the regions need not reach the lowest mapping yet.
	 * What must not be there is any region of the old image: one lying
	 * on the old mappings and on none of the new ones (ASLR puts the two
	 * layouts far apart).
	 */
	reg = (const void *)((const char *)t + s->target_size);
	for (i = 0; i < (int)t->nr_regions; i++) {
		if (reg[i].start < after.lo || reg[i].end > after.hi)
			KT_FAIL("snapshot seq %llu: D's region %#llx-%#llx lies outside its new image's mappings %#llx-%#llx",
				(unsigned long long)s->seq,
				(unsigned long long)reg[i].start,
				(unsigned long long)reg[i].end, after.lo, after.hi);
		if (overlaps(&before, reg[i].start, reg[i].end) &&
		    !overlaps(&after, reg[i].start, reg[i].end))
			KT_FAIL("snapshot seq %llu: D's region %#llx-%#llx lies on mappings of the image it left (%#llx-%#llx) and on none of the new one's: regions of the old address space were reported",
				(unsigned long long)s->seq,
				(unsigned long long)reg[i].start,
				(unsigned long long)reg[i].end, before.lo,
				before.hi);
	}
	kt_pass("the same snapshot shows D only with regions of its new image (%u regions within %#llx-%#llx, none on the old image's mappings)",
		t->nr_regions, after.lo, after.hi);
	check_live(s, ch, C);
}

int main(int argc, char **argv)
{
	static char self[4096];
	struct perm_reader r;
	const char *mode;
	ssize_t n;
	int fd, i;

	if (argc != 3)
		KT_FAIL("usage: perm-drop drop|restart|exec SETUID-SLEEPER");
	mode = argv[1];
	if (geteuid() == 0)
		KT_FAIL("run as an unprivileged user (root may monitor anything)");
	if (access(argv[2], X_OK))
		KT_FAIL("%s: %s", argv[2], strerror(errno));
	n = readlink("/proc/self/exe", self, sizeof(self) - 32);
	KT_ASSERT(n > 0);
	self[n] = '\0';
	strcpy(strrchr(self, '/') + 1, "perm-sleeper");
	plain_sleeper = self;
	snprintf(d_ready, sizeof(d_ready), "/tmp/perm-drop-ready.%d", getpid());
	unlink(d_ready);
	for (i = 0; i < N; i++)
		ch[i] = spawn(i, argv[2]);
	atexit(kill_children);
	if (!strcmp(mode, "exec")) {
		const int bcd[] = { B, C, D };

		fd = start_session(bcd, 3, 2000000, &r);
		exec_mid_interval(&r);
	} else {
		const int abc[] = { A, B, C };
		bool revoked[N] = { false };

		/* Regions are recomputed every aggregation, so a check made
		 * there is at most 100 ms late. */
		fd = start_session(abc, 3, 100000, &r);
		make_unmonitorable(fd, &r, ch, A, revoked);
		revoked[A] = true;
		make_unmonitorable(fd, &r, ch, B, revoked);
		revoked[B] = true;
		if (!strcmp(mode, "restart"))
			restart(fd, &r);
		else if (strcmp(mode, "drop"))
			KT_FAIL("unknown mode %s", mode);
	}
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	close(fd);
	unlink(d_ready);
	kill_children();
	return 0;
}
