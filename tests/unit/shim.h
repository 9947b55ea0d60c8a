/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space side of kmod/regions_shim.h for the unit tests: a seedable
 * PRNG behind dmon_rand_below(), and a way to script its next results.
 */
#ifndef DAMONDEV_TEST_SHIM_H
#define DAMONDEV_TEST_SHIM_H

#include "regions.h"

/* Restart the PRNG from seed; also drops scripted values. */
void dmon_test_seed(u64 seed);
/* A 64-bit pseudo-random number from the same PRNG (for the tests). */
u64 dmon_test_rand64(void);
/* A number in [0, ceil) from the same PRNG (for the tests), ceil > 0. */
u64 dmon_test_below(u64 ceil);
/*
 * Make the next nr calls of dmon_rand_below() return vals[0..nr) (each
 * reduced modulo the ceiling of its call).  vals must stay valid.
 */
void dmon_test_script(const u32 *vals, u32 nr);
/* Calls of dmon_rand_below() so far, and whether one had ceil == 0. */
u64 dmon_test_rand_calls(void);
int dmon_test_rand_misused(void);

#endif /* DAMONDEV_TEST_SHIM_H */
