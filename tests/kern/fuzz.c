// SPDX-License-Identifier: GPL-2.0
/*
 * Bounded, seeded fuzzing of /dev/damon.  Worker threads make random calls
 * on shared sessions (fds that any thread may close or replace at any
 * moment) and on private ones: every ioctl with random sizes, garbage and
 * bad pointers at every level, random ioctl numbers inside and outside our
 * range, reads of random sizes into bad or partly mapped buffers, poll,
 * ppoll and epoll, and START/STOP/close races, while short-lived children
 * serve as targets that exit under the calls and a kicker thread
 * interrupts blocked calls with signals.  Every result is checked against
 * what main.c and core.c can return for that call, as exactly as the
 * arguments allow.  Afterwards a fresh session must work normally.
 *
 * Usage: kern-fuzz [--seed N] [--seconds N]	(default: time, 60)
 * Every worker draws from its own generator seeded from N, so the same
 * seed replays each worker's sequence of calls; the interleaving of the
 * threads, and with it some results, differs from run to run.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"

#define PAGE		4096UL
#define NR_WORKERS	4
#define NR_SLOTS	6
/* Shared sessions live at fixed high fd numbers that open() never picks. */
#define SLOT_FD		900
#define NR_KIDS		16
#define BIG_LEN		(1UL << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define B(e)		(1ULL << (e))
/* Above TASK_SIZE_MAX with 4- or 5-level paging: access_ok() refuses it. */
#define KERNEL_SPACE	0xff00000000000000ULL

enum kind {
	K_HANDSHAKE, K_SET_ATTRS, K_SET_TARGETS, K_START, K_STOP, K_STATUS,
	K_OUR_TYPE, K_OTHER_TYPE, K_FIONBIO, K_FIONREAD, K_READ, K_READV,
	K_PREAD, K_POLL, K_PPOLL, K_EPOLL_CTL, K_EPOLL_WAIT, K_WRITE,
	K_LSEEK, K_MMAP, K_REOPEN, K_CLOSE, NR_KINDS
};

static const char *const kind_name[NR_KINDS] = {
	"HANDSHAKE", "SET_ATTRS", "SET_TARGETS", "START", "STOP", "STATUS",
	"unknown cmd, our type", "cmd of other types", "FIONBIO", "FIONREAD",
	"read", "readv", "pread", "poll", "ppoll", "epoll_ctl", "epoll_wait",
	"write", "lseek", "mmap", "reopen shared", "close shared",
};

/* errno values 1..62 counted one by one, anything else in 63 */
static atomic_ulong stats[NR_KINDS][64];

static bool chance(struct kt_rng *r, unsigned int pct)
{
	return kt_below(r, 100) < pct;
}

/* Values at the edges that the kernel checks, or anything at all. */
static uint64_t interesting(struct kt_rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 8, 16, 63, 64, 65, 99, 100, 101, 1000, 4095,
		4096, 4097, 5000, 10000, 10001, 65535, 65536, 65537, 100000,
		1000000, 10000000, 10000001, 3600000000ULL, 3600000001ULL,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
	};

	switch (kt_below(r, 4)) {
	case 0:
		return kt_rnd(r);
	case 1:
		return kt_below(r, 1ULL << kt_below(r, 24));
	default:
		return v[kt_below(r, ARRAY_SIZE(v))] + kt_below(r, 3) - 1;
	}
}

struct worker {
	int id;
	pthread_t th;
	pid_t tid;
	struct kt_rng r;
	char *rw, *rw2;		/* two writable pages, then a PROT_NONE one */
	char *ro;		/* two pages, read-only while a call uses them */
	char *big;		/* BIG_LEN bytes, then a PROT_NONE page */
	char *scratch;		/* an aligned copy of what read() returned */
	int fd;			/* the private session */
	int fd_mode;		/* its O_ACCMODE */
	bool nonblock;		/* its O_NONBLOCK */
	bool fresh;		/* no SET_TARGETS on it since it was opened */
	int epfd;
	unsigned long calls;
	char desc[200];		/* the call being made, for a failure */
};

static unsigned long long seed;
static atomic_bool fuzzing = true, kicking = true;
static struct worker workers[NR_WORKERS];
static struct damon_handshake ref_hs;	/* what every handshake must say */
static pid_t toucher, sleeper;		/* targets that live throughout */
static _Atomic pid_t kids[NR_KIDS];	/* recent short-lived children */
static uintptr_t bad_ptrs[11];
static char *hole;			/* a munmap'd page */

static void count(enum kind k, int err)
{
	atomic_fetch_add_explicit(&stats[k][err > 0 && err < 63 ? err : (err ? 63 : 0)],
				  1, memory_order_relaxed);
}

