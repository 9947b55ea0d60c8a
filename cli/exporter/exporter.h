/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_EXPORTER_H
#define DAMONCTL_EXPORTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "device.h"
#include "runner.h"
#include "scheme.h"
#include "targetset.h"

/*
 * damonctl exporter: always-on monitoring of target groups (cgroups,
 * process trees), served as Prometheus metrics.  pool.c keeps each
 * group's processes in sessions of at most max_targets targets and turns
 * snapshots into the figures below; metrics.c writes them in the text
 * exposition format; serve.c serves that over HTTP and into node_exporter's
 * textfile directory.  The main loop (cmd/cmd-exporter.c) is the only
 * writer; the HTTP thread reads under ex->lock.
 */

/* The damon_idle_bytes thresholds, in seconds. */
#define XP_NR_IDLE	5
extern const unsigned int xp_idle_seconds[XP_NR_IDLE];

/* One monitored process: what its last snapshot said. */
struct xp_target {
	int32_t pid;
	uint64_t start;
	char comm[17];
	bool seen;		/* a snapshot has covered it */
	uint32_t flags;		/* DAMON_TARGET_* of the last snapshot */
	uint64_t monitored, wss, idle[XP_NR_IDLE];
	uint32_t regions;
};

/* One /dev/damon session, holding some of a group's processes. */
struct xp_session {
	struct damon_device dev;
	bool open, running;
	struct xp_target *t;
	size_t n;
	bool dirty;		/* the targets changed: SET_TARGETS due */
	unsigned char *buf;
	size_t cap;
	/* From its latest snapshot. */
	uint64_t sample_us, aggr_us, done, due;
	/* --scheme: acting on its snapshots, and what that did so far. */
	struct actor *actor;
	struct actor_runner *runner;
	struct damonrec_scheme_stats *scheme_stats;
};

struct xp_group {
	struct tgroup g;
	struct xp_session *s;
	size_t ns;
	struct tproc *skipped;	/* present but refused by the module */
	size_t nskipped;
	bool gone;		/* the cgroup or process no longer exists */
	/* Counters over the exporter's life. */
	uint64_t cpu_ns, dropped, revoked, snapshots;
	/* What the schemes of its sessions closed so far did, so that the
	 * counters never go back. */
	struct damonrec_scheme_stats *scheme_base;
};

struct exporter {
	struct xp_group *groups;
	size_t ng;
	struct damon_attrs attrs;
	int sample_given;
	bool per_process;
	unsigned int max_processes;	/* per-process series, at most */
	struct scheme *schemes;		/* --scheme, for every session */
	size_t nschemes;
	/* The device. */
	bool device_up;
	bool device_failed;	/* since it last worked: the next success
				   is a reconnection */
	uint64_t reconnects;
	uint32_t max_targets;
	char last_error[512];	/* the last problem logged, not repeated */
	uint64_t errors;	/* problems met (logged or not) */
	pthread_mutex_t lock;
	double last_render_s;	/* how long the last exposition took */
};

/*
 * Opens a session once to see that the module is there and takes the
 * attributes: EXIT_FAIL if it refuses them (printed); 0 otherwise, with
 * device_up saying whether it is there (an exporter may start first).
 */
int xp_probe(struct exporter *ex);
/* Applies every group's processes now; logs problems (once each). */
void xp_rescan(struct exporter *ex);
/* A target whose figures count: covered by a snapshot, neither exited
 * nor revoked. */
static inline bool xp_target_live(const struct xp_target *t)
{
	return t->seen &&
	       !(t->flags & (DAMON_TARGET_EXITED | DAMON_TARGET_REVOKED));
}

/* A group's figures: sums over its live targets and running sessions. */
struct xp_sums {
	uint64_t monitored, wss, idle[XP_NR_IDLE], regions, targets, sessions;
	uint64_t done, due;		/* samples, latest snapshot of each */
	double sample_s, aggr_s;	/* means over running sessions */
	/* Per scheme, over the exporter's life (NULL without --scheme):
	 * flags are those of any session. */
	struct damonrec_scheme_stats *schemes;
};

/* What xp_sum_group() allocated. */
static inline void xp_sums_free(struct xp_sums *sums)
{
	free(sums->schemes);
	sums->schemes = NULL;
}

void xp_sum_group(const struct exporter *ex, const struct xp_group *g,
		  struct xp_sums *sums);

struct xp_row {
	const struct xp_group *g;
	const struct xp_target *t;
};

/*
 * Every live target, the largest working sets first, into a malloc()ed
 * *rows; the number of them (0 and NULL when none or out of memory).
 * Under ex->lock.
 */
size_t xp_rows(const struct exporter *ex, struct xp_row **rows);

/* Reads what session s has queued into the figures; under ex->lock. */
void xp_drain(struct exporter *ex, struct xp_session *s);
/* Stops and closes every session and frees them; the groups' struct
 * tgroup stay the caller's. */
void xp_free_sessions(struct exporter *ex);
/* A problem, printed only if it differs from the last one printed. */
void xp_log(struct exporter *ex, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The text exposition of everything, malloc()ed; NULL if out of memory.
 * Takes ex->lock itself. */
char *xp_render(struct exporter *ex, size_t *len);

/* HTTP: listen on addr ("HOST:PORT", ":PORT", "[V6]:PORT"); 0, or
 * EXIT_USAGE/EXIT_FAIL after a sentence. */
struct xp_http;
int xp_http_start(struct exporter *ex, const char *addr, const char *path,
		  struct xp_http **out);
void xp_http_stop(struct xp_http *h);
/* The textfile: checks DIR once; then writes DIR/damon.prom atomically. */
int xp_textfile_check(const char *dir);
int xp_textfile_write(struct exporter *ex, const char *dir);
/* On the way out: figures nobody updates would read as current. */
void xp_textfile_remove(const char *dir);

#endif
