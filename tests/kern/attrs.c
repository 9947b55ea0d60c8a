// SPDX-License-Identifier: GPL-2.0
/*
 * Every invalid attribute is refused with EINVAL and named: field, reason,
 * the violated bound and where the bound comes from; the old attributes
 * stay.  START while running gives EBUSY (changes while running: online.c).
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

struct bad_case {
	const char *what;
	struct damon_attrs a;
	unsigned int field, reason, other;
	unsigned long long limit;
};

int main(void)
{
	int fd = kt_open();
	struct damon_handshake hs;
	struct damon_status st;
	pid_t child;
	size_t i;

	kt_handshake(fd, &hs);
	const struct bad_case cases[] = {
		{ "unknown flag", { .flags = 1u << 31 },
		  DAMON_FIELD_FLAGS, DAMON_ERR_UNKNOWN_BITS, 0, DAMON_ATTR_ALL },
		{ "sampling below minimum", { .sample_us = 1 },
		  DAMON_FIELD_SAMPLE_US, DAMON_ERR_TOO_SMALL, 0, hs.min_sample_us },
		{ "sampling above maximum", { .sample_us = hs.max_sample_us + 1, .aggr_us = hs.max_interval_us },
		  DAMON_FIELD_SAMPLE_US, DAMON_ERR_TOO_LARGE, 0, hs.max_sample_us },
		{ "aggregation below sampling", { .sample_us = 5000, .aggr_us = 50 },
		  DAMON_FIELD_AGGR_US, DAMON_ERR_TOO_SMALL, DAMON_FIELD_SAMPLE_US, 5000 },
		{ "aggregation above maximum", { .aggr_us = hs.max_interval_us + 1 },
		  DAMON_FIELD_AGGR_US, DAMON_ERR_TOO_LARGE, 0, hs.max_interval_us },
		{ "update below aggregation", { .aggr_us = 200000, .update_us = 1000 },
		  DAMON_FIELD_UPDATE_US, DAMON_ERR_TOO_SMALL, DAMON_FIELD_AGGR_US, 200000 },
		{ "update above maximum", { .update_us = hs.max_interval_us + 1 },
		  DAMON_FIELD_UPDATE_US, DAMON_ERR_TOO_LARGE, 0, hs.max_interval_us },
		{ "min regions below 3", { .min_nr_regions = 2 },
		  DAMON_FIELD_MIN_NR_REGIONS, DAMON_ERR_TOO_SMALL, 0, 3 },
		{ "min regions above limit", { .min_nr_regions = hs.max_nr_regions + 1 },
		  DAMON_FIELD_MIN_NR_REGIONS, DAMON_ERR_TOO_LARGE, 0, hs.max_nr_regions },
		{ "max regions below min", { .min_nr_regions = 100, .max_nr_regions = 50 },
		  DAMON_FIELD_MAX_NR_REGIONS, DAMON_ERR_TOO_SMALL, DAMON_FIELD_MIN_NR_REGIONS, 100 },
		{ "max regions above limit", { .max_nr_regions = hs.max_nr_regions + 1 },
		  DAMON_FIELD_MAX_NR_REGIONS, DAMON_ERR_TOO_LARGE, 0, hs.max_nr_regions },
		{ "queue depth above maximum", { .queue_depth = hs.max_queue_depth + 1 },
		  DAMON_FIELD_QUEUE_DEPTH, DAMON_ERR_TOO_LARGE, 0, hs.max_queue_depth },
		{ "tuning goal above 100%", { .tune_goal_bp = 10001 },
		  DAMON_FIELD_TUNE_GOAL_BP, DAMON_ERR_TOO_LARGE, 0, 10000 },
		{ "tuning minimum above sampling", { .sample_us = 5000, .tune_goal_bp = 400, .tune_min_sample_us = 6000 },
		  DAMON_FIELD_TUNE_MIN_SAMPLE_US, DAMON_ERR_TOO_LARGE, 0, 5000 },
		{ "tuning maximum below sampling", { .sample_us = 5000, .tune_goal_bp = 400, .tune_max_sample_us = 4000 },
		  DAMON_FIELD_TUNE_MAX_SAMPLE_US, DAMON_ERR_TOO_SMALL, DAMON_FIELD_SAMPLE_US, 5000 },
		{ "queue too large for memory", { .max_nr_regions = hs.max_nr_regions, .queue_depth = hs.max_queue_depth },
		  DAMON_FIELD_QUEUE_DEPTH, DAMON_ERR_TOO_MUCH_MEMORY, 0, hs.max_session_memory },
	};

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct damon_attrs a = cases[i].a;

		a.size = sizeof(a);
		KT_ERRNO(ioctl(fd, DAMON_IOC_SET_ATTRS, &a), EINVAL);
		if (a.err_field != cases[i].field || a.err_reason != cases[i].reason ||
		    a.err_other != cases[i].other || a.err_limit != cases[i].limit)
			KT_FAIL("%s: got field %u reason %u other %u limit %llu, "
				"expected %u %u %u %llu", cases[i].what,
				a.err_field, a.err_reason, a.err_other,
				(unsigned long long)a.err_limit, cases[i].field,
				cases[i].reason, cases[i].other, cases[i].limit);
		kt_pass("%s: named field %u reason %u limit %llu", cases[i].what,
			a.err_field, a.err_reason, (unsigned long long)a.err_limit);
	}

	/* A valid set clears the error fields; zero fields take defaults. */
	struct damon_attrs ok = { .size = sizeof(ok), .err_field = 99 };

	KT_SYS(ioctl(fd, DAMON_IOC_SET_ATTRS, &ok));
	KT_ASSERT(ok.err_field == 0 && ok.err_reason == 0);
	kt_pass("all-default attributes are accepted");

	/* A refused set keeps the old attributes: the run uses 10 ms. */
	kt_set_attrs(fd, 10000, 40000, 10, 100, 4, DAMON_ATTR_TLB_FLUSH);
	struct damon_attrs bad = { .size = sizeof(bad), .sample_us = 1 };

	KT_ERRNO(ioctl(fd, DAMON_IOC_SET_ATTRS, &bad), EINVAL);
	child = kt_spawn_sleeper();
	kt_set_targets(fd, &child, 1);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	{
		size_t len = kt_max_snapshot(fd), off = 0;
		char *buf = malloc(len);
		const struct damon_snapshot *s;
		ssize_t n = KT_SYS(read(fd, buf, len));

		s = kt_next_snapshot(buf, n, &off);
		KT_ASSERT(s && s->sample_us == 10000 && s->aggr_us == 40000);
		free(buf);
	}
	kt_pass("a refused SET_ATTRS keeps the previous attributes");

	KT_ERRNO(ioctl(fd, DAMON_IOC_START), EBUSY);
	kt_pass("START while running gives EBUSY");
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	kt_status(fd, &st);
	KT_ASSERT(st.state == DAMON_STATE_ENDED && st.end_reason == DAMON_END_STOPPED);
	KT_SYS(ioctl(fd, DAMON_IOC_SET_ATTRS, &ok));
	kt_pass("after STOP the attributes can be set again");
	kt_kill(child);
	close(fd);
	return 0;
}
