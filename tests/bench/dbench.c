// SPDX-License-Identifier: GPL-2.0
/*
 * dbench: the in-VM half of the benchmark (tests/bench/run-bench is the
 * host half that plans the runs and computes the figures).
 *
 *   dbench run --out FILE [--raw PREFIX] [--session SPEC]... [--peer K]
 *              [--peer-ms MS] [--pagemap] [--until-exit] [--monitor-cpu N]
 *              [--sham SPIN_US:PERIOD_US] -- MASIM ARGS...
 *
 * Starts the workload (masim, given fds 3 and 4 for --ready-fd/--go-fd),
 * waits until its memory is populated, then runs each --session in turn
 * on it: SPEC is LABEL:SAMPLE_US:AGGR_US:MIN:MAX:FLAGS:AGGRS, FLAGS being
 * "tlb" (DAMON_ATTR_TLB_FLUSH) or "none", AGGRS the snapshots to collect
 * (0: until the workload exits).  The workload is released (go) once the
 * first session has started, or at once if there is none.  Snapshots are
 * kept in memory and written raw, as read(), to PREFIX-LABEL.raw at the
 * end.  Then --peer K working-set estimates the wss.pl way: write "1" to
 * /proc/PID/clear_refs, wait --peer-ms, read /proc/PID/smaps and sum
 * Referenced; the CPU time of both steps (this thread's, which includes
 * the kernel's work in the syscalls) is recorded.  --pagemap times one
 * read of /proc/PID/pagemap over the workload's areas (a bare page-table
 * walk).  With --until-exit the workload is waited for, else it gets
 * SIGTERM at the end.  --monitor-cpu N pins this process and every
 * session's kernel thread (damondev/PID) to CPU N.  --sham runs, instead
 * of a monitor, a process on the monitor's CPU that wakes every PERIOD_US
 * and spins for SPIN_US: the CPU load of a monitor without its work on
 * the target (a control for effects of the emulator and the host).
 *
 *   dbench memory --out FILE --label L --targets N|max --max-regions M|max
 *                 --depth D|max [--min-regions M] [--target-size MIB]
 *
 * Kernel memory of one session: the opener moves itself into a fresh
 * memory cgroup (cgroup v2, mounted if needed), opens a session for N
 * targets (the first maps and populates SIZE bytes, the others sleep),
 * starts it and waits until the queue is full; memory.current and
 * /proc/meminfo are read before, at start, with the queue full and after
 * close.  "max" takes the handshake's max_nr_regions (and min = max
 * unless --min-regions is given), the deepest queue and the most targets
 * that max_session_memory allows.
 *
 * Output: JSON lines on --out.  Exit status 0, or 1 with a message.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <dirent.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"
/* the module's region struct, for the memory model */
#include "../../kmod/regions.h"

#define MAX_SESSIONS	16
#define DMON_MAX_TARGETS_BENCH	64

struct session_spec {
	char label[32];
	unsigned long long sample_us, aggr_us;
	unsigned int min_regions, max_regions, flags, aggrs;
};

static FILE *out;
static int monitor_cpu = -1;

static void pin(pid_t tid, int cpu, const char *what)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(tid, sizeof(set), &set))
		KT_FAIL("cannot pin %s to CPU %d: %s", what, cpu, strerror(errno));
}

/* The session's kernel thread: named damondev/<our pid>. */
static pid_t find_kdamond(void)
{
	char want[32], path[300], comm[64];
	struct dirent *d;
	pid_t found = 0;
	DIR *dir;

	snprintf(want, sizeof(want), "damondev/%d", getpid());
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while (!found && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (!strcmp(comm, want))
				found = atoi(d->d_name);
		}
		fclose(f);
	}
	closedir(dir);
	return found;
}

static unsigned long long clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static unsigned long long thread_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

static void parse_session(const char *s, struct session_spec *sp)
{
	char flags[16];

	memset(sp, 0, sizeof(*sp));
	if (sscanf(s, "%31[^:]:%llu:%llu:%u:%u:%15[^:]:%u", sp->label,
		   &sp->sample_us, &sp->aggr_us, &sp->min_regions,
		   &sp->max_regions, flags, &sp->aggrs) != 7)
		KT_FAIL("bad --session %s (LABEL:SAMPLE_US:AGGR_US:MIN:MAX:tlb|none:AGGRS)", s);
	if (!strcmp(flags, "tlb"))
		sp->flags = DAMON_ATTR_TLB_FLUSH;
	else if (strcmp(flags, "none"))
		KT_FAIL("flags are tlb or none, not %s", flags);
}

