// SPDX-License-Identifier: GPL-2.0
/*
 * Following target groups during a recording: see follow.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "follow.h"
#include "msg.h"
#include "record.h"
#include "targetinfo.h"

/* What the groups hold now, less damonctl and refused processes, sorted
 * and capped at f->max; NULL and *n 0 when there is none. */
static struct tproc *scan(struct follow *f, size_t *n)
{
	struct tproc *all = NULL;
	size_t i, j, total = 0;

	for (i = 0; i < f->ng; i++) {
		struct tproc *one, *grown;
		long k = tgroup_scan(&f->groups[i], &one);

		if (k <= 0)
			continue;
		grown = realloc(all, (total + (size_t)k) * sizeof(*all));
		if (!grown) {
			free(one);
			break;
		}
		all = grown;
		memcpy(all + total, one, (size_t)k * sizeof(*one));
		total += (size_t)k;
		free(one);
	}
	if (total)
		qsort(all, total, sizeof(*all), tproc_cmp);
	for (i = j = 0; i < total; i++) {
		if (j && all[j - 1].pid == all[i].pid)
			continue;
		if (all[i].pid == getpid() ||
		    tproc_has(f->refused, f->nrefused, all[i].pid, all[i].start))
			continue;
		all[j++] = all[i];
	}
	if (j > f->max) {
		if (f->warn && !f->warned_cap)
			warnmsg("the groups hold %zu processes; one recording "
				"monitors at most %" PRIu32 " (the module's "
				"max_targets), so the others are left out: "
				"damonctl exporter monitors any number", j, f->max);
		f->warned_cap = true;
		j = f->max;
	}
	*n = j;
	return all;
}

static int write_event(int fd, uint32_t event, int32_t pid, uint64_t now)
{
	struct rec_target_info t = { .pid = pid };
	int ret;

	if (event != DAMONREC_TARGET_LEFT)
		targetinfo_process(&t);
	ret = rec_write_target_event(fd, event, now, &t);
	free(t.cmdline);
	return ret;
}

/* Sets the targets to now[0..n); fills f->pids with what the module took
 * and remembers what it refused; 0 or the errno of another failure. */
static int apply(struct follow *f, struct damon_device *dev,
		 const struct tproc *now, size_t n, int32_t **refused,
		 uint32_t *nrefused)
{
	int32_t *pids = malloc((n ? n : 1) * sizeof(*pids));
	uint64_t *starts = malloc((n ? n : 1) * sizeof(*starts));
	char (*comms)[17];
	struct damon_targets back;
	uint32_t nr = (uint32_t)n, i, j;
	int err;

	*refused = malloc((n ? n : 1) * sizeof(**refused));
	*nrefused = 0;
	if (!pids || !starts || !*refused) {
		free(pids);
		free(starts);
		free(*refused);
		*refused = NULL;
		return ENOMEM;
	}
	for (i = 0; i < n; i++)
		pids[i] = now[i].pid;
	err = nr ? device_set_targets_quiet(dev, pids, &nr, *refused,
					    nrefused, &back) : 0;
	if (err) {
		free(pids);
		free(starts);
		return err;
	}
	/* pids[] kept its order: match the start times back. */
	for (i = j = 0; i < nr; i++) {
		while (now[j].pid != pids[i])
			j++;
		starts[i] = now[j].start;
	}
	/* Remembered with their start times, so a reused pid is tried. */
	for (i = 0; i < *nrefused; i++) {
		struct tproc *r;

		for (j = 0; j < n && now[j].pid != (*refused)[i]; j++)
			;
		r = j < n ? realloc(f->refused, (f->nrefused + 1) * sizeof(*r)) :
			    NULL;
		if (!r)
			continue;
		f->refused = r;
		f->refused[f->nrefused++] = now[j];
	}
	/* An empty list is not set (the module needs one pid): the session
	 * ends by itself once the old targets are gone. */
	if (!nr) {
		free(pids);
		free(starts);
		pids = NULL;
		starts = NULL;
	}
	comms = nr ? calloc(nr, sizeof(*comms)) : NULL;
	for (i = 0; comms && i < nr; i++) {
		for (j = 0; j < f->n && f->pids[j] != pids[i]; j++)
			;
		if (j < f->n && f->comms)
			memcpy(comms[i], f->comms[j], sizeof(comms[i]));
		else
			proc_comm(pids[i], comms[i], sizeof(comms[i]));
	}
	free(f->pids);
	free(f->starts);
	free(f->comms);
	f->pids = pids;
	f->starts = starts;
	f->comms = comms;
	f->n = nr;
	return 0;
}

