// SPDX-License-Identifier: GPL-2.0
/*
 * read() returns whole snapshots only; a buffer too small for the next one
 * gets EINVAL and the snapshot stays queued; O_NONBLOCK gives EAGAIN; poll
 * reports POLLIN when a snapshot is queued.  Snapshots are well formed and
 * numbered in sequence.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

int main(void)
{
	int fd = kt_open();
	unsigned long base;
	pid_t child = kt_spawn_toucher(64 << 20, 0, 8 << 20, &base);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	const struct damon_snapshot *s;
	size_t len, off;
	ssize_t n;
	char *buf;
	unsigned long long seq = 0;
	int i;

	kt_set_attrs(fd, 5000, 50000, 10, 100, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd);
	buf = malloc(len * 64);
	KT_ASSERT(buf);

	KT_SYS(fcntl(fd, F_SETFL, O_NONBLOCK));
	KT_ERRNO(read(fd, buf, len), EAGAIN);
	KT_ASSERT(poll(&pfd, 1, 0) == 0);
	kt_pass("before START: no data, EAGAIN, poll idle");

	KT_SYS(ioctl(fd, DAMON_IOC_START));
	KT_ASSERT(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN));
	kt_pass("poll reports POLLIN once a snapshot is queued");

	/* Too small a buffer: EINVAL, and the snapshot is still there. */
	KT_ERRNO(read(fd, buf, sizeof(struct damon_snapshot) - 1), EINVAL);
	KT_ERRNO(read(fd, buf, 0), EINVAL);
	n = KT_SYS(read(fd, buf, len));
	off = 0;
	s = kt_next_snapshot(buf, n, &off);
	KT_ASSERT(s && s->seq == 0);
	kt_check_snapshot(s);
	kt_pass("a too-small buffer gets EINVAL and keeps the snapshot (seq 0 read next)");

	/* Let several queue up, then read them all in one call. */
	KT_SYS(fcntl(fd, F_SETFL, 0));
	usleep(400000);
	n = KT_SYS(read(fd, buf, len * 64));
	off = 0;
	seq = 1;
	i = 0;
	while ((s = kt_next_snapshot(buf, n, &off))) {
		kt_check_snapshot(s);
		if (s->seq != seq)
			KT_FAIL("snapshot seq %llu, expected %llu",
				(unsigned long long)s->seq, seq);
		KT_ASSERT(s->dropped == 0);
		KT_ASSERT(s->nr_targets == 1);
		KT_ASSERT(kt_first_target(s)->pid == child);
		KT_ASSERT(kt_first_target(s)->nr_regions >= 10);
		seq++;
		i++;
	}
	KT_ASSERT(i >= 3);
	kt_pass("one read returned %d whole snapshots in sequence", i);

	/* A buffer that holds one and a half: exactly one is returned. */
	usleep(200000);
	{
		size_t one;

		n = KT_SYS(read(fd, buf, len));
		one = ((struct damon_snapshot *)buf)->size;
		usleep(200000);
		n = KT_SYS(read(fd, buf, one + one / 2));
		KT_ASSERT((size_t)n == ((struct damon_snapshot *)buf)->size);
	}
	kt_pass("records are never split");

	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	while ((n = KT_SYS(read(fd, buf, len * 64))) > 0)
		;
	KT_ASSERT(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP));
	kt_pass("after STOP and draining: read returns 0 and poll POLLHUP");
	kt_kill(child);
	free(buf);
	close(fd);
	return 0;
}
