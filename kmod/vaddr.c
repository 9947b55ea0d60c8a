// SPDX-License-Identifier: GPL-2.0
/*
 * Address-space operations: the monitoring ranges of a process from its
 * mappings, and testing and clearing the Accessed bit of one page.
 *
 * walk_page_range() is not exported, so the page tables are walked here by
 * hand, in a way that is safe from 6.1 (where page tables are freed under
 * the write lock, or, by munmap(), under the read lock but only where no
 * mapping is left) to 6.6 and later (where a PTE table can be freed by RCU
 * under a reader holding only mmap_read_lock): the PMD is read once inside
 * the rcu_read_lock() section that uses the PTE table, the table is used
 * under its lock, and the PMD is checked to be unchanged before the PTE is
 * trusted.  Callers hold mmap_read_lock.
 */
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>

#include "compat.h"
#include "dmon.h"

/**
 * dmon_target_ranges() - the ranges to monitor in an address space
 * @mm:		the address space, mmap_read_lock held
 * @ranges:	out: up to three ranges, sorted
 * @nr_ranges:	out: number of @ranges
 * @flags:	out: DAMON_TARGET_SPAN when the three-regions rule does not
 *		apply and the whole mapped span is used
 *
 * The three-regions rule of DAMON: everything mapped except the two
 * largest gaps between mappings (normally the ones around the heap and
 * below the stack), which would otherwise dominate the regions.
 *
 * Return: 0, or -EINVAL if nothing is mapped.
 */
int dmon_target_ranges(struct mm_struct *mm, struct dmon_range ranges[3],
		       u32 *nr_ranges, u32 *flags)
{
	struct vm_area_struct *vma;
	struct dmon_layout layout;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, 0);
	dmon_layout_init(&layout);
	for_each_vma(vmi, vma)
		dmon_layout_add(&layout, vma->vm_start, vma->vm_end);
	*flags = 0;
	if (!dmon_layout_three_regions(&layout, ranges)) {
		*nr_ranges = 3;
		return 0;
	}
	*flags = DAMON_TARGET_SPAN;
	*nr_ranges = 1;
	return dmon_layout_span(&layout, &ranges[0]);
}

static pmd_t *dmon_find_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;

	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	/* A leaf PUD (1 GiB hugetlb page) counts as bad: not sampled. */
	if (pud_none(*pud) || pud_bad(*pud))
		return NULL;
	return pmd_offset(pud, addr);
}

/*
 * munmap() frees page tables after downgrading to the read lock we hold,
 * but only under mappings it has already removed: walk only where a mapping
 * is (sampling addresses can be a region update old).  A mapping found stays
 * while the lock is held, and the regions are visited in address order, so
 * the last one found answers most lookups.
 */
static bool dmon_mapped(struct mm_struct *mm, unsigned long addr,
			struct vm_area_struct **last)
{
	struct vm_area_struct *vma = *last;

	if (vma && addr >= vma->vm_start && addr < vma->vm_end)
		return true;
	vma = vma_lookup(mm, addr);
	if (vma)
		*last = vma;
	return vma;
}

/*
 * One visit of the page table that maps @addr, under one hold of its lock:
 * if @test, read the Accessed bit of @addr's page; if @clear, clear that of
 * @clear_addr's page, which the caller has checked is mapped and in the same
 * PMD range as @addr.  A transparent huge page's bit is cleared only if no
 * region that is still to be checked can lie in it: its range must end at
 * or before @limit.  Pages that are not mapped read as not accessed and have
 * nothing to clear.
 */
