// SPDX-License-Identifier: GPL-2.0
/*
 * Acting on snapshots (see actor.h).  A snapshot says what the regions
 * were some milliseconds ago; before advising a range we make sure it is
 * still the same process (a pidfd, checked against the start time we
 * first saw) and that the range is still mapped (the target's maps of the
 * moment), and advise only the mapped parts, one mapping at a time, so a
 * refusal of one mapping (an mlock()ed one, say) costs only that one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "maps.h"
#include "msg.h"
#include "targetset.h"
#include "units.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25	/* Linux 6.1; glibc 2.36 does not know it */
#endif

static const int advice[SCHEME_NR_ACTIONS] = {
	[SCHEME_STAT] = -1,
	[SCHEME_PAGEOUT] = MADV_PAGEOUT,
	[SCHEME_COLD] = MADV_COLD,
	[SCHEME_COLLAPSE] = MADV_COLLAPSE,
	[SCHEME_WILLNEED] = MADV_WILLNEED,
};

/* A process we act on: who it is, and its mappings in this pass. */
struct actor_target {
	int32_t pid;
	uint64_t start;		/* the start time first seen */
	int pidfd;		/* -1: not opened, or gone */
	uint64_t pass;		/* the pass that read maps */
	bool gone;
	struct maps maps;
};

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static atomic_bool said_cannot_act;

static bool acts(const struct actor *a, size_t i)
{
	return a->schemes[i].action != SCHEME_STAT && a->can_act;
}

int actor_init(struct actor *a, struct scheme *schemes, size_t n, bool log)
{
	static char probe[1] __attribute__((aligned(4096)));
	struct iovec iov = { .iov_base = probe, .iov_len = 1 };
	bool wants = false;
	size_t i;
	int fd;

	memset(a, 0, sizeof(*a));
	a->schemes = schemes;
	a->n = n;
	a->log = log;
	a->state = calloc(n ? n : 1, sizeof(*a->state));
	a->stats = calloc(n ? n : 1, sizeof(*a->stats));
	if (!a->state || !a->stats) {
		actor_free(a);
		return -1;
	}
	for (i = 0; i < n; i++) {
		a->stats[i].action = schemes[i].action;
		snprintf(a->stats[i].text, sizeof(a->stats[i].text), "%s",
			 schemes[i].text);
		a->state[i].psi_on = true;
		if (schemes[i].action != SCHEME_STAT)
			wants = true;
	}
	if (!wants)
		return 0;
	/* Ask the kernel rather than guess from capabilities: what it
	 * requires differs between versions.  MADV_COLD on one page of our
	 * own changes nothing that matters. */
	probe[0] = 1;
	fd = pidfd_open(getpid(), 0);
	if (fd >= 0 && process_madvise(fd, &iov, 1, MADV_COLD, 0) >= 0) {
		a->can_act = true;
	} else {
		int err = errno;

		/* The exporter makes an actor per session: said once. */
		if (err == EPERM && !atomic_exchange(&said_cannot_act, true))
			warnmsg("acting on memory takes CAP_SYS_NICE: the "
				"schemes only count what they would act on "
				"(run as root, or give damonctl the "
				"capability: setcap cap_sys_nice+ep "
				"$(command -v damonctl))");
		else if (err != EPERM &&
			 !atomic_exchange(&said_cannot_act, true))
			warnmsg("this kernel cannot advise another process's "
				"memory (process_madvise: %s, Linux 5.10 or "
				"later needed): the schemes only count what "
				"they would act on", strerror(err));
	}
	if (fd >= 0)
		close(fd);
	for (i = 0; i < n; i++)
		if (schemes[i].action != SCHEME_STAT && !a->can_act)
			a->stats[i].flags |= DAMONREC_SCHEME_STAT_ONLY;
	return 0;
}

static void target_release(struct actor_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	maps_free(&t->maps);
	memset(&t->maps, 0, sizeof(t->maps));
}

void actor_forget(struct actor *a, int32_t pid)
{
	size_t i;

	for (i = 0; i < a->nr_targets; i++)
		if (a->targets[i].pid == pid) {
			target_release(&a->targets[i]);
			a->targets[i] = a->targets[--a->nr_targets];
			return;
		}
}

