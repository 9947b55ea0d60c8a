// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl top: monitor a process live, straight from the device, and
 * redraw at every aggregation: a heatmap strip of the latest
 * aggregations, the working set size, the hottest regions and what the
 * session itself costs.  --batch prints the same as plain text for logs.
 * Nothing is written to a file.
 */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <ncurses.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attropts.h"
#include "cmdline.h"
#include "damonctl.h"
#include "device.h"
#include "launch.h"
#include "runner.h"
#include "scheme.h"
#include "snapshot.h"
#include "targetset.h"
#include "top.h"
#include "units.h"

#define BATCH_HOT_ROWS	5

struct top_options {
	int32_t pid;
	char **cgroups;
	size_t ncgroups;
	int follow_children;
	const char **command;
	struct attr_opts attr;
	uint64_t iterations;		/* 0: until stopped */
	int batch;
	struct scheme *schemes;		/* --scheme */
	size_t nschemes;
	struct actor_runner *runner;	/* acting on the snapshots, or NULL */
};

enum { OPT_PID = 1000, OPT_ITERATIONS, OPT_CGROUP, OPT_SCHEME };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int take_option(struct top_options *o, int opt, const char *arg)
{
	const char *why;
	uint64_t v;

	if (opt >= ATTR_OPT_SAMPLE && opt <= ATTR_OPT_LAST)
		return attr_opts_take(&o->attr, opt, arg);
	switch (opt) {
	case OPT_CGROUP:
		return cmdline_append(&o->cgroups, &o->ncgroups, arg);
	case OPT_PID:
		if (o->pid)
			return cmdline_usage("top shows one process: give --pid "
					     "once");
		if (parse_count(arg, INT32_MAX, &v, &why) || !v)
			return cmdline_usage("--pid '%s' is not a process id", arg);
		o->pid = (int32_t)v;
		return 0;
	case OPT_SCHEME:
		return cmdline_scheme(&o->schemes, &o->nschemes, arg);
	case OPT_ITERATIONS:
		if (parse_count(arg, UINT64_MAX, &o->iterations, &why) ||
		    !o->iterations)
			return cmdline_usage("--iterations '%s' is not a number "
					     "above 0", arg);
		return 0;
	}
	return 0;
}

/* ---- the session ---- */

struct session {
	struct damon_device dev;
	struct launch cmd;
	int sig_fd;
	bool started, launched;
	unsigned char *buf;
	size_t cap;
};

static int open_session(struct top_options *o, struct session *s,
			const sigset_t *old)
{
	int ret;

	if (o->command) {
		if (launch_prepare(&s->cmd, (const char *const *)o->command, old))
			return EXIT_FAIL;
		o->pid = s->cmd.pid;
	}
	ret = device_open(&s->dev);
	if (!ret)
		ret = device_handshake(&s->dev);
	if (!ret)
		ret = device_check(&s->dev, &o->attr.attrs);
	if (!ret) {
		device_fit_attrs(&s->dev, &o->attr.attrs,
				 o->attr.sample_given);
		ret = device_set_attrs(&s->dev, &o->attr.attrs);
	}
	if (!ret)
		ret = device_set_targets(&s->dev, &o->pid, 1,
					 o->command ? s->cmd.pid : 0);
	if (!ret)
		ret = device_handshake(&s->dev);
	if (!ret)
		ret = device_start(&s->dev);
	s->started = !ret;
	if (!ret && o->command) {
		if (launch_go(&s->cmd, o->command[0]))
			ret = EXIT_FAIL;
		s->launched = !ret;
	}
	if (!ret) {
		s->cap = s->dev.hs.max_snapshot_size;
		if (s->cap < 4096)
			s->cap = 4096;
		if (s->cap > REC_MAX_RECORD)
			s->cap = REC_MAX_RECORD;
		s->buf = malloc(s->cap);
		if (!s->buf) {
			errmsg("out of memory");
			ret = EXIT_FAIL;
		}
	}
	return ret;
}