/* The workload: masim with ready on fd 3 and go on fd 4. */
struct workload {
	pid_t pid;
	int go;
	bool released;
	unsigned long span_start, span_end;
};

static void start_workload(struct workload *w, char **argv)
{
	int ready[2], go[2];
	char c;

	KT_SYS(pipe(ready));
	KT_SYS(pipe(go));
	w->pid = KT_SYS(fork());
	if (!w->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(ready[1], 3) < 0 || dup2(go[0], 4) < 0)
			_exit(127);
		close_range(5, ~0U, 0);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) != 1)
		KT_FAIL("the workload died before it was ready");
	close(ready[0]);
	w->go = go[1];
	w->released = false;
}

static void release_workload(struct workload *w)
{
	char c = 'g';

	if (w->released)
		return;
	if (write(w->go, &c, 1) != 1)
		KT_FAIL("cannot release the workload: %s", strerror(errno));
	close(w->go);
	w->released = true;
}

/* Read a whole /proc file quickly, summing Referenced: and Rss: lines. */
static void read_smaps(pid_t pid, unsigned long long *rss_kb,
		       unsigned long long *ref_kb)
{
	static char buf[1 << 16];
	char path[64], *line, *nl;
	size_t have = 0;
	ssize_t n;
	int fd;

	*rss_kb = *ref_kb = 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	fd = KT_SYS(open(path, O_RDONLY | O_CLOEXEC));
	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0)
			KT_FAIL("read %s: %s", path, strerror(errno));
		have += n;
		buf[have] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			unsigned long long v;

			*nl = 0;
			if (!strncmp(line, "Referenced:", 11) &&
			    sscanf(line + 11, "%llu", &v) == 1)
				*ref_kb += v;
			else if (!strncmp(line, "Rss:", 4) &&
				 sscanf(line + 4, "%llu", &v) == 1)
				*rss_kb += v;
			line = nl + 1;
		}
		have -= line - buf;
		memmove(buf, line, have);
		if (!n)
			break;
	}
	close(fd);
}

static void peer(pid_t pid, unsigned int k, unsigned int ms)
{
	char path[64];
	unsigned int i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", pid);
	fd = KT_SYS(open(path, O_WRONLY | O_CLOEXEC));
	for (i = 0; i < k; i++) {
		unsigned long long c0, c1, c2, c3, w0, w1, w2, w3, rss, ref;

		w0 = mono_ns();
		c0 = thread_ns();
		KT_SYS(pwrite(fd, "1", 1, 0));
		c1 = thread_ns();
		w1 = mono_ns();
		usleep(ms * 1000);
		w2 = mono_ns();
		c2 = thread_ns();
		read_smaps(pid, &rss, &ref);
		c3 = thread_ns();
		w3 = mono_ns();
		emit("{\"event\":\"peer\",\"i\":%u,\"clear_cpu_ns\":%llu,\"clear_wall_ns\":%llu,"
		     "\"smaps_cpu_ns\":%llu,\"smaps_wall_ns\":%llu,\"interval_ns\":%llu,"
		     "\"rss_kb\":%llu,\"referenced_kb\":%llu}",
		     i, c1 - c0, w1 - w0, c3 - c2, w3 - w2, w2 - w1, rss, ref);
	}
	close(fd);
}

/* Read /proc/PID/pagemap over [start, end): one bare walk of every PTE. */
static void pagemap(pid_t pid, unsigned long start, unsigned long end)
{
	static uint64_t ent[65536];
	unsigned long long c0, c1, pages = 0, present = 0;
	char path[64];
	unsigned long a;
	int fd, rep;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = KT_SYS(open(path, O_RDONLY | O_CLOEXEC));
	for (rep = 0; rep < 3; rep++) {
		pages = present = 0;
		c0 = thread_ns();
		for (a = start; a < end; ) {
			size_t n = (end - a) / 4096;
			ssize_t got;
			size_t j;

			if (n > 65536)
				n = 65536;
			got = KT_SYS(pread(fd, ent, n * 8, (a / 4096) * 8));
			if (got <= 0)
				break;
			for (j = 0; j < (size_t)got / 8; j++)
				present += ent[j] >> 63;
			pages += got / 8;
			a += (got / 8) * 4096;
		}
		c1 = thread_ns();
		emit("{\"event\":\"pagemap\",\"rep\":%d,\"pages\":%llu,\"present\":%llu,\"cpu_ns\":%llu}",
		     rep, pages, present, c1 - c0);
	}
	close(fd);
}

