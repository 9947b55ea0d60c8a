// SPDX-License-Identifier: GPL-2.0
/*
 * perm-sessions N ERR [HOLD-FILE]: as the calling user, open /dev/damon N
 * times (each must succeed), then once more, which must fail with ERR
 * (EUSERS: the per-user limit; ENFILE: the machine-wide one; ok: must
 * succeed too).  With HOLD-FILE, create it and keep the sessions open
 * until killed; without, close them all and check that a session can be
 * opened again (closing gives the count back).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "perm.h"

int main(int argc, char **argv)
{
	int n, want, i, fd;
	int *fds;

	if (argc < 3 || argc > 4)
		KT_FAIL("usage: perm-sessions N ok|EUSERS|ENFILE [HOLD-FILE]");
	n = atoi(argv[1]);
	want = perm_parse_expect(argv[2]);
	fds = calloc(n + 1, sizeof(*fds));
	KT_ASSERT(fds);
	for (i = 0; i < n; i++) {
		fds[i] = open(DAMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			KT_FAIL("session %d of %d: open: %s (%s)", i + 1, n,
				strerror(errno), perm_whoami());
	}
	fd = open(DAMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (want && fd >= 0)
		KT_FAIL("session %d opened, expected %s (%s)", n + 1,
			perm_errname(want), perm_whoami());
	if (want && errno != want)
		KT_FAIL("session %d: open failed with %s, expected %s (%s)",
			n + 1, perm_errname(errno), perm_errname(want),
			perm_whoami());
	if (!want && fd < 0)
		KT_FAIL("session %d: open: %s (%s)", n + 1, strerror(errno),
			perm_whoami());
	fds[n] = fd;
	kt_pass("%d sessions open, then %s (%s)", n,
		want ? perm_errname(want) : "one more", perm_whoami());
	if (argc == 4) {
		KT_SYS(close(KT_SYS(open(argv[3], O_WRONLY | O_CREAT, 0644))));
		for (;;)
			pause();
	}
	for (i = 0; i <= n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fd = open(DAMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		KT_FAIL("after closing them all, open: %s", strerror(errno));
	close(fd);
	kt_pass("after closing them all, a session opens again");
	free(fds);
	return 0;
}
