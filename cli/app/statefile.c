// SPDX-License-Identifier: GPL-2.0
/*
 * State files of background recordings, so that "damonctl stop" can find
 * them.  The directory is private to the user: under /tmp anyone could
 * create it first, so it is checked, not trusted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "damonctl.h"
#include "statefile.h"

#define STATE_DIR_MAX 4000

int state_dir(char *buf, size_t len, bool create)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (xdg && *xdg)
		snprintf(buf, len, "%s/damonctl", xdg);
	else
		snprintf(buf, len, "/tmp/damonctl-%u", (unsigned)getuid());
	if (create && mkdir(buf, 0700) && errno != EEXIST) {
		errmsg("cannot create %s: %s", buf, strerror(errno));
		return -1;
	}
	if (lstat(buf, &st)) {
		if (errno == ENOENT && !create)
			return 0;
		errmsg("cannot use %s: %s", buf, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errmsg("refusing to use %s for state files: it is not a directory "
		       "that only you can write to; remove it", buf);
		return -1;
	}
	return 0;
}

static int state_path(char *buf, size_t len, pid_t pid, const char *suffix)
{
	char dir[STATE_DIR_MAX];

	if (state_dir(dir, sizeof(dir), false))
		return -1;
	snprintf(buf, len, "%s/%d.%s", dir, (int)pid, suffix);
	return 0;
}

int state_publish(const struct bg_state *st, int *lock_fd)
{
	char dir[STATE_DIR_MAX], tmp[STATE_DIR_MAX + 32], final[STATE_DIR_MAX + 32];
	FILE *f;
	int fd;

	if (state_dir(dir, sizeof(dir), true))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/%d.tmp", dir, (int)st->pid);
	snprintf(final, sizeof(final), "%s/%d.state", dir, (int)st->pid);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		errmsg("cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	/* Locked before it has its name: stop never sees it unlocked. */
	if (flock(fd, LOCK_EX)) {
		errmsg("cannot lock %s: %s", tmp, strerror(errno));
		goto fail;
	}
	f = fdopen(dup(fd), "w");
	if (!f) {
		errmsg("cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fprintf(f, "pid %d\noutput %s\nstarted %" PRId64 "\ntargets %s\n",
		(int)st->pid, st->output, st->started, st->targets);
	if (fclose(f)) {
		errmsg("cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, final)) {
		errmsg("cannot create %s: %s", final, strerror(errno));
		goto fail;
	}
	*lock_fd = fd;
	return 0;
fail:
	unlink(tmp);
	close(fd);
	return -1;
}

void state_remove(pid_t pid)
{
	char path[STATE_DIR_MAX + 32];

	if (!state_path(path, sizeof(path), pid, "state"))
		unlink(path);
}

void state_unpublish(pid_t pid, int lock_fd)
{
	/* Unlinked first: once the lock goes, the recording is over. */
	state_remove(pid);
	if (lock_fd >= 0)
		close(lock_fd);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int state_list(pid_t **pids, size_t *n)
{
	char dir[STATE_DIR_MAX];
	struct dirent *de;
	pid_t *list = NULL;
	size_t count = 0;
	DIR *d;

	*pids = NULL;
	*n = 0;
	if (state_dir(dir, sizeof(dir), false))
		return -1;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;	/* no background recording ever */
		errmsg("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		pid_t *grown;

		if (end == de->d_name || strcmp(end, ".state") || pid <= 0)
			continue;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown) {
			free(list);
			closedir(d);
			errmsg("out of memory");
			return -1;
		}
		list = grown;
		list[count++] = (pid_t)pid;
	}
	closedir(d);
	qsort(list, count, sizeof(*list), cmp_pid);
	*pids = list;
	*n = count;
	return 0;
}

int state_open(pid_t pid, struct bg_state *st, int *fd)
{
	char path[STATE_DIR_MAX + 32], line[4096 + 16];
	FILE *f;

	memset(st, 0, sizeof(*st));
	st->pid = pid;
	if (state_path(path, sizeof(path), pid, "state"))
		return -1;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		errmsg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	f = fdopen(dup(*fd), "r");
	if (!f) {
		errmsg("cannot read %s: %s", path, strerror(errno));
		close(*fd);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *value = strchr(line, ' ');

		if (!value)
			continue;
		*value++ = '\0';
		value[strcspn(value, "\n")] = '\0';
		if (!strcmp(line, "output") && !st->output)
			st->output = strdup(value);
		else if (!strcmp(line, "targets") && !st->targets)
			st->targets = strdup(value);
		else if (!strcmp(line, "started"))
			st->started = strtoll(value, NULL, 10);
	}
	fclose(f);
	if (!st->output)
		st->output = strdup("(unknown file)");
	if (!st->targets)
		st->targets = strdup("?");
	return 0;
}

bool state_is_live(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

void bg_state_free(struct bg_state *st)
{
	free(st->output);
	free(st->targets);
	memset(st, 0, sizeof(*st));
}
