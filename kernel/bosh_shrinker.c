// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shrinker policy. Count is O(1) from the device's gauges. Scan runs
 * its stages over the LRU (bosh_lru_scan()), least recently used first;
 * who is eligible in a stage is bosh_bo_may_shrink()'s rule, and what
 * allows each stage is stated here, once:
 *
 * 1. purge DONTNEED BOs: always, as it neither allocates nor writes;
 * 2. back up WILLNEED BOs: with __GFP_FS (the store is a file), and
 *    while free swap, less what the store still holds in RAM, is above
 *    swap_reserve_mb (bosh_swap_allows_backup());
 * 3. write those copies to swap at once: with __GFP_IO, when the
 *    writeback knob is on (bosh_backup_mode()).
 *
 * Reclaim only trylocks and never drops a final reference.
 */
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/swap.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_drv.h"
#include "bosh_trace.h"

#define BOSH_RECLAIM_GFP \
	(GFP_KERNEL | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN)

static bool bosh_swap_allows_backup(struct bosh_device *bdev)
{
	long reserve = (long)READ_ONCE(bdev->swap_reserve_mb) << (20 - PAGE_SHIFT);
	struct bosh_backup_stats store;

	bosh_backup_stats(bdev->store, &store);
	return get_nr_swap_pages() - (long)store.unwritten > reserve;
}

/**
 * bosh_count_purgeable() - pages a purge pass could take now
 * @bdev: the device
 *
 * Resident pages of unpinned DONTNEED BOs, and their pages in the store:
 * purging those gives back store memory and swap, so a DONTNEED BO that
 * was backed up whole is still worth a pass.
 *
 * Return: the pages.
 */
static unsigned long bosh_count_purgeable(struct bosh_device *bdev)
{
	long n = bosh_stat_read(bdev, BOSH_STAT_PAGES_PURGEABLE) +
		 bosh_stat_read(bdev, BOSH_STAT_PAGES_PURGEABLE_BACKED_UP);

	return max(n, 0L);
}

/**
 * bosh_shrinker_count_pages() - what the shrinker could free now
 * @bdev: the device
 *
 * Return: what a purge could take (bosh_count_purgeable()), plus the
 * resident pages of unpinned WILLNEED BOs while swap allows backup; 0
 * when disabled. Busy BOs count: they will be idle soon.
 */
unsigned long bosh_shrinker_count_pages(struct bosh_device *bdev)
{
	long n;

	if (!READ_ONCE(bdev->shrinker_enabled))
		return 0;
	n = bosh_count_purgeable(bdev);
	if (bosh_swap_allows_backup(bdev))
		n += bosh_stat_read(bdev, BOSH_STAT_PAGES_BACKUPABLE);
	return max(n, 0L);
}

static unsigned long bosh_shrinker_count(struct shrinker *shrinker,
					 struct shrink_control *sc)
{
	return bosh_shrinker_count_pages(shrinker->private_data) ?: SHRINK_EMPTY;
}

static const enum bosh_stat bosh_scan_caller_stat[] = {
	[BOSH_SCAN_KSWAPD] = BOSH_STAT_SCANS_KSWAPD_TOTAL,
	[BOSH_SCAN_DIRECT] = BOSH_STAT_SCANS_DIRECT_TOTAL,
	[BOSH_SCAN_MEMCG] = BOSH_STAT_SCANS_MEMCG_TOTAL,
	[BOSH_SCAN_DEBUGFS] = BOSH_STAT_SCANS_DEBUGFS_TOTAL,
	[BOSH_SCAN_SHRINKER_DEBUG] = BOSH_STAT_SCANS_SHRINKER_DEBUG_TOTAL,
};

/* Stage 3's rule: backup with writeback, or backup alone. */
static enum bosh_shrink_mode bosh_backup_mode(struct bosh_device *bdev,
					      gfp_t gfp)
{
	return READ_ONCE(bdev->writeback) && (gfp & __GFP_IO) ?
	       BOSH_SHRINK_WRITEBACK : BOSH_SHRINK_BACKUP;
}

/*
 * The stages in order. Returns the pages taken from BOs (purged, or
 * moved to the store); *@ram_freed is the RAM purging freed for good,
 * *@examined what the stages looked at.
 */
static unsigned long bosh_shrink(struct bosh_device *bdev,
				 unsigned long nr_to_scan, gfp_t gfp,
				 enum bosh_scan_caller caller,
				 unsigned long *ram_freed, unsigned long *examined)
{
	u64 start = ktime_get_ns();
	long taken = 0, looked = 0, ram = 0, purged;

	bosh_stat_add(bdev, BOSH_STAT_SCANS_TOTAL, 1);
	bosh_stat_add(bdev, bosh_scan_caller_stat[caller], 1);
	/* Stage 1. Walking every BO for nothing costs O(BOs) under the lock. */
	if (bosh_count_purgeable(bdev))
		taken = bosh_lru_scan(bdev, BOSH_SHRINK_PURGE, nr_to_scan,
				      gfp, &looked, &ram);
	purged = taken;
	*ram_freed = ram;

	/* Stages 2 and 3, in one pass. */
	if (taken < nr_to_scan && (gfp & __GFP_FS) &&
	    bosh_swap_allows_backup(bdev))
		taken += bosh_lru_scan(bdev, bosh_backup_mode(bdev, gfp),
				       nr_to_scan - taken, BOSH_RECLAIM_GFP,
				       &looked, &ram);
	*examined = max(looked, taken);
	bosh_stat_add(bdev, BOSH_STAT_SCANNED_TOTAL, *examined);
	bosh_stat_add(bdev, BOSH_STAT_FREED_TOTAL, taken);
	trace_bosh_shrink(bdev->id, nr_to_scan, taken, purged, gfp,
			  ktime_get_ns() - start);
	return taken;
}

