// SPDX-License-Identifier: GPL-2.0
/*
 * The recorder loop.  Every read() batch goes to the file with write()
 * at once: nothing waits in the process, so killing the recorder loses
 * only what the module still had queued and the batch being written
 * (which may be left in the file in part: readers stop before it).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "damonctl.h"
#include "recorder.h"
#include "snapshot.h"
#include "units.h"

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct loop {
	struct recording *rec;
	unsigned char *buf;
	size_t cap;
	bool stopping, done, command_reaped;
	uint64_t drain_deadline_ns;
	int status;
};

static void request_stop(struct loop *lp, uint32_t cause, int32_t detail)
{
	if (lp->stopping)
		return;
	lp->stopping = true;
	lp->rec->end.cause = cause;
	lp->rec->end.detail = detail;
	lp->drain_deadline_ns = now_ns(CLOCK_MONOTONIC) +
		RECORDER_DRAIN_TIMEOUT_MS * 1000000ULL;
	/* If it fails the session is over anyway: draining still ends. */
	device_stop(&lp->rec->dev);
}

/* One line when the monitor falls behind or snapshots get lost, naming
 * the option that helps. */
static void warn_cost(const struct recording *rec, const struct snap *s,
		      unsigned int alarms)
{
	char a[UNITS_BUFSZ], b[UNITS_BUFSZ];

	if (alarms & COST_BEHIND)
		warnmsg("the monitor is falling behind: it took %s%% of the "
			"samples due over the last %u aggregations; sample "
			"less often (--sample, now %s) or allow fewer regions "
			"(--max-regions, now %u)",
			format_percent(a, rec->watch.behind_due ? 100.0 *
				       (double)rec->watch.behind_done /
				       (double)rec->watch.behind_due : 0),
			rec->watch.behind_run,
			format_duration_us(b, s->hdr.sample_us),
			rec->dev.attrs.max_nr_regions);
	if (alarms & COST_DROPPED)
		warnmsg("the module dropped %" PRIu64 " snapshot%s that were "
			"not read in time (is the disk or the machine too "
			"busy?); let more wait (--queue-depth, now %u) or "
			"aggregate longer (--aggr, now %s)",
			(uint64_t)s->hdr.dropped, s->hdr.dropped == 1 ? "" : "s",
			rec->dev.attrs.queue_depth,
			format_duration_us(b, s->hdr.aggr_us));
}

/* Adds the snapshots of a read() batch to the cost, for the summary. */
static void count_records(struct loop *lp, const unsigned char *p, size_t len)
{
	const unsigned char *last = NULL;
	size_t last_len = 0;

	while (len >= REC_FRAME_SIZE) {
		struct rec_frame frame;
		struct snap s;
		const char *why;

		rec_frame_get(p, &frame);
		if (frame.size < REC_FRAME_SIZE || frame.size > len)
			break;
		if (frame.type == DAMON_RECORD_SNAPSHOT &&
		    !snap_parse(&s, p, frame.size, &why)) {
			unsigned int alarms;

			cost_add(&lp->rec->cost, &s.hdr);
			last = p;
			last_len = frame.size;
			alarms = cost_watch(&lp->rec->watch, &s.hdr);
			if (alarms && lp->rec->warn)
				warn_cost(lp->rec, &s, alarms);
		}
		p += frame.size;
		len -= frame.size;
	}
	/* The schemes act on the newest snapshot of the batch. */
	if (last && lp->rec->runner && !lp->stopping)
		runner_offer(lp->rec->runner, last, last_len);
}

/* The schemes' counters, when they changed since last written. */
static int write_schemes(struct recording *rec)
{
	const struct damonrec_scheme_stats *st;

	if (!rec->runner)
		return 0;
	st = runner_stats(rec->runner);
	if (!st)
		return 0;
	return rec_write_schemes(rec->out_fd, now_ns(CLOCK_MONOTONIC), st,
				 (uint32_t)rec->runner->actor->n);
}