static const char *errname(int e)
{
	static const struct { int e; const char *name; } n[] = {
		{ 0, "ok" }, { EPERM, "EPERM" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" },
		{ ESPIPE, "ESPIPE" }, { ENOENT, "ENOENT" },
	};
	static __thread char other[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(n); i++)
		if (n[i].e == e)
			return n[i].name;
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

/* Count a result and fail unless its errno (0: success) is in @allowed. */
static void check(struct worker *w, enum kind k, int err, uint64_t allowed)
{
	char list[200] = "";
	int e;

	count(k, err);
	if (err >= 0 && err < 64 && (allowed & B(err)))
		return;
	for (e = 0; e < 64; e++)
		if (allowed & B(e))
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 " %s", errname(e));
	KT_FAIL("seed %llu worker %d call %lu: %s: got %s, allowed:%s",
		seed, w->id, w->calls, w->desc, errname(err), list);
}

#define CHECK(w, cond) \
	do { \
		if (!(cond)) \
			KT_FAIL("seed %llu worker %d call %lu: %s: %s", seed, \
				(w)->id, (w)->calls, (w)->desc, #cond); \
	} while (0)

static int slot_fd(struct kt_rng *r)
{
	/* Slot 0 is hot, so that calls on one session collide often. */
	return SLOT_FD + (chance(r, 30) ? 0 : (int)kt_below(r, NR_SLOTS));
}

static uintptr_t bad_ptr(struct kt_rng *r)
{
	return bad_ptrs[kt_below(r, ARRAY_SIZE(bad_ptrs))];
}

/*
 * A pid for SET_TARGETS: live, dead, zombie, a thread, no mm, or absurd;
 * or, if @plausible, one that lives throughout.
 */
static int32_t gen_pid(struct kt_rng *r, bool plausible)
{
	switch (plausible ? kt_below(r, 4) : kt_below(r, 10)) {
	case 0:
		return getpid();
	case 1:
		return chance(r, 50) ? toucher : sleeper;
	case 2:
		return workers[kt_below(r, NR_WORKERS)].tid;
	case 3:
		return 1;
	case 4:
		return 2;	/* kthreadd: a process without mm */
	case 5:
		return (int32_t)interesting(r);
	case 6:
		return 1 + kt_below(r, 40000);
	default:
		return kids[kt_below(r, NR_KIDS)];
	}
}

/*
 * Where an ioctl argument goes: fully in a writable arena, straddling the
 * arena's guard page, on a read-only page, or at a bad address.
 */
struct arg {
	char *p;
	size_t readable;	/* bytes at p the kernel can read */
	bool writable;		/* and then write */
	size_t len;
};

static void place(struct worker *w, char *arena, struct arg *a,
		  const void *img, size_t len)
{
	struct kt_rng *r = &w->r;
	size_t k;

	a->len = len;
	switch (kt_below(r, 16)) {
	case 0:
	case 1:
		a->p = (char *)bad_ptr(r);
		a->readable = 0;
		a->writable = false;
		return;
	case 2:
	case 3:
		k = 1 + kt_below(r, MIN(len, 2 * PAGE));
		a->p = arena + 2 * PAGE - k;
		memcpy(a->p, img, k);
		a->readable = k;
		a->writable = true;
		return;
	case 4:
		KT_SYS(mprotect(w->ro, 2 * PAGE, PROT_READ | PROT_WRITE));
		a->p = w->ro + kt_below(r, 2 * PAGE - len + 1);
		memcpy(a->p, img, len);
		KT_SYS(mprotect(w->ro, 2 * PAGE, PROT_READ));
		a->readable = SIZE_MAX;
		a->writable = false;
		return;
	default:
		a->p = arena + kt_below(r, 2 * PAGE - len + 1);
		memcpy(a->p, img, len);
		a->readable = SIZE_MAX;
		a->writable = true;
	}
}

static bool is_readable(const struct arg *a, size_t n)
{
	return a->readable >= n;
}

/* A size field: mostly right, often a little off, sometimes absurd. */
static uint32_t gen_size(struct kt_rng *r, uint32_t ksize)
{
	switch (kt_below(r, 12)) {
	case 0:
		return kt_below(r, 5);
	case 1:
	case 2:
		return 4 + kt_below(r, ksize - 4);
	case 3:
		return ksize + 1 + kt_below(r, 64);
	case 4:
		return PAGE - 1 + kt_below(r, 3);
	case 5:
		return (uint32_t)interesting(r);
	default:
		return ksize;
	}
}

/*
 * The bytes of an argument: the struct up to its size field's value, then
 * garbage the kernel must ignore (a caller's older, shorter struct ends
 * there), then a tail of newer fields (mostly zero), then a canary that
 * nothing may touch.  Returns the length.
 */
static size_t build_img(struct kt_rng *r, char *img, const void *st,
			uint32_t ksize)
{
	uint32_t usize;
	size_t len, i;

	memcpy(&usize, st, 4);
	len = (usize > ksize && usize <= PAGE ? usize : ksize) + 64;
	memcpy(img, st, ksize);
	for (i = usize > 4 ? usize : 4; i < ksize; i++)	/* not the size */
		img[i] = (char)kt_rnd(r);
	memset(img + ksize, 0, len - ksize);
	if (usize > ksize && usize <= PAGE && chance(r, 40))
		img[ksize + kt_below(r, usize - ksize)] = (char)(1 + kt_below(r, 255));
	for (i = (usize > ksize && usize <= PAGE ? usize : ksize); i < len; i++)
		img[i] = (char)0xa5;
	return len;
}

/*
 * What copying the argument in (dmon_copy_in: get_user of the size,
 * 4 <= size <= PAGE_SIZE, then copy_struct_from_user) must give: 0, or
 * the errno of the failure.
 */
static int copy_in_errno(const struct arg *a, const char *img, uint32_t ksize)
{
	uint32_t usize;
	size_t i;

	if (!is_readable(a, 4))
		return EFAULT;
	memcpy(&usize, img, 4);
	if (usize < 4)
		return EINVAL;
	if (usize > PAGE)
		return E2BIG;
	/* The tail is checked first, word by word, up to the first fault. */
	for (i = ksize; i < usize; i++) {
		if (!is_readable(a, i + 1))
			return EFAULT;
		if (img[i])
			return E2BIG;
	}
	if (!is_readable(a, MIN(usize, ksize)))
		return EFAULT;
	return 0;
}

/* The struct as the kernel sees it: the caller's part, zero-extended. */
static void kernel_view(void *view, const char *img, uint32_t ksize)
{
	uint32_t usize;

	memcpy(&usize, img, 4);
	memset(view, 0, ksize);
	memcpy(view, img, MIN(usize, ksize));
}

/* Nothing beyond what the kernel may write back changed. */
static void check_untouched(struct worker *w, const struct arg *a,
			    const char *img, uint32_t ksize)
{
	uint32_t usize;
	size_t from;

	if (!a->writable)
		return;
	memcpy(&usize, img, 4);
	from = MIN(usize, ksize);
	if (from < MIN(a->len, a->readable) &&
	    memcmp(a->p + from, img + from, MIN(a->len, a->readable) - from))
		KT_FAIL("seed %llu worker %d call %lu: %s: bytes beyond %zu were written",
			seed, w->id, w->calls, w->desc, from);
}

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	errno = 0;
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* The command with random size bits, which the kernel must ignore. */
static unsigned long maybe_resize(struct kt_rng *r, unsigned long cmd)
{
	if (chance(r, 70))
		return cmd;
	return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       (kt_below(r, _IOC_SIZEMASK + 1) << _IOC_SIZESHIFT);
}

static void __attribute__((format(printf, 2, 3)))
describe(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	w->calls++;
	va_start(ap, fmt);
	vsnprintf(w->desc, sizeof(w->desc), fmt, ap);
	va_end(ap);
}

static void describe_arg(struct worker *w, const char *what, unsigned long cmd,
			 int fd, const struct arg *a, uint32_t usize)
{
	describe(w, "%s cmd %#lx fd %d arg %p (readable %zd, %s) size %u",
		 what, cmd, fd, (void *)a->p,
		 a->readable == SIZE_MAX ? -1 : (ssize_t)a->readable,
		 a->writable ? "writable" : "not writable", usize);
}

static void fuzz_handshake(struct worker *w, int fd, unsigned long cmd,
			   uint64_t extra)
{
	struct damon_handshake hs, out, exp = ref_hs;
	char img[2 * PAGE];
	struct arg a;
	size_t len;
	int want, e;
	uint32_t n;

	memset(&hs, 0, sizeof(hs));
	if (chance(&w->r, 30))	/* the output fields are ignored on input */
		for (n = 0; n < sizeof(hs); n++)
			((char *)&hs)[n] = (char)kt_rnd(&w->r);
	hs.size = gen_size(&w->r, sizeof(hs));
	len = build_img(&w->r, img, &hs, sizeof(hs));
	place(w, w->rw, &a, img, len);
	want = copy_in_errno(&a, img, sizeof(hs));
	describe_arg(w, "HANDSHAKE", cmd, fd, &a, hs.size);
	e = do_ioctl(fd, cmd, a.p);
	if (want) {
		check(w, K_HANDSHAKE, e, B(want) | extra);
		check_untouched(w, &a, img, 0);
		return;
	}
	check(w, K_HANDSHAKE, e, B(a.writable ? 0 : EFAULT) | extra);
	if (e)
		return;
	check_untouched(w, &a, img, sizeof(hs));
	/* What was written back, up to size, is what every handshake says. */
	n = MIN(hs.size, sizeof(out));
	memset(&out, 0, sizeof(out));
	memcpy(&out, a.p, n);
	CHECK(w, n < 64 || out.max_snapshot_size >= sizeof(struct damon_snapshot));
	exp.size = hs.size;
	exp.max_snapshot_size = out.max_snapshot_size;	/* the session's own */
	memset((char *)&exp + n, 0, sizeof(exp) - n);
	CHECK(w, !memcmp(&out, &exp, sizeof(exp)));
}

struct verdict {
	uint32_t field, reason, other;
	uint64_t limit;
};

static void range(struct verdict *v, int *n, uint32_t field, uint64_t val,
		  uint64_t lo, uint32_t lo_from, uint64_t hi)
{
	if (val < lo)
		v[(*n)++] = (struct verdict){ field, DAMON_ERR_TOO_SMALL, lo_from, lo };
	else if (val > hi)
		v[(*n)++] = (struct verdict){ field, DAMON_ERR_TOO_LARGE, 0, hi };
}

/*
 * Every check of SET_ATTRS that @in fails (defaults put in first, as the
 * header says), in no order: the kernel must report one of them, and must
 * accept @in if there is none (unless the queue would take too much memory).
 */
static int attrs_violations(const struct damon_attrs *in, struct verdict *v)
{
	uint64_t sample = in->sample_us ? in->sample_us : 5000;
	uint64_t aggr = in->aggr_us ? in->aggr_us : (sample > 100000 ? sample : 100000);
	uint64_t update = in->update_us ? in->update_us : (aggr > 1000000 ? aggr : 1000000);
	uint32_t min = in->min_nr_regions ? in->min_nr_regions : 10;
	uint32_t max = in->max_nr_regions ? in->max_nr_regions : (min > 1000 ? min : 1000);
	uint32_t depth = in->queue_depth ? in->queue_depth : 16;
	uint64_t tmax = MIN(100 * sample, 10000000ULL);
	int n = 0;

	if (in->flags & ~DAMON_ATTR_ALL) {
		v[n++] = (struct verdict){ DAMON_FIELD_FLAGS, DAMON_ERR_UNKNOWN_BITS,
					   0, DAMON_ATTR_ALL };
		return n;
	}
	range(v, &n, DAMON_FIELD_SAMPLE_US, sample, 100, 0, 10000000);
	range(v, &n, DAMON_FIELD_AGGR_US, aggr, sample, DAMON_FIELD_SAMPLE_US,
	      3600000000ULL);
	range(v, &n, DAMON_FIELD_UPDATE_US, update, aggr, DAMON_FIELD_AGGR_US,
	      3600000000ULL);
	range(v, &n, DAMON_FIELD_MIN_NR_REGIONS, min, 3, 0, 65536);
	range(v, &n, DAMON_FIELD_MAX_NR_REGIONS, max, min,
	      DAMON_FIELD_MIN_NR_REGIONS, 65536);
	range(v, &n, DAMON_FIELD_QUEUE_DEPTH, depth, 1, 0, 4096);
	range(v, &n, DAMON_FIELD_TUNE_GOAL_BP, in->tune_goal_bp, 0, 0, 10000);
	range(v, &n, DAMON_FIELD_TUNE_AGGRS,
	      in->tune_aggrs ? in->tune_aggrs : 3, 1, 0, 1000);
	range(v, &n, DAMON_FIELD_TUNE_MIN_SAMPLE_US,
	      in->tune_min_sample_us ? in->tune_min_sample_us : 100, 100, 0, sample);
	range(v, &n, DAMON_FIELD_TUNE_MAX_SAMPLE_US,
	      in->tune_max_sample_us ? in->tune_max_sample_us : tmax, sample,
	      DAMON_FIELD_SAMPLE_US, 10000000);
	/* The TLB flush budget (none for root, who runs this, but modelled). */
	if ((in->flags & DAMON_ATTR_TLB_FLUSH) && ref_hs.flush_min_sample_us) {
		uint64_t fmin = ref_hs.flush_min_sample_us;

		if (fmin == UINT64_MAX)
			v[n++] = (struct verdict){ DAMON_FIELD_FLAGS,
						   DAMON_ERR_FLUSH_BUDGET, 0, 0 };
		else if (sample < fmin)
			v[n++] = (struct verdict){ DAMON_FIELD_SAMPLE_US,
						   DAMON_ERR_FLUSH_BUDGET, 0, fmin };
		else if (in->tune_goal_bp && (in->tune_min_sample_us ?
					      in->tune_min_sample_us : 100) < fmin)
			v[n++] = (struct verdict){ DAMON_FIELD_TUNE_MIN_SAMPLE_US,
						   DAMON_ERR_FLUSH_BUDGET, 0, fmin };
	}
	return n;
}

/* Plausible attributes most of the time, so that many are accepted. */
static void gen_attrs(struct kt_rng *r, struct damon_attrs *a)
{
	uint64_t sample = 100 + kt_below(r, 20000);

	memset(a, 0, sizeof(*a));
	a->flags = chance(r, 90) ? kt_below(r, 2) : (uint32_t)interesting(r);
	a->sample_us = chance(r, 70) ? sample : interesting(r);
	a->aggr_us = chance(r, 70) ? sample * (1 + kt_below(r, 20)) : interesting(r);
	a->update_us = chance(r, 70) ? a->aggr_us * (1 + kt_below(r, 5)) : interesting(r);
	a->min_nr_regions = chance(r, 70) ? 3 + kt_below(r, 50) : (uint32_t)interesting(r);
	a->max_nr_regions = chance(r, 70) ? a->min_nr_regions + kt_below(r, 2000)
					  : (uint32_t)interesting(r);
	a->queue_depth = chance(r, 70) ? 1 + kt_below(r, 64) : (uint32_t)interesting(r);
	if (chance(r, 30)) {
		a->tune_goal_bp = chance(r, 70) ? kt_below(r, 2000) : (uint32_t)interesting(r);
		a->tune_aggrs = chance(r, 70) ? kt_below(r, 10) : (uint32_t)interesting(r);
		a->tune_min_sample_us = chance(r, 50) ? 0 : interesting(r);
		a->tune_max_sample_us = chance(r, 50) ? 0 : interesting(r);
	}
	if (chance(r, 30)) {	/* garbage in the output fields */
		a->err_field = kt_rnd(r);
		a->err_reason = kt_rnd(r);
		a->err_other = kt_rnd(r);
		a->err_limit = kt_rnd(r);
	}
}

static void fuzz_set_attrs(struct worker *w, int fd, unsigned long cmd,
			   uint64_t extra)
{
	struct damon_attrs at, view, out;
	struct verdict v[16];
	char img[2 * PAGE];
	struct arg a;
	size_t len;
	int want, e, nv, i;
	bool found = false;

	gen_attrs(&w->r, &at);
	at.size = gen_size(&w->r, sizeof(at));
	len = build_img(&w->r, img, &at, sizeof(at));
	place(w, w->rw, &a, img, len);
	want = copy_in_errno(&a, img, sizeof(at));
	kernel_view(&view, img, sizeof(view));
	nv = want ? 0 : attrs_violations(&view, v);
	describe_arg(w, "SET_ATTRS", cmd, fd, &a, at.size);
	e = do_ioctl(fd, cmd, a.p);
	if (want) {
		check(w, K_SET_ATTRS, e, B(want) | extra);
		check_untouched(w, &a, img, 0);
		return;
	}
	if (!a.writable)	/* the result is always written back */
		check(w, K_SET_ATTRS, e, B(EFAULT) | B(ENOMEM) | extra);
	else
		check(w, K_SET_ATTRS, e, (nv ? 0 : B(0)) | B(EINVAL) | B(ENOMEM) | extra);
	if (!a.writable || (e && e != EINVAL))
		return;
	check_untouched(w, &a, img, sizeof(at));
	if (at.size < sizeof(at))
		return;		/* the error fields were not written back */
	memcpy(&out, a.p, sizeof(out));
	if (!e) {
		CHECK(w, !out.err_field && !out.err_reason && !out.err_other &&
			 !out.err_limit);
		return;
	}
	for (i = 0; i < nv; i++)
		found |= v[i].field == out.err_field && v[i].reason == out.err_reason &&
			 v[i].other == out.err_other && v[i].limit == out.err_limit;
	/* The queue's memory depends on the session: any room is plausible. */
	found |= out.err_field == DAMON_FIELD_QUEUE_DEPTH &&
		 out.err_reason == DAMON_ERR_TOO_MUCH_MEMORY && !out.err_other &&
		 out.err_limit <= ref_hs.max_session_memory;
	if (!found)
		KT_FAIL("seed %llu worker %d call %lu: %s: EINVAL with field %u reason %u other %u limit %llu, which the attributes do not violate (%d violations)",
			seed, w->id, w->calls, w->desc, out.err_field,
			out.err_reason, out.err_other,
			(unsigned long long)out.err_limit, nv);
}

static void fuzz_set_targets(struct worker *w, int fd, unsigned long cmd,
			     uint64_t extra)
{
	struct damon_targets t, view, out;
	int32_t pids[80], *kp = pids;	/* what the kernel reads */
	struct kt_rng *r = &w->r;
	char img[2 * PAGE], pimg[80 * 4];
	struct arg a, pa;
	uint64_t allowed;
	uint32_t n, i, j, k;
	size_t len;
	int want, e;
	bool pids_ok, plausible = chance(r, 50);	/* so that some pass */

	memset(&t, 0, sizeof(t));
	n = chance(r, 60) ? 1 + kt_below(r, 8) : chance(r, 50) ? kt_below(r, 66)
							    : (uint32_t)interesting(r);
	for (i = 0; i < ARRAY_SIZE(pids); i++)
		pids[i] = i && chance(r, 5) ? pids[kt_below(r, i)] : gen_pid(r, plausible);
	memcpy(pimg, pids, sizeof(pimg));
	place(w, w->rw2, &pa, pimg, sizeof(pimg));
	t.nr_pids = n;
	t.pids = (uintptr_t)pa.p;
	if (chance(r, 20)) {
		t.err_field = kt_rnd(r);
		t.err_index = kt_rnd(r);
		t.err_limit = kt_rnd(r);
	}
	t.size = gen_size(r, sizeof(t));
	len = build_img(r, img, &t, sizeof(t));
	place(w, w->rw, &a, img, len);
	want = copy_in_errno(&a, img, sizeof(t));
	kernel_view(&view, img, sizeof(view));
	/* A size cutting into the pointer leaves the kernel a random one. */
	pids_ok = view.pids == t.pids && view.nr_pids <= 64 &&
		  is_readable(&pa, view.nr_pids * 4);
	describe_arg(w, "SET_TARGETS", cmd, fd, &a, t.size);
	e = do_ioctl(fd, cmd, a.p);
	if (want) {
		check(w, K_SET_TARGETS, e, B(want) | extra);
		check_untouched(w, &a, img, 0);
		return;
	}
	if (!a.writable) {
		check(w, K_SET_TARGETS, e, B(EFAULT) | B(ENOMEM) | extra);
		return;
	}
	if (!view.nr_pids || view.nr_pids > 64)
		allowed = B(EINVAL);
	else if (!pids_ok)
		allowed = B(EINVAL) | B(EFAULT) | B(ENOMEM) |
			  (view.pids == t.pids ? 0 : B(0) | B(ESRCH) | B(EPERM));
	else	/* root may monitor anything with an mm: no EPERM */
		allowed = B(0) | B(EINVAL) | B(ESRCH) | B(ENOMEM) |
			  (geteuid() ? B(EPERM) : 0);
	check(w, K_SET_TARGETS, e, allowed | extra);
	if (e == EBADF || e == ENOMEM)
		return;
	check_untouched(w, &a, img, sizeof(t));
	if (t.size < sizeof(t) || view.pids != t.pids)
		return;
	memcpy(&out, a.p, sizeof(out));
	if (!e) {
		CHECK(w, !out.err_field && !out.err_reason && !out.err_index &&
			 !out.err_limit);
		for (i = 0; i < view.nr_pids; i++) {
			CHECK(w, kp[i] > 0 && kp[i] != 2);
			for (j = 0; j < i; j++)
				CHECK(w, kp[i] != kp[j]);
		}
		return;
	}
	if (e == EFAULT) {
		CHECK(w, out.err_field == DAMON_FIELD_PIDS &&
			 out.err_reason == DAMON_ERR_BAD_ADDRESS && !out.err_index);
		return;
	}
	if (out.err_field == DAMON_FIELD_NR_PIDS) {
		CHECK(w, e == EINVAL && !out.err_index);
		if (!view.nr_pids)
			CHECK(w, out.err_reason == DAMON_ERR_TOO_SMALL && out.err_limit == 1);
		else if (view.nr_pids > 64)
			CHECK(w, out.err_reason == DAMON_ERR_TOO_LARGE && out.err_limit == 64);
		else
			CHECK(w, out.err_reason == DAMON_ERR_TOO_MUCH_MEMORY);
		return;
	}
	/* A pid was refused: all before it were fine, and it for its reason. */
	CHECK(w, out.err_field == DAMON_FIELD_PIDS && pids_ok);
	k = out.err_index;
	CHECK(w, k < view.nr_pids);
	for (i = 0; i < k; i++) {
		CHECK(w, kp[i] > 0 && kp[i] != 2);
		for (j = 0; j < i; j++)
			CHECK(w, kp[i] != kp[j]);
	}
	for (j = 0; j < k && kp[j] != kp[k]; j++)
		;
	if (j < k) {
		CHECK(w, e == EINVAL && out.err_reason == DAMON_ERR_DUPLICATE);
	} else if (kp[k] <= 0) {
		CHECK(w, e == EINVAL && out.err_reason == DAMON_ERR_TOO_SMALL &&
			 out.err_limit == 1);
	} else {
		/* We, init and the long-lived children never go away. */
		CHECK(w, kp[k] != getpid() && kp[k] != 1 && kp[k] != toucher &&
			 kp[k] != sleeper);
		for (i = 0; i < NR_WORKERS; i++)
			CHECK(w, kp[k] != workers[i].tid);
		if (kp[k] == 2)
			CHECK(w, e == EINVAL && out.err_reason == DAMON_ERR_NO_MM);
		else if (e == ESRCH)
			CHECK(w, out.err_reason == DAMON_ERR_NO_SUCH_PROCESS);
		else if (e == EPERM)
			CHECK(w, out.err_reason == DAMON_ERR_NOT_PERMITTED);
		else
			CHECK(w, e == EINVAL && out.err_reason == DAMON_ERR_NO_MM);
	}
}

static void fuzz_status(struct worker *w, int fd, unsigned long cmd,
			uint64_t extra)
{
	struct damon_target_status ts[64 + 4];
	struct damon_status st, view, out;
	struct kt_rng *r = &w->r;
	char img[2 * PAGE];
	struct arg a, ta;
	size_t len;
	uint32_t i, filled;
	int want, e;
	bool room;

	memset(ts, 0x5a, sizeof(ts));
	place(w, w->rw2, &ta, ts, sizeof(ts));
	memset(&st, 0, sizeof(st));
	if (chance(r, 30))
		for (i = 0; i < sizeof(st); i++)
			((char *)&st)[i] = (char)kt_rnd(r);
	st.__pad = chance(r, 80) ? 0 : (uint32_t)kt_rnd(r);
	st.targets_len = chance(r, 70) ? kt_below(r, 66) : (uint32_t)interesting(r);
	st.targets = (uintptr_t)ta.p;
	st.size = gen_size(r, sizeof(st));
	/* A size cutting into the pointer would let the kernel write anywhere. */
	if (st.size > offsetof(struct damon_status, targets) &&
	    st.size < offsetof(struct damon_status, snapshots))
		st.targets_len = 0;
	len = build_img(r, img, &st, sizeof(st));
	place(w, w->rw, &a, img, len);
	want = copy_in_errno(&a, img, sizeof(st));
	kernel_view(&view, img, sizeof(view));
	describe_arg(w, "STATUS", cmd, fd, &a, st.size);
	e = do_ioctl(fd, cmd, a.p);
	if (!want && view.__pad)
		want = EINVAL;
	if (want) {
		check(w, K_STATUS, e, B(want) | extra);
		check_untouched(w, &a, img, 0);
		return;
	}
	/*
	 * A session has at most 64 targets: an array with room for that many
	 * (or for targets_len) never fails; another may, if there are targets.
	 */
	room = !view.targets_len ||
	       (view.targets == st.targets && ta.writable &&
		is_readable(&ta, MIN(view.targets_len, 64u) * sizeof(ts[0])));
	if (!a.writable)
		check(w, K_STATUS, e, B(EFAULT) | extra);
	else
		check(w, K_STATUS, e, B(0) | (room ? 0 : B(EFAULT)) | extra);
	if (e)
		return;
	check_untouched(w, &a, img, sizeof(st));
	memset(&out, 0, sizeof(out));
	memcpy(&out, a.p, MIN(st.size, sizeof(out)));
	if (st.size < sizeof(out))
		return;
	CHECK(w, out.state <= DAMON_STATE_ENDED);
	CHECK(w, out.end_reason <= DAMON_END_TARGETS_EXITED);
	CHECK(w, out.state != DAMON_STATE_RUNNING || !out.end_reason);
	CHECK(w, out.nr_targets <= 64 && !out.__pad);
	CHECK(w, out.dropped <= out.snapshots && out.queued <= 4096);
	if (view.targets != st.targets || !ta.writable || ta.readable != SIZE_MAX)
		return;
	filled = MIN(out.nr_targets, view.targets_len);
	for (i = 0; i < filled; i++) {
		struct damon_target_status t;

		memcpy(&t, ta.p + i * sizeof(t), sizeof(t));
		CHECK(w, t.pid > 0 && !(t.flags & ~7u) && !t.__pad);
		CHECK(w, t.nr_regions <= 2 * 65536 + 3);
	}
	for (i = filled * sizeof(ts[0]); i < sizeof(ts); i++)
		CHECK(w, ta.p[i] == 0x5a);
}

/* START and STOP take no argument: anything may be passed. */
static void fuzz_start_stop(struct worker *w, int fd, unsigned long cmd,
			    bool start, uint64_t extra)
{
	struct arg a = { .p = (char *)bad_ptr(&w->r) };
	int e;

	describe_arg(w, start ? "START" : "STOP", cmd, fd, &a, 0);
	e = do_ioctl(fd, cmd, a.p);
	if (!start)
		check(w, K_STOP, e, B(0) | extra);
	else if (fd == w->fd && w->fresh)
		check(w, K_START, e, B(EINVAL));	/* no targets yet */
	else
		check(w, K_START, e, B(0) | B(EBUSY) | B(EINVAL) | B(ENOMEM) | extra);
}

static void dispatch(struct worker *w, int fd, unsigned long cmd, uint64_t extra)
{
	switch (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) {
	case DAMON_IOC_HANDSHAKE & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT):
		fuzz_handshake(w, fd, cmd, extra);
		break;
	case DAMON_IOC_SET_ATTRS & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT):
		fuzz_set_attrs(w, fd, cmd, extra);
		break;
	case DAMON_IOC_SET_TARGETS & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT):
		if (fd == w->fd)
			w->fresh = false;
		fuzz_set_targets(w, fd, cmd, extra);
		break;
	case DAMON_IOC_STATUS & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT):
		fuzz_status(w, fd, cmd, extra);
		break;
	case DAMON_IOC_START:
		fuzz_start_stop(w, fd, cmd, true, extra);
		break;
	case DAMON_IOC_STOP:
		fuzz_start_stop(w, fd, cmd, false, extra);
		break;
	default: {
		struct arg a = { .p = chance(&w->r, 50) ? w->rw : (char *)bad_ptr(&w->r) };

		describe_arg(w, "unknown cmd", cmd, fd, &a, 0);
		check(w, _IOC_TYPE(cmd) == DAMON_IOC_MAGIC ? K_OUR_TYPE : K_OTHER_TYPE,
		      do_ioctl(fd, cmd, a.p), B(ENOTTY) | extra);
	}
	}
}

