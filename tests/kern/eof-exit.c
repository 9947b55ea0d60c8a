// SPDX-License-Identifier: GPL-2.0
/*
 * When every target has exited, monitoring ends by itself: the last
 * snapshot marks the target exited, read() returns 0 once drained, poll()
 * reports POLLHUP and STATUS says why.  A new run can then be started.
 */
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

static void run_until_exit(int fd, pid_t *children, int nr, size_t len, char *buf)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	const struct damon_snapshot *s, *last = NULL;
	struct damon_status st;
	ssize_t n;
	size_t off;
	int i, got = 0;

	KT_SYS(ioctl(fd, DAMON_IOC_START));
	usleep(300000);
	for (i = 0; i < nr; i++)
		kt_kill(children[i]);
	for (;;) {
		KT_ASSERT(poll(&pfd, 1, 10000) == 1);
		n = KT_SYS(read(fd, buf, len));
		if (!n)
			break;
		off = 0;
		while ((s = kt_next_snapshot(buf, n, &off))) {
			kt_check_snapshot(s);
			memcpy(buf + len, s, s->size);
			last = (const void *)(buf + len);
			got++;
		}
	}
	KT_ASSERT(got > 0 && last);
	{
		const struct damon_snapshot_target *t = kt_first_target(last);

		for (i = 0; i < nr; i++, t = kt_next_target(last, t)) {
			KT_ASSERT(t && (t->flags & DAMON_TARGET_EXITED));
			KT_ASSERT(t->nr_regions == 0);
		}
	}
	KT_ASSERT(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP));
	KT_ASSERT(read(fd, buf, len) == 0);
	kt_status(fd, &st);
	KT_ASSERT(st.state == DAMON_STATE_ENDED);
	KT_ASSERT(st.end_reason == DAMON_END_TARGETS_EXITED);
	KT_ASSERT(st.snapshots >= (unsigned long long)got);
	kt_pass("%d snapshots, last marks %d target(s) exited; EOF, POLLHUP, end reason", got, nr);
}

int main(void)
{
	int fd = kt_open();
	size_t len;
	char *buf;
	pid_t kids[2];

	kt_set_attrs(fd, 5000, 50000, 10, 100, 64, 0);
	kids[0] = kt_spawn_sleeper();
	kids[1] = kt_spawn_sleeper();
	kt_set_targets(fd, kids, 2);
	len = kt_max_snapshot(fd) * 64;
	buf = malloc(2 * len);
	KT_ASSERT(buf);
	run_until_exit(fd, kids, 2, len, buf);

	/* A second run on the same fd starts fresh. */
	kids[0] = kt_spawn_sleeper();
	kt_set_targets(fd, kids, 1);
	run_until_exit(fd, kids, 1, len, buf);
	free(buf);
	close(fd);
	return 0;
}
