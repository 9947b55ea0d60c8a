// SPDX-License-Identifier: GPL-2.0
/*
 * Target groups: which processes a cgroup or a process tree holds now.
 * Everything is read from cgroupfs and /proc at each scan rather than
 * remembered, so a scan after a fork, an exit or a cgroup move is right
 * without events to miss.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cmdline.h"
#include "msg.h"
#include "targetset.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC	0x27e0eb
#endif
/* task_struct flags bit of a kernel thread, as /proc/PID/stat shows it */
#define PROC_FLAG_KTHREAD	0x00200000UL

struct plist {
	struct tproc *v;
	size_t n, cap;
};

static int plist_add(struct plist *l, int32_t pid, uint64_t start)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct tproc *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].pid = pid;
	l->v[l->n].start = start;
	l->n++;
	return 0;
}

int tproc_cmp(const void *a, const void *b)
{
	const struct tproc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

bool tproc_sorted_has(const struct tproc *v, size_t n, int32_t pid,
		      uint64_t start)
{
	struct tproc key = { .pid = pid };
	const struct tproc *hit = n ? bsearch(&key, v, n, sizeof(*v),
					      tproc_cmp) : NULL;

	return hit && hit->start == start;
}

bool tproc_has(const struct tproc *v, size_t n, int32_t pid, uint64_t start)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid && v[i].start == start)
			return true;
	return false;
}

static void plist_sort_unique(struct plist *l)
{
	size_t i, j = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), tproc_cmp);
	for (i = 1; i < l->n; i++)
		if (l->v[i].pid != l->v[j].pid)
			l->v[++j] = l->v[i];
	l->n = j + 1;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Start time and whether it is a kernel thread, from /proc/PID/stat. */
static uint64_t stat_start(int32_t pid, bool *kthread)
{
	char path[64], buf[1024], *p, *tok, *save = NULL;
	unsigned long flags = 0;
	uint64_t start = 0;
	int field;

	snprintf(path, sizeof(path), "/proc/%" PRId32 "/stat", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* comm may hold spaces and parentheses: fields resume after the
	 * last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 3, tok = strtok_r(p + 1, " ", &save); tok;
	     field++, tok = strtok_r(NULL, " ", &save)) {
		if (field == 9)
			flags = strtoul(tok, NULL, 10);
		if (field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	}
	if (kthread)
		*kthread = flags & PROC_FLAG_KTHREAD;
	/* A process started at boot tick 0 still needs a non-zero identity. */
	return start + 1;
}

uint64_t proc_start_time(int32_t pid)
{
	return stat_start(pid, NULL);
}

void proc_comm(int32_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%" PRId32 "/comm", pid);
	n = read_small(path, buf, len);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

void proc_cgroup(int32_t pid, char *buf, size_t len)
{
	char path[64], text[4096], *line, *save = NULL;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%" PRId32 "/cgroup", pid);
	if (read_small(path, text, sizeof(text)) <= 0)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3)) {
			snprintf(buf, len, "%s", line + 3);
			return;
		}
}

/* The directory relative to the cgroup2 mount it lies in: "/a/b". */
static char *cgroup_label(const char *real)
{
	char line[4096], best[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t blen = 0;
	char *label;

	while (f && fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], *sep = strstr(line, " - ");
		size_t n;

		if (!sep || strncmp(sep, " - cgroup2 ", 11) ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		n = strlen(mnt);
		if (!strncmp(real, mnt, n) && (real[n] == '/' || !real[n] ||
					       !strcmp(mnt, "/")) && n > blen) {
			snprintf(best, sizeof(best), "%s", mnt);
			blen = n;
		}
	}
	if (f)
		fclose(f);
	if (!blen)
		return strdup(real);
	if (!strcmp(best, "/"))
		return strdup(real);
	label = strdup(real[blen] ? real + blen : "/");
	return label;
}

int tgroup_init_cgroup(struct tgroup *g, const char *path)
{
	char real[PATH_MAX], procs[PATH_MAX + 16];
	struct statfs sfs;
	struct stat st;

	memset(g, 0, sizeof(*g));
	g->kind = TGROUP_CGROUP;
	if (stat(path, &st))
		return cmdline_usage("--cgroup %s: %s; give the directory of a "
				    "cgroup v2, e.g. /sys/fs/cgroup/system.slice/"
				    "NAME.service", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cmdline_usage("--cgroup %s is not a directory; give a "
				    "cgroup's directory, e.g. /sys/fs/cgroup/"
				    "system.slice/NAME.service", path);
	if (statfs(path, &sfs))
		return cmdline_usage("--cgroup %s: %s", path, strerror(errno));
	if ((unsigned long)sfs.f_type == CGROUP_SUPER_MAGIC)
		return cmdline_usage("--cgroup %s is in a cgroup v1 hierarchy; "
				    "damonctl reads cgroup v2 only (the unified "
				    "hierarchy, mounted at /sys/fs/cgroup on "
				    "Debian 12): give the same cgroup there",
				    path);
	if ((unsigned long)sfs.f_type != CGROUP2_SUPER_MAGIC)
		return cmdline_usage("--cgroup %s is not a cgroup: give a "
				    "directory under the cgroup v2 mount "
				    "(usually /sys/fs/cgroup)", path);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	if (access(procs, R_OK))
		return cmdline_usage("cannot read %s: %s", procs,
				    strerror(errno));
	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	g->path = strdup(path);
	g->label = cgroup_label(real);
	if (!g->path || !g->label) {
		tgroup_free(g);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	return 0;
}

int tgroup_init_pid(struct tgroup *g, int32_t pid, bool follow_children)
{
	char cg[PATH_MAX];

	memset(g, 0, sizeof(*g));
	g->kind = TGROUP_PID;
	g->pid = pid;
	g->follow_children = follow_children;
	g->pid_start = proc_start_time(pid);
	if (!g->pid_start) {
		errmsg("there is no process %" PRId32 ": check the pid "
		       "(ps -e lists them)", pid);
		return EXIT_FAIL;
	}
	proc_cgroup(pid, cg, sizeof(cg));
	g->label = strdup(cg[0] ? cg : "/");
	if (!g->label) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	return 0;
}

void tgroup_free(struct tgroup *g)
{
	free(g->path);
	free(g->label);
	g->path = g->label = NULL;
}

/* Adds the processes of cgroup.procs under dirfd, then its children's.
 * -1 on out of memory; a directory that vanishes meanwhile is skipped. */
static int scan_cgroup_dir(int dirfd, struct plist *l, int depth)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd >= 0) {
		FILE *f = fdopen(fd, "re");
		long pid;

		if (!f) {
			close(fd);
			return -1;
		}
		while (fscanf(f, "%ld", &pid) == 1) {
			bool kthread = false;
			uint64_t start = stat_start((int32_t)pid, &kthread);

			if (start && !kthread && plist_add(l, (int32_t)pid, start)) {
				fclose(f);
				return -1;
			}
		}
		fclose(f);
	}
	/* cgroupfs nests at most a few levels in practice; this only stops
	 * a pathological tree from exhausting the stack. */
	if (depth > 64)
		return 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (scan_cgroup_dir(sub, l, depth + 1)) {
			close(sub);
			closedir(d);
			return -1;
		}
		close(sub);
	}
	closedir(d);
	return 0;
}