void actor_free(struct actor *a)
{
	size_t i;

	for (i = 0; i < a->nr_targets; i++)
		target_release(&a->targets[i]);
	free(a->targets);
	for (i = 0; a->state && i < a->n; i++)
		acted_free(&a->state[i].acted);
	free(a->state);
	free(a->stats);
	memset(a, 0, sizeof(*a));
}

/*
 * The process behind pid for this pass, with its mappings now; NULL if it
 * is gone or is not the process first seen under this pid.
 */
static struct actor_target *target_get(struct actor *a, int32_t pid)
{
	struct actor_target *t = NULL;
	char *text;
	size_t i, len;

	for (i = 0; i < a->nr_targets; i++)
		if (a->targets[i].pid == pid)
			t = &a->targets[i];
	if (!t) {
		struct actor_target *grown;

		grown = realloc(a->targets, (a->nr_targets + 1) * sizeof(*t));
		if (!grown)
			return NULL;
		a->targets = grown;
		t = &a->targets[a->nr_targets++];
		memset(t, 0, sizeof(*t));
		t->pid = pid;
		t->pidfd = -1;
		t->start = proc_start_time(pid);
		t->gone = !t->start;
	}
	if (t->gone) {
		uint64_t start = proc_start_time(pid);

		/* A new process under the old pid is a new target. */
		if (!start || start == t->start)
			return NULL;
		target_release(t);
		t->start = start;
		t->gone = false;
	}
	if (t->pass == a->next_id)
		return t;
	if (t->pidfd < 0) {
		t->pidfd = pidfd_open(pid, 0);
		/* With the pidfd held the pid cannot be reused: the start
		 * time now tells whether it is still the same process. */
		if (t->pidfd < 0 || proc_start_time(pid) != t->start) {
			target_release(t);
			t->gone = true;
			return NULL;
		}
	}
	maps_free(&t->maps);
	memset(&t->maps, 0, sizeof(t->maps));
	if (maps_read(pid, &text, &len)) {
		t->gone = true;
		return NULL;
	}
	maps_parse(text, len, &t->maps);
	free(text);
	t->pass = a->next_id;
	return t;
}

static enum damonrec_refusal refusal(int err)
{
	switch (err) {
	case EINVAL:
		return DAMONREC_REFUSED_EINVAL;
	case EPERM:
	case EACCES:
		return DAMONREC_REFUSED_EPERM;
	case EAGAIN:
	case EBUSY:
		return DAMONREC_REFUSED_EAGAIN;
	case ENOMEM:
		return DAMONREC_REFUSED_ENOMEM;
	default:
		return DAMONREC_REFUSED_OTHER;
	}
}

static void refused(struct actor *a, size_t i, int err, uint64_t bytes)
{
	struct actor_state *st = &a->state[i];

	a->stats[i].refused_bytes[refusal(err)] += bytes;
	a->stats[i].last_errno = err;
	st->unlogged++;
	st->unlogged_bytes += bytes;
	st->unlogged_errno = err;
}

static const char *refusal_hint(enum scheme_action action, int err)
{
	switch (err) {
	case EINVAL:
		return action == SCHEME_COLLAPSE ?
			" (huge pages off, too small a range, or a locked, "
			"PFN or hugetlb mapping)" :
			" (locked, PFN or hugetlb mappings are never advised)";
	case EPERM:
	case EACCES:
		return " (the process may no longer be monitored by you)";
	default:
		return "";
	}
}

static void log_refusals(struct actor *a, size_t i, uint64_t now)
{
	struct actor_state *st = &a->state[i];
	char b[UNITS_BUFSZ];

	if (!st->unlogged || !a->log || now < st->log_ns)
		return;
	warnmsg("scheme %zu (%s): the kernel refused %" PRIu64 " range%s "
		"(%s): %s%s", i + 1, scheme_action_name(a->schemes[i].action),
		st->unlogged, st->unlogged == 1 ? "" : "s",
		format_size(b, st->unlogged_bytes),
		strerror(st->unlogged_errno),
		refusal_hint(a->schemes[i].action, st->unlogged_errno));
	st->unlogged = st->unlogged_bytes = 0;
	st->log_ns = now + ACTOR_LOG_INTERVAL_NS;
}

