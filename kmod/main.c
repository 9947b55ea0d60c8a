// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/damon: the user interface of the data access monitor.  Every open
 * file is a session (core.c); this file validates what user space asks for
 * and names the field that is wrong when it refuses.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmon.h"

/* The uapi structures must have no implicit padding (same on 32/64-bit). */
static_assert(sizeof(struct damon_handshake) == 80);
static_assert(sizeof(struct damon_attrs) == 88);
static_assert(sizeof(struct damon_targets) == 40);
static_assert(sizeof(struct damon_status) == 64);
static_assert(sizeof(struct damon_target_status) == 16);
static_assert(sizeof(struct damon_snapshot) == 120);
static_assert(sizeof(struct damon_snapshot_target) == 16);
static_assert(sizeof(struct damon_snapshot_region) == 24);

/* The size bits of an ioctl command are ignored: the struct has its own. */
#define DMON_CMD(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

/* Largest argument struct accepted, however new the caller's header. */
#define DMON_MAX_ARG_SIZE	PAGE_SIZE

struct dmon_err {
	u32 field;
	u32 reason;
	u32 other;
	u64 limit;
};

static int dmon_fail(struct dmon_err *e, u32 field, u32 reason, u64 limit,
		     u32 other)
{
	e->field = field;
	e->reason = reason;
	e->limit = limit;
	e->other = other;
	return -EINVAL;
}

/*
 * Copy in an extensible struct: a smaller one is zero-extended, a larger
 * one must have a zero tail (E2BIG).  Returns the caller's size or -errno.
 */
static long dmon_copy_in(void *dst, size_t ksize, void __user *uarg)
{
	u32 usize;
	int err;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < sizeof(u32))
		return -EINVAL;
	if (usize > DMON_MAX_ARG_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(dst, ksize, uarg, usize);
	if (err)
		return err;
	return usize;
}

static int dmon_copy_out(void __user *uarg, const void *src, size_t ksize,
			 size_t usize)
{
	return copy_to_user(uarg, src, min(ksize, usize)) ? -EFAULT : 0;
}

static long dmon_handshake(struct dmon_session *s, void __user *uarg)
{
	struct damon_handshake hs;
	struct dmon_attrs attrs;
	long usize = dmon_copy_in(&hs, sizeof(hs), uarg);
	u32 nr;

	if (usize < 0)
		return usize;
	memset(&hs, 0, sizeof(hs));
	hs.size = usize;
	hs.api_version = DAMON_API_VERSION;
	hs.features = DAMON_FEAT_TLB_FLUSH | DAMON_FEAT_AUTOTUNE |
		      DAMON_FEAT_ONLINE;
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		hs.features |= DAMON_FEAT_THP;
	hs.max_targets = DMON_MAX_TARGETS;
	hs.max_nr_regions = DMON_MAX_NR_REGIONS;
	hs.min_queue_depth = DMON_MIN_QUEUE_DEPTH;
	hs.max_queue_depth = DMON_MAX_QUEUE_DEPTH;
	hs.min_sample_us = DMON_MIN_SAMPLE_US;
	hs.max_sample_us = DMON_MAX_SAMPLE_US;
	hs.max_interval_us = DMON_MAX_INTERVAL_US;
	hs.max_session_memory = DMON_MAX_SESSION_MEMORY;
	hs.flush_min_sample_us = dmon_flush_min_sample_us(s->file);
	mutex_lock(&s->lock);
	dmon_config(s, &attrs, &nr);
	mutex_unlock(&s->lock);
	/* Pending or in force: a buffer for the larger reads either. */
	hs.max_snapshot_size = max(dmon_snapshot_size(&attrs, nr ?:
						      DMON_MAX_TARGETS),
				   READ_ONCE(s->queue.slot_size));
	return dmon_copy_out(uarg, &hs, sizeof(hs), usize);
}

