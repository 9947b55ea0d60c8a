// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl start: record the data accesses of processes into a file,
 * in the foreground or in the background.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attropts.h"
#include "background.h"
#include "cmdline.h"
#include "damonctl.h"
#include "device.h"
#include "launch.h"
#include "outfile.h"
#include "record.h"
#include "recorder.h"
#include "scheme.h"
#include "summary.h"
#include "targetinfo.h"
#include "targetset.h"
#include "units.h"

struct start_options {
	int32_t *pids;
	uint32_t nr_pids;
	char **cgroups;		/* --cgroup, as given */
	size_t ncgroups;
	int follow_children;
	const char **command;		/* NULL-terminated, or NULL */
	struct attr_opts attr;
	uint64_t duration_ns;
	char *output;		/* from popt, which leaves freeing it to us */
	int force, background;
	struct scheme *schemes;	/* --scheme, in the order given */
	size_t nschemes;
};

/* ---- command line ---- */

enum { OPT_PID = 1000, OPT_DURATION, OPT_OUTPUT, OPT_CGROUP, OPT_SCHEME };

static int add_pids(struct start_options *o, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		char one[32];
		const char *why;
		uint64_t v;
		int32_t *grown;
		uint32_t i;

		snprintf(one, sizeof(one), "%.*s", (int)(len < 31 ? len : 31), p);
		if (len > 31 || parse_count(one, INT32_MAX, &v, &why) || !v)
			return cmdline_usage("--pid '%.*s' is not a process id",
					     (int)len, p);
		for (i = 0; i < o->nr_pids; i++)
			if (o->pids[i] == (int32_t)v)
				return cmdline_usage("pid %" PRIu64 " is given "
						     "twice: give each pid once", v);
		grown = realloc(o->pids, (o->nr_pids + 1) * sizeof(*o->pids));
		if (!grown) {
			errmsg("out of memory");
			return EXIT_FAIL;
		}
		o->pids = grown;
		o->pids[o->nr_pids++] = (int32_t)v;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int take_option(struct start_options *o, int opt, const char *arg)
{
	const char *why;

	if (opt >= ATTR_OPT_SAMPLE && opt <= ATTR_OPT_LAST)
		return attr_opts_take(&o->attr, opt, arg);
	switch (opt) {
	case OPT_PID:
		return add_pids(o, arg);
	case OPT_CGROUP:
		return cmdline_append(&o->cgroups, &o->ncgroups, arg);
	case OPT_SCHEME:
		return cmdline_scheme(&o->schemes, &o->nschemes, arg);
	case OPT_DURATION:
		if (parse_duration_ns(arg, &o->duration_ns, &why))
			return cmdline_usage("--duration '%s' %s", arg, why);
		if (!o->duration_ns)
			return cmdline_usage("--duration must be longer than 0");
		return 0;
	}
	return 0;
}

static void help(poptContext ctx)
{
	poptPrintHelp(ctx, stdout, 0);
	fputs("\nTargets: --pid PID (repeatable, or comma-separated), or a "
	      "COMMAND after '--'\nthat damonctl runs with your privileges and "
	      "records until it exits; --cgroup PATH\n(every process of a cgroup "
	      "v2, as they come and go), and --follow-children\nfor the "
	      "processes the targets fork.\n\nDurations need a unit: 500us, 5ms, "
	      "1.5s, 2m.  Defaults: --sample 5ms\n--aggr 100ms --update 1s "
	      "--min-regions 10 --max-regions 1000 --queue-depth 16.\n\n"
	      "Ctrl-C or SIGTERM stops the recording cleanly; a --background "
	      "recording is\nstopped with 'damonctl stop'.\n\n"
	      "Schemes act on what is measured, on every snapshot:\n"
	      "  --scheme ACTION[,KEY=VALUE]...  ACTION: pageout, cold, "
	      "collapse, willneed, stat\n"
	      "  size=MIN..MAX access=MIN..MAX age=MIN..MAX quota=SIZE/s "
	      "cpu=10ms/s\n  free=HIGH/MID/LOW psi=MAX[/RESUME] psi-from=CGROUP\n"
	      "  e.g. --scheme pageout,access=0%,age=30s..,quota=64M/s; see "
	      "damonctl(8), SCHEMES.\n", stdout);
}

/* What is recorded, for the state file and so for "stop". */
static char *describe_targets(const struct start_options *o)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	if (o->command) {
		fputs("COMMAND", f);
		for (i = 0; o->command[i]; i++)
			fprintf(f, " %s", o->command[i]);
	} else if (o->ncgroups) {
		fputs("cgroup", f);
		for (i = 0; i < o->ncgroups; i++)
			fprintf(f, " %s", o->cgroups[i]);
	} else {
		fputs("pid", f);
		for (i = 0; i < o->nr_pids; i++)
			fprintf(f, "%s%d", i ? "," : " ", (int)o->pids[i]);
	}
	fclose(f);
	for (i = 0; s && s[i]; i++)	/* one line in the state file */
		if ((unsigned char)s[i] < 0x20)
			s[i] = ' ';
	return s;
}

