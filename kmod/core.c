// SPDX-License-Identifier: GPL-2.0
/*
 * The monitoring session: its kernel thread (the kdamond), the sampling and
 * aggregation loop and the queue of snapshots that readers consume.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmon.h"

/**
 * dmon_default_attrs() - the attributes a new session starts with
 * @a:	filled with the defaults of the DAMON design
 */
void dmon_default_attrs(struct dmon_attrs *a)
{
	a->flags = 0;
	a->sample_us = 5000;
	a->aggr_us = 100000;
	a->update_us = 1000000;
	a->min_nr_regions = 10;
	a->max_nr_regions = 1000;
	a->queue_depth = 16;
}

/**
 * dmon_regions_cap() - room for regions one target may need
 * @a:	the session's attributes
 *
 * The initial even split makes at most about 2 * min_nr_regions + 3 regions
 * (the unit is rounded down to a page), and splitting at most doubles
 * max_nr_regions / 2; 2 * max + 3 covers both.
 *
 * Return: number of struct dmon_region to allocate per target.
 */
u32 dmon_regions_cap(const struct dmon_attrs *a)
{
	return 2 * a->max_nr_regions + 3;
}

/**
 * dmon_snapshot_size() - largest snapshot record a session can produce
 * @a:		the session's attributes
 * @nr_targets:	number of targets
 *
 * Return: bytes of the largest record, the size of each queue slot.
 */
size_t dmon_snapshot_size(const struct dmon_attrs *a, u32 nr_targets)
{
	return sizeof(struct damon_snapshot) +
		(size_t)nr_targets * (sizeof(struct damon_snapshot_target) +
		(size_t)dmon_regions_cap(a) *
		sizeof(struct damon_snapshot_region));
}

/*
 * An upper bound of what kvmalloc(@size) takes: slab objects and
 * kmalloc_large() blocks are powers of two; above KMALLOC_MAX_SIZE it is
 * vmalloc, which may map large areas with 2 MiB pages.
 */
static u64 dmon_kvmalloc_bytes(u64 size)
{
	if (size <= KMALLOC_MAX_SIZE)
		return roundup_pow_of_two(max_t(u64, size, 8));
	return round_up(size, PMD_SIZE);
}

/**
 * dmon_session_bytes() - kernel memory one configuration of a session takes
 * @a:		the attributes
 * @nr_targets:	number of targets
 *
 * Counts what the allocator hands out for the queue slots (and the
 * readers' spare), the regions arrays, the target list and the session
 * itself, not what was asked for: the rounding is up to a third of it.
 * The kdamond's stack is not counted.
 *
 * Return: bytes, the figure checked against DMON_MAX_SESSION_MEMORY.
 */
u64 dmon_session_bytes(const struct dmon_attrs *a, u32 nr_targets)
{
	u64 slot = dmon_kvmalloc_bytes(dmon_snapshot_size(a, nr_targets));
	u64 regions = dmon_kvmalloc_bytes((u64)dmon_regions_cap(a) *
					  sizeof(struct dmon_region));

	return dmon_kvmalloc_bytes(sizeof(struct dmon_session)) +
	       dmon_kvmalloc_bytes((u64)(a->queue_depth + 1) *
				   sizeof(void *)) +
	       (a->queue_depth + 1) * slot +
	       dmon_kvmalloc_bytes((u64)nr_targets *
				   sizeof(struct dmon_target)) +
	       nr_targets * regions;
}

/**
 * dmon_session_alloc() - a new idle session with default attributes
 * @file:	the open file of /dev/damon it belongs to
 *
 * Return: the session, or NULL without memory.
 */
struct dmon_session *dmon_session_alloc(struct file *file)
{
	struct dmon_session *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);

	if (!s)
		return NULL;
	s->file = file;
	s->privileged = dmon_privileged(file);
	mutex_init(&s->lock);
	mutex_init(&s->queue.lock);
	mutex_init(&s->queue.read_lock);
	init_waitqueue_head(&s->queue.readers);
	dmon_default_attrs(&s->attrs);
	return s;
}

/*
 * A queue's slots: @depth for the ring, and slots[@depth], the spare, which
 * a reader swaps in for the snapshot it copies out (NULL while it does).
 */
static void dmon_free_slots(void **slots, u32 depth)
{
	u32 i;

	if (!slots)
		return;
	for (i = 0; i <= depth; i++)
		kvfree(slots[i]);
	kvfree(slots);
}

static void **dmon_alloc_slots(u32 depth, size_t size)
{
	void **slots = kvcalloc(depth + 1, sizeof(*slots), GFP_KERNEL_ACCOUNT);
	u32 i;

	if (!slots)
		return NULL;
	for (i = 0; i <= depth; i++) {
		slots[i] = kvmalloc(size, GFP_KERNEL_ACCOUNT);
		if (!slots[i]) {
			dmon_free_slots(slots, depth);
			return NULL;
		}
	}
	return slots;
}

/*
 * Free the slots of an ended run before allocating the next run's, so that
 * the two never exist together; readers see an ended, empty queue.
 */
static void dmon_drop_queue(struct dmon_queue *q)
{
	void **old;
	u32 old_depth;

	mutex_lock(&q->lock);
	old = q->slots;
	old_depth = q->depth;
	q->slots = NULL;
	q->depth = 0;
	q->head = 0;
	q->count = 0;
	q->gen++;
	q->run++;
	mutex_unlock(&q->lock);
	dmon_free_slots(old, old_depth);
}

