/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_ACTOR_H
#define DAMONCTL_ACTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acted.h"
#include "record.h"
#include "scheme.h"
#include "snapshot.h"

/*
 * Runs schemes on snapshots: the regions that match, in the scheme's
 * order, as far as its quotas and watermarks let it, each checked against
 * the target's mappings of the moment and given to process_madvise(2).
 * Nothing it meets stops monitoring: a refusal is counted, logged at most
 * once per ACTOR_LOG_INTERVAL_NS per scheme, and the next region tried.
 */

#define ACTOR_LOG_INTERVAL_NS	(10ULL * 1000000000ULL)
/* The most one process_madvise(2) call is given: a stop and the time
 * quota are looked at between calls. */
#define ACTOR_CHUNK		(8ULL << 20)

struct actor_target;

struct actor_state {
	bool free_on, psi_on;		/* the watermarks' hysteresis */
	struct acted_set acted;		/* waiting out the least age */
	uint64_t bytes_window_ns, bytes_used;
	uint64_t cpu_window_ns, cpu_used;
	/* refusals since the last log line */
	uint64_t log_ns, unlogged, unlogged_bytes;
	int unlogged_errno;
};

struct actor {
	struct scheme *schemes;		/* not owned */
	size_t n;
	struct actor_state *state;
	struct damonrec_scheme_stats *stats;	/* cumulative, per scheme */
	bool can_act;		/* process_madvise(2) is allowed to us */
	bool log;		/* print refusals (rate-limited) */
	atomic_bool stop;	/* set by another thread: return soon */
	struct actor_target *targets;
	size_t nr_targets;
	uint64_t next_id;	/* acting pass, to know targets seen in it */
};

/*
 * Probes whether process_madvise(2) is allowed (CAP_SYS_NICE on kernels
 * that require it); if not and a scheme is more than stat, says once what
 * to do and counts those schemes as stat.  0, or -1 when out of memory.
 */
int actor_init(struct actor *a, struct scheme *schemes, size_t n, bool log);
/*
 * Applies every scheme to one snapshot.  Returns whether any scheme looked
 * at it (the stats changed).
 */
bool actor_snapshot(struct actor *a, const struct snap *s);
/* Forgets a pid: the target left, its pidfd is closed. */
void actor_forget(struct actor *a, int32_t pid);
void actor_free(struct actor *a);

/* The free-memory share and the pressure, as the watermarks read them:
 * 0 and the value in basis points, or -1 with errno set. */
int actor_read_free(uint32_t *free_bp);
int actor_read_psi(const char *path, uint32_t *stalled_bp);

#endif
