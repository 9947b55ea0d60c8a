/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * damondev.h - user interface of the /dev/damon data access monitor.
 *
 * Every open file descriptor of /dev/damon is a private monitoring session
 * with its own kernel thread.  A session is used like this:
 *
 *   fd = open("/dev/damon", O_RDONLY | O_CLOEXEC);
 *   ioctl(fd, DAMON_IOC_HANDSHAKE, &hs);      what this module can do
 *   ioctl(fd, DAMON_IOC_SET_ATTRS, &attrs);   optional: defaults are used
 *   ioctl(fd, DAMON_IOC_SET_TARGETS, &tgts);  the pids to monitor
 *   ioctl(fd, DAMON_IOC_START);
 *   loop: poll(fd, POLLIN) and read(fd, buf, len) snapshots
 *   ioctl(fd, DAMON_IOC_STOP) or close(fd)
 *
 * open() fails with EPERM when the module parameter require_admin is set
 * and the caller lacks CAP_SYS_ADMIN, with ENFILE when max_sessions
 * sessions are open machine-wide, and with EUSERS when the caller's real
 * user already has max_sessions_per_user open (CAP_SYS_ADMIN is exempt
 * from that one).  A session's kernel thread runs in the cgroups of the
 * process that calls DAMON_IOC_START, at its nice value (or 0 if that is
 * lower), and its memory is charged to that process's memory cgroup.
 *
 * Extensible structures.  Every ioctl argument starts with a __u32 `size`
 * that the caller sets to sizeof() of the structure it was compiled with.
 * The kernel accepts a smaller (older) structure and treats the missing tail
 * as zero; it accepts a larger (newer) one only if every byte beyond the part
 * it knows is zero, and fails with E2BIG otherwise, and for any size above
 * a page (4096 bytes on x86-64).  Output is written back up to the smaller
 * of the two sizes; a change is made before that, so EFAULT from a
 * read-only argument does not undo it.  The ioctl numbers below encode the
 * current size, but the kernel ignores the size bits of the command and goes
 * by `size`, so programs built against an older header keep working.
 *
 * Every structure uses fixed-width types with explicit padding, so it has the
 * same layout on 32- and 64-bit ABIs; padding and reserved fields must be zero.
 *
 * Validation errors.  When DAMON_IOC_SET_ATTRS or DAMON_IOC_SET_TARGETS fails
 * with EINVAL (or ESRCH, EPERM for a target), the kernel writes back
 * `err_field` (enum damon_field: which field is wrong), `err_reason`
 * (enum damon_err: why) and, where a bound was violated, `err_limit` (the
 * bound) and `err_other` (the field the bound comes from, if any).  For
 * example aggr_us = 50 with sample_us = 5000 gives err_field =
 * DAMON_FIELD_AGGR_US, err_reason = DAMON_ERR_TOO_SMALL, err_limit = 5000,
 * err_other = DAMON_FIELD_SAMPLE_US.  The session keeps its old settings.
 */
#ifndef _UAPI_DAMONDEV_H
#define _UAPI_DAMONDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DAMON_API_VERSION	1
#define DAMON_DEVICE_PATH	"/dev/damon"

/* Bits of damon_handshake.features. */
/* Accessed bits of transparent huge page PMDs are sampled. */
#define DAMON_FEAT_THP		(1ULL << 0)
/* DAMON_ATTR_TLB_FLUSH is supported. */
#define DAMON_FEAT_TLB_FLUSH	(1ULL << 1)
/* damon_attrs.tune_goal_bp (interval auto-tuning) is supported. */
#define DAMON_FEAT_AUTOTUNE	(1ULL << 2)
/* Attributes and targets can be changed while running. */
#define DAMON_FEAT_ONLINE	(1ULL << 3)

/**
 * struct damon_handshake - what this module supports (DAMON_IOC_HANDSHAKE)
 * @size:		in: sizeof(struct damon_handshake)
 * @api_version:	out: DAMON_API_VERSION of the module
 * @features:		out: DAMON_FEAT_* bits
 * @max_targets:	out: most pids one session may monitor
 * @max_nr_regions:	out: largest accepted damon_attrs.max_nr_regions
 * @min_queue_depth:	out: smallest accepted damon_attrs.queue_depth
 * @max_queue_depth:	out: largest accepted damon_attrs.queue_depth
 * @min_sample_us:	out: smallest accepted sampling interval
 * @max_sample_us:	out: largest accepted sampling interval
 * @max_interval_us:	out: largest aggregation and update interval
 * @max_snapshot_size:	out: largest record read() can return with the
 *			session's current attributes and targets (with
 *			max_targets targets if none are set yet); a buffer
 *			of this size never gets EINVAL from read()
 * @max_session_memory:	out: bound on the kernel memory of one session:
 *			queue slots, regions and targets, counted as the
 *			allocator serves them (rounded up); while running, a
 *			new configuration must fit next to the one in force
 * @flush_min_sample_us: out: least sample_us (and tune_min_sample_us) this
 *			session may combine with DAMON_ATTR_TLB_FLUSH: 0 if its
 *			opener had CAP_SYS_ADMIN or CAP_PERFMON, else
 *			1000000 / the module parameter tlb_flush_max_hz, or
 *			~0 when that is 0 (no flushes for such openers)
 */
