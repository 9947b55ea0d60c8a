// SPDX-License-Identifier: GPL-2.0
/*
 * The header of a new record file: tool, kernel, handshake, attributes,
 * and the targets' names and command lines from /proc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "targetinfo.h"

static char *read_small_file(const char *path, size_t *len)
{
	char *buf = NULL, *grown;
	size_t cap = 0, n;
	FILE *f = fopen(path, "re");

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(buf, cap);
			if (!grown)
				break;
			buf = grown;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (!n)
			break;
	}
	fclose(f);
	return buf;
}

static int command_target(struct rec_target_info *t,
			  const char *const *command)
{
	const char *base = strrchr(command[0], '/');
	size_t len = 0, i;

	t->flags = DAMONREC_TARGET_COMMAND;
	snprintf(t->comm, sizeof(t->comm), "%.15s",
		 base ? base + 1 : command[0]);
	for (i = 0; command[i]; i++)
		len += strlen(command[i]) + 1;
	t->cmdline = malloc(len);
	if (!t->cmdline)
		return -1;
	for (i = 0, len = 0; command[i]; i++) {
		strcpy(t->cmdline + len, command[i]);
		len += strlen(command[i]) + 1;
	}
	t->cmdline_len = len;
	return 0;
}

void targetinfo_process(struct rec_target_info *t)
{
	char path[64], *comm;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)t->pid);
	comm = read_small_file(path, &len);
	if (comm) {
		snprintf(t->comm, sizeof(t->comm), "%.*s",
			 (int)strcspn(comm, "\n"), comm);
		free(comm);
	}
	/* Unreadable (another user's process): the header says so by
	 * leaving it empty. */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)t->pid);
	t->cmdline = read_small_file(path, &t->cmdline_len);
	if (!t->cmdline)
		t->cmdline_len = 0;
}

int targetinfo_build(struct rec_info *info, const struct damon_device *dev,
		     const int32_t *pids, uint32_t nr_pids, pid_t command_pid,
		     const char *const *command)
{
	struct utsname u;
	uint32_t i;

	memset(info, 0, sizeof(*info));
	info->tool = strdup("damonctl " DAMONCTL_VERSION);
	if (!uname(&u))
		info->kernel = strdup(u.release);
	info->handshake = dev->hs;
	info->attrs = dev->attrs;
	info->targets = calloc(nr_pids, sizeof(*info->targets));
	if (!info->tool || !info->targets)
		return -1;
	for (i = 0; i < nr_pids; i++) {
		struct rec_target_info *t = &info->targets[info->nr_targets++];

		t->pid = pids[i];
		/* Not exec'd yet: /proc would show damonctl itself. */
		if (pids[i] == command_pid) {
			if (command_target(t, command))
				return -1;
		} else {
			targetinfo_process(t);
		}
	}
	return 0;
}
