// SPDX-License-Identifier: GPL-2.0
/*
 * Page tables freed under the sampler: a child loops MADV_COLLAPSE and
 * MADV_DONTNEED over a shmem (memfd) mapping, so that, from 6.6 on, its PTE
 * tables are retracted and freed through RCU (pte_free_defer()) while a
 * session samples every 100 us across thousands of regions of it, with
 * only mmap_read_lock held.  Every snapshot must be well formed and the
 * kernel must stay quiet: the harness fails the test on any KASAN, lockdep
 * or RCU report, which is where a PMD read outside the RCU read-side
 * section would show, on the preemptible debug kernel above all.  Where
 * the kernel has transparent huge pages, collapses must take, or the test
 * would not test what it says; without them (Debian's PREEMPT_RT kernel)
 * only the zaps remain, and the pass line says so.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define SIZE		(64UL << 20)
#define HUGE		(2UL << 20)
#define SECONDS		10

static volatile sig_atomic_t stop;

static void on_sigusr1(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Runs until the parent sends SIGUSR1 after its session has stopped, not on
 * a clock of its own: on the debug kernel populating the mapping alone
 * took seconds, and a child that exits first ends the session (EOF).
 */
static void __attribute__((noreturn)) churn(int out)
{
	unsigned long collapsed = 0, tries = 0;
	int fd = memfd_create("collapse-race", 0);
	char *raw, *p;
	size_t off;

	if (fd < 0 || ftruncate(fd, SIZE))
		_exit(1);
	/* 2 MiB aligned, so that every huge page is collapsible. */
	raw = mmap(NULL, SIZE + HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (raw == MAP_FAILED)
		_exit(1);
	p = (char *)(((unsigned long)raw + HUGE - 1) & ~(HUGE - 1));
	p = mmap(p, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (off = 0; off < SIZE; off += 4096)
		p[off] = 1;
	if (write(out, &p, sizeof(p)) != sizeof(p))
		_exit(1);
	while (!stop) {
		for (off = 0; off < SIZE && !stop; off += HUGE) {
			for (size_t i = 0; i < HUGE; i += 4096)
				p[off + i]++;
			tries++;
			if (!madvise(p + off, HUGE, MADV_COLLAPSE))
				collapsed++;
			/* Half a huge page zapped: its PTE table comes back. */
			madvise(p + off, HUGE / 2, MADV_DONTNEED);
		}
	}
	if (write(out, &collapsed, sizeof(collapsed)) != sizeof(collapsed) ||
	    write(out, &tries, sizeof(tries)) != sizeof(tries))
		_exit(1);
	_exit(0);
}

int main(void)
{
	unsigned long collapsed, tries, snaps = 0;
	int pipefd[2], fd, status;
	size_t cap, off;
	pid_t child;
	char *buf;
	void *p;
	time_t end;

	KT_SYS(pipe(pipefd));
	/* Set before the fork: a SIGUSR1 can never find the default action. */
	signal(SIGUSR1, on_sigusr1);
	child = KT_SYS(fork());
	if (!child) {
		close(pipefd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		churn(pipefd[1]);
	}
	close(pipefd[1]);
	KT_ASSERT(read(pipefd[0], &p, sizeof(p)) == sizeof(p));
	fd = kt_open();
	kt_set_attrs(fd, 100, 50000, 1000, 4000, 64, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &child, 1);
	cap = kt_max_snapshot(fd);
	buf = malloc(cap);
	KT_ASSERT(buf);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	end = time(NULL) + SECONDS;
	while (time(NULL) < end) {
		const struct damon_snapshot *s;
		ssize_t len = read(fd, buf, cap);

		if (len <= 0)
			KT_FAIL("read: %zd (%s)", len, strerror(errno));
		off = 0;
		while ((s = kt_next_snapshot(buf, len, &off))) {
			kt_check_snapshot(s);
			snaps++;
		}
	}
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	close(fd);
	KT_SYS(kill(child, SIGUSR1));
	if (read(pipefd[0], &collapsed, sizeof(collapsed)) != sizeof(collapsed) ||
	    read(pipefd[0], &tries, sizeof(tries)) != sizeof(tries))
		KT_FAIL("the churning child did not report");
	KT_SYS(waitpid(child, &status, 0));
	KT_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status));
	printf("# %lu of %lu MADV_COLLAPSE calls took; %lu snapshots\n",
	       collapsed, tries, snaps);
	KT_ASSERT(snaps > 0);
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK)) {
		KT_ASSERT(collapsed == 0);
		kt_pass("%lu snapshots sampled a target whose page tables were zapped %lu times, kernel quiet (no THP in this kernel: nothing to collapse)",
			snaps, tries);
	} else {
		if (collapsed == 0)
			KT_FAIL("the kernel has THP but none of %lu MADV_COLLAPSE calls took: the race was not exercised",
				tries);
		kt_pass("%lu snapshots sampled a target whose page tables were collapsed %lu times and zapped %lu times, kernel quiet",
			snaps, collapsed, tries);
	}
	free(buf);
	return 0;
}
