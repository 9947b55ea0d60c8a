// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --format jsonl: every record of the file as one JSON
 * object per line, for scripts.  The schema is documented in damonctl(8)
 * and only grows: keys are never renamed or removed.
 *
 * Each line is libsmartcols' JSON for a one-row table, squeezed onto one
 * line, so the top-level key names the kind of line: "recording" (the
 * header, first), "snapshot" (one per snapshot), "maps" (a target's
 * mappings, when the recorder read them), "end" (last, if the recording
 * finished).  A snapshot's regions are parallel arrays
 * (region_pid[i], region_start[i], ...) because a libsmartcols cell can
 * hold an array but not an object.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "damonctl.h"
#include "maps.h"
#include "output.h"
#include "record.h"
#include "report.h"
#include "scheme.h"
#include "snapshot.h"

#define N SCOLS_JSON_NUMBER
#define S SCOLS_JSON_STRING
#define B SCOLS_JSON_BOOLEAN
#define AN SCOLS_JSON_ARRAY_NUMBER
#define AS SCOLS_JSON_ARRAY_STRING

struct jcol {
	const char *name;
	int type;
};

enum {
	R_VERSION, R_TOOL, R_KERNEL, R_START_TIME, R_START_REALTIME_NS,
	R_START_MONOTONIC_NS, R_API_VERSION, R_FEATURES, R_SAMPLE_US,
	R_AGGR_US, R_UPDATE_US, R_MIN_NR_REGIONS, R_MAX_NR_REGIONS,
	R_QUEUE_DEPTH, R_TLB_FLUSH, R_TUNE_GOAL_BP, R_TUNE_MIN_SAMPLE_US,
	R_TUNE_MAX_SAMPLE_US, R_TARGET_PID, R_TARGET_FLAGS,
	R_TARGET_COMM, R_TARGET_CMDLINE, R_COUNT
};

static const struct jcol recording_cols[R_COUNT] = {
	[R_VERSION] = { "version", N },
	[R_TOOL] = { "tool", S },
	[R_KERNEL] = { "kernel", S },
	[R_START_TIME] = { "start_time", S },
	[R_START_REALTIME_NS] = { "start_realtime_ns", N },
	[R_START_MONOTONIC_NS] = { "start_monotonic_ns", N },
	[R_API_VERSION] = { "api_version", N },
	[R_FEATURES] = { "features", N },
	[R_SAMPLE_US] = { "sample_us", N },
	[R_AGGR_US] = { "aggr_us", N },
	[R_UPDATE_US] = { "update_us", N },
	[R_MIN_NR_REGIONS] = { "min_nr_regions", N },
	[R_MAX_NR_REGIONS] = { "max_nr_regions", N },
	[R_QUEUE_DEPTH] = { "queue_depth", N },
	[R_TLB_FLUSH] = { "tlb_flush", B },
	[R_TUNE_GOAL_BP] = { "tune_goal_bp", N },
	[R_TUNE_MIN_SAMPLE_US] = { "tune_min_sample_us", N },
	[R_TUNE_MAX_SAMPLE_US] = { "tune_max_sample_us", N },
	[R_TARGET_PID] = { "target_pid", AN },
	[R_TARGET_FLAGS] = { "target_flags", AN },
	[R_TARGET_COMM] = { "target_comm", AS },
	[R_TARGET_CMDLINE] = { "target_cmdline", AS },
};

enum {
	S_SEQ, S_TIME_NS, S_START_NS, S_END_NS, S_SAMPLE_US, S_AGGR_US,
	S_NR_PASSES, S_DROPPED, S_CPU_NS, S_SAMPLES_DONE, S_SAMPLES_DUE,
	S_FLAGS, S_TARGET_PID, S_TARGET_FLAGS, S_TARGET_NR_REGIONS,
	S_REGION_PID, S_REGION_START, S_REGION_END, S_REGION_NR_ACCESSES,
	S_REGION_AGE, S_COUNT
};

