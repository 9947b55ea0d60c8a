// SPDX-License-Identifier: GPL-2.0
/*
 * The record file: writing the header and records, and reading them back
 * from files that may have been cut short by a killed recorder.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "record.h"
#include "snapshot.h"

/* Sane bounds for untrusted headers: far above what damonctl writes. */
#define MAX_HEADER_SIZE		4096U
#define MAX_SECTIONS_SIZE	(16U << 20)

void rec_info_free(struct rec_info *info)
{
	size_t i;

	for (i = 0; i < info->nr_targets; i++)
		free(info->targets[i].cmdline);
	free(info->targets);
	free(info->tool);
	free(info->kernel);
	memset(info, 0, sizeof(*info));
}

char *rec_target_cmdline(const struct rec_target_info *t)
{
	char *s = malloc(t->cmdline_len + 1);
	size_t i, n = t->cmdline_len;

	if (!s)
		return NULL;
	/* Drop the terminator of the last argument; the rest become spaces. */
	while (n && t->cmdline[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t->cmdline[i];

		s[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	s[n] = '\0';
	return s;
}

/* ---- writing ---- */

int rec_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct bytes {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct bytes *b, const void *data, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		unsigned char *p;

		while (cap < b->len + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_section(struct bytes *b, uint32_t type, const void *a,
			size_t alen, const void *c, size_t clen)
{
	static const unsigned char zeros[8];
	struct damonrec_section sec = { .type = type, .size = (__u32)(alen + clen) };

	put(b, &sec, sizeof(sec));
	put(b, a, alen);
	put(b, c, clen);
	put(b, zeros, (8 - (alen + clen) % 8) % 8);
}

int rec_write_header(int fd, const struct rec_info *info)
{
	struct damonrec_header hdr = {
		.version = DAMONREC_VERSION,
		.byte_order = DAMONREC_BYTE_ORDER,
		.header_size = sizeof(hdr),
	};
	struct bytes b = { 0 };
	size_t i;
	int ret;

	memcpy(hdr.magic, DAMONREC_MAGIC, sizeof(hdr.magic));
	put(&b, &hdr, sizeof(hdr));
	if (info->tool)
		put_section(&b, DAMONREC_SEC_TOOL, info->tool,
			    strlen(info->tool) + 1, NULL, 0);
	if (info->kernel)
		put_section(&b, DAMONREC_SEC_KERNEL, info->kernel,
			    strlen(info->kernel) + 1, NULL, 0);
	put_section(&b, DAMONREC_SEC_TIME, &info->time, sizeof(info->time),
		    NULL, 0);
	put_section(&b, DAMONREC_SEC_HANDSHAKE, &info->handshake,
		    sizeof(info->handshake), NULL, 0);
	put_section(&b, DAMONREC_SEC_ATTRS, &info->attrs, sizeof(info->attrs),
		    NULL, 0);
	for (i = 0; i < info->nr_targets; i++) {
		const struct rec_target_info *t = &info->targets[i];
		struct damonrec_target rt = {
			.pid = t->pid,
			.flags = t->flags,
			.hdr_size = sizeof(rt),
		};

		memcpy(rt.comm, t->comm, sizeof(rt.comm));
		put_section(&b, DAMONREC_SEC_TARGET, &rt, sizeof(rt),
			    t->cmdline, t->cmdline_len);
	}
	if (b.failed) {
		free(b.p);
		errno = ENOMEM;
		return -1;
	}
	hdr.sections_size = (__u32)(b.len - sizeof(hdr));
	memcpy(b.p, &hdr, sizeof(hdr));
	/* One write: the header is there whole or the file is empty. */
	ret = rec_write_all(fd, b.p, b.len);
	free(b.p);
	return ret;
}

int rec_write_target_event(int fd, uint32_t event, uint64_t monotonic_ns,
			   const struct rec_target_info *t)
{
	struct damonrec_target_event e = {
		.type = DAMONREC_RECORD_TARGET,
		.version = DAMONREC_TARGET_VERSION,
		.event = event,
		.hdr_size = sizeof(e),
		.monotonic_ns = monotonic_ns,
	};
	struct damonrec_target rt = {
		.pid = t->pid,
		.flags = t->flags,
		.hdr_size = sizeof(rt),
	};
	size_t cmd = t->cmdline_len;
	unsigned char *buf;
	int ret;

	if (cmd > 65536)
		cmd = 0;	/* absurd: better no command line than none */
	e.size = (__u32)(sizeof(e) + sizeof(rt) + cmd);
	memcpy(rt.comm, t->comm, sizeof(rt.comm));
	buf = malloc(e.size);
	if (!buf)
		return -1;
	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), &rt, sizeof(rt));
	if (cmd)
		memcpy(buf + sizeof(e) + sizeof(rt), t->cmdline, cmd);
	ret = rec_write_all(fd, buf, e.size);
	free(buf);
	return ret;
}

int rec_write_end(int fd, const struct damonrec_end *end)
{
	struct damonrec_end e = *end;

	e.size = sizeof(e);
	e.type = DAMONREC_RECORD_END;
	e.version = DAMONREC_END_VERSION;
	return rec_write_all(fd, &e, sizeof(e));
}

int rec_write_maps(int fd, int32_t pid, uint64_t monotonic_ns,
		   const char *text, size_t len)
{
	struct damonrec_maps m = {
		.type = DAMONREC_RECORD_MAPS,
		.version = DAMONREC_MAPS_VERSION,
		.hdr_size = sizeof(m),
		.pid = pid,
		.monotonic_ns = monotonic_ns,
	};
	unsigned char *buf;
	int ret;

	if (len > REC_MAX_RECORD - sizeof(m))
		len = 0;	/* absurd: better no text than a refused record */
	m.size = (__u32)(sizeof(m) + len);
	buf = malloc(m.size);
	if (!buf)
		return -1;
	memcpy(buf, &m, sizeof(m));
	if (len)
		memcpy(buf + sizeof(m), text, len);
	/* One write, like the snapshots: a killed recorder leaves a whole
	 * record or a torn tail, never a record with a shorter text. */
	ret = rec_write_all(fd, buf, m.size);
	free(buf);
	return ret;
}

int rec_parse_maps(const void *rec, size_t len, struct damonrec_maps *hdr,
		   const char **text, size_t *text_len)
{
	memset(hdr, 0, sizeof(*hdr));
	if (len < sizeof(*hdr))
		return -1;
	memcpy(hdr, rec, sizeof(*hdr));
	if (hdr->type != DAMONREC_RECORD_MAPS || hdr->hdr_size < sizeof(*hdr) ||
	    hdr->hdr_size > len)
		return -1;
	*text = (const char *)rec + hdr->hdr_size;
	*text_len = len - hdr->hdr_size;
	return 0;
}

int rec_write_schemes(int fd, uint64_t monotonic_ns,
		      const struct damonrec_scheme_stats *stats, uint32_t n)
{
	struct damonrec_schemes h = {
		.type = DAMONREC_RECORD_SCHEMES,
		.version = DAMONREC_SCHEMES_VERSION,
		.hdr_size = sizeof(h),
		.entry_size = sizeof(*stats),
		.nr_schemes = n,
		.monotonic_ns = monotonic_ns,
	};
	unsigned char *buf;
	int ret;

	h.size = (__u32)(sizeof(h) + (size_t)n * sizeof(*stats));
	buf = malloc(h.size);
	if (!buf)
		return -1;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), stats, (size_t)n * sizeof(*stats));
	ret = rec_write_all(fd, buf, h.size);
	free(buf);
	return ret;
}

int rec_parse_schemes(const void *rec, size_t len, struct damonrec_schemes *hdr,
		      struct damonrec_scheme_stats *out, uint32_t max)
{
	const unsigned char *p = rec;
	uint32_t i;
	size_t take;

	memset(hdr, 0, sizeof(*hdr));
	if (len < sizeof(*hdr))
		return -1;
	memcpy(hdr, rec, sizeof(*hdr));
	if (hdr->type != DAMONREC_RECORD_SCHEMES || hdr->hdr_size < sizeof(*hdr) ||
	    !hdr->entry_size || hdr->hdr_size > len ||
	    (len - hdr->hdr_size) / hdr->entry_size < hdr->nr_schemes)
		return -1;
	take = hdr->entry_size < sizeof(*out) ? hdr->entry_size : sizeof(*out);
	for (i = 0; i < hdr->nr_schemes && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		memcpy(&out[i], p + hdr->hdr_size + (size_t)i * hdr->entry_size,
		       take);
		out[i].text[sizeof(out[i].text) - 1] = '\0';
	}
	return (int)hdr->nr_schemes;
}

/* ---- reading ---- */

static char *strndup_payload(const unsigned char *p, size_t len)
{
	return strndup((const char *)p, len);
}

/* Fills t (whose old command line is freed) from a target payload. */
static int fill_target(struct rec_target_info *t, const unsigned char *p,
		       size_t len)
{
	struct damonrec_target rt;

	if (len < sizeof(rt))
		return -1;
	memcpy(&rt, p, sizeof(rt));
	if (rt.hdr_size < sizeof(rt) || rt.hdr_size > len)
		return -1;
	free(t->cmdline);
	memset(t, 0, sizeof(*t));
	t->pid = rt.pid;
	t->flags = rt.flags;
	memcpy(t->comm, rt.comm, sizeof(rt.comm));
	t->cmdline_len = len - rt.hdr_size;
	t->cmdline = malloc(t->cmdline_len + 1);
	if (!t->cmdline) {
		t->cmdline_len = 0;
		return -1;
	}
	memcpy(t->cmdline, p + rt.hdr_size, t->cmdline_len);
	t->cmdline[t->cmdline_len] = '\0';
	return 0;
}

static int parse_target(struct rec_info *info, const unsigned char *p,
			size_t len)
{
	struct rec_target_info *grown;

	grown = realloc(info->targets, (info->nr_targets + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	info->targets = grown;
	memset(&grown[info->nr_targets], 0, sizeof(*grown));
	if (fill_target(&grown[info->nr_targets], p, len)) {
		free(grown[info->nr_targets].cmdline);
		return -1;
	}
	info->nr_targets++;
	return 0;
}

/* A target that arrived while recording, unless its pid is known. */
static int add_arrival(struct rec_info *info, const unsigned char *p,
		       size_t len)
{
	struct damonrec_target rt;
	size_t i;

	if (len < sizeof(rt))
		return -1;
	memcpy(&rt, p, sizeof(rt));
	for (i = 0; i < info->nr_targets; i++)
		if (info->targets[i].pid == rt.pid)
			return 0;
	return parse_target(info, p, len);
}

/* A target that exec()ed: it takes the new name and command line. */
static int rename_target(struct rec_info *info, const unsigned char *p,
			 size_t len)
{
	struct damonrec_target rt;
	size_t i;

	if (len < sizeof(rt))
		return -1;
	memcpy(&rt, p, sizeof(rt));
	for (i = 0; i < info->nr_targets; i++)
		if (info->targets[i].pid == rt.pid)
			return fill_target(&info->targets[i], p, len);
	return parse_target(info, p, len);
}

/* Copies a structure that may be shorter (older) or longer (newer). */
static void copy_struct(void *dst, size_t dlen, const unsigned char *p,
			size_t len)
{
	memset(dst, 0, dlen);
	memcpy(dst, p, len < dlen ? len : dlen);
}

static int parse_sections(struct rec_info *info, const unsigned char *p,
			  size_t len)
{
	while (len) {
		struct damonrec_section sec;
		size_t padded;

		if (len < sizeof(sec))
			return -1;
		memcpy(&sec, p, sizeof(sec));
		p += sizeof(sec);
		len -= sizeof(sec);
		padded = sec.size + (8 - sec.size % 8) % 8;
		if (sec.size > len)
			return -1;
		switch (sec.type) {
		case DAMONREC_SEC_TOOL:
			free(info->tool);
			info->tool = strndup_payload(p, sec.size);
			break;
		case DAMONREC_SEC_KERNEL:
			free(info->kernel);
			info->kernel = strndup_payload(p, sec.size);
			break;
		case DAMONREC_SEC_TIME:
			copy_struct(&info->time, sizeof(info->time), p, sec.size);
			break;
		case DAMONREC_SEC_HANDSHAKE:
			copy_struct(&info->handshake, sizeof(info->handshake),
				    p, sec.size);
			break;
		case DAMONREC_SEC_ATTRS:
			copy_struct(&info->attrs, sizeof(info->attrs), p,
				    sec.size);
			break;
		case DAMONREC_SEC_TARGET:
			if (parse_target(info, p, sec.size))
				return -1;
			break;
		default:	/* from a newer damonctl: not needed to read */
			break;
		}
		if (padded > len)
			padded = len;
		p += padded;
		len -= padded;
	}
	return 0;
}

static int read_exact(struct rec_reader *r, void *buf, size_t len,
		      size_t *got)
{
	*got = fread(buf, 1, len, r->f);
	if (*got < len && ferror(r->f)) {
		errmsg("cannot read %s: %s", r->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int bad_header(struct rec_reader *r, const char *what)
{
	errmsg("%s: %s", r->path, what);
	return EXIT_BADFILE;
}

int rec_open(struct rec_reader *r, const char *path)
{
	struct damonrec_header hdr;
	unsigned char *sections = NULL;
	struct stat st;
	size_t got;
	int ret;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->f = fopen(path, "rbe");
	if (!r->f) {
		errmsg("cannot open %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode)) {
		errmsg("%s is a directory, not a record file", path);
		return EXIT_FAIL;
	}
	if (read_exact(r, &hdr, sizeof(hdr), &got))
		return EXIT_FAIL;
	if (got == 0)
		return bad_header(r, "the file is empty, so not a damonctl record "
				  "(was the recorder killed before it started?)");
	if (memcmp(hdr.magic, DAMONREC_MAGIC,
		   got < sizeof(hdr.magic) ? got : sizeof(hdr.magic)))
		return bad_header(r, "not a damonctl record file (it does not "
				  "start with \"" DAMONREC_MAGIC "\")");
	if (got < sizeof(hdr))
		return bad_header(r, "the record header is incomplete "
				  "(was the recorder killed while starting?)");
	if (hdr.byte_order != DAMONREC_BYTE_ORDER) {
		if (hdr.byte_order == __builtin_bswap32(DAMONREC_BYTE_ORDER))
			return bad_header(r, "recorded on a machine of the other "
					  "byte order: read it on a machine like the "
					  "one that recorded it");
		return bad_header(r, "the record header is damaged (bad byte order mark)");
	}
	if (hdr.version > DAMONREC_VERSION) {
		errmsg("%s is a version %" PRIu32 " record, newer than this damonctl "
		       "reads (version %d): use a newer damonctl",
		       path, hdr.version, DAMONREC_VERSION);
		return EXIT_BADFILE;
	}
	if (hdr.version == 0 || hdr.header_size < sizeof(hdr) ||
	    hdr.header_size > MAX_HEADER_SIZE ||
	    hdr.sections_size > MAX_SECTIONS_SIZE)
		return bad_header(r, "the record header is damaged");
	r->info.version = hdr.version;

	/* Skip what a newer writer added to the fixed header. */
	if (hdr.header_size > sizeof(hdr) &&
	    fseeko(r->f, hdr.header_size, SEEK_SET)) {
		errmsg("cannot read %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	sections = malloc(hdr.sections_size ? hdr.sections_size : 1);
	if (!sections) {
		errmsg("out of memory reading %s", path);
		return EXIT_FAIL;
	}
	ret = read_exact(r, sections, hdr.sections_size, &got);
	if (ret) {
		free(sections);
		return EXIT_FAIL;
	}
	if (got < hdr.sections_size) {
		free(sections);
		return bad_header(r, "the record header is incomplete "
				  "(was the recorder killed while starting?)");
	}
	ret = parse_sections(&r->info, sections, hdr.sections_size);
	free(sections);
	if (ret)
		return bad_header(r, "the record header is damaged "
				  "(a section does not fit)");
	r->offset = (uint64_t)hdr.header_size + hdr.sections_size;
	return 0;
}

static int stop_at(struct rec_reader *r, enum rec_tail tail, const char *why)
{
	struct stat st;

	r->tail = tail;
	r->tail_offset = r->offset;
	r->corrupt_why = why;
	if (fstat(fileno(r->f), &st) == 0 && (uint64_t)st.st_size > r->offset)
		r->tail_bytes = (uint64_t)st.st_size - r->offset;
	return 0;
}

int rec_next(struct rec_reader *r, const void **rec, size_t *len)
{
	unsigned char frame_bytes[REC_FRAME_SIZE];
	struct rec_frame frame;
	const char *why;
	size_t got;

	if (r->tail != REC_TAIL_CLEAN)
		return 0;
	if (read_exact(r, frame_bytes, sizeof(frame_bytes), &got))
		return -1;
	if (got == 0)
		return 0;
	if (got < sizeof(frame_bytes))
		return stop_at(r, REC_TAIL_TORN, NULL);
	rec_frame_get(frame_bytes, &frame);
	if (frame.size < REC_FRAME_SIZE)
		return stop_at(r, REC_TAIL_CORRUPT, "its size is too small");
	if (frame.size > REC_MAX_RECORD)
		return stop_at(r, REC_TAIL_CORRUPT,
			       "its size is larger than any record can be");
	if (frame.size > r->cap) {
		unsigned char *p = realloc(r->buf, frame.size);

		if (!p) {
			errmsg("out of memory reading %s", r->path);
			return -1;
		}
		r->buf = p;
		r->cap = frame.size;
	}
	memcpy(r->buf, frame_bytes, sizeof(frame_bytes));
	if (read_exact(r, r->buf + sizeof(frame_bytes),
		       frame.size - sizeof(frame_bytes), &got))
		return -1;
	if (got < frame.size - sizeof(frame_bytes))
		return stop_at(r, REC_TAIL_TORN, NULL);
	if (frame.type == DAMON_RECORD_SNAPSHOT) {
		struct snap s;

		if (snap_parse(&s, r->buf, frame.size, &why))
			return stop_at(r, REC_TAIL_CORRUPT, why);
		r->snapshots++;
	} else if (frame.type == DAMONREC_RECORD_END) {
		copy_struct(&r->end, sizeof(r->end), r->buf, frame.size);
		r->have_end = true;
	} else if (frame.type == DAMONREC_RECORD_TARGET) {
		struct damonrec_target_event e;

		copy_struct(&e, sizeof(e), r->buf, frame.size);
		if (e.hdr_size < sizeof(e) || e.hdr_size > frame.size)
			return stop_at(r, REC_TAIL_CORRUPT,
				       "a target record's header size is wrong");
		if (e.event == DAMONREC_TARGET_ARRIVED) {
			/* Later arrivals are named like the first targets. */
			if (add_arrival(&r->info, r->buf + e.hdr_size,
					frame.size - e.hdr_size))
				return stop_at(r, REC_TAIL_CORRUPT,
					       "a target record is too short");
			r->arrivals++;
		} else if (e.event == DAMONREC_TARGET_LEFT) {
			r->departures++;
		} else if (e.event == DAMONREC_TARGET_EXEC) {
			if (rename_target(&r->info, r->buf + e.hdr_size,
					  frame.size - e.hdr_size))
				return stop_at(r, REC_TAIL_CORRUPT,
					       "a target record is too short");
		}
	}
	r->offset += frame.size;
	*rec = r->buf;
	*len = frame.size;
	return 1;
}

void rec_warn_tail(const struct rec_reader *r)
{
	switch (r->tail) {
	case REC_TAIL_TORN:
		warnmsg("%s ends inside a record (the last %" PRIu64 " bytes, from "
			"byte %" PRIu64 "): its recorder was killed while writing "
			"(or is still running); the %" PRIu64 " whole snapshots "
			"before it are used", r->path, r->tail_bytes,
			r->tail_offset, r->snapshots);
		break;
	case REC_TAIL_CORRUPT:
		warnmsg("%s: the record at byte %" PRIu64 " is damaged (%s): "
			"the %" PRIu64 " bytes from there are ignored",
			r->path, r->tail_offset, r->corrupt_why, r->tail_bytes);
		break;
	case REC_TAIL_CLEAN:
		if (!r->have_end)
			warnmsg("%s has no end record: the recording did not "
				"finish (its recorder was killed, or is still "
				"running); the %" PRIu64 " snapshots in it are used",
				r->path, r->snapshots);
		break;
	}
}

void rec_close(struct rec_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	rec_info_free(&r->info);
	memset(r, 0, sizeof(*r));
}