/* Adds the children of pid, of every thread (a thread may fork). */
static int add_children(int32_t pid, struct plist *l)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%" PRId32 "/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char cpath[384], buf[8192], *tok, *save = NULL;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "%s/%s/children", path, de->d_name);
		if (read_small(cpath, buf, sizeof(buf)) <= 0)
			continue;
		for (tok = strtok_r(buf, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save)) {
			int32_t child = (int32_t)strtol(tok, NULL, 10);
			uint64_t start = child > 0 ? proc_start_time(child) : 0;

			if (start && plist_add(l, child, start)) {
				closedir(d);
				return -1;
			}
		}
	}
	closedir(d);
	return 0;
}

/* Kernels without CONFIG_PROC_CHILDREN have no .../children file. */
static bool have_children_file(void)
{
	static int have = -1;
	char path[64];

	if (have < 0) {
		snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
			 (long)getpid());
		have = access(path, R_OK) == 0;
	}
	return have;
}

struct pp {
	int32_t pid, ppid;
};

/* Without the children files: every process's parent from its stat. */
static int add_descendants_by_ppid(struct plist *l)
{
	struct pp *all = NULL;
	size_t n = 0, cap = 0, i, j;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[300], buf[1024], *p;
		long pid = strtol(de->d_name, &p, 10);
		long ppid;

		if (*p || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
			continue;
		if (n == cap) {
			struct pp *g;

			cap = cap ? 2 * cap : 256;
			g = realloc(all, cap * sizeof(*g));
			if (!g) {
				free(all);
				closedir(d);
				return -1;
			}
			all = g;
		}
		all[n].pid = (int32_t)pid;
		all[n].ppid = (int32_t)ppid;
		n++;
	}
	closedir(d);
	/* Breadth first: the list grows as it is walked. */
	for (i = 0; i < l->n; i++)
		for (j = 0; j < n; j++)
			if (all[j].ppid == l->v[i].pid) {
				uint64_t start = proc_start_time(all[j].pid);

				if (start && plist_add(l, all[j].pid, start)) {
					free(all);
					return -1;
				}
			}
	free(all);
	return 0;
}

long tgroup_scan(const struct tgroup *g, struct tproc **out)
{
	struct plist l = { 0 };
	size_t i;

	*out = NULL;
	if (g->kind == TGROUP_CGROUP) {
		int fd = open(g->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return -1;
		if (scan_cgroup_dir(fd, &l, 0)) {
			close(fd);
			free(l.v);
			return -2;
		}
		close(fd);
	} else {
		if (proc_start_time(g->pid) != g->pid_start)
			return -1;
		if (plist_add(&l, g->pid, g->pid_start))
			return -2;
		if (g->follow_children && !have_children_file()) {
			if (add_descendants_by_ppid(&l)) {
				free(l.v);
				return -2;
			}
		}
		/* Breadth first: the list grows as it is walked. */
		for (i = 0; g->follow_children && have_children_file() &&
		     i < l.n; i++)
			if (add_children(l.v[i].pid, &l)) {
				free(l.v);
				return -2;
			}
	}
	plist_sort_unique(&l);
	*out = l.v;
	return (long)l.n;
}
