// SPDX-License-Identifier: GPL-2.0
/*
 * The sentences damonctl prints when the module refuses something
 * (cli/lib/device.c), built from the kernel's err_* answer alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "tap.h"

const char *progname = "explain-test";

static const struct damon_attrs defaults = {
	.size = sizeof(struct damon_attrs), .flags = DAMON_ATTR_TLB_FLUSH,
	.sample_us = 5000, .aggr_us = 100000, .update_us = 1000000,
	.min_nr_regions = 10, .max_nr_regions = 1000, .queue_depth = 16,
};

static const struct damon_handshake hs = {
	.size = sizeof(struct damon_handshake), .api_version = 1,
	.features = DAMON_FEAT_THP | DAMON_FEAT_TLB_FLUSH, .max_targets = 64,
	.max_session_memory = 64 << 20,
};

static void same(const char *got, const char *want, const char *what)
{
	if (!ok(!strcmp(got, want), "%s", what)) {
		diag("got:  %s", got);
		diag("want: %s", want);
	}
}

static void attrs_case(const char *what, struct damon_attrs sent,
		       uint32_t field, uint32_t reason, uint64_t limit,
		       uint32_t other, const char *want)
{
	struct damon_attrs back = sent;
	char buf[512];

	back.err_field = field;
	back.err_reason = reason;
	back.err_limit = limit;
	back.err_other = other;
	explain_attrs(buf, sizeof(buf), EINVAL, &sent, &back, &hs);
	same(buf, want, what);
}

static void targets_case(const char *what, int err, uint32_t reason,
			 uint64_t limit, int is_command, const char *want)
{
	struct damon_targets back = {
		.err_field = DAMON_FIELD_PIDS, .err_reason = reason,
		.err_limit = limit,
	};
	char buf[512];

	explain_targets(buf, sizeof(buf), err, &back, 2, &defaults, &hs,
			"pid 42 (bash, user alice)", is_command);
	same(buf, want, what);
}

int main(void)
{
	struct damon_attrs a = defaults;
	struct damon_handshake old = hs;
	char buf[512], dir[] = "/tmp/explain-test.XXXXXX", path[64];
	int fd;

	a.aggr_us = 50;
	attrs_case("aggr below sample names both options", a,
		   DAMON_FIELD_AGGR_US, DAMON_ERR_TOO_SMALL, 5000,
		   DAMON_FIELD_SAMPLE_US,
		   "--aggr (50 us) must be at least --sample (5 ms): raise --aggr "
		   "or lower --sample");
	a = defaults;
	a.sample_us = 2000000;
	attrs_case("sample above the module's limit", a, DAMON_FIELD_SAMPLE_US,
		   DAMON_ERR_TOO_LARGE, 1000000, 0,
		   "--sample (2 s) must be at most 1 s");
	a = defaults;
	a.min_nr_regions = 2;
	attrs_case("too few regions", a, DAMON_FIELD_MIN_NR_REGIONS,
		   DAMON_ERR_TOO_SMALL, 3, 0,
		   "--min-regions (2) must be at least 3");
	a = defaults;
	a.max_nr_regions = 5;
	attrs_case("max below min", a, DAMON_FIELD_MAX_NR_REGIONS,
		   DAMON_ERR_TOO_SMALL, 10, DAMON_FIELD_MIN_NR_REGIONS,
		   "--max-regions (5) must be at least --min-regions (10): raise "
		   "--max-regions or lower --min-regions");
	a = defaults;
	a.queue_depth = 100000;
	attrs_case("queue memory", a, DAMON_FIELD_QUEUE_DEPTH,
		   DAMON_ERR_TOO_MUCH_MEMORY, 0, 0,
		   "a queue of --queue-depth 100000 snapshots of up to "
		   "--max-regions 1000 regions per process needs more memory than "
		   "the module allows one session (64.000 MiB): lower "
		   "--queue-depth or --max-regions");
	attrs_case("unknown flags", defaults, DAMON_FIELD_FLAGS,
		   DAMON_ERR_UNKNOWN_BITS, 0, 0,
		   "this damondev module does not know the attribute flags 0x1 "
		   "(it is older than damonctl): update the module, or pass "
		   "--no-tlb-flush");
	attrs_case("a reason from a newer module", defaults,
		   DAMON_FIELD_UPDATE_US, 99, 0, 0,
		   "the damondev module refused --update (1 s) (reason 99): see "
		   "'dmesg' for details");
	attrs_case("TLB flushes above the budget name the least interval",
		   defaults, DAMON_FIELD_SAMPLE_US, DAMON_ERR_FLUSH_BUDGET,
		   10000, 0,
		   "--sample (5 ms) is too short with TLB flushes: without "
		   "CAP_PERFMON the damondev module allows them at most every "
		   "10 ms machine-wide (tlb_flush_max_hz): raise --sample to "
		   "10 ms or more, pass --no-tlb-flush, or run damonctl as root");
	attrs_case("TLB flushes refused outright", defaults, DAMON_FIELD_FLAGS,
		   DAMON_ERR_FLUSH_BUDGET, 0, 0,
		   "the damondev module allows TLB flushes only to CAP_SYS_ADMIN "
		   "or CAP_PERFMON (tlb_flush_max_hz is 0): pass --no-tlb-flush, "
		   "or run damonctl as root");
	explain_open(buf, sizeof(buf), EUSERS, "/dev/damon");
	ok(strstr(buf, "max_sessions_per_user") && strstr(buf, "damonctl stop"),
	   "EUSERS at open names the per-user limit and the way out");
	explain_open(buf, sizeof(buf), ENFILE, "/dev/damon");
	ok(strstr(buf, "parameters/max_sessions") &&
	   !strstr(buf, "per_user"),
	   "ENFILE at open names the machine-wide limit");
	explain_attrs(buf, sizeof(buf), E2BIG, &defaults, &defaults, &hs);
	ok(strstr(buf, "older than this damonctl") != NULL,
	   "E2BIG says the module is older");

	targets_case("EPERM names the rule", EPERM, DAMON_ERR_NOT_PERMITTED, 0, 0,
		     "you may not monitor pid 42 (bash, user alice): without "
		     "CAP_SYS_PTRACE you may monitor only your own processes "
		     "that are dumpable, hold no capabilities you lack and run "
		     "in your user namespace, as with ptrace (run damonctl as "
		     "root, or as the process's owner outside any user "
		     "namespace)");
	targets_case("ESRCH", ESRCH, DAMON_ERR_NO_SUCH_PROCESS, 0, 0,
		     "there is no process with pid 42 (bash, user alice): check "
		     "the pid (the process may have exited)");
	targets_case("ESRCH of the COMMAND", ESRCH, DAMON_ERR_NO_SUCH_PROCESS,
		     0, 1, "the COMMAND (pid 42 (bash, user alice)) exited before "
		     "monitoring started");
	targets_case("too many targets", EINVAL, DAMON_ERR_TOO_LARGE, 64, 0,
		     "too many target processes (2): the damondev module monitors "
		     "at most 64 per session: record them in several sessions");
	targets_case("queue memory of many targets", EINVAL,
		     DAMON_ERR_TOO_MUCH_MEMORY, 0, 0,
		     "for 2 processes, a queue of --queue-depth 16 snapshots of up "
		     "to --max-regions 1000 regions per process needs more memory "
		     "than the module allows one session (64.000 MiB): lower "
		     "--queue-depth or --max-regions, or record fewer processes");
	targets_case("a kernel thread", EINVAL, DAMON_ERR_NO_MM, 0, 0,
		     "pid 42 (bash, user alice) has no user memory to monitor (it "
		     "is a kernel thread, or exiting): give the pid of a user "
		     "process");

	explain_open(buf, sizeof(buf), ENOENT, "/dev/damon");
	same(buf, "/dev/damon does not exist, so the damondev module is not "
	     "loaded: load it with 'modprobe damondev' (or insmod "
	     "kmod/damondev.ko)", "a missing device means the module is not loaded");
	explain_open(buf, sizeof(buf), ENXIO, "/dev/damon");
	ok(strstr(buf, "no damondev module serves it") != NULL,
	   "ENXIO: a stale device node");

	/* A root-only node: whoever runs the test, the sentence is the same. */
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/damon", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	chmod(path, 0600);
	explain_open(buf, sizeof(buf), EACCES, path);
	ok(strstr(buf, "only root may use it (mode 0600)") &&
	   strstr(buf, "group '" DAMONCTL_DEVICE_GROUP "'"),
	   "EACCES on a mode 0600 node");
	diag("%s", buf);
	unlink(path);
	rmdir(dir);

	explain_features(buf, sizeof(buf), &hs, &defaults);
	ok(buf[0] == '\0', "a module with every feature passes");
	old.features = DAMON_FEAT_THP;
	explain_features(buf, sizeof(buf), &old, &defaults);
	ok(strstr(buf, "cannot flush TLBs") && strstr(buf, "--no-tlb-flush"),
	   "a module without the TLB flush feature is named, with the way out");
	a = defaults;
	a.flags = 0;
	explain_features(buf, sizeof(buf), &old, &a);
	ok(buf[0] == '\0', "... and --no-tlb-flush makes do without it");
	old.api_version = 0;
	explain_features(buf, sizeof(buf), &old, &a);
	ok(strstr(buf, "API version 0") != NULL, "an older API version is named");
	return done();
}
