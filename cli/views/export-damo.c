// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl report --export damo-json: the recording in the record format
 * of damo, the DAMON user space tool, so that its reports and pictures
 * (damo report heatmap, wss, ...) can read our recordings.  Checked
 * against damo 3.x (_damo_records.py: DamonRecord and DamonSnapshot
 * from_kvpairs; _damon.py: DamonIntervals and DamonRegion from_kvpairs):
 *
 *   [ { "kdamond_idx": 0, "context_idx": 0,
 *       "intervals": { "sample_us", "aggr_us", "ops_update_us" },
 *       "scheme_idx": null, "target_id": PID, "scheme_filters": [],
 *       "snapshots": [ { "start_time": ns, "end_time": ns,
 *           "regions": [ { "start", "end",
 *               "nr_accesses": { "samples": N, "percent": null },
 *               "age": { "usec": null, "aggr_intervals": N },
 *               "sz_filter_passed": 0 } ],
 *           "total_bytes": N } ] }, ... ]
 *
 * one record per target.  damo-json-compressed is the same text through
 * zlib: damo's own default file type ("json_compressed"), which damo
 * recognises whatever file(1) says of JSON text.
 *
 * libsmartcols cannot nest objects, so this one output uses json-c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <zlib.h>

#include "damonctl.h"
#include "snapshot.h"
#include "view.h"

struct target_rec {
	int32_t pid;
	json_object *snapshots;		/* owned by the record object */
};

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *new_record(const struct rec_info *info, int32_t pid,
			       json_object **snapshots)
{
	json_object *rec = json_object_new_object(), *iv;

	iv = json_object_new_object();
	json_object_object_add(iv, "sample_us", u64(info->attrs.sample_us));
	json_object_object_add(iv, "aggr_us", u64(info->attrs.aggr_us));
	json_object_object_add(iv, "ops_update_us", u64(info->attrs.update_us));
	if (info->attrs.tune_goal_bp) {
		json_object *goal = json_object_new_object();

		json_object_object_add(goal, "access_bp",
				       u64(info->attrs.tune_goal_bp));
		json_object_object_add(goal, "aggrs", u64(info->attrs.tune_aggrs));
		json_object_object_add(goal, "min_sample_us",
				       u64(info->attrs.tune_min_sample_us));
		json_object_object_add(goal, "max_sample_us",
				       u64(info->attrs.tune_max_sample_us));
		json_object_object_add(iv, "intervals_goal", goal);
	}
	json_object_object_add(rec, "kdamond_idx", json_object_new_int(0));
	json_object_object_add(rec, "context_idx", json_object_new_int(0));
	json_object_object_add(rec, "intervals", iv);
	json_object_object_add(rec, "scheme_idx", NULL);
	/* damo's ids are opaque (a kernel address with perf); the pid is
	 * the one people know. */
	json_object_object_add(rec, "target_id", json_object_new_int(pid));
	json_object_object_add(rec, "scheme_filters", json_object_new_array());
	*snapshots = json_object_new_array();
	json_object_object_add(rec, "snapshots", *snapshots);
	return rec;
}

static json_object *snapshot_object(const struct snap *s,
				    const struct snap_target *st)
{
	json_object *o = json_object_new_object(), *regions;
	uint64_t total = 0;
	uint32_t i;

	regions = json_object_new_array_ext((int)st->t.nr_regions);
	for (i = 0; i < st->t.nr_regions; i++) {
		struct damon_snapshot_region r;
		json_object *ro = json_object_new_object(), *acc, *age;

		snap_region(st, i, &r);
		acc = json_object_new_object();
		json_object_object_add(acc, "samples", u64(r.nr_accesses));
		json_object_object_add(acc, "percent", NULL);
		age = json_object_new_object();
		json_object_object_add(age, "usec", NULL);
		json_object_object_add(age, "aggr_intervals", u64(r.age));
		json_object_object_add(ro, "start", u64(r.start));
		json_object_object_add(ro, "end", u64(r.end));
		json_object_object_add(ro, "nr_accesses", acc);
		json_object_object_add(ro, "age", age);
		json_object_object_add(ro, "sz_filter_passed", u64(0));
		json_object_array_add(regions, ro);
		total += r.end - r.start;
	}
	json_object_object_add(o, "start_time", u64(s->hdr.start_ns));
	json_object_object_add(o, "end_time", u64(s->hdr.end_ns));
	json_object_object_add(o, "regions", regions);
	json_object_object_add(o, "total_bytes", u64(total));
	return o;
}

