// SPDX-License-Identifier: GPL-2.0
/*
 * mkfixture KIND FILE: writes a record file for the CLI tests through the
 * same writer damonctl uses (cli/lib/record.c), with synthetic snapshots built
 * from the uapi structures.  Fixtures are made at test time so that they
 * always match the code; the golden outputs they produce are committed.
 *
 * Kinds:
 *   basic         two targets, six snapshots (#3 dropped), one target
 *                 exits at #4, an end record
 *   wide          basic with larger header/target/region sizes (fields a
 *                 newer module might append) and a record of unknown type:
 *                 must read exactly like basic
 *   noend         basic without its end record (recorder killed)
 *   torn          noend cut in the middle of its last snapshot
 *   corrupt       basic whose last snapshot claims more regions than fit
 *   nosnap        a header and an end record, no snapshot
 *   empty         zero bytes
 *   garbage       text, not a record
 *   future        basic claiming record format version 2
 *   header-torn   the first 40 bytes of basic
 *   foreign       basic claiming the other byte order
 *   views         for the views: pid 1000 in three ranges (binary, a
 *                 64 MiB anonymous mapping and libc, the stack and vdso
 *                 with an unmapped hole between them) over ten snapshots
 *                 (#6 dropped), whose hot half moves at #5, with two maps
 *                 records (the second adds libc); #0 also has a range that
 *                 no mapping covers (like a COMMAND's before its exec);
 *                 pid 1001 has regions but no maps
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "record.h"

const char *progname = "mkfixture";

#define MS 1000000ULL
#define START_MONO (1000 * 1000 * MS)	/* 1000 s after boot */

struct layout {
	size_t hdr, target, region;
};

struct region {
	__u64 start, end;
	__u32 nr_accesses, age;
};

struct target {
	__s32 pid;
	__u32 flags;
	size_t nr;
	const struct region *regions;
};

static unsigned char buf[1 << 16];
static size_t used;

static void put(const void *p, size_t len, size_t room)
{
	memset(buf + used, 0xAA, room);	/* unknown future fields */
	memcpy(buf + used, p, len);
	used += room;
}

/* Appends one snapshot record to buf, laid out with the given sizes. */
static void snapshot(const struct layout *l, __u64 seq, __u64 dropped,
		     const struct target *t, size_t nr_targets)
{
	size_t start = used, i, j;
	struct damon_snapshot s = {
		.type = DAMON_RECORD_SNAPSHOT,
		.version = DAMON_SNAPSHOT_VERSION,
		.hdr_size = (__u16)l->hdr,
		.target_size = (__u16)l->target,
		.region_size = (__u16)l->region,
		.seq = seq,
		.start_ns = START_MONO + 2 * MS + seq * 100 * MS,
		.end_ns = START_MONO + 2 * MS + (seq + 1) * 100 * MS,
		.nr_targets = (__u32)nr_targets,
		.dropped = dropped,
		.cpu_ns = 150000 + seq * 1000,
		.samples_done = 20 * 7,
		.samples_due = 20 * 7,
		.sample_us = 5000,
		.aggr_us = 100000,
		.nr_passes = 20,
	};

	put(&s, sizeof(s), l->hdr);
	for (i = 0; i < nr_targets; i++) {
		struct damon_snapshot_target st = {
			.pid = t[i].pid,
			.flags = t[i].flags,
			.nr_regions = (__u32)t[i].nr,
		};

		put(&st, sizeof(st), l->target);
		for (j = 0; j < t[i].nr; j++) {
			struct damon_snapshot_region r = {
				.start = t[i].regions[j].start,
				.end = t[i].regions[j].end,
				.nr_accesses = t[i].regions[j].nr_accesses,
				.age = t[i].regions[j].age,
			};

			put(&r, sizeof(r), l->region);
		}
	}
	s.size = (__u32)(used - start);
	memcpy(buf + start, &s.size, sizeof(s.size));
}

static void unknown_record(void)
{
	struct { __u32 size; __u16 type, version; __u64 payload; } r = {
		.size = sizeof(r), .type = 0x7777, .version = 1,
		.payload = 0x0123456789abcdefULL,
	};

	memcpy(buf + used, &r, sizeof(r));
	used += sizeof(r);
}

/*
 * Six aggregation intervals; #3 was dropped; pid 1001 exits before #4.
 * The hot 64 MiB region of pid 1000 cools down; the last region of 1000
 * has an age above a minute, to show "1 m 31.400 s".
 */