/*
 * Give a queue emptied by dmon_drop_queue() the slots of a new run; readers
 * may be looking at it.
 */
static int dmon_fill_queue(struct dmon_queue *q, u32 depth, size_t size)
{
	void **slots = dmon_alloc_slots(depth, size);

	if (!slots)
		return -ENOMEM;
	mutex_lock(&q->lock);
	q->slots = slots;
	q->depth = depth;
	WRITE_ONCE(q->slot_size, size);
	q->produced = 0;
	q->dropped = 0;
	q->carry = 0;
	q->ended = false;
	mutex_unlock(&q->lock);
	return 0;
}

/* The regions of @t no longer describe the address space it remembers. */
static void dmon_forget_mm(struct dmon_target *t)
{
	if (t->mm)
		mmdrop(t->mm);
	t->mm = NULL;
}

static void dmon_free_targets(struct dmon_target *targets, u32 nr)
{
	u32 i;

	if (!targets)
		return;
	for (i = 0; i < nr; i++) {
		put_pid(targets[i].pid);
		kvfree(targets[i].regions.r);
		dmon_forget_mm(&targets[i]);
	}
	kfree(targets);
}

static void dmon_free_pending(struct dmon_pending *p)
{
	if (!p)
		return;
	dmon_free_targets(p->targets, p->nr_targets);
	dmon_free_slots(p->slots, p->attrs.queue_depth);
	kfree(p);
}

/**
 * dmon_config() - the latest configuration of a session
 * @s:		the session, locked
 * @attrs:	out: attributes, pending ones if any
 * @nr:		out: number of targets, pending ones if any
 *
 * What new settings are validated against.
 */
void dmon_config(struct dmon_session *s, struct dmon_attrs *attrs, u32 *nr)
{
	*attrs = s->pending ? s->pending->attrs : s->attrs;
	*nr = s->pending ? s->pending->nr_targets : s->nr_targets;
}

/*
 * A copy of a target list: new pid references, empty regions, revocations
 * kept (only SET_TARGETS, which checks again, lifts one).
 */
static struct dmon_target *dmon_dup_targets(const struct dmon_target *from,
					    u32 nr)
{
	struct dmon_target *t = kcalloc(nr, sizeof(*t), GFP_KERNEL_ACCOUNT);
	u32 i;

	if (!t)
		return NULL;
	for (i = 0; i < nr; i++) {
		t[i].pid = get_pid(from[i].pid);
		t[i].pid_nr = from[i].pid_nr;
		t[i].flags = from[i].flags & DAMON_TARGET_REVOKED;
	}
	return t;
}

static int dmon_alloc_regions(struct dmon_target *targets, u32 nr, u32 cap)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		struct dmon_target *t = &targets[i];

		kvfree(t->regions.r);
		t->regions.r = kvcalloc(cap, sizeof(*t->regions.r),
					GFP_KERNEL_ACCOUNT);
		t->regions.cap = t->regions.r ? cap : 0;
		t->regions.nr = 0;
		t->last_nr_regions = 0;
		/* A revoked target stays revoked across STOP and START. */
		t->flags &= DAMON_TARGET_REVOKED;
		dmon_forget_mm(t);
		if (!t->regions.r)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Prepare a configuration for a running session; the kdamond applies it
 * at its next aggregation boundary.
 */
static int dmon_prepare_pending(struct dmon_session *s,
				const struct dmon_attrs *attrs,
				struct dmon_target *targets, u32 nr)
{
	struct dmon_pending *p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	int err = -ENOMEM;

	if (!p)
		goto fail;
	dmon_config(s, &p->attrs, &p->nr_targets);
	if (attrs)
		p->attrs = *attrs;
	if (targets) {
		p->targets = targets;
		p->nr_targets = nr;
		p->checked = true;
		targets = NULL;
	} else {
		p->checked = s->pending && s->pending->checked;
		p->targets = s->pending ?
			dmon_dup_targets(s->pending->targets, p->nr_targets) :
			dmon_dup_targets(s->targets, p->nr_targets);
		if (!p->targets)
			goto fail;
	}
	err = dmon_alloc_regions(p->targets, p->nr_targets,
				 dmon_regions_cap(&p->attrs));
	if (err)
		goto fail;
	p->slot_size = dmon_snapshot_size(&p->attrs, p->nr_targets);
	p->slots = dmon_alloc_slots(p->attrs.queue_depth, p->slot_size);
	if (!p->slots) {
		err = -ENOMEM;
		goto fail;
	}
	dmon_free_pending(s->pending);
	WRITE_ONCE(s->pending, p);
	return 0;
fail:
	dmon_free_targets(targets, nr);
	dmon_free_pending(p);
	return err;
}

/**
 * dmon_reconfigure() - set new attributes and/or targets
 * @s:		the session, locked
 * @attrs:	validated attributes, or NULL to keep them
 * @targets:	validated targets holding pid references, taken over; or
 *		NULL to keep them
 * @nr:		number of @targets
 *
 * An idle session takes them at once.  A running one takes them at its
 * next aggregation boundary: targets that stay keep their regions and
 * history, new ones are set up, and queued snapshots move to the new queue
 * (those that no longer fit are dropped and counted).
 *
 * Return: 0 or -ENOMEM; nothing changes on error.
 */
int dmon_reconfigure(struct dmon_session *s, const struct dmon_attrs *attrs,
		     struct dmon_target *targets, u32 nr)
{
	if (dmon_running(s))
		return dmon_prepare_pending(s, attrs, targets, nr);
	dmon_stop(s);	/* reap a run that ended by itself */
	if (attrs)
		s->attrs = *attrs;
	if (targets) {
		dmon_free_targets(s->targets, s->nr_targets);
		s->targets = targets;
		s->nr_targets = nr;
	}
	return 0;
}

