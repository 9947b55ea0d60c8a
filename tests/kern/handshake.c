// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake reports version, features and limits; extensible structs
 * follow the copy_struct_from_user rules; bad pointers and unknown ioctls
 * fail as documented.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kt.h"

int main(void)
{
	int fd = kt_open();
	struct damon_handshake hs;
	unsigned char big[sizeof(hs) + 32];
	struct damon_handshake *bhs = (void *)big;
	void *unmapped;

	kt_handshake(fd, &hs);
	KT_ASSERT(hs.size == sizeof(hs));
	KT_ASSERT(hs.api_version == DAMON_API_VERSION);
	KT_ASSERT(hs.features & DAMON_FEAT_TLB_FLUSH);
	KT_ASSERT(hs.max_targets >= 1);
	KT_ASSERT(hs.max_nr_regions >= 1000);
	KT_ASSERT(hs.min_queue_depth >= 1 && hs.max_queue_depth >= hs.min_queue_depth);
	KT_ASSERT(hs.min_sample_us > 0 && hs.max_sample_us >= hs.min_sample_us);
	KT_ASSERT(hs.max_interval_us >= hs.max_sample_us);
	KT_ASSERT(hs.max_snapshot_size > sizeof(struct damon_snapshot));
	KT_ASSERT(hs.max_session_memory > 0);
	kt_pass("handshake: api %u features %#llx max_targets %u max_regions %u",
		hs.api_version, (unsigned long long)hs.features,
		hs.max_targets, hs.max_nr_regions);

	/* An older, smaller struct: only its part is written. */
	memset(&hs, 0xff, sizeof(hs));
	hs.size = offsetof(struct damon_handshake, max_targets);
	KT_SYS(ioctl(fd, DAMON_IOC_HANDSHAKE, &hs));
	KT_ASSERT(hs.api_version == DAMON_API_VERSION);
	KT_ASSERT(hs.max_targets == 0xffffffffu);
	kt_pass("a smaller (older) struct is accepted and only its part written");

	/* A newer, larger struct: accepted if the unknown tail is zero. */
	memset(big, 0, sizeof(big));
	bhs->size = sizeof(big);
	KT_SYS(ioctl(fd, DAMON_IOC_HANDSHAKE, bhs));
	KT_ASSERT(bhs->api_version == DAMON_API_VERSION);
	KT_ASSERT(big[sizeof(hs)] == 0);
	big[sizeof(hs) + 5] = 1;
	KT_ERRNO(ioctl(fd, DAMON_IOC_HANDSHAKE, bhs), E2BIG);
	kt_pass("a larger struct needs a zero tail (E2BIG otherwise)");

	hs.size = 2;
	KT_ERRNO(ioctl(fd, DAMON_IOC_HANDSHAKE, &hs), EINVAL);
	kt_pass("a size smaller than the size field is EINVAL");

	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KT_ASSERT(unmapped != MAP_FAILED);
	KT_ERRNO(ioctl(fd, DAMON_IOC_HANDSHAKE, unmapped), EFAULT);
	KT_ERRNO(ioctl(fd, DAMON_IOC_SET_ATTRS, unmapped), EFAULT);
	KT_ERRNO(ioctl(fd, DAMON_IOC_SET_TARGETS, unmapped), EFAULT);
	KT_ERRNO(ioctl(fd, DAMON_IOC_STATUS, unmapped), EFAULT);
	KT_ERRNO(ioctl(fd, DAMON_IOC_HANDSHAKE, NULL), EFAULT);
	kt_pass("bad user pointers give EFAULT");

	KT_ERRNO(ioctl(fd, _IO(DAMON_IOC_MAGIC, 0x7f)), ENOTTY);
	KT_ERRNO(ioctl(fd, _IO('T', 0x01)), ENOTTY);
	kt_pass("unknown ioctls give ENOTTY");
	close(fd);
	return 0;
}
