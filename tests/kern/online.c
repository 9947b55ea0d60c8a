// SPDX-License-Identifier: GPL-2.0
/*
 * Attributes and targets can change while monitoring runs: a valid change
 * takes effect at an aggregation boundary, an invalid one is refused with
 * the field named and the running configuration kept; targets that stay
 * keep their regions and history, added ones appear, removed ones go.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

int main(void)
{
	int fd = kt_open();
	unsigned long base;
	pid_t a = kt_spawn_areas(4, 4 << 20, 0, &base);
	pid_t b = kt_spawn_sleeper();
	pid_t both[2] = { a, b };
	const struct damon_snapshot *s = NULL;
	const struct damon_snapshot_target *t;
	struct damon_attrs bad = { .size = sizeof(bad), .sample_us = 5000, .aggr_us = 50 };
	size_t len;
	char *buf;
	int i, seen;

	kt_set_attrs(fd, 5000, 50000, 10, 100, 64, 0);
	kt_set_targets(fd, &a, 1);
	len = kt_max_snapshot(fd) * 4;
	buf = malloc(len);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	for (i = 0; i < 10; i++)
		s = kt_read_one(fd, buf, len);

	kt_set_attrs(fd, 10000, 100000, 10, 100, 64, 0);
	for (i = 0, seen = 0; i < 10 && !seen; i++) {
		s = kt_read_one(fd, buf, len);
		seen = s->sample_us == 10000 && s->aggr_us == 100000;
	}
	KT_ASSERT(seen);
	kt_pass("new intervals took effect within %d aggregations", i);

	KT_ERRNO(ioctl(fd, DAMON_IOC_SET_ATTRS, &bad), EINVAL);
	KT_ASSERT(bad.err_field == DAMON_FIELD_AGGR_US);
	for (i = 0; i < 3; i++) {
		s = kt_read_one(fd, buf, len);
		KT_ASSERT(s->sample_us == 10000 && s->aggr_us == 100000);
	}
	kt_pass("an invalid online change is refused and the running attributes stay");

	kt_set_targets(fd, both, 2);
	for (i = 0, seen = 0; i < 10 && !seen; i++) {
		s = kt_read_one(fd, buf, len);
		seen = s->nr_targets == 2;
	}
	KT_ASSERT(seen);
	t = kt_first_target(s);
	KT_ASSERT(t->pid == a && t->nr_regions >= 10);
	{
		unsigned int j, aged = 0;

		for (j = 0; j < t->nr_regions; j++)
			aged += kt_region(s, t, j)->age >= 5;
		KT_ASSERT(aged > 0);	/* history kept, not restarted */
	}
	t = kt_next_target(s, t);
	KT_ASSERT(t && t->pid == b);
	kt_pass("a target added online appears; the one that stays keeps its regions' ages");

	kt_set_targets(fd, &b, 1);
	for (i = 0, seen = 0; i < 10 && !seen; i++) {
		s = kt_read_one(fd, buf, len);
		seen = s->nr_targets == 1;
	}
	KT_ASSERT(seen && kt_first_target(s)->pid == b);
	kt_pass("a target removed online goes");

	KT_ERRNO(ioctl(fd, DAMON_IOC_START), EBUSY);
	kt_pass("START while running is still EBUSY");
	kt_kill(a);
	kt_kill(b);
	free(buf);
	close(fd);
	return 0;
}