/* Move queued snapshots into new slots, oldest dropped first. */
static void dmon_move_queue(struct dmon_queue *q, void **slots, u32 depth,
			    size_t size)
{
	void **old_slots;
	u32 old_depth, n = 0;
	u64 lost;

	mutex_lock(&q->lock);
	lost = q->carry;
	while (q->count) {
		struct damon_snapshot *hdr = q->slots[q->head];

		q->head = (q->head + 1) % q->depth;
		q->count--;
		if (q->count >= depth || hdr->size > size) {
			lost += hdr->dropped + 1;
			q->dropped++;
			continue;
		}
		memcpy(slots[n], hdr, hdr->size);
		((struct damon_snapshot *)slots[n])->dropped += lost;
		lost = 0;
		n++;
	}
	old_slots = q->slots;
	old_depth = q->depth;
	q->slots = slots;
	q->depth = depth;
	q->gen++;
	WRITE_ONCE(q->slot_size, size);
	q->head = 0;
	q->count = n;
	q->carry = lost;
	mutex_unlock(&q->lock);
	dmon_free_slots(old_slots, old_depth);
}

/*
 * Take a pending configuration.  @s is locked, and the caller is the
 * kdamond or there is none.
 */
static void dmon_apply_pending(struct dmon_session *s)
{
	struct dmon_pending *p = s->pending;
	const struct dmon_attrs *o = &s->attrs, *n;
	u32 i, j;

	if (!p)
		return;
	n = &p->attrs;
	for (i = 0; i < p->nr_targets; i++) {
		struct dmon_target *nt = &p->targets[i];

		for (j = 0; j < s->nr_targets; j++) {
			struct dmon_target *ot = &s->targets[j];

			if (ot->pid != nt->pid)
				continue;
			dmon_bound_regions(&ot->regions, 0,
					   dmon_merge_sz_limit(&ot->regions,
							       n->min_nr_regions),
					   n->max_nr_regions);
			/* Bounded to max_nr_regions, which the cap exceeds. */
			if (WARN_ON_ONCE(ot->regions.nr > nt->regions.cap))
				ot->regions.nr = nt->regions.cap;
			memcpy(nt->regions.r, ot->regions.r,
			       ot->regions.nr * sizeof(*ot->regions.r));
			nt->regions.nr = ot->regions.nr;
			nt->last_nr_regions = ot->last_nr_regions;
			/* The regions go with the mm they describe. */
			nt->mm = ot->mm;
			ot->mm = NULL;
			nt->flags = ot->flags;
			if (p->checked)
				nt->flags &= ~DAMON_TARGET_REVOKED;
			break;
		}
	}
	/* Tuned intervals stand unless the change concerns them. */
	if (n->sample_us != o->sample_us || n->aggr_us != o->aggr_us ||
	    n->tune_goal_bp != o->tune_goal_bp ||
	    n->tune_min_sample_us != o->tune_min_sample_us ||
	    n->tune_max_sample_us != o->tune_max_sample_us) {
		WRITE_ONCE(s->sample_us, n->sample_us);
		WRITE_ONCE(s->aggr_us, n->aggr_us);
	}
	dmon_free_targets(s->targets, s->nr_targets);
	s->targets = p->targets;
	s->nr_targets = p->nr_targets;
	s->attrs = p->attrs;
	dmon_move_queue(&s->queue, p->slots, p->attrs.queue_depth,
			p->slot_size);
	WRITE_ONCE(s->pending, NULL);
	kfree(p);
}

/**
 * dmon_running() - is a run in progress?
 * @s:	the session, locked
 *
 * Return: true from a successful start until the run has ended by itself
 * or by dmon_stop().
 */
bool dmon_running(struct dmon_session *s)
{
	return s->kdamond && !READ_ONCE(s->queue.ended);
}

/* Times and counts of one aggregation interval. */
struct dmon_interval {
	u64 start_ns;
	u64 cpu_start_ns;
	u64 samples_done;
	u32 nr_passes;
	bool checked;
	u32 tlb_flushes;
	u32 tlb_flushes_shared;
	u64 tlb_flush_ns;
	enum dmon_upper upper;
};

