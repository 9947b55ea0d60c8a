// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl exporter: monitor cgroups and process trees all the time and
 * serve what is found as Prometheus metrics, over HTTP and/or into
 * node_exporter's textfile directory.  The main loop reads the sessions'
 * snapshots as they come and rescans the groups once per regions update
 * interval; nothing it meets on the way (targets leaving, a cgroup
 * removed, the module missing) ends it, only a signal does.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "attropts.h"
#include "cmdline.h"
#include "damonctl.h"
#include "exporter.h"
#include "scheme.h"
#include "launch.h"
#include "units.h"

#define DEFAULT_LISTEN		":9732"
#define DEFAULT_PATH		"/metrics"
#define DEFAULT_TEXTFILE_S	15
#define DEFAULT_MAX_PROCESSES	100
#define DEFAULT_TUNE_MAX_SAMPLE_US	50000

struct exporter_options {
	struct attr_opts attr;
	char **cgroups;
	size_t ncgroups;
	int32_t *pids;
	size_t npids;
	int follow_children, per_process, no_web, tlb_flush, no_tune;
	uint64_t max_processes;
	char *listen, *path, *textfile;
	uint64_t textfile_ns;
	struct scheme *schemes;		/* --scheme */
	size_t nschemes;
};

enum {
	OPT_CGROUP = 1000, OPT_PID, OPT_LISTEN, OPT_PATH, OPT_TEXTFILE,
	OPT_TEXTFILE_INTERVAL, OPT_MAX_PROCESSES, OPT_SCHEME,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int take_option(struct exporter_options *o, int opt, char *arg)
{
	const char *why;
	uint64_t v;

	if (opt >= ATTR_OPT_SAMPLE && opt <= ATTR_OPT_LAST) {
		int ret = attr_opts_take(&o->attr, opt, arg);

		free(arg);
		return ret;
	}
	switch (opt) {
	case OPT_CGROUP: {
		int ret = cmdline_append(&o->cgroups, &o->ncgroups, arg);

		free(arg);
		return ret;
	}
	case OPT_PID: {
		int32_t *p;

		if (parse_count(arg, INT32_MAX, &v, &why) || !v) {
			int ret = cmdline_usage("--pid '%s' is not a process id",
						arg);

			free(arg);
			return ret;
		}
		free(arg);
		p = realloc(o->pids, (o->npids + 1) * sizeof(*p));
		if (!p)
			return cmdline_usage("out of memory");
		o->pids = p;
		o->pids[o->npids++] = (int32_t)v;
		return 0;
	}
	case OPT_LISTEN:
		cmdline_keep(&o->listen, arg);
		return 0;
	case OPT_PATH:
		cmdline_keep(&o->path, arg);
		return 0;
	case OPT_TEXTFILE:
		cmdline_keep(&o->textfile, arg);
		return 0;
	case OPT_TEXTFILE_INTERVAL: {
		int bad = parse_duration_ns(arg, &o->textfile_ns, &why);

		if (bad || !o->textfile_ns) {
			int ret = cmdline_usage("--textfile-interval '%s' is not "
						"a duration above 0 (e.g. 15s)", arg);
			free(arg);
			return ret;
		}
		free(arg);
		return 0;
	}
	case OPT_SCHEME: {
		int ret = cmdline_scheme(&o->schemes, &o->nschemes, arg);

		free(arg);
		return ret;
	}
	case OPT_MAX_PROCESSES:
		if (parse_count(arg, 100000, &o->max_processes, &why) ||
		    !o->max_processes) {
			int ret = cmdline_usage("--max-processes '%s' is not a "
						"number from 1 to 100000", arg);
			free(arg);
			return ret;
		}
		free(arg);
		return 0;
	}
	return 0;
}

static void free_options(struct exporter_options *o)
{
	cmdline_list_free(o->cgroups, o->ncgroups);
	scheme_list_free(o->schemes, o->nschemes);
	free(o->pids);
	free(o->listen);
	free(o->path);
	free(o->textfile);
}

static int parse(struct exporter_options *o, int argc, const char **argv)
{
	struct poptOption options[] = {
		{ "cgroup", 0, POPT_ARG_STRING, NULL, OPT_CGROUP,
		  "monitor every process of this cgroup v2 directory and its "
		  "descendants (repeatable)", "PATH" },
		{ "pid", 'p', POPT_ARG_STRING, NULL, OPT_PID,
		  "monitor this process (repeatable)", "PID" },
		{ "follow-children", 0, POPT_ARG_NONE, &o->follow_children, 0,
		  "with --pid: the processes it forks too", NULL },
		{ "per-process", 0, POPT_ARG_NONE, &o->per_process, 0,
		  "add damon_process_* series (labels pid, comm)", NULL },
		{ "max-processes", 0, POPT_ARG_STRING, NULL, OPT_MAX_PROCESSES,
		  "with --per-process: series for at most N processes, the "
		  "largest working sets (default 100)", "N" },
		{ "web.listen-address", 0, POPT_ARG_STRING, NULL, OPT_LISTEN,
		  "serve HTTP here (default :9732)", "HOST:PORT" },
		{ "web.telemetry-path", 0, POPT_ARG_STRING, NULL, OPT_PATH,
		  "the metrics' URL path (default /metrics)", "PATH" },
		{ "no-web", 0, POPT_ARG_NONE, &o->no_web, 0,
		  "serve no HTTP (with --textfile)", NULL },
		{ "textfile", 0, POPT_ARG_STRING, NULL, OPT_TEXTFILE,
		  "also write DIR/damon.prom for node_exporter's textfile "
		  "collector", "DIR" },
		{ "textfile-interval", 0, POPT_ARG_STRING, NULL,
		  OPT_TEXTFILE_INTERVAL, "how often (default 15s)", "DURATION" },
		{ "tlb-flush", 0, POPT_ARG_NONE, &o->tlb_flush, 0,
		  "flush TLBs after sampling (exact, costs every CPU; within "
		  "the module's machine-wide budget)", NULL },
		{ "scheme", 0, POPT_ARG_STRING, NULL, OPT_SCHEME,
		  "act on the regions that match, as start --scheme does "
		  "(repeatable; needs CAP_SYS_NICE)", "SCHEME" },
		{ "no-tune", 0, POPT_ARG_NONE, &o->no_tune, 0,
		  "keep the intervals fixed (default: auto-tuned to 4%)", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, attr_options_table, 0,
		  "Monitoring attributes (the exporter's defaults differ from "
		  "start's below: --tune, --tune-max-sample 50ms, "
		  "--max-regions 100, no TLB flush):", NULL },
		CMDLINE_HELP,
		POPT_TABLEEND
	};
	poptContext ctx;
	int rc, ret = 0;

	attr_opts_init(&o->attr);
	/* Always on, on a production host: cheap and bounded. */
	o->attr.attrs.flags = 0;
	o->attr.attrs.max_nr_regions = 100;
	o->attr.attrs.tune_goal_bp = ATTR_DEFAULT_TUNE_GOAL_BP;
	/* Tuning lengthens the intervals of idle processes; at 20 samples
	 * per aggregation this keeps the working set's window, and the
	 * delay before a new process shows, within a second. */
	o->attr.attrs.tune_max_sample_us = DEFAULT_TUNE_MAX_SAMPLE_US;
	o->max_processes = DEFAULT_MAX_PROCESSES;
	o->textfile_ns = DEFAULT_TEXTFILE_S * 1000000000ULL;
	ctx = cmdline_context(argc, argv, options, "", 0);
	while ((rc = poptGetNextOpt(ctx)) > 0) {
		if (rc == 'h') {
			poptPrintHelp(ctx, stdout, 0);
			poptFreeContext(ctx);
			return -1;
		}
		ret = take_option(o, rc, poptGetOptArg(ctx));
		if (ret)
			break;
	}
	if (!ret && rc < -1)
		ret = cmdline_bad_option(ctx, rc);
	if (!ret && poptPeekArg(ctx))
		ret = cmdline_usage("exporter takes no arguments: give the "
				    "targets with --cgroup or --pid");
	poptFreeContext(ctx);
	if (ret)
		return ret;
	if (o->tlb_flush)
		o->attr.attrs.flags |= DAMON_ATTR_TLB_FLUSH;
	if (o->no_tune) {
		if (o->attr.attrs.tune_min_sample_us ||
		    o->attr.attrs.tune_max_sample_us != DEFAULT_TUNE_MAX_SAMPLE_US)
			return cmdline_usage("--no-tune and --tune-min-sample or "
					     "--tune-max-sample contradict "
					     "each other");
		o->attr.attrs.tune_goal_bp = 0;
		o->attr.attrs.tune_max_sample_us = 0;
	}
	ret = attr_opts_finish(&o->attr);
	if (ret)
		return ret;
	if (!o->ncgroups && !o->npids)
		return cmdline_usage("give what to monitor: --cgroup PATH (e.g. "
				     "/sys/fs/cgroup/system.slice/NAME.service) "
				     "or --pid PID");
	if (o->follow_children && !o->npids)
		return cmdline_usage("--follow-children applies to --pid targets; "
				     "a --cgroup includes its processes' "
				     "children already");
	if (o->no_web && !o->textfile)
		return cmdline_usage("--no-web leaves nowhere to put the metrics: "
				     "give --textfile DIR too");
	return 0;
}

static int build_groups(struct exporter *ex, const struct exporter_options *o)
{
	size_t i;
	int ret;

	ex->groups = calloc(o->ncgroups + o->npids, sizeof(*ex->groups));
	if (!ex->groups) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < o->ncgroups; i++) {
		ret = tgroup_init_cgroup(&ex->groups[ex->ng].g, o->cgroups[i]);
		if (ret)
			return ret;
		ex->ng++;
	}
	for (i = 0; i < o->npids; i++) {
		ret = tgroup_init_pid(&ex->groups[ex->ng].g, o->pids[i],
				      o->follow_children);
		if (ret)
			return ret;
		ex->ng++;
	}
	return 0;
}