/* Reads until the queue is empty (0) or the session ended (1). */
static int drain(struct loop *lp)
{
	struct recording *rec = lp->rec;

	for (;;) {
		ssize_t n = read(rec->dev.fd, lp->buf, lp->cap);

		if (n > 0) {
			count_records(lp, lp->buf, (size_t)n);
			if (rec_write_all(rec->out_fd, lp->buf, (size_t)n) ||
			    write_schemes(rec)) {
				errmsg("writing %s failed: %s", rec->out_path,
				       strerror(errno));
				lp->status = EXIT_FAIL;
				request_stop(lp, DAMONREC_CAUSE_ERROR, errno);
				return 1;
			}
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EAGAIN)
			return 0;
		if (errno == EINTR)
			continue;
		/* A record larger than the handshake promised: grow. */
		if (errno == EINVAL && lp->cap < REC_MAX_RECORD) {
			unsigned char *p = realloc(lp->buf, lp->cap * 2);

			if (p) {
				lp->buf = p;
				lp->cap *= 2;
				continue;
			}
		}
		errmsg("reading snapshots from %s failed: %s", rec->dev.path,
		       strerror(errno));
		lp->status = EXIT_FAIL;
		request_stop(lp, DAMONREC_CAUSE_ERROR, errno);
		return 1;
	}
}

static void reap_command(struct loop *lp)
{
	int status;

	if (!lp->rec->command_pid || lp->command_reaped)
		return;
	if (waitpid(lp->rec->command_pid, &status, WNOHANG) ==
	    lp->rec->command_pid) {
		lp->command_reaped = true;
		lp->rec->end.cause = DAMONREC_CAUSE_COMMAND;
		lp->rec->end.detail = status;
	}
}

static void handle_signals(struct loop *lp)
{
	struct signalfd_siginfo si;

	while (read(lp->rec->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap_command(lp);
			if (lp->command_reaped)
				request_stop(lp, DAMONREC_CAUSE_COMMAND,
					     lp->rec->end.detail);
		} else if (lp->stopping) {
			/* Asked twice: stop waiting for the module. */
			lp->rec->end.flags |= DAMONREC_END_DRAIN_TIMEOUT;
			lp->done = true;
		} else {
			request_stop(lp, DAMONREC_CAUSE_SIGNAL,
				     (int32_t)si.ssi_signo);
		}
	}
}

static int poll_timeout(const struct loop *lp, uint64_t now)
{
	uint64_t deadline = 0;

	if (lp->stopping)
		deadline = lp->drain_deadline_ns;
	else if (lp->rec->duration_ns)
		deadline = lp->rec->start_monotonic_ns + lp->rec->duration_ns;
	/* Snapshots wake us every aggregation anyway; this only matters
	 * when the module is slow to deliver. */
	if (!lp->stopping && lp->rec->maps.n &&
	    (!deadline || lp->rec->maps.next_ns < deadline))
		deadline = lp->rec->maps.next_ns;
	if (!lp->stopping && lp->rec->follow &&
	    (!deadline || lp->rec->follow->next_ns < deadline))
		deadline = lp->rec->follow->next_ns;
	if (!deadline)
		return -1;
	if (deadline <= now)
		return 0;
	/* Round up: waking a little late beats spinning. */
	return (int)((deadline - now + 999999) / 1000000);
}

/*
 * Once the targets exited the COMMAND is gone or going; its exit status
 * says more than "every target exited".  A COMMAND still running when
 * the recording stops for another reason is told to stop too.
 */
static void finish_command(struct loop *lp)
{
	struct recording *rec = lp->rec;
	int waited;

	if (!rec->command_pid || lp->command_reaped)
		return;
	if (rec->end.cause != DAMONREC_CAUSE_TARGETS_EXITED) {
		kill(rec->command_pid, SIGTERM);
		return;
	}
	for (waited = 0; waited < 5000 && !lp->command_reaped; waited += 10) {
		reap_command(lp);
		if (!lp->command_reaped)
			usleep(10000);
	}
}

