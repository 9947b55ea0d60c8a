/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few things regions.c needs from its environment.  In the kernel they
 * come from kernel headers; in the user-space unit tests from libc and
 * tests/unit/shim.c.  Nothing else may be used by regions.c.
 */
#ifndef DAMONDEV_REGIONS_SHIM_H
#define DAMONDEV_REGIONS_SHIM_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#include <asm/page.h>
#include "compat.h"

#define DMON_PAGE_SIZE		PAGE_SIZE

/* A uniformly distributed random number in [0, ceil), ceil > 0. */
static inline u32 dmon_rand_below(u32 ceil)
{
	return get_random_u32_below(ceil);
}

#else /* user space: the unit tests */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

#define DMON_PAGE_SIZE		4096UL

u32 dmon_rand_below(u32 ceil);
#endif

#endif /* DAMONDEV_REGIONS_SHIM_H */