struct damon_handshake {
	__u32 size;
	__u32 api_version;
	__u64 features;
	__u32 max_targets;
	__u32 max_nr_regions;
	__u32 min_queue_depth;
	__u32 max_queue_depth;
	__u64 min_sample_us;
	__u64 max_sample_us;
	__u64 max_interval_us;
	__u64 max_snapshot_size;
	__u64 max_session_memory;
	__u64 flush_min_sample_us;
};

/*
 * Bits of damon_attrs.flags.
 *
 * DAMON_ATTR_TLB_FLUSH: after clearing Accessed bits, flush the TLBs, so that
 * the next access of the target walks the page table and sets the bit again.
 * Without it, a page whose translation stays cached in a TLB can look idle
 * (upstream DAMON does not flush).  A module cannot flush one address space
 * only, so every flush interrupts every CPU and costs each of them TLB
 * refills, whatever runs there; under QEMU's software emulation monitoring
 * is nearly blind without it.  Flushes are shared: one that follows the
 * clearing passes of several sessions serves them all.  For openers without
 * CAP_SYS_ADMIN or CAP_PERFMON, flushes are spaced machine-wide at least
 * 1 / tlb_flush_max_hz (a module parameter, default 100) apart: a session
 * that asks earlier waits, and samples less often; SET_ATTRS refuses a
 * sample_us below damon_handshake.flush_min_sample_us with
 * DAMON_ERR_FLUSH_BUDGET.  Snapshots count the flushes that served them.
 */
#define DAMON_ATTR_TLB_FLUSH	(1U << 0)
#define DAMON_ATTR_ALL		(DAMON_ATTR_TLB_FLUSH)

/**
 * struct damon_attrs - monitoring attributes (DAMON_IOC_SET_ATTRS)
 * @size:		in: sizeof(struct damon_attrs)
 * @flags:		in: DAMON_ATTR_* bits
 * @sample_us:		in: sampling interval; default 5000 (5 ms)
 * @aggr_us:		in: aggregation interval, >= sample_us: one snapshot
 *			is queued per aggregation; default 100000 (100 ms)
 * @update_us:		in: regions update interval, >= aggr_us: how often
 *			the monitored ranges are recomputed from the target's
 *			mappings; default 1000000 (1 s)
 * @min_nr_regions:	in: least regions per target, >= 3; default 10
 * @max_nr_regions:	in: most regions per target, >= min; default 1000
 * @queue_depth:	in: snapshots kept for readers; when full the oldest
 *			is dropped and counted; default 16
 * @err_field:		out: enum damon_field of the invalid field
 * @err_reason:		out: enum damon_err
 * @err_other:		out: enum damon_field the bound @err_limit comes from
 * @__pad:		must be zero
 * @err_limit:		out: the bound that was violated
 * @tune_goal_bp:	in: interval auto-tuning goal in basis points (1/100
 *			of a percent) of samples that find pages accessed,
 *			weighted by region size, e.g. 400 for 4%; 0 (the
 *			default) turns auto-tuning off.  Every @tune_aggrs
 *			aggregations the sampling interval is scaled towards
 *			the goal (longer when too few accesses are seen) and
 *			the aggregation interval with it, keeping their
 *			ratio; snapshots report the intervals in force
 * @tune_aggrs:		in: aggregations per tuning step; default 3
 * @tune_min_sample_us:	in: least sampling interval tuning may choose;
 *			default min_sample_us of the handshake
 * @tune_max_sample_us:	in: most sampling interval tuning may choose;
 *			default 100 * sample_us, at most max_sample_us
 *
 * A field left zero takes its default.  Set while running, the attributes
 * take effect at the next aggregation boundary (DAMON_FEAT_ONLINE); the
 * regions and history of the targets are kept.
 */
