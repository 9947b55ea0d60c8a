/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_TARGETINFO_H
#define DAMONCTL_TARGETINFO_H

#include <stdint.h>
#include <sys/types.h>

#include "device.h"
#include "record.h"

/*
 * What the record file's header says about a recording, gathered when it
 * starts, so that the file makes sense later on another machine: the
 * module's handshake and attributes, and each target's command line.
 * command_pid is the COMMAND damonctl started (command its argv), or 0.
 * Returns 0 or -1 (out of memory); info needs rec_info_free() either way.
 */
int targetinfo_build(struct rec_info *info, const struct damon_device *dev,
		     const int32_t *pids, uint32_t nr_pids, pid_t command_pid,
		     const char *const *command);

/* A process's name and command line from /proc; t->pid set by the caller;
 * t->cmdline is malloc()ed (NULL if unreadable). */
void targetinfo_process(struct rec_target_info *t);

#endif