/* Bounds of a u64 field; zero was already replaced by the default. */
static int dmon_check_range(struct dmon_err *e, u32 field, u64 val, u64 min,
			    u32 min_from, u64 max)
{
	if (val < min)
		return dmon_fail(e, field, DAMON_ERR_TOO_SMALL, min, min_from);
	if (val > max)
		return dmon_fail(e, field, DAMON_ERR_TOO_LARGE, max, 0);
	return 0;
}

/*
 * While running, a new configuration is allocated next to the one in force
 * and replaces it at the next aggregation boundary: both must fit.
 */
static int dmon_check_memory(struct dmon_session *s, struct dmon_err *e,
			     u32 field, const struct dmon_attrs *a,
			     u32 nr_targets)
{
	u64 in_force = dmon_running(s) ?
		dmon_session_bytes(&s->attrs, s->nr_targets) : 0;
	u64 room = DMON_MAX_SESSION_MEMORY -
		   min(in_force, DMON_MAX_SESSION_MEMORY);

	if (dmon_session_bytes(a, nr_targets ?: 1) > room)
		return dmon_fail(e, field, DAMON_ERR_TOO_MUCH_MEMORY, room, 0);
	return 0;
}

static int dmon_check_tuning(const struct damon_attrs *in,
			     struct dmon_attrs *a, struct dmon_err *e)
{
	int err;

	a->tune_goal_bp = in->tune_goal_bp;
	a->tune_aggrs = in->tune_aggrs ?: 3;
	a->tune_min_sample_us = in->tune_min_sample_us ?: DMON_MIN_SAMPLE_US;
	a->tune_max_sample_us = in->tune_max_sample_us ?:
		min(100 * a->sample_us, DMON_MAX_SAMPLE_US);
	err = dmon_check_range(e, DAMON_FIELD_TUNE_GOAL_BP, a->tune_goal_bp,
			       0, 0, 10000);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_TUNE_AGGRS,
				       a->tune_aggrs, 1, 0, 1000);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_TUNE_MIN_SAMPLE_US,
				       a->tune_min_sample_us,
				       DMON_MIN_SAMPLE_US, 0, a->sample_us);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_TUNE_MAX_SAMPLE_US,
				       a->tune_max_sample_us, a->sample_us,
				       DAMON_FIELD_SAMPLE_US,
				       DMON_MAX_SAMPLE_US);
	return err;
}

/*
 * TLB flushes interrupt every CPU: an opener without CAP_SYS_ADMIN or
 * CAP_PERFMON may not ask for them more often than the machine-wide budget
 * allows one session (the budget holds at run time too, for all sessions
 * together; this gives the error a name).
 */
static int dmon_check_flush(struct dmon_session *s, const struct dmon_attrs *a,
			    struct dmon_err *e)
{
	u64 min = dmon_flush_min_sample_us(s->file);

	if (!(a->flags & DAMON_ATTR_TLB_FLUSH))
		return 0;
	if (min == U64_MAX)
		return dmon_fail(e, DAMON_FIELD_FLAGS, DAMON_ERR_FLUSH_BUDGET,
				 0, 0);
	if (a->sample_us < min)
		return dmon_fail(e, DAMON_FIELD_SAMPLE_US,
				 DAMON_ERR_FLUSH_BUDGET, min, 0);
	if (a->tune_goal_bp && a->tune_min_sample_us < min)
		return dmon_fail(e, DAMON_FIELD_TUNE_MIN_SAMPLE_US,
				 DAMON_ERR_FLUSH_BUDGET, min, 0);
	return 0;
}

