// SPDX-License-Identifier: GPL-2.0
/*
 * perm-sleeper [--nondumpable] [READY-FILE]: a target process.  Optionally
 * makes itself non-dumpable (prctl PR_SET_DUMPABLE 0), then creates
 * READY-FILE and sleeps until killed.  The tests also run a setuid-root
 * copy of it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int i = 1, fd;

	if (i < argc && !strcmp(argv[i], "--nondumpable")) {
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
			perror("perm-sleeper: PR_SET_DUMPABLE");
			return 1;
		}
		i++;
	}
	if (i < argc) {
		fd = open(argv[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			perror("perm-sleeper: ready file");
			return 1;
		}
		close(fd);
	}
	for (;;)
		pause();
}
