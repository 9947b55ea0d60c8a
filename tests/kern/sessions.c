// SPDX-License-Identifier: GPL-2.0
/*
 * Eight sessions at once, each with its own kernel thread, four on the
 * same target and four on different ones; each gets its own snapshots.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

#define NR 8

int main(void)
{
	int fds[NR], i;
	pid_t shared = kt_spawn_sleeper(), own[NR];
	size_t len;
	char *buf;

	KT_ASSERT(kt_count_kdamonds() == 0);
	for (i = 0; i < NR; i++) {
		fds[i] = kt_open();
		own[i] = i < NR / 2 ? shared : kt_spawn_sleeper();
		kt_set_attrs(fds[i], 5000, 50000, 10, 100, 16, 0);
		kt_set_targets(fds[i], &own[i], 1);
		KT_SYS(ioctl(fds[i], DAMON_IOC_START));
	}
	KT_ASSERT(kt_count_kdamonds() == NR);
	kt_pass("%d sessions run %d damondev threads", NR, NR);

	len = kt_max_snapshot(fds[0]) * 16;
	buf = malloc(len);
	usleep(300000);
	for (i = 0; i < NR; i++) {
		size_t off = 0;
		ssize_t n = KT_SYS(read(fds[i], buf, len));
		const struct damon_snapshot *s = kt_next_snapshot(buf, n, &off);

		/* The first snapshot, or the first kept: slow boots overflow. */
		KT_ASSERT(s && s->seq == s->dropped);
		kt_check_snapshot(s);
		KT_ASSERT(kt_first_target(s)->pid == own[i]);
	}
	kt_pass("each session has its own snapshots of its own target");

	for (i = 0; i < NR; i += 2)
		close(fds[i]);
	usleep(100000);
	KT_ASSERT(kt_count_kdamonds() == NR / 2);
	for (i = 1; i < NR; i += 2)
		close(fds[i]);
	usleep(100000);
	KT_ASSERT(kt_count_kdamonds() == 0);
	kt_pass("closing a running session ends its thread");
	for (i = NR / 2; i < NR; i++)
		kt_kill(own[i]);
	kt_kill(shared);
	free(buf);
	return 0;
}
