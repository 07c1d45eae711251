// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device's memory budget: the swap room the shrinker's backup needs,
 * and admission, the check a BO passes before it takes pages.
 *
 * __GFP_RETRY_MAYFAIL alone fails only at the brink, where anyone else's
 * next allocation summons the OOM killer (and picks a victim by RSS,
 * which BO pages are not part of). So a BO takes new pages only while
 * what can really be had covers them with a margin of RAM/64: free and
 * reclaimable memory (si_mem_available()), what the device's shrinker
 * could give back, and, within free swap, what reclaim can swap out: the
 * anon LRUs, which MemAvailable leaves out. They hold the store's copies
 * in RAM, shmem-native BOs' unpinned pages (in their files or already in
 * the swap cache) and everyone's anonymous memory. What the shrinker
 * could give back is read from the device's counters, O(1) and without a
 * lock: an upper bound that ignores the memcgs' swap limits, which only
 * the scan of each group applies.
 *
 * Anonymous memory counts because the shmem-native model leaves the
 * choice to reclaim, which may well swap the BOs' unpinned pages and
 * keep the anonymous memory beside them: counting only bosh's own pages,
 * a shmem-native overcommit with swap to spare was refused ENOMEM as soon
 * as its BOs and that memory filled the RAM (make bench, section 5),
 * where the copy model's pages, counted as backupable, kept it going.
 *
 * A restore whose store copy is in RAM is memory-neutral (the copy is
 * dropped once its page is installed): it is admitted whatever the
 * pressure; so is pinning again a shmem-native page still in its file.
 * A restore from swap needs one page more, as a new page does.
 */
#include <linux/mm.h>
#include <linux/swap.h>

#include "bosh_bo_shmem.h"
#include "bosh_budget.h"
#include "bosh_types.h"

/* A BO grows only while this share of RAM (1/64) stays over. */
#define BOSH_GROW_MARGIN_SHIFT	6

/*
 * Pages backed up but still in RAM, which will need swap space: the
 * store's copies and shmem-native BOs' unpinned pages.
 */
static long bosh_unwritten_pages(struct bosh_device *bdev)
{
	struct bosh_backup_stats store;

	bosh_backup_stats(bdev->store, &store);
	return (long)store.unwritten + bosh_shmem_unwritten(bdev);
}

/**
 * bosh_swap_allows_backup() - is there swap room for the shrinker's backup
 * @bdev: the device
 *
 * Free swap, less what backups left in RAM (which will need swap space),
 * must stay above the swap_reserve_mb knob.
 *
 * Return: true if a scan may back pages up.
 */
bool bosh_swap_allows_backup(struct bosh_device *bdev)
{
	long reserve = (long)READ_ONCE(bdev->swap_reserve_mb) << (20 - PAGE_SHIFT);

	return get_nr_swap_pages() - bosh_unwritten_pages(bdev) > reserve;
}

/*
 * Pages reclaim could still free for a new BO page: purgeable BOs whole,
 * and, within free swap, the anon LRUs and the backupable pages (while
 * the reserve allows backup).
 */
static long bosh_reclaimable_pages(struct bosh_device *bdev)
{
	long purgeable, to_swap, swap = get_nr_swap_pages();

	/*
	 * With the shrinker off no BO page can be taken back: BOs may grow
	 * only into what backups left in RAM, not into the memory of others
	 * that reclaim would have to swap, or they drive the machine to the
	 * brink the check is for (the pressure test's negative control met
	 * the OOM killer so, once in five runs).
	 */
	if (!READ_ONCE(bdev->shrinker_enabled))
		return min(bosh_unwritten_pages(bdev), max(swap, 0L));
	to_swap = global_node_page_state(NR_ACTIVE_ANON) +
		  global_node_page_state(NR_INACTIVE_ANON);
	purgeable = bosh_stat_read(bdev, BOSH_STAT_PAGES_PURGEABLE) +
		    bosh_stat_read(bdev, BOSH_STAT_PAGES_PURGEABLE_BACKED_UP);
	if (bosh_swap_allows_backup(bdev))
		to_swap += bosh_stat_read(bdev, BOSH_STAT_PAGES_BACKUPABLE);
	return max(purgeable, 0L) + min(to_swap, max(swap, 0L));
}

/**
 * bosh_may_grow() - may a BO of @bdev take @pages more pages of RAM
 * @bdev: the device
 * @pages: pages wanted
 *
 * Return: true while what can be had covers @pages with RAM/64 to spare.
 */
bool bosh_may_grow(struct bosh_device *bdev, pgoff_t pages)
{
	long avail = si_mem_available() + bosh_reclaimable_pages(bdev);

	return avail - (long)pages > (long)(totalram_pages() >> BOSH_GROW_MARGIN_SHIFT);
}

/**
 * bosh_may_restore() - may a BO of @bdev restore the page stored at @handle
 * @bdev: the device
 * @handle: the store index of the page
 *
 * Return: true when the store's copy is in RAM (the restore gives it
 * back) or one more page passes bosh_may_grow().
 */
bool bosh_may_restore(struct bosh_device *bdev, pgoff_t handle)
{
	return bosh_backup_in_ram(bdev->store, handle) || bosh_may_grow(bdev, 1);
}