static void body(const struct layout *l, bool extra_record)
{
	static const __u64 seqs[] = { 0, 1, 2, 4, 5 };
	size_t k;

	for (k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++) {
		__u64 seq = seqs[k];
		__u32 hot = (__u32)(20 - 3 * seq);
		const struct region a[] = {
			{ 0x555555554000, 0x555555558000, 1, (__u32)seq },
			{ 0x7f0000000000, 0x7f0004000000, hot, 0 },
			{ 0x7f0004000000, 0x7f0004401000, 5, (__u32)(10 + seq) },
			{ 0x7ffd00000000, 0x7ffd00021000, 0, (__u32)(909 + seq) },
		};
		const struct region b[] = {
			{ 0x400000, 0x401000, 0, (__u32)seq },
			{ 0x7f1000000000, 0x7f1060000000, 2, 3 },
			{ 0x7fff00000000, 0x7fff00001000, 20, 7 },
		};
		struct target t[2] = {
			{ 1000, 0, 4, a },
			{ 1001, 0, 3, b },
		};

		if (seq >= 4) {
			t[1].flags = DAMON_TARGET_EXITED;
			t[1].nr = 0;
		}
		snapshot(l, seq, seq == 4 ? 1 : 0, t, 2);
		if (extra_record && k == 1)
			unknown_record();
	}
}

static void fill_info(struct rec_info *info, struct rec_target_info *t)
{
	static char cmd0[] = "memhog\0--size\00064M";
	static char cmd1[] = "sleep\000100";

	memset(info, 0, sizeof(*info));
	info->tool = "damonctl fixture";
	info->kernel = "6.1.0-fixture";
	info->time.realtime_ns = 1700000000123456789ULL;
	info->time.monotonic_ns = START_MONO;
	info->handshake = (struct damon_handshake) {
		.size = sizeof(info->handshake), .api_version = 1,
		.features = DAMON_FEAT_THP | DAMON_FEAT_TLB_FLUSH,
		.max_targets = 64, .max_nr_regions = 10000,
		.min_queue_depth = 2, .max_queue_depth = 1024,
		.min_sample_us = 100, .max_sample_us = 1000000,
		.max_interval_us = 60000000, .max_snapshot_size = 48256,
		.max_session_memory = 64 << 20,
	};
	info->attrs = (struct damon_attrs) {
		.size = sizeof(info->attrs), .flags = DAMON_ATTR_TLB_FLUSH,
		.sample_us = 5000, .aggr_us = 100000, .update_us = 1000000,
		.min_nr_regions = 10, .max_nr_regions = 1000, .queue_depth = 16,
	};
	memset(t, 0, 2 * sizeof(*t));
	t[0].pid = 1000;
	t[0].flags = DAMONREC_TARGET_COMMAND;
	strcpy(t[0].comm, "memhog");
	t[0].cmdline = cmd0;
	t[0].cmdline_len = sizeof(cmd0);
	t[1].pid = 1001;
	strcpy(t[1].comm, "sleep");
	t[1].cmdline = cmd1;
	t[1].cmdline_len = sizeof(cmd1);
	info->nr_targets = 2;
	info->targets = t;
}

static int write_end(int fd, __u64 snapshots)
{
	struct damonrec_end end = {
		.cause = DAMONREC_CAUSE_COMMAND,
		.detail = 0,	/* wait status: exited with 0 */
		.realtime_ns = 1700000000123456789ULL + 654 * MS,
		.monotonic_ns = START_MONO + 654 * MS,
		.snapshots = snapshots,
		.dropped = snapshots ? 1 : 0,
		.cpu_ns = 777000,
		.end_reason = DAMON_END_TARGETS_EXITED,
	};

	return rec_write_end(fd, &end);
}

static int patch(int fd, off_t offset, __u32 value)
{
	return pwrite(fd, &value, sizeof(value), offset) == sizeof(value) ? 0 : -1;
}

static const char *const kinds[] = {
	"basic", "wide", "noend", "torn", "corrupt", "nosnap", "empty",
	"garbage", "future", "header-torn", "foreign", "views", NULL,
};

static const char maps_early[] =
	"555555554000-555555556000 r--p 00000000 08:01 1234 /usr/bin/memhog\n"
	"555555556000-555555558000 r-xp 00002000 08:01 1234 /usr/bin/memhog\n"
	"555555558000-55555555a000 rw-p 00004000 08:01 1234 /usr/bin/memhog\n"
	"55555555a000-55555557b000 rw-p 00000000 00:00 0    [heap]\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0    [stack]\n"
	"7ffd000fe000-7ffd00100000 r-xp 00000000 00:00 0    [vdso]\n";

static const char maps_late[] =
	"555555554000-555555556000 r--p 00000000 08:01 1234 /usr/bin/memhog\n"
	"555555556000-555555558000 r-xp 00002000 08:01 1234 /usr/bin/memhog\n"
	"555555558000-55555555a000 rw-p 00004000 08:01 1234 /usr/bin/memhog\n"
	"55555555a000-55555557b000 rw-p 00000000 00:00 0    [heap]\n"
	"7f0000000000-7f0004000000 rw-p 00000000 00:00 0 \n"
	"7f0004000000-7f0004200000 r--p 00000000 08:01 99 "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0004200000-7f0004400000 r-xp 00200000 08:01 99 "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f0004400000-7f0004401000 rw-p 00400000 08:01 99 "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0    [stack]\n"
	"7ffd000fe000-7ffd00100000 r-xp 00000000 00:00 0    [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";