static u32 dmon_visit(struct mm_struct *mm, unsigned long addr, bool test,
		      bool clear, unsigned long clear_addr, unsigned long limit)
{
	pmd_t *pmd, pmdval;
	spinlock_t *ptl;
	pte_t *pte, ptent;
	u32 res = clear ? DMON_CLEARED : 0;

	pmd = dmon_find_pmd(mm, addr);
	if (!pmd)
		return res;
again:
	/*
	 * From 6.6 a PTE table can be freed through RCU (pte_free_defer():
	 * MADV_COLLAPSE, khugepaged) while we hold only mmap_read_lock: the
	 * PMD must be read inside the read-side section that then uses the
	 * table it points to, or the table can be freed in between.
	 */
	rcu_read_lock();
	pmdval = dmon_pmdp_get_lockless(pmd);
	if (pmd_present(pmdval) && pmd_trans_huge(pmdval)) {
		ptl = pmd_lock(mm, pmd);
		pmdval = *pmd;
		if (pmd_present(pmdval) && pmd_trans_huge(pmdval)) {
			if (test && pmd_young(pmdval))
				res |= DMON_YOUNG;
			if (clear && (clear_addr | ~PMD_MASK) >= limit)
				res &= ~DMON_CLEARED;
			else if (clear)
				dmon_pmd_clear_young(pmd);
		}
		spin_unlock(ptl);
	} else if (!pmd_none(pmdval) && pmd_present(pmdval) &&
		   !pmd_bad(pmdval)) {
		ptl = pte_lockptr(mm, &pmdval);
		spin_lock(ptl);
		/*
		 * The table may have been replaced since the PMD was read, or
		 * the PMD's own Accessed bit set by a walk since
		 * dmon_upper_hit() cleared it: read it again.
		 */
		if (!pmd_same(pmdval, dmon_pmdp_get_lockless(pmd))) {
			spin_unlock(ptl);
			rcu_read_unlock();
			goto again;
		}
		pte = pte_offset_kernel(&pmdval, addr);
		ptent = ptep_get(pte);
		if (test && pte_present(ptent) && pte_young(ptent))
			res |= DMON_YOUNG;
		if (clear) {
			pte = pte_offset_kernel(&pmdval, clear_addr);
			if (pte_present(ptep_get(pte)))
				dmon_pte_clear_young(pte);
		}
		spin_unlock(ptl);
	}
	rcu_read_unlock();
	return res;
}

/**
 * dmon_young() - was the page at @addr accessed since it was made old?
 * @mm:		the address space, mmap_read_lock held
 * @addr:	address in the page
 * @last:	the mapping found last under this hold of the lock, or NULL
 *
 * Return: true if its PTE (or THP PMD) has the Accessed bit set.
 */
bool dmon_young(struct mm_struct *mm, unsigned long addr,
		struct vm_area_struct **last)
{
	if (!dmon_mapped(mm, addr, last))
		return false;
	return dmon_visit(mm, addr, true, false, 0, 0) & DMON_YOUNG;
}

/**
 * dmon_mkold() - clear the Accessed bit of the page at @addr
 * @mm:		the address space, mmap_read_lock held
 * @addr:	address in the page
 * @last:	the mapping found last under this hold of the lock, or NULL
 *
 * For a transparent huge page the PMD's bit is cleared: it stands for the
 * whole 2 MiB.
 */
void dmon_mkold(struct mm_struct *mm, unsigned long addr,
		struct vm_area_struct **last)
{
	if (dmon_mapped(mm, addr, last))
		dmon_visit(mm, addr, false, true, addr, ULONG_MAX);
}

/**
 * dmon_check_and_mkold() - one region's sample: test the page sampled last,
 *			    clear the Accessed bit of the one sampled next
 * @mm:		the address space, mmap_read_lock held
 * @checked:	address in the page sampled last
 * @next:	address in the page to sample next
 * @limit:	where the regions still to be checked in this pass begin
 * @last:	the mapping found last under this hold of the lock, or NULL
 *
 * When both pages are mapped by one page table, the table is descended
 * to and locked once for both.  A transparent huge page that reaches
 * @limit or beyond may hold a page another region is yet to check, and
 * they share one Accessed bit: its bit is left set for the caller to clear
 * after all checks, with dmon_mkold().
 *
 * Return: DMON_YOUNG if @checked was accessed; DMON_CLEARED unless @next's
 * bit is left for the caller to clear.
 */
u32 dmon_check_and_mkold(struct mm_struct *mm, unsigned long checked,
			 unsigned long next, unsigned long limit,
			 struct vm_area_struct **last)
{
	bool one_table = !((checked ^ next) & PMD_MASK);
	bool clear = dmon_mapped(mm, next, last);
	u32 res = 0;

