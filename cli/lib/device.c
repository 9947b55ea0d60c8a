// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/damon sessions, and what to tell people when the kernel says no.
 * The kernel reports a bad attribute as (field, reason, limit, other
 * field); people set attributes with options, so every sentence names the
 * option and its value in the units they typed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "device.h"
#include "units.h"

const char *device_path(void)
{
	const char *p = getenv("DAMON_DEVICE");

	return (p && *p) ? p : DAMON_DEVICE_PATH;
}

enum field_kind { KIND_NONE, KIND_TIME, KIND_COUNT, KIND_BP };

static const struct {
	const char *option;
	enum field_kind kind;
} fields[] = {
	[DAMON_FIELD_NONE] = { "an attribute", KIND_NONE },
	[DAMON_FIELD_SIZE] = { "the structure size", KIND_NONE },
	[DAMON_FIELD_FLAGS] = { "the attribute flags", KIND_NONE },
	[DAMON_FIELD_SAMPLE_US] = { "--sample", KIND_TIME },
	[DAMON_FIELD_AGGR_US] = { "--aggr", KIND_TIME },
	[DAMON_FIELD_UPDATE_US] = { "--update", KIND_TIME },
	[DAMON_FIELD_MIN_NR_REGIONS] = { "--min-regions", KIND_COUNT },
	[DAMON_FIELD_MAX_NR_REGIONS] = { "--max-regions", KIND_COUNT },
	[DAMON_FIELD_QUEUE_DEPTH] = { "--queue-depth", KIND_COUNT },
	[DAMON_FIELD_NR_PIDS] = { "the number of targets", KIND_COUNT },
	[DAMON_FIELD_PIDS] = { "--pid", KIND_NONE },
	[DAMON_FIELD_PAD] = { "a reserved field", KIND_NONE },
	[DAMON_FIELD_TUNE_GOAL_BP] = { "--tune", KIND_BP },
	/* damonctl leaves the step at the module's default. */
	[DAMON_FIELD_TUNE_AGGRS] = { "the auto-tuning step", KIND_COUNT },
	[DAMON_FIELD_TUNE_MIN_SAMPLE_US] = { "--tune-min-sample", KIND_TIME },
	[DAMON_FIELD_TUNE_MAX_SAMPLE_US] = { "--tune-max-sample", KIND_TIME },
};

#define NR_FIELDS (sizeof(fields) / sizeof(fields[0]))

const char *field_option(uint32_t field)
{
	return field < NR_FIELDS ? fields[field].option : "an unknown field";
}

static enum field_kind field_kind(uint32_t field)
{
	return field < NR_FIELDS ? fields[field].kind : KIND_NONE;
}

static int attr_value(const struct damon_attrs *a, uint32_t field,
		      uint64_t *v)
{
	switch (field) {
	case DAMON_FIELD_SAMPLE_US: *v = a->sample_us; return 0;
	case DAMON_FIELD_AGGR_US: *v = a->aggr_us; return 0;
	case DAMON_FIELD_UPDATE_US: *v = a->update_us; return 0;
	case DAMON_FIELD_MIN_NR_REGIONS: *v = a->min_nr_regions; return 0;
	case DAMON_FIELD_MAX_NR_REGIONS: *v = a->max_nr_regions; return 0;
	case DAMON_FIELD_QUEUE_DEPTH: *v = a->queue_depth; return 0;
	case DAMON_FIELD_TUNE_GOAL_BP: *v = a->tune_goal_bp; return 0;
	case DAMON_FIELD_TUNE_MIN_SAMPLE_US: *v = a->tune_min_sample_us; return 0;
	case DAMON_FIELD_TUNE_MAX_SAMPLE_US: *v = a->tune_max_sample_us; return 0;
	default: return -1;
	}
}

/* A value of a field as people write it: "50 us", "1000". */
static const char *field_value(char buf[UNITS_BUFSZ], uint32_t field,
			       uint64_t v)
{
	if (field_kind(field) == KIND_TIME)
		return format_duration_us(buf, v);
	if (field_kind(field) == KIND_BP) {
		format_percent(buf, (double)v / 100);
		strcat(buf, "%");
		return buf;
	}
	snprintf(buf, UNITS_BUFSZ, "%" PRIu64, v);
	return buf;
}

/* ---- sentences ---- */

static bool in_group_database(gid_t gid, const char *user)
{
	struct group *gr = getgrgid(gid);
	char **m;

	if (!gr || !user)
		return false;
	for (m = gr->gr_mem; *m; m++)
		if (!strcmp(*m, user))
			return true;
	return false;
}