/* The schemes' counters as they are now, for the screen. */
static void schemes_now(const struct top_options *o, struct top_state *t)
{
	const struct damonrec_scheme_stats *st;

	if (!o->runner)
		return;
	st = runner_stats(o->runner);
	if (st)
		memcpy(t->schemes, st, t->nr_schemes * sizeof(*st));
}

/*
 * Takes the records of one read(); in --batch, each snapshot of the
 * target is printed as it is taken.  1 if the target got a snapshot, -1 if
 * printing failed (printed); t->done once --iterations are shown.
 */
static int take(const struct top_options *o, struct top_state *t,
		const unsigned char *p, size_t len, bool *done)
{
	int got = 0;

	while (len >= REC_FRAME_SIZE && !*done) {
		struct rec_frame frame;

		rec_frame_get(p, &frame);
		if (frame.size < REC_FRAME_SIZE || frame.size > len)
			break;
		if (frame.type == DAMON_RECORD_SNAPSHOT && o->runner)
			runner_offer(o->runner, p, frame.size);
		if (frame.type == DAMON_RECORD_SNAPSHOT &&
		    top_take(t, p, frame.size, now_ns())) {
			got = 1;
			schemes_now(o, t);
			if (o->batch && top_print_batch(t, BATCH_HOT_ROWS)) {
				errmsg("writing the snapshot failed");
				return -1;
			}
		}
		if (o->iterations && t->snapshots >= o->iterations)
			*done = true;
		p += frame.size;
		len -= frame.size;
	}
	return got;
}

/* Reads what is queued into the state: 1 if the target got a snapshot,
 * 0 if not, -1 on an error (printed).  t->ended once the session ended. */
static int drain(const struct top_options *o, struct session *s,
		 struct top_state *t, bool *done)
{
	int got = 0;

	for (;;) {
		ssize_t n = read(s->dev.fd, s->buf, s->cap);

		if (n > 0) {
			int r = take(o, t, s->buf, (size_t)n, done);

			if (r < 0)
				return -1;
			got |= r;
			if (*done)
				return got;
			continue;
		}
		if (n == 0) {
			t->ended = true;
			return got;
		}
		if (errno == EAGAIN)
			return got;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL && s->cap < REC_MAX_RECORD) {
			unsigned char *p = realloc(s->buf, s->cap * 2);

			if (p) {
				s->buf = p;
				s->cap *= 2;
				continue;
			}
		}
		errmsg("reading snapshots from %s failed: %s", s->dev.path,
		       strerror(errno));
		return -1;
	}
}

static void close_session(struct session *s)
{
	if (s->started)
		device_stop(&s->dev);
	device_close(&s->dev);
	if (s->launched) {
		/* Like a recording that ends first: the COMMAND is told to
		 * stop, and reaped so that it leaves no zombie. */
		kill(s->cmd.pid, SIGTERM);
		waitpid(s->cmd.pid, NULL, 0);
	} else {
		launch_abandon(&s->cmd);
	}
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	free(s->buf);
}

/* ---- the loop ---- */

static const char *status_text(const struct top_state *t)
{
	if (t->ended || t->exited)
		return " the target has exited: monitoring ended.  q: quit ";
	return " q: quit ";
}

/* SIGINT, SIGTERM, SIGHUP stop; SIGCHLD (the COMMAND exited) does not:
 * the session ends by itself once its target is gone. */
static void handle_signals(struct session *s, bool *stop)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			*stop = true;
}