/* The CPU time the acting thread spent since *cpu0, charged to scheme i. */
static void charge_cpu(struct actor *a, size_t i, uint64_t *cpu0)
{
	uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	a->state[i].cpu_used += cpu - *cpu0;
	a->stats[i].cpu_ns += cpu - *cpu0;
	*cpu0 = cpu;
}

static bool over_cpu_quota(const struct actor *a, size_t i)
{
	return a->schemes[i].quota_cpu_ns &&
	       a->state[i].cpu_used >= a->schemes[i].quota_cpu_ns;
}

/*
 * Advises [start, end) of t: the mapped parts, one mapping and at most
 * ACTOR_CHUNK at a time, so that the time quota and a stop are looked at
 * between calls.  Returns how far it got; the bytes tried (mapped) are
 * added to *tried, and what was not mapped is counted.
 */
static uint64_t advise(struct actor *a, size_t i, struct actor_target *t,
		       uint64_t start, uint64_t end, uint64_t *tried,
		       uint64_t *cpu0)
{
	struct damonrec_scheme_stats *st = &a->stats[i];
	uint64_t done = 0, mapped = 0, reached = start;
	size_t k;

	for (k = 0; k < t->maps.n && reached < end; k++) {
		const struct map_entry *e = &t->maps.e[k];
		uint64_t s = e->start > reached ? e->start : reached;
		uint64_t f = e->end < end ? e->end : end;

		if (s >= f)
			continue;
		/* The kernel's own pages in every process (VM_PFNMAP or
		 * VM_IO): never advised, and no use asking each time. */
		if (!strncmp(e->path, "[vvar", 5) ||
		    !strcmp(e->path, "[vsyscall]")) {
			reached = f;
			continue;
		}
		while (s < f) {
			uint64_t len = f - s < ACTOR_CHUNK ? f - s : ACTOR_CHUNK;
			struct iovec iov = {
				.iov_base = (void *)(uintptr_t)s,
				.iov_len = (size_t)len,
			};
			ssize_t n;

			if (a->stop || over_cpu_quota(a, i))
				goto out;
			mapped += len;
			n = process_madvise(t->pidfd, &iov, 1,
					    advice[a->schemes[i].action], 0);
			if (n >= 0) {
				done += (uint64_t)n;
			} else if (errno == ESRCH) {
				t->gone = true;
				reached = end;
				goto out;
			} else {
				refused(a, i, errno, len);
			}
			s += len;
			reached = s;
			charge_cpu(a, i, cpu0);
		}
	}
	if (reached < end)
		reached = end;	/* the rest is not mapped */
out:
	st->unmapped_bytes += reached - start - mapped;
	st->applied_bytes += done;
	if (done)
		st->applied_regions++;
	*tried += mapped;
	return reached;
}

struct candidate {
	int32_t pid;
	uint64_t start, end;
	uint64_t priority;
};