struct damon_attrs {
	__u32 size;
	__u32 flags;
	__u64 sample_us;
	__u64 aggr_us;
	__u64 update_us;
	__u32 min_nr_regions;
	__u32 max_nr_regions;
	__u32 queue_depth;
	__u32 err_field;
	__u32 err_reason;
	__u32 err_other;
	__u64 err_limit;
	__u32 tune_goal_bp;
	__u32 tune_aggrs;
	__u64 tune_min_sample_us;
	__u64 tune_max_sample_us;
};

/**
 * struct damon_targets - the processes to monitor (DAMON_IOC_SET_TARGETS)
 * @size:	in: sizeof(struct damon_targets)
 * @nr_pids:	in: number of entries at @pids, 1..max_targets
 * @pids:	in: user address of an array of __s32 pids, resolved in the
 *		caller's pid namespace; no duplicates
 * @err_field:	out: enum damon_field of the invalid field
 * @err_reason:	out: enum damon_err
 * @err_index:	out: index into @pids of the offending pid
 * @err_other:	out: unused, zero
 * @err_limit:	out: the bound that was violated
 *
 * Replaces the session's list of targets; while running, at the next
 * aggregation boundary, and targets that stay keep their regions.  Each pid
 * must exist (ESRCH) and the session must be allowed to monitor it (EPERM).
 *
 * Permission.  The credentials are those of the process that opened the
 * session (the file's), and the rule is ptrace's for reading a process
 * (PTRACE_MODE_READ_FSCREDS, as for /proc/PID/maps) as far as a module can
 * apply it: the opener's fsuid and fsgid equal all of the target's real,
 * effective and saved uids and gids, or the opener has CAP_SYS_PTRACE in the
 * target's user namespace; the target's address space is dumpable, or the
 * opener has CAP_SYS_PTRACE over it; and (the commoncap rule) the opener is
 * in the target's user namespace with every capability the target is
 * permitted among its own effective ones, or has CAP_SYS_PTRACE there.  So
 * a same-uid process with capabilities (ambient, file capabilities) and a
 * process outside a user namespace the opener made are refused.  The check
 * is made under the target's exec_update_lock together with taking its
 * address space, as ptrace does, when the pid is set and again before
 * every sampling pass, against the address space the process has then:
 * a target that fails it is DAMON_TARGET_REVOKED, which lasts across
 * DAMON_IOC_STOP and DAMON_IOC_START until SET_TARGETS names the pid again
 * (and it passes again).  Not checked: LSM ptrace hooks (SELinux,
 * AppArmor, Smack, Landlock, Yama), which no module can consult; where an
 * LSM confines ptrace, load the module with require_admin=1.
 */
struct damon_targets {
	__u32 size;
	__u32 nr_pids;
	__u64 pids;
	__u32 err_field;
	__u32 err_reason;
	__u32 err_index;
	__u32 err_other;
	__u64 err_limit;
};

enum damon_field {
	DAMON_FIELD_NONE = 0,
	DAMON_FIELD_SIZE,
	DAMON_FIELD_FLAGS,
	DAMON_FIELD_SAMPLE_US,
	DAMON_FIELD_AGGR_US,
	DAMON_FIELD_UPDATE_US,
	DAMON_FIELD_MIN_NR_REGIONS,
	DAMON_FIELD_MAX_NR_REGIONS,
	DAMON_FIELD_QUEUE_DEPTH,
	DAMON_FIELD_NR_PIDS,
	DAMON_FIELD_PIDS,
	DAMON_FIELD_PAD,
	DAMON_FIELD_TUNE_GOAL_BP,
	DAMON_FIELD_TUNE_AGGRS,
	DAMON_FIELD_TUNE_MIN_SAMPLE_US,
	DAMON_FIELD_TUNE_MAX_SAMPLE_US,
};

enum damon_err {
	DAMON_ERR_NONE = 0,
	DAMON_ERR_TOO_SMALL,		/* below err_limit */
	DAMON_ERR_TOO_LARGE,		/* above err_limit */
	DAMON_ERR_UNKNOWN_BITS,		/* flags outside DAMON_ATTR_ALL */
	DAMON_ERR_NOT_ZERO,		/* padding must be zero */
	DAMON_ERR_DUPLICATE,		/* pid listed twice */
	DAMON_ERR_NO_SUCH_PROCESS,	/* ESRCH */
	DAMON_ERR_NOT_PERMITTED,	/* EPERM */
	DAMON_ERR_TOO_MUCH_MEMORY,	/* over max_session_memory; err_limit: room */
	DAMON_ERR_BAD_ADDRESS,		/* EFAULT reading @pids */
	DAMON_ERR_NO_MM,		/* a kernel thread or an exiting process */
	/*
	 * DAMON_ATTR_TLB_FLUSH this often needs CAP_SYS_ADMIN or CAP_PERFMON;
	 * err_limit: the least allowed interval (0 with err_field FLAGS: no
	 * flushes at all)
	 */
	DAMON_ERR_FLUSH_BUDGET,
};

