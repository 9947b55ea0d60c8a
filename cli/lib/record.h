/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_RECORD_H
#define DAMONCTL_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "damondev.h"

/*
 * The record file, version 1 (documented in damonctl(8), FILE FORMAT).
 * All integers are in the byte order of the recording machine, which
 * byte_order tells.
 *
 *   struct damonrec_header			header_size bytes
 *   sections					sections_size bytes in all:
 *     struct damonrec_section + payload, padded with zeros to 8 bytes
 *   records, back to back, to the end of the file:
 *     the device's records exactly as read() returned them, and the
 *     recorder's own records, framed the same way (u32 size, u16 type,
 *     u16 version) with types from 0xDA00 up
 *
 * Growing the format: a larger header keeps its first fields, new sections
 * and record types are skipped by older readers; only a change that an
 * older reader would misread bumps DAMONREC_VERSION.
 */
#define DAMONREC_MAGIC		"DAMONREC"
#define DAMONREC_VERSION	1
#define DAMONREC_BYTE_ORDER	0x01020304U

struct damonrec_header {
	char magic[8];
	__u32 version;
	__u32 byte_order;	/* DAMONREC_BYTE_ORDER as the writer stored it */
	__u32 header_size;	/* bytes of this header: sections start here */
	__u32 sections_size;	/* records start at header_size + sections_size */
};

struct damonrec_section {
	__u32 type;		/* DAMONREC_SEC_*; readers skip unknown ones */
	__u32 size;		/* bytes of payload, not counting padding */
};

enum {
	DAMONREC_SEC_TOOL = 1,	/* NUL-terminated: "damonctl 0.1.0" */
	DAMONREC_SEC_KERNEL,	/* NUL-terminated: uname -r of the recording host */
	DAMONREC_SEC_TIME,	/* struct damonrec_time */
	DAMONREC_SEC_HANDSHAKE,	/* struct damon_handshake as the module gave it */
	DAMONREC_SEC_ATTRS,	/* struct damon_attrs as the module accepted it */
	DAMONREC_SEC_TARGET,	/* struct damonrec_target; one per target, in
				   the order given to DAMON_IOC_SET_TARGETS */
};

/* Snapshot times are CLOCK_MONOTONIC; this ties them to the wall clock. */
struct damonrec_time {
	__u64 realtime_ns;	/* CLOCK_REALTIME just before DAMON_IOC_START */
	__u64 monotonic_ns;	/* CLOCK_MONOTONIC at the same moment */
};

/* damonrec_target.flags */
#define DAMONREC_TARGET_COMMAND	(1U << 0)	/* damonctl started it */

struct damonrec_target {
	__s32 pid;
	__u32 flags;		/* DAMONREC_TARGET_* */
	__u32 hdr_size;		/* bytes of this struct: the command line follows */
	__u32 __pad;
	char comm[16];		/* /proc/PID/comm, NUL-padded */
	/* then the command line as /proc/PID/cmdline: NUL-terminated
	   arguments to the end of the section; empty if it was unreadable */
};

/* The last record of a recording that finished: its absence means the
 * recorder was killed (or is still running). */
#define DAMONREC_RECORD_END	0xDA01
#define DAMONREC_END_VERSION	1

/* damonrec_end.cause: why the recorder stopped */
enum damonrec_cause {
	DAMONREC_CAUSE_NONE = 0,
	DAMONREC_CAUSE_TARGETS_EXITED,	/* every target exited */
	DAMONREC_CAUSE_SIGNAL,		/* detail: the signal (stop sends SIGTERM) */
	DAMONREC_CAUSE_DURATION,	/* --duration passed */
	DAMONREC_CAUSE_COMMAND,		/* detail: the COMMAND's wait status */
	DAMONREC_CAUSE_ERROR,		/* reading the device failed */
};

/* damonrec_end.flags */
/* The module did not end the session in time after DAMON_IOC_STOP: the
 * snapshots still queued are missing. */
#define DAMONREC_END_DRAIN_TIMEOUT	(1U << 0)

struct damonrec_end {
	__u32 size;
	__u16 type;		/* DAMONREC_RECORD_END */
	__u16 version;		/* DAMONREC_END_VERSION */
	__u32 cause;		/* enum damonrec_cause */
	__s32 detail;
	__u64 realtime_ns;	/* when recording ended */
	__u64 monotonic_ns;
	__u64 snapshots;	/* snapshot records in the file */
	__u64 dropped;		/* snapshots the module dropped: queue full */
	__u64 cpu_ns;		/* CPU time of the session's kernel thread */
	__u32 end_reason;	/* enum damon_end from DAMON_IOC_STATUS */
	__u32 flags;		/* DAMONREC_END_* */
};