/* Start and end of the workload's areas, from its log's "start" line. */
static void find_span(const char *log, unsigned long *start, unsigned long *end)
{
	char line[1 << 14], *p;
	FILE *f = fopen(log, "r");

	*start = ~0UL;
	*end = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		for (p = line; (p = strstr(p, "\"start\":")); p++) {
			unsigned long s = strtoul(p + 8, NULL, 10), e;
			char *q = strstr(p, "\"end\":");

			if (!q)
				break;
			e = strtoul(q + 6, NULL, 10);
			if (s < *start)
				*start = s;
			if (e > *end)
				*end = e;
		}
	}
	fclose(f);
}

struct record_buf {
	char *data;
	size_t len, cap;
};

static void keep(struct record_buf *rb, const char *p, size_t n)
{
	if (rb->len + n > rb->cap) {
		rb->cap = (rb->len + n) * 2;
		rb->data = realloc(rb->data, rb->cap);
		if (!rb->data)
			KT_FAIL("out of memory keeping snapshots");
	}
	memcpy(rb->data + rb->len, p, n);
	rb->len += n;
}

static void run_session(struct workload *w, const struct session_spec *sp,
			const char *raw_prefix)
{
	struct damon_status st;
	struct record_buf rb = {};
	unsigned int got = 0;
	unsigned long long t0, t1;
	size_t len;
	char *buf;
	int fd = kt_open();

	kt_set_attrs(fd, sp->sample_us, sp->aggr_us, sp->min_regions,
		     sp->max_regions, 64, sp->flags);
	kt_set_targets(fd, &w->pid, 1);
	len = kt_max_snapshot(fd) * 64;
	buf = malloc(len);
	if (!buf)
		KT_FAIL("out of memory");
	t0 = mono_ns();
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	if (monitor_cpu >= 0) {
		pid_t k = find_kdamond();

		if (!k)
			KT_FAIL("no damondev/%d thread to pin", getpid());
		pin(k, monitor_cpu, "the kdamond");
	}
	release_workload(w);
	while (!sp->aggrs || got < sp->aggrs) {
		ssize_t n = KT_SYS(read(fd, buf, len));
		const struct damon_snapshot *s;
		size_t off = 0;

		if (!n)
			break;
		while ((s = kt_next_snapshot(buf, n, &off))) {
			kt_check_snapshot(s);
			got++;
		}
		keep(&rb, buf, n);
	}
	t1 = mono_ns();
	kt_status(fd, &st);
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	kt_status(fd, &st);
	close(fd);
	emit("{\"event\":\"session\",\"label\":\"%s\",\"sample_us\":%llu,\"aggr_us\":%llu,"
	     "\"min_nr_regions\":%u,\"max_nr_regions\":%u,\"tlb_flush\":%s,"
	     "\"snapshots_read\":%u,\"snapshots\":%llu,\"dropped\":%llu,\"cpu_ns\":%llu,"
	     "\"wall_ns\":%llu,\"start_ns\":%llu,\"monitor_cpu\":%d}",
	     sp->label, sp->sample_us, sp->aggr_us, sp->min_regions,
	     sp->max_regions, sp->flags ? "true" : "false", got,
	     (unsigned long long)st.snapshots, (unsigned long long)st.dropped,
	     (unsigned long long)st.cpu_ns, t1 - t0, t0, monitor_cpu);
	if (raw_prefix) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s-%s.raw", raw_prefix, sp->label);
		f = fopen(path, "w");
		if (!f || fwrite(rb.data, 1, rb.len, f) != rb.len || fclose(f))
			KT_FAIL("cannot write %s", path);
	}
	free(rb.data);
	free(buf);
}

