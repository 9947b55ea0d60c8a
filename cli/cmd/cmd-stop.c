// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl stop: end background recordings and say what they recorded.
 * A recording is stopped by sending its recorder SIGTERM, exactly like
 * Ctrl-C in the foreground, and is over when the recorder lets go of the
 * lock on its state file, which it does last, after the file is complete.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "cost.h"
#include "damonctl.h"
#include "record.h"
#include "statefile.h"
#include "summary.h"
#include "units.h"

#define DEFAULT_TIMEOUT_NS (30 * 1000000000ULL)

/* Sends SIGTERM to the recorder and no other process, even if its pid
 * has been reused: with a pidfd taken while it still held its lock. */
static int signal_recorder(pid_t pid, int state_fd)
{
#ifdef SYS_pidfd_open
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd >= 0) {
		int ret = 0;

		if (state_is_live(state_fd))
			ret = (int)syscall(SYS_pidfd_send_signal, pidfd, SIGTERM,
					   NULL, 0);
		close(pidfd);
		return ret;
	}
	/* Without a pidfd only a kernel too old for it justifies kill(). */
	if (errno != ENOSYS)
		return -1;
#else
	(void)state_fd;
#endif
	return kill(pid, SIGTERM);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool wait_for_recorder(int state_fd, uint64_t timeout_ns)
{
	uint64_t deadline = monotonic_ns() + timeout_ns;
	const struct timespec tick = { .tv_nsec = 20 * 1000000 };

	while (state_is_live(state_fd)) {
		if (monotonic_ns() >= deadline)
			return false;
		nanosleep(&tick, NULL);
	}
	return true;
}

/* What a recording that is over left in its file, in one line. */
static int tell_outcome(const struct bg_state *st, const char *verb)
{
	struct rec_outcome oc;
	char line[1024];

	if (rec_read_outcome(st->output, &oc)) {
		errmsg("background recording %d (%s) is over, but its file %s "
		       "is unreadable (see above)", (int)st->pid, st->targets,
		       st->output);
		return EXIT_FAIL;
	}
	if (!oc.finished) {
		errmsg("background recording %d (%s) had died without finishing "
		       "(was its recorder killed?): %s keeps its %" PRIu64 " whole "
		       "snapshots ('damonctl report %s'); its state file is "
		       "removed", (int)st->pid, st->targets, st->output,
		       oc.snapshots, st->output);
		return EXIT_FAIL;
	}
	format_summary(line, sizeof(line), &oc.end, oc.start_monotonic_ns,
		       oc.bytes, st->output);
	printf("%s recording %d: %s\n", verb, (int)st->pid, line);
	printf("monitoring cost: %s\n", format_cost(line, sizeof(line), &oc.cost));
	return EXIT_OK;
}

