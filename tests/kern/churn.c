// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded churn: 32 sessions of 8 targets each, drawn from a pool of
 * child processes that keep forking short-lived grandchildren, mapping,
 * unmapping, changing protections, dropping pages and switching THP on and
 * off, and that exit after a few seconds and are replaced, so that sessions
 * see their targets die.  Each session has a reader, fast (reads as soon as
 * poll says) or slow (sleeps between reads, so its queue overflows); readers
 * are interrupted by signals; controllers reconfigure sessions while they
 * run, stop and restart them.
 *
 * Checked: STOP returns within two aggregation intervals (99% of them;
 * every one within ten); every snapshot is well formed and its drop count is its sequence gap; the
 * signals interrupted reads or polls; once all fds are closed no damondev
 * thread is left.  (churn.sh then unloads and reloads the module.)
 *
 * A STOP may wait for the pass under way to end, so it must return within
 * two aggregation intervals; and since the emulator stalls whole vCPUs when
 * the host is busy, what the control (STATUS, which waits for no thread)
 * took at worst is added to that limit: seen once, a STOP of 304 ms beside
 * a STATUS of 179 ms.  The scheduler of a guest this loaded leaves a lone
 * STOP late now and then (283 ms beside a control of 18.5 ms): 1% may
 * pass that limit, none ten aggregation intervals.
 *
 * Usage: kern-churn [--seed N] [--seconds N] [--stop-limit-ms N]
 * (default: time, 90, two aggregation intervals).  --stop-limit-ms 0 only
 * reports STOP latencies: for a debug kernel, where KASAN makes a sample
 * some 20 times dearer and the kdamonds cannot keep up at all.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

#define NR_SESSIONS	32
#define NR_TARGETS	8
#define NR_CHILDREN	48	/* each a target of about 5 sessions */
#define NR_CONTROLLERS	4
#define NR_AREAS	6
#define AGGR_US		100000ULL
#define BUF_LEN		(1UL << 20)
#define MAX_STOPS	100000
#define HUGE		(2UL << 20)
#define CHILD_PAUSE_US	100000	/* mean pause between a child's operations */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	nanosleep(&ts, NULL);	/* a signal may cut it short: fine */
}

/* What the children did, counted in memory they share with us. */
enum child_op {
	OP_MAP, OP_UNMAP, OP_TRIM, OP_MPROTECT, OP_SPLIT, OP_DONTNEED,
	OP_HUGEPAGE, OP_NOHUGEPAGE, OP_THP_DISABLE, OP_FORK, OP_TOUCH, NR_OPS
};

static const char *const op_name[NR_OPS] = {
	"mmap", "munmap", "munmap half", "mprotect", "mprotect split",
	"MADV_DONTNEED", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE",
	"PR_SET_THP_DISABLE", "fork", "touch",
};

/*
 * The pool of targets, kept full by a small single-threaded spawner
 * process, which forks and reaps fast; shared with it.  A child about to
 * exit sets its pid to 0.
 */
struct pool {
	_Atomic pid_t pid[NR_CHILDREN];
	atomic_ulong spawned, exited;
	atomic_ulong ops[NR_OPS];	/* what the children did */
};

static struct pool *pool;

struct session {
	int fd;
	int id;
	bool slow;
	pthread_t reader;
	pid_t pids[NR_TARGETS];
	/* the reader's view */
	unsigned long reads, records, dropped, eintr, eofs, exited_seen;
	uint64_t cpu_ns, span_ns, samples_done, samples_due;
	uint64_t prev_seq;
	bool have_prev;
};

static unsigned long long seed;
static uint64_t stop_limit_ns = 2 * AGGR_US * 1000;	/* 0: not checked */
static atomic_bool running = true, signalling = true;
static struct session sessions[NR_SESSIONS];
static pthread_t controllers[NR_CONTROLLERS];

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t stop_ns[MAX_STOPS], status_ns[MAX_STOPS];
static unsigned long nr_stops, slow_stops, nr_status, attrs_set, targets_set;
static unsigned long restarts;
static unsigned long targets_failed[64], signals_sent;