static void dmon_fill_snapshot(struct dmon_session *s,
			       struct damon_snapshot *hdr,
			       const struct dmon_interval *iv, u64 now)
{
	char *p = (char *)(hdr + 1);
	u64 cpu = current->se.sum_exec_runtime;
	u32 i, j, n = 0;

	memset(hdr, 0, sizeof(*hdr));
	hdr->type = DAMON_RECORD_SNAPSHOT;
	hdr->version = DAMON_SNAPSHOT_VERSION;
	hdr->hdr_size = sizeof(*hdr);
	hdr->target_size = sizeof(struct damon_snapshot_target);
	hdr->region_size = sizeof(struct damon_snapshot_region);
	if (iv->upper == DMON_UPPER_ON)
		hdr->flags |= DAMON_SNAPSHOT_UPPER_BITS;
	else if (iv->upper == DMON_UPPER_MGLRU)
		hdr->flags |= DAMON_SNAPSHOT_UPPER_MGLRU;
	hdr->seq = s->queue.produced;
	hdr->start_ns = iv->start_ns;
	hdr->end_ns = now;
	hdr->nr_targets = s->nr_targets;
	hdr->cpu_ns = cpu - iv->cpu_start_ns;
	hdr->samples_done = iv->samples_done;
	/*
	 * The passes a punctual thread would have made, at the same average
	 * size; multiplied before dividing, as a truncated average of a
	 * pass or two made samples_done exceed it.
	 */
	if (iv->nr_passes)
		hdr->samples_due = div_u64(div64_u64(now - iv->start_ns,
						     s->sample_us * NSEC_PER_USEC) *
					   iv->samples_done, iv->nr_passes);
	hdr->sample_us = s->sample_us;
	hdr->aggr_us = s->aggr_us;
	hdr->nr_passes = iv->nr_passes;
	hdr->tlb_flushes = iv->tlb_flushes;
	hdr->tlb_flushes_shared = iv->tlb_flushes_shared;
	hdr->tlb_flush_ns = iv->tlb_flush_ns;

	for (i = 0; i < s->nr_targets; i++) {
		struct dmon_target *t = &s->targets[i];
		struct damon_snapshot_target *st = (void *)p;

		st->pid = t->pid_nr;
		st->flags = t->flags;
		st->nr_regions = t->regions.nr;
		st->__pad = 0;
		p += sizeof(*st);
		for (j = 0; j < t->regions.nr; j++) {
			const struct dmon_region *r = &t->regions.r[j];
			struct damon_snapshot_region *sr = (void *)p;

			sr->start = r->start;
			sr->end = r->end;
			sr->nr_accesses = r->nr_accesses;
			sr->age = r->age;
			p += sizeof(*sr);
			/* Under the queue's mutex; readers wait anyway. */
			if (!(++n % DMON_RESCHED_REGIONS))
				cond_resched();
		}
	}
	hdr->size = p - (char *)hdr;
}

/*
 * Queue one snapshot.  A full queue drops its oldest snapshot; what it had
 * itself inherited as dropped passes on to the next one, so a reader always
 * sees dropped == seq gap.
 */
static void dmon_queue_snapshot(struct dmon_session *s,
				const struct dmon_interval *iv)
{
	struct dmon_queue *q = &s->queue;
	struct damon_snapshot *hdr;
	u64 lost;

	mutex_lock(&q->lock);
	lost = q->carry;
	q->carry = 0;
	if (q->count == q->depth) {
		struct damon_snapshot *oldest = q->slots[q->head];

		lost += oldest->dropped + 1;
		q->head = (q->head + 1) % q->depth;
		q->count--;
		q->dropped++;
		if (q->count) {
			hdr = q->slots[q->head];
			hdr->dropped += lost;
			lost = 0;
		}
	}
	hdr = q->slots[(q->head + q->count) % q->depth];
	dmon_fill_snapshot(s, hdr, iv, ktime_get_ns());
	hdr->dropped = lost;
	q->count++;
	q->produced++;
	mutex_unlock(&q->lock);
	WRITE_ONCE(s->cpu_ns, current->se.sum_exec_runtime);
	wake_up_interruptible_poll(&q->readers, EPOLLIN | EPOLLRDNORM);
}

/*
 * Set the regions of a target from its current mappings: the first time
 * by an even split, later by fitting the existing regions to the new
 * ranges, which keeps their history where the ranges persist.
 */
static void dmon_update_regions(struct dmon_session *s, struct dmon_target *t,
				struct mm_struct *mm)
{
	struct dmon_regions *rs = &t->regions;
	struct dmon_range ranges[3];
	u32 nr_ranges, flags = 0;

	if (dmon_target_ranges(mm, ranges, &nr_ranges, &flags))
		return;
	/* Fitting can need more room than merging left: start afresh. */
	if (!rs->nr || dmon_apply_ranges(rs, ranges, nr_ranges))
		dmon_init_regions(rs, ranges, nr_ranges,
				  s->attrs.min_nr_regions);
	WRITE_ONCE(t->flags, (t->flags & ~DAMON_TARGET_SPAN) | flags);
	/*
	 * The even split rounds down and vanished ranges take their regions
	 * along: split up to min_nr_regions (a target smaller than that many
	 * pages stays below).
	 */
	while (rs->nr && rs->nr < s->attrs.min_nr_regions) {
		u32 nr = rs->nr;

		dmon_split_regions(rs, s->attrs.min_nr_regions, 2, 0);
		if (rs->nr == nr)
			break;
	}
}

/*
 * The address space of @t for one pass, if the session may still monitor
 * it: checked on every pass, against the mm the process has now, before
 * anything of that mm is touched.  A refused target is revoked for good
 * (until SET_TARGETS names it again) and loses its regions; one that
 * exec'd a program it may still monitor starts afresh, since its regions
 * describe an address space that is gone.  Returns the mm with a
 * reference, NULL if the target has exited or is revoked, or
 * ERR_PTR(-EINTR) when the kdamond is asked to stop.
 */
static struct mm_struct *dmon_target_mm(struct dmon_session *s,
					struct dmon_target *t)
{
	struct task_struct *task;
	struct mm_struct *mm;

	if (t->flags & (DAMON_TARGET_EXITED | DAMON_TARGET_REVOKED))
		return NULL;
	task = get_pid_task(t->pid, PIDTYPE_PID);
	if (!task) {
		mm = NULL;
	} else {
		mm = dmon_get_checked_mm(s->file, task, false);
		put_task_struct(task);
		if (mm == ERR_PTR(-EINTR))
			return mm;
	}
	if (IS_ERR_OR_NULL(mm)) {
		WRITE_ONCE(t->flags, t->flags | (mm ? DAMON_TARGET_REVOKED :
						 DAMON_TARGET_EXITED));
		WRITE_ONCE(t->regions.nr, 0);
		dmon_forget_mm(t);
		return NULL;
	}
	if (mm != t->mm) {
		dmon_forget_mm(t);
		WRITE_ONCE(t->regions.nr, 0);
		mmgrab(mm);
		t->mm = mm;
	}
	return mm;
}

