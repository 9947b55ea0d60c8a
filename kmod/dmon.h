/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the damondev module: the session (core.c), the
 * address-space operations (vaddr.c), permissions and shared budgets
 * (policy.c) and the device (main.c).
 */
#ifndef DAMONDEV_DMON_H
#define DAMONDEV_DMON_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "damondev.h"
#include "regions.h"

/* Limits reported by the handshake and enforced by validation. */
#define DMON_MAX_TARGETS		64
#define DMON_MAX_NR_REGIONS		65536
#define DMON_MIN_QUEUE_DEPTH		1
#define DMON_MAX_QUEUE_DEPTH		4096
#define DMON_MIN_SAMPLE_US		100ULL
#define DMON_MAX_SAMPLE_US		(10ULL * USEC_PER_SEC)
#define DMON_MAX_INTERVAL_US		(3600ULL * USEC_PER_SEC)
#define DMON_MAX_SESSION_MEMORY		(64ULL << 20)
/* Regions handled between two chances to reschedule. */
#define DMON_RESCHED_REGIONS		256

/* Validated attributes of a session, in the units the kernel uses. */
struct dmon_attrs {
	u32 flags;
	u64 sample_us;
	u64 aggr_us;
	u64 update_us;
	u32 min_nr_regions;
	u32 max_nr_regions;
	u32 queue_depth;
	u32 tune_goal_bp;
	u32 tune_aggrs;
	u64 tune_min_sample_us;
	u64 tune_max_sample_us;
};

/**
 * struct dmon_target - one monitored process
 * @pid:	reference to the process; pins no memory once it has exited
 * @pid_nr:	the number the user gave, reported back unchanged
 * @flags:	DAMON_TARGET_* bits
 * @regions:	its regions; empty until the first pass sets them up
 * @last_nr_regions: number of regions after the previous split
 * @mm:		the address space @regions describe, which passed the
 *		permission check (a grabbed reference, so that an exec's new
 *		mm can never compare equal to it), or NULL
 */
struct dmon_target {
	struct pid *pid;
	pid_t pid_nr;
	u32 flags;
	struct dmon_regions regions;
	u32 last_nr_regions;
	struct mm_struct *mm;
};

/**
 * struct dmon_queue - snapshots waiting for readers
 * @lock:	protects everything below; the kdamond and readers take it
 * @read_lock:	one reader at a time copies out (it holds the spare)
 * @readers:	readers and pollers wait here
 * @slots:	@depth preallocated buffers of @slot_size bytes, a ring, and
 *		at @depth the spare (NULL while a reader has it)
 * @head:	index of the oldest queued snapshot
 * @count:	queued snapshots
 * @carry:	snapshots dropped that no queued snapshot reports yet
 * @ended:	monitoring has ended: readers get EOF once the ring is empty
 * @produced:	snapshots produced in this run
 * @dropped:	of those, dropped because the ring was full
 * @gen:	changes whenever @slots is replaced
 * @run:	changes when a new run starts
 */
struct dmon_queue {
	struct mutex lock;
	struct mutex read_lock;
	wait_queue_head_t readers;
	void **slots;
	size_t slot_size;
	u32 depth;
	u32 head;
	u32 count;
	u64 carry;
	bool ended;
	u64 produced;
	u64 dropped;
	u64 gen;
	u64 run;
};

/**
 * struct dmon_pending - a configuration waiting for the next aggregation
 * @attrs:	the new attributes
 * @targets:	the new targets, regions allocated for @attrs, none set
 * @nr_targets:	number of @targets
 * @slots:	new queue slots: @attrs.queue_depth of @slot_size bytes
 * @slot_size:	bytes of each slot
 * @checked:	@targets were named and checked by SET_TARGETS, which lifts
 *		a revocation; else they are the targets in force, and keep
 *		theirs
 *
 * Everything is allocated by the ioctl, in the opener's context; the
 * kdamond only moves regions and queued snapshots into it and frees what
 * it replaces.
 */
struct dmon_pending {
	struct dmon_attrs attrs;
	struct dmon_target *targets;
	u32 nr_targets;
	void **slots;
	size_t slot_size;
	bool checked;
};