/*
 * Who is reclaiming: kswapd, a memcg's reclaim, a task in direct reclaim
 * (PF_MEMALLOC), or else SHRINKER_DEBUG's scan or drop_caches.
 */
static enum bosh_scan_caller bosh_scan_caller(struct shrink_control *sc)
{
	if (current_is_kswapd())
		return BOSH_SCAN_KSWAPD;
#ifdef CONFIG_MEMCG
	if (sc->memcg && parent_mem_cgroup(sc->memcg))
		return BOSH_SCAN_MEMCG;
#endif
	if (current->flags & PF_MEMALLOC)
		return BOSH_SCAN_DIRECT;
	return BOSH_SCAN_SHRINKER_DEBUG;
}

static unsigned long bosh_shrinker_scan(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	struct bosh_device *bdev = shrinker->private_data;
	unsigned long taken, ram_freed, examined;

	if (!READ_ONCE(bdev->shrinker_enabled))
		return SHRINK_STOP;
	taken = bosh_shrink(bdev, sc->nr_to_scan, sc->gfp_mask,
			    bosh_scan_caller(sc), &ram_freed, &examined);
	sc->nr_scanned = examined;
	/*
	 * Only purged resident pages left the system for good; backed-up
	 * pages moved into the store, which the mm reclaims (and accounts)
	 * itself.
	 */
	mm_account_reclaimed_pages(ram_freed);
	return taken ?: SHRINK_STOP;
}

/**
 * bosh_shrink_as_reclaim() - run the scan as reclaim would
 * @bdev: the device
 * @nr_to_scan: pages wanted
 *
 * Under fs_reclaim_acquire() and memalloc_noreclaim_save(), as i915's
 * drop_caches does, so lockdep checks bosh's reclaim path as the mm
 * would run it.
 *
 * Return: pages taken from BOs.
 */
unsigned long bosh_shrink_as_reclaim(struct bosh_device *bdev,
				     unsigned long nr_to_scan)
{
	unsigned long taken, ram_freed, examined;
	gfp_t gfp = GFP_KERNEL;
	unsigned int flags;

	if (!READ_ONCE(bdev->shrinker_enabled))
		return 0;
#ifdef BOSH_TEST_HOOKS
	gfp = READ_ONCE(bdev->test_shrink_gfp) ?: GFP_KERNEL;
#endif
	fs_reclaim_acquire(gfp);
	flags = memalloc_noreclaim_save();
	taken = bosh_shrink(bdev, nr_to_scan, gfp, BOSH_SCAN_DEBUGFS,
			    &ram_freed, &examined);
	memalloc_noreclaim_restore(flags);
	fs_reclaim_release(gfp);
	return taken;
}

/**
 * bosh_purge_all() - purge every DONTNEED BO, waiting for idle
 * @bdev: the device
 *
 * Return: pages purged or a negative errno.
 */
long bosh_purge_all(struct bosh_device *bdev)
{
	return bosh_lru_walk_waiting(bdev, BOSH_SHRINK_PURGE);
}

/**
 * bosh_evict_all() - back up every unpinned WILLNEED BO, waiting for idle
 * @bdev: the device
 *
 * Writes the store pages to swap when the writeback knob is on. Unlike
 * the scan it ignores the swap reserve: the operator asked for it.
 *
 * Return: pages backed up, or the first error (the other BOs are still
 * tried).
 */
long bosh_evict_all(struct bosh_device *bdev)
{
	return bosh_lru_walk_waiting(bdev, bosh_backup_mode(bdev, GFP_KERNEL));
}

/**
 * bosh_shrinker_init() - register the device's shrinker
 * @bdev: the device
 *
 * Return: 0 or -ENOMEM.
 */
int bosh_shrinker_init(struct bosh_device *bdev)
{
	bdev->shrinker = shrinker_alloc(0, "bosh.%d", bdev->id);
	if (!bdev->shrinker)
		return -ENOMEM;
	bdev->shrinker->count_objects = bosh_shrinker_count;
	bdev->shrinker->scan_objects = bosh_shrinker_scan;
	bdev->shrinker->seeks = DEFAULT_SEEKS;
	bdev->shrinker->private_data = bdev;
	shrinker_register(bdev->shrinker);
	return 0;
}

/**
 * bosh_shrinker_fini() - unregister the device's shrinker
 * @bdev: the device
 */
void bosh_shrinker_fini(struct bosh_device *bdev)
{
	shrinker_free(bdev->shrinker);
}