/* Choose each region's page to sample next, and clear its Accessed bit. */
static void dmon_mkold_regions(struct mm_struct *mm, struct dmon_regions *rs)
{
	struct vm_area_struct *vma = NULL;
	struct dmon_region *r;
	u32 j;

	for (j = 0; j < rs->nr; j++) {
		r = &rs->r[j];
		r->sampling_addr = dmon_random_sampling_addr(r);
		dmon_mkold(mm, r->sampling_addr, &vma);
		if (!((j + 1) % DMON_RESCHED_REGIONS))
			cond_resched();
	}
}

/*
 * Clears of huge pages that must wait until every region of the pass has
 * been checked; beyond that many, all further clears of the pass wait.
 */
#define DMON_LATER_CLEARS	16

/*
 * Count, for each region, whether the page sampled last was accessed, and
 * clear the Accessed bit of a newly chosen one, in one visit of the page
 * table where both pages are in one (see dmon_check_and_mkold()).  Regions
 * that share a huge page share its Accessed bit: a clear that another
 * region's check could still see waits until after all checks.
 */
static void dmon_check_regions(struct mm_struct *mm, struct dmon_regions *rs)
{
	unsigned long later[DMON_LATER_CLEARS], limit, next;
	u32 nr_later = 0, later_from = rs->nr, j, res;
	struct vm_area_struct *vma = NULL;
	struct dmon_region *r;

	for (j = 0; j < rs->nr; j++) {
		r = &rs->r[j];
		next = dmon_random_sampling_addr(r);
		limit = j + 1 < rs->nr ? rs->r[j + 1].start : ULONG_MAX;
		if (j < later_from) {
			res = dmon_check_and_mkold(mm, r->sampling_addr, next,
						   limit, &vma);
			if (!(res & DMON_CLEARED)) {
				if (nr_later < DMON_LATER_CLEARS)
					later[nr_later++] = next;
				else
					later_from = j;
			}
		} else {
			res = dmon_young(mm, r->sampling_addr, &vma) ?
			      DMON_YOUNG : 0;
		}
		if (res & DMON_YOUNG) {
			r->nr_accesses++;
			r->hit_addr = r->sampling_addr;
		}
		r->sampling_addr = next;
		if (!((j + 1) % DMON_RESCHED_REGIONS))
			cond_resched();
	}
	while (nr_later)
		dmon_mkold(mm, later[--nr_later], &vma);
	for (j = later_from; j < rs->nr; j++) {
		dmon_mkold(mm, rs->r[j].sampling_addr, &vma);
		if (!((j + 1) % DMON_RESCHED_REGIONS))
			cond_resched();
	}
}

/*
 * Regions that read idle (at most @thres samples found them accessed) with
 * no sample that hit a page, of at least two PMD ranges, get the hit their
 * upper-level Accessed bits point to, if any, for the split to cut around.
 */
static void dmon_upper_hits(struct mm_struct *mm, struct dmon_regions *rs,
			    u32 thres)
{
	struct dmon_region *r;
	u32 i;

	for (i = 0; i < rs->nr; i++) {
		r = &rs->r[i];
		if (r->last_nr_accesses <= thres && !r->hit_addr &&
		    r->end - r->start >= 2 * PMD_SIZE)
			r->hit_addr = dmon_upper_hit(mm, r->start, r->end);
	}
}

/*
 * Split a target's regions, so that the next merge can find where access
 * frequency really changes: at random points, in three while the count is
 * low and stable, as upstream does; finer where the @nr_passes samples of
 * the interval just ended found a region partly accessed, and around a
 * lone hit in a region that reads idle (see dmon_split_regions()), the
 * hits of upper-level Accessed bits included if @upper.
 */
static void dmon_split_target(struct dmon_session *s, struct dmon_target *t,
			      struct mm_struct *mm, u32 nr_passes, bool upper)
{
	u32 max = s->attrs.max_nr_regions, nr = t->regions.nr;

	if (!nr || nr > max / 2)
		return;
	if (upper)
		dmon_upper_hits(mm, &t->regions, nr_passes / 10);
	dmon_split_regions(&t->regions, max,
			   nr == t->last_nr_regions && nr < max / 3 ? 3 : 2,
			   nr_passes);
	t->last_nr_regions = t->regions.nr;
}

/*
 * One pass over the targets, each checked (see dmon_target_mm()) and then
 * under one mmap_read_lock: if @check, count whether the page sampled last
 * time was accessed; else an aggregation interval of @nr_passes passes has
 * just ended, and the regions are split first; if @update, fit the regions
 * to the mappings; then, in either case, clear the Accessed bit of a newly
 * chosen page per region for the next check, and flush TLBs if the
 * session asks for it.  Returns the number of targets still alive.
 */
