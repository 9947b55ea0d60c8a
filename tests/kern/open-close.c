// SPDX-License-Identifier: GPL-2.0
/* /dev/damon is a character device; every open is a separate session. */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kt.h"

int main(void)
{
	struct stat st;
	int fds[16];
	size_t i;

	KT_SYS(stat(DAMON_DEVICE_PATH, &st));
	KT_ASSERT(S_ISCHR(st.st_mode));
	KT_ASSERT(major(st.st_rdev) == 10);	/* misc */
	kt_pass("%s is a misc character device", DAMON_DEVICE_PATH);

	for (i = 0; i < 16; i++)
		fds[i] = kt_open();
	for (i = 1; i < 16; i++)
		KT_ASSERT(fds[i] != fds[i - 1]);
	for (i = 0; i < 16; i++)
		KT_SYS(close(fds[i]));
	kt_pass("16 sessions opened and closed");

	/* The device is not seekable: a monitor is a stream. */
	fds[0] = kt_open();
	KT_ERRNO(lseek(fds[0], 0, SEEK_SET), ESPIPE);
	close(fds[0]);
	kt_pass("lseek fails with ESPIPE");
	return 0;
}