/* Validate user attributes into @a; on error @e names the field. */
static int dmon_check_attrs(struct dmon_session *s,
			    const struct damon_attrs *in, struct dmon_attrs *a,
			    u32 nr_targets, struct dmon_err *e)
{
	struct dmon_attrs def;
	int err;

	dmon_default_attrs(&def);
	if (in->flags & ~DAMON_ATTR_ALL)
		return dmon_fail(e, DAMON_FIELD_FLAGS, DAMON_ERR_UNKNOWN_BITS,
				 DAMON_ATTR_ALL, 0);
	a->flags = in->flags;
	a->sample_us = in->sample_us ?: def.sample_us;
	a->aggr_us = in->aggr_us ?: max(def.aggr_us, a->sample_us);
	a->update_us = in->update_us ?: max(def.update_us, a->aggr_us);
	a->min_nr_regions = in->min_nr_regions ?: def.min_nr_regions;
	a->max_nr_regions = in->max_nr_regions ?:
			    max(def.max_nr_regions, a->min_nr_regions);
	a->queue_depth = in->queue_depth ?: def.queue_depth;

	err = dmon_check_range(e, DAMON_FIELD_SAMPLE_US, a->sample_us,
			       DMON_MIN_SAMPLE_US, 0, DMON_MAX_SAMPLE_US);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_AGGR_US, a->aggr_us,
				       a->sample_us, DAMON_FIELD_SAMPLE_US,
				       DMON_MAX_INTERVAL_US);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_UPDATE_US, a->update_us,
				       a->aggr_us, DAMON_FIELD_AGGR_US,
				       DMON_MAX_INTERVAL_US);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_MIN_NR_REGIONS,
				       a->min_nr_regions, 3, 0,
				       DMON_MAX_NR_REGIONS);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_MAX_NR_REGIONS,
				       a->max_nr_regions, a->min_nr_regions,
				       DAMON_FIELD_MIN_NR_REGIONS,
				       DMON_MAX_NR_REGIONS);
	if (!err)
		err = dmon_check_range(e, DAMON_FIELD_QUEUE_DEPTH,
				       a->queue_depth, DMON_MIN_QUEUE_DEPTH, 0,
				       DMON_MAX_QUEUE_DEPTH);
	if (!err)
		err = dmon_check_memory(s, e, DAMON_FIELD_QUEUE_DEPTH, a,
					nr_targets);
	if (!err)
		err = dmon_check_tuning(in, a, e);
	if (!err)
		err = dmon_check_flush(s, a, e);
	return err;
}

static long dmon_set_attrs(struct dmon_session *s, void __user *uarg)
{
	struct damon_attrs in;
	struct dmon_attrs a, cur;
	struct dmon_err e = {};
	u32 nr_targets;
	long usize = dmon_copy_in(&in, sizeof(in), uarg);
	int err;

	if (usize < 0)
		return usize;
	mutex_lock(&s->lock);
	dmon_config(s, &cur, &nr_targets);
	err = dmon_check_attrs(s, &in, &a, nr_targets, &e);
	if (!err)
		err = dmon_reconfigure(s, &a, NULL, 0);
	mutex_unlock(&s->lock);
	if (err == -ENOMEM)
		return err;
	in.err_field = e.field;
	in.err_reason = e.reason;
	in.err_other = e.other;
	in.err_limit = e.limit;
	if (dmon_copy_out(uarg, &in, sizeof(in), usize))
		return -EFAULT;
	return err;
}

/*
 * Resolve one pid in the caller's namespace and check that the caller may
 * monitor it.  Returns the pid reference or an ERR_PTR, with @e set.
 */
static struct pid *dmon_get_target(struct dmon_session *s, pid_t nr,
				   struct dmon_err *e)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;
	int err = 0;

	if (nr <= 0) {
		dmon_fail(e, DAMON_FIELD_PIDS, DAMON_ERR_TOO_SMALL, 1, 0);
		return ERR_PTR(-EINVAL);
	}
	pid = find_get_pid(nr);
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	if (!task) {
		dmon_fail(e, DAMON_FIELD_PIDS, DAMON_ERR_NO_SUCH_PROCESS, 0, 0);
		put_pid(pid);
		return ERR_PTR(-ESRCH);
	}
	mm = dmon_get_checked_mm(s->file, task, true);
	if (!mm) {
		dmon_fail(e, DAMON_FIELD_PIDS, DAMON_ERR_NO_MM, 0, 0);
		err = -EINVAL;
	} else if (IS_ERR(mm)) {
		err = PTR_ERR(mm);
		if (err == -EPERM)
			dmon_fail(e, DAMON_FIELD_PIDS, DAMON_ERR_NOT_PERMITTED,
				  0, 0);
	} else {
		mmput(mm);
	}
	put_task_struct(task);
	if (err) {
		put_pid(pid);
		return ERR_PTR(err);
	}
	return pid;
}