	if (dmon_mapped(mm, checked, last)) {
		res = dmon_visit(mm, checked, true, clear && one_table, next,
				 limit);
		if (one_table)
			return clear ? res : res | DMON_CLEARED;
	}
	if (!clear)
		return res | DMON_CLEARED;
	return res | dmon_visit(mm, next, false, true, next, limit);
}

/*
 * Test and clear the Accessed bit of the PMD entry at @pmd, if it points to
 * a page table.  The lockless read skips the lock for the many that read
 * old; under the lock the entry cannot become a huge page or a swap entry
 * (whose bits mean something else) while the bit is cleared.
 */
static bool dmon_pmd_table_young(struct mm_struct *mm, pmd_t *pmd)
{
	pmd_t val = dmon_pmdp_get_lockless(pmd);
	spinlock_t *ptl;
	bool young = false;

	if (!pmd_young(val) || pmd_none(val) || !pmd_present(val) ||
	    pmd_trans_huge(val) || pmd_bad(val))
		return false;
	ptl = pmd_lock(mm, pmd);
	val = *pmd;
	if (pmd_present(val) && !pmd_trans_huge(val) && !pmd_bad(val))
		young = dmon_pmd_clear_young(pmd);
	spin_unlock(ptl);
	return young;
}

/**
 * dmon_upper_hit() - where was [@start, @end) used, from the Accessed bits
 *		      of the PMD entries that point to its page tables?
 * @mm:		the address space, mmap_read_lock held
 * @start:	page aligned
 * @end:	page aligned, > @start
 *
 * x86 sets the Accessed bit of every paging-structure entry a page walk
 * passes through, so that of a PMD entry tells whether any page of its
 * 2 MiB was walked to since the bit was cleared: one load for 512 pages.
 * Each such bit found set in the mapped part of the range is cleared.
 * Only for a caller that dmon_upper_bits() allows.
 *
 * Return: a page in the range, in a 2 MiB whose bit was set, each such
 * 2 MiB equally likely; or 0 if none was.
 */
unsigned long dmon_upper_hit(struct mm_struct *mm, unsigned long start,
			     unsigned long end)
{
	unsigned long addr, next, lo = 0, hi = 0, pud_start = 0;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	pmd_t *pmd, *table = NULL;
	u32 found = 0, n = 0;

	vma_iter_init(&vmi, mm, start);
	/*
	 * Page tables are stable only under mappings (see dmon_mapped()); a
	 * PMD table stays while any mapping in its 1 GiB does, so it is
	 * looked up once per 1 GiB, not per entry.
	 */
	for_each_vma_range(vmi, vma, end) {
		/*
		 * hugetlb maps 2 MiB pages from PMD entries (leaves, nothing
		 * to find here) and shares PMD tables between processes,
		 * unsharing them without mmap_lock.
		 */
		if (is_vm_hugetlb_page(vma))
			continue;
		addr = max(start, vma->vm_start);
		for (; addr < min(end, vma->vm_end); addr = next) {
			next = min3(pmd_addr_end(addr, end), vma->vm_end, end);
			if (!(++n % DMON_RESCHED_REGIONS))
				cond_resched();
			if (!table || (addr & PUD_MASK) != pud_start) {
				pmd = dmon_find_pmd(mm, addr);
				table = pmd ? pmd - pmd_index(addr) : NULL;
				pud_start = addr & PUD_MASK;
			} else {
				pmd = table + pmd_index(addr);
			}
			if (!pmd) {
				/* no PMD table: nothing used in this 1 GiB */
				next = min3(pud_addr_end(addr, end),
					    vma->vm_end, end);
				continue;
			}
			if (!dmon_pmd_table_young(mm, pmd))
				continue;
			/* reservoir sampling: the k-th found replaces at 1/k */
			if (!get_random_u32_below(++found)) {
				lo = addr;
				hi = next;
			}
		}
	}
	if (!found)
		return 0;
	return lo + (unsigned long)get_random_u32_below((hi - lo) >> PAGE_SHIFT) *
		PAGE_SIZE;
}