static u32 dmon_pass(struct dmon_session *s, struct dmon_interval *iv,
		     bool check, bool update, u32 nr_passes)
{
	u32 alive = 0, i;

	for (i = 0; i < s->nr_targets; i++) {
		struct dmon_target *t = &s->targets[i];
		struct dmon_regions *rs = &t->regions;
		struct mm_struct *mm;
		bool counted;

		mm = dmon_target_mm(s, t);
		if (!mm)
			continue;
		alive++;
		if (IS_ERR(mm))
			break;
		/*
		 * A writer can hold the lock long (unmapping gigabytes);
		 * kthread_stop() interrupts this wait, so stop is not held
		 * up by the target.
		 */
		if (down_read_interruptible(&mm->mmap_lock)) {
			mmput(mm);
			break;
		}
		/* A target's first pass has nothing to check yet. */
		counted = check && rs->nr;
		if (!check)
			dmon_split_target(s, t, mm, nr_passes,
					  iv->upper == DMON_UPPER_ON);
		if (update || !rs->nr)
			dmon_update_regions(s, t, mm);
		if (counted)
			dmon_check_regions(mm, rs);
		else
			dmon_mkold_regions(mm, rs);
		up_read(&mm->mmap_lock);
		mmput(mm);
		if (counted) {
			iv->samples_done += rs->nr;
			iv->checked = true;
		}
	}
	if (alive && (s->attrs.flags & DAMON_ATTR_TLB_FLUSH)) {
		struct dmon_flush_result fr;

		dmon_flush_tlbs(s->privileged, &fr);
		iv->tlb_flushes += fr.served;
		iv->tlb_flushes_shared += fr.served && !fr.issued;
		iv->tlb_flush_ns += fr.ns;
	}
	return alive;
}

/* Merge regions of similar access, to report fewer, truer regions. */
static void dmon_merge_targets(struct dmon_session *s,
			       const struct dmon_interval *iv)
{
	u32 threshold = iv->nr_passes / 10, i;

	for (i = 0; i < s->nr_targets; i++) {
		struct dmon_regions *rs = &s->targets[i].regions;

		dmon_merge_regions(rs, threshold,
				   dmon_merge_sz_limit(rs, s->attrs.min_nr_regions),
				   s->attrs.max_nr_regions);
	}
}

/* The share of samples that found pages accessed, per aggregation. */
struct dmon_tuner {
	u64 score_sum_bp;
	u32 aggrs;
};

/*
 * Interval auto-tuning: every tune_aggrs aggregations, scale the sampling
 * interval (and the aggregation interval with it) by how far the share of
 * samples that found pages accessed is from the goal: too few, and longer
 * intervals give pages more time to be accessed between checks.  A step
 * is at most x1.5 or x0.75, so one odd period does not swing it.
 *
 * The share is weighted by region size within an aggregation, with each
 * region's share in basis points first: pages (at most 2^44 per target
 * with 5-level paging, DMON_MAX_TARGETS targets) times 10000 stays below
 * 2^64 however sparse and large the mappings.
 */
static void dmon_tune_intervals(struct dmon_session *s, struct dmon_tuner *tu,
				const struct dmon_interval *iv)
{
	const struct dmon_attrs *a = &s->attrs;
	u64 score_bp, factor_bp, sample, aggr, seen = 0, pages = 0;
	u32 i, j;

	if (!a->tune_goal_bp || !iv->nr_passes)
		return;
	for (i = 0; i < s->nr_targets; i++) {
		const struct dmon_regions *rs = &s->targets[i].regions;

		for (j = 0; j < rs->nr; j++) {
			u64 n = (rs->r[j].end - rs->r[j].start) >> PAGE_SHIFT;

			seen += n * div_u64((u64)rs->r[j].nr_accesses * 10000,
					    iv->nr_passes);
			pages += n;
		}
	}
	tu->score_sum_bp += pages ? div64_u64(seen, pages) : 0;
	if (++tu->aggrs < a->tune_aggrs)
		return;
	score_bp = div_u64(tu->score_sum_bp, tu->aggrs);
	factor_bp = div64_u64((u64)a->tune_goal_bp * 10000, max(score_bp, 1ULL));
	factor_bp = (clamp_t(u64, factor_bp, 5000, 20000) + 10000) / 2;
	sample = clamp_t(u64, div_u64(s->sample_us * factor_bp, 10000),
			 a->tune_min_sample_us, a->tune_max_sample_us);
	aggr = min_t(u64, div64_u64(s->aggr_us * sample, s->sample_us),
		     DMON_MAX_INTERVAL_US);
	WRITE_ONCE(s->sample_us, sample);
	WRITE_ONCE(s->aggr_us, max(aggr, sample));
	memset(tu, 0, sizeof(*tu));
}

static void dmon_reset_interval(struct dmon_session *s,
				struct dmon_interval *iv, u64 now)
{
	u32 i;

	for (i = 0; i < s->nr_targets; i++)
		dmon_reset_aggregated(&s->targets[i].regions);
	iv->start_ns = now;
	iv->cpu_start_ns = current->se.sum_exec_runtime;
	iv->samples_done = 0;
	iv->nr_passes = 0;
	iv->checked = false;
	iv->tlb_flushes = 0;
	iv->tlb_flushes_shared = 0;
	iv->tlb_flush_ns = 0;
}

/* Sleep until @deadline (CLOCK_MONOTONIC ns) or until asked to stop. */
static void dmon_sleep_until(u64 deadline, u64 slack)
{
	ktime_t expires = ns_to_ktime(deadline);

	set_current_state(TASK_INTERRUPTIBLE);
	if (kthread_should_stop()) {
		__set_current_state(TASK_RUNNING);
		return;
	}
	schedule_hrtimeout_range(&expires, slack, HRTIMER_MODE_ABS);
	__set_current_state(TASK_RUNNING);
}

