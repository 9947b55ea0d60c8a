// SPDX-License-Identifier: GPL-2.0
/*
 * Opening the record file: never overwrite by accident, never leave an
 * empty file behind a failed start.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "damonctl.h"
#include "outfile.h"

int outfile_open(struct outfile *out, const char *path, bool force)
{
	/* O_APPEND: whatever happens, records only ever go at the end. */
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC;

	memset(out, 0, sizeof(*out));
	out->path = path;
	/* Private: the file shows the targets' memory layout. */
	out->fd = open(path, flags | O_CREAT | O_EXCL, 0600);
	if (out->fd >= 0) {
		out->created = true;
		return 0;
	}
	if (errno == EEXIST && !force) {
		errmsg("%s already exists: pass --force to overwrite it, or name "
		       "another file with -o", path);
		return EXIT_FAIL;
	}
	if (errno == EEXIST) {
		out->fd = open(path, flags);
		out->existed = true;
	}
	if (out->fd < 0) {
		errmsg("cannot create %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

int outfile_commit(struct outfile *out)
{
	struct stat st;

	if (out->existed && !fstat(out->fd, &st) && S_ISREG(st.st_mode) &&
	    ftruncate(out->fd, 0)) {
		errmsg("cannot overwrite %s: %s", out->path, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

void outfile_discard(struct outfile *out)
{
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	if (out->created)
		unlink(out->path);
}