static const struct jcol snapshot_cols[S_COUNT] = {
	[S_SEQ] = { "seq", N },
	[S_TIME_NS] = { "time_ns", N },
	[S_START_NS] = { "start_ns", N },
	[S_END_NS] = { "end_ns", N },
	[S_SAMPLE_US] = { "sample_us", N },
	[S_AGGR_US] = { "aggr_us", N },
	[S_NR_PASSES] = { "nr_passes", N },
	[S_DROPPED] = { "dropped", N },
	[S_CPU_NS] = { "cpu_ns", N },
	[S_SAMPLES_DONE] = { "samples_done", N },
	[S_SAMPLES_DUE] = { "samples_due", N },
	[S_FLAGS] = { "flags", N },
	[S_TARGET_PID] = { "target_pid", AN },
	[S_TARGET_FLAGS] = { "target_flags", AN },
	[S_TARGET_NR_REGIONS] = { "target_nr_regions", AN },
	[S_REGION_PID] = { "region_pid", AN },
	[S_REGION_START] = { "region_start", AN },
	[S_REGION_END] = { "region_end", AN },
	[S_REGION_NR_ACCESSES] = { "region_nr_accesses", AN },
	[S_REGION_AGE] = { "region_age", AN },
};

enum {
	E_CAUSE, E_SIGNAL, E_EXIT_STATUS, E_TIME_NS, E_END_REALTIME_NS,
	E_SNAPSHOTS, E_DROPPED, E_CPU_NS, E_END_REASON, E_COMPLETE, E_COUNT
};

static const struct jcol end_cols[E_COUNT] = {
	[E_CAUSE] = { "cause", S },
	[E_SIGNAL] = { "signal", S },
	[E_EXIT_STATUS] = { "exit_status", N },
	[E_TIME_NS] = { "time_ns", N },
	[E_END_REALTIME_NS] = { "end_realtime_ns", N },
	[E_SNAPSHOTS] = { "snapshots", N },
	[E_DROPPED] = { "dropped", N },
	[E_CPU_NS] = { "cpu_ns", N },
	[E_END_REASON] = { "end_reason", S },
	[E_COMPLETE] = { "complete", B },
};

enum {
	M_PID, M_TIME_NS, M_START, M_END, M_PERMS, M_PATH, M_COUNT
};

static const struct jcol maps_cols[M_COUNT] = {
	[M_PID] = { "pid", N },
	[M_TIME_NS] = { "time_ns", N },
	[M_START] = { "start", AN },
	[M_END] = { "end", AN },
	[M_PERMS] = { "perms", AS },
	[M_PATH] = { "path", AS },
};

enum { T_EVENT, T_PID, T_TIME_NS, T_COMM, T_COUNT };

static const struct jcol target_cols[T_COUNT] = {
	[T_EVENT] = { "event", S },
	[T_PID] = { "pid", N },
	[T_TIME_NS] = { "time_ns", N },
	[T_COMM] = { "comm", S },
};

enum {
	C_TIME_NS, C_TEXT, C_ACTION, C_ACTIVE, C_STAT_ONLY, C_SNAPSHOTS,
	C_INACTIVE, C_MATCHED_REGIONS, C_MATCHED_BYTES, C_APPLIED_REGIONS,
	C_APPLIED_BYTES, C_QUOTA_BYTES, C_UNMAPPED_BYTES, C_REFUSED_EINVAL,
	C_REFUSED_EPERM, C_REFUSED_EAGAIN, C_REFUSED_ENOMEM, C_REFUSED_OTHER,
	C_CPU_NS, C_LAST_ERRNO, C_COUNT
};

