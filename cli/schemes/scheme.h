/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_SCHEME_H
#define DAMONCTL_SCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * DAMOS-style schemes run from user space: an access pattern (region
 * size, share of samples that found it accessed, age) and what to do with
 * the regions that match, through process_madvise(2).  Parsing, matching
 * and the order under a quota are here, with no system calls, so that the
 * unit tests check them; acting is in actor.c.
 *
 * The text form (damonctl(8), SCHEMES):
 *
 *   ACTION[,KEY=VALUE]...
 *
 *   ACTION	pageout, cold, collapse, willneed or stat
 *   size=R	region size, e.g. 2M..  (R is MIN..MAX, MIN.., ..MAX or V)
 *   access=R	share of samples that found it accessed, e.g. 0%  or 0..5%
 *   age=R	time its access share has held, e.g. 30s..
 *   quota=SIZE[/DURATION]	at most SIZE acted on per DURATION (1s)
 *   cpu=DURATION[/DURATION]	at most that much CPU time acting per DURATION
 *   free=HIGH/MID/LOW	act once free memory falls below MID, until it
 *			rises above HIGH or falls below LOW
 *   psi=MAX[/RESUME]	pause while memory pressure (some avg10) is above
 *			MAX, until it falls below RESUME (MAX/2)
 *   psi-from=PATH	a cgroup directory or pressure file instead of
 *			/proc/pressure/memory
 */

enum scheme_action {
	SCHEME_STAT,		/* count only */
	SCHEME_PAGEOUT,		/* MADV_PAGEOUT: reclaim now */
	SCHEME_COLD,		/* MADV_COLD: reclaim first when needed */
	SCHEME_COLLAPSE,	/* MADV_COLLAPSE: into huge pages */
	SCHEME_WILLNEED,	/* MADV_WILLNEED: read ahead, swap in */
	SCHEME_NR_ACTIONS
};

/* A basis point is 0.01%: shares and free-memory rates are kept in them. */
#define SCHEME_BP_MAX	10000U

struct scheme {
	enum scheme_action action;
	uint64_t size_min, size_max;		/* bytes */
	uint32_t access_min_bp, access_max_bp;	/* share of samples */
	uint64_t age_min_ns, age_max_ns;
	uint64_t quota_bytes;			/* 0: no size quota */
	uint64_t quota_bytes_window_ns;
	uint64_t quota_cpu_ns;			/* 0: no time quota */
	uint64_t quota_cpu_window_ns;
	bool free_wmarks;
	uint32_t free_high_bp, free_mid_bp, free_low_bp;
	bool psi_wmarks;
	uint32_t psi_max_bp, psi_resume_bp;	/* of time stalled */
	char *psi_path;		/* the pressure file; malloc()ed, or NULL */
	char *text;		/* as given; malloc()ed */
};

/*
 * Fills s from text.  0, or -1 with a sentence in err that names the part
 * that is wrong and says what would be right; s then holds nothing to
 * free.
 */
int scheme_parse(const char *text, struct scheme *s, char *err, size_t errlen);
void scheme_free(struct scheme *s);

/* At most this many --scheme options: each is a pass over every snapshot. */
#define SCHEME_MAX	32
/* What a reader takes of a schemes record (a newer writer may allow more). */
#define SCHEME_RECORD_MAX	64

/* Appends a parsed scheme to v[0..*n); 0, or -1 with a sentence in err. */
int scheme_list_add(struct scheme **v, size_t *n, const char *text, char *err,
		    size_t errlen);
void scheme_list_free(struct scheme *v, size_t n);

const char *scheme_action_name(enum scheme_action a);

/* nr_accesses of nr_passes samples as a share in basis points. */
uint32_t scheme_share_bp(uint32_t nr_accesses, uint32_t nr_passes);

/*
 * Whether a region matches the pattern.  age counts aggregation intervals
 * of aggr_us; a region no sample has looked at (nr_passes 0) matches
 * nothing, because nothing is known about it.
 */
bool scheme_match(const struct scheme *s, uint64_t bytes, uint32_t nr_accesses,
		  uint32_t nr_passes, uint32_t age, uint64_t aggr_us);

/*
 * Under a quota, regions go in decreasing order of this: the coldest and
 * then the oldest first for pageout and cold, the hottest and then the
 * oldest first for collapse and willneed, as upstream DAMOS prioritizes.
 */
uint64_t scheme_priority(const struct scheme *s, uint32_t share_bp,
			 uint64_t age_ns);

/*
 * A watermark's state from its signal: returns whether to act, given
 * whether the scheme was acting before (the hysteresis).
 */
bool scheme_free_active(const struct scheme *s, bool was_active,
			uint32_t free_bp);
bool scheme_psi_active(const struct scheme *s, bool was_active,
		       uint32_t stalled_bp);

#endif