/* A random command: of our type with any number and direction, or not. */
static unsigned long random_cmd(struct kt_rng *r)
{
	/* Types the VFS answers itself (FIO*, FS_IOC_*, FI*): not ours. */
	static const unsigned int vfs_types[] = { 0x00, 'T', 'X', 'f', 0x94 };
	unsigned long cmd;
	size_t i;

	if (chance(r, 50))
		return _IOC(kt_below(r, 4), DAMON_IOC_MAGIC,
			    chance(r, 70) ? kt_below(r, 8) : kt_below(r, 256),
			    kt_below(r, _IOC_SIZEMASK + 1));
	for (;;) {
		cmd = (uint32_t)kt_rnd(r);
		for (i = 0; i < ARRAY_SIZE(vfs_types); i++)
			if (_IOC_TYPE(cmd) == vfs_types[i])
				break;
		if (i == ARRAY_SIZE(vfs_types))
			return cmd;
	}
}

/* A read() size: zero, tiny, around a record, around the buffer, huge. */
static size_t gen_count(struct kt_rng *r)
{
	switch (kt_below(r, 8)) {
	case 0:
		return kt_below(r, 2);
	case 1:
		return sizeof(struct damon_snapshot) - 1 + kt_below(r, 3);
	case 2:
		return kt_below(r, PAGE);
	case 3:
		return ref_hs.max_snapshot_size - 1 + kt_below(r, 3);
	case 4:
		return interesting(r);
	default:
		return kt_below(r, BIG_LEN + PAGE);
	}
}