/*
 * Touch 16 pages spread over an area, as its protection allows: enough for
 * a huge page or some faults, and cheap under emulation.
 */
static void touch(char *p, size_t len, int prot)
{
	size_t step = (len / 16 + 4095) & ~4095UL;
	volatile char *v = p;
	size_t i;

	for (i = 0; i < len; i += step) {
		if (prot & PROT_WRITE)
			v[i]++;
		else if (prot & PROT_READ)
			(void)v[i];
	}
}

/*
 * A target: churns its address space for one to eight seconds, then
 * exits.  (The spawner that forks it is single-threaded.)
 */
static void __attribute__((noreturn)) child_main(uint64_t child_seed, int slot)
{
	struct kt_rng r = { child_seed };
	char *area[NR_AREAS] = { 0 };
	size_t len[NR_AREAS] = { 0 };
	int prot[NR_AREAS] = { 0 };
	uint64_t end = now_ns() + (1000 + kt_below(&r, 7000)) * 1000000ULL;
	struct sigaction sa = { .sa_handler = SIG_IGN };

	sigaction(SIGCHLD, &sa, NULL);	/* grandchildren are reaped for us */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (now_ns() < end) {
		unsigned int i = kt_below(&r, NR_AREAS), op = kt_below(&r, NR_OPS);
		char *p = area[i];
		size_t n = len[i];

		if (!p && op != OP_FORK && op != OP_THP_DISABLE)
			op = OP_MAP;
		switch (op) {
		case OP_MAP:
			if (p)
				break;
			/* Some 2 MiB aligned, to be backed by huge pages. */
			n = kt_below(&r, 2) ? HUGE : (1 + kt_below(&r, 64)) * 4096;
			p = mmap(NULL, n + HUGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(2);
			if (n == HUGE) {
				char *a = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));

				if (a > p)
					munmap(p, a - p);
				munmap(a + n, p + n + HUGE - a - n);
				p = a;
			} else {
				munmap(p + n, HUGE);
			}
			area[i] = p;
			len[i] = n;
			prot[i] = PROT_READ | PROT_WRITE;
			touch(p, n, prot[i]);
			break;
		case OP_UNMAP:
			munmap(p, n);
			area[i] = NULL;
			break;
		case OP_TRIM:
			if (n < 2 * 4096)
				break;
			n = n / 2 & ~4095UL;
			munmap(p + n, len[i] - n);
			len[i] = n;
			break;
		case OP_MPROTECT: {
			static const int prots[] = {
				PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
			};

			prot[i] = prots[kt_below(&r, 3)];
			mprotect(p, n, prot[i]);
			break;
		}
		case OP_SPLIT:
			/* Split the mapping in three for a moment. */
			if (n >= 3 * 4096) {
				mprotect(p + 4096, n - 2 * 4096, PROT_READ);
				touch(p + 4096, n - 2 * 4096, PROT_READ);
				mprotect(p + 4096, n - 2 * 4096, prot[i]);
			}
			break;
		case OP_DONTNEED:
			madvise(p, n, MADV_DONTNEED);
			break;
		case OP_HUGEPAGE:
			madvise(p, n, MADV_HUGEPAGE);
			break;
		case OP_NOHUGEPAGE:
			madvise(p, n, MADV_NOHUGEPAGE);
			break;
		case OP_THP_DISABLE:
			prctl(PR_SET_THP_DISABLE, kt_below(&r, 2), 0, 0, 0);
			break;
		case OP_FORK:
			if (!fork()) {
				/* Copy-on-write faults, then gone. */
				for (i = 0; i < NR_AREAS; i++)
					if (area[i])
						touch(area[i], len[i], prot[i]);
				sleep_us(kt_below(&r, 20000));
				_exit(0);
			}
			break;
		default:
			touch(p, n, prot[i]);
		}
		atomic_fetch_add(&pool->ops[op], 1);
		/* Under emulation faults are dear: leave the CPUs some room. */
		sleep_us(CHILD_PAUSE_US / 2 + kt_below(&r, CHILD_PAUSE_US));
	}
	/* Not to be picked as a target any more: zombies are no use. */
	pool->pid[slot] = 0;
	_exit(0);
}

