// SPDX-License-Identifier: GPL-2.0
/*
 * User-space implementation of what kmod/regions_shim.h expects from its
 * environment: dmon_rand_below(), here backed by splitmix64.
 */
#include "shim.h"

static u64 state = 0x9e3779b97f4a7c15ULL;
static const u32 *script;
static u32 script_nr;
static u64 calls;
static int misused;

void dmon_test_seed(u64 seed)
{
	state = seed;
	script = NULL;
	script_nr = 0;
}

u64 dmon_test_rand64(void)
{
	u64 z = (state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

u64 dmon_test_below(u64 ceil)
{
	/* rejection keeps it unbiased */
	u64 limit = UINT64_MAX - UINT64_MAX % ceil, x;

	do {
		x = dmon_test_rand64();
	} while (x >= limit);
	return x % ceil;
}

void dmon_test_script(const u32 *vals, u32 nr)
{
	script = vals;
	script_nr = nr;
}

u64 dmon_test_rand_calls(void)
{
	return calls;
}

int dmon_test_rand_misused(void)
{
	return misused;
}

u32 dmon_rand_below(u32 ceil)
{
	calls++;
	if (!ceil) {
		misused = 1;
		return 0;
	}
	if (script_nr) {
		script_nr--;
		return *script++ % ceil;
	}
	return (u32)dmon_test_below(ceil);
}
