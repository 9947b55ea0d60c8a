// SPDX-License-Identifier: GPL-2.0
/*
 * SET_TARGETS validates the count, every pid (exists, not a duplicate, has
 * an address space, may be monitored) and names the offending entry.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt.h"

static void expect(int fd, const pid_t *pids, unsigned int nr, int err,
		   unsigned int field, unsigned int reason, unsigned int index,
		   const char *what)
{
	struct damon_targets t = {
		.size = sizeof(t), .nr_pids = nr, .pids = (uintptr_t)pids,
	};

	KT_ERRNO(ioctl(fd, DAMON_IOC_SET_TARGETS, &t), err);
	if (t.err_field != field || t.err_reason != reason ||
	    (field == DAMON_FIELD_PIDS && t.err_index != index))
		KT_FAIL("%s: got field %u reason %u index %u, expected %u %u %u",
			what, t.err_field, t.err_reason, t.err_index, field,
			reason, index);
	kt_pass("%s: %s, field %u reason %u index %u", what, strerror(err),
		t.err_field, t.err_reason, t.err_index);
}

int main(void)
{
	int fd = kt_open();
	struct damon_handshake hs;
	struct damon_status st;
	struct damon_target_status ts[4];
	pid_t a = kt_spawn_sleeper(), b = kt_spawn_sleeper(), dead;
	pid_t pids[128];
	unsigned int i;
	void *unmapped;

	kt_handshake(fd, &hs);
	expect(fd, pids, 0, EINVAL, DAMON_FIELD_NR_PIDS, DAMON_ERR_TOO_SMALL, 0,
	       "no pids");
	KT_ASSERT(hs.max_targets < 128);
	for (i = 0; i <= hs.max_targets; i++)
		pids[i] = a;
	expect(fd, pids, hs.max_targets + 1, EINVAL, DAMON_FIELD_NR_PIDS,
	       DAMON_ERR_TOO_LARGE, 0, "too many pids");

	pids[0] = a; pids[1] = b; pids[2] = a;
	expect(fd, pids, 3, EINVAL, DAMON_FIELD_PIDS, DAMON_ERR_DUPLICATE, 2,
	       "duplicate pid");

	dead = KT_SYS(fork());
	if (!dead)
		_exit(0);
	waitpid(dead, NULL, 0);
	pids[0] = a; pids[1] = dead;
	expect(fd, pids, 2, ESRCH, DAMON_FIELD_PIDS, DAMON_ERR_NO_SUCH_PROCESS,
	       1, "pid that does not exist");

	pids[0] = 0;
	expect(fd, pids, 1, EINVAL, DAMON_FIELD_PIDS, DAMON_ERR_TOO_SMALL, 0,
	       "pid 0");
	pids[0] = -5;
	expect(fd, pids, 1, EINVAL, DAMON_FIELD_PIDS, DAMON_ERR_TOO_SMALL, 0,
	       "negative pid");
	pids[0] = 2;	/* kthreadd: no address space */
	expect(fd, pids, 1, EINVAL, DAMON_FIELD_PIDS, DAMON_ERR_NO_MM, 0,
	       "kernel thread");

	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect(fd, unmapped, 1, EFAULT, DAMON_FIELD_PIDS, DAMON_ERR_BAD_ADDRESS,
	       0, "unreadable pid array");

	/* Nothing refused above replaced the targets: none are set. */
	kt_status(fd, &st);
	KT_ASSERT(st.nr_targets == 0);
	KT_ERRNO(ioctl(fd, DAMON_IOC_START), EINVAL);
	kt_pass("START without targets gives EINVAL");

	pids[0] = a; pids[1] = b;
	kt_set_targets(fd, pids, 2);
	pids[0] = b;
	kt_set_targets(fd, pids, 1);	/* replaces, does not add */
	memset(ts, 0xff, sizeof(ts));
	st = (struct damon_status){ .size = sizeof(st), .targets_len = 4,
				    .targets = (uintptr_t)ts };
	KT_SYS(ioctl(fd, DAMON_IOC_STATUS, &st));
	KT_ASSERT(st.nr_targets == 1 && ts[0].pid == b);
	KT_ASSERT(st.state == DAMON_STATE_IDLE);
	KT_ASSERT(ts[1].pid == -1);	/* not written past nr_targets */
	kt_pass("SET_TARGETS replaces the list; STATUS lists it");

	/* The caller's own process may be monitored. */
	pids[0] = getpid();
	kt_set_targets(fd, pids, 1);
	kt_pass("the caller itself can be a target");
	kt_kill(a);
	kt_kill(b);
	close(fd);
	return 0;
}