/* A buffer: bad, read-only, or the end of the big one (its guard after). */
static char *gen_buf(struct worker *w, size_t *avail)
{
	*avail = 0;
	switch (kt_below(&w->r, 8)) {
	case 0:
		return (char *)bad_ptr(&w->r);
	case 1:
		return w->ro;
	default:
		*avail = chance(&w->r, 50) ? kt_below(&w->r, PAGE) : kt_below(&w->r, BIG_LEN + 1);
		return w->big + BIG_LEN - *avail;
	}
}

/* Records read must tile the bytes returned and each be well formed. */
static void check_records(struct worker *w, const char *buf, size_t n)
{
	const struct damon_snapshot *s;
	size_t off = 0;

	memcpy(w->scratch, buf, n);
	while ((s = kt_next_snapshot(w->scratch, n, &off)))
		kt_check_snapshot(s);
}

/* The errnos of read() that do not depend on the buffer. */
static uint64_t read_errnos(struct worker *w, int fd, uint64_t extra)
{
	if (fd != w->fd)
		return B(EAGAIN) | B(EINTR) | extra;
	return w->nonblock ? B(EAGAIN) : B(EINTR);
}

static void fuzz_read(struct worker *w, int fd, uint64_t extra)
{
	size_t count = gen_count(&w->r), avail;
	char *buf = gen_buf(w, &avail);
	ssize_t n;
	int e;

	describe(w, "read fd %d buf %p (%zu writable) count %zu", fd,
		 (void *)buf, avail, count);
	n = read(fd, buf, count);
	e = n < 0 ? errno : 0;
	if ((uintptr_t)buf >= KERNEL_SPACE || count >= 1ULL << 57)
		check(w, K_READ, e, B(EFAULT) | extra);	/* access_ok() */
	else
		check(w, K_READ, e, B(0) | B(EINVAL) | B(EFAULT) |
		      read_errnos(w, fd, extra));
	if (n > 0) {
		CHECK(w, (size_t)n <= count && (size_t)n <= avail);
		check_records(w, buf, n);
	}
}

