// SPDX-License-Identifier: GPL-2.0
/*
 * A reader that falls behind loses the oldest snapshots, and nothing is
 * lost silently: every read snapshot's `dropped` equals the gap in
 * sequence numbers before it, and read + dropped = produced (STATUS).
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

static void run(unsigned int depth)
{
	int fd = kt_open();
	pid_t child = kt_spawn_sleeper();
	unsigned long long next_seq = 0, read_n = 0, dropped = 0;
	const struct damon_snapshot *s;
	struct damon_status st;
	size_t len, off;
	ssize_t n;
	char *buf;
	int round;

	kt_set_attrs(fd, 1000, 10000, 10, 100, depth, 0);	/* 100 per second */
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd) * depth;
	buf = malloc(len);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	for (round = 0; round < 4; round++) {
		usleep(300000);		/* fall behind */
		n = KT_SYS(read(fd, buf, len));
		off = 0;
		while ((s = kt_next_snapshot(buf, n, &off))) {
			kt_check_snapshot(s);
			if (s->seq - next_seq != s->dropped)
				KT_FAIL("seq %llu after %llu but dropped %llu",
					(unsigned long long)s->seq, next_seq,
					(unsigned long long)s->dropped);
			dropped += s->dropped;
			next_seq = s->seq + 1;
			read_n++;
		}
	}
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	while ((n = KT_SYS(read(fd, buf, len))) > 0) {
		off = 0;
		while ((s = kt_next_snapshot(buf, n, &off))) {
			KT_ASSERT(s->seq - next_seq == s->dropped);
			dropped += s->dropped;
			next_seq = s->seq + 1;
			read_n++;
		}
	}
	kt_status(fd, &st);
	if (read_n + dropped != st.snapshots || dropped != st.dropped)
		KT_FAIL("read %llu + dropped %llu != produced %llu (status dropped %llu)",
			read_n, dropped, (unsigned long long)st.snapshots,
			(unsigned long long)st.dropped);
	KT_ASSERT(dropped > 0);
	kt_pass("depth %u: read %llu, dropped %llu, produced %llu: adds up",
		depth, read_n, dropped, (unsigned long long)st.snapshots);
	kt_kill(child);
	free(buf);
	close(fd);
}

int main(void)
{
	run(1);
	run(3);
	return 0;
}
