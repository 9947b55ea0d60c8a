// SPDX-License-Identifier: GPL-2.0
/*
 * The record file (cli/lib/record.c): what the writer writes the reader reads
 * back, and a file cut at any byte is either refused or read up to its
 * last whole record, never misread.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "record.h"
#include "snapshot.h"
#include "tap.h"

const char *progname = "record-test";

static char dir[] = "/tmp/record-test.XXXXXX";
static char path[64];

/* A snapshot with one target and nr regions, at seq. */
static size_t make_snapshot(unsigned char *buf, uint64_t seq, uint32_t nr)
{
	struct damon_snapshot s = {
		.type = DAMON_RECORD_SNAPSHOT, .version = 1,
		.hdr_size = sizeof(s),
		.target_size = sizeof(struct damon_snapshot_target),
		.region_size = sizeof(struct damon_snapshot_region),
		.seq = seq, .nr_targets = 1, .aggr_us = 100000, .nr_passes = 20,
	};
	struct damon_snapshot_target t = { .pid = 7, .nr_regions = nr };
	size_t len = sizeof(s);
	uint32_t i;

	memcpy(buf + len, &t, sizeof(t));
	len += sizeof(t);
	for (i = 0; i < nr; i++) {
		struct damon_snapshot_region r = {
			.start = 0x1000 * (i + 1), .end = 0x1000 * (i + 2),
			.nr_accesses = i,
		};

		memcpy(buf + len, &r, sizeof(r));
		len += sizeof(r);
	}
	s.size = (uint32_t)len;
	memcpy(buf, &s, sizeof(s));
	return len;
}

static size_t write_file(void)
{
	static char cmdline[] = "prog\0arg one";
	struct rec_target_info t = {
		.pid = 7, .flags = DAMONREC_TARGET_COMMAND, .comm = "prog",
		.cmdline = cmdline, .cmdline_len = sizeof(cmdline),
	};
	struct rec_info info = {
		.tool = "damonctl test", .kernel = "6.1.0-test",
		.time = { .realtime_ns = 1, .monotonic_ns = 2 },
		.attrs = { .size = sizeof(struct damon_attrs), .aggr_us = 100000 },
		.nr_targets = 1, .targets = &t,
	};
	struct damonrec_end end = { .cause = DAMONREC_CAUSE_SIGNAL, .detail = 2,
				    .snapshots = 3 };
	unsigned char buf[4096];
	size_t len = 0;
	uint64_t seq;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	for (seq = 0; seq < 3; seq++)
		len += make_snapshot(buf + len, seq, (uint32_t)seq + 1);
	if (fd < 0 || rec_write_header(fd, &info) ||
	    rec_write_all(fd, buf, len) || rec_write_end(fd, &end))
		abort();
	len = (size_t)lseek(fd, 0, SEEK_END);
	close(fd);
	return len;
}

static void round_trip(void)
{
	struct rec_reader r;
	const void *rec;
	size_t len;
	char *cmd;
	int n = 0, ret;

	write_file();
	if (!ok(rec_open(&r, path) == 0, "the written file opens"))
		return;
	ok(r.info.version == DAMONREC_VERSION, "version");
	ok(r.info.tool && !strcmp(r.info.tool, "damonctl test"), "tool");
	ok(r.info.kernel && !strcmp(r.info.kernel, "6.1.0-test"), "kernel");
	ok(r.info.time.realtime_ns == 1 && r.info.time.monotonic_ns == 2, "times");
	ok(r.info.attrs.aggr_us == 100000, "attributes");
	ok(r.info.nr_targets == 1 && r.info.targets[0].pid == 7 &&
	   r.info.targets[0].flags == DAMONREC_TARGET_COMMAND &&
	   !strcmp(r.info.targets[0].comm, "prog"), "target");
	cmd = rec_target_cmdline(&r.info.targets[0]);
	ok(cmd && !strcmp(cmd, "prog arg one"), "command line");
	free(cmd);
	while ((ret = rec_next(&r, &rec, &len)) > 0)
		n++;
	ok(ret == 0 && n == 4, "three snapshots and an end record");
	ok(r.snapshots == 3 && r.have_end && r.end.cause == DAMONREC_CAUSE_SIGNAL &&
	   r.end.detail == 2 && r.tail == REC_TAIL_CLEAN, "the end record");
	rec_close(&r);
}

/* Cut at every byte: never a crash, never a record that was not written. */
static void every_cut(void)
{
	size_t full = write_file(), cut;
	int bad = 0, refused = 0;
	FILE *quiet = freopen("/dev/null", "w", stderr);

	for (cut = 0; cut < full; cut++) {
		struct rec_reader r;
		const void *rec;
		size_t len;
		int ret;

		if (truncate(path, (off_t)cut))
			abort();
		if (rec_open(&r, path)) {
			refused++;
			rec_close(&r);
			continue;
		}
		while ((ret = rec_next(&r, &rec, &len)) > 0)
			;
		if (ret || r.have_end || r.snapshots > 3 ||
		    (r.tail == REC_TAIL_CLEAN) != (r.offset == cut))
			bad++;
		rec_close(&r);
	}
	(void)quiet;
	ok(bad == 0, "every cut of a %zu-byte file reads up to its last whole "
	   "record (%d cuts refused as headerless)", full, refused);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/test.rec", dir);
	round_trip();
	every_cut();
	unlink(path);
	rmdir(dir);
	return done();
}