static int run(struct top_options *o, struct session *s)
{
	struct top_state t;
	SCREEN *screen = NULL;
	bool stop = false, tui = !o->batch;
	int ret = 0;

	top_init(&t, o->pid, now_ns());
	if (o->runner) {
		t.schemes = calloc(o->nschemes, sizeof(*t.schemes));
		if (!t.schemes) {
			errmsg("out of memory");
			top_free(&t);
			return EXIT_FAIL;
		}
		memcpy(t.schemes, o->runner->actor->stats,
		       o->nschemes * sizeof(*t.schemes));
		t.nr_schemes = o->nschemes;
	}
	if (tui) {
		/* The screen is only taken once the session runs, so that
		 * every error above reads as a plain message. */
		screen = newterm(NULL, stdout, stdin);
		if (!screen) {
			errmsg("cannot use the terminal (TERM=%s): try --batch",
			       getenv("TERM") ? getenv("TERM") : "");
			top_free(&t);
			return EXIT_FAIL;
		}
		cbreak();
		noecho();
		nodelay(stdscr, TRUE);
		keypad(stdscr, TRUE);
		curs_set(0);
		top_colors();
		top_draw(&t, " waiting for the first aggregation...  q: quit ");
	}
	while (!stop) {
		struct pollfd fds[3] = {
			{ .fd = s->dev.fd, .events = POLLIN },
			{ .fd = s->sig_fd, .events = POLLIN },
			{ .fd = tui ? STDIN_FILENO : -1, .events = POLLIN },
		};
		int n = poll(fds, 3, -1), got;

		if (n < 0 && errno != EINTR) {
			errmsg("poll failed: %s", strerror(errno));
			ret = EXIT_FAIL;
			break;
		}
		if (n > 0 && fds[1].revents)
			handle_signals(s, &stop);
		if (n > 0 && fds[0].revents && !t.ended) {
			got = drain(o, s, &t, &stop);
			if (got < 0) {
				ret = EXIT_FAIL;
				break;
			}
		}
		/* Nothing more will come: leave the last screen up until q,
		 * or end the log. */
		if (t.ended && !tui)
			stop = true;
		if (tui) {
			int ch;

			while ((ch = getch()) != ERR)
				if (ch == 'q' || ch == 'Q')
					stop = true;
			if (!stop)
				top_draw(&t, status_text(&t));
		}
	}
	if (tui) {
		endwin();
		delscreen(screen);
	}
	free(t.schemes);
	top_free(&t);
	return ret;
}

/* --cgroup, --follow-children: the process table of top-groups.c. */
static int groups_mode(struct top_options *o)
{
	struct tgroup *groups;
	size_t i, n = 0;
	int ret = 0;

	if (o->command)
		return cmdline_usage("--cgroup and --follow-children take no "
				     "COMMAND: start it, then give its --pid");
	if (o->nschemes)
		return cmdline_usage("top runs --scheme on one process; for "
				     "a cgroup or a process tree use 'damonctl "
				     "start --scheme' or 'damonctl exporter "
				     "--scheme'");
	if (o->follow_children && !o->pid)
		return cmdline_usage("--follow-children applies to --pid");
	if (o->pid && !o->follow_children)
		return cmdline_usage("--pid with --cgroup shows a table: add "
				     "--follow-children, or drop --pid");
	if (!o->batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return cmdline_usage("the live screen needs a terminal: use "
				     "--batch for plain text");
	ret = attr_opts_finish(&o->attr);
	if (ret)
		return ret;
	groups = calloc(o->ncgroups + 1, sizeof(*groups));
	if (!groups) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < o->ncgroups && !ret; i++)
		if (!(ret = tgroup_init_cgroup(&groups[n], o->cgroups[i])))
			n++;
	if (!ret && o->pid && !(ret = tgroup_init_pid(&groups[n], o->pid, true)))
		n++;
	if (!ret)
		ret = top_groups(groups, n, &o->attr.attrs, o->attr.sample_given,
				 o->batch, o->iterations);
	for (i = 0; i < n; i++)
		tgroup_free(&groups[i]);
	free(groups);
	return ret;
}