/**
 * struct dmon_session - what one open file of /dev/damon owns
 * @file:	the file; its opener's credentials decide what may be monitored
 * @privileged:	its opener had CAP_SYS_ADMIN or CAP_PERFMON: exempt from the
 *		machine-wide TLB flush budget
 * @lock:	serialises the ioctls; the kdamond only ever tries it
 * @attrs:	attributes in force (of the next run, when idle)
 * @targets:	@nr_targets targets in force
 * @kdamond:	the monitoring thread while one exists (a reference is held)
 * @end_reason:	enum damon_end of the last run
 * @started:	a run was started at least once
 * @cpu_ns:	CPU time of the kdamond, updated by itself
 * @sample_us:	sampling interval in force: @attrs' unless auto-tuning
 *		changed it; written by the kdamond only
 * @aggr_us:	aggregation interval in force, likewise
 * @queue:	snapshots for readers
 * @pending:	configuration set while running, applied by the kdamond at
 *		the next aggregation boundary (under @lock)
 */
struct dmon_session {
	struct file *file;
	bool privileged;
	struct mutex lock;
	struct dmon_attrs attrs;
	struct dmon_target *targets;
	u32 nr_targets;
	struct task_struct *kdamond;
	u32 end_reason;
	bool started;
	u64 cpu_ns;
	u64 sample_us;
	u64 aggr_us;
	struct dmon_queue queue;
	struct dmon_pending *pending;
};

/* core.c */
struct dmon_session *dmon_session_alloc(struct file *file);
void dmon_session_free(struct dmon_session *s);
void dmon_default_attrs(struct dmon_attrs *a);
u32 dmon_regions_cap(const struct dmon_attrs *a);
size_t dmon_snapshot_size(const struct dmon_attrs *a, u32 nr_targets);
u64 dmon_session_bytes(const struct dmon_attrs *a, u32 nr_targets);
int dmon_reconfigure(struct dmon_session *s, const struct dmon_attrs *attrs,
		     struct dmon_target *targets, u32 nr);
void dmon_config(struct dmon_session *s, struct dmon_attrs *attrs, u32 *nr);
int dmon_start(struct dmon_session *s);
void dmon_stop(struct dmon_session *s);
bool dmon_running(struct dmon_session *s);
ssize_t dmon_read_snapshots(struct dmon_session *s, char __user *buf,
			    size_t count, bool nonblock);
__poll_t dmon_poll_mask(struct dmon_session *s);

/* policy.c */
/**
 * struct dmon_flush_result - what dmon_flush_tlbs() did for its caller
 * @served:	a flush that started after the caller's clears completed
 * @issued:	the caller made that flush (else another session did)
 * @ns:		time spent, waiting for the machine-wide budget included
 */
struct dmon_flush_result {
	bool served;
	bool issued;
	u64 ns;
};

/* Whether the Accessed bits of PMD entries over page tables are ours. */
enum dmon_upper {
	DMON_UPPER_OFF,
	DMON_UPPER_ON,
	DMON_UPPER_MGLRU,
};

bool dmon_require_admin(void);
bool dmon_privileged(struct file *file);
bool dmon_may_monitor(struct file *file, struct task_struct *task,
		      struct mm_struct *mm);
struct mm_struct *dmon_get_checked_mm(struct file *file,
				      struct task_struct *task, bool killable);
int dmon_account_session(struct file *file);
void dmon_unaccount_session(struct file *file);
u64 dmon_flush_min_sample_us(struct file *file);
void dmon_flush_tlbs(bool privileged, struct dmon_flush_result *res);
enum dmon_upper dmon_upper_bits(void);

/* vaddr.c */
struct mm_struct;
struct vm_area_struct;
int dmon_target_ranges(struct mm_struct *mm, struct dmon_range ranges[3],
		       u32 *nr_ranges, u32 *flags);
bool dmon_young(struct mm_struct *mm, unsigned long addr,
		struct vm_area_struct **last);
void dmon_mkold(struct mm_struct *mm, unsigned long addr,
		struct vm_area_struct **last);
/* What dmon_check_and_mkold() did. */
#define DMON_YOUNG	BIT(0)
#define DMON_CLEARED	BIT(1)
u32 dmon_check_and_mkold(struct mm_struct *mm, unsigned long checked,
			 unsigned long next, unsigned long limit,
			 struct vm_area_struct **last);
unsigned long dmon_upper_hit(struct mm_struct *mm, unsigned long start,
			     unsigned long end);

#endif /* DAMONDEV_DMON_H */