static bool in_session_groups(gid_t gid)
{
	gid_t groups[256];
	int i, n = getgroups(256, groups);

	if (getegid() == gid)
		return true;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void explain_access(char *buf, size_t len, const char *path)
{
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw ? pw->pw_name : "USER";
	struct stat st;
	struct group *gr;

	if (stat(path, &st)) {
		snprintf(buf, len, "permission denied on %s: run damonctl as "
			 "root, or ask an administrator for access", path);
		return;
	}
	if (!(st.st_mode & S_IRGRP) || st.st_gid == 0) {
		snprintf(buf, len, "permission denied on %s: only root may use it "
			 "(mode %04o): install the damondev udev rule that gives it "
			 "to group '" DAMONCTL_DEVICE_GROUP "', or run damonctl as "
			 "root", path, (unsigned)(st.st_mode & 07777));
		return;
	}
	gr = getgrgid(st.st_gid);
	if (!gr) {
		snprintf(buf, len, "permission denied on %s: only members of its "
			 "group (gid %u) may use it: ask an administrator to add "
			 "you to that group, or run damonctl as root", path,
			 (unsigned)st.st_gid);
	} else if (!in_session_groups(st.st_gid) &&
		   (in_group_database(st.st_gid, user) ||
		    (pw && pw->pw_gid == st.st_gid))) {
		snprintf(buf, len, "permission denied on %s: you are in its group "
			 "'%s', but this login session started before you were "
			 "added: log in again (or run 'newgrp %s')", path,
			 gr->gr_name, gr->gr_name);
	} else {
		snprintf(buf, len, "permission denied on %s: only members of its "
			 "group '%s' may use it: ask an administrator to add you "
			 "('usermod -aG %s %s') and log in again, or run damonctl "
			 "as root", path, gr->gr_name, gr->gr_name, user);
	}
}

void explain_open(char *buf, size_t len, int err, const char *path)
{
	switch (err) {
	case ENOENT:
		snprintf(buf, len, "%s does not exist, so the damondev module is "
			 "not loaded: load it with 'modprobe damondev' (or insmod "
			 "kmod/damondev.ko)", path);
		break;
	case EACCES:
		explain_access(buf, len, path);
		break;
	case EPERM:
		snprintf(buf, len, "the damondev module does not let you open %s "
			 "(operation not permitted): run damonctl as root", path);
		break;
	case ENFILE:
		snprintf(buf, len, "%s has as many sessions open as the damondev "
			 "module allows machine-wide (max_sessions): stop "
			 "recordings you no longer need ('damonctl stop'), or ask "
			 "an administrator to raise "
			 "/sys/module/damondev/parameters/max_sessions", path);
		break;
	case EUSERS:
		snprintf(buf, len, "you have as many %s sessions open as the "
			 "damondev module allows one user (max_sessions_per_user): "
			 "stop recordings you no longer need ('damonctl stop'), or "
			 "ask an administrator to raise "
			 "/sys/module/damondev/parameters/max_sessions_per_user",
			 path);
		break;
	case ENXIO:
	case ENODEV:
		snprintf(buf, len, "%s exists but no damondev module serves it: "
			 "load the module with 'modprobe damondev'", path);
		break;
	default:
		snprintf(buf, len, "cannot open %s: %s", path, strerror(err));
		break;
	}
}

void explain_handshake(char *buf, size_t len, int err, const char *path)
{
	snprintf(buf, len, "%s does not answer the damondev handshake (%s): it is "
		 "not a damondev device; check DAMON_DEVICE, or reload the "
		 "module", path, strerror(err));
}

void explain_features(char *buf, size_t len, const struct damon_handshake *hs,
		      const struct damon_attrs *a)
{
	buf[0] = '\0';
	if (hs->api_version < DAMON_API_VERSION)
		snprintf(buf, len, "the damondev module speaks API version %" PRIu32
			 ", older than the %d damonctl needs: update the module",
			 hs->api_version, DAMON_API_VERSION);
	else if ((a->flags & DAMON_ATTR_TLB_FLUSH) &&
		 !(hs->features & DAMON_FEAT_TLB_FLUSH))
		snprintf(buf, len, "this damondev module cannot flush TLBs after "
			 "sampling (it lacks the TLB flush feature): update the "
			 "module, or pass --no-tlb-flush to record without (hot "
			 "pages may then look idle)");
	else if (a->tune_goal_bp && !(hs->features & DAMON_FEAT_AUTOTUNE))
		snprintf(buf, len, "this damondev module cannot auto-tune its "
			 "intervals (it lacks the auto-tuning feature): update "
			 "the module, or leave out --tune");
}

/* The queue holds queue_depth snapshots of up to max_nr_regions regions
 * per target: the memory bound involves both options, whichever the
 * module flagged. */
static void explain_memory(char *buf, size_t len, uint32_t nr_targets,
			   const struct damon_attrs *a,
			   const struct damon_handshake *hs, uint64_t limit)
{
	char sz[UNITS_BUFSZ], who[64] = "";

	if (!limit)
		limit = hs->max_session_memory;
	if (nr_targets)
		snprintf(who, sizeof(who), "for %" PRIu32 " process%s, ",
			 nr_targets, nr_targets == 1 ? "" : "es");
	snprintf(buf, len, "%sa queue of --queue-depth %" PRIu32 " snapshots of "
		 "up to --max-regions %" PRIu32 " regions per process needs more "
		 "memory than the module allows one session (%s): lower "
		 "--queue-depth or --max-regions%s", who, a->queue_depth,
		 a->max_nr_regions, format_size(sz, limit),
		 nr_targets ? ", or record fewer processes" : "");
}

void explain_attrs(char *buf, size_t len, int err,
		   const struct damon_attrs *sent,
		   const struct damon_attrs *back,
		   const struct damon_handshake *hs)
{
	char val[UNITS_BUFSZ], lim[UNITS_BUFSZ], what[UNITS_BUFSZ + 64];
	uint32_t f = back->err_field;
	const char *opt = field_option(f);
	uint64_t v;

	if (err == E2BIG) {
		snprintf(buf, len, "the damondev module is older than this damonctl "
			 "and refuses its attributes (E2BIG): update the module");
		return;
	}
	if (err != EINVAL) {
		snprintf(buf, len, "setting the monitoring attributes failed: %s",
			 strerror(err));
		return;
	}
	if (attr_value(sent, f, &v) == 0)
		snprintf(what, sizeof(what), "%s (%s)", opt, field_value(val, f, v));
	else
		snprintf(what, sizeof(what), "%s", opt);

	switch (back->err_reason) {
	case DAMON_ERR_TOO_SMALL:
	case DAMON_ERR_TOO_LARGE: {
		bool small = back->err_reason == DAMON_ERR_TOO_SMALL;
		uint32_t o = back->err_other;

		field_value(lim, o ? o : f, back->err_limit);
		if (o)
			snprintf(buf, len, "%s must be at %s %s (%s): %s %s or %s %s",
				 what, small ? "least" : "most", field_option(o),
				 lim, small ? "raise" : "lower", opt,
				 small ? "lower" : "raise", field_option(o));
		else
			snprintf(buf, len, "%s must be at %s %s", what,
				 small ? "least" : "most", lim);
		break;
	}
	case DAMON_ERR_UNKNOWN_BITS:
		snprintf(buf, len, "this damondev module does not know the attribute "
			 "flags 0x%" PRIx32 " (it is older than damonctl): update "
			 "the module, or pass --no-tlb-flush", sent->flags);
		break;
	case DAMON_ERR_TOO_MUCH_MEMORY:
		explain_memory(buf, len, 0, sent, hs, back->err_limit);
		break;
	case DAMON_ERR_NOT_ZERO:
		snprintf(buf, len, "the module says %s must be zero: this is a bug "
			 "in damonctl, please report it", opt);
		break;
	case DAMON_ERR_FLUSH_BUDGET:
		if (f == DAMON_FIELD_FLAGS) {
			snprintf(buf, len, "the damondev module allows TLB "
				 "flushes only to CAP_SYS_ADMIN or CAP_PERFMON "
				 "(tlb_flush_max_hz is 0): pass --no-tlb-flush, "
				 "or run damonctl as root");
			break;
		}
		field_value(lim, f, back->err_limit);
		snprintf(buf, len, "%s is too short with TLB flushes: without "
			 "CAP_PERFMON the damondev module allows them at most "
			 "every %s machine-wide (tlb_flush_max_hz): raise %s to "
			 "%s or more, pass --no-tlb-flush, or run damonctl as root",
			 what, lim, opt, lim);
		break;
	default:
		snprintf(buf, len, "the damondev module refused %s (reason %" PRIu32
			 "): see 'dmesg' for details", what, back->err_reason);
		break;
	}
}

void explain_targets(char *buf, size_t len, int err,
		     const struct damon_targets *back, uint32_t nr_pids,
		     const struct damon_attrs *attrs,
		     const struct damon_handshake *hs,
		     const char *who, int is_command)
{
	switch (back->err_reason) {
	case DAMON_ERR_NO_SUCH_PROCESS:
		err = ESRCH;
		break;
	case DAMON_ERR_NOT_PERMITTED:
		err = EPERM;
		break;
	default:
		break;
	}
	if (err == ESRCH) {
		if (is_command)
			snprintf(buf, len, "the COMMAND (%s) exited before monitoring "
				 "started", who);
		else
			snprintf(buf, len, "there is no process with %s: check the "
				 "pid (the process may have exited)", who);
		return;
	}
	if (err == EPERM) {
		snprintf(buf, len, "you may not monitor %s: without "
			 "CAP_SYS_PTRACE you may monitor only your own processes "
			 "that are dumpable, hold no capabilities you lack and "
			 "run in your user namespace, as with ptrace (run "
			 "damonctl as root, or as the process's owner outside "
			 "any user namespace)", who);
		return;
	}
	switch (back->err_reason) {
	case DAMON_ERR_NO_MM:
		snprintf(buf, len, "%s has no user memory to monitor (it is a "
			 "kernel thread, or exiting): give the pid of a user "
			 "process", who);
		return;
	case DAMON_ERR_DUPLICATE:
		snprintf(buf, len, "%s is given twice: give each --pid once", who);
		return;
	case DAMON_ERR_TOO_LARGE:
		snprintf(buf, len, "too many target processes (%" PRIu32 "): the "
			 "damondev module monitors at most %" PRIu64 " per "
			 "session: record them in several sessions", nr_pids,
			 (uint64_t)back->err_limit);
		return;
	case DAMON_ERR_TOO_MUCH_MEMORY:
		explain_memory(buf, len, nr_pids, attrs, hs, back->err_limit);
		return;
	default:
		break;
	}
	if (err != EINVAL)
		snprintf(buf, len, "setting the target processes failed: %s",
			 strerror(err));
	else
		snprintf(buf, len, "the damondev module refused %s (reason %"
			 PRIu32 "): see 'dmesg' for details",
			 back->err_field == DAMON_FIELD_PIDS ? who :
			 field_option(back->err_field), back->err_reason);
}

/* ---- calls ---- */

static int fail(int code, const char *msg)
{
	errmsg("%s", msg);
	return code;
}

int device_open(struct damon_device *dev)
{
	char msg[512];

	memset(dev, 0, sizeof(*dev));
	dev->path = device_path();
	/* Non-blocking: poll() says when to read, and a stray wakeup must
	 * not hang the recorder. */
	dev->fd = open(dev->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (dev->fd < 0) {
		explain_open(msg, sizeof(msg), errno, dev->path);
		return fail(EXIT_NODEV, msg);
	}
	return 0;
}

int device_handshake(struct damon_device *dev)
{
	char msg[512];

	memset(&dev->hs, 0, sizeof(dev->hs));
	dev->hs.size = sizeof(dev->hs);
	if (ioctl(dev->fd, DAMON_IOC_HANDSHAKE, &dev->hs)) {
		explain_handshake(msg, sizeof(msg), errno, dev->path);
		return fail(EXIT_NODEV, msg);
	}
	return 0;
}

int device_check(const struct damon_device *dev, const struct damon_attrs *a)
{
	char msg[512];

	explain_features(msg, sizeof(msg), &dev->hs, a);
	return msg[0] ? fail(EXIT_FAIL, msg) : 0;
}

/*
 * TLB flushes are on by default, and the module spaces them for users
 * without CAP_SYS_ADMIN or CAP_PERFMON: sample as often as the budget
 * allows rather than fail, unless the user chose the interval.
 *
 * Auto-tuning without a floor the user chose gets damo's (5 ms), or the
 * start interval if that is shorter, and never less than the budget: the
 * module's own least interval (100 us) is a floor no always-on monitor
 * wants, since a workload hotter than the goal drives the intervals down
 * to it for good (seen: a kdamond spending a whole CPU, with a TLB flush
 * every 100 us, and doing 0.14% of its samples).  A floor the user chose
 * is left for the module to judge.
 */
void device_fit_attrs(const struct damon_device *dev, struct damon_attrs *a,
		      int sample_given)
{
	uint64_t min = dev->hs.flush_min_sample_us;
	int default_floor = a->tune_goal_bp && !a->tune_min_sample_us;
	char have[UNITS_BUFSZ], need[UNITS_BUFSZ];

	if (!(a->flags & DAMON_ATTR_TLB_FLUSH) || sample_given ||
	    a->sample_us >= min) {
		/* as chosen */
	} else if (min == UINT64_MAX) {
		format_duration_us(have, a->sample_us);
		a->flags &= ~DAMON_ATTR_TLB_FLUSH;
		warnmsg("note: sampling without TLB flushes: the damondev module "
			"allows them only to CAP_SYS_ADMIN or CAP_PERFMON "
			"(tlb_flush_max_hz is 0), so hot pages may look idle");
	} else {
		format_duration_us(have, a->sample_us);
		format_duration_us(need, min);
		warnmsg("note: sampling every %s, not %s: the damondev module "
			"allows users without CAP_PERFMON so many TLB flushes a "
			"second machine-wide (tlb_flush_max_hz); pass "
			"--no-tlb-flush to sample every %s without them",
			need, have, have);
		a->sample_us = min;
		if (a->aggr_us < min)
			a->aggr_us = min;
		if (a->update_us < a->aggr_us)
			a->update_us = a->aggr_us;
	}
	if (!default_floor)
		return;
	a->tune_min_sample_us = DEVICE_TUNE_MIN_SAMPLE_US;
	if (a->tune_min_sample_us > a->sample_us)
		a->tune_min_sample_us = a->sample_us;
	if ((a->flags & DAMON_ATTR_TLB_FLUSH) && min != UINT64_MAX &&
	    a->tune_min_sample_us < min)
		a->tune_min_sample_us = min;
}

int device_set_attrs(struct damon_device *dev, const struct damon_attrs *a)
{
	struct damon_attrs back = *a;
	char msg[512];

	back.size = sizeof(back);
	if (ioctl(dev->fd, DAMON_IOC_SET_ATTRS, &back)) {
		explain_attrs(msg, sizeof(msg), errno, a, &back, &dev->hs);
		return fail(EXIT_FAIL, msg);
	}
	dev->attrs = *a;
	return 0;
}

/* "pid 42 (bash, user alice)": enough to recognise the process. */
static void describe_pid(char *buf, size_t len, int32_t pid)
{
	char path[64], comm[64] = "";
	struct passwd *pw;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (!comm[0] || stat(path, &st)) {
		snprintf(buf, len, "pid %d", (int)pid);
		return;
	}
	pw = getpwuid(st.st_uid);
	if (pw)
		snprintf(buf, len, "pid %d (%s, user %s)", (int)pid, comm,
			 pw->pw_name);
	else
		snprintf(buf, len, "pid %d (%s, uid %u)", (int)pid, comm,
			 (unsigned)st.st_uid);
}

int device_set_targets(struct damon_device *dev, const int32_t *pids,
		       uint32_t nr, pid_t command_pid)
{
	struct damon_targets t = {
		.size = sizeof(t),
		.nr_pids = nr,
		.pids = (uintptr_t)pids,
	};
	char msg[512], who[128] = "a target";
	int err;

	if (!ioctl(dev->fd, DAMON_IOC_SET_TARGETS, &t))
		return 0;
	err = errno;
	if (t.err_index < nr)
		describe_pid(who, sizeof(who), pids[t.err_index]);
	explain_targets(msg, sizeof(msg), err, &t, nr, &dev->attrs, &dev->hs, who,
			t.err_index < nr && pids[t.err_index] == command_pid);
	return fail(EXIT_FAIL, msg);
}

int device_set_targets_quiet(struct damon_device *dev, int32_t *pids,
			     uint32_t *nr, int32_t *refused,
			     uint32_t *nrefused, struct damon_targets *back)
{
	while (*nr) {
		uint32_t i;
		int err;

		memset(back, 0, sizeof(*back));
		back->size = sizeof(*back);
		back->nr_pids = *nr;
		back->pids = (uintptr_t)pids;
		if (!ioctl(dev->fd, DAMON_IOC_SET_TARGETS, back))
			return 0;
		err = errno;
		i = back->err_index;
		if (back->err_field != DAMON_FIELD_PIDS || i >= *nr ||
		    (err != EPERM && err != ESRCH && err != EINVAL))
			return err;
		if (err != ESRCH)
			refused[(*nrefused)++] = pids[i];
		memmove(pids + i, pids + i + 1, (*nr - i - 1) * sizeof(*pids));
		(*nr)--;
	}
	return 0;
}

int device_start(struct damon_device *dev)
{
	if (ioctl(dev->fd, DAMON_IOC_START)) {
		errmsg("starting the monitoring session failed: %s",
		       strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

int device_stop(struct damon_device *dev)
{
	return ioctl(dev->fd, DAMON_IOC_STOP) ? -errno : 0;
}

int device_status(struct damon_device *dev, struct damon_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(dev->fd, DAMON_IOC_STATUS, st)) {
		errmsg("reading the session's status failed: %s",
		       strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

void device_close(struct damon_device *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}