static pid_t spawn_child(int slot)
{
	unsigned long n = atomic_fetch_add(&pool->spawned, 1);
	pid_t pid = fork();

	if (pid < 0)
		_exit(3);
	if (!pid)
		child_main(seed ^ (n * 0x9e3779b97f4a7c15ULL), slot);
	pool->pid[slot] = pid;
	return pid;
}

/* The spawner: replaces every child that exits, until killed. */
static pid_t start_spawner(void)
{
	pid_t pid = KT_SYS(fork()), dead, owner[NR_CHILDREN];
	int i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < NR_CHILDREN; i++)
		owner[i] = spawn_child(i);
	for (;;) {
		dead = waitpid(-1, NULL, 0);
		if (dead < 0)
			_exit(errno == ECHILD ? 0 : 4);
		atomic_fetch_add(&pool->exited, 1);
		for (i = 0; i < NR_CHILDREN; i++)
			if (owner[i] == dead)
				owner[i] = spawn_child(i);
	}
}

/* NR_TARGETS distinct live children of the pool (they may be exiting). */
static void pick_targets(struct kt_rng *r, pid_t *pids)
{
	int i, j;

	for (i = 0; i < NR_TARGETS; i++) {
		do {
			pids[i] = pool->pid[kt_below(r, NR_CHILDREN)];
			for (j = 0; j < i && pids[j] != pids[i]; j++)
				;
		} while (!pids[i] || j < i);
	}
}

static void set_attrs(struct kt_rng *r, int fd)
{
	/*
	 * Few samples: under emulation (3-5 us a region sample) 32 kdamonds
	 * sampling every 5 ms would take all the CPU, and STOP would measure
	 * the scheduler.
	 */
	static const unsigned int sample[] = { 20000, 50000 };
	static const unsigned int max[] = { 20, 40 };
	static const unsigned int depth[] = { 2, 4, 8, 16 };
	struct damon_attrs a = {
		.size = sizeof(a),
		.sample_us = sample[kt_below(r, ARRAY_SIZE(sample))],
		.aggr_us = AGGR_US,
		.update_us = AGGR_US * (2 + kt_below(r, 4)),
		.min_nr_regions = 10,
		.max_nr_regions = max[kt_below(r, ARRAY_SIZE(max))],
		.queue_depth = depth[kt_below(r, ARRAY_SIZE(depth))],
	};

	if (ioctl(fd, DAMON_IOC_SET_ATTRS, &a))
		KT_FAIL("SET_ATTRS: %s (field %u reason %u)", strerror(errno),
			a.err_field, a.err_reason);
}

/*
 * New targets: some may have exited since they were picked (ESRCH), or be
 * exiting (EINVAL, no mm); try again then.  Returns whether it worked.
 */
static bool set_targets(struct kt_rng *r, struct session *s)
{
	struct damon_targets t = { .size = sizeof(t), .nr_pids = NR_TARGETS };
	int tries, e;

	for (tries = 0; tries < 5; tries++) {
		pick_targets(r, s->pids);
		t.pids = (uintptr_t)s->pids;
		e = ioctl(s->fd, DAMON_IOC_SET_TARGETS, &t) ? errno : 0;
		pthread_mutex_lock(&stats_lock);
		if (e)
			targets_failed[e < 64 ? e : 63]++;
		else
			targets_set++;
		pthread_mutex_unlock(&stats_lock);
		if (!e)
			return true;
		if (!(e == ESRCH && t.err_reason == DAMON_ERR_NO_SUCH_PROCESS) &&
		    !(e == EINVAL && t.err_reason == DAMON_ERR_NO_MM))
			KT_FAIL("SET_TARGETS: %s (field %u reason %u index %u)",
				strerror(e), t.err_field, t.err_reason,
				t.err_index);
	}
	return false;
}