/* damon_status.state */
enum damon_state {
	DAMON_STATE_IDLE = 0,	/* never started */
	DAMON_STATE_RUNNING,
	DAMON_STATE_ENDED,	/* see end_reason; can be started again */
};

/* damon_status.end_reason */
enum damon_end {
	DAMON_END_NONE = 0,
	DAMON_END_STOPPED,	/* DAMON_IOC_STOP */
	DAMON_END_TARGETS_EXITED, /* every target has exited or was revoked */
};

/**
 * struct damon_target_status - one target in damon_status
 * @pid:	the pid as given in DAMON_IOC_SET_TARGETS
 * @flags:	DAMON_TARGET_* bits
 * @nr_regions:	current number of regions
 * @__pad:	zero
 */
struct damon_target_status {
	__s32 pid;
	__u32 flags;
	__u32 nr_regions;
	__u32 __pad;
};

/**
 * struct damon_status - state of the session (DAMON_IOC_STATUS)
 * @size:	in: sizeof(struct damon_status)
 * @state:	out: enum damon_state
 * @end_reason:	out: enum damon_end, why the last run ended
 * @nr_targets:	out: number of configured targets
 * @targets_len: in: entries available at @targets (may be 0)
 * @targets:	in: user address of struct damon_target_status[targets_len];
 *		out: the first min(nr_targets, targets_len) entries are filled
 * @snapshots:	out: snapshots produced by the current or last run
 * @dropped:	out: of those, dropped because the queue was full
 * @queued:	out: snapshots waiting to be read
 * @cpu_ns:	out: CPU time the session's kernel thread has used
 */
struct damon_status {
	__u32 size;
	__u32 state;
	__u32 end_reason;
	__u32 nr_targets;
	__u32 targets_len;
	__u32 __pad;
	__u64 targets;
	__u64 snapshots;
	__u64 dropped;
	__u64 queued;
	__u64 cpu_ns;
};

#define DAMON_IOC_MAGIC		0xDA
#define DAMON_IOC_HANDSHAKE	_IOWR(DAMON_IOC_MAGIC, 0x00, struct damon_handshake)
#define DAMON_IOC_SET_ATTRS	_IOWR(DAMON_IOC_MAGIC, 0x01, struct damon_attrs)
#define DAMON_IOC_SET_TARGETS	_IOWR(DAMON_IOC_MAGIC, 0x02, struct damon_targets)
#define DAMON_IOC_START		_IO(DAMON_IOC_MAGIC, 0x03)
#define DAMON_IOC_STOP		_IO(DAMON_IOC_MAGIC, 0x04)
#define DAMON_IOC_STATUS	_IOWR(DAMON_IOC_MAGIC, 0x05, struct damon_status)

/*
 * Snapshots.  read() returns zero or more whole records, back to back, each
 * starting with struct damon_snapshot.  A record is laid out as
 *
 *   struct damon_snapshot                          hdr_size bytes
 *   for each of nr_targets targets:
 *     struct damon_snapshot_target                 target_size bytes
 *     struct damon_snapshot_region[nr_regions]     region_size bytes each
 *
 * and `size` is the length of all of it.  Readers must step by hdr_size,
 * target_size and region_size rather than by sizeof(), so that fields added
 * at the end of these structures in later versions are skipped.  A reader
 * seeing an unknown `type` skips `size` bytes.
 *
 * read() never splits a record.  If the buffer cannot hold the next record,
 * read() fails with EINVAL and the record stays queued (use
 * damon_handshake.max_snapshot_size to size the buffer).  With O_NONBLOCK
 * and nothing queued it fails with EAGAIN.  Once monitoring has ended and
 * the queue is drained it returns 0 (end of file), and poll() reports
 * POLLHUP; POLLIN means a record is queued.
 *
 * Access counts: within one aggregation interval every region is sampled
 * `nr_passes` times (once per sampling interval that was actually run); a
 * region's nr_accesses is the number of those samples that found the
 * sampled page accessed, so nr_accesses / nr_passes is the fraction of
 * samples and nr_accesses * 1e6 / aggr_us is the rate in Hz.
 */
#define DAMON_RECORD_SNAPSHOT	1
#define DAMON_SNAPSHOT_VERSION	1