static int by_priority(const void *x, const void *y)
{
	const struct candidate *a = x, *b = y;

	if (a->priority != b->priority)
		return a->priority < b->priority ? 1 : -1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* The matching regions of a snapshot; NULL with *n 0 if none (or no
 * memory: then the scheme skips this snapshot). */
static struct candidate *candidates(const struct scheme *sc,
				    const struct snap *s, size_t *n)
{
	const unsigned char *cur = s->first_target;
	struct candidate *c = NULL;
	size_t cap = 0;
	uint32_t ti, ri;

	*n = 0;
	for (ti = 0; ti < s->hdr.nr_targets; ti++) {
		struct snap_target t;

		snap_next_target(s, &cur, &t);
		if (t.t.flags & (DAMON_TARGET_EXITED | DAMON_TARGET_REVOKED))
			continue;
		for (ri = 0; ri < t.t.nr_regions; ri++) {
			struct damon_snapshot_region r;
			uint64_t age_ns;
			uint32_t share;

			snap_region(&t, ri, &r);
			if (!scheme_match(sc, r.end - r.start, r.nr_accesses,
					  s->hdr.nr_passes, r.age,
					  s->hdr.aggr_us))
				continue;
			if (*n == cap) {
				struct candidate *g;

				cap = cap ? cap * 2 : 64;
				g = realloc(c, cap * sizeof(*c));
				if (!g) {
					free(c);
					*n = 0;
					return NULL;
				}
				c = g;
			}
			share = scheme_share_bp(r.nr_accesses,
						s->hdr.nr_passes);
			age_ns = (uint64_t)r.age * s->hdr.aggr_us * 1000ULL;
			c[*n] = (struct candidate){
				.pid = t.t.pid, .start = r.start, .end = r.end,
				.priority = scheme_priority(sc, share, age_ns),
			};
			(*n)++;
		}
	}
	return c;
}

/* Starts a new quota window when the last one has passed. */
static void quota_windows(const struct scheme *sc, struct actor_state *st,
			  uint64_t now)
{
	if (sc->quota_bytes &&
	    now >= st->bytes_window_ns + sc->quota_bytes_window_ns) {
		st->bytes_window_ns = now;
		st->bytes_used = 0;
	}
	if (sc->quota_cpu_ns &&
	    now >= st->cpu_window_ns + sc->quota_cpu_window_ns) {
		st->cpu_window_ns = now;
		st->cpu_used = 0;
	}
}

struct pieces {
	struct candidate *c;
	size_t n, cap;
	const struct candidate *of;
};

static bool piece_add(void *arg, uint64_t start, uint64_t end)
{
	struct pieces *p = arg;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct candidate *g = realloc(p->c, cap * sizeof(*g));

		if (!g)
			return false;
		p->c = g;
		p->cap = cap;
	}
	p->c[p->n] = *p->of;
	p->c[p->n].start = start;
	p->c[p->n].end = end;
	p->n++;
	return true;
}

/*
 * Cuts out of the candidates what was acted on within the scheme's least
 * age (see acted.h), and frees them.  NULL with *n 0 if nothing is left
 * (or no memory: then the scheme skips this snapshot).
 */
static struct candidate *trim_recent(const struct acted_set *acted,
				     struct candidate *c, size_t *n)
{
	struct pieces p = { 0 };
	size_t k;

	for (k = 0; k < *n; k++) {
		p.of = &c[k];
		if (!acted_gaps(acted, c[k].pid, c[k].start, c[k].end,
				piece_add, &p)) {
			free(p.c);
			p = (struct pieces){ 0 };
			break;
		}
	}
	free(c);
	*n = p.n;
	return p.c;
}

static void run_scheme(struct actor *a, size_t i, const struct snap *s,
		       uint64_t now)
{
	const struct scheme *sc = &a->schemes[i];
	struct damonrec_scheme_stats *st = &a->stats[i];
	struct actor_state *qs = &a->state[i];
	uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	size_t n, k;
	struct candidate *c;
	bool ages;

	c = candidates(sc, s, &n);
	ages = acts(a, i) && sc->age_min_ns;
	if (ages) {
		acted_prune(&qs->acted, sc->age_min_ns, now);
		c = trim_recent(&qs->acted, c, &n);
	}
	qsort(c, n, sizeof(*c), by_priority);
	quota_windows(sc, qs, now);
	for (k = 0; k < n && !a->stop; k++) {
		uint64_t len = c[k].end - c[k].start, take = len, reached;
		struct actor_target *t;

		st->matched_regions++;
		st->matched_bytes += len;
		if (over_cpu_quota(a, i))
			take = 0;
		if (sc->quota_bytes) {
			uint64_t left = sc->quota_bytes > qs->bytes_used ?
				sc->quota_bytes - qs->bytes_used : 0;

			/* Whole pages: a region is made of them. */
			left &= ~(uint64_t)4095;
			if (take > left)
				take = left;
		}
		if (!take) {
			st->quota_bytes += len;
			continue;
		}
		if (!acts(a, i)) {
			st->quota_bytes += len - take;
			st->applied_regions++;
			st->applied_bytes += take;
			qs->bytes_used += take;
			continue;
		}
		t = target_get(a, c[k].pid);
		if (!t) {
			reached = c[k].start + take;
			st->unmapped_bytes += take;
		} else {
			/* The quota is charged with what was tried, as
			 * upstream charges it: a refusal took time too. */
			reached = advise(a, i, t, c[k].start, c[k].start + take,
					 &qs->bytes_used, &cpu0);
		}
		/* What the quota or a stop left of it waits for next time. */
		st->quota_bytes += c[k].end - reached;
		if (ages && reached > c[k].start)
			acted_add(&qs->acted, c[k].pid, c[k].start, reached,
				  now);
	}
	charge_cpu(a, i, &cpu0);
	acted_sort(&qs->acted);
	free(c);
}