/* A process that burns CPU like a periodic monitor, until killed. */
static pid_t start_sham(const char *spec)
{
	unsigned long long spin_us, period_us, next;
	struct timespec ts;
	pid_t pid;

	if (sscanf(spec, "%llu:%llu", &spin_us, &period_us) != 2 || !period_us)
		KT_FAIL("bad --sham %s (SPIN_US:PERIOD_US)", spec);
	pid = KT_SYS(fork());
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	next = mono_ns();
	for (;;) {
		unsigned long long t0 = thread_ns();

		while (thread_ns() - t0 < spin_us * 1000)
			;
		next += period_us * 1000;
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

static int cmd_run(int argc, char **argv)
{
	struct session_spec specs[MAX_SESSIONS];
	unsigned int nr_specs = 0, peer_k = 0, peer_ms = 100, i;
	const char *raw = NULL, *log = NULL, *sham = NULL;
	bool do_pagemap = false, until_exit = false;
	pid_t sham_pid = 0;
	struct workload w = {};
	int status, a;

	for (a = 2; a < argc && strcmp(argv[a], "--"); a++) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : "";

		if (!strcmp(o, "--pagemap")) {
			do_pagemap = true;
			continue;
		}
		if (!strcmp(o, "--until-exit")) {
			until_exit = true;
			continue;
		}
		a++;
		if (!strcmp(o, "--out")) {
			out = fopen(v, "w");
			if (!out)
				KT_FAIL("cannot write %s", v);
		} else if (!strcmp(o, "--raw")) {
			raw = v;
		} else if (!strcmp(o, "--session") && nr_specs < MAX_SESSIONS) {
			parse_session(v, &specs[nr_specs++]);
		} else if (!strcmp(o, "--peer")) {
			peer_k = atoi(v);
		} else if (!strcmp(o, "--peer-ms")) {
			peer_ms = atoi(v);
		} else if (!strcmp(o, "--sham")) {
			sham = v;
		} else if (!strcmp(o, "--monitor-cpu")) {
			monitor_cpu = atoi(v);
			pin(0, monitor_cpu, "dbench");
		} else {
			KT_FAIL("unknown option %s", o);
		}
	}
	if (a >= argc - 1)
		KT_FAIL("no workload command after --");
	if (!out)
		out = stdout;
	for (i = a + 1; (int)i < argc - 1; i++)
		if (!strcmp(argv[i], "--log"))
			log = argv[i + 1];

	start_workload(&w, argv + a + 1);
	emit("{\"event\":\"workload\",\"pid\":%d,\"ready_ns\":%llu}", w.pid, mono_ns());
	if (sham)
		sham_pid = start_sham(sham);
	for (i = 0; i < nr_specs; i++)
		run_session(&w, &specs[i], raw);
	release_workload(&w);
	if (peer_k)
		peer(w.pid, peer_k, peer_ms);
	if (do_pagemap) {
		if (!log)
			KT_FAIL("--pagemap needs the workload's --log");
		find_span(log, &w.span_start, &w.span_end);
		if (w.span_start >= w.span_end)
			KT_FAIL("no areas in %s", log);
		pagemap(w.pid, w.span_start, w.span_end);
	}
	if (!until_exit)
		kill(w.pid, SIGTERM);
	KT_SYS(waitpid(w.pid, &status, 0));
	if (sham_pid) {
		struct rusage ru;
		int st;

		kill(sham_pid, SIGKILL);
		KT_SYS(wait4(sham_pid, &st, 0, &ru));
		emit("{\"event\":\"sham\",\"spec\":\"%s\",\"cpu_ns\":%llu}", sham,
		     (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
		     (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL);
	}
	emit("{\"event\":\"exit\",\"status\":%d,\"t_ns\":%llu}", status, mono_ns());
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		KT_FAIL("the workload ended with status %#x", status);
	return 0;
}

/* ---- memory ---- */

#define CG_ROOT "/sys/fs/cgroup"

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		KT_FAIL("write %s to %s: %s", s, path, strerror(errno));
	close(fd);
}

static unsigned long long read_ull(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%llu", &v) != 1)
		KT_FAIL("read %s", path);
	fclose(f);
	return v;
}

struct meminfo {
	long long free, slab, sunreclaim, vmalloc, kstack, pagetables;
};

static void read_meminfo(struct meminfo *m)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	memset(m, 0, sizeof(*m));
	if (!f)
		KT_FAIL("/proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemFree: %lld", &m->free);
		sscanf(line, "Slab: %lld", &m->slab);
		sscanf(line, "SUnreclaim: %lld", &m->sunreclaim);
		sscanf(line, "VmallocUsed: %lld", &m->vmalloc);
		sscanf(line, "KernelStack: %lld", &m->kstack);
		sscanf(line, "PageTables: %lld", &m->pagetables);
	}
	fclose(f);
}

static char cg_dir[128];