static void watch_maps(struct loop *lp, uint64_t now, int force)
{
	struct recording *rec = lp->rec;

	if (!rec->maps.n || lp->stopping)
		return;
	if (maps_watch_poll(&rec->maps, rec->out_fd, now, force)) {
		errmsg("writing %s failed: %s", rec->out_path, strerror(errno));
		lp->status = EXIT_FAIL;
		request_stop(lp, DAMONREC_CAUSE_ERROR, errno);
	}
}

static void follow_targets(struct loop *lp, uint64_t now)
{
	struct recording *rec = lp->rec;

	if (!rec->follow || lp->stopping)
		return;
	if (follow_poll(rec->follow, &rec->dev, rec->out_fd, &rec->maps, now)) {
		errmsg("writing %s failed: %s", rec->out_path, strerror(errno));
		lp->status = EXIT_FAIL;
		request_stop(lp, DAMONREC_CAUSE_ERROR, errno);
	}
}

static int write_end(struct loop *lp)
{
	struct recording *rec = lp->rec;
	struct damon_status st;

	rec->end.realtime_ns = now_ns(CLOCK_REALTIME);
	rec->end.monotonic_ns = now_ns(CLOCK_MONOTONIC);
	rec->end.snapshots = rec->cost.snapshots;
	rec->end.dropped = rec->cost.dropped;
	if (device_status(&rec->dev, &st) == 0) {
		rec->end.end_reason = st.end_reason;
		rec->end.cpu_ns = st.cpu_ns;
		if (st.dropped > rec->end.dropped)
			rec->end.dropped = st.dropped;
	}
	if (rec_write_end(rec->out_fd, &rec->end) || fdatasync(rec->out_fd)) {
		errmsg("writing %s failed: %s", rec->out_path, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

int recorder_run(struct recording *rec)
{
	struct loop lp = { .rec = rec, .status = EXIT_OK };
	int ret;

	/* max_snapshot_size is only exact once the targets are set. */
	lp.cap = rec->dev.hs.max_snapshot_size;
	if (lp.cap < 4096)
		lp.cap = 4096;
	if (lp.cap > REC_MAX_RECORD)
		lp.cap = REC_MAX_RECORD;
	lp.buf = malloc(lp.cap);
	if (!lp.buf) {
		errmsg("out of memory for a %zu-byte snapshot buffer", lp.cap);
		return EXIT_FAIL;
	}
	watch_maps(&lp, now_ns(CLOCK_MONOTONIC), 1);
	while (!lp.done) {
		struct pollfd fds[2] = {
			{ .fd = rec->dev.fd, .events = POLLIN },
			{ .fd = rec->sig_fd, .events = POLLIN },
		};
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		if (!lp.stopping && rec->duration_ns &&
		    now >= rec->start_monotonic_ns + rec->duration_ns)
			request_stop(&lp, DAMONREC_CAUSE_DURATION, 0);
		if (lp.stopping && now >= lp.drain_deadline_ns) {
			errmsg("the module did not end the session within %d s "
			       "of being told to stop: the snapshots it still "
			       "had are lost", RECORDER_DRAIN_TIMEOUT_MS / 1000);
			rec->end.flags |= DAMONREC_END_DRAIN_TIMEOUT;
			break;
		}
		follow_targets(&lp, now);
		watch_maps(&lp, now, 0);
		ret = poll(fds, 2, poll_timeout(&lp, now));
		if (ret < 0 && errno != EINTR) {
			errmsg("poll failed: %s", strerror(errno));
			lp.status = EXIT_FAIL;
			break;
		}
		if (ret <= 0)
			continue;
		if (fds[1].revents)
			handle_signals(&lp);
		if (fds[0].revents && !lp.done && drain(&lp)) {
			if (!lp.stopping && !rec->end.cause)
				rec->end.cause = DAMONREC_CAUSE_TARGETS_EXITED;
			lp.done = true;
		}
	}
	free(lp.buf);
	finish_command(&lp);
	if (rec->runner) {
		runner_stop(rec->runner);
		if (write_schemes(rec)) {
			errmsg("writing %s failed: %s", rec->out_path,
			       strerror(errno));
			lp.status = EXIT_FAIL;
		}
	}
	ret = write_end(&lp);
	return lp.status ? lp.status : ret;
}
