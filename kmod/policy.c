// SPDX-License-Identifier: GPL-2.0
/*
 * Who may monitor what, and how much of the machine a session may use: the
 * ptrace-read check a target passes on every sampling pass, the limits on
 * sessions per user and machine-wide, the machine-wide budget of TLB
 * flushes that every session shares, and whether the Accessed bits of
 * upper-level page-table entries are ours to clear.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/smp.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "compat.h"
#include "dmon.h"

static bool require_admin;
module_param(require_admin, bool, 0644);
MODULE_PARM_DESC(require_admin,
		 "Require CAP_SYS_ADMIN to use /dev/damon at all (default: a caller may monitor the processes it could ptrace-read); set it where an LSM (SELinux, AppArmor, Smack, Landlock) confines ptrace, which this module cannot consult");

/*
 * A session costs a kernel thread once started and up to
 * DMON_MAX_SESSION_MEMORY of memory: enough for every service of a host to
 * be monitored, few enough that an open() loop stops early.
 */
static unsigned int max_sessions = 1024;
module_param(max_sessions, uint, 0644);
MODULE_PARM_DESC(max_sessions,
		 "Most open /dev/damon sessions machine-wide (ENFILE beyond)");

static unsigned int max_sessions_per_user = 64;
module_param(max_sessions_per_user, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_user,
		 "Most open /dev/damon sessions per real user id (EUSERS beyond); CAP_SYS_ADMIN is exempt");

/*
 * Every flush interrupts every CPU and costs it a TLB refill.  100 a second
 * is one session at a 10 ms sampling interval; BENCHMARKS.md has what one
 * flush costs the other CPUs.
 */
static unsigned int tlb_flush_max_hz = 100;
module_param(tlb_flush_max_hz, uint, 0644);
MODULE_PARM_DESC(tlb_flush_max_hz,
		 "Most TLB flushes per second machine-wide for sessions of openers without CAP_SYS_ADMIN or CAP_PERFMON (0: none for them)");

static unsigned long tlb_flushes;
module_param(tlb_flushes, ulong, 0444);
MODULE_PARM_DESC(tlb_flushes, "TLB flushes made since the module was loaded");

static bool upper_bits = true;
module_param(upper_bits, bool, 0644);
MODULE_PARM_DESC(upper_bits,
		 "Find small hot areas in big idle regions from the Accessed bits of the PMD entries that point to page tables (x86), unless MGLRU uses those bits");

/**
 * dmon_require_admin() - is /dev/damon restricted to CAP_SYS_ADMIN?
 *
 * Return: the require_admin module parameter.
 */
bool dmon_require_admin(void)
{
	return READ_ONCE(require_admin);
}

/**
 * dmon_privileged() - may the opener of @file exceed the shared budgets?
 * @file:	an open file of /dev/damon
 *
 * Return: true if its opener had CAP_SYS_ADMIN or CAP_PERFMON.
 */
bool dmon_privileged(struct file *file)
{
	return file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN) ||
	       file_ns_capable(file, &init_user_ns, CAP_PERFMON);
}

/*
 * The ptrace credential rule of __ptrace_may_access() and the commoncap LSM
 * for PTRACE_MODE_READ_FSCREDS, as seen by @cred, the session opener's
 * credentials: neither ptrace_may_access() nor security_ptrace_access_check()
 * is exported.
 */