static void enter_cgroup(void)
{
	char path[256], pid[32];
	struct stat sb;

	snprintf(path, sizeof(path), CG_ROOT "/cgroup.controllers");
	if (stat(path, &sb)) {
		mkdir(CG_ROOT, 0755);
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			KT_FAIL("mount cgroup2: %s", strerror(errno));
	}
	write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	snprintf(cg_dir, sizeof(cg_dir), CG_ROOT "/dbench-%d", getpid());
	if (mkdir(cg_dir, 0755) && errno != EEXIST)
		KT_FAIL("mkdir %s: %s", cg_dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg_dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	write_file(path, pid);
}

static unsigned long long cg_current(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/memory.current", cg_dir);
	return read_ull(path);
}

/* Exact counters of the cgroup (memory.current is batched per CPU). */
static void cg_stat(unsigned long long *kernel, unsigned long long *vmalloc,
		    unsigned long long *slab, unsigned long long *kstack)
{
	char path[256], line[256];
	FILE *f;

	*kernel = *vmalloc = *slab = *kstack = 0;
	snprintf(path, sizeof(path), "%s/memory.stat", cg_dir);
	f = fopen(path, "r");
	if (!f)
		KT_FAIL("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "kernel %llu", kernel);
		sscanf(line, "vmalloc %llu", vmalloc);
		sscanf(line, "slab %llu", slab);
		sscanf(line, "kernel_stack %llu", kstack);
	}
	fclose(f);
}

static void emit_mem(const char *label, const char *step,
		     unsigned long long cg, const struct meminfo *m)
{
	unsigned long long kernel, vmalloc, slab, kstack;

	cg_stat(&kernel, &vmalloc, &slab, &kstack);
	emit("{\"event\":\"memory\",\"label\":\"%s\",\"step\":\"%s\",\"cgroup_bytes\":%llu,"
	     "\"cg_kernel\":%llu,\"cg_vmalloc\":%llu,\"cg_slab\":%llu,\"cg_kernel_stack\":%llu,"
	     "\"memfree_kb\":%lld,\"slab_kb\":%lld,\"sunreclaim_kb\":%lld,\"vmalloc_kb\":%lld,"
	     "\"kernelstack_kb\":%lld,\"pagetables_kb\":%lld}",
	     label, step, cg, kernel, vmalloc, slab, kstack, m->free, m->slab,
	     m->sunreclaim, m->vmalloc, m->kstack, m->pagetables);
}

static void settle(void)
{
	/* Let RCU-freed and per-CPU cached objects go back first. */
	sync();
	usleep(200000);
}

static int cmd_memory(int argc, char **argv)
{
	const char *label = "memory", *max_regions = "1000", *depth_s = "16";
	unsigned int nr_targets = 1, min_regions = 10, max_r, depth, i;
	size_t target_size = 256UL << 20;
	pid_t pids[DMON_MAX_TARGETS_BENCH];
	struct damon_handshake hs;
	struct damon_status st;
	struct meminfo m;
	unsigned long base;
	unsigned long long snap_size, deadline;
	int a, fd;
	char *touch;

	for (a = 2; a + 1 < argc; a += 2) {
		const char *o = argv[a], *v = argv[a + 1];

		if (!strcmp(o, "--out")) {
			out = fopen(v, "w");
			if (!out)
				KT_FAIL("cannot write %s", v);
		} else if (!strcmp(o, "--label")) {
			label = v;
		} else if (!strcmp(o, "--targets")) {
			nr_targets = strcmp(v, "max") ? atoi(v) : 0;
		} else if (!strcmp(o, "--max-regions")) {
			max_regions = v;
		} else if (!strcmp(o, "--min-regions")) {
			min_regions = atoi(v);
		} else if (!strcmp(o, "--depth")) {
			depth_s = v;
		} else if (!strcmp(o, "--target-size")) {
			target_size = strtoull(v, NULL, 0) << 20;
		} else {
			KT_FAIL("unknown option %s", o);
		}
	}
	if (!out)
		out = stdout;

	fd = kt_open();
	kt_handshake(fd, &hs);
	max_r = !strcmp(max_regions, "max") ? hs.max_nr_regions : (unsigned int)atoi(max_regions);
	if (!strcmp(max_regions, "max") && min_regions == 10)
		min_regions = max_r;
	if (!nr_targets)	/* "max": as many as one snapshot allows */
		nr_targets = hs.max_targets;
	if (nr_targets > DMON_MAX_TARGETS_BENCH)
		KT_FAIL("--targets 1..%d", DMON_MAX_TARGETS_BENCH);

	/* Targets first: they must not be charged to the session's cgroup. */
	pids[0] = kt_spawn_toucher(target_size, 0, 1UL << 20, &base);
	for (i = 1; i < nr_targets; i++)
		pids[i] = kt_spawn_sleeper();

	/* The most targets and deepest queue the bound allows. */
	kt_set_attrs(fd, 10000, 20000, min_regions, max_r, 1, 0);
	for (;;) {
		struct damon_targets t = {
			.size = sizeof(t), .nr_pids = nr_targets,
			.pids = (uintptr_t)pids,
		};

		if (!ioctl(fd, DAMON_IOC_SET_TARGETS, &t))
			break;
		if (errno != EINVAL || t.err_reason != DAMON_ERR_TOO_MUCH_MEMORY ||
		    nr_targets == 1)
			KT_FAIL("SET_TARGETS: %s (reason %u)", strerror(errno), t.err_reason);
		kt_kill(pids[--nr_targets]);
	}
	snap_size = kt_max_snapshot(fd);
	if (!strcmp(depth_s, "max")) {
		/* The deepest queue the module accepts (it counts rounding). */
		unsigned int lo = 1, hi = hs.max_queue_depth;

		while (lo < hi) {
			unsigned int mid = lo + (hi - lo + 1) / 2;
			struct damon_attrs at = {
				.size = sizeof(at), .sample_us = 10000,
				.aggr_us = 20000, .min_nr_regions = min_regions,
				.max_nr_regions = max_r, .queue_depth = mid,
			};

			if (!ioctl(fd, DAMON_IOC_SET_ATTRS, &at))
				lo = mid;
			else if (errno == EINVAL &&
				 at.err_reason == DAMON_ERR_TOO_MUCH_MEMORY)
				hi = mid - 1;
			else
				KT_FAIL("SET_ATTRS depth %u: %s (field %u reason %u)",
					mid, strerror(errno), at.err_field,
					at.err_reason);
		}
		depth = lo;
	} else {
		depth = (unsigned int)atoi(depth_s);
	}
	if (depth > hs.max_queue_depth)
		depth = hs.max_queue_depth;
	close(fd);

	/* Everything this process needs, touched before the first reading. */
	touch = malloc(1 << 20);
	memset(touch, 0, 1 << 20);
	enter_cgroup();
	settle();
	read_meminfo(&m);
	emit_mem(label, "before", cg_current(), &m);

	fd = kt_open();
	kt_set_attrs(fd, 10000, 20000, min_regions, max_r, depth, 0);
	kt_set_targets(fd, pids, nr_targets);
	read_meminfo(&m);
	emit_mem(label, "configured", cg_current(), &m);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	read_meminfo(&m);
	emit_mem(label, "started", cg_current(), &m);
	deadline = mono_ns() + 120000000000ULL;
	do {
		usleep(100000);
		kt_status(fd, &st);
		if (mono_ns() > deadline)
			KT_FAIL("the queue did not fill: %llu of %u queued",
				(unsigned long long)st.queued, depth);
	} while (st.queued < depth);
	{
		struct damon_target_status ts[DMON_MAX_TARGETS_BENCH];
		unsigned long long regions = 0;

		st.targets = (uintptr_t)ts;
		st.targets_len = nr_targets;
		st.size = sizeof(st);
		KT_SYS(ioctl(fd, DAMON_IOC_STATUS, &st));
		for (i = 0; i < nr_targets; i++)
			regions += ts[i].nr_regions;
		read_meminfo(&m);
		emit_mem(label, "full", cg_current(), &m);
		emit("{\"event\":\"memory_config\",\"label\":\"%s\",\"nr_targets\":%u,"
		     "\"min_nr_regions\":%u,\"max_nr_regions\":%u,\"queue_depth\":%u,"
		     "\"queued\":%llu,\"nr_regions_in_use\":%llu,\"max_snapshot_size\":%llu,"
		     "\"max_session_memory\":%llu,\"region_struct_bytes\":%zu}",
		     label, nr_targets, min_regions, max_r, depth,
		     (unsigned long long)st.queued, regions, snap_size,
		     (unsigned long long)hs.max_session_memory,
		     sizeof(struct dmon_region));
	}
	close(fd);
	settle();
	read_meminfo(&m);
	emit_mem(label, "closed", cg_current(), &m);
	for (i = 0; i < nr_targets; i++)
		kt_kill(pids[i]);
	free(touch);
	/* Leave the cgroup so that it can be removed. */
	write_file(CG_ROOT "/cgroup.procs", "0");
	rmdir(cg_dir);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "memory"))
		return cmd_memory(argc, argv);
	fputs("usage: dbench run|memory ... (see the comment at the top of dbench.c)\n",
	      stderr);
	return 2;
}