static void timed_stop(struct session *s)
{
	uint64_t t0 = now_ns(), dt;

	KT_SYS(ioctl(s->fd, DAMON_IOC_STOP));
	dt = now_ns() - t0;
	pthread_mutex_lock(&stats_lock);
	if (nr_stops < MAX_STOPS)
		stop_ns[nr_stops] = dt;
	nr_stops++;
	if (stop_limit_ns && dt > stop_limit_ns) {
		slow_stops++;
		printf("# session %d: STOP took %.1f ms\n", s->id, dt / 1e6);
	}
	pthread_mutex_unlock(&stats_lock);
}

static void start(struct kt_rng *r, struct session *s)
{
	struct damon_status st;
	uint64_t t0 = now_ns(), dt;

	/*
	 * STATUS takes the session's lock as STOP does, but waits for no
	 * thread: its latency is the control for STOP's.
	 */
	kt_status(s->fd, &st);
	dt = now_ns() - t0;
	pthread_mutex_lock(&stats_lock);
	if (nr_status < MAX_STOPS)
		status_ns[nr_status++] = dt;
	pthread_mutex_unlock(&stats_lock);
	if (st.state == DAMON_STATE_RUNNING)
		return;
	/*
	 * All targets gone, monitoring ended by itself; or none could be set
	 * yet: new ones.
	 */
	if ((st.end_reason == DAMON_END_TARGETS_EXITED || !st.nr_targets) &&
	    !set_targets(r, s))
		return;
	KT_SYS(ioctl(s->fd, DAMON_IOC_START));
	if (st.end_reason == DAMON_END_TARGETS_EXITED) {
		pthread_mutex_lock(&stats_lock);
		restarts++;
		pthread_mutex_unlock(&stats_lock);
	}
}

