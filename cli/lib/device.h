/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_DEVICE_H
#define DAMONCTL_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "damondev.h"

/*
 * Talking to /dev/damon.  Each call returns 0 or an EXIT_* code after
 * printing one sentence that says what went wrong in terms of damonctl's
 * options and what to do.  The explain_* functions build those sentences
 * from the kernel's answer alone, so they can be tested without a module.
 */

struct damon_device {
	int fd;
	const char *path;
	struct damon_handshake hs;
	struct damon_attrs attrs;	/* as last accepted */
};

/* DAMON_DEVICE overrides /dev/damon (for tests). */
const char *device_path(void);

int device_open(struct damon_device *dev);
int device_handshake(struct damon_device *dev);
/* Refuses a module that cannot do what the attributes ask for. */
int device_check(const struct damon_device *dev, const struct damon_attrs *a);
/*
 * The defaults that depend on the module and the user: the sampling
 * interval the TLB flush budget allows, auto-tuning's floor.
 */
void device_fit_attrs(const struct damon_device *dev, struct damon_attrs *a,
		      int sample_given);
/* Auto-tuning's least sampling interval unless the user gives one: damo's. */
#define DEVICE_TUNE_MIN_SAMPLE_US	5000
int device_set_attrs(struct damon_device *dev, const struct damon_attrs *a);
/* command_pid: the pid damonctl started, named as COMMAND in errors. */
int device_set_targets(struct damon_device *dev, const int32_t *pids,
		       uint32_t nr, pid_t command_pid);
/*
 * SET_TARGETS without a word: each pid the module refuses is taken out of
 * pids[] and the call made again.  Refused for good (not permitted, no
 * address space) goes to refused[] (room for *nr entries); an exited one
 * is only dropped.  0 with *nr the pids now set (0 if none was left, and
 * then nothing was set); or the errno of another failure, with *back the
 * module's answer, for explain_targets().
 */
int device_set_targets_quiet(struct damon_device *dev, int32_t *pids,
			     uint32_t *nr, int32_t *refused,
			     uint32_t *nrefused, struct damon_targets *back);
int device_start(struct damon_device *dev);
/* Not printed: a session that has just ended on its own may refuse to be
 * stopped, and the reader sees the end either way.  0 or -errno. */
int device_stop(struct damon_device *dev);
int device_status(struct damon_device *dev, struct damon_status *st);
void device_close(struct damon_device *dev);

/* The option that sets a field ("--aggr"), for messages. */
const char *field_option(uint32_t field);

void explain_open(char *buf, size_t len, int err, const char *path);
void explain_handshake(char *buf, size_t len, int err, const char *path);
void explain_features(char *buf, size_t len,
		      const struct damon_handshake *hs,
		      const struct damon_attrs *a);
void explain_attrs(char *buf, size_t len, int err,
		   const struct damon_attrs *sent,
		   const struct damon_attrs *back,
		   const struct damon_handshake *hs);
/* who: how to name the offending pid, e.g. "pid 42 (bash, user alice)" */
void explain_targets(char *buf, size_t len, int err,
		     const struct damon_targets *back, uint32_t nr_pids,
		     const struct damon_attrs *attrs,
		     const struct damon_handshake *hs,
		     const char *who, int is_command);

#endif