/**
 * struct damon_snapshot - header of one snapshot record
 * @size:		total bytes of the record
 * @type:		DAMON_RECORD_SNAPSHOT
 * @version:		DAMON_SNAPSHOT_VERSION
 * @hdr_size:		bytes of this header
 * @target_size:	bytes of each struct damon_snapshot_target
 * @region_size:	bytes of each struct damon_snapshot_region
 * @__pad:		zero
 * @seq:		sequence number, 0 for the first snapshot of a run;
 *			gaps are the dropped snapshots
 * @start_ns:		start of the aggregation interval, CLOCK_MONOTONIC
 * @end_ns:		end of the aggregation interval, CLOCK_MONOTONIC
 * @flags:		DAMON_SNAPSHOT_* flags; readers ignore those they do
 *			not know
 * @nr_targets:		number of target sections that follow
 * @dropped:		snapshots lost because the queue was full between
 *			the snapshot read before this one and this one, so
 *			that a reader sees seq - previous seq - 1 == dropped
 * @cpu_ns:		CPU time of the session's kernel thread in this interval
 * @samples_done:	region samples taken in this interval, all targets
 * @samples_due:	region samples the interval would have had if every
 *			sampling interval had been kept on time (at the
 *			average number of regions per pass); samples_done
 *			well below it means the kernel thread falls behind
 * @sample_us:		sampling interval in force
 * @aggr_us:		aggregation interval in force
 * @nr_passes:		sampling passes in this interval: the largest
 *			possible nr_accesses
 * @__pad2:		zero
 * @tlb_flushes:	TLB flushes that followed this session's clearing
 *			passes in this interval (DAMON_ATTR_TLB_FLUSH)
 * @tlb_flushes_shared:	of those, flushes another session made that served
 *			this one too
 * @tlb_flush_ns:	time the kernel thread spent on them, waiting for the
 *			machine-wide flush budget included
 */
struct damon_snapshot {
	__u32 size;
	__u16 type;
	__u16 version;
	__u16 hdr_size;
	__u16 target_size;
	__u16 region_size;
	__u16 __pad;
	__u64 seq;
	__u64 start_ns;
	__u64 end_ns;
	__u32 flags;
	__u32 nr_targets;
	__u64 dropped;
	__u64 cpu_ns;
	__u64 samples_done;
	__u64 samples_due;
	__u64 sample_us;
	__u64 aggr_us;
	__u32 nr_passes;
	__u32 __pad2;
	__u32 tlb_flushes;
	__u32 tlb_flushes_shared;
	__u64 tlb_flush_ns;
};

/* damon_snapshot.flags */
/*
 * The regions of this interval were split, where they read idle, towards
 * the 2 MiB ranges whose upper-level (PMD) Accessed bits said they were
 * used (x86; the upper_bits module parameter).
 */
#define DAMON_SNAPSHOT_UPPER_BITS	(1U << 0)
/*
 * Upper-level Accessed bits were left alone in this interval because
 * MGLRU uses them (/sys/kernel/mm/lru_gen/enabled has 0x1 and 0x4 set):
 * small hot areas are found by sampling alone.
 */
#define DAMON_SNAPSHOT_UPPER_MGLRU	(1U << 1)

/* damon_snapshot_target.flags and damon_target_status.flags */
/* The process has exited; it has no regions and will not come back. */
#define DAMON_TARGET_EXITED	(1U << 0)
/*
 * The target has no address space layout to monitor (fewer than three
 * mappings or gaps); its mapped span is monitored as one range instead.
 */
#define DAMON_TARGET_SPAN	(1U << 1)
/*
 * The session may no longer monitor the process (it became non-dumpable or
 * changed credentials, e.g. exec of a setuid program); it has no regions
 * and will not come back, not even after STOP and START, unless
 * SET_TARGETS names the pid again and the check passes.
 */
#define DAMON_TARGET_REVOKED	(1U << 2)

/**
 * struct damon_snapshot_target - one target's section of a snapshot
 * @pid:	the pid as given in DAMON_IOC_SET_TARGETS
 * @flags:	DAMON_TARGET_* bits
 * @nr_regions:	number of struct damon_snapshot_region that follow
 * @__pad:	zero
 */
struct damon_snapshot_target {
	__s32 pid;
	__u32 flags;
	__u32 nr_regions;
	__u32 __pad;
};

/**
 * struct damon_snapshot_region - one monitored region, in address order
 * @start:		first byte of the region, page aligned
 * @end:		one past the last byte, page aligned
 * @nr_accesses:	samples (of nr_passes) that found the region accessed
 * @age:		aggregation intervals since nr_accesses last changed
 *			notably (0 until adaptive regions report it)
 */
struct damon_snapshot_region {
	__u64 start;
	__u64 end;
	__u32 nr_accesses;
	__u32 age;
};

#endif /* _UAPI_DAMONDEV_H */
