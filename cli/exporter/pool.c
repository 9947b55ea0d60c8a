// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's sessions.  A group's processes are spread over sessions
 * of at most max_targets targets each (64 in this module): one session
 * per 64 processes, each with its own kernel thread, rather than one
 * thread walking a thousand address spaces in turn and falling behind.
 * A process keeps its session while it lives, so its regions and their
 * ages survive every rescan; a session that is left with no process is
 * closed, so that an idle exporter holds no /dev/damon file open (and the
 * module can be unloaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "exporter.h"
#include "msg.h"
#include "snapshot.h"

const unsigned int xp_idle_seconds[XP_NR_IDLE] = { 1, 10, 60, 300, 1800 };

/* Before the first handshake: the module's value since API version 1. */
#define XP_DEFAULT_MAX_TARGETS	64

void xp_log(struct exporter *ex, const char *fmt, ...)
{
	char msg[sizeof(ex->last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ex->errors++;
	/* An exporter runs for months: a problem that lasts is said once,
	 * not at every rescan. */
	if (!strcmp(msg, ex->last_error))
		return;
	snprintf(ex->last_error, sizeof(ex->last_error), "%s", msg);
	errmsg("%s", msg);
}

/* Adds one scheme's counters to another's (flags: either's). */
static void add_stats(struct damonrec_scheme_stats *to,
		      const struct damonrec_scheme_stats *from)
{
	int k;

	to->action = from->action;
	to->flags |= from->flags;
	to->snapshots += from->snapshots;
	to->inactive += from->inactive;
	to->matched_regions += from->matched_regions;
	to->matched_bytes += from->matched_bytes;
	to->applied_regions += from->applied_regions;
	to->applied_bytes += from->applied_bytes;
	to->quota_bytes += from->quota_bytes;
	to->unmapped_bytes += from->unmapped_bytes;
	for (k = 0; k < DAMONREC_NR_REFUSALS; k++)
		to->refused_bytes[k] += from->refused_bytes[k];
	to->cpu_ns += from->cpu_ns;
	if (from->last_errno)
		to->last_errno = from->last_errno;
}

/* The latest counters of the session's schemes. */
static void pull_schemes(struct exporter *ex, struct xp_session *s)
{
	const struct damonrec_scheme_stats *st;

	if (!s->runner)
		return;
	st = runner_stats(s->runner);
	if (st)
		memcpy(s->scheme_stats, st, ex->nschemes * sizeof(*st));
}

/*
 * Ends the session's schemes; what they did goes into the group's base,
 * so that the group's counters only grow.  g is NULL for a session of no
 * group (the probe), which has none.
 */
static void sess_end_schemes(struct exporter *ex, struct xp_group *g,
			     struct xp_session *s)
{
	size_t i;

	if (!s->runner)
		return;
	runner_stop(s->runner);
	pull_schemes(ex, s);
	for (i = 0; g && g->scheme_base && i < ex->nschemes; i++) {
		add_stats(&g->scheme_base[i], &s->scheme_stats[i]);
		/* A closed session acts no more. */
		g->scheme_base[i].flags &= ~DAMONREC_SCHEME_ACTIVE;
	}
	runner_free(s->runner);
	actor_free(s->actor);
	free(s->runner);
	free(s->actor);
	free(s->scheme_stats);
	s->runner = NULL;
	s->actor = NULL;
	s->scheme_stats = NULL;
}

/* Sets up the session's schemes; 0, or -1 when out of memory (logged). */
static int sess_start_schemes(struct exporter *ex, struct xp_group *g,
			      struct xp_session *s)
{
	if (!ex->nschemes || s->runner)
		return 0;
	if (!g->scheme_base)
		g->scheme_base = calloc(ex->nschemes, sizeof(*g->scheme_base));
	s->actor = calloc(1, sizeof(*s->actor));
	s->runner = calloc(1, sizeof(*s->runner));
	s->scheme_stats = calloc(ex->nschemes, sizeof(*s->scheme_stats));
	if (!g->scheme_base || !s->actor || !s->runner || !s->scheme_stats ||
	    actor_init(s->actor, ex->schemes, ex->nschemes, true))
		goto fail;
	if (runner_start(s->runner, s->actor)) {
		actor_free(s->actor);
		goto fail;
	}
	memcpy(s->scheme_stats, s->actor->stats,
	       ex->nschemes * sizeof(*s->scheme_stats));
	return 0;
fail:
	free(s->actor);
	free(s->runner);
	free(s->scheme_stats);
	s->actor = NULL;
	s->runner = NULL;
	s->scheme_stats = NULL;
	xp_log(ex, "out of memory for the schemes: the group's sessions "
	       "monitor without them");
	return -1;
}

static void sess_close(struct xp_session *s)
{
	if (s->open) {
		/* The session ends when its file is closed; stopping first
		 * only makes the thread's end immediate. */
		ioctl(s->dev.fd, DAMON_IOC_STOP);
		close(s->dev.fd);
	}
	s->open = s->running = false;
	s->sample_us = s->aggr_us = s->done = s->due = 0;
}

static int sess_open(struct exporter *ex, struct xp_session *s)
{
	struct damon_attrs a = ex->attrs, back;
	char msg[512];

	memset(&s->dev, 0, sizeof(s->dev));
	s->dev.path = device_path();
	s->dev.fd = open(s->dev.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (s->dev.fd < 0) {
		explain_open(msg, sizeof(msg), errno, s->dev.path);
		goto fail;
	}
	s->dev.hs.size = sizeof(s->dev.hs);
	if (ioctl(s->dev.fd, DAMON_IOC_HANDSHAKE, &s->dev.hs)) {
		explain_handshake(msg, sizeof(msg), errno, s->dev.path);
		goto fail_close;
	}
	device_fit_attrs(&s->dev, &a, ex->sample_given);
	if (!(s->dev.hs.features & DAMON_FEAT_AUTOTUNE))
		a.tune_goal_bp = 0;
	back = a;
	if (ioctl(s->dev.fd, DAMON_IOC_SET_ATTRS, &back)) {
		explain_attrs(msg, sizeof(msg), errno, &a, &back, &s->dev.hs);
		close(s->dev.fd);
		xp_log(ex, "%s", msg);
		return -2;
	}
	s->dev.attrs = a;
	s->open = true;
	s->running = false;
	ex->max_targets = s->dev.hs.max_targets;
	if (ex->device_failed) {
		ex->reconnects++;
		errmsg("%s works again: monitoring resumes", s->dev.path);
		ex->last_error[0] = '\0';
	}
	ex->device_up = true;
	ex->device_failed = false;
	return 0;
fail_close:
	close(s->dev.fd);
fail:
	ex->device_up = false;
	ex->device_failed = true;
	xp_log(ex, "%s; trying again at every update interval", msg);
	return -1;
}

int xp_probe(struct exporter *ex)
{
	struct xp_session s = { 0 };
	int ret = sess_open(ex, &s);

	if (!ret)
		sess_close(&s);
	return ret == -2 ? EXIT_FAIL : 0;
}

/* Ends a target's membership: the process is gone or refused. */
static void sess_remove(struct xp_session *s, size_t i)
{
	s->t[i] = s->t[--s->n];
	s->dirty = true;
}

static int add_skipped(struct xp_group *g, int32_t pid, uint64_t start)
{
	struct tproc *v = realloc(g->skipped, (g->nskipped + 1) * sizeof(*v));

	if (!v)
		return -1;
	g->skipped = v;
	g->skipped[g->nskipped].pid = pid;
	g->skipped[g->nskipped].start = start;
	g->nskipped++;
	return 0;
}

/*
 * SET_TARGETS with what the session holds, without each pid the module
 * refuses (a process that exited meanwhile, or one this user may not
 * monitor, which is remembered as skipped), then START if it is not
 * running.
 */
static void sess_apply(struct exporter *ex, struct xp_group *g,
		       struct xp_session *s)
{
	int32_t pids[s->n ? s->n : 1], refused[s->n ? s->n : 1];
	uint32_t nr = (uint32_t)s->n, nrefused = 0, k;
	struct damon_targets back;
	char msg[512];
	size_t i;
	int err;

	for (i = 0; i < s->n; i++)
		pids[i] = s->t[i].pid;
	err = device_set_targets_quiet(&s->dev, pids, &nr, refused, &nrefused,
				       &back);
	if (err) {
		explain_targets(msg, sizeof(msg), err, &back, back.nr_pids,
				&s->dev.attrs, &s->dev.hs, "a target", 0);
		xp_log(ex, "%s", msg);
		return;
	}
	/* Whatever the module did not take leaves the session. */
	for (i = 0; i < s->n;) {
		bool kept = false, was_refused = false;

		for (k = 0; k < nr && !kept; k++)
			kept = pids[k] == s->t[i].pid;
		for (k = 0; k < nrefused && !was_refused; k++)
			was_refused = refused[k] == s->t[i].pid;
		if (kept) {
			i++;
			continue;
		}
		if (was_refused && add_skipped(g, s->t[i].pid, s->t[i].start))
			xp_log(ex, "out of memory");
		sess_remove(s, i);
	}
	s->dirty = false;
	if (!s->n) {
		sess_end_schemes(ex, g, s);
		sess_close(s);
		return;
	}
	if (!s->running) {
		if (ioctl(s->dev.fd, DAMON_IOC_START)) {
			xp_log(ex, "starting a monitoring session failed: %s",
			       strerror(errno));
			s->dirty = true;
			return;
		}
		s->running = true;
	}
	sess_start_schemes(ex, g, s);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* A session with room, made if need be; NULL if out of memory. */
static struct xp_session *session_with_room(struct exporter *ex,
					    struct xp_group *g)
{
	uint32_t max = ex->max_targets ? ex->max_targets : XP_DEFAULT_MAX_TARGETS;
	struct xp_session *s;
	size_t i;

	for (i = 0; i < g->ns; i++)
		if (g->s[i].n < max)
			return &g->s[i];
	s = realloc(g->s, (g->ns + 1) * sizeof(*s));
	if (!s)
		return NULL;
	g->s = s;
	s = &g->s[g->ns++];
	memset(s, 0, sizeof(*s));
	s->t = calloc(max, sizeof(*s->t));
	if (!s->t) {
		g->ns--;
		return NULL;
	}
	s->dev.fd = -1;
	return s;
}

/*
 * Drops from now[] the processes an earlier group claimed (a process is
 * monitored once, in the first group that holds it) and the exporter
 * itself; claims the rest.  Returns the new count.
 */
static size_t claim(struct tproc *now, size_t n, struct tproc **claimed,
		    size_t *nclaimed)
{
	struct tproc *c;
	size_t i, j;

	for (i = j = 0; i < n; i++)
		if (now[i].pid != getpid() &&
		    !tproc_sorted_has(*claimed, *nclaimed, now[i].pid,
				      now[i].start))
			now[j++] = now[i];
	c = realloc(*claimed, (*nclaimed + j + 1) * sizeof(*c));
	if (!c)
		return j;
	memcpy(c + *nclaimed, now, j * sizeof(*c));
	*nclaimed += j;
	qsort(c, *nclaimed, sizeof(*c), tproc_cmp);
	*claimed = c;
	return j;
}

static void rescan_group(struct exporter *ex, struct xp_group *g,
			 struct tproc **claimed, size_t *nclaimed)
{
	struct tproc *now = NULL;
	int32_t *have = NULL;
	size_t i, j, nhave = 0, total = 0;
	long n = tgroup_scan(&g->g, &now);

	if (n == -2) {
		xp_log(ex, "out of memory listing the processes of %s",
		       g->g.label);
		return;
	}
	g->gone = n < 0;
	if (n < 0)
		n = 0;
	n = (long)claim(now, (size_t)n, claimed, nclaimed);
	/* Forget refusals of processes that have left. */
	for (i = j = 0; i < g->nskipped; i++)
		if (tproc_sorted_has(now, (size_t)n, g->skipped[i].pid,
				     g->skipped[i].start))
			g->skipped[j++] = g->skipped[i];
	g->nskipped = j;
	/* Departures, and targets the module revoked. */
	for (i = 0; i < g->ns; i++) {
		struct xp_session *s = &g->s[i];

		for (j = 0; j < s->n;) {
			struct xp_target *t = &s->t[j];

			if (t->flags & DAMON_TARGET_REVOKED) {
				if (add_skipped(g, t->pid, t->start))
					xp_log(ex, "out of memory");
				sess_remove(s, j);
			} else if (!tproc_sorted_has(now, (size_t)n, t->pid,
						     t->start)) {
				sess_remove(s, j);
			} else {
				/* An exec since the last scan renames it. */
				proc_comm(t->pid, t->comm, sizeof(t->comm));
				j++;
			}
		}
		total += s->n;
	}
	/* Arrivals. */
	have = malloc((total ? total : 1) * sizeof(*have));
	if (!have) {
		xp_log(ex, "out of memory");
		free(now);
		return;
	}
	for (i = 0; i < g->ns; i++)
		for (j = 0; j < g->s[i].n; j++)
			have[nhave++] = g->s[i].t[j].pid;
	qsort(have, nhave, sizeof(*have), cmp_i32);
	for (i = 0; i < (size_t)n; i++) {
		struct xp_session *s;
		struct xp_target *t;

		if (bsearch(&now[i].pid, have, nhave, sizeof(*have), cmp_i32) ||
		    tproc_has(g->skipped, g->nskipped, now[i].pid,
			      now[i].start))
			continue;
		s = session_with_room(ex, g);
		if (!s) {
			xp_log(ex, "out of memory");
			break;
		}
		t = &s->t[s->n++];
		memset(t, 0, sizeof(*t));
		t->pid = now[i].pid;
		t->start = now[i].start;
		proc_comm(t->pid, t->comm, sizeof(t->comm));
		s->dirty = true;
	}
	free(have);
	free(now);
	for (i = 0; i < g->ns; i++) {
		struct xp_session *s = &g->s[i];

		if (!s->dirty && (s->running || !s->n))
			continue;
		if (!s->n) {
			sess_end_schemes(ex, g, s);
			sess_close(s);
			s->dirty = false;
			continue;
		}
		if (!s->open && sess_open(ex, s))
			return;
		sess_apply(ex, g, s);
	}
}

void xp_rescan(struct exporter *ex)
{
	struct tproc *claimed = NULL;
	size_t i, nclaimed = 0;

	pthread_mutex_lock(&ex->lock);
	for (i = 0; i < ex->ng; i++)
		rescan_group(ex, &ex->groups[i], &claimed, &nclaimed);
	pthread_mutex_unlock(&ex->lock);
	free(claimed);
}

void xp_free_sessions(struct exporter *ex)
{
	size_t i, j;

	for (i = 0; i < ex->ng; i++) {
		struct xp_group *g = &ex->groups[i];

		for (j = 0; j < g->ns; j++) {
			sess_end_schemes(ex, g, &g->s[j]);
			sess_close(&g->s[j]);
			free(g->s[j].t);
			free(g->s[j].buf);
		}
		free(g->s);
		free(g->skipped);
		free(g->scheme_base);
		g->scheme_base = NULL;
		g->s = NULL;
		g->skipped = NULL;
		g->ns = g->nskipped = 0;
	}
}

/* The group's scheme counters: its closed sessions' and its open ones'. */
static void sum_schemes(const struct exporter *ex, const struct xp_group *g,
			struct xp_sums *sums)
{
	size_t i, j;

	if (!ex->nschemes)
		return;
	sums->schemes = calloc(ex->nschemes, sizeof(*sums->schemes));
	if (!sums->schemes)
		return;
	for (i = 0; i < ex->nschemes; i++) {
		sums->schemes[i].action = ex->schemes[i].action;
		if (g->scheme_base)
			add_stats(&sums->schemes[i], &g->scheme_base[i]);
		for (j = 0; j < g->ns; j++)
			if (g->s[j].scheme_stats)
				add_stats(&sums->schemes[i],
					  &g->s[j].scheme_stats[i]);
	}
}

void xp_sum_group(const struct exporter *ex, const struct xp_group *g,
		  struct xp_sums *sums)
{
	size_t i, j, running = 0;
	int k;

	memset(sums, 0, sizeof(*sums));
	sum_schemes(ex, g, sums);
	for (i = 0; i < g->ns; i++) {
		const struct xp_session *s = &g->s[i];

		if (s->open)
			sums->sessions++;
		if (s->running && s->aggr_us) {
			running++;
			sums->done += s->done;
			sums->due += s->due;
			sums->sample_s += s->sample_us / 1e6;
			sums->aggr_s += s->aggr_us / 1e6;
		}
		for (j = 0; j < s->n; j++) {
			const struct xp_target *t = &s->t[j];

			if (!xp_target_live(t))
				continue;
			sums->targets++;
			sums->monitored += t->monitored;
			sums->wss += t->wss;
			sums->regions += t->regions;
			for (k = 0; k < XP_NR_IDLE; k++)
				sums->idle[k] += t->idle[k];
		}
	}
	if (running) {
		sums->sample_s /= running;
		sums->aggr_s /= running;
	}
}

static int cmp_rows(const void *a, const void *b)
{
	const struct xp_row *x = a, *y = b;

	if (x->t->wss != y->t->wss)
		return x->t->wss < y->t->wss ? 1 : -1;
	return (x->t->pid > y->t->pid) - (x->t->pid < y->t->pid);
}

size_t xp_rows(const struct exporter *ex, struct xp_row **rows)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < ex->ng; i++)
		for (j = 0; j < ex->groups[i].ns; j++)
			n += ex->groups[i].s[j].n;
	*rows = n ? malloc(n * sizeof(**rows)) : NULL;
	if (!*rows)
		return 0;
	n = 0;
	for (i = 0; i < ex->ng; i++)
		for (j = 0; j < ex->groups[i].ns; j++)
			for (k = 0; k < ex->groups[i].s[j].n; k++) {
				const struct xp_target *t = &ex->groups[i].s[j].t[k];

				if (!xp_target_live(t))
					continue;
				(*rows)[n].g = &ex->groups[i];
				(*rows)[n++].t = t;
			}
	qsort(*rows, n, sizeof(**rows), cmp_rows);
	return n;
}

/* A target's figures from its section of a snapshot. */
static void take_target(struct xp_target *t, const struct snap_target *st,
			uint64_t aggr_us)
{
	uint32_t r;
	int k;

	t->seen = true;
	t->flags = st->t.flags;
	t->monitored = t->wss = 0;
	memset(t->idle, 0, sizeof(t->idle));
	t->regions = st->t.nr_regions;
	for (r = 0; r < st->t.nr_regions; r++) {
		struct damon_snapshot_region reg;
		uint64_t sz, idle_us;

		snap_region(st, r, &reg);
		sz = reg.end - reg.start;
		t->monitored += sz;
		if (reg.nr_accesses) {
			t->wss += sz;
			continue;
		}
		/* Not accessed in this interval nor, going by its age, in the
		 * age intervals before it. */
		idle_us = ((uint64_t)reg.age + 1) * aggr_us;
		for (k = 0; k < XP_NR_IDLE; k++)
			if (idle_us >= xp_idle_seconds[k] * 1000000ULL)
				t->idle[k] += sz;
	}
}

static void take_snapshot(struct xp_group *g, struct xp_session *s,
			  const struct snap *sn)
{
	const unsigned char *cur = sn->first_target;
	uint32_t i;

	g->snapshots++;
	g->cpu_ns += sn->hdr.cpu_ns;
	g->dropped += sn->hdr.dropped;
	s->sample_us = sn->hdr.sample_us;
	s->aggr_us = sn->hdr.aggr_us;
	s->done = sn->hdr.samples_done;
	s->due = sn->hdr.samples_due;
	for (i = 0; i < sn->hdr.nr_targets; i++) {
		struct snap_target st;
		size_t j;

		snap_next_target(sn, &cur, &st);
		for (j = 0; j < s->n && s->t[j].pid != st.t.pid; j++)
			;
		/* A target the session no longer holds: left meanwhile. */
		if (j == s->n)
			continue;
		if ((st.t.flags & DAMON_TARGET_REVOKED) &&
		    !(s->t[j].flags & DAMON_TARGET_REVOKED))
			g->revoked++;
		take_target(&s->t[j], &st, sn->hdr.aggr_us);
	}
}

static void take_records(struct xp_group *g, struct xp_session *s,
			 const unsigned char *p, size_t len)
{
	const unsigned char *last = NULL;
	size_t last_len = 0;

	while (len >= REC_FRAME_SIZE) {
		struct rec_frame frame;
		const char *why;
		struct snap sn;

		rec_frame_get(p, &frame);
		if (frame.size < REC_FRAME_SIZE || frame.size > len)
			break;
		if (frame.type == DAMON_RECORD_SNAPSHOT &&
		    !snap_parse(&sn, p, frame.size, &why)) {
			take_snapshot(g, s, &sn);
			last = p;
			last_len = frame.size;
		}
		p += frame.size;
		len -= frame.size;
	}
	/* The schemes act on the newest, in their own thread. */
	if (last && s->runner)
		runner_offer(s->runner, last, last_len);
}

static struct xp_group *group_of(struct exporter *ex, struct xp_session *s)
{
	size_t i;

	for (i = 0; i < ex->ng; i++)
		if (s >= ex->groups[i].s && s < ex->groups[i].s + ex->groups[i].ns)
			return &ex->groups[i];
	return NULL;
}

void xp_drain(struct exporter *ex, struct xp_session *s)
{
	struct xp_group *g;

	pthread_mutex_lock(&ex->lock);
	g = group_of(ex, s);
	if (!s->buf) {
		s->cap = s->dev.hs.max_snapshot_size;
		if (s->cap < 4096)
			s->cap = 4096;
		s->buf = malloc(s->cap);
	}
	while (g && s->open && s->buf) {
		ssize_t n = read(s->dev.fd, s->buf, s->cap);

		if (n > 0) {
			take_records(g, s, s->buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			/* Every target exited: the next rescan removes them
			 * and starts it again if the group has new ones. */
			s->running = false;
			s->dirty = true;
			break;
		}
		if (errno == EAGAIN)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL && s->cap < (64U << 20)) {
			unsigned char *p = realloc(s->buf, s->cap * 2);

			if (p) {
				s->buf = p;
				s->cap *= 2;
				continue;
			}
		}
		xp_log(ex, "reading snapshots from %s failed: %s; the session "
		       "is opened again", s->dev.path, strerror(errno));
		sess_end_schemes(ex, g, s);
		sess_close(s);
		s->dirty = true;
		break;
	}
	pull_schemes(ex, s);
	pthread_mutex_unlock(&ex->lock);
}
