// SPDX-License-Identifier: GPL-2.0
/* Helper for rmmod.sh: run a session on a pid until killed. */
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kt.h"

int main(int argc, char **argv)
{
	int fd = kt_open();
	pid_t pid;

	if (argc != 2)
		KT_FAIL("usage: kern-hold-session PID");
	pid = atoi(argv[1]);
	kt_set_targets(fd, &pid, 1);
	KT_SYS(ioctl(fd, DAMON_IOC_START));
	for (;;)
		pause();
}
