/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernel versions the module supports
 * (6.1 to 6.18) is handled here, so that the rest of the code is written
 * against one API.  Probes that need the kernel headers are in Kbuild.
 */
#ifndef DAMONDEV_COMPAT_H
#define DAMONDEV_COMPAT_H

#include <linux/mm.h>
#include <linux/random.h>
#include <linux/version.h>
#include <asm/tlbflush.h>

#ifndef DMON_HAVE_GET_RANDOM_U32_BELOW
/* Added in 6.2 and backported to some stable 6.1 kernels (Debian's). */
static inline u32 get_random_u32_below(u32 ceil)
{
	return (u32)(((u64)get_random_u32() * ceil) >> 32);
}
#endif

/*
 * pmdp_get_lockless() appeared in 6.5; on 64-bit a PMD is read in one
 * access, which is all it does there.
 */
static inline pmd_t dmon_pmdp_get_lockless(pmd_t *pmdp)
{
	return READ_ONCE(*pmdp);
}

/*
 * Clearing Accessed bits.  x86's ptep_test_and_clear_young() and
 * pmdp_test_and_clear_young() are out of line and not exported, so do
 * what they do: read the bit, and only if it is set clear it atomically
 * (the plain read spares a locked write).  arm64's are inline.
 */
#if defined(CONFIG_X86_64)
static inline bool dmon_pte_clear_young(pte_t *ptep)
{
	return pte_young(ptep_get(ptep)) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED,
				  (unsigned long *)&ptep->pte);
}

static inline bool dmon_pmd_clear_young(pmd_t *pmdp)
{
	return pmd_young(dmon_pmdp_get_lockless(pmdp)) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED,
				  (unsigned long *)&pmdp->pmd);
}

/*
 * __flush_tlb_all() is exported; flush_tlb_mm_range() is not, and what a
 * flush of one mm needs (inc_mm_tlb_gen(), so that CPUs that kept its
 * entries under a PCID flush when they switch back) is hidden from
 * modules by #ifndef MODULE in asm/tlbflush.h.  So every CPU is flushed.
 */
static inline void dmon_flush_local_tlb(void *unused)
{
	__flush_tlb_all();
}
#elif defined(CONFIG_ARM64)
static inline bool dmon_pte_clear_young(pte_t *ptep)
{
	return ptep_test_and_clear_young(NULL, 0, ptep);
}

static inline bool dmon_pmd_clear_young(pmd_t *pmdp)
{
	return pmdp_test_and_clear_young(NULL, 0, pmdp);
}

static inline void dmon_flush_local_tlb(void *unused)
{
	local_flush_tlb_all();
}
#else
#error "damondev supports x86-64 and arm64"
#endif

#endif /* DAMONDEV_COMPAT_H */