static bool dmon_creds_allow(struct file *file, struct task_struct *task)
{
	const struct cred *cred = file->f_cred, *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = (uid_eq(cred->fsuid, tcred->euid) &&
	      uid_eq(cred->fsuid, tcred->suid) &&
	      uid_eq(cred->fsuid, tcred->uid) &&
	      gid_eq(cred->fsgid, tcred->egid) &&
	      gid_eq(cred->fsgid, tcred->sgid) &&
	      gid_eq(cred->fsgid, tcred->gid)) ||
	     file_ns_capable(file, tcred->user_ns, CAP_SYS_PTRACE);
	/*
	 * commoncap: from the target's own user namespace, holding every
	 * capability it may use; or CAP_SYS_PTRACE over that namespace.  So
	 * a same-uid process with capabilities of its own, or one outside a
	 * user namespace the opener made, is out of reach.
	 */
	if (ok && !(cred->user_ns == tcred->user_ns &&
		    cap_issubset(tcred->cap_permitted, cred->cap_effective)))
		ok = file_ns_capable(file, tcred->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	return ok;
}

/**
 * dmon_may_monitor() - may a session monitor @task's address space @mm?
 * @file:	the session's file: its opener's credentials decide
 * @task:	the process
 * @mm:		its address space, taken while holding its exec_update_lock
 *
 * PTRACE_MODE_READ_FSCREDS as far as exported pieces allow: the credential
 * rule, then dumpability of @mm, then commoncap.  With require_admin set,
 * only CAP_SYS_ADMIN counts.  LSM ptrace hooks cannot be consulted.
 *
 * Return: true if monitoring is allowed.
 */
bool dmon_may_monitor(struct file *file, struct task_struct *task,
		      struct mm_struct *mm)
{
	if (dmon_require_admin())
		return file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	if (!dmon_creds_allow(file, task))
		return false;
	/* Pairs with the smp_wmb() in commit_creds(), as in ptrace. */
	smp_rmb();
	return get_dumpable(mm) == SUID_DUMP_USER ||
	       file_ns_capable(file, mm->user_ns, CAP_SYS_PTRACE);
}

/**
 * dmon_get_checked_mm() - the address space of @task, if it may be monitored
 * @file:	the session's file
 * @task:	the process
 * @killable:	wait for a concurrent exec killably (a caller in user
 *		context) rather than interruptibly (the kdamond, which
 *		kthread_stop() interrupts)
 *
 * As mm_access() does, the check and the taking of the mm happen under
 * the target's exec_update_lock, so an exec cannot install a new mm
 * between them and have it pass on the old credentials.
 *
 * Return: the mm with a reference (mmput() it), NULL if the process has
 * none (exited or a kernel thread), ERR_PTR(-EPERM) if it may not be
 * monitored, ERR_PTR(-EINTR) if the wait was interrupted.
 */
struct mm_struct *dmon_get_checked_mm(struct file *file,
				      struct task_struct *task, bool killable)
{
	struct rw_semaphore *lock = &task->signal->exec_update_lock;
	struct mm_struct *mm;
	int err;

	err = killable ? down_read_killable(lock) :
			 down_read_interruptible(lock);
	if (err)
		return ERR_PTR(-EINTR);
	mm = get_task_mm(task);
	if (mm && !dmon_may_monitor(file, task, mm)) {
		mmput(mm);
		mm = ERR_PTR(-EPERM);
	}
	up_read(lock);
	return mm;
}

/* Open sessions: in all, and per real uid (xarray values). */
static DEFINE_MUTEX(dmon_sessions_lock);
static unsigned int dmon_nr_sessions;
static DEFINE_XARRAY(dmon_user_sessions);

/**
 * dmon_account_session() - count a new session against the limits
 * @file:	the file being opened; its opener's real uid is charged
 *
 * Return: 0, -ENFILE over max_sessions, -EUSERS over max_sessions_per_user,
 * or -ENOMEM.
 */
int dmon_account_session(struct file *file)
{
	unsigned long uid = from_kuid(&init_user_ns, file->f_cred->uid);
	unsigned long nr;
	void *old;
	int err = 0;

	mutex_lock(&dmon_sessions_lock);
	nr = xa_to_value(xa_load(&dmon_user_sessions, uid) ?: xa_mk_value(0));
	if (dmon_nr_sessions >= READ_ONCE(max_sessions))
		err = -ENFILE;
	else if (nr >= READ_ONCE(max_sessions_per_user) &&
		 !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		err = -EUSERS;
	if (!err) {
		old = xa_store(&dmon_user_sessions, uid, xa_mk_value(nr + 1),
			       GFP_KERNEL);
		if (xa_is_err(old))
			err = xa_err(old);
		else
			dmon_nr_sessions++;
	}
	mutex_unlock(&dmon_sessions_lock);
	return err;
}

/**
 * dmon_unaccount_session() - a session counted by dmon_account_session() ends
 * @file:	its file
 */
void dmon_unaccount_session(struct file *file)
{
	unsigned long uid = from_kuid(&init_user_ns, file->f_cred->uid);
	unsigned long nr;

	mutex_lock(&dmon_sessions_lock);
	nr = xa_to_value(xa_load(&dmon_user_sessions, uid) ?: xa_mk_value(1));
	if (nr > 1)
		xa_store(&dmon_user_sessions, uid, xa_mk_value(nr - 1),
			 GFP_KERNEL);
	else
		xa_erase(&dmon_user_sessions, uid);
	dmon_nr_sessions--;
	mutex_unlock(&dmon_sessions_lock);
}

/**
 * dmon_flush_min_sample_us() - least sampling interval with TLB flushes
 * @file:	a session's file
 *
 * Return: the sampling interval below which the session's opener may not
 * ask for a TLB flush after every pass: 0 for CAP_SYS_ADMIN or CAP_PERFMON,
 * U64_MAX when tlb_flush_max_hz is 0.
 */
u64 dmon_flush_min_sample_us(struct file *file)
{
	unsigned int hz = READ_ONCE(tlb_flush_max_hz);

	if (dmon_privileged(file))
		return 0;
	return hz ? DIV_ROUND_UP(USEC_PER_SEC, hz) : U64_MAX;
}

/*
 * The flushes are serialised and numbered.  A session whose clears came
 * before flush N started is served by flush N, whoever asked for it, so
 * sessions that clear at the same time share one flush.
 */
static DEFINE_MUTEX(dmon_flush_lock);
static u64 dmon_flush_started;
static u64 dmon_flush_last_ns;

/**
 * dmon_flush_tlbs() - make every CPU forget the translations it cached
 * @privileged:	the session may exceed tlb_flush_max_hz
 * @res:	out: whether a flush served the caller, whether the caller
 *		issued it, and the time this took, waiting included
 *
 * After Accessed bits were cleared, so that the next access walks the page
 * table again and sets them (see DAMON_ATTR_TLB_FLUSH).  Flushes for
 * unprivileged sessions are spaced at least 1/tlb_flush_max_hz apart
 * machine-wide: a session that asks earlier waits (its sampling slows
 * down) and shares the flush with everyone who waited meanwhile.  Returns
 * early, unserved, when the kdamond is asked to stop.
 */
void dmon_flush_tlbs(bool privileged, struct dmon_flush_result *res)
{
	u64 want, now, next, begin = ktime_get_ns();
	unsigned int hz;

	memset(res, 0, sizeof(*res));
	/* Our clears before the number we read: a flush after it serves. */
	smp_mb();
	want = READ_ONCE(dmon_flush_started) + 1;
	if (mutex_lock_interruptible(&dmon_flush_lock))
		return;
	if (dmon_flush_started >= want) {
		res->served = true;
		goto out;
	}
	hz = READ_ONCE(tlb_flush_max_hz);
	if (!privileged && !hz)
		goto out;
	now = ktime_get_ns();
	next = hz ? dmon_flush_last_ns + NSEC_PER_SEC / hz : 0;
	if (!privileged && dmon_flush_last_ns && now < next) {
		ktime_t expires = ns_to_ktime(next);

		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule_hrtimeout(&expires, HRTIMER_MODE_ABS);
		__set_current_state(TASK_RUNNING);
		if (kthread_should_stop())
			goto out;
	}
	WRITE_ONCE(dmon_flush_started, dmon_flush_started + 1);
	dmon_flush_last_ns = ktime_get_ns();
	on_each_cpu(dmon_flush_local_tlb, NULL, 1);
	WRITE_ONCE(tlb_flushes, tlb_flushes + 1);
	res->served = true;
	res->issued = true;
out:
	mutex_unlock(&dmon_flush_lock);
	res->ns = ktime_get_ns() - begin;
}

/*
 * MGLRU's aging walk, where it may use them (LRU_GEN_NONLEAF_YOUNG), tests
 * and clears the Accessed bits of PMD entries that point to page tables,
 * to skip tables whose pages were not used: were we to clear those bits
 * too, it would miss young pages and reclaim them.  Whether it is enabled
 * is not exported to modules, and can be changed at any time through
 * sysfs: read it there, at most once a second.
 */
#define DMON_LRU_GEN_ENABLED	"/sys/kernel/mm/lru_gen/enabled"
#define DMON_LRU_GEN_CORE	(1U << 0)
#define DMON_LRU_GEN_NONLEAF	(1U << 2)

static DEFINE_MUTEX(dmon_upper_lock);
static unsigned long dmon_upper_checked;
static enum dmon_upper dmon_upper_state = DMON_UPPER_OFF;

/* Does MGLRU use the bits now?  Unreadable counts as yes. */
static bool dmon_mglru_uses_upper_bits(void)
{
	struct file *f;
	char buf[16] = "";
	loff_t pos = 0;
	ssize_t n;
	u32 caps;

	f = filp_open(DMON_LRU_GEN_ENABLED, O_RDONLY, 0);
	if (IS_ERR(f))	/* absent: no CONFIG_LRU_GEN, or no /sys to read */
		return IS_ENABLED(CONFIG_LRU_GEN) || PTR_ERR(f) != -ENOENT;
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n <= 0 || kstrtou32(strim(buf), 0, &caps))
		return true;
	return (caps & DMON_LRU_GEN_CORE) && (caps & DMON_LRU_GEN_NONLEAF);
}

/**
 * dmon_upper_bits() - may the Accessed bits of PMD entries that point to
 *		       page tables be tested and cleared?
 *
 * They are ours if the CPU sets them (x86, not under Xen PV), the
 * upper_bits module parameter allows it and MGLRU does not use them.
 * Each change is logged.  May sleep.
 *
 * Return: DMON_UPPER_ON, DMON_UPPER_MGLRU (MGLRU uses them) or
 * DMON_UPPER_OFF (the CPU or the parameter says no).
 */
enum dmon_upper dmon_upper_bits(void)
{
	static const char *const what[] = {
		[DMON_UPPER_OFF] = "off",
		[DMON_UPPER_ON] = "on",
		[DMON_UPPER_MGLRU] = "off while MGLRU uses them",
	};
	enum dmon_upper now;

	if (!mutex_trylock(&dmon_upper_lock))
		return READ_ONCE(dmon_upper_state);
	now = READ_ONCE(dmon_upper_state);
	if (dmon_upper_checked && time_before(jiffies, dmon_upper_checked + HZ))
		goto out;
	dmon_upper_checked = jiffies;
	if (!IS_ENABLED(CONFIG_X86_64) || !arch_has_hw_nonleaf_pmd_young() ||
	    !READ_ONCE(upper_bits))
		now = DMON_UPPER_OFF;
	else if (dmon_mglru_uses_upper_bits())
		now = DMON_UPPER_MGLRU;
	else
		now = DMON_UPPER_ON;
	if (now != dmon_upper_state)
		pr_info("upper-level Accessed bits: %s\n", what[now]);
	WRITE_ONCE(dmon_upper_state, now);
out:
	mutex_unlock(&dmon_upper_lock);
	return now;
}