static void free_groups(struct exporter *ex)
{
	size_t i;

	xp_free_sessions(ex);
	for (i = 0; i < ex->ng; i++)
		tgroup_free(&ex->groups[i].g);
	free(ex->groups);
}

/* SIGHUP rescans at once; SIGINT and SIGTERM end the exporter; SIGCHLD
 * (blocked with the others by launch_block_signals) means nothing here. */
static bool take_signals(int fd, bool *rescan)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			*rescan = true;
		else if (si.ssi_signo != SIGCHLD)
			stop = true;
	}
	return stop;
}

static int run(struct exporter *ex, const struct exporter_options *o, int sig)
{
	uint64_t update_ns = ex->attrs.update_us * 1000ULL;
	uint64_t next_scan = 0, next_text = 0;
	struct pollfd *fds = NULL;
	struct xp_session **who = NULL;
	size_t cap = 0;

	for (;;) {
		uint64_t now = now_ns(), wake;
		bool rescan = false;
		size_t i, j, n = 1;
		int tmo, rc;

		if (now >= next_scan) {
			xp_rescan(ex);
			next_scan = now + update_ns;
		}
		if (o->textfile && now >= next_text) {
			xp_textfile_write(ex, o->textfile);
			next_text = now + o->textfile_ns;
		}
		/* The sessions may have changed: the poll set is rebuilt. */
		for (i = 0; i < ex->ng; i++)
			for (j = 0; j < ex->groups[i].ns; j++)
				n += ex->groups[i].s[j].running;
		if (n > cap) {
			struct pollfd *f = realloc(fds, n * sizeof(*f));
			struct xp_session **w = f ? realloc(who, n * sizeof(*w)) : NULL;

			if (f)
				fds = f;
			if (!w) {
				errmsg("out of memory");
				free(fds);
				return EXIT_FAIL;
			}
			who = w;
			cap = n;
		}
		fds[0] = (struct pollfd){ .fd = sig, .events = POLLIN };
		n = 1;
		for (i = 0; i < ex->ng; i++)
			for (j = 0; j < ex->groups[i].ns; j++) {
				struct xp_session *s = &ex->groups[i].s[j];

				if (!s->running)
					continue;
				who[n] = s;
				fds[n++] = (struct pollfd){ .fd = s->dev.fd,
							    .events = POLLIN };
			}
		wake = next_scan;
		if (o->textfile && next_text < wake)
			wake = next_text;
		now = now_ns();
		tmo = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
		rc = poll(fds, n, tmo);
		if (rc < 0 && errno != EINTR) {
			errmsg("poll failed: %s", strerror(errno));
			break;
		}
		if (rc <= 0)
			continue;
		if (fds[0].revents && take_signals(sig, &rescan))
			break;
		if (rescan)
			next_scan = 0;
		for (i = 1; i < n; i++)
			if (fds[i].revents)
				xp_drain(ex, who[i]);
	}
	free(fds);
	free(who);
	return EXIT_OK;
}