static void help(poptContext ctx)
{
	poptPrintHelp(ctx, stdout, 0);
	fputs("\nMonitors one process (--pid, or a COMMAND after '--' that "
	      "damonctl runs)\nand redraws at every aggregation: a heatmap strip "
	      "of the latest aggregations,\nthe working set size, the hottest "
	      "regions and the session's own overhead.\nq or Ctrl-C quits.  "
	      "--batch prints plain text instead, one block per\naggregation, "
	      "for logs.  Nothing is recorded: use 'damonctl start' for that.\n",
	      stdout);
}

int cmd_top(int argc, const char **argv)
{
	struct top_options o = { 0 };
	struct poptOption options[] = {
		{ "pid", 'p', POPT_ARG_STRING, NULL, OPT_PID,
		  "the process to monitor", "PID" },
		{ "cgroup", 0, POPT_ARG_STRING, NULL, OPT_CGROUP,
		  "a table of the processes of this cgroup v2 directory "
		  "(repeatable)", "PATH" },
		{ "follow-children", 0, POPT_ARG_NONE, &o.follow_children, 0,
		  "with --pid: a table of it and the processes it forks", NULL },
		{ "batch", 'b', POPT_ARG_NONE, &o.batch, 0,
		  "plain text, one block per aggregation, for logs", NULL },
		{ "iterations", 'n', POPT_ARG_STRING, NULL, OPT_ITERATIONS,
		  "stop after N aggregations", "N" },
		{ "scheme", 0, POPT_ARG_STRING, NULL, OPT_SCHEME,
		  "act on the regions that match, as start --scheme does "
		  "(repeatable)", "SCHEME" },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, attr_options_table, 0,
		  "Monitoring attributes (one redraw per aggregation):", NULL },
		CMDLINE_HELP,
		POPT_TABLEEND
	};
	struct session s = { .dev = { .fd = -1 }, .sig_fd = -1,
			     .cmd = { .go_fd = -1, .err_fd = -1 } };
	struct actor_runner runner = { 0 };
	struct actor actor = { 0 };
	poptContext ctx;
	sigset_t old;
	int rc, ret = 0;

	attr_opts_init(&o.attr);
	ctx = cmdline_context(argc, argv, options,
			      "[OPTION...] {--pid PID | [--] COMMAND [ARG...]}",
			      POPT_CONTEXT_POSIXMEHARDER);
	if (!ctx)
		return EXIT_FAIL;
	while ((rc = poptGetNextOpt(ctx)) > 0 && !ret) {
		char *arg = poptGetOptArg(ctx);

		if (rc == 'h') {
			help(ctx);
			ret = -1;
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
	if (o.ncgroups || o.follow_children) {
		ret = groups_mode(&o);
		goto out;
	}
	if (o.command && o.pid) {
		ret = cmdline_usage("give either --pid or a COMMAND, not both");
		goto out;
	}
	if (!o.command && !o.pid) {
		ret = cmdline_usage("nothing to monitor: give --pid PID or a "
				    "COMMAND (after --)");
		goto out;
	}
	if (!o.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		ret = cmdline_usage("the live screen needs a terminal: use --batch "
				    "for plain text");
		goto out;
	}
	ret = attr_opts_finish(&o.attr);
	if (ret)
		goto out;
	sigprocmask(SIG_SETMASK, NULL, &old);
	ret = launch_block_signals(&old, &s.sig_fd);
	if (!ret)
		ret = open_session(&o, &s, &old);
	/* Warnings (no CAP_SYS_NICE) before the screen is taken. */
	if (!ret && o.nschemes) {
		if (actor_init(&actor, o.schemes, o.nschemes, o.batch) ||
		    runner_start(&runner, &actor)) {
			errmsg("cannot run the schemes: %s", strerror(errno));
			ret = EXIT_FAIL;
		} else {
			o.runner = &runner;
		}
	}
	if (!ret)
		ret = run(&o, &s);
	runner_free(&runner);
	actor_free(&actor);
	close_session(&s);
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	cmdline_list_free(o.cgroups, o.ncgroups);
	scheme_list_free(o.schemes, o.nschemes);
	poptFreeContext(ctx);
	return ret;
}
