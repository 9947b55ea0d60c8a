// SPDX-License-Identifier: GPL-2.0
/*
 * The actor's thread (see runner.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "snapshot.h"

static void *run(void *arg)
{
	struct actor_runner *r = arg;
	struct actor *a = r->actor;
	unsigned char *buf = NULL;
	size_t cap = 0;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		const char *why;
		struct snap s;
		size_t len;

		while (!r->have_pending && !r->quit)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->quit)
			break;
		/* Take the snapshot: swap buffers, so offers go on. */
		len = r->pending_len;
		{
			unsigned char *t = buf;
			size_t c = cap;

			buf = r->pending;
			cap = r->pending_cap;
			r->pending = t;
			r->pending_cap = c;
		}
		r->have_pending = false;
		pthread_mutex_unlock(&r->lock);
		if (!snap_parse(&s, buf, len, &why))
			actor_snapshot(a, &s);
		pthread_mutex_lock(&r->lock);
		memcpy(r->shared, a->stats, a->n * sizeof(*a->stats));
		r->changed = true;
	}
	pthread_mutex_unlock(&r->lock);
	free(buf);
	return NULL;
}

int runner_start(struct actor_runner *r, struct actor *a)
{
	sigset_t all, old;
	int err;

	memset(r, 0, sizeof(*r));
	r->actor = a;
	r->shared = calloc(a->n ? a->n : 1, sizeof(*r->shared));
	r->copy = calloc(a->n ? a->n : 1, sizeof(*r->copy));
	if (!r->shared || !r->copy) {
		free(r->shared);
		free(r->copy);
		r->shared = r->copy = NULL;
		errno = ENOMEM;
		return -1;
	}
	memcpy(r->shared, a->stats, a->n * sizeof(*a->stats));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	/* Every signal blocked in the thread, from its first instruction:
	 * the callers read theirs from a signalfd, and a signal a thread
	 * leaves unblocked goes to that thread (SIGINT's default action
	 * would end the process without its end record). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&r->thread, NULL, run, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->cond);
		free(r->shared);
		free(r->copy);
		r->shared = r->copy = NULL;
		errno = err;
		return -1;
	}
	r->started = true;
	return 0;
}

void runner_offer(struct actor_runner *r, const void *rec, size_t len)
{
	pthread_mutex_lock(&r->lock);
	if (len > r->pending_cap) {
		unsigned char *p = realloc(r->pending, len);

		if (!p) {
			pthread_mutex_unlock(&r->lock);
			return;	/* this one is not looked at */
		}
		r->pending = p;
		r->pending_cap = len;
	}
	memcpy(r->pending, rec, len);
	r->pending_len = len;
	r->have_pending = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

const struct damonrec_scheme_stats *runner_stats(struct actor_runner *r)
{
	bool changed;

	if (!r->shared)
		return NULL;
	pthread_mutex_lock(&r->lock);
	changed = r->changed;
	if (changed)
		memcpy(r->copy, r->shared, r->actor->n * sizeof(*r->copy));
	r->changed = false;
	pthread_mutex_unlock(&r->lock);
	return changed ? r->copy : NULL;
}

void runner_stop(struct actor_runner *r)
{
	if (!r->started)
		return;
	r->actor->stop = true;
	pthread_mutex_lock(&r->lock);
	r->quit = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->started = false;
}

void runner_free(struct actor_runner *r)
{
	if (!r->shared)
		return;
	runner_stop(r);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r->pending);
	free(r->shared);
	free(r->copy);
	memset(r, 0, sizeof(*r));
}