static void fuzz_readv(struct worker *w, int fd, uint64_t extra)
{
	struct iovec iov[3], *iovp = iov;
	size_t avail[3];
	int i, cnt = kt_below(&w->r, 4), e;
	bool bad_iov = chance(&w->r, 10), kernel = false, huge = false;
	ssize_t n;

	for (i = 0; i < cnt; i++) {
		iov[i].iov_len = gen_count(&w->r);
		iov[i].iov_base = gen_buf(w, &avail[i]);
		kernel |= (uintptr_t)iov[i].iov_base >= KERNEL_SPACE;
		huge |= iov[i].iov_len >= 1ULL << 57;
	}
	/*
	 * access_ok() of a huge length fails, but since 6.4 a single iovec is
	 * imported as a plain buffer whose length is first capped at
	 * MAX_RW_COUNT (import_ubuf()): then the read goes ahead.
	 */
	if (huge && cnt > 1)
		kernel = true;
	if (bad_iov)
		iovp = (struct iovec *)bad_ptr(&w->r);
	describe(w, "readv fd %d iov %p cnt %d", fd, (void *)iovp, cnt);
	n = readv(fd, iovp, cnt);
	e = n < 0 ? errno : 0;
	if (bad_iov && cnt)
		check(w, K_READV, e, B(EFAULT) | extra);
	else if (kernel)
		check(w, K_READV, e, B(EFAULT) | B(EINVAL) | extra);
	else
		check(w, K_READV, e, B(0) | B(EINVAL) | B(EFAULT) |
		      read_errnos(w, fd, extra));
	if (n > 0 && cnt == 1) {
		CHECK(w, (size_t)n <= iov[0].iov_len && (size_t)n <= avail[0]);
		check_records(w, iov[0].iov_base, n);
	}
}

