// SPDX-License-Identifier: GPL-2.0
/*
 * perm-open EXPECT WHAT: opening /dev/damon as the calling user gives EXPECT
 * (ok, EACCES or EPERM); a session that opens answers HANDSHAKE.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "perm.h"

int main(int argc, char **argv)
{
	struct damon_handshake hs;
	int want, fd;

	if (argc != 3)
		KT_FAIL("usage: perm-open ok|EACCES|EPERM WHAT");
	want = perm_parse_expect(argv[1]);
	errno = 0;
	fd = open(DAMON_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (!want) {
		if (fd < 0)
			KT_FAIL("%s: open(%s) failed with %s, expected success (%s)",
				argv[2], DAMON_DEVICE_PATH, perm_errname(errno),
				perm_whoami());
		kt_handshake(fd, &hs);
		KT_ASSERT(hs.api_version == DAMON_API_VERSION);
		close(fd);
		kt_pass("%s: open succeeds and the session answers HANDSHAKE",
			argv[2]);
		return 0;
	}
	if (fd >= 0)
		KT_FAIL("%s: open(%s) succeeded, expected %s (%s)", argv[2],
			DAMON_DEVICE_PATH, perm_errname(want), perm_whoami());
	if (errno != want)
		KT_FAIL("%s: open(%s) failed with %s, expected %s (%s)", argv[2],
			DAMON_DEVICE_PATH, perm_errname(errno),
			perm_errname(want), perm_whoami());
	kt_pass("%s: open fails with %s", argv[2], perm_errname(want));
	return 0;
}
