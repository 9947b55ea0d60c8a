// SPDX-License-Identifier: GPL-2.0
/*
 * reccheck: what a recorder recording fakedev.so left in its record file,
 * checked without damonctl's reader, for durability-test.sh.
 *
 *   reccheck FILE [--any] [--jsonl JSONL] [--log LOG]
 *
 * Walks FILE by the format of damonctl(8) and prints one line:
 *
 *   STATE SNAPSHOTS TAIL_BYTES TAIL_OFFSET TAIL_TYPE END LOWER UPPER LAST
 *
 * STATE is nofile, empty, header-torn (the file ends inside the header and
 * sections) or records; SNAPSHOTS the whole snapshot records; TAIL_BYTES
 * the bytes after the last whole record (0: the file ends between
 * records), starting at TAIL_OFFSET; TAIL_TYPE the type of that cut
 * record if its frame is whole, else 0; END 1 if the end record is there;
 * LAST the number (seq) of the last whole snapshot, -1 if none.
 *
 * Every whole snapshot must be the one fakedev.so made: numbered 0, 1, 2...
 * with nothing missing (fakedev never drops), and regions as it builds
 * them.  The end record, if any, must be last and count them all.
 *
 * --any: FILE was recorded from the real module (the in-VM test), whose
 * content is not known in advance: a snapshot must only be well formed, of
 * the header's targets, and numbered above the one before it (the module
 * drops snapshots when its queue is full).
 *
 * --log: fakedev's FAKEDEV_LOG, the batches read() handed the recorder.
 * The recorder writes each batch in full before it reads the next, so
 * all but the last are certainly in the file: LOWER is how many snapshots
 * they hold, UPPER how many were handed out in all, and
 * LOWER <= SNAPSHOTS <= UPPER must hold (SNAPSHOTS == UPPER if the
 * recording finished).  Without --log both print as 0.
 *
 * --jsonl: the output of "damonctl report -f jsonl FILE", which must list
 * exactly these snapshots (their numbers and, from fakedev, their regions)
 * and the end if any.
 *
 * Exits 0, or 1 after saying on stderr what is wrong.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define NR_REGIONS 3	/* as fakedev.c builds them */

static const char *path;
static bool any;	/* --any: not from fakedev */

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "reccheck: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* What fakedev.c's build_snapshot() puts in region j of snapshot seq. */
static struct damon_snapshot_region expected_region(uint64_t seq, uint32_t j,
						    uint32_t passes)
{
	struct damon_snapshot_region r = {
		.start = 0x7f0000000000ULL + j * 0x100000ULL,
		.end = 0x7f0000000000ULL + (j + 1) * 0x100000ULL,
		.nr_accesses = (uint32_t)((seq + j) % (passes + 1)),
		.age = (uint32_t)seq,
	};

	return r;
}

#define MAX_TARGETS 16

struct scan {
	const char *state;
	uint64_t snapshots, maps, tail_bytes, tail_offset;
	unsigned tail_type;
	bool end;
	struct damonrec_end end_rec;
	int32_t pids[MAX_TARGETS];	/* the header's targets */
	uint32_t nr_pids;
	uint32_t passes;	/* of the first snapshot: the same in all */
	uint64_t *seqs;		/* of the whole snapshots, in file order */
};

static unsigned char *slurp(FILE *f, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	if (ferror(f))
		die("cannot read: %s", strerror(errno));
	return buf;
}

static bool is_target(const struct scan *sc, int32_t pid)
{
	uint32_t i;

	for (i = 0; i < sc->nr_pids; i++)
		if (sc->pids[i] == pid)
			return true;
	return false;
}