/*
 * A target's /proc/PID/maps as the recorder read it, so that reports can
 * name the mapping an address falls in ([heap], libc.so.6, a file) and
 * tell which mapped bytes the monitoring regions left out.  Written for
 * every target once monitoring has started and then, checked once per
 * regions update interval, whenever the text differs from the one last
 * written for that target.  Readers that do not know the type skip it.
 */
#define DAMONREC_RECORD_MAPS	0xDA02
#define DAMONREC_MAPS_VERSION	1

struct damonrec_maps {
	__u32 size;
	__u16 type;		/* DAMONREC_RECORD_MAPS */
	__u16 version;		/* DAMONREC_MAPS_VERSION */
	__u16 hdr_size;		/* bytes of this header: the text follows */
	__u16 __pad;
	__s32 pid;
	__u64 monotonic_ns;	/* CLOCK_MONOTONIC when the file was read */
	/* then the text of /proc/PID/maps, not NUL-terminated, to the end
	   of the record; empty if it could not be read */
};

/*
 * A target that came or went while recording (start --cgroup,
 * --follow-children): the header's targets are those at the start; every
 * later arrival is recorded with its name and command line, so reports can
 * name it, and every departure with its time.  Readers that do not know
 * the type skip it.
 */
#define DAMONREC_RECORD_TARGET	0xDA03
#define DAMONREC_TARGET_VERSION	1

enum damonrec_target_event_kind {
	DAMONREC_TARGET_ARRIVED = 1,	/* now monitored */
	DAMONREC_TARGET_LEFT,		/* exited or left the cgroup */
	DAMONREC_TARGET_REFUSED,	/* found, but the module refused it */
	DAMONREC_TARGET_EXEC,		/* a target exec()ed: its new name and
					   command line (one found between
					   fork and exec was named after its
					   parent) */
};

struct damonrec_target_event {
	__u32 size;
	__u16 type;		/* DAMONREC_RECORD_TARGET */
	__u16 version;		/* DAMONREC_TARGET_VERSION */
	__u32 event;		/* enum damonrec_target_event_kind */
	__u32 hdr_size;		/* bytes of this header: then a struct
				   damonrec_target and its command line, as
				   in a DAMONREC_SEC_TARGET section */
	__u64 monotonic_ns;	/* CLOCK_MONOTONIC when it was seen */
};

/*
 * What the schemes (start --scheme) did: written after every snapshot the
 * schemes looked at, with counters that only grow from the start of the
 * recording, so the last one holds the totals and two of them the change
 * between.  Readers that do not know the type skip it.
 */
#define DAMONREC_RECORD_SCHEMES	0xDA04
#define DAMONREC_SCHEMES_VERSION	1

struct damonrec_schemes {
	__u32 size;
	__u16 type;		/* DAMONREC_RECORD_SCHEMES */
	__u16 version;		/* DAMONREC_SCHEMES_VERSION */
	__u16 hdr_size;		/* bytes of this header */
	__u16 entry_size;	/* bytes of each struct damonrec_scheme_stats */
	__u32 nr_schemes;	/* entries that follow, in the order given */
	__u64 monotonic_ns;	/* CLOCK_MONOTONIC when they were counted */
};

/* damonrec_scheme_stats.flags */
#define DAMONREC_SCHEME_ACTIVE		(1U << 0)	/* watermarks allow it */
/* Without CAP_SYS_NICE the action is not taken: counted as stat. */
#define DAMONREC_SCHEME_STAT_ONLY	(1U << 1)

/* Why the kernel refused a range: the errno of process_madvise(2). */
enum damonrec_refusal {
	DAMONREC_REFUSED_EINVAL,	/* locked, PFN or hugetlb mappings, or an
					   action the mapping cannot take */
	DAMONREC_REFUSED_EPERM,		/* EPERM, EACCES: not allowed */
	DAMONREC_REFUSED_EAGAIN,	/* EAGAIN, EBUSY: try again later */
	DAMONREC_REFUSED_ENOMEM,	/* out of memory, or not mapped any more */
	DAMONREC_REFUSED_OTHER,
	DAMONREC_NR_REFUSALS
};

