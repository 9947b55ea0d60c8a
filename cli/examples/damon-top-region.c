// SPDX-License-Identifier: GPL-2.0
/*
 * damon-top-region: the smallest useful /dev/damon reader.  It monitors
 * the given pids and prints, for every snapshot, each target's hottest
 * region.  It needs nothing but the uapi header, poll() and read().
 *
 *   damon-top-region PID [PID...]        (Ctrl-C to stop)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "damondev.h"

/* Records sit back to back at any offset: copy fields out, don't cast. */
#define COPY(dst, src) memcpy(&(dst), (src), sizeof(dst))

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* One snapshot: for each target, the region with the most accesses. */
static void print_snapshot(const unsigned char *rec)
{
	struct damon_snapshot s;
	const unsigned char *p;
	uint32_t i, j;

	COPY(s, rec);
	p = rec + s.hdr_size;	/* step by the sizes the record declares */
	for (i = 0; i < s.nr_targets; i++) {
		struct damon_snapshot_target t;
		struct damon_snapshot_region r, top = { 0 };

		COPY(t, p);
		p += s.target_size;
		for (j = 0; j < t.nr_regions; j++, p += s.region_size) {
			COPY(r, p);
			if (j == 0 || r.nr_accesses > top.nr_accesses)
				top = r;
		}
		if (!t.nr_regions) {
			printf("#%" PRIu64 " pid %d: %s\n", (uint64_t)s.seq, t.pid,
			       (t.flags & DAMON_TARGET_EXITED) ? "exited" : "no regions");
			continue;
		}
		printf("#%" PRIu64 " pid %d: 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64
		       " KiB) accessed in %u of %u samples\n", (uint64_t)s.seq,
		       t.pid, (uint64_t)top.start, (uint64_t)top.end,
		       (uint64_t)(top.end - top.start) / 1024, top.nr_accesses,
		       s.nr_passes);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *path = getenv("DAMON_DEVICE") ? getenv("DAMON_DEVICE") :
		DAMON_DEVICE_PATH;
	struct damon_handshake hs = { .size = sizeof(hs) };
	struct damon_targets targets = { .size = sizeof(targets) };
	unsigned char *buf;
	__s32 *pids;
	int fd, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PID [PID...]\n", argv[0]);
		return 2;
	}
	pids = calloc(argc - 1, sizeof(*pids));
	if (!pids)
		die("calloc");
	for (i = 1; i < argc; i++)
		pids[i - 1] = atoi(argv[i]);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	/* Default attributes: no DAMON_IOC_SET_ATTRS needed. */
	targets.nr_pids = argc - 1;
	targets.pids = (uintptr_t)pids;
	if (ioctl(fd, DAMON_IOC_SET_TARGETS, &targets))
		die("DAMON_IOC_SET_TARGETS");
	/* After SET_TARGETS, max_snapshot_size fits these targets. */
	if (ioctl(fd, DAMON_IOC_HANDSHAKE, &hs))
		die("DAMON_IOC_HANDSHAKE");
	buf = malloc(hs.max_snapshot_size);
	if (!buf)
		die("malloc");
	if (ioctl(fd, DAMON_IOC_START))
		die("DAMON_IOC_START");

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n, off;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			die("poll");
		n = read(fd, buf, hs.max_snapshot_size);
		if (n == 0)
			break;		/* every target exited */
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("read");
		}
		/* One read() can return several whole records. */
		for (off = 0; off < n;) {
			struct damon_snapshot s;

			COPY(s, buf + off);
			if (s.type == DAMON_RECORD_SNAPSHOT)
				print_snapshot(buf + off);
			off += s.size;	/* unknown types are skipped */
		}
	}
	free(buf);
	free(pids);
	close(fd);
	return 0;
}