/* The header's sections: only the targets are needed. */
static void check_sections(struct scan *sc, const unsigned char *p, size_t len)
{
	while (len) {
		struct damonrec_section sec;
		size_t padded;

		if (len < sizeof(sec))
			die("a section header runs past the sections");
		memcpy(&sec, p, sizeof(sec));
		p += sizeof(sec);
		len -= sizeof(sec);
		padded = sec.size + (8 - sec.size % 8) % 8;
		if (padded > len)
			die("section %u runs past the sections", sec.type);
		if (sec.type == DAMONREC_SEC_TARGET) {
			struct damonrec_target t;

			if (sc->nr_pids == (any ? MAX_TARGETS : 1) ||
			    sec.size < sizeof(t))
				die("too many or too short target sections");
			memcpy(&t, p, sizeof(t));
			sc->pids[sc->nr_pids++] = t.pid;
		}
		p += padded;
		len -= padded;
	}
	if (!sc->nr_pids)
		die("no target section");
}

static void add_seq(struct scan *sc, uint64_t seq)
{
	if (!(sc->snapshots & (sc->snapshots - 1))) {	/* 0 or a power of 2 */
		sc->seqs = realloc(sc->seqs, (sc->snapshots ? sc->snapshots * 2 : 1) *
				   sizeof(*sc->seqs));
		if (!sc->seqs)
			die("out of memory");
	}
	sc->seqs[sc->snapshots++] = seq;
}

/* --any: a snapshot of the real module, well formed. */
static void check_any_snapshot(struct scan *sc, const unsigned char *p,
			       size_t len, uint64_t offset)
{
	struct damon_snapshot s;
	size_t off;
	uint32_t i;

	if (len < sizeof(s))
		die("the snapshot at byte %" PRIu64 " is too short", offset);
	memcpy(&s, p, sizeof(s));
	if (s.hdr_size < sizeof(s) ||
	    s.target_size < sizeof(struct damon_snapshot_target) ||
	    s.region_size < sizeof(struct damon_snapshot_region) ||
	    !s.nr_targets || s.nr_targets > sc->nr_pids)
		die("the snapshot at byte %" PRIu64 " has a bad header", offset);
	if (sc->snapshots && s.seq <= sc->seqs[sc->snapshots - 1])
		die("snapshot #%" PRIu64 " (at byte %" PRIu64 ") follows #%" PRIu64,
		    (uint64_t)s.seq, offset, sc->seqs[sc->snapshots - 1]);
	off = s.hdr_size;
	for (i = 0; i < s.nr_targets; i++) {
		struct damon_snapshot_target t;

		if (len - off < s.target_size)
			die("snapshot #%" PRIu64 ": target %u runs past its end",
			    (uint64_t)s.seq, i);
		memcpy(&t, p + off, sizeof(t));
		off += s.target_size;
		if (!is_target(sc, t.pid))
			die("snapshot #%" PRIu64 " has pid %d, not a target",
			    (uint64_t)s.seq, t.pid);
		if ((len - off) / s.region_size < t.nr_regions)
			die("snapshot #%" PRIu64 ": the regions of pid %d run "
			    "past its end", (uint64_t)s.seq, t.pid);
		off += (size_t)t.nr_regions * s.region_size;
	}
	if (off != len)
		die("snapshot #%" PRIu64 " has %zu bytes after its regions",
		    (uint64_t)s.seq, len - off);
	add_seq(sc, s.seq);
}