/* ---- recording ---- */

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The groups of --cgroup and --follow-children, checked. */
static int follow_groups(const struct start_options *o, struct follow *f)
{
	size_t i, n = o->ncgroups + o->nr_pids;
	int ret = 0;

	f->groups = calloc(n, sizeof(*f->groups));
	if (!f->groups) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < o->ncgroups && !ret; i++)
		if (!(ret = tgroup_init_cgroup(&f->groups[f->ng], o->cgroups[i])))
			f->ng++;
	for (i = 0; i < o->nr_pids && !ret; i++)
		if (!(ret = tgroup_init_pid(&f->groups[f->ng], o->pids[i],
					    o->follow_children)))
			f->ng++;
	return ret;
}

/*
 * Everything up to the point where monitoring runs; on failure the file
 * and the COMMAND's waiting child are cleaned up by the caller.
 */
static int open_session(struct start_options *o, struct recording *rec,
			struct launch *cmd, const sigset_t *sigmask)
{
	int ret;

	if (o->command) {
		if (launch_prepare(cmd, (const char *const *)o->command, sigmask))
			return EXIT_FAIL;
		o->pids = malloc(sizeof(*o->pids));
		if (!o->pids)
			return EXIT_FAIL;
		o->pids[0] = cmd->pid;
		o->nr_pids = 1;
		rec->command_pid = cmd->pid;
	}
	ret = device_open(&rec->dev);
	if (!ret)
		ret = device_handshake(&rec->dev);
	if (!ret)
		ret = device_check(&rec->dev, &o->attr.attrs);
	if (!ret) {
		device_fit_attrs(&rec->dev, &o->attr.attrs,
				 o->attr.sample_given);
		ret = device_set_attrs(&rec->dev, &o->attr.attrs);
	}
	if (!ret && rec->follow) {
		ret = follow_groups(o, rec->follow);
		if (!ret)
			ret = follow_start(rec->follow, &rec->dev);
		if (!ret) {
			/* The header names the first targets. */
			free(o->pids);
			o->pids = malloc(rec->follow->n * sizeof(*o->pids));
			if (!o->pids) {
				errmsg("out of memory");
				return EXIT_FAIL;
			}
			memcpy(o->pids, rec->follow->pids,
			       rec->follow->n * sizeof(*o->pids));
			o->nr_pids = rec->follow->n;
		}
	} else if (!ret) {
		ret = device_set_targets(&rec->dev, o->pids, o->nr_pids,
					 rec->command_pid);
	}
	/* Again: max_snapshot_size now counts the real targets. */
	if (!ret)
		ret = device_handshake(&rec->dev);
	return ret;
}

static int start_monitoring(struct start_options *o, struct recording *rec,
			    struct outfile *out)
{
	struct rec_info info;
	int ret;