static int dmon_kdamond(void *data)
{
	struct dmon_session *s = data;
	struct dmon_interval iv;
	struct dmon_tuner tuner = {};
	u64 now = ktime_get_ns(), next = now;
	u64 next_update = now + s->attrs.update_us * NSEC_PER_USEC;
	bool exited = false, update;

	dmon_reset_interval(s, &iv, now);
	iv.upper = dmon_upper_bits();
	while (!kthread_should_stop()) {
		u64 sample_ns = s->sample_us * NSEC_PER_USEC;

		iv.checked = false;
		if (!dmon_pass(s, &iv, true, false, 0)) {
			WRITE_ONCE(s->end_reason, DAMON_END_TARGETS_EXITED);
			exited = true;
			break;
		}
		if (iv.checked)
			iv.nr_passes++;
		now = ktime_get_ns();
		if (now - iv.start_ns >= s->aggr_us * NSEC_PER_USEC) {
			u32 nr_passes = iv.nr_passes;

			dmon_merge_targets(s, &iv);
			dmon_queue_snapshot(s, &iv);
			/*
			 * An ioctl holding the lock only delays a new
			 * configuration by one interval; stop holds it while
			 * it waits for this thread, so never block on it.
			 */
			if (READ_ONCE(s->pending) && mutex_trylock(&s->lock)) {
				dmon_apply_pending(s);
				mutex_unlock(&s->lock);
				memset(&tuner, 0, sizeof(tuner));
			} else {
				dmon_tune_intervals(s, &tuner, &iv);
			}
			sample_ns = s->sample_us * NSEC_PER_USEC;
			dmon_reset_interval(s, &iv, now);
			iv.upper = dmon_upper_bits();
			update = now >= next_update;
			if (update)
				next_update = now +
					s->attrs.update_us * NSEC_PER_USEC;
			/*
			 * Split the regions, and sample pages inside the new
			 * ones, cleared now, so the next check is exact.
			 */
			dmon_pass(s, &iv, false, update, nr_passes);
		}
		/* Keep the rhythm; skip, don't burst, after falling behind. */
		next += sample_ns;
		if (next < now)
			next = now + sample_ns;
		dmon_sleep_until(next, min_t(u64, sample_ns / 16, NSEC_PER_MSEC));
	}
	/*
	 * What the last, partial interval saw is worth as much as the rest;
	 * after the targets exited, the last snapshot also tells readers so.
	 */
	if (iv.nr_passes || exited) {
		dmon_merge_targets(s, &iv);
		dmon_queue_snapshot(s, &iv);
	}
	WRITE_ONCE(s->cpu_ns, current->se.sum_exec_runtime);
	mutex_lock(&s->queue.lock);
	s->queue.ended = true;
	mutex_unlock(&s->queue.lock);
	wake_up_interruptible_poll(&s->queue.readers, EPOLLHUP);
	return 0;
}

/**
 * dmon_start() - start a fresh run of a session
 * @s:	the session, locked
 *
 * Memory for regions and the queue is allocated here, in the opener's
 * context, so that it is charged to the opener's memory cgroup and the
 * kdamond never allocates.
 *
 * Return: 0, -EBUSY if running, -EINVAL without targets, -ENOMEM, or the
 * error of creating the thread.
 */
int dmon_start(struct dmon_session *s)
{
	u32 cap = dmon_regions_cap(&s->attrs);
	struct task_struct *t;
	int err;

	if (dmon_running(s))
		return -EBUSY;
	if (!s->nr_targets)
		return -EINVAL;
	dmon_stop(s);		/* reap a thread that ended by itself */

	dmon_drop_queue(&s->queue);
	err = dmon_alloc_regions(s->targets, s->nr_targets, cap);
	if (err)
		return err;
	err = dmon_fill_queue(&s->queue, s->attrs.queue_depth,
			      dmon_snapshot_size(&s->attrs, s->nr_targets));
	if (err)
		return err;
	s->end_reason = DAMON_END_NONE;
	s->cpu_ns = 0;
	s->sample_us = s->attrs.sample_us;
	s->aggr_us = s->attrs.aggr_us;

	t = kthread_create(dmon_kdamond, s, "damondev/%d",
			   task_tgid_nr(current));
	err = PTR_ERR_OR_ZERO(t);
	/*
	 * The kdamond works for whoever starts it: it runs in that task's
	 * cgroups, so their cpu.max, cpuset and memory limits hold, and at
	 * no higher priority than that task (nor than a plain kthread).
	 */
	if (!err) {
		err = cgroup_attach_task_all(current, t);
		if (err)
			kthread_stop(t);
	}
	if (err) {
		mutex_lock(&s->queue.lock);
		s->queue.ended = true;
		mutex_unlock(&s->queue.lock);
		return err;
	}
	set_user_nice(t, max(task_nice(current), 0));
	get_task_struct(t);
	s->kdamond = t;
	s->started = true;
	wake_up_process(t);
	return 0;
}

/**
 * dmon_stop() - end the run of a session, if any, and wait for its thread
 * @s:	the session, locked
 *
 * The kdamond queues what the current interval has seen and exits; readers
 * then drain the queue and see end of file.  Takes about one sampling
 * interval at most: the kdamond sleeps interruptibly between passes.
 */
