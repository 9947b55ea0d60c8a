// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's metrics in Prometheus's text exposition format (version
 * 0.0.4): every family with HELP and TYPE, one series per target group
 * (label cgroup), and with --per-process the processes with the largest
 * working sets.  damonctl(8) documents every metric.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter.h"

/* A label value with \, " and newline escaped, into a static buffer. */
static const char *esc(const char *v, char *buf, size_t len)
{
	size_t o = 0;

	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			buf[o++] = '\\';
			buf[o++] = *v;
		} else if (*v == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *v;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One value per group: field picks it out of the sums. */
#define PER_GROUP(f, ex, sums, name, type, help, fmt, expr)		\
	do {								\
		size_t _i;						\
		char _l[1024];						\
		family(f, name, type, help);				\
		for (_i = 0; _i < (ex)->ng; _i++) {			\
			const struct xp_group *g = &(ex)->groups[_i];	\
			const struct xp_sums *gs = &(sums)[_i];	\
			(void)g; (void)gs;				\
			fprintf(f, "%s{cgroup=\"%s\"} " fmt "\n", name,	\
				esc(g->g.label, _l, sizeof(_l)), expr);	\
		}							\
	} while (0)

static void per_process(FILE *f, struct exporter *ex)
{
	struct xp_row *rows;
	size_t i, n = xp_rows(ex, &rows);
	char l[1024], c[64];
	int m;

	if (n > ex->max_processes)
		n = ex->max_processes;
#define ROW_LABELS "{cgroup=\"%s\",pid=\"%" PRId32 "\",comm=\"%s\"}"
#define ROW_ARGS(r) esc((r)->g->g.label, l, sizeof(l)), (r)->t->pid, \
	esc((r)->t->comm, c, sizeof(c))
	family(f, "damon_process_monitored_bytes", "gauge",
	       "Bytes of the process's address space that are monitored.");
	for (i = 0; i < n; i++)
		fprintf(f, "damon_process_monitored_bytes" ROW_LABELS " %" PRIu64 "\n",
			ROW_ARGS(&rows[i]), rows[i].t->monitored);
	family(f, "damon_process_working_set_bytes", "gauge",
	       "Bytes of the process found accessed in the last aggregation interval.");
	for (i = 0; i < n; i++)
		fprintf(f, "damon_process_working_set_bytes" ROW_LABELS " %" PRIu64 "\n",
			ROW_ARGS(&rows[i]), rows[i].t->wss);
	family(f, "damon_process_idle_bytes", "gauge",
	       "Bytes of the process not accessed for at least idle_seconds.");
	for (i = 0; i < n; i++)
		for (m = 0; m < XP_NR_IDLE; m++)
			fprintf(f, "damon_process_idle_bytes{cgroup=\"%s\",pid=\"%"
				PRId32 "\",comm=\"%s\",idle_seconds=\"%u\"} %" PRIu64 "\n",
				ROW_ARGS(&rows[i]), xp_idle_seconds[m],
				rows[i].t->idle[m]);
	free(rows);
}

/*
 * --scheme: one series per group and scheme (labels scheme, its number in
 * the order given, and action), counters over the exporter's life.
 */
static void schemes(FILE *f, const struct exporter *ex,
		    const struct xp_sums *sums)
{
	static const char *const reasons[DAMONREC_NR_REFUSALS] = {
		"EINVAL", "EPERM", "EAGAIN", "ENOMEM", "other",
	};
	static const struct {
		const char *name, *type, *help;
		size_t off;	/* of a u64 in struct damonrec_scheme_stats */
	} plain[] = {
		{ "damon_scheme_matched_bytes_total", "counter",
		  "Bytes of regions that matched the scheme, summed over the snapshots it looked at.",
		  offsetof(struct damonrec_scheme_stats, matched_bytes) },
		{ "damon_scheme_applied_bytes_total", "counter",
		  "Bytes the kernel took the scheme's advice for (for stat: bytes counted).",
		  offsetof(struct damonrec_scheme_stats, applied_bytes) },
		{ "damon_scheme_quota_held_bytes_total", "counter",
		  "Bytes that matched but were held back by the scheme's quotas.",
		  offsetof(struct damonrec_scheme_stats, quota_bytes) },
		{ "damon_scheme_unmapped_bytes_total", "counter",
		  "Bytes that matched but were no longer mapped when acted on: skipped.",
		  offsetof(struct damonrec_scheme_stats, unmapped_bytes) },
	};
	char l[1024];
	size_t i, j, p;
	int k;

#define SCHEME_LABELS "{cgroup=\"%s\",scheme=\"%zu\",action=\"%s\""
#define SCHEME_ARGS esc(ex->groups[i].g.label, l, sizeof(l)), j + 1, \
	scheme_action_name(ex->schemes[j].action)
	for (p = 0; p < sizeof(plain) / sizeof(plain[0]); p++) {
		family(f, plain[p].name, plain[p].type, plain[p].help);
		for (i = 0; i < ex->ng; i++)
			for (j = 0; sums[i].schemes && j < ex->nschemes; j++) {
				uint64_t v;

				memcpy(&v, (const char *)&sums[i].schemes[j] +
				       plain[p].off, sizeof(v));
				fprintf(f, "%s" SCHEME_LABELS "} %" PRIu64 "\n",
					plain[p].name, SCHEME_ARGS, v);
			}
	}
	family(f, "damon_scheme_refused_bytes_total", "counter",
	       "Bytes the kernel refused to advise, by errno (reason).");
	for (i = 0; i < ex->ng; i++)
		for (j = 0; sums[i].schemes && j < ex->nschemes; j++)
			for (k = 0; k < DAMONREC_NR_REFUSALS; k++)
				fprintf(f, "damon_scheme_refused_bytes_total"
					SCHEME_LABELS ",reason=\"%s\"} %" PRIu64 "\n",
					SCHEME_ARGS, reasons[k],
					(uint64_t)sums[i].schemes[j].refused_bytes[k]);
	family(f, "damon_scheme_cpu_seconds_total", "counter",
	       "The exporter's CPU time acting for the scheme.");
	for (i = 0; i < ex->ng; i++)
		for (j = 0; sums[i].schemes && j < ex->nschemes; j++)
			fprintf(f, "damon_scheme_cpu_seconds_total" SCHEME_LABELS
				"} %.6f\n", SCHEME_ARGS,
				sums[i].schemes[j].cpu_ns / 1e9);
	family(f, "damon_scheme_active", "gauge",
	       "1 while the scheme's watermarks let it act in any of the group's sessions.");
	for (i = 0; i < ex->ng; i++)
		for (j = 0; sums[i].schemes && j < ex->nschemes; j++)
			fprintf(f, "damon_scheme_active" SCHEME_LABELS "} %d\n",
				SCHEME_ARGS, !!(sums[i].schemes[j].flags &
						DAMONREC_SCHEME_ACTIVE));
	family(f, "damon_scheme_stat_only", "gauge",
	       "1 if the scheme only counts: the exporter lacks CAP_SYS_NICE.");
	for (i = 0; i < ex->ng; i++)
		for (j = 0; sums[i].schemes && j < ex->nschemes; j++)
			fprintf(f, "damon_scheme_stat_only" SCHEME_LABELS "} %d\n",
				SCHEME_ARGS, !!(sums[i].schemes[j].flags &
						DAMONREC_SCHEME_STAT_ONLY));
#undef SCHEME_LABELS
#undef SCHEME_ARGS
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

char *xp_render(struct exporter *ex, size_t *len)
{
	double t0 = mono_s();
	struct xp_sums *sums;
	char *text = NULL, l[1024];
	size_t i, sessions = 0;
	FILE *f;
	int k;

	f = open_memstream(&text, len);
	if (!f)
		return NULL;
	pthread_mutex_lock(&ex->lock);
	sums = calloc(ex->ng ? ex->ng : 1, sizeof(*sums));
	if (!sums) {
		pthread_mutex_unlock(&ex->lock);
		fclose(f);
		free(text);
		return NULL;
	}
	for (i = 0; i < ex->ng; i++) {
		xp_sum_group(ex, &ex->groups[i], &sums[i]);
		sessions += sums[i].sessions;
	}
	PER_GROUP(f, ex, sums, "damon_monitored_bytes", "gauge",
		  "Bytes of the group's address spaces that are monitored.",
		  "%" PRIu64, gs->monitored);
	PER_GROUP(f, ex, sums, "damon_working_set_bytes", "gauge",
		  "Bytes found accessed at least once in the last aggregation interval (damon_aggregation_interval_seconds).",
		  "%" PRIu64, gs->wss);
	family(f, "damon_idle_bytes", "gauge",
	       "Bytes not accessed for at least idle_seconds.");
	for (i = 0; i < ex->ng; i++)
		for (k = 0; k < XP_NR_IDLE; k++)
			fprintf(f, "damon_idle_bytes{cgroup=\"%s\",idle_seconds=\"%u\"} %"
				PRIu64 "\n", esc(ex->groups[i].g.label, l, sizeof(l)),
				xp_idle_seconds[k], sums[i].idle[k]);
	PER_GROUP(f, ex, sums, "damon_regions", "gauge",
		  "Monitoring regions of the group's processes.",
		  "%" PRIu64, gs->regions);
	PER_GROUP(f, ex, sums, "damon_targets", "gauge",
		  "Processes of the group being monitored.",
		  "%" PRIu64, gs->targets);
	PER_GROUP(f, ex, sums, "damon_targets_skipped", "gauge",
		  "Processes of the group that this user may not monitor.",
		  "%zu", g->nskipped);
	PER_GROUP(f, ex, sums, "damon_targets_revoked_total", "counter",
		  "Processes whose monitoring the module revoked (setuid exec, made non-dumpable).",
		  "%" PRIu64, g->revoked);
	PER_GROUP(f, ex, sums, "damon_group_present", "gauge",
		  "1 while the cgroup or process exists, 0 once it is gone.",
		  "%d", g->gone ? 0 : 1);
	PER_GROUP(f, ex, sums, "damon_sessions", "gauge",
		  "Open /dev/damon sessions of the group (one per max_targets processes).",
		  "%" PRIu64, gs->sessions);
	PER_GROUP(f, ex, sums, "damon_kdamond_cpu_seconds_total", "counter",
		  "CPU time of the group's monitoring kernel threads.",
		  "%.6f", g->cpu_ns / 1e9);
	PER_GROUP(f, ex, sums, "damon_snapshots_total", "counter",
		  "Snapshots read from the group's sessions.",
		  "%" PRIu64, g->snapshots);
	PER_GROUP(f, ex, sums, "damon_snapshots_dropped_total", "counter",
		  "Snapshots the module dropped because the exporter did not read them in time.",
		  "%" PRIu64, g->dropped);
	family(f, "damon_samples_done_ratio", "gauge",
	       "Samples taken / samples due in the last aggregation interval; below 0.9 the kernel threads fall behind.");
	for (i = 0; i < ex->ng; i++)
		if (sums[i].due)
			fprintf(f, "damon_samples_done_ratio{cgroup=\"%s\"} %.4f\n",
				esc(ex->groups[i].g.label, l, sizeof(l)),
				(double)sums[i].done / (double)sums[i].due);
	family(f, "damon_sampling_interval_seconds", "gauge",
	       "Sampling interval in force (mean over the group's sessions; auto-tuned).");
	for (i = 0; i < ex->ng; i++)
		if (sums[i].sample_s > 0)
			fprintf(f, "damon_sampling_interval_seconds{cgroup=\"%s\"} %g\n",
				esc(ex->groups[i].g.label, l, sizeof(l)),
				sums[i].sample_s);
	family(f, "damon_aggregation_interval_seconds", "gauge",
	       "Aggregation interval in force: the window of damon_working_set_bytes.");
	for (i = 0; i < ex->ng; i++)
		if (sums[i].aggr_s > 0)
			fprintf(f, "damon_aggregation_interval_seconds{cgroup=\"%s\"} %g\n",
				esc(ex->groups[i].g.label, l, sizeof(l)),
				sums[i].aggr_s);
	if (ex->nschemes)
		schemes(f, ex, sums);
	if (ex->per_process)
		per_process(f, ex);
	family(f, "damon_device_up", "gauge",
	       "1 if /dev/damon could be opened at the last attempt.");
	fprintf(f, "damon_device_up %d\n", ex->device_up ? 1 : 0);
	family(f, "damon_exporter_reconnects_total", "counter",
	       "Times /dev/damon worked again after failing (module loaded or reloaded).");
	fprintf(f, "damon_exporter_reconnects_total %" PRIu64 "\n", ex->reconnects);
	family(f, "damon_exporter_errors_total", "counter",
	       "Problems met (each different one is logged once).");
	fprintf(f, "damon_exporter_errors_total %" PRIu64 "\n", ex->errors);
	family(f, "damon_exporter_sessions", "gauge",
	       "Open /dev/damon sessions of this exporter.");
	fprintf(f, "damon_exporter_sessions %zu\n", sessions);
	for (i = 0; i < ex->ng; i++)
		xp_sums_free(&sums[i]);
	free(sums);
	pthread_mutex_unlock(&ex->lock);
	family(f, "damon_exporter_scrape_duration_seconds", "gauge",
	       "Time this exposition took to build.");
	fprintf(f, "damon_exporter_scrape_duration_seconds %.6f\n", mono_s() - t0);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