/*
 * A target found between its fork and its exec was named after its
 * parent: once per rescan the names are read again, and a new one is
 * written as an exec event.  0, or -1 if writing failed.
 */
static int renames(struct follow *f, int fd, uint64_t now_ns)
{
	char comm[17];
	uint32_t i;

	for (i = 0; f->comms && i < f->n; i++) {
		proc_comm(f->pids[i], comm, sizeof(comm));
		if (!strcmp(comm, f->comms[i]) || !strcmp(comm, "?"))
			continue;
		memcpy(f->comms[i], comm, sizeof(comm));
		if (write_event(fd, DAMONREC_TARGET_EXEC, f->pids[i], now_ns))
			return -1;
	}
	return 0;
}

int follow_start(struct follow *f, struct damon_device *dev)
{
	int32_t *refused = NULL;
	uint32_t nrefused = 0;
	struct tproc *now;
	size_t n;
	int err;

	f->max = dev->hs.max_targets;
	f->interval_ns = dev->attrs.update_us * 1000ULL;
	now = scan(f, &n);
	if (!n) {
		free(now);
		errmsg("there is no process to record in %s%s",
		       f->groups[0].kind == TGROUP_CGROUP ? "the cgroup " : "",
		       f->groups[0].kind == TGROUP_CGROUP ? f->groups[0].path :
		       "the process tree");
		return EXIT_FAIL;
	}
	err = apply(f, dev, now, n, &refused, &nrefused);
	free(now);
	free(refused);
	if (err) {
		errmsg("setting the targets failed: %s", strerror(err));
		return EXIT_FAIL;
	}
	if (!f->n) {
		errmsg("you may not monitor any of the %zu processes found: "
		       "another user's processes need CAP_SYS_PTRACE "
		       "(sudo damonctl start ...)", n);
		return EXIT_FAIL;
	}
	if (nrefused && f->warn)
		warnmsg("%" PRIu32 " of the %zu processes found may not be "
			"monitored by you and are left out", nrefused, n);
	return 0;
}

int follow_poll(struct follow *f, struct damon_device *dev, int fd,
		struct maps_watch *mw, uint64_t now_ns)
{
	int32_t *old = NULL, *refused = NULL;
	uint32_t nold, nrefused = 0, i, j;
	struct tproc *now;
	size_t n;
	int err;

	if (now_ns < f->next_ns)
		return 0;
	f->next_ns = now_ns + f->interval_ns;
	now = scan(f, &n);
	/* Unchanged: nothing to do (the common case). */
	if (n == f->n) {
		for (i = 0; i < n; i++)
			if (now[i].pid != f->pids[i] ||
			    now[i].start != f->starts[i])
				break;
		if (i == n) {
			free(now);
			return renames(f, fd, now_ns);
		}
	}
	nold = f->n;
	old = nold ? malloc(nold * sizeof(*old)) : NULL;
	if (nold && !old) {
		free(now);
		return 0;
	}
	if (nold)
		memcpy(old, f->pids, nold * sizeof(*old));
	err = apply(f, dev, now, n, &refused, &nrefused);
	free(now);
	if (err) {
		/* The old targets stay; the next rescan tries again. */
		if (f->warn)
			warnmsg("changing the targets failed: %s", strerror(err));
		free(old);
		free(refused);
		return 0;
	}
	err = 0;
	for (i = 0; i < nold && !err; i++) {
		for (j = 0; j < f->n && f->pids[j] != old[i]; j++)
			;
		if (j == f->n) {
			err = write_event(fd, DAMONREC_TARGET_LEFT, old[i], now_ns);
			f->departures++;
		}
	}
	for (i = 0; i < f->n && !err; i++) {
		for (j = 0; j < nold && old[j] != f->pids[i]; j++)
			;
		if (j == nold) {
			err = write_event(fd, DAMONREC_TARGET_ARRIVED, f->pids[i],
					  now_ns);
			f->arrivals++;
		}
	}
	for (i = 0; i < nrefused && !err; i++)
		err = write_event(fd, DAMONREC_TARGET_REFUSED, refused[i], now_ns);
	if (!err)
		err = renames(f, fd, now_ns);
	free(old);
	free(refused);
	if (err)
		return -1;
	/* Out of memory here costs only the maps records of arrivals. */
	(void)maps_watch_set(mw, f->pids, f->n, now_ns);
	return 0;
}

void follow_free(struct follow *f)
{
	size_t i;

	for (i = 0; i < f->ng; i++)
		tgroup_free(&f->groups[i]);
	free(f->groups);
	free(f->pids);
	free(f->starts);
	free(f->comms);
	free(f->refused);
	memset(f, 0, sizeof(*f));
}