void dmon_stop(struct dmon_session *s)
{
	if (!s->kdamond)
		return;
	kthread_stop(s->kdamond);
	put_task_struct(s->kdamond);
	s->kdamond = NULL;
	if (s->end_reason == DAMON_END_NONE)
		s->end_reason = DAMON_END_STOPPED;
	/* Settings made while running are the next run's. */
	dmon_apply_pending(s);
	/* The thread may have been stopped before it ever ran. */
	mutex_lock(&s->queue.lock);
	s->queue.ended = true;
	mutex_unlock(&s->queue.lock);
	wake_up_interruptible_poll(&s->queue.readers, EPOLLHUP);
}

/*
 * Copy the oldest snapshot to user space if it fits in @room.  The copy is
 * made without the queue's lock, which the kdamond takes every aggregation:
 * a reader whose buffer faults slowly (userfaultfd, FUSE) must not hold up
 * monitoring or stop.  The snapshot's slot is swapped for the spare and
 * given back, or put back in front if the copy faulted and there is room.
 * Returns its size, 0 when nothing is queued, -ENOSPC when it does not
 * fit, or -EFAULT.
 */
static ssize_t dmon_copy_one(struct dmon_queue *q, char __user *dst,
			     size_t room)
{
	struct damon_snapshot *hdr;
	unsigned long left;
	size_t size;
	u64 gen, run;

	mutex_lock(&q->lock);
	if (!q->count) {
		mutex_unlock(&q->lock);
		return 0;
	}
	hdr = q->slots[q->head];
	if (hdr->size > room) {
		mutex_unlock(&q->lock);
		return -ENOSPC;
	}
	q->slots[q->head] = q->slots[q->depth];
	q->slots[q->depth] = NULL;
	q->head = (q->head + 1) % q->depth;
	q->count--;
	gen = q->gen;
	run = q->run;
	mutex_unlock(&q->lock);

	size = hdr->size;
	left = copy_to_user(dst, hdr, size);

	mutex_lock(&q->lock);
	if (gen != q->gen) {
		/*
		 * The queue was replaced meanwhile, with a spare of its own;
		 * a lost snapshot counts only if the run goes on.
		 */
		if (left && run == q->run) {
			q->carry += hdr->dropped + 1;
			q->dropped++;
		}
		mutex_unlock(&q->lock);
		kvfree(hdr);
		return left ? -EFAULT : size;
	}
	if (left && q->count < q->depth) {
		q->head = (q->head + q->depth - 1) % q->depth;
		q->slots[q->depth] = q->slots[q->head];
		q->slots[q->head] = hdr;
		q->count++;
	} else {
		if (left) {
			/* The kdamond filled the queue: it is the oldest. */
			if (q->count)
				((struct damon_snapshot *)q->slots[q->head])->dropped +=
					hdr->dropped + 1;
			else
				q->carry += hdr->dropped + 1;
			q->dropped++;
		}
		q->slots[q->depth] = hdr;
	}
	mutex_unlock(&q->lock);
	return left ? -EFAULT : size;
}

/**
 * dmon_read_snapshots() - copy whole queued snapshots to user space
 * @s:		the session
 * @buf:	user buffer
 * @count:	its size
 * @nonblock:	fail with -EAGAIN instead of waiting
 *
 * Return: bytes copied (whole snapshots only), 0 at the end of monitoring
 * once the queue is drained, -EINVAL if the next snapshot does not fit in
 * @count (it stays queued), -EAGAIN, -ERESTARTSYS, or -EFAULT.
 */
ssize_t dmon_read_snapshots(struct dmon_session *s, char __user *buf,
			    size_t count, bool nonblock)
{
	struct dmon_queue *q = &s->queue;
	ssize_t ret, done = 0;

	/* One reader at a time: there is one spare slot. */
	if (nonblock ? !mutex_trylock(&q->read_lock) :
	    mutex_lock_interruptible(&q->read_lock))
		return nonblock ? -EAGAIN : -ERESTARTSYS;
	for (;;) {
		ret = dmon_copy_one(q, buf + done, count - done);
		if (ret > 0) {
			done += ret;
			continue;
		}
		if (done)
			break;
		if (ret == -ENOSPC) {
			ret = -EINVAL;
			break;
		}
		if (ret)
			break;
		/* Nothing queued. */
		if (READ_ONCE(q->ended) && !READ_ONCE(q->count))
			break;
		ret = -EAGAIN;
		if (nonblock)
			break;
		ret = wait_event_interruptible(q->readers,
					       READ_ONCE(q->count) ||
					       READ_ONCE(q->ended));
		if (ret)
			break;
	}
	mutex_unlock(&q->read_lock);
	return done ? done : ret;
}

/**
 * dmon_poll_mask() - poll events of a session
 * @s:	the session
 *
 * Return: EPOLLIN | EPOLLRDNORM when a snapshot is queued, EPOLLHUP when
 * monitoring has ended and the queue is drained.
 */
__poll_t dmon_poll_mask(struct dmon_session *s)
{
	struct dmon_queue *q = &s->queue;
	__poll_t mask = 0;

	mutex_lock(&q->lock);
	if (q->count)
		mask |= EPOLLIN | EPOLLRDNORM;
	else if (q->ended)
		mask |= EPOLLHUP;
	mutex_unlock(&q->lock);
	return mask;
}

/**
 * dmon_session_free() - stop monitoring and free everything of a session
 * @s:	the session; no reader may use it any more
 */
void dmon_session_free(struct dmon_session *s)
{
	mutex_lock(&s->lock);
	dmon_stop(s);
	mutex_unlock(&s->lock);
	dmon_free_pending(s->pending);
	dmon_free_targets(s->targets, s->nr_targets);
	dmon_free_slots(s->queue.slots, s->queue.depth);
	kfree(s);
}