/* poll/ppoll on up to four fds: ours, the private one, nothing, unopened. */
static void fuzz_poll(struct worker *w, bool p)
{
	struct pollfd pf[4];
	struct kt_rng *r = &w->r;
	int nfds = 1 + kt_below(r, 4), i, n, ready = 0, e;
	int timeout = chance(r, 5) ? -1 : (int)kt_below(r, 20);
	bool bad = chance(r, 5);
	struct timespec ts = { 0, timeout * 1000000L };
	sigset_t mask;

	for (i = 0; i < nfds; i++) {
		switch (kt_below(r, 6)) {
		case 0:
			pf[i].fd = w->fd;
			break;
		case 1:
			pf[i].fd = -1;
			break;
		case 2:
			pf[i].fd = SLOT_FD - 1;	/* never open */
			break;
		default:
			pf[i].fd = slot_fd(r);
		}
		pf[i].events = kt_rnd(r);
		pf[i].revents = kt_rnd(r);
	}
	describe(w, "%s nfds %d timeout %d%s", p ? "ppoll" : "poll", nfds,
		 timeout, bad ? " bad pointer" : "");
	sigemptyset(&mask);
	if (p)
		n = ppoll(bad ? (struct pollfd *)bad_ptr(r) : pf, nfds,
			  timeout < 0 ? NULL : &ts, chance(r, 50) ? &mask : NULL);
	else
		n = poll(bad ? (struct pollfd *)bad_ptr(r) : pf, nfds, timeout);
	e = n < 0 ? errno : 0;
	check(w, p ? K_PPOLL : K_POLL, e, bad ? B(EFAULT) : B(0) | B(EINTR));
	if (n < 0)
		return;
	for (i = 0; i < nfds; i++) {
		short may = (pf[i].events & (POLLIN | POLLRDNORM)) | POLLHUP;

		if (pf[i].fd < 0) {
			CHECK(w, !pf[i].revents);
			continue;
		}
		if (pf[i].fd != w->fd)
			may |= POLLNVAL;
		if (pf[i].fd == SLOT_FD - 1)
			CHECK(w, pf[i].revents == POLLNVAL);
		CHECK(w, !(pf[i].revents & ~may));
		ready += !!pf[i].revents;
	}
	CHECK(w, n == ready);
}

static void fuzz_epoll(struct worker *w)
{
	const uint32_t evmask = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLPRI |
				EPOLLRDHUP | EPOLLET | EPOLLONESHOT;
	struct epoll_event ev, evs[8];
	struct kt_rng *r = &w->r;
	int fd = chance(r, 30) ? w->fd : slot_fd(r);
	uint64_t own = fd == w->fd ? 0 : B(EBADF);
	int i, n, e;

	ev.events = kt_rnd(r) & evmask;
	ev.data.u64 = (uint64_t)ev.events << 32 | (uint32_t)fd;
	switch (kt_below(r, 4)) {
	case 0:
		describe(w, "epoll_ctl ADD fd %d events %#x", fd, ev.events);
		e = epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) ? errno : 0;
		check(w, K_EPOLL_CTL, e, B(0) | B(EEXIST) | own);
		return;
	case 1:
		describe(w, "epoll_ctl MOD fd %d events %#x", fd, ev.events);
		e = epoll_ctl(w->epfd, EPOLL_CTL_MOD, fd, &ev) ? errno : 0;
		check(w, K_EPOLL_CTL, e, B(0) | B(ENOENT) | own);
		return;
	case 2:
		describe(w, "epoll_ctl DEL fd %d", fd);
		e = epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL) ? errno : 0;
		check(w, K_EPOLL_CTL, e, B(0) | B(ENOENT) | own);
		return;
	}
	describe(w, "epoll_wait");
	n = epoll_wait(w->epfd, evs, ARRAY_SIZE(evs), kt_below(r, 10));
	check(w, K_EPOLL_WAIT, n < 0 ? errno : 0, B(0) | B(EINTR));
	for (i = 0; i < n; i++) {
		uint32_t asked = evs[i].data.u64 >> 32;

		CHECK(w, !(evs[i].events &
			   ~((asked & (EPOLLIN | EPOLLRDNORM)) | EPOLLHUP)));
	}
}

