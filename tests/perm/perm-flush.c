// SPDX-License-Identifier: GPL-2.0
/*
 * perm-flush SESSIONS SECONDS: as an unprivileged user, try to make the
 * machine flush TLBs more often than the module's budget allows.
 *
 * SET_ATTRS with DAMON_ATTR_TLB_FLUSH and a sampling interval (or an
 * auto-tuning lower bound) below damon_handshake.flush_min_sample_us fails
 * with DAMON_ERR_FLUSH_BUDGET naming the field and the least interval.
 * Then SESSIONS sessions, each at that least interval, run at once for
 * SECONDS: the module's own counter (the tlb_flushes parameter) must grow
 * by at most tlb_flush_max_hz a second, and the snapshots must show flushes
 * shared between sessions.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "perm.h"

#define PARAMS "/sys/module/damondev/parameters/"

static unsigned long long param(const char *name)
{
	unsigned long long v;
	FILE *f = fopen(name, "r");

	if (!f || fscanf(f, "%llu", &v) != 1)
		KT_FAIL("cannot read %s: is this module too old to have it?",
			name);
	fclose(f);
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void expect_budget(int fd, struct damon_attrs a, unsigned int field,
			  unsigned long long min, const char *what)
{
	a.size = sizeof(a);
	if (!ioctl(fd, DAMON_IOC_SET_ATTRS, &a))
		KT_FAIL("%s: SET_ATTRS succeeded", what);
	if (errno != EINVAL || a.err_field != field ||
	    a.err_reason != DAMON_ERR_FLUSH_BUDGET || a.err_limit != min)
		KT_FAIL("%s: %s, field %u reason %u limit %llu; expected EINVAL, field %u reason %u limit %llu",
			what, strerror(errno), a.err_field, a.err_reason,
			(unsigned long long)a.err_limit, field,
			DAMON_ERR_FLUSH_BUDGET, min);
	kt_pass("%s: EINVAL, DAMON_ERR_FLUSH_BUDGET on field %u, least %llu us",
		what, field, min);
}

int main(int argc, char **argv)
{
	unsigned long long min, hz, c0, c1, served = 0, shared = 0;
	struct damon_handshake hs;
	int n, i, *fds;
	double secs, t0, t1, rate;
	pid_t child;
	char *buf;
	size_t cap;

	if (argc != 3)
		KT_FAIL("usage: perm-flush SESSIONS SECONDS");
	n = atoi(argv[1]);
	secs = atof(argv[2]);
	hz = param(PARAMS "tlb_flush_max_hz");
	fds = calloc(n, sizeof(*fds));
	KT_ASSERT(fds && hz);
	fds[0] = kt_open();
	kt_handshake(fds[0], &hs);
	min = hs.flush_min_sample_us;
	if (min != (1000000 + hz - 1) / hz)
		KT_FAIL("handshake: flush_min_sample_us %llu, expected %llu for tlb_flush_max_hz %llu (%s)",
			min, (1000000 + hz - 1) / hz, hz, perm_whoami());
	expect_budget(fds[0], (struct damon_attrs){
			.flags = DAMON_ATTR_TLB_FLUSH, .sample_us = min - 1,
			.aggr_us = 100000 },
		      DAMON_FIELD_SAMPLE_US, min, "sampling just below it");
	expect_budget(fds[0], (struct damon_attrs){
			.flags = DAMON_ATTR_TLB_FLUSH, .sample_us = min,
			.aggr_us = 100000, .tune_goal_bp = 400,
			.tune_min_sample_us = min / 2 },
		      DAMON_FIELD_TUNE_MIN_SAMPLE_US, min,
		      "auto-tuning allowed below it");

	child = kt_spawn_sleeper();
	for (i = 0; i < n; i++) {
		if (i)
			fds[i] = kt_open();
		kt_set_attrs(fds[i], min, 100000, 10, 100, 256,
			     DAMON_ATTR_TLB_FLUSH);
		kt_set_targets(fds[i], &child, 1);
	}
	for (i = 0; i < n; i++)
		KT_SYS(ioctl(fds[i], DAMON_IOC_START));
	usleep(500000);
	c0 = param(PARAMS "tlb_flushes");
	t0 = now_s();
	usleep((useconds_t)(secs * 1e6));
	c1 = param(PARAMS "tlb_flushes");
	t1 = now_s();
	rate = (c1 - c0) / (t1 - t0);
	printf("# %d sessions at %llu us: %llu flushes in %.2f s (%.1f/s; cap %llu/s)\n",
	       n, min, c1 - c0, t1 - t0, rate, hz);
	/* Spacing is enforced flush to flush: one extra at the window edge. */
	if (c1 - c0 > hz * (t1 - t0) + 1)
		KT_FAIL("%llu flushes in %.2f s: over the cap of %llu a second",
			c1 - c0, t1 - t0, hz);
	kt_pass("the machine-wide flush rate stayed within the cap: %.1f/s <= %llu/s",
		rate, hz);

	cap = kt_max_snapshot(fds[0]);
	buf = malloc(cap);
	KT_ASSERT(buf);
	for (i = 0; i < n; i++) {
		ssize_t len;

		KT_SYS(ioctl(fds[i], DAMON_IOC_STOP));
		while ((len = read(fds[i], buf, cap)) > 0) {
			size_t off = 0;
			const struct damon_snapshot *s;

			while ((s = kt_next_snapshot(buf, len, &off))) {
				served += s->tlb_flushes;
				shared += s->tlb_flushes_shared;
			}
		}
		close(fds[i]);
	}
	printf("# snapshots: %llu flushes served the sessions, %llu of them made by another session\n",
	       served, shared);
	if (n > 1 && !shared)
		KT_FAIL("no session was ever served by another's flush");
	kt_pass("sessions share flushes: %llu of %llu served by another session's",
		shared, served);
	kt_kill(child);
	free(buf);
	free(fds);
	return 0;
}
