// SPDX-License-Identifier: GPL-2.0
/*
 * The summary line of a recording, shared by start (which just made it)
 * and stop (which reads it back from the end record).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "summary.h"
#include "units.h"

static const char *signal_name(char buf[16], int sig)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, 16, "SIG%s", abbrev);
	else
		snprintf(buf, 16, "signal %d", sig);
	return buf;
}

void describe_cause(char *buf, size_t len, uint32_t cause, int32_t detail)
{
	char sig[16];

	switch (cause) {
	case DAMONREC_CAUSE_TARGETS_EXITED:
		snprintf(buf, len, "every target exited");
		break;
	case DAMONREC_CAUSE_SIGNAL:
		snprintf(buf, len, "stopped by %s", signal_name(sig, detail));
		break;
	case DAMONREC_CAUSE_DURATION:
		snprintf(buf, len, "the --duration passed");
		break;
	case DAMONREC_CAUSE_COMMAND:
		if (WIFSIGNALED(detail))
			snprintf(buf, len, "the COMMAND was killed by %s",
				 signal_name(sig, WTERMSIG(detail)));
		else
			snprintf(buf, len, "the COMMAND exited with status %d",
				 WEXITSTATUS(detail));
		break;
	case DAMONREC_CAUSE_ERROR:
		snprintf(buf, len, "reading the device failed");
		break;
	default:
		snprintf(buf, len, "it ended");
		break;
	}
}

void format_summary(char *buf, size_t len, const struct damonrec_end *end,
		    uint64_t start_monotonic_ns, uint64_t bytes,
		    const char *path)
{
	char t[UNITS_BUFSZ], sz[UNITS_BUFSZ], cause[96];
	uint64_t ns = end->monotonic_ns > start_monotonic_ns ?
		end->monotonic_ns - start_monotonic_ns : 0;

	describe_cause(cause, sizeof(cause), end->cause, end->detail);
	snprintf(buf, len, "%" PRIu64 " snapshot%s (%" PRIu64 " dropped) in %s, "
		 "%s to %s: %s%s", (uint64_t)end->snapshots,
		 end->snapshots == 1 ? "" : "s", (uint64_t)end->dropped,
		 format_duration_ns(t, ns), format_size(sz, bytes), path, cause,
		 (end->flags & DAMONREC_END_DRAIN_TIMEOUT) ?
		 " (the last snapshots could not be read)" : "");
}
