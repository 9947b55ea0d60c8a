/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_RUNNER_H
#define DAMONCTL_RUNNER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "actor.h"

/*
 * An actor in a thread of its own, so that acting never holds up the
 * reading of snapshots: paging out hundreds of megabytes takes seconds,
 * and a reader that stops for that long makes the module drop snapshots.
 * The thread takes the newest snapshot it was offered; when acting takes
 * longer than an aggregation interval, the snapshots in between are not
 * looked at (the record's snapshots counter says how many were).
 */
struct actor_runner {
	struct actor *actor;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned char *pending;		/* the snapshot offered, a copy */
	size_t pending_len, pending_cap;
	bool have_pending, quit;
	struct damonrec_scheme_stats *shared;	/* the counters, under lock */
	bool changed;
	struct damonrec_scheme_stats *copy;	/* the reader's copy */
};

/* 0, or -1 with errno set. */
int runner_start(struct actor_runner *r, struct actor *a);
/* Hands the thread a snapshot record; it is copied. */
void runner_offer(struct actor_runner *r, const void *rec, size_t len);
/* The counters (actor->n of them) if they changed since the last call,
 * else NULL.  The copy is the caller's until the next call. */
const struct damonrec_scheme_stats *runner_stats(struct actor_runner *r);
/* Tells the thread to finish soon, and waits for it; runner_stats()
 * still works after. */
void runner_stop(struct actor_runner *r);
void runner_free(struct actor_runner *r);

#endif