	if (targetinfo_build(&info, &rec->dev, o->pids, o->nr_pids,
			     rec->command_pid, o->command)) {
		rec_info_free(&info);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	info.time.realtime_ns = clock_ns(CLOCK_REALTIME);
	info.time.monotonic_ns = clock_ns(CLOCK_MONOTONIC);
	rec->start_monotonic_ns = info.time.monotonic_ns;
	/* Once per regions update: that is when the module looks at the
	 * mappings too. */
	if (maps_watch_init(&rec->maps, o->pids, o->nr_pids,
			    rec->dev.attrs.update_us * 1000ULL)) {
		rec_info_free(&info);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	ret = device_start(&rec->dev);
	if (!ret)
		ret = outfile_commit(out);
	if (!ret && rec_write_header(out->fd, &info)) {
		errmsg("writing %s failed: %s", out->path, strerror(errno));
		ret = EXIT_FAIL;
	}
	rec_info_free(&info);
	return ret;
}

static int record(struct start_options *o)
{
	struct recording rec = { .dev = { .fd = -1 }, .sig_fd = -1 };
	struct launch cmd = { .go_fd = -1, .err_fd = -1 };
	struct follow follow = { 0 };
	struct actor actor = { 0 };
	struct actor_runner runner = { 0 };
	struct outfile out;
	char *targets = NULL;
	int ret, notify_fd = -1, lock_fd = -1;
	bool started = false, launched = false;
	pid_t recorder;
	sigset_t old;

	ret = outfile_open(&out, o->output ? o->output : "damon.rec", o->force);
	if (ret)
		return ret;
	if (o->background) {
		ret = background_detach(&notify_fd, &recorder);
		if (ret || recorder) {	/* the parent is done */
			close(out.fd);
			return ret;
		}
	}
	rec.out_fd = out.fd;
	rec.warn = !o->background;
	if (o->ncgroups || o->follow_children) {
		rec.follow = &follow;
		follow.warn = rec.warn;
	}
	rec.out_path = out.path;
	rec.duration_ns = o->duration_ns;
	if (o->nschemes) {
		if (actor_init(&actor, o->schemes, o->nschemes, rec.warn) ||
		    runner_start(&runner, &actor)) {
			errmsg("cannot run the schemes: %s", strerror(errno));
			actor_free(&actor);
			outfile_discard(&out);
			return EXIT_FAIL;
		}
		rec.runner = &runner;
	}
	ret = launch_block_signals(&old, &rec.sig_fd);
	if (!ret)
		ret = open_session(o, &rec, &cmd, &old);
	if (!ret)
		ret = start_monitoring(o, &rec, &out);
	started = !ret;
	if (!ret && o->command) {
		if (launch_go(&cmd, o->command[0]))
			ret = EXIT_FAIL;
		launched = !ret;
	}
	if (!ret && o->background) {
		targets = describe_targets(o);
		ret = targets ? background_ready(out.path, targets, &notify_fd,
						 &lock_fd) : EXIT_FAIL;
		free(targets);
	} else if (!ret && isatty(STDERR_FILENO))
		fprintf(stderr, "%s: recording to %s; press Ctrl-C to stop\n",
			progname, out.path);

	if (!ret) {
		char line[1024];
		struct stat st;

		ret = recorder_run(&rec);
		if (!o->background) {
			format_summary(line, sizeof(line), &rec.end,
				       rec.start_monotonic_ns,
				       fstat(out.fd, &st) ? 0 : (uint64_t)st.st_size,
				       out.path);
			fprintf(stderr, "%s: recorded %s\n", progname, line);
			fprintf(stderr, "%s: monitoring cost: %s\n", progname,
				format_cost(line, sizeof(line), &rec.cost));
		}
		close(out.fd);
	} else {
		if (started)
			device_stop(&rec.dev);
		if (launched)	/* it runs for the recording: no recording */
			kill(cmd.pid, SIGTERM);
		else
			launch_abandon(&cmd);
		outfile_discard(&out);
	}
	if (notify_fd >= 0)
		close(notify_fd);
	device_close(&rec.dev);
	maps_watch_free(&rec.maps);
	follow_free(&follow);
	runner_free(&runner);
	actor_free(&actor);
	if (rec.sig_fd >= 0)
		close(rec.sig_fd);
	/* Last: "stop" takes the lock's release for "all done". */
	if (lock_fd >= 0)
		background_done(lock_fd);
	return ret;
}

int cmd_start(int argc, const char **argv)
{
	struct start_options o = { 0 };
	struct poptOption options[] = {
		{ "pid", 'p', POPT_ARG_STRING, NULL, OPT_PID,
		  "a process to record (repeatable, or PID,PID,...)", "PID" },
		{ "cgroup", 0, POPT_ARG_STRING, NULL, OPT_CGROUP,
		  "every process of this cgroup v2 directory and its "
		  "descendants, as they come and go (repeatable)", "PATH" },
		{ "follow-children", 0, POPT_ARG_NONE, &o.follow_children, 0,
		  "the processes the targets fork too, as they come and go",
		  NULL },
		{ "output", 'o', POPT_ARG_STRING, NULL, OPT_OUTPUT,
		  "the record file (default: damon.rec)", "FILE" },
		{ "force", 'f', POPT_ARG_NONE, &o.force, 0,
		  "overwrite the record file if it exists", NULL },
		{ "duration", 'd', POPT_ARG_STRING, NULL, OPT_DURATION,
		  "stop after this long (e.g. 30s, 5m)", "DURATION" },
		{ "background", 'b', POPT_ARG_NONE, &o.background, 0,
		  "record in the background; stop with 'damonctl stop'", NULL },
		{ "scheme", 0, POPT_ARG_STRING, NULL, OPT_SCHEME,
		  "act on the regions that match, on every snapshot "
		  "(repeatable; see below)", "SCHEME" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, attr_options_table, 0,
		  "Monitoring attributes:", NULL },
		CMDLINE_HELP,
		POPT_TABLEEND
	};
	poptContext ctx;
	int rc, ret = 0;
	size_t i;

	/* Options end at the COMMAND: "start ls -l" must not see -l. */
	attr_opts_init(&o.attr);
	ctx = cmdline_context(argc, argv, options,
			      "[OPTION...] {--pid PID... | [--] COMMAND [ARG...]}",
			      POPT_CONTEXT_POSIXMEHARDER);
	if (!ctx)
		return EXIT_FAIL;
	while ((rc = poptGetNextOpt(ctx)) > 0 && !ret) {
		char *arg = poptGetOptArg(ctx);

		if (rc == 'h') {
			help(ctx);
			ret = -1;
		} else if (rc == OPT_OUTPUT) {
			cmdline_keep(&o.output, arg);
			arg = NULL;
		} else {
			ret = take_option(&o, rc, arg);
		}
		free(arg);
	}
	if (ret < 0) {
		ret = EXIT_OK;
		goto out;
	}
	if (ret)
		goto out;
	if (rc < -1) {
		ret = cmdline_bad_option(ctx, rc);
		goto out;
	}
	o.command = poptGetArgs(ctx);
	if (o.command && (o.nr_pids || o.ncgroups)) {
		ret = cmdline_usage("give either --pid/--cgroup or a COMMAND, "
				    "not both");
		goto out;
	}
	if (!o.command && !o.nr_pids && !o.ncgroups) {
		ret = cmdline_usage("nothing to record: give --pid PID, --cgroup "
				    "PATH or a COMMAND (after --)");
		goto out;
	}
	ret = attr_opts_finish(&o.attr);
	/* Bad paths are told before anything is opened or created. */
	for (i = 0; !ret && i < o.ncgroups; i++) {
		struct tgroup g;

		ret = tgroup_init_cgroup(&g, o.cgroups[i]);
		if (!ret)
			tgroup_free(&g);
	}
	if (!ret)
		ret = record(&o);
out:
	free(o.pids);
	free(o.output);
	scheme_list_free(o.schemes, o.nschemes);
	cmdline_list_free(o.cgroups, o.ncgroups);
	poptFreeContext(ctx);
	return ret;
}
