// SPDX-License-Identifier: GPL-2.0
/*
 * A reader blocked in read() is woken by STOP (end of file), by a signal
 * (EINTR), and keeps working when another thread closes the descriptor.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

struct reader {
	int fd;
	size_t len;
	ssize_t ret;
	int err;
	volatile int done;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(r->len);
	ssize_t n;

	do {
		n = read(r->fd, buf, r->len);
	} while (n > 0);
	r->ret = n;
	r->err = n < 0 ? errno : 0;
	r->done = 1;
	free(buf);
	return NULL;
}

static void *read_once(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(r->len);

	r->ret = read(r->fd, buf, r->len);
	r->err = r->ret < 0 ? errno : 0;
	r->done = 1;
	free(buf);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void wait_done(struct reader *r, const char *what)
{
	int i;

	for (i = 0; i < 500 && !r->done; i++)
		usleep(10000);
	if (!r->done)
		KT_FAIL("%s: reader still blocked after 5 s", what);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	pid_t child = kt_spawn_sleeper();
	struct reader r = { 0 };
	pthread_t th;
	int fd;

	/* STOP wakes a reader, which then sees end of file. */
	fd = kt_open();
	kt_set_attrs(fd, 5000, 1000000, 10, 100, 4, 0);	/* 1 s aggregation */
	kt_set_targets(fd, &child, 1);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	r = (struct reader){ .fd = fd, .len = kt_max_snapshot(fd) };
	pthread_create(&th, NULL, read_all, &r);
	usleep(200000);
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	wait_done(&r, "STOP");
	pthread_join(th, NULL);
	KT_ASSERT(r.ret == 0);
	kt_pass("STOP wakes a blocked reader, which reads to end of file");

	/* A signal interrupts a blocked read on a session that never ends. */
	sigaction(SIGUSR1, &sa, NULL);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	/* The first snapshot is due after 1 s: the read blocks until then. */
	r = (struct reader){ .fd = fd, .len = kt_max_snapshot(fd) };
	pthread_create(&th, NULL, read_once, &r);
	usleep(100000);
	pthread_kill(th, SIGUSR1);
	wait_done(&r, "signal");
	pthread_join(th, NULL);
	KT_ASSERT(r.ret == -1 && r.err == EINTR);
	kt_pass("a signal interrupts a blocked read with EINTR");

	/* close() in another thread: the reader's read still completes. */
	r = (struct reader){ .fd = fd, .len = kt_max_snapshot(fd) };
	pthread_create(&th, NULL, read_once, &r);
	usleep(100000);
	close(fd);
	wait_done(&r, "close");
	pthread_join(th, NULL);
	KT_ASSERT(r.ret > 0 || (r.ret == -1 && r.err == EBADF));
	kt_pass("close() in another thread does not strand the reader (read returned %zd)",
		r.ret);
	kt_kill(child);
	return 0;
}
