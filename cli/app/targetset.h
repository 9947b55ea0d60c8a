/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_TARGETSET_H
#define DAMONCTL_TARGETSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Targets as people think of them: a cgroup v2 directory (every process
 * in it and in its descendants) or a process and, with follow_children,
 * the processes it forks.  A group is rescanned once per regions update
 * interval; the caller turns what changed into DAMON_IOC_SET_TARGETS.
 * One target per address space: cgroup.procs and /proc list processes,
 * not threads.  Kernel threads have no address space and are left out.
 */

enum tgroup_kind { TGROUP_CGROUP, TGROUP_PID };

struct tgroup {
	enum tgroup_kind kind;
	char *path;		/* TGROUP_CGROUP: the directory as given */
	int32_t pid;		/* TGROUP_PID: the process */
	uint64_t pid_start;	/* its start time, so a reused pid is not it */
	bool follow_children;
	char *label;		/* the cgroup label of its metrics */
};

/* A process found by a scan. */
struct tproc {
	int32_t pid;
	uint64_t start;		/* /proc/PID/stat starttime (clock ticks) */
};

/* qsort()'s comparison for arrays of struct tproc: by pid. */
int tproc_cmp(const void *a, const void *b);
/* Whether v[0..n), sorted by tproc_cmp, holds this process. */
bool tproc_sorted_has(const struct tproc *v, size_t n, int32_t pid,
		      uint64_t start);
/* The same for an unsorted v. */
bool tproc_has(const struct tproc *v, size_t n, int32_t pid, uint64_t start);

/*
 * Checks that path is a cgroup v2 directory and fills g.  0, or EXIT_USAGE
 * after a sentence saying what is wrong and what to do.
 */
int tgroup_init_cgroup(struct tgroup *g, const char *path);
/* 0, or EXIT_FAIL after saying that the process does not exist. */
int tgroup_init_pid(struct tgroup *g, int32_t pid, bool follow_children);
void tgroup_free(struct tgroup *g);

/*
 * The group's processes now, sorted by pid, in a malloc()ed array (*out,
 * NULL when there are none).  Returns the number, or -1 when the group
 * itself is gone (the cgroup was removed, the process exited) and
 * nothing else is wrong; -2 when out of memory.
 */
long tgroup_scan(const struct tgroup *g, struct tproc **out);

/* /proc/PID/stat's starttime; 0 if the process is gone. */
uint64_t proc_start_time(int32_t pid);
/* "0::/a/b" of /proc/PID/cgroup as "/a/b" into buf; "" if unknown. */
void proc_cgroup(int32_t pid, char *buf, size_t len);
/* /proc/PID/comm without the newline; "?" if unreadable. */
void proc_comm(int32_t pid, char *buf, size_t len);

#endif