/* Parallel arrays, one element per scheme in the order given. */
static const struct jcol schemes_cols[C_COUNT] = {
	[C_TIME_NS] = { "time_ns", N },
	[C_TEXT] = { "scheme", AS },
	[C_ACTION] = { "action", AS },
	[C_ACTIVE] = { "active", AN },
	[C_STAT_ONLY] = { "stat_only", AN },
	[C_SNAPSHOTS] = { "snapshots", AN },
	[C_INACTIVE] = { "inactive_snapshots", AN },
	[C_MATCHED_REGIONS] = { "matched_regions", AN },
	[C_MATCHED_BYTES] = { "matched_bytes", AN },
	[C_APPLIED_REGIONS] = { "applied_regions", AN },
	[C_APPLIED_BYTES] = { "applied_bytes", AN },
	[C_QUOTA_BYTES] = { "quota_bytes", AN },
	[C_UNMAPPED_BYTES] = { "unmapped_bytes", AN },
	[C_REFUSED_EINVAL] = { "refused_einval_bytes", AN },
	[C_REFUSED_EPERM] = { "refused_eperm_bytes", AN },
	[C_REFUSED_EAGAIN] = { "refused_eagain_bytes", AN },
	[C_REFUSED_ENOMEM] = { "refused_enomem_bytes", AN },
	[C_REFUSED_OTHER] = { "refused_other_bytes", AN },
	[C_CPU_NS] = { "cpu_ns", AN },
	[C_LAST_ERRNO] = { "last_errno", AN },
};

static struct libscols_table *new_table(const char *name,
					const struct jcol *cols, size_t n)
{
	struct out_format fmt = { .json = true };
	struct libscols_table *tb = out_new_table(name, &fmt);
	size_t i;

	for (i = 0; tb && i < n; i++) {
		struct libscols_column *cl =
			scols_table_new_column(tb, cols[i].name, 0, 0);

		if (!cl) {
			scols_unref_table(tb);
			return NULL;
		}
		if (cols[i].type == AN || cols[i].type == AS)
			out_make_array(cl, cols[i].type);
		else
			scols_column_set_json_type(cl, cols[i].type);
	}
	return tb;
}

static void cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cell(struct libscols_line *ln, size_t col, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0)
		scols_line_refer_data(ln, col, s);	/* libsmartcols frees it */
}

/* An array cell is its elements, one per line of the cell's text. */
struct list {
	char *text;
	size_t len;
	FILE *f;
	bool any;
};

static int list_open(struct list *l)
{
	memset(l, 0, sizeof(*l));
	l->f = open_memstream(&l->text, &l->len);
	return l->f ? 0 : -1;
}

