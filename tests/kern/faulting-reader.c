// SPDX-License-Identifier: GPL-2.0
/*
 * A reader whose buffer faults slowly (here: userfaultfd, resolved after
 * 3 s; FUSE does the same) holds up neither monitoring nor STOP, and still
 * gets its snapshot once the fault is resolved.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

#define STALL_S	3

static int fd, uffd;
static char *area;
static const size_t len = 1 << 20;
static ssize_t read_ret;
static double read_done;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
	(void)arg;
	read_ret = read(fd, area, len);
	read_done = now();
	return NULL;
}

static void *resolver(void *arg)
{
	struct uffd_msg msg;
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffdio_zeropage z = {
		.range = { .start = (uintptr_t)area, .len = len },
	};

	(void)arg;
	if (poll(&p, 1, 20000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		KT_FAIL("the reader's buffer never faulted");
	sleep(STALL_S);
	KT_SYS(ioctl(uffd, UFFDIO_ZEROPAGE, &z));
	return NULL;
}

int main(void)
{
	pid_t child = kt_spawn_sleeper();
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct damon_status st1, st2;
	pthread_t rt, ft;
	double t0, stop_s;
	size_t off = 0;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0) {
		printf("SKIP: no userfaultfd in this kernel (%s)\n", strerror(errno));
		kt_kill(child);
		return 77;
	}
	KT_SYS(ioctl(uffd, UFFDIO_API, &api));
	fd = kt_open();
	kt_set_attrs(fd, 1000, 10000, 10, 100, 4, 0);
	kt_set_targets(fd, &child, 1);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	usleep(100000);

	area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KT_ASSERT(area != MAP_FAILED);
	reg = (struct uffdio_register){
		.range = { .start = (uintptr_t)area, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	KT_SYS(ioctl(uffd, UFFDIO_REGISTER, &reg));
	pthread_create(&ft, NULL, resolver, NULL);
	pthread_create(&rt, NULL, reader, NULL);
	usleep(200000);

	/*
	 * The reader is stuck in its fault: monitoring goes on, and STATUS,
	 * which takes the queue's lock, answers at once.
	 */
	t0 = now();
	kt_status(fd, &st1);
	if (now() - t0 > 1.0)
		KT_FAIL("STATUS took %.3f s behind a reader stuck in a fault",
			now() - t0);
	usleep(300000);
	kt_status(fd, &st2);
	if (st2.snapshots < st1.snapshots + 5)
		KT_FAIL("%llu snapshots in 300 ms of 10 ms aggregations while a reader is stuck",
			(unsigned long long)(st2.snapshots - st1.snapshots));
	kt_pass("a reader stuck in a fault: %llu snapshots made in 300 ms",
		(unsigned long long)(st2.snapshots - st1.snapshots));

	if (read_done)
		KT_FAIL("the read did not wait for its fault");
	t0 = now();
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	stop_s = now() - t0;
	if (stop_s > 1.0)
		KT_FAIL("STOP took %.3f s behind a reader stuck for %d s", stop_s, STALL_S);
	kt_pass("STOP returned after %.3f s while the reader was stuck", stop_s);

	pthread_join(rt, NULL);
	pthread_join(ft, NULL);
	if (read_ret <= 0)
		KT_FAIL("the stuck read returned %zd (%s)", read_ret, strerror(errno));
	KT_ASSERT(kt_next_snapshot(area, read_ret, &off) != NULL);
	kt_check_snapshot((const struct damon_snapshot *)area);
	kt_pass("once the fault was resolved the reader got %zd bytes of whole snapshots",
		read_ret);
	close(fd);
	kt_kill(child);
	return 0;
}