static int stop_one(pid_t id, uint64_t timeout_ns)
{
	char timeout[UNITS_BUFSZ];
	struct bg_state st;
	int fd, ret;

	ret = state_open(id, &st, &fd);
	if (ret == -ENOENT) {
		errmsg("there is no background recording %d: it may have "
		       "finished on its own already", (int)id);
		return EXIT_FAIL;
	}
	if (ret)
		return EXIT_FAIL;
	if (!state_is_live(fd)) {
		/* Its recorder is gone without cleaning up after itself. */
		state_remove(id);
		ret = tell_outcome(&st, "finished");
		goto out;
	}
	if (signal_recorder(id, fd) && errno != ESRCH) {
		errmsg("cannot stop background recording %d: %s", (int)id,
		       strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}
	if (!wait_for_recorder(fd, timeout_ns)) {
		errmsg("background recording %d did not finish within %s and "
		       "is still running: try again, or end it with 'kill %d'",
		       (int)id, format_duration_ns(timeout, timeout_ns), (int)id);
		ret = EXIT_FAIL;
		goto out;
	}
	state_remove(id);	/* normally already gone */
	ret = tell_outcome(&st, "stopped");
out:
	close(fd);
	bg_state_free(&st);
	return ret;
}

/* 1 if a recorder holds id's state file, 0 if it is stale, -1 if gone. */
static int probe(pid_t id)
{
	struct bg_state st;
	int fd, ret;

	ret = state_open(id, &st, &fd);
	if (ret)
		return -1;
	ret = state_is_live(fd);
	close(fd);
	bg_state_free(&st);
	return ret;
}

static int pick_only(pid_t *ids, size_t n)
{
	char list[256] = "";
	size_t i, used = 0;

	for (i = 0; i < n && used < sizeof(list) - 16; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%d",
					 i ? ", " : "", (int)ids[i]);
	return cmdline_usage("%zu background recordings are running (%s): "
			     "give the ID of one, or --all", n, list);
}

/*
 * Without IDs: dead recorders are reported and cleaned up whatever else
 * happens; then the one running recording is stopped, or all of them with
 * --all.
 */
static int stop_found(bool all, uint64_t timeout_ns)
{
	pid_t *ids, *live;
	size_t n, nr_live = 0, nr_dead = 0, i;
	int ret = EXIT_OK;

	if (state_list(&ids, &n))
		return EXIT_FAIL;
	live = calloc(n ? n : 1, sizeof(*live));
	if (!live) {
		free(ids);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		int p = probe(ids[i]);

		if (p == 1) {
			live[nr_live++] = ids[i];
		} else if (p == 0) {
			int one = stop_one(ids[i], timeout_ns);

			nr_dead++;
			if (one > ret)
				ret = one;
		}
	}
	if (!nr_live && !nr_dead) {
		errmsg("no background recording of yours is running");
		ret = all ? EXIT_OK : EXIT_FAIL;
	} else if (nr_live > 1 && !all) {
		ret = pick_only(live, nr_live);
	} else {
		for (i = 0; i < nr_live; i++) {
			int one = stop_one(live[i], timeout_ns);

			if (one > ret)
				ret = one;
		}
	}
	free(live);
	free(ids);
	return ret;
}

int cmd_stop(int argc, const char **argv)
{
	char *timeout_arg = NULL;
	int all = 0;
	struct poptOption options[] = {
		{ "all", 'a', POPT_ARG_NONE, &all, 0,
		  "stop all your background recordings", NULL },
		{ "timeout", 't', POPT_ARG_STRING, NULL, 't',
		  "how long to wait for each to finish (default 30s)",
		  "DURATION" },
		CMDLINE_HELP,
		POPT_TABLEEND
	};
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS;
	pid_t *ids = NULL;
	const char **args;
	const char *why;
	poptContext ctx;
	size_t n = 0, i;
	int rc, ret = EXIT_USAGE;

	ctx = cmdline_context(argc, argv, options, "[OPTION...] [ID...]", 0);
	if (!ctx)
		return EXIT_FAIL;
	while ((rc = poptGetNextOpt(ctx)) > 0) {
		if (rc == 't') {
			cmdline_keep(&timeout_arg, poptGetOptArg(ctx));
			continue;
		}
		poptPrintHelp(ctx, stdout, 0);	/* 'h' */
		fputs("\nID is the number 'damonctl start --background' "
		      "printed.  Without an ID the only\nrunning recording "
		      "is stopped.\n", stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (rc < -1) {
		ret = cmdline_bad_option(ctx, rc);
		goto out;
	}
	if (timeout_arg && (parse_duration_ns(timeout_arg, &timeout_ns, &why) ||
			    !timeout_ns)) {
		ret = cmdline_usage("--timeout '%s' %s", timeout_arg,
				    timeout_ns ? why : "must be longer than 0");
		goto out;
	}
	args = poptGetArgs(ctx);
	if (args && all) {
		ret = cmdline_usage("give IDs or --all, not both");
		goto out;
	}
	if (!args) {
		ret = stop_found(all, timeout_ns);
		goto out;
	}
	for (n = 0; args[n]; n++)
		;
	ids = calloc(n, sizeof(*ids));
	if (!ids) {
		errmsg("out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint64_t v;

		if (parse_count(args[i], INT32_MAX, &v, &why) || !v) {
			ret = cmdline_usage("'%s' is not a recording ID (a number)",
					    args[i]);
			goto out;
		}
		ids[i] = (pid_t)v;
	}
	ret = EXIT_OK;
	for (i = 0; i < n; i++) {
		int one = stop_one(ids[i], timeout_ns);

		if (one > ret)
			ret = one;
	}
out:
	free(ids);
	free(timeout_arg);
	poptFreeContext(ctx);
	return ret;
}