static void list_add(struct list *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void list_add(struct list *l, const char *fmt, ...)
{
	va_list ap;

	if (l->any)
		fputc('\n', l->f);
	l->any = true;
	va_start(ap, fmt);
	vfprintf(l->f, fmt, ap);
	va_end(ap);
}

static void list_close(struct list *l, struct libscols_line *ln, size_t col)
{
	fclose(l->f);
	scols_line_refer_data(ln, col, l->text);
}

/* Prints the table's one row as one line, then forgets the row. */
static int print_line(struct libscols_table *tb)
{
	char *json = NULL;
	int ret = scols_print_table_to_string(tb, &json);

	if (!ret && json)
		ret = fprintf(stdout, "%s\n", out_json_one_line(json)) < 0;
	free(json);
	scols_table_remove_lines(tb);
	return ret;
}

static char *one_line_text(const char *s)
{
	char *t = strdup(s), *p;

	for (p = t; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return t;
}

static int print_recording(const struct rec_info *info)
{
	struct libscols_table *tb = new_table("recording", recording_cols, R_COUNT);
	struct libscols_line *ln = tb ? scols_table_new_line(tb, NULL) : NULL;
	struct list pid, flags, comm, cmdline;
	time_t secs = (time_t)(info->time.realtime_ns / 1000000000);
	char when[64] = "";
	struct tm tm;
	size_t i;
	int ret;

	if (!ln || list_open(&pid)) {
		scols_unref_table(tb);
		return -1;
	}
	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	cell(ln, R_VERSION, "%" PRIu32, info->version);
	if (info->tool)
		cell(ln, R_TOOL, "%s", info->tool);
	if (info->kernel)
		cell(ln, R_KERNEL, "%s", info->kernel);
	cell(ln, R_START_TIME, "%s.%03" PRIu64 "Z", when,
	     (uint64_t)(info->time.realtime_ns % 1000000000 / 1000000));
	cell(ln, R_START_REALTIME_NS, "%" PRIu64, (uint64_t)info->time.realtime_ns);
	cell(ln, R_START_MONOTONIC_NS, "%" PRIu64,
	     (uint64_t)info->time.monotonic_ns);
	cell(ln, R_API_VERSION, "%" PRIu32, info->handshake.api_version);
	cell(ln, R_FEATURES, "%" PRIu64, (uint64_t)info->handshake.features);
	cell(ln, R_SAMPLE_US, "%" PRIu64, (uint64_t)info->attrs.sample_us);
	cell(ln, R_AGGR_US, "%" PRIu64, (uint64_t)info->attrs.aggr_us);
	cell(ln, R_UPDATE_US, "%" PRIu64, (uint64_t)info->attrs.update_us);
	cell(ln, R_MIN_NR_REGIONS, "%" PRIu32, info->attrs.min_nr_regions);
	cell(ln, R_MAX_NR_REGIONS, "%" PRIu32, info->attrs.max_nr_regions);
	cell(ln, R_QUEUE_DEPTH, "%" PRIu32, info->attrs.queue_depth);
	cell(ln, R_TLB_FLUSH, "%d", !!(info->attrs.flags & DAMON_ATTR_TLB_FLUSH));
	cell(ln, R_TUNE_GOAL_BP, "%" PRIu32, info->attrs.tune_goal_bp);
	cell(ln, R_TUNE_MIN_SAMPLE_US, "%" PRIu64,
	     (uint64_t)info->attrs.tune_min_sample_us);
	cell(ln, R_TUNE_MAX_SAMPLE_US, "%" PRIu64,
	     (uint64_t)info->attrs.tune_max_sample_us);
	list_open(&flags);
	list_open(&comm);
	list_open(&cmdline);
	for (i = 0; i < info->nr_targets; i++) {
		const struct rec_target_info *t = &info->targets[i];
		char *c = rec_target_cmdline(t), *n = one_line_text(t->comm);

		list_add(&pid, "%d", (int)t->pid);
		list_add(&flags, "%" PRIu32, t->flags);
		list_add(&comm, "%s", n ? n : "");
		list_add(&cmdline, "%s", c ? c : "");
		free(c);
		free(n);
	}
	list_close(&pid, ln, R_TARGET_PID);
	list_close(&flags, ln, R_TARGET_FLAGS);
	list_close(&comm, ln, R_TARGET_COMM);
	list_close(&cmdline, ln, R_TARGET_CMDLINE);
	ret = print_line(tb);
	scols_unref_table(tb);
	return ret;
}

static int print_snapshot(struct libscols_table *tb, const void *rec,
			  size_t len, uint64_t origin_ns)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	struct list l[S_COUNT];
	const unsigned char *cursor;
	const char *why;
	struct snap s;
	uint32_t i, j;
	int k;

	if (!ln)
		return -1;
	snap_parse(&s, rec, len, &why);
	cell(ln, S_SEQ, "%" PRIu64, (uint64_t)s.hdr.seq);
	cell(ln, S_TIME_NS, "%" PRIu64, s.hdr.end_ns > origin_ns ?
	     (uint64_t)s.hdr.end_ns - origin_ns : 0);
	cell(ln, S_START_NS, "%" PRIu64, (uint64_t)s.hdr.start_ns);
	cell(ln, S_END_NS, "%" PRIu64, (uint64_t)s.hdr.end_ns);
	cell(ln, S_SAMPLE_US, "%" PRIu64, (uint64_t)s.hdr.sample_us);
	cell(ln, S_AGGR_US, "%" PRIu64, (uint64_t)s.hdr.aggr_us);
	cell(ln, S_NR_PASSES, "%" PRIu32, s.hdr.nr_passes);
	cell(ln, S_DROPPED, "%" PRIu64, (uint64_t)s.hdr.dropped);
	cell(ln, S_CPU_NS, "%" PRIu64, (uint64_t)s.hdr.cpu_ns);
	cell(ln, S_SAMPLES_DONE, "%" PRIu64, (uint64_t)s.hdr.samples_done);
	cell(ln, S_SAMPLES_DUE, "%" PRIu64, (uint64_t)s.hdr.samples_due);
	cell(ln, S_FLAGS, "%" PRIu32, s.hdr.flags);
	for (k = S_TARGET_PID; k <= S_REGION_AGE; k++)
		if (list_open(&l[k])) {
			while (--k >= S_TARGET_PID)
				list_close(&l[k], ln, (size_t)k);
			return -1;
		}
	cursor = s.first_target;
	for (i = 0; i < s.hdr.nr_targets; i++) {
		struct snap_target st;

		snap_next_target(&s, &cursor, &st);
		list_add(&l[S_TARGET_PID], "%d", (int)st.t.pid);
		list_add(&l[S_TARGET_FLAGS], "%" PRIu32, st.t.flags);
		list_add(&l[S_TARGET_NR_REGIONS], "%" PRIu32, st.t.nr_regions);
		for (j = 0; j < st.t.nr_regions; j++) {
			struct damon_snapshot_region r;

			snap_region(&st, j, &r);
			list_add(&l[S_REGION_PID], "%d", (int)st.t.pid);
			list_add(&l[S_REGION_START], "%" PRIu64, (uint64_t)r.start);
			list_add(&l[S_REGION_END], "%" PRIu64, (uint64_t)r.end);
			list_add(&l[S_REGION_NR_ACCESSES], "%" PRIu32,
				 r.nr_accesses);
			list_add(&l[S_REGION_AGE], "%" PRIu32, r.age);
		}
	}
	for (k = S_TARGET_PID; k <= S_REGION_AGE; k++)
		list_close(&l[k], ln, (size_t)k);
	return print_line(tb);
}

static int print_maps(struct libscols_table *tb, const void *rec, size_t len,
		      uint64_t origin_ns)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	struct list start, end, perms, path;
	struct damonrec_maps hdr;
	const char *text;
	size_t text_len, i;
	struct maps m;

	if (!ln)
		return -1;
	if (rec_parse_maps(rec, len, &hdr, &text, &text_len) ||
	    maps_parse(text, text_len, &m)) {
		scols_table_remove_lines(tb);
		return 0;	/* not one we can read: skipped like any */
	}
	cell(ln, M_PID, "%d", (int)hdr.pid);
	cell(ln, M_TIME_NS, "%" PRIu64, hdr.monotonic_ns > origin_ns ?
	     (uint64_t)hdr.monotonic_ns - origin_ns : 0);
	list_open(&start);
	list_open(&end);
	list_open(&perms);
	list_open(&path);
	for (i = 0; i < m.n; i++) {
		/* One line per element: a newline in a path would split it. */
		char *p = one_line_text(m.e[i].path);

		list_add(&start, "%" PRIu64, m.e[i].start);
		list_add(&end, "%" PRIu64, m.e[i].end);
		list_add(&perms, "%s", m.e[i].perms);
		list_add(&path, "%s", p ? p : "");
		free(p);
	}
	list_close(&start, ln, M_START);
	list_close(&end, ln, M_END);
	list_close(&perms, ln, M_PERMS);
	list_close(&path, ln, M_PATH);
	maps_free(&m);
	return print_line(tb);
}