static void check_snapshot(struct scan *sc, const unsigned char *p,
			   size_t len, uint64_t offset)
{
	const size_t want = sizeof(struct damon_snapshot) +
		sizeof(struct damon_snapshot_target) +
		NR_REGIONS * sizeof(struct damon_snapshot_region);
	struct damon_snapshot s;
	struct damon_snapshot_target t;
	uint32_t j;

	if (len != want)
		die("the snapshot at byte %" PRIu64 " has %zu bytes, not %zu",
		    offset, len, want);
	memcpy(&s, p, sizeof(s));
	memcpy(&t, p + sizeof(s), sizeof(t));
	if (s.hdr_size != sizeof(s) || s.target_size != sizeof(t) ||
	    s.region_size != sizeof(struct damon_snapshot_region) ||
	    s.nr_targets != 1 || s.version != DAMON_SNAPSHOT_VERSION)
		die("the snapshot at byte %" PRIu64 " has a bad header", offset);
	if (s.seq != sc->snapshots)
		die("snapshot %" PRIu64 " (at byte %" PRIu64 ") is #%" PRIu64
		    ": snapshots are missing, repeated or out of order",
		    sc->snapshots, offset, (uint64_t)s.seq);
	if (!s.sample_us || s.nr_passes != s.aggr_us / s.sample_us ||
	    (sc->snapshots && s.nr_passes != sc->passes))
		die("snapshot #%" PRIu64 " has %u passes", (uint64_t)s.seq,
		    s.nr_passes);
	sc->passes = s.nr_passes;
	if (t.pid != sc->pids[0] || t.nr_regions != NR_REGIONS)
		die("snapshot #%" PRIu64 " has target pid %d with %u regions, "
		    "not pid %d with %d", (uint64_t)s.seq, t.pid, t.nr_regions,
		    sc->pids[0], NR_REGIONS);
	for (j = 0; j < NR_REGIONS; j++) {
		struct damon_snapshot_region r, e = expected_region(s.seq, j,
								     s.nr_passes);

		memcpy(&r, p + sizeof(s) + sizeof(t) + j * sizeof(r), sizeof(r));
		if (r.start != e.start || r.end != e.end ||
		    r.nr_accesses != e.nr_accesses || r.age != e.age)
			die("region %u of snapshot #%" PRIu64 " is not what "
			    "fakedev made", j, (uint64_t)s.seq);
	}
	add_seq(sc, s.seq);
}

static void scan_file(struct scan *sc)
{
	struct damonrec_header hdr;
	unsigned char *buf;
	size_t len, off;
	FILE *f;

	memset(sc, 0, sizeof(*sc));
	f = fopen(path, "rb");
	if (!f) {
		if (errno != ENOENT)
			die("cannot open: %s", strerror(errno));
		sc->state = "nofile";
		return;
	}
	buf = slurp(f, &len);
	fclose(f);
	if (!len) {
		sc->state = "empty";
		free(buf);
		return;
	}
	/* What there is of the header must be the start of a good one. */
	if (memcmp(buf, DAMONREC_MAGIC, len < 8 ? len : 8))
		die("does not start with " DAMONREC_MAGIC);
	if (len >= sizeof(hdr)) {
		memcpy(&hdr, buf, sizeof(hdr));
		if (hdr.version != DAMONREC_VERSION ||
		    hdr.byte_order != DAMONREC_BYTE_ORDER ||
		    hdr.header_size != sizeof(hdr) ||
		    hdr.sections_size > 65536)
			die("bad header");
	}
	if (len < sizeof(hdr) ||
	    len < (size_t)hdr.header_size + hdr.sections_size) {
		sc->state = "header-torn";
		free(buf);
		return;
	}
	sc->state = "records";
	check_sections(sc, buf + hdr.header_size, hdr.sections_size);
	off = (size_t)hdr.header_size + hdr.sections_size;
	while (off < len) {
		struct rec_frame {
			uint32_t size;
			uint16_t type, version;
		} fr;

		if (sc->end)
			die("%zu bytes follow the end record", len - off);
		if (len - off < sizeof(fr)) {
			sc->tail_bytes = len - off;
			sc->tail_offset = off;
			break;
		}
		memcpy(&fr, buf + off, sizeof(fr));
		if (fr.size < sizeof(fr) || fr.size > REC_MAX_RECORD)
			die("the record at byte %zu has a size of %u", off, fr.size);
		if (fr.type != DAMON_RECORD_SNAPSHOT &&
		    fr.type != DAMONREC_RECORD_MAPS && fr.type != DAMONREC_RECORD_END)
			die("the record at byte %zu has type %#x", off, fr.type);
		if (fr.size > len - off) {	/* cut short */
			sc->tail_bytes = len - off;
			sc->tail_offset = off;
			sc->tail_type = fr.type;
			break;
		}
		if (fr.type == DAMON_RECORD_SNAPSHOT && any) {
			check_any_snapshot(sc, buf + off, fr.size, off);
		} else if (fr.type == DAMON_RECORD_SNAPSHOT) {
			check_snapshot(sc, buf + off, fr.size, off);
		} else if (fr.type == DAMONREC_RECORD_MAPS) {
			struct damonrec_maps m;

			if (fr.size < sizeof(m))
				die("a maps record is too short");
			memcpy(&m, buf + off, sizeof(m));
			if (!is_target(sc, m.pid))
				die("a maps record of pid %d", m.pid);
			sc->maps++;
		} else {
			if (fr.size != sizeof(sc->end_rec))
				die("the end record has %u bytes", fr.size);
			memcpy(&sc->end_rec, buf + off, sizeof(sc->end_rec));
			if (sc->end_rec.snapshots != sc->snapshots)
				die("the end record counts %" PRIu64 " snapshots, "
				    "the file holds %" PRIu64,
				    (uint64_t)sc->end_rec.snapshots, sc->snapshots);
			sc->end = true;
		}
		off += fr.size;
	}
	free(buf);
}