static struct target_rec *record_for(json_object *root,
				     const struct rec_info *info,
				     struct target_rec **recs, size_t *n,
				     int32_t pid)
{
	struct target_rec *grown;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*recs)[i].pid == pid)
			return &(*recs)[i];
	grown = realloc(*recs, (*n + 1) * sizeof(**recs));
	if (!grown)
		return NULL;
	*recs = grown;
	grown[*n].pid = pid;
	json_object_array_add(root, new_record(info, pid, &grown[*n].snapshots));
	return &grown[(*n)++];
}

static int write_out(const char *text, size_t len, bool compress)
{
	unsigned char *z;
	uLongf zlen;
	int ret;

	if (!compress)
		return fwrite(text, 1, len, stdout) == len &&
			fputc('\n', stdout) != EOF ? 0 : -1;
	zlen = compressBound((uLong)len);
	z = malloc(zlen);
	if (!z)
		return -1;
	ret = compress2(z, &zlen, (const Bytef *)text, (uLong)len,
			Z_DEFAULT_COMPRESSION) == Z_OK &&
		fwrite(z, 1, zlen, stdout) == zlen ? 0 : -1;
	free(z);
	return ret;
}

int export_damo(struct rec_reader *r, const struct view_opts *o)
{
	bool compress = o->export == EXPORT_DAMO_JSON_ZLIB;
	json_object *root;
	struct target_rec *recs = NULL;
	const void *rec;
	size_t len, n = 0, i;
	uint64_t origin = r->info.time.monotonic_ns;
	const char *text;
	int more, ret = 0;

	if (compress && isatty(STDOUT_FILENO)) {
		errmsg("damo-json-compressed is binary: redirect standard output "
		       "to a file (damonctl report --export damo-json-compressed "
		       "%s > damon.data)", r->path);
		return EXIT_USAGE;
	}
	root = json_object_new_array();
	/* Targets in the order they were given, even those never seen. */
	for (i = 0; i < r->info.nr_targets; i++)
		if (!record_for(root, &r->info, &recs, &n, r->info.targets[i].pid))
			ret = -1;
	while (!ret && (more = rec_next(r, &rec, &len)) > 0) {
		const unsigned char *cursor;
		struct rec_frame frame;
		const char *why;
		struct snap s;

		rec_frame_get(rec, &frame);
		if (frame.type != DAMON_RECORD_SNAPSHOT)
			continue;
		snap_parse(&s, rec, len, &why);
		if (!origin)
			origin = s.hdr.start_ns;
		if (s.hdr.end_ns < origin + o->from_ns ||
		    s.hdr.end_ns - origin <= o->from_ns ||
		    s.hdr.end_ns - origin > o->to_ns)
			continue;
		cursor = s.first_target;
		for (i = 0; i < s.hdr.nr_targets; i++) {
			struct snap_target st;
			struct target_rec *t;

			snap_next_target(&s, &cursor, &st);
			if (!st.t.nr_regions)
				continue;	/* exited: damo has no such snapshot */
			t = record_for(root, &r->info, &recs, &n, st.t.pid);
			if (!t) {
				ret = -1;
				break;
			}
			json_object_array_add(t->snapshots,
					      snapshot_object(&s, &st));
		}
	}
	if (!ret && more < 0)
		ret = -1;
	rec_warn_tail(r);
	if (!ret) {
		text = json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (!text || write_out(text, strlen(text), compress))
			ret = -1;
	}
	json_object_put(root);
	free(recs);
	if (ret) {
		errmsg("exporting %s failed", r->path);
		return EXIT_FAIL;
	}
	return 0;
}