static int dmon_check_targets(struct dmon_session *s,
			      const struct damon_targets *in,
			      struct dmon_target **out, u32 *err_index,
			      const struct dmon_attrs *attrs,
			      struct dmon_err *e)
{
	struct dmon_target *targets;
	pid_t *pids;
	u32 i, j;
	int err;

	if (!in->nr_pids)
		return dmon_fail(e, DAMON_FIELD_NR_PIDS, DAMON_ERR_TOO_SMALL,
				 1, 0);
	if (in->nr_pids > DMON_MAX_TARGETS)
		return dmon_fail(e, DAMON_FIELD_NR_PIDS, DAMON_ERR_TOO_LARGE,
				 DMON_MAX_TARGETS, 0);
	err = dmon_check_memory(s, e, DAMON_FIELD_NR_PIDS, attrs,
				in->nr_pids);
	if (err)
		return err;
	pids = memdup_user(u64_to_user_ptr(in->pids),
			   in->nr_pids * sizeof(*pids));
	if (IS_ERR(pids)) {
		dmon_fail(e, DAMON_FIELD_PIDS, DAMON_ERR_BAD_ADDRESS, 0, 0);
		return PTR_ERR(pids);
	}
	targets = kcalloc(in->nr_pids, sizeof(*targets), GFP_KERNEL_ACCOUNT);
	if (!targets) {
		kfree(pids);
		return -ENOMEM;
	}
	for (i = 0; i < in->nr_pids && !err; i++) {
		*err_index = i;
		for (j = 0; j < i; j++) {
			if (pids[j] == pids[i]) {
				err = dmon_fail(e, DAMON_FIELD_PIDS,
						DAMON_ERR_DUPLICATE, 0, 0);
				break;
			}
		}
		if (err)
			break;
		targets[i].pid = dmon_get_target(s, pids[i], e);
		if (IS_ERR(targets[i].pid)) {
			err = PTR_ERR(targets[i].pid);
			targets[i].pid = NULL;
		}
		targets[i].pid_nr = pids[i];
	}
	kfree(pids);
	if (err) {
		for (i = 0; i < in->nr_pids; i++)
			put_pid(targets[i].pid);
		kfree(targets);
		return err;
	}
	*err_index = 0;
	*out = targets;
	return 0;
}

static long dmon_set_targets_ioctl(struct dmon_session *s, void __user *uarg)
{
	struct damon_targets in;
	struct dmon_target *targets = NULL;
	struct dmon_attrs attrs;
	struct dmon_err e = {};
	u32 nr;
	u32 index = 0;
	long usize = dmon_copy_in(&in, sizeof(in), uarg);
	int err;

	if (usize < 0)
		return usize;
	mutex_lock(&s->lock);
	dmon_config(s, &attrs, &nr);
	err = dmon_check_targets(s, &in, &targets, &index, &attrs, &e);
	if (!err)
		err = dmon_reconfigure(s, NULL, targets, in.nr_pids);
	mutex_unlock(&s->lock);
	if (err == -ENOMEM)
		return err;
	in.err_field = e.field;
	in.err_reason = e.reason;
	in.err_index = e.field == DAMON_FIELD_PIDS ? index : 0;
	in.err_other = e.other;
	in.err_limit = e.limit;
	if (dmon_copy_out(uarg, &in, sizeof(in), usize))
		return -EFAULT;
	return err;
}