int actor_read_free(uint32_t *free_bp)
{
	uint64_t total = 0, free_kb = 0, v;
	char line[128], key[64];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %" SCNu64, key, &v) == 2) {
			if (!strcmp(key, "MemTotal"))
				total = v;
			else if (!strcmp(key, "MemFree"))
				free_kb = v;
		}
	fclose(f);
	if (!total) {
		errno = EINVAL;
		return -1;
	}
	*free_bp = (uint32_t)(free_kb * SCHEME_BP_MAX / total);
	return 0;
}

int actor_read_psi(const char *path, uint32_t *stalled_bp)
{
	char line[256];
	double avg10;
	FILE *f = fopen(path ? path : "/proc/pressure/memory", "re");
	int ret = -1;

	if (!f)
		return -1;
	/* Without psi=1 on a kernel built with PSI off by default the file
	 * exists but reading it fails with EOPNOTSUPP. */
	errno = EINVAL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "some avg10=%lf", &avg10) == 1) {
			*stalled_bp = (uint32_t)(avg10 * 100 + 0.5);
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

/* Whether the watermarks let scheme i act now. */
static bool watermarks(struct actor *a, size_t i, uint64_t now, bool *free_read,
		       uint32_t *free_bp)
{
	const struct scheme *sc = &a->schemes[i];
	struct actor_state *st = &a->state[i];
	uint32_t psi_bp;

	if (sc->free_wmarks) {
		if (!*free_read) {
			*free_read = true;
			if (actor_read_free(free_bp))
				*free_bp = SCHEME_BP_MAX;
		}
		st->free_on = scheme_free_active(sc, st->free_on, *free_bp);
	}
	if (sc->psi_wmarks) {
		/* An unreadable signal holds the scheme: acting blind
		 * under pressure is what the mark is there to avoid. */
		if (actor_read_psi(sc->psi_path, &psi_bp)) {
			if (a->log && now >= st->log_ns) {
				warnmsg("scheme %zu: cannot read memory "
					"pressure from %s: %s; the scheme "
					"waits", i + 1, sc->psi_path ?
					sc->psi_path : "/proc/pressure/memory",
					strerror(errno));
				st->log_ns = now + ACTOR_LOG_INTERVAL_NS;
			}
			st->psi_on = false;
		} else {
			st->psi_on = scheme_psi_active(sc, st->psi_on, psi_bp);
		}
	}
	return (!sc->free_wmarks || st->free_on) &&
	       (!sc->psi_wmarks || st->psi_on);
}

/* Targets that left the session, or exited, are let go of. */
static void prune(struct actor *a, const struct snap *s)
{
	size_t i = 0;

	while (i < a->nr_targets) {
		const unsigned char *cur = s->first_target;
		bool live = false;
		uint32_t k;

		for (k = 0; k < s->hdr.nr_targets && !live; k++) {
			struct snap_target t;

			snap_next_target(s, &cur, &t);
			live = t.t.pid == a->targets[i].pid &&
			       !(t.t.flags & DAMON_TARGET_EXITED);
		}
		if (live)
			i++;
		else
			actor_forget(a, a->targets[i].pid);
	}
}

bool actor_snapshot(struct actor *a, const struct snap *s)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	bool free_read = false;
	uint32_t free_bp = 0;
	size_t i;

	if (!a->n)
		return false;
	a->next_id++;
	prune(a, s);
	for (i = 0; i < a->n; i++) {
		a->stats[i].snapshots++;
		if (!watermarks(a, i, now, &free_read, &free_bp)) {
			a->stats[i].flags &= ~DAMONREC_SCHEME_ACTIVE;
			a->stats[i].inactive++;
			continue;
		}
		a->stats[i].flags |= DAMONREC_SCHEME_ACTIVE;
		run_scheme(a, i, s, now);
		log_refusals(a, i, now);
	}
	return true;
}