/* Calls /dev/damon does not support, and the generic ones it meets. */
static void fuzz_misc(struct worker *w, int fd, uint64_t extra)
{
	struct kt_rng *r = &w->r;
	/* Shared sessions are also opened write-only; private ones never. */
	int mode = fd == w->fd ? w->fd_mode : -1, on, e;
	char *p;
	void *m;

	switch (kt_below(r, 6)) {
	case 0:
		describe(w, "write fd %d", fd);
		e = write(fd, w->big, kt_below(r, 64)) < 0 ? errno : 0;
		check(w, K_WRITE, e, mode == O_RDONLY ? B(EBADF) :
		      mode == O_RDWR ? B(EINVAL) : B(EBADF) | B(EINVAL));
		break;
	case 1:
		describe(w, "lseek fd %d", fd);
		e = lseek(fd, kt_below(r, 100), SEEK_SET) < 0 ? errno : 0;
		check(w, K_LSEEK, e, B(ESPIPE) | extra);
		break;
	case 2:
		describe(w, "pread fd %d", fd);
		e = pread(fd, w->big, PAGE, kt_below(r, 100)) < 0 ? errno : 0;
		check(w, K_PREAD, e, B(ESPIPE) | extra);
		break;
	case 3:
		describe(w, "mmap fd %d", fd);
		m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
		e = m == MAP_FAILED ? errno : 0;
		if (m != MAP_FAILED)
			munmap(m, PAGE);
		check(w, K_MMAP, e, B(ENODEV) | (mode < 0 ? B(EACCES) : 0) | extra);
		break;
	case 4:
		on = chance(r, 50);
		p = chance(r, 10) ? (char *)bad_ptr(r) : (char *)&on;
		describe(w, "FIONBIO fd %d arg %p (%d)", fd, (void *)p, on);
		e = do_ioctl(fd, FIONBIO, p);
		check(w, K_FIONBIO, e, B(p == (char *)&on ? 0 : EFAULT) | extra);
		if (!e && fd == w->fd)
			w->nonblock = on;
		break;
	default:
		/* Not a regular file: the VFS passes FIONREAD on to us. */
		describe(w, "FIONREAD fd %d", fd);
		check(w, K_FIONREAD, do_ioctl(fd, FIONREAD, &on), B(ENOTTY) | extra);
	}
}

static int open_session(struct kt_rng *r, int *mode, bool *nonblock)
{
	static const int modes[] = { O_RDONLY, O_RDWR, O_WRONLY };
	int fd;

	*mode = modes[kt_below(r, 3)];
	*nonblock = chance(r, 50);
	fd = open(DAMON_DEVICE_PATH, *mode | O_CLOEXEC | (*nonblock ? O_NONBLOCK : 0));
	if (fd < 0)
		KT_FAIL("seed %llu: open %s: %s", seed, DAMON_DEVICE_PATH, strerror(errno));
	KT_ASSERT(fd < SLOT_FD - 1);
	return fd;
}

/* Configure a session to run fast on live targets; errors are fine here. */
static void quick_start(struct kt_rng *r, int fd)
{
	int32_t pids[3] = { toucher, sleeper, kids[kt_below(r, NR_KIDS)] };
	struct damon_attrs at = {
		.size = sizeof(at), .sample_us = 1000, .aggr_us = 5000 + kt_below(r, 20000),
		.min_nr_regions = 3 + kt_below(r, 10), .max_nr_regions = 20 + kt_below(r, 200),
		.queue_depth = 1 + kt_below(r, 8),
	};
	struct damon_targets t = {
		.size = sizeof(t), .nr_pids = 1 + kt_below(r, 3), .pids = (uintptr_t)pids,
	};

	ioctl(fd, DAMON_IOC_SET_ATTRS, &at);
	ioctl(fd, DAMON_IOC_SET_TARGETS, &t);
	ioctl(fd, DAMON_IOC_START);
}

/* Replace a shared session by a new one, or close it, under other users. */
static void fuzz_slot(struct worker *w)
{
	struct kt_rng *r = &w->r;
	int slot = slot_fd(r), fd, mode, e;
	bool nb;

	if (chance(r, 10)) {
		describe(w, "close fd %d", slot);
		check(w, K_CLOSE, close(slot) ? errno : 0, B(0) | B(EBADF));
		return;
	}
	fd = open_session(r, &mode, &nb);
	if (chance(r, 70))
		quick_start(r, fd);
	describe(w, "dup2 %d to fd %d", fd, slot);
	e = dup2(fd, slot) < 0 ? errno : 0;
	check(w, K_REOPEN, e, B(0));
	close(fd);
}

static void reopen_private(struct worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	for (;;) {
		w->fd = open_session(&w->r, &w->fd_mode, &w->nonblock);
		if (w->fd_mode != O_WRONLY)
			break;
		close(w->fd);
	}
	w->fresh = true;
}