/* Each controller owns NR_SESSIONS / NR_CONTROLLERS sessions. */
static void *controller_main(void *arg)
{
	long c = (long)arg;
	struct kt_rng r = { seed ^ (0xc0 + c) };
	struct session *own = &sessions[c * (NR_SESSIONS / NR_CONTROLLERS)];
	unsigned int act;

	while (atomic_load(&running)) {
		struct session *s = &own[kt_below(&r, NR_SESSIONS / NR_CONTROLLERS)];

		sleep_us(20000 + kt_below(&r, 130000));
		act = kt_below(&r, 100);
		if (act < 30) {
			set_attrs(&r, s->fd);
			pthread_mutex_lock(&stats_lock);
			attrs_set++;
			pthread_mutex_unlock(&stats_lock);
		} else if (act < 60) {
			set_targets(&r, s);
		} else if (act < 85) {
			timed_stop(s);
			sleep_us(kt_below(&r, 100000));
		}
		start(&r, s);
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* SIGUSR1 (no SA_RESTART) at readers and controllers, while they run. */
static void *signaller_main(void *arg)
{
	struct kt_rng r = { seed ^ 0x516e };
	unsigned long n = 0;

	(void)arg;
	while (atomic_load(&signalling)) {
		sleep_us(2000 + kt_below(&r, 8000));
		if (kt_below(&r, 10))
			pthread_kill(sessions[kt_below(&r, NR_SESSIONS)].reader, SIGUSR1);
		else
			pthread_kill(controllers[kt_below(&r, NR_CONTROLLERS)], SIGUSR1);
		n++;
	}
	pthread_mutex_lock(&stats_lock);
	signals_sent = n;
	pthread_mutex_unlock(&stats_lock);
	return NULL;
}

static void check_record(struct session *s, const struct damon_snapshot *snap)
{
	const struct damon_snapshot_target *t;

	kt_check_snapshot(snap);
	/*
	 * The first snapshot read of a run has lost all before it; any later
	 * one all since the one read before.
	 */
	if (snap->seq != snap->dropped &&
	    !(s->have_prev && snap->seq - snap->dropped == s->prev_seq + 1))
		KT_FAIL("session %d: seq %llu dropped %llu after seq %llu%s",
			s->id, (unsigned long long)snap->seq,
			(unsigned long long)snap->dropped,
			(unsigned long long)s->prev_seq,
			s->have_prev ? "" : " (none read before)");
	s->prev_seq = snap->seq;
	s->have_prev = true;
	s->dropped += snap->dropped;
	s->cpu_ns += snap->cpu_ns;
	s->span_ns += snap->end_ns - snap->start_ns;
	s->samples_done += snap->samples_done;
	s->samples_due += snap->samples_due;
	KT_ASSERT(snap->aggr_us == AGGR_US);
	KT_ASSERT(snap->nr_targets >= 1 && snap->nr_targets <= NR_TARGETS);
	for (t = kt_first_target(snap); t; t = kt_next_target(snap, t)) {
		KT_ASSERT(t->pid > 0);
		if (t->flags & DAMON_TARGET_EXITED) {
			KT_ASSERT(!t->nr_regions);
			s->exited_seen++;
		}
	}
}

static void *reader_main(void *arg)
{
	struct session *s = arg;
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	struct kt_rng r = { seed ^ (0x5ead + s->id) };
	char *buf = malloc(BUF_LEN);
	size_t off;
	ssize_t n;

	KT_ASSERT(buf);
	memset(buf, 0, BUF_LEN);	/* no page faults while reading */
	while (atomic_load(&running)) {
		if (s->slow)
			sleep_us(200000 + kt_below(&r, 600000));
		if (poll(&p, 1, 500) < 0) {
			KT_ASSERT(errno == EINTR);
			s->eintr++;
			continue;
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		/* POLLHUP: ended and drained (EOF), unless restarted since */
		n = read(s->fd, buf, BUF_LEN);
		if (n < 0) {
			if (errno != EINTR)
				KT_FAIL("session %d: read: %s", s->id, strerror(errno));
			s->eintr++;
			continue;
		}
		s->reads++;
		if (!n) {
			s->eofs++;
			sleep_us(20000);	/* until the controller restarts it */
			continue;
		}
		off = 0;
		for (const struct damon_snapshot *snap;
		     (snap = kt_next_snapshot(buf, n, &off)); s->records++)
			check_record(s, snap);
	}
	free(buf);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Busy and all jiffies of all CPUs so far. */
static void cpu_times(unsigned long long *busy, unsigned long long *all)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int i;

	KT_ASSERT(f);
	KT_ASSERT(fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			 &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8);
	fclose(f);
	for (*all = 0, i = 0; i < 8; i++)
		*all += v[i];
	*busy = *all - v[3] - v[4];	/* idle, iowait */
}

/* CPU seconds of the children the spawner has reaped. */
static double children_cpu(pid_t spawner)
{
	unsigned long long v[4];
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", spawner);
	f = fopen(path, "r");
	KT_ASSERT(f && fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	/* fields 14-17: utime stime cutime cstime */
	KT_ASSERT(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			      &v[0], &v[1], &v[2], &v[3]) == 4);
	return (double)(v[2] + v[3]) / sysconf(_SC_CLK_TCK);
}

static void report(unsigned long seconds, unsigned long long busy,
		   unsigned long long all, double children)
{
	struct rusage ru;
	unsigned long reads = 0, records = 0, dropped = 0, eintr = 0, eofs = 0;
	unsigned long exited = 0, n = nr_stops < MAX_STOPS ? nr_stops : MAX_STOPS;
	uint64_t cpu = 0, span = 0, done = 0, due = 0;
	int i;

	for (i = 0; i < NR_SESSIONS; i++) {
		reads += sessions[i].reads;
		records += sessions[i].records;
		dropped += sessions[i].dropped;
		eintr += sessions[i].eintr;
		eofs += sessions[i].eofs;
		exited += sessions[i].exited_seen;
		cpu += sessions[i].cpu_ns;
		span += sessions[i].span_ns;
		done += sessions[i].samples_done;
		due += sessions[i].samples_due;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("# CPUs %.0f%% busy: %.0f CPU seconds, of which children %.0f, readers and controllers %.0f\n",
	       100.0 * busy / all, (double)busy / sysconf(_SC_CLK_TCK), children,
	       ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	printf("# a kdamond used %.1f%% of a CPU (%.1f us a region sample) and took %.0f%% of the samples due\n",
	       span ? 100.0 * cpu / span : 0, done ? cpu / 1e3 / done : 0,
	       due ? 100.0 * done / due : 0);
	printf("# %lu s: %d sessions x %d targets from a pool of %d children (%lu spawned, %lu exited)\n",
	       seconds, NR_SESSIONS, NR_TARGETS, NR_CHILDREN,
	       (unsigned long)pool->spawned, (unsigned long)pool->exited);
	printf("# children did:");
	for (i = 0; i < NR_OPS; i++)
		printf(" %s %lu%s", op_name[i], (unsigned long)pool->ops[i],
		       i + 1 < NR_OPS ? "," : "");
	printf("\n# readers: %lu reads, %lu snapshots, %lu dropped (slow readers), %lu EOF, %lu EINTR, %lu exited targets seen\n",
	       reads, records, dropped, eofs, eintr, exited);
	printf("# controllers: %lu SET_ATTRS and %lu SET_TARGETS online, %lu SET_TARGETS refused (ESRCH %lu, EINVAL %lu), %lu restarts after all targets exited\n",
	       attrs_set, targets_set, targets_failed[ESRCH] + targets_failed[EINVAL],
	       targets_failed[ESRCH], targets_failed[EINVAL], restarts);
	printf("# %lu signals sent\n", signals_sent);
	qsort(stop_ns, n, sizeof(stop_ns[0]), cmp_u64);
	qsort(status_ns, nr_status, sizeof(status_ns[0]), cmp_u64);
	if (n)
		printf("# STOP: %lu calls, median %.1f ms, 99th percentile %.1f ms, max %.1f ms; %lu over the %.0f ms limit%s\n",
		       nr_stops, stop_ns[n / 2] / 1e6, stop_ns[n * 99 / 100] / 1e6,
		       stop_ns[n - 1] / 1e6, slow_stops, stop_limit_ns / 1e6,
		       stop_limit_ns ? "" : " (not checked)");
	if (nr_status)
		printf("# STATUS (the control): %lu calls, median %.1f ms, 99th percentile %.1f ms, max %.1f ms\n",
		       nr_status, status_ns[nr_status / 2] / 1e6,
		       status_ns[nr_status * 99 / 100] / 1e6,
		       status_ns[nr_status - 1] / 1e6);
	/* Or the churn did not do what it is for. */
	KT_ASSERT(records > 0);
	KT_ASSERT(dropped > 0);
	KT_ASSERT(eintr > 0);
	KT_ASSERT(exited > 0);
	KT_ASSERT(restarts > 0);
	KT_ASSERT(eofs > 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	unsigned long seconds = 90;
	unsigned long long busy0, all0, busy, all;
	double cpu;
	pthread_t signaller;
	pid_t spawner;
	uint64_t t0;
	int i, left;

	seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--stop-limit-ms") && i + 1 < argc)
			stop_limit_ns = strtoull(argv[++i], NULL, 0) * 1000000;
		else
			KT_FAIL("usage: %s [--seed N] [--seconds N] [--stop-limit-ms N]",
				argv[0]);
	}
	printf("# seed %llu, %lu seconds (replay: %s --seed %llu --seconds %lu)\n",
	       seed, seconds, argv[0], seed, seconds);
	printf("# %d sessions x %d targets = %d target slots over a pool of %d child processes; %d fast and %d slow readers; %d controllers\n",
	       NR_SESSIONS, NR_TARGETS, NR_SESSIONS * NR_TARGETS, NR_CHILDREN,
	       NR_SESSIONS / 2, NR_SESSIONS / 2, NR_CONTROLLERS);
	if (stop_limit_ns)
		printf("# STOP must return within %.0f ms and the control's worst stall\n",
		       stop_limit_ns / 1e6);
	else
		printf("# STOP latency NOT CHECKED (--stop-limit-ms 0), only reported\n");
	fflush(stdout);
	KT_ASSERT(kt_count_kdamonds() == 0);
	sigaction(SIGUSR1, &sa, NULL);
	pool = mmap(NULL, sizeof(*pool), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	KT_ASSERT(pool != MAP_FAILED);
	/* Orphaned grandchildren come back to us, to be reaped at the end. */
	KT_SYS(prctl(PR_SET_CHILD_SUBREAPER, 1));
	spawner = start_spawner();	/* before any session fd is opened */
	while (atomic_load(&pool->spawned) < NR_CHILDREN)
		usleep(10000);

	for (i = 0; i < NR_SESSIONS; i++) {
		struct session *s = &sessions[i];
		struct kt_rng r = { seed ^ (0x5e55 + i) };

		s->id = i;
		s->slow = i % 2;
		s->fd = kt_open();
		set_attrs(&r, s->fd);
		if (set_targets(&r, s))
			KT_SYS(ioctl(s->fd, DAMON_IOC_START));
		pthread_create(&s->reader, NULL, reader_main, s);
	}
	for (i = 0; i < NR_CONTROLLERS; i++)
		pthread_create(&controllers[i], NULL, controller_main, (void *)(long)i);
	pthread_create(&signaller, NULL, signaller_main, NULL);

	cpu_times(&busy0, &all0);
	t0 = now_ns();
	while (now_ns() - t0 < seconds * 1000000000ULL)
		sleep_us(100000);
	atomic_store(&running, false);
	/* No signal to a thread that may have exited; they all time out. */
	atomic_store(&signalling, false);
	pthread_join(signaller, NULL);
	for (i = 0; i < NR_CONTROLLERS; i++)
		pthread_join(controllers[i], NULL);
	/* Half are stopped, half closed while they run. */
	for (i = 0; i < NR_SESSIONS; i += 2)
		timed_stop(&sessions[i]);
	cpu_times(&busy, &all);
	cpu = children_cpu(spawner);
	/* The children die with the spawner (PR_SET_PDEATHSIG). */
	kill(spawner, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	for (i = 0; i < NR_SESSIONS; i++)
		pthread_join(sessions[i].reader, NULL);

	for (i = 0; i < NR_SESSIONS; i++)
		close(sessions[i].fd);
	t0 = now_ns();
	while ((left = kt_count_kdamonds()) && now_ns() - t0 < 2000000000ULL)
		usleep(20000);
	if (left)
		KT_FAIL("%d damondev threads left 2 s after all fds were closed", left);
	kt_pass("all sessions closed: no damondev thread left after %.0f ms",
		(now_ns() - t0) / 1e6);

	report(seconds, busy - busy0, all - all0, cpu);
	if (stop_limit_ns) {
		/* report() sorted both: the worst is last. */
		unsigned long n = nr_stops < MAX_STOPS ? nr_stops : MAX_STOPS;
		uint64_t stall = nr_status ? status_ns[(nr_status < MAX_STOPS ?
						nr_status : MAX_STOPS) - 1] : 0;
		uint64_t limit = stop_limit_ns + stall;
		unsigned long over = 0, j;

		for (j = 0; j < n; j++)
			if (stop_ns[j] > limit)
				over++;
		/*
		 * A STOP that waits on a target or a reader is slow every
		 * time its cause recurs; a lone one a few times the limit
		 * is the emulator (CI saw one of 283 ms among 937, the
		 * control's worst being 18.5 ms).  So: 99% within the
		 * limit, and every one within ten aggregation intervals.
		 */
		if (n && (over > n / 100 || stop_ns[n - 1] > 5 * stop_limit_ns))
			KT_FAIL("%lu of %lu STOPs took longer than %.0f ms (two aggregation intervals and the control's worst stall, %.1f ms; at most 1%% may) or the slowest, %.1f ms, over %.0f ms",
				over, nr_stops, limit / 1e6, stall / 1e6,
				stop_ns[n - 1] / 1e6, 5 * stop_limit_ns / 1e6);
		kt_pass("%lu STOPs: %lu over %.0f ms (two aggregation intervals and the control's worst stall, %.1f ms; at most 1%% may), the slowest %.1f ms (at most %.0f ms)",
			nr_stops, over, limit / 1e6, stall / 1e6,
			n ? stop_ns[n - 1] / 1e6 : 0, 5 * stop_limit_ns / 1e6);
	}
	kt_pass("every snapshot well formed, drops matching sequence gaps");
	return 0;
}
