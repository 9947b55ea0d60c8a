// SPDX-License-Identifier: GPL-2.0
/*
 * max_session_memory bounds what a session holds, allocator rounding
 * included: the deepest queue the module accepts stays under the bound by
 * the module's own rounding, and while running, a change whose memory would
 * not fit next to the configuration in force is refused with the room that
 * is left, then accepted once stopped.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

static int try_depth(int fd, unsigned int max_regions, unsigned int depth,
		     struct damon_attrs *a)
{
	*a = (struct damon_attrs) {
		.size = sizeof(*a), .sample_us = 10000, .aggr_us = 20000,
		.min_nr_regions = 10, .max_nr_regions = max_regions,
		.queue_depth = depth,
	};
	if (!ioctl(fd, DAMON_IOC_SET_ATTRS, a))
		return 0;
	if (errno != EINVAL || a->err_field != DAMON_FIELD_QUEUE_DEPTH ||
	    a->err_reason != DAMON_ERR_TOO_MUCH_MEMORY)
		KT_FAIL("depth %u: %s, field %u reason %u", depth,
			strerror(errno), a->err_field, a->err_reason);
	return -1;
}

/* The deepest queue accepted for @max_regions regions, by bisection. */
static unsigned int deepest(int fd, const struct damon_handshake *hs,
			    unsigned int max_regions)
{
	unsigned int lo = 1, hi = hs->max_queue_depth;
	struct damon_attrs a;

	if (try_depth(fd, max_regions, 1, &a))
		KT_FAIL("not even one snapshot of %u regions is accepted",
			max_regions);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo + 1) / 2;

		if (try_depth(fd, max_regions, mid, &a))
			hi = mid - 1;
		else
			lo = mid;
	}
	return lo;
}

/* kvmalloc() hands out at least a power of two up to 4 MiB. */
static unsigned long long least_alloc(unsigned long long n)
{
	unsigned long long sz = 8;

	if (n > (4ULL << 20))
		return n;
	while (sz < n)
		sz *= 2;
	return sz;
}

int main(void)
{
	int fd = kt_open();
	struct damon_handshake hs;
	struct damon_attrs a;
	unsigned int depth, max_regions;
	unsigned long long slot, room;
	pid_t child = kt_spawn_sleeper();

	kt_handshake(fd, &hs);
	kt_set_targets(fd, &child, 1);
	max_regions = hs.max_nr_regions;
	depth = deepest(fd, &hs, max_regions);
	slot = kt_max_snapshot(fd);
	/*
	 * Accepted means the queue's slots, as the allocator serves them,
	 * fit; one more slot must not.
	 */
	if (depth * least_alloc(slot) > hs.max_session_memory)
		KT_FAIL("depth %u of %llu-byte slots (%llu allocated each) "
			"exceeds %llu", depth, slot, least_alloc(slot),
			(unsigned long long)hs.max_session_memory);
	if ((depth + 1) * slot <= hs.max_session_memory / 2)
		KT_FAIL("depth %u refused though far below the bound", depth + 1);
	kt_pass("%u regions: deepest queue %u of %llu-byte slots within %llu",
		max_regions, depth, slot,
		(unsigned long long)hs.max_session_memory);

	/* Running at the deepest queue: the same again does not fit. */
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	if (!try_depth(fd, max_regions, depth, &a))
		KT_FAIL("a second configuration as large accepted while running");
	room = a.err_limit;
	if (room >= hs.max_session_memory / 2)
		KT_FAIL("room %llu while a configuration of more than half "
			"the bound is in force", room);
	/* A small change fits next to it. */
	if (try_depth(fd, 1000, 1, &a))
		KT_FAIL("a one-slot change refused while running (room %llu)",
			(unsigned long long)a.err_limit);
	kt_pass("while running: room %llu for a change; a small one fits",
		room);

	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	if (try_depth(fd, max_regions, depth, &a))
		KT_FAIL("the deepest queue refused after stop");
	kt_pass("after stop the deepest queue is accepted again");
	close(fd);
	kt_kill(child);
	return 0;
}