/* {"target":{"event":"arrived","pid":..}}: start --cgroup's comings and
 * goings. */
static int print_target(const void *rec, size_t len, uint64_t origin_ns)
{
	static const char *const events[] = {
		[DAMONREC_TARGET_ARRIVED] = "arrived",
		[DAMONREC_TARGET_LEFT] = "left",
		[DAMONREC_TARGET_REFUSED] = "refused",
		[DAMONREC_TARGET_EXEC] = "exec",
	};
	struct libscols_table *tb;
	struct libscols_line *ln;
	struct damonrec_target_event e;
	struct damonrec_target t;
	int ret;

	if (len < sizeof(e))
		return 0;
	memcpy(&e, rec, sizeof(e));
	if (e.hdr_size < sizeof(e) || len - e.hdr_size < sizeof(t) ||
	    e.event < DAMONREC_TARGET_ARRIVED || e.event > DAMONREC_TARGET_EXEC)
		return 0;	/* not one we can read: skipped like any */
	memcpy(&t, (const unsigned char *)rec + e.hdr_size, sizeof(t));
	tb = new_table("target", target_cols, T_COUNT);
	ln = tb ? scols_table_new_line(tb, NULL) : NULL;
	if (!ln) {
		scols_unref_table(tb);
		return -1;
	}
	cell(ln, T_EVENT, "%s", events[e.event]);
	cell(ln, T_PID, "%d", (int)t.pid);
	cell(ln, T_TIME_NS, "%" PRIu64, e.monotonic_ns > origin_ns ?
	     (uint64_t)e.monotonic_ns - origin_ns : 0);
	if (e.event != DAMONREC_TARGET_LEFT)
		cell(ln, T_COMM, "%.*s", (int)strnlen(t.comm, sizeof(t.comm)),
		     t.comm);
	ret = print_line(tb);
	scols_unref_table(tb);
	return ret;
}

