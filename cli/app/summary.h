/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DAMONCTL_SUMMARY_H
#define DAMONCTL_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* The one line start and stop print about a finished recording:
 * "57 snapshots (0 dropped) in 5.712 s, 23.400 KiB to damon.rec: every
 * target exited". */
void format_summary(char *buf, size_t len, const struct damonrec_end *end,
		    uint64_t start_monotonic_ns, uint64_t bytes,
		    const char *path);

/* What ended the recording, for people: "stopped by SIGINT". */
void describe_cause(char *buf, size_t len, uint32_t cause, int32_t detail);

#endif