/*
 * Ten snapshots of two targets.  The first half of pid 1000's 64 MiB
 * mapping is hot until #4, then the second half (cut at another address,
 * as regions are); the heap is outside the monitoring regions, like the
 * brk heap of a real process can be.
 */
static int views(int fd, const struct layout *l)
{
	__u64 seq;
	int ret = 0;

	ret |= rec_write_maps(fd, 1000, START_MONO + 1 * MS, maps_early,
			      sizeof(maps_early) - 1);
	for (seq = 0; seq < 10; seq++) {
		bool late = seq >= 5;
		const struct region a[] = {
			{ 0x400000, 0x480000, 0, 0 },
			{ 0x555555554000, 0x555555558000, 1, (__u32)seq },
			{ 0x555555558000, 0x55555555a000, 4, 2 },
			{ 0x7f0000000000, late ? 0x7f0001000000 : 0x7f0002000000,
			  late ? 0 : 18, late ? (__u32)(seq - 5) : 0 },
			{ late ? 0x7f0001000000 : 0x7f0002000000, 0x7f0004000000,
			  late ? 16 : 0, late ? 0 : (__u32)seq },
			{ 0x7f0004000000, 0x7f0004401000, 3, 1 },
			{ 0x7ffd00000000, 0x7ffd00021000, 0, (__u32)(900 + seq) },
			{ 0x7ffd00021000, 0x7ffd00100000, 2, 1 },
		};
		const struct region b[] = {
			{ 0x400000, 0x600000, (__u32)(seq % 3), 0 },
			{ 0x600000, 0x800000, 10, (__u32)seq },
		};
		struct target t[2] = {
			{ 1000, 0, 7, a + 1 },
			{ 1001, 0, 2, b },
		};

		if (!seq) {	/* the address space before exec */
			t[0].nr = 8;
			t[0].regions = a;
		}
		if (seq == 6)
			continue;	/* dropped */
		used = 0;
		snapshot(l, seq, seq == 7 ? 1 : 0, t, 2);
		ret |= rec_write_all(fd, buf, used);
		if (seq == 2)
			ret |= rec_write_maps(fd, 1000, START_MONO + 300 * MS,
					      maps_late, sizeof(maps_late) - 1);
	}
	return ret;
}

static bool is(const char *kind, const char *name)
{
	return !strcmp(kind, name);
}

static int write_fixture(int fd, const char *kind)
{
	const struct layout normal = {
		sizeof(struct damon_snapshot), sizeof(struct damon_snapshot_target),
		sizeof(struct damon_snapshot_region),
	};
	const struct layout wide = { normal.hdr + 16, normal.target + 8,
				     normal.region + 8 };
	static const char text[] = "This is a text file, not a damonctl record.\n";
	struct rec_target_info targets[2];
	struct rec_info info;
	int ret;

	if (is(kind, "empty"))
		return 0;
	if (is(kind, "garbage"))
		return rec_write_all(fd, text, sizeof(text) - 1);
	fill_info(&info, targets);
	ret = rec_write_header(fd, &info);
	if (is(kind, "views"))
		return ret | views(fd, &normal) | write_end(fd, 9);
	if (is(kind, "nosnap"))
		return ret | write_end(fd, 0);
	body(is(kind, "wide") ? &wide : &normal, is(kind, "wide"));
	if (is(kind, "corrupt")) {
		/* The exited target of the last snapshot claims 1000 regions. */
		size_t last = used - (normal.hdr + 2 * normal.target +
				      4 * normal.region);
		__u32 lie = 1000;

		memcpy(buf + last + normal.hdr + normal.target +
		       4 * normal.region +
		       offsetof(struct damon_snapshot_target, nr_regions),
		       &lie, sizeof(lie));
	}
	ret |= rec_write_all(fd, buf, used);
	if (!is(kind, "noend") && !is(kind, "torn"))
		ret |= write_end(fd, 5);
	if (is(kind, "torn"))	/* inside the last snapshot */
		ret |= ftruncate(fd, lseek(fd, 0, SEEK_END) - 50);
	else if (is(kind, "header-torn"))
		ret |= ftruncate(fd, 40);
	else if (is(kind, "future"))
		ret |= patch(fd, offsetof(struct damonrec_header, version), 2);
	else if (is(kind, "foreign"))
		ret |= patch(fd, offsetof(struct damonrec_header, byte_order),
			     __builtin_bswap32(DAMONREC_BYTE_ORDER));
	return ret;
}

int main(int argc, char **argv)
{
	size_t i;
	int fd;

	for (i = 0; argc == 3 && kinds[i] && !is(kinds[i], argv[1]); i++)
		;
	if (argc != 3 || !kinds[i]) {
		fprintf(stderr, "usage: %s KIND FILE (kinds: see the source)\n",
			argv[0]);
		return 2;
	}
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	if (write_fixture(fd, argv[1]) | close(fd)) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