struct damonrec_scheme_stats {
	char text[128];		/* the scheme as given, NUL-padded (cut) */
	__u32 action;		/* enum scheme_action: stat, pageout, ... */
	__u32 flags;		/* DAMONREC_SCHEME_* now */
	__u64 snapshots;	/* snapshots looked at */
	__u64 inactive;		/* of those, while the watermarks held it */
	__u64 matched_regions;	/* regions that matched the pattern */
	__u64 matched_bytes;
	__u64 applied_regions;	/* acted on (stat: counted) in part or whole */
	__u64 applied_bytes;	/* bytes the kernel took the advice for */
	__u64 quota_bytes;	/* matched, but held back by a quota */
	__u64 unmapped_bytes;	/* matched, but not mapped any more (or the
				   process is gone), or a mapping the kernel
				   never advises ([vvar], [vsyscall]) */
	__u64 refused_bytes[DAMONREC_NR_REFUSALS];
	__u64 cpu_ns;		/* damonctl's CPU time acting */
	__s32 last_errno;	/* of the last refusal, 0 if none */
	__u32 __pad;
};

/* Appends a schemes record in a single write(); -1 if writing failed. */
int rec_write_schemes(int fd, uint64_t monotonic_ns,
		      const struct damonrec_scheme_stats *stats, uint32_t n);
/*
 * The entries of a schemes record copied into out[0..max) (zero-extended
 * if the writer's entries are smaller); returns how many there were, or
 * -1 if the record is too short to be one.
 */
int rec_parse_schemes(const void *rec, size_t len, struct damonrec_schemes *hdr,
		      struct damonrec_scheme_stats *out, uint32_t max);

/* Appends one maps record in a single write(). */
int rec_write_maps(int fd, int32_t pid, uint64_t monotonic_ns,
		   const char *text, size_t len);
/* Fills the header fields and points at the text of a maps record;
 * -1 if the record is too short to be one. */
int rec_parse_maps(const void *rec, size_t len, struct damonrec_maps *hdr,
		   const char **text, size_t *text_len);

/* What the header says, for the writer to write and the reader to fill. */
struct rec_target_info {
	int32_t pid;
	uint32_t flags;
	char comm[17];
	char *cmdline;		/* NUL-terminated arguments, cmdline_len bytes */
	size_t cmdline_len;
};

struct rec_info {
	uint32_t version;
	char *tool;
	char *kernel;
	struct damonrec_time time;
	struct damon_handshake handshake;
	struct damon_attrs attrs;
	size_t nr_targets;
	struct rec_target_info *targets;
};

void rec_info_free(struct rec_info *info);
/* Appends a target event in a single write(); -1 if writing failed. */
int rec_write_target_event(int fd, uint32_t event, uint64_t monotonic_ns,
			   const struct rec_target_info *t);
/* The command line with spaces between arguments, for people. */
char *rec_target_cmdline(const struct rec_target_info *t);

/* Writer: plain write() to the fd, nothing buffered in the process, so
 * that a killed recorder loses nothing it has written. */
int rec_write_all(int fd, const void *buf, size_t len);
int rec_write_header(int fd, const struct rec_info *info);
int rec_write_end(int fd, const struct damonrec_end *end);

/* How the stream of records ended. */
enum rec_tail {
	REC_TAIL_CLEAN = 0,
	REC_TAIL_TORN,		/* the file ends inside a record */
	REC_TAIL_CORRUPT,	/* a record makes no sense: the rest is skipped */
};

#define REC_MAX_RECORD	(64U << 20)

struct rec_reader {
	const char *path;
	FILE *f;
	struct rec_info info;
	uint64_t offset;	/* of the next record */
	unsigned char *buf;
	size_t cap;
	enum rec_tail tail;
	uint64_t tail_offset, tail_bytes;
	const char *corrupt_why;
	bool have_end;
	struct damonrec_end end;
	uint64_t snapshots;
	uint64_t arrivals, departures;	/* target events read so far */
};

/* Returns 0, or an EXIT_* code after printing why the file is unusable. */
int rec_open(struct rec_reader *r, const char *path);
/* 1 and the next record (any type), or 0 at the end of what is readable;
 * -1 on an I/O error (printed).  Snapshots are checked before they are
 * returned.  The record stays valid until the next call. */
int rec_next(struct rec_reader *r, const void **rec, size_t *len);
/* Warnings about a torn or corrupt tail and a missing end record. */
void rec_warn_tail(const struct rec_reader *r);
void rec_close(struct rec_reader *r);

#endif