/* What the schemes had done by then: one line per schemes record. */
static int print_schemes(const void *rec, size_t len, uint64_t origin_ns)
{
	struct damonrec_scheme_stats st[SCHEME_RECORD_MAX];
	struct list l[C_COUNT];
	struct damonrec_schemes hdr;
	struct libscols_table *tb;
	struct libscols_line *ln;
	int n, i, c, ret;

	n = rec_parse_schemes(rec, len, &hdr, st, SCHEME_RECORD_MAX);
	if (n < 0)
		return 0;	/* not one we can read: skipped like any */
	if (n > SCHEME_RECORD_MAX)
		n = SCHEME_RECORD_MAX;
	tb = new_table("schemes", schemes_cols, C_COUNT);
	ln = tb ? scols_table_new_line(tb, NULL) : NULL;
	if (!ln) {
		scols_unref_table(tb);
		return -1;
	}
	cell(ln, C_TIME_NS, "%" PRIu64, hdr.monotonic_ns > origin_ns ?
	     (uint64_t)hdr.monotonic_ns - origin_ns : 0);
	for (c = C_TEXT; c < C_COUNT; c++)
		list_open(&l[c]);
	for (i = 0; i < n; i++) {
		const struct damonrec_scheme_stats *s = &st[i];
		char *text = one_line_text(s->text);

		list_add(&l[C_TEXT], "%s", text ? text : "");
		free(text);
		list_add(&l[C_ACTION], "%s", scheme_action_name(s->action));
		list_add(&l[C_ACTIVE], "%d",
			 !!(s->flags & DAMONREC_SCHEME_ACTIVE));
		list_add(&l[C_STAT_ONLY], "%d",
			 !!(s->flags & DAMONREC_SCHEME_STAT_ONLY));
		list_add(&l[C_SNAPSHOTS], "%" PRIu64, (uint64_t)s->snapshots);
		list_add(&l[C_INACTIVE], "%" PRIu64, (uint64_t)s->inactive);
		list_add(&l[C_MATCHED_REGIONS], "%" PRIu64,
			 (uint64_t)s->matched_regions);
		list_add(&l[C_MATCHED_BYTES], "%" PRIu64,
			 (uint64_t)s->matched_bytes);
		list_add(&l[C_APPLIED_REGIONS], "%" PRIu64,
			 (uint64_t)s->applied_regions);
		list_add(&l[C_APPLIED_BYTES], "%" PRIu64,
			 (uint64_t)s->applied_bytes);
		list_add(&l[C_QUOTA_BYTES], "%" PRIu64, (uint64_t)s->quota_bytes);
		list_add(&l[C_UNMAPPED_BYTES], "%" PRIu64,
			 (uint64_t)s->unmapped_bytes);
		for (c = 0; c < DAMONREC_NR_REFUSALS; c++)
			list_add(&l[C_REFUSED_EINVAL + c], "%" PRIu64,
				 (uint64_t)s->refused_bytes[c]);
		list_add(&l[C_CPU_NS], "%" PRIu64, (uint64_t)s->cpu_ns);
		list_add(&l[C_LAST_ERRNO], "%d", (int)s->last_errno);
	}
	for (c = C_TEXT; c < C_COUNT; c++)
		list_close(&l[c], ln, (size_t)c);
	ret = print_line(tb);
	scols_unref_table(tb);
	return ret;
}