int cmd_exporter(int argc, const char **argv)
{
	struct exporter_options o = { 0 };
	struct exporter ex = { 0 };
	struct xp_http *http = NULL;
	sigset_t old;
	int ret, sig = -1;

	ret = parse(&o, argc, argv);
	if (ret) {
		free_options(&o);
		return ret < 0 ? EXIT_OK : ret;
	}
	ex.attrs = o.attr.attrs;
	ex.sample_given = o.attr.sample_given;
	ex.per_process = o.per_process;
	ex.max_processes = (unsigned int)o.max_processes;
	ex.schemes = o.schemes;
	ex.nschemes = o.nschemes;
	pthread_mutex_init(&ex.lock, NULL);
	ret = build_groups(&ex, &o);
	if (!ret)
		ret = xp_probe(&ex);
	if (!ret && o.textfile)
		ret = xp_textfile_check(o.textfile);
	/* Before the HTTP thread starts, so that it inherits the mask and
	 * the signals come to the signalfd rather than killing it. */
	sigprocmask(SIG_SETMASK, NULL, &old);
	if (!ret)
		ret = launch_block_signals(&old, &sig);
	if (!ret && !o.no_web)
		ret = xp_http_start(&ex, o.listen ? o.listen : DEFAULT_LISTEN,
				    o.path ? o.path : DEFAULT_PATH, &http);
	if (!ret) {
		fprintf(stderr, "%s: serving %s%s%s%s%s\n", command_name,
			o.no_web ? "" : "http://",
			o.no_web ? "" : (o.listen ? o.listen : DEFAULT_LISTEN),
			o.no_web ? "" : (o.path ? o.path : DEFAULT_PATH),
			o.textfile ? (o.no_web ? "" : " and ") : "",
			o.textfile ? o.textfile : "");
		ret = run(&ex, &o, sig);
		if (o.textfile)
			xp_textfile_remove(o.textfile);
	}
	xp_http_stop(http);
	if (sig >= 0) {
		close(sig);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	free_groups(&ex);
	pthread_mutex_destroy(&ex.lock);
	free_options(&o);
	return ret;
}