/* ---- the fakedev log ---- */

static void check_log(const struct scan *sc, const char *log, uint64_t *lower,
		      uint64_t *upper)
{
	unsigned long long first, count;
	uint64_t last = 0;
	FILE *f = fopen(log, "r");
	int n;

	*lower = *upper = 0;
	if (!f) {
		if (errno == ENOENT)	/* nothing was read */
			goto bounds;
		die("cannot open %s: %s", log, strerror(errno));
	}
	while ((n = fscanf(f, "read %llu %llu\n", &first, &count)) == 2) {
		if (first != *upper || !count)
			die("%s: a batch of %llu from #%llu after #%" PRIu64,
			    log, count, first, *upper);
		last = count;
		*upper += count;
	}
	if (n != EOF)
		die("%s: unexpected line", log);
	fclose(f);
	*lower = *upper - last;
bounds:
	if (strcmp(sc->state, "records") && *upper)
		die("%" PRIu64 " snapshots were read, yet the header is not whole",
		    *upper);
	if (sc->snapshots < *lower || sc->snapshots > *upper)
		die("%" PRIu64 " whole snapshots, but the recorder had written "
		    "at least %" PRIu64 " and read %" PRIu64, sc->snapshots,
		    *lower, *upper);
	if (sc->end && sc->snapshots != *upper)
		die("the recording finished with %" PRIu64 " of the %" PRIu64
		    " snapshots read", sc->snapshots, *upper);
}

/* ---- damonctl report -f jsonl ---- */

/* The numbers of the array KEY in LINE; returns how many, at most max. */
static size_t json_array(const char *line, const char *key, uint64_t *v,
			 size_t max, uint64_t lineno)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":[", key);
	p = strstr(line, pat);
	if (!p)
		die("jsonl line %" PRIu64 " has no %s", lineno, key);
	p += strlen(pat);
	while (*p != ']') {
		char *end;
		unsigned long long x = strtoull(p, &end, 10);

		if (end == p || n == max)
			die("jsonl line %" PRIu64 ": bad %s", lineno, key);
		v[n++] = x;
		p = end;
		if (*p == ',')
			p++;
	}
	return n;
}

static uint64_t json_number(const char *line, const char *key, uint64_t lineno)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		die("jsonl line %" PRIu64 " has no %s", lineno, key);
	return strtoull(p + strlen(pat), NULL, 10);
}