static long dmon_status(struct dmon_session *s, void __user *uarg)
{
	struct damon_status st;
	struct damon_target_status __user *ut;
	long usize = dmon_copy_in(&st, sizeof(st), uarg);
	u32 i;
	int err = 0;

	if (usize < 0)
		return usize;
	if (st.__pad)
		return -EINVAL;
	ut = u64_to_user_ptr(st.targets);
	mutex_lock(&s->lock);
	if (!s->started)
		st.state = DAMON_STATE_IDLE;
	else if (dmon_running(s))
		st.state = DAMON_STATE_RUNNING;
	else
		st.state = DAMON_STATE_ENDED;
	st.end_reason = READ_ONCE(s->end_reason);
	if (st.state == DAMON_STATE_RUNNING)
		st.end_reason = DAMON_END_NONE;
	st.nr_targets = s->nr_targets;
	mutex_lock(&s->queue.lock);
	st.snapshots = s->queue.produced;
	st.dropped = s->queue.dropped;
	st.queued = s->queue.count;
	mutex_unlock(&s->queue.lock);
	st.cpu_ns = READ_ONCE(s->cpu_ns);
	for (i = 0; i < s->nr_targets && i < st.targets_len && !err; i++) {
		struct dmon_target *t = &s->targets[i];
		struct damon_target_status ts = {
			.pid = t->pid_nr,
			.flags = READ_ONCE(t->flags),
			.nr_regions = READ_ONCE(t->regions.nr),
		};

		if (copy_to_user(&ut[i], &ts, sizeof(ts)))
			err = -EFAULT;
	}
	mutex_unlock(&s->lock);
	if (err)
		return err;
	return dmon_copy_out(uarg, &st, sizeof(st), usize);
}

static long dmon_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dmon_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (DMON_CMD(cmd)) {
	case DMON_CMD(DAMON_IOC_HANDSHAKE):
		return dmon_handshake(s, uarg);
	case DMON_CMD(DAMON_IOC_SET_ATTRS):
		return dmon_set_attrs(s, uarg);
	case DMON_CMD(DAMON_IOC_SET_TARGETS):
		return dmon_set_targets_ioctl(s, uarg);
	case DMON_CMD(DAMON_IOC_STATUS):
		return dmon_status(s, uarg);
	case DAMON_IOC_START:
		mutex_lock(&s->lock);
		ret = dmon_start(s);
		mutex_unlock(&s->lock);
		return ret;
	case DAMON_IOC_STOP:
		mutex_lock(&s->lock);
		dmon_stop(s);
		mutex_unlock(&s->lock);
		return 0;
	}
	return -ENOTTY;
}

static int dmon_open(struct inode *inode, struct file *file)
{
	struct dmon_session *s;
	int err;

	if (dmon_require_admin() && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = nonseekable_open(inode, file);
	if (err)
		return err;
	err = dmon_account_session(file);
	if (err)
		return err;
	s = dmon_session_alloc(file);
	if (!s) {
		dmon_unaccount_session(file);
		return -ENOMEM;
	}
	file->private_data = s;
	return 0;
}

static int dmon_release(struct inode *inode, struct file *file)
{
	dmon_session_free(file->private_data);
	dmon_unaccount_session(file);
	return 0;
}

static ssize_t dmon_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	return dmon_read_snapshots(file->private_data, buf, count,
				   file->f_flags & O_NONBLOCK);
}

static __poll_t dmon_poll(struct file *file, poll_table *wait)
{
	struct dmon_session *s = file->private_data;

	poll_wait(file, &s->queue.readers, wait);
	return dmon_poll_mask(s);
}

static const struct file_operations dmon_fops = {
	.owner = THIS_MODULE,
	.open = dmon_open,
	.release = dmon_release,
	.read = dmon_read,
	.poll = dmon_poll,
	.unlocked_ioctl = dmon_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dmon_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "damon",
	.fops = &dmon_fops,
	.mode = 0600,
};

static int __init dmon_init(void)
{
	return misc_register(&dmon_misc);
}

static void __exit dmon_exit(void)
{
	misc_deregister(&dmon_misc);
}

module_init(dmon_init);
module_exit(dmon_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DAMON-style data access monitoring through /dev/damon");
