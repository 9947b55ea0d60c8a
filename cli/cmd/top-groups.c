// SPDX-License-Identifier: GPL-2.0
/*
 * damonctl top --cgroup (and --pid with --follow-children): a process
 * table instead of one address space's picture.  The processes are kept
 * in sessions by the exporter's pool, so processes come and go as they
 * do for the exporter; the table is redrawn once per update interval, the
 * processes with the largest working sets first.
 */
#include <errno.h>
#include <inttypes.h>
#include <ncurses.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"
#include "launch.h"
#include "msg.h"
#include "top.h"
#include "units.h"

/* damon_idle_bytes' thresholds shown: 10 s and 60 s. */
#define COL_IDLE_A	1
#define COL_IDLE_B	2

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The lines of one table, into a memory stream. */
static char *render(struct exporter *ex, unsigned int max_rows, size_t *len)
{
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ], c[UNITS_BUFSZ], d[UNITS_BUFSZ];
	struct xp_row *rows;
	char *text = NULL;
	size_t i, n;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	pthread_mutex_lock(&ex->lock);
	for (i = 0; i < ex->ng; i++) {
		const struct xp_group *g = &ex->groups[i];
		struct xp_sums sums;

		xp_sum_group(ex, g, &sums);
		xp_sums_free(&sums);
		fprintf(f, "%s%s: %" PRIu64 " processes%s, %s monitored, "
			"working set %s, idle >= 10 s %s\n", g->g.label,
			g->gone ? " (gone)" : "", sums.targets,
			g->nskipped ? " (and some skipped: not permitted)" : "",
			format_size(a, sums.monitored), format_size(b, sums.wss),
			format_size(c, sums.idle[COL_IDLE_A]));
		fprintf(f, "  kdamond %s CPU in all, %s%s of samples taken, "
			"sampling every %s\n", format_duration_ns(d, g->cpu_ns),
			sums.due ? format_percent(a, 100.0 * (double)sums.done /
						  (double)sums.due) : "n/a",
			sums.due ? "%" : "", sums.sample_s > 0 ?
			format_duration_us(b, (uint64_t)(sums.sample_s * 1e6 + 0.5)) :
			"n/a");
	}
	n = xp_rows(ex, &rows);
	pthread_mutex_unlock(&ex->lock);
	fprintf(f, "%8s %-16s %10s %10s %10s %10s %7s\n", "PID", "COMM",
		"MONITORED", "WSS", "IDLE>=10s", "IDLE>=60s", "REGIONS");
	for (i = 0; i < n && i < max_rows; i++) {
		const struct xp_target *t = rows[i].t;

		fprintf(f, "%8" PRId32 " %-16.16s %10s %10s %10s %10s %7" PRIu32 "\n",
			t->pid, t->comm, format_size(a, t->monitored),
			format_size(b, t->wss), format_size(c, t->idle[COL_IDLE_A]),
			format_size(d, t->idle[COL_IDLE_B]), t->regions);
	}
	free(rows);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static bool take_signals(int fd)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			stop = true;
	return stop;
}

int top_groups(struct tgroup *groups, size_t ng, const struct damon_attrs *a,
	       int sample_given, bool batch, uint64_t iterations)
{
	struct exporter ex = { 0 };
	uint64_t next_scan = 0, next_draw = 0, drawn = 0, update_ns;
	struct pollfd *fds = NULL;
	struct xp_session **who = NULL;
	SCREEN *screen = NULL;
	bool stop = false;
	sigset_t old;
	int ret = 0, sig = -1;
	size_t i, j;

	ex.groups = calloc(ng, sizeof(*ex.groups));
	if (!ex.groups) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < ng; i++)
		ex.groups[i].g = groups[i];
	ex.ng = ng;
	ex.attrs = *a;
	ex.sample_given = sample_given;
	pthread_mutex_init(&ex.lock, NULL);
	sigprocmask(SIG_SETMASK, NULL, &old);
	ret = launch_block_signals(&old, &sig);
	if (!ret)
		ret = xp_probe(&ex);
	if (!ret && !ex.device_up)
		ret = EXIT_NODEV;	/* said by the probe */
	update_ns = ex.attrs.update_us * 1000ULL;
	if (!ret && !batch) {
		screen = newterm(NULL, stdout, stdin);
		if (!screen) {
			errmsg("cannot use the terminal (TERM=%s): try --batch",
			       getenv("TERM") ? getenv("TERM") : "");
			ret = EXIT_FAIL;
		} else {
			cbreak();
			noecho();
			nodelay(stdscr, TRUE);
			curs_set(0);
		}
	}
	while (!ret && !stop) {
		uint64_t now = mono_ns(), wake;
		size_t n = 2;
		int tmo, rc;

		if (now >= next_scan) {
			xp_rescan(&ex);
			next_scan = now + update_ns;
		}
		if (now >= next_draw) {
			size_t len;
			char *text = render(&ex, batch ? 20 : (unsigned int)(LINES > 6 ? LINES - 6 : 1), &len);

			next_draw = now + update_ns;
			if (text && batch) {
				printf("%s\n", text);
				fflush(stdout);
			} else if (text) {
				erase();
				mvaddnstr(0, 0, text, -1);
				mvaddstr(LINES - 1, 0, " q: quit ");
				refresh();
			}
			free(text);
			if (iterations && ++drawn >= iterations)
				break;
		}
		for (i = 0; i < ex.ng; i++)
			for (j = 0; j < ex.groups[i].ns; j++)
				n += ex.groups[i].s[j].running;
		free(fds);
		free(who);
		fds = calloc(n, sizeof(*fds));
		who = calloc(n, sizeof(*who));
		if (!fds || !who) {
			errmsg("out of memory");
			ret = EXIT_FAIL;
			break;
		}
		fds[0] = (struct pollfd){ .fd = sig, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = batch ? -1 : STDIN_FILENO,
					  .events = POLLIN };
		n = 2;
		for (i = 0; i < ex.ng; i++)
			for (j = 0; j < ex.groups[i].ns; j++)
				if (ex.groups[i].s[j].running) {
					who[n] = &ex.groups[i].s[j];
					fds[n++] = (struct pollfd){
						.fd = ex.groups[i].s[j].dev.fd,
						.events = POLLIN };
				}
		wake = next_scan < next_draw ? next_scan : next_draw;
		now = mono_ns();
		tmo = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
		rc = poll(fds, n, tmo);
		if (rc < 0 && errno != EINTR) {
			errmsg("poll failed: %s", strerror(errno));
			ret = EXIT_FAIL;
			break;
		}
		if (rc <= 0)
			continue;
		if (fds[0].revents && take_signals(sig))
			stop = true;
		if (fds[1].revents) {
			int ch;

			while ((ch = getch()) != ERR)
				if (ch == 'q' || ch == 'Q')
					stop = true;
		}
		for (i = 2; i < n; i++)
			if (fds[i].revents)
				xp_drain(&ex, who[i]);
	}
	if (screen) {
		endwin();
		delscreen(screen);
	}
	free(fds);
	free(who);
	xp_free_sessions(&ex);
	free(ex.groups);
	if (sig >= 0)
		close(sig);
	sigprocmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_destroy(&ex.lock);
	return ret;
}