static const char *cause_name(uint32_t cause)
{
	switch (cause) {
	case DAMONREC_CAUSE_TARGETS_EXITED: return "targets-exited";
	case DAMONREC_CAUSE_SIGNAL: return "signal";
	case DAMONREC_CAUSE_DURATION: return "duration";
	case DAMONREC_CAUSE_COMMAND: return "command-exited";
	case DAMONREC_CAUSE_ERROR: return "error";
	default: return "unknown";
	}
}

static const char *end_reason_name(uint32_t reason)
{
	switch (reason) {
	case DAMON_END_NONE: return "none";
	case DAMON_END_STOPPED: return "stopped";
	case DAMON_END_TARGETS_EXITED: return "targets-exited";
	default: return "unknown";
	}
}

static int print_end(const struct damonrec_end *e, uint64_t origin_ns)
{
	struct libscols_table *tb = new_table("end", end_cols, E_COUNT);
	struct libscols_line *ln = tb ? scols_table_new_line(tb, NULL) : NULL;
	int sig = 0, ret;

	if (!ln) {
		scols_unref_table(tb);
		return -1;
	}
	cell(ln, E_CAUSE, "%s", cause_name(e->cause));
	if (e->cause == DAMONREC_CAUSE_SIGNAL)
		sig = e->detail;
	if (e->cause == DAMONREC_CAUSE_COMMAND) {
		if (WIFEXITED(e->detail))
			cell(ln, E_EXIT_STATUS, "%d", WEXITSTATUS(e->detail));
		else if (WIFSIGNALED(e->detail))
			sig = WTERMSIG(e->detail);
	}
	if (sig) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev)
			cell(ln, E_SIGNAL, "SIG%s", abbrev);
		else
			cell(ln, E_SIGNAL, "%d", sig);
	}
	cell(ln, E_TIME_NS, "%" PRIu64, e->monotonic_ns > origin_ns ?
	     (uint64_t)e->monotonic_ns - origin_ns : 0);
	cell(ln, E_END_REALTIME_NS, "%" PRIu64, (uint64_t)e->realtime_ns);
	cell(ln, E_SNAPSHOTS, "%" PRIu64, (uint64_t)e->snapshots);
	cell(ln, E_DROPPED, "%" PRIu64, (uint64_t)e->dropped);
	cell(ln, E_CPU_NS, "%" PRIu64, (uint64_t)e->cpu_ns);
	cell(ln, E_END_REASON, "%s", end_reason_name(e->end_reason));
	cell(ln, E_COMPLETE, "%d", !(e->flags & DAMONREC_END_DRAIN_TIMEOUT));
	ret = print_line(tb);
	scols_unref_table(tb);
	return ret;
}

int report_jsonl(struct rec_reader *r)
{
	struct libscols_table *snapshots, *maps;
	uint64_t origin_ns = r->info.time.monotonic_ns;
	const void *rec;
	size_t len;
	int ret = 0, more;

	snapshots = new_table("snapshot", snapshot_cols, S_COUNT);
	maps = new_table("maps", maps_cols, M_COUNT);
	if (!snapshots || !maps || print_recording(&r->info))
		ret = -1;
	while (!ret && (more = rec_next(r, &rec, &len)) > 0) {
		struct rec_frame frame;

		rec_frame_get(rec, &frame);
		if (frame.type == DAMON_RECORD_SNAPSHOT)
			ret = print_snapshot(snapshots, rec, len, origin_ns);
		else if (frame.type == DAMONREC_RECORD_MAPS)
			ret = print_maps(maps, rec, len, origin_ns);
		else if (frame.type == DAMONREC_RECORD_END)
			ret = print_end(&r->end, origin_ns);
		else if (frame.type == DAMONREC_RECORD_TARGET)
			ret = print_target(rec, len, origin_ns);
		else if (frame.type == DAMONREC_RECORD_SCHEMES)
			ret = print_schemes(rec, len, origin_ns);
	}
	if (!ret && more < 0)
		ret = -1;
	scols_unref_table(snapshots);
	scols_unref_table(maps);
	rec_warn_tail(r);
	if (ret)
		errmsg("writing the JSON lines of %s failed", r->path);
	return ret ? EXIT_FAIL : EXIT_OK;
}