/* A rapid series of calls on one session, to make them collide. */
static void burst(struct worker *w, int fd, uint64_t extra)
{
	struct kt_rng *r = &w->r;
	int i, n = 5 + kt_below(r, 30);

	for (i = 0; i < n; i++) {
		switch (kt_below(r, 6)) {
		case 0:
			fuzz_start_stop(w, fd, DAMON_IOC_START, true, extra);
			break;
		case 1:
			fuzz_start_stop(w, fd, DAMON_IOC_STOP, false, extra);
			break;
		case 2:
			quick_start(r, fd);
			if (fd == w->fd)
				w->fresh = false;
			break;
		case 3:
			fuzz_read(w, fd, extra);
			break;
		case 4:
			fuzz_status(w, fd, DAMON_IOC_STATUS, extra);
			break;
		default:
			if (fd != w->fd && chance(r, 20))
				fuzz_slot(w);
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct kt_rng *r = &w->r;
	static const unsigned long cmds[] = {
		DAMON_IOC_HANDSHAKE, DAMON_IOC_SET_ATTRS, DAMON_IOC_SET_TARGETS,
		DAMON_IOC_STATUS, DAMON_IOC_START, DAMON_IOC_STOP,
	};

	w->tid = gettid();
	w->epfd = KT_SYS(epoll_create1(EPOLL_CLOEXEC));
	w->fd = -1;
	reopen_private(w);
	while (atomic_load(&fuzzing)) {
		bool shared = chance(r, 60);
		int fd = shared ? slot_fd(r) : w->fd;
		/* A shared fd may be closed by another thread at any time. */
		uint64_t extra = shared ? B(EBADF) : 0;
		unsigned int what = kt_below(r, 100);

		if (what < 55)
			dispatch(w, fd, maybe_resize(r, cmds[kt_below(r, ARRAY_SIZE(cmds))]),
				 extra);
		else if (what < 63)
			dispatch(w, fd, random_cmd(r), extra);
		else if (what < 75)
			fuzz_read(w, fd, extra);
		else if (what < 78)
			fuzz_readv(w, fd, extra);
		else if (what < 83)
			fuzz_poll(w, chance(r, 30));
		else if (what < 87)
			fuzz_epoll(w);
		else if (what < 91)
			fuzz_misc(w, fd, extra);
		else if (what < 95)
			burst(w, fd, extra);
		else if (what < 99)
			fuzz_slot(w);
		else
			reopen_private(w);
	}
	close(w->fd);
	close(w->epfd);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Interrupt whatever the workers block in, until they have all returned. */
static void *kicker_main(void *arg)
{
	struct kt_rng r = { seed ^ 0x6b69636b };

	(void)arg;
	while (atomic_load(&kicking)) {
		usleep(2000 + kt_below(&r, 20000));
		pthread_kill(workers[kt_below(&r, NR_WORKERS)].th, SIGUSR1);
	}
	return NULL;
}

/* Children that live a few milliseconds, to be targets that vanish. */
static void *spawner_main(void *arg)
{
	struct kt_rng r = { seed ^ 0x6b696473 };
	unsigned int i = 0;

	(void)arg;
	while (atomic_load(&fuzzing)) {
		unsigned int delay = kt_below(&r, 20000);
		pid_t old = kids[i % NR_KIDS], pid;

		/* The oldest has long exited; reaped only now, a zombie until then. */
		if (old > 0)
			while (waitpid(old, NULL, 0) < 0 && errno == EINTR)
				;
		pid = fork();
		if (pid < 0)
			KT_FAIL("fork: %s", strerror(errno));
		if (!pid) {
			struct timespec ts = { 0, delay * 1000L };

			close_range(3, ~0U, 0);
			nanosleep(&ts, NULL);
			_exit(0);
		}
		kids[i++ % NR_KIDS] = pid;
		usleep(1000 + kt_below(&r, 4000));
	}
	for (i = 0; i < NR_KIDS; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	return NULL;
}

static char *map_guarded(size_t len, int prot)
{
	char *p = mmap(NULL, len + PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	KT_ASSERT(p != MAP_FAILED);
	KT_SYS(mprotect(p, len, prot));
	return p;
}


/* After all that, a plain session must still monitor and stop. */
static void verify_device(void)
{
	int fd = kt_open(), i;
	unsigned long base;
	pid_t child = kt_spawn_toucher(16 << 20, 0, 4 << 20, &base);
	const struct damon_snapshot *s;
	struct damon_status st;
	size_t len;
	char *buf;

	kt_set_attrs(fd, 5000, 100000, 10, 100, 16, DAMON_ATTR_TLB_FLUSH);
	kt_set_targets(fd, &child, 1);
	len = kt_max_snapshot(fd);
	buf = malloc(len);
	KT_ASSERT(buf);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	s = kt_read_one(fd, buf, len);
	KT_ASSERT(s->nr_targets == 1 && kt_first_target(s)->pid == child);
	KT_ASSERT(kt_first_target(s)->nr_regions >= 3);
	KT_SYS(ioctl(fd, DAMON_IOC_STOP));
	kt_status(fd, &st);
	KT_ASSERT(st.state == DAMON_STATE_ENDED && st.end_reason == DAMON_END_STOPPED);
	close(fd);
	kt_kill(child);
	free(buf);
	for (i = 0; i < 50 && kt_count_kdamonds(); i++)
		usleep(100000);
	KT_ASSERT(!kt_count_kdamonds());
	kt_pass("afterwards a fresh session monitors, reads and stops; no damondev thread is left");
}

static void print_stats(void)
{
	unsigned long total = 0, n;
	int k, e;

	printf("# calls by kind and result:\n");
	for (k = 0; k < NR_KINDS; k++) {
		char line[600];
		int len = 0;

		n = 0;
		for (e = 0; e < 64; e++)
			n += stats[k][e];
		total += n;
		len += snprintf(line + len, sizeof(line) - len, "#   %-22s %8lu:",
				kind_name[k], n);
		for (e = 0; e < 64; e++)
			if (stats[k][e])
				len += snprintf(line + len, sizeof(line) - len, " %s %lu",
						e == 63 ? "other" : errname(e),
						(unsigned long)stats[k][e]);
		puts(line);
	}
	printf("# %lu calls in all\n", total);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	pthread_t kicker, spawner;
	unsigned long seconds = 60, base;
	char *reserve;
	int i, fd;

	seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtoul(argv[++i], NULL, 0);
		else
			KT_FAIL("usage: %s [--seed N] [--seconds N]", argv[0]);
	}
	printf("# seed %llu, %lu seconds (replay: %s --seed %llu --seconds %lu)\n",
	       seed, seconds, argv[0], seed, seconds);
	fflush(stdout);

	sigaction(SIGUSR1, &sa, NULL);
	fd = kt_open();
	kt_handshake(fd, &ref_hs);
	close(fd);
	toucher = kt_spawn_toucher(16 << 20, 0, 4 << 20, &base);
	sleeper = kt_spawn_sleeper();

	/* A hole between PROT_NONE pages: nothing of ours will map there. */
	reserve = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KT_ASSERT(reserve != MAP_FAILED);
	hole = reserve + 8 * PAGE;
	KT_SYS(munmap(hole, PAGE));
	i = 0;
	bad_ptrs[i++] = 0;
	bad_ptrs[i++] = 1;
	bad_ptrs[i++] = 0x1000;			/* below mmap_min_addr */
	bad_ptrs[i++] = (uintptr_t)hole;
	bad_ptrs[i++] = (uintptr_t)hole + PAGE - 2;	/* straddles a PROT_NONE page */
	bad_ptrs[i++] = (uintptr_t)reserve;	/* PROT_NONE */
	bad_ptrs[i++] = 0xffff888000000000ULL;	/* the direct map */
	bad_ptrs[i++] = 0xffffffff81000000ULL;	/* kernel text */
	bad_ptrs[i++] = 0xffffffffff600000ULL;	/* vsyscall page */
	bad_ptrs[i++] = 0x8000000000000000ULL;	/* non-canonical */
	bad_ptrs[i++] = ~0ULL - 3;
	KT_ASSERT(i == ARRAY_SIZE(bad_ptrs));

	/* The shared sessions; some are closed and replaced as we go. */
	for (i = 0; i < NR_SLOTS; i++) {
		fd = kt_open();
		KT_SYS(dup2(fd, SLOT_FD + i));
		close(fd);
	}
	for (i = 0; i < NR_WORKERS; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->r.s = seed * (i + 1) + i;
		w->rw = map_guarded(2 * PAGE, PROT_READ | PROT_WRITE);
		w->rw2 = map_guarded(2 * PAGE, PROT_READ | PROT_WRITE);
		w->ro = map_guarded(2 * PAGE, PROT_READ);
		w->big = map_guarded(BIG_LEN, PROT_READ | PROT_WRITE);
		w->scratch = aligned_alloc(64, BIG_LEN + PAGE);
		KT_ASSERT(w->scratch);
	}
	pthread_create(&spawner, NULL, spawner_main, NULL);
	for (i = 0; i < NR_WORKERS; i++)
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	pthread_create(&kicker, NULL, kicker_main, NULL);

	sleep(seconds);
	atomic_store(&fuzzing, false);
	for (i = 0; i < NR_WORKERS; i++)
		pthread_join(workers[i].th, NULL);
	atomic_store(&kicking, false);
	pthread_join(kicker, NULL);
	pthread_join(spawner, NULL);
	for (i = 0; i < NR_SLOTS; i++)
		close(SLOT_FD + i);
	/* The hole must have stayed a hole, or EFAULT was not what we tested. */
	KT_ASSERT(msync(hole, PAGE, MS_ASYNC) == -1 && errno == ENOMEM);
	kt_kill(toucher);
	kt_kill(sleeper);
	print_stats();
	kt_pass("%lu seconds of fuzzing: every call returned an allowed result", seconds);
	verify_device();
	return 0;
}