static void check_jsonl(const struct scan *sc, const char *jsonl)
{
	uint64_t lineno = 0, snaps = 0, maps = 0, v[4][NR_REGIONS + 1];
	bool end = false;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(jsonl, "r");

	if (!f)
		die("cannot open %s: %s", jsonl, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (end)
			die("jsonl line %" PRIu64 " follows the end", lineno);
		if (lineno == 1) {
			if (strncmp(line, "{\"recording\":", 13))
				die("jsonl line 1 is not the recording");
			continue;
		}
		if (!strncmp(line, "{\"maps\":", 8)) {
			maps++;
		} else if (!strncmp(line, "{\"end\":", 7)) {
			if (json_number(line, "snapshots", lineno) != sc->snapshots)
				die("the jsonl end counts other snapshots");
			end = true;
		} else if (!strncmp(line, "{\"snapshot\":", 12)) {
			uint64_t seq = json_number(line, "seq", lineno);
			uint32_t j;

			if (snaps == sc->snapshots)
				die("the jsonl report has more snapshots than the "
				    "%" PRIu64 " whole ones of the file", sc->snapshots);
			if (seq != sc->seqs[snaps])
				die("jsonl snapshot %" PRIu64 " is #%" PRIu64
				    ", in the file #%" PRIu64, snaps, seq,
				    sc->seqs[snaps]);
			if (any) {
				snaps++;
				continue;
			}
			if (json_array(line, "region_start", v[0], NR_REGIONS + 1, lineno) != NR_REGIONS ||
			    json_array(line, "region_end", v[1], NR_REGIONS + 1, lineno) != NR_REGIONS ||
			    json_array(line, "region_nr_accesses", v[2], NR_REGIONS + 1, lineno) != NR_REGIONS ||
			    json_array(line, "region_age", v[3], NR_REGIONS + 1, lineno) != NR_REGIONS)
				die("jsonl snapshot #%" PRIu64 " does not have %d "
				    "regions", seq, NR_REGIONS);
			for (j = 0; j < NR_REGIONS; j++) {
				struct damon_snapshot_region e =
					expected_region(seq, j, sc->passes);

				if (v[0][j] != e.start || v[1][j] != e.end ||
				    v[2][j] != e.nr_accesses || v[3][j] != e.age)
					die("jsonl: region %u of snapshot #%" PRIu64
					    " is not what fakedev made", j, seq);
			}
			snaps++;
		} else {
			die("jsonl line %" PRIu64 " is of an unknown kind", lineno);
		}
	}
	free(line);
	fclose(f);
	if (!lineno)
		die("the jsonl report is empty");
	if (snaps != sc->snapshots || maps != sc->maps || end != sc->end)
		die("the jsonl report has %" PRIu64 " snapshots, %" PRIu64
		    " maps and %s end; the file %" PRIu64 ", %" PRIu64 " and %s",
		    snaps, maps, end ? "an" : "no", sc->snapshots, sc->maps,
		    sc->end ? "an" : "no");
}

int main(int argc, char **argv)
{
	const char *jsonl = NULL, *log = NULL;
	uint64_t lower = 0, upper = 0;
	struct scan sc;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: reccheck FILE [--any] [--jsonl JSONL] [--log LOG]\n");
		return 2;
	}
	path = argv[1];
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--any"))
			any = true;
		else if (!strcmp(argv[i], "--jsonl") && i + 1 < argc)
			jsonl = argv[++i];
		else if (!strcmp(argv[i], "--log") && i + 1 < argc)
			log = argv[++i];
		else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "reccheck: bad arguments\n");
		return 2;
	}
	scan_file(&sc);
	if (log)
		check_log(&sc, log, &lower, &upper);
	if (jsonl)
		check_jsonl(&sc, jsonl);
	printf("%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %d %" PRIu64 " %" PRIu64,
	       sc.state, sc.snapshots, sc.tail_bytes, sc.tail_offset,
	       sc.tail_type, sc.end, lower, upper);
	if (sc.snapshots)
		printf(" %" PRIu64 "\n", sc.seqs[sc.snapshots - 1]);
	else
		printf(" -1\n");
	free(sc.seqs);
	return 0;
}
