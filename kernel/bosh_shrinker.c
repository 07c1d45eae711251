// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shrinker policy. Count is O(1) from the device's gauges. Scan
 * walks the BO list in LRU order, in passes: purge idle DONTNEED BOs,
 * then back up idle BOs (written to swap at once when the writeback
 * knob is on and __GFP_IO allows). No backup without __GFP_FS or when
 * free swap, less what the store still holds in RAM, is under the
 * reserve. Reclaim only trylocks and never drops a final reference.
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
	long avail = get_nr_swap_pages() - bosh_backup_unwritten(bdev->store);

	return avail > reserve;
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
		n += bosh_stat_read(bdev, BOSH_STAT_PAGES_EVICTABLE);
	return max(n, 0L);
}

static unsigned long bosh_shrinker_count(struct shrinker *shrinker,
					 struct shrink_control *sc)
{
	return bosh_shrinker_count_pages(shrinker->private_data) ?: SHRINK_EMPTY;
}

/**
 * bosh_lru_next() - the next BO after a walker's cursor
 * @bdev: the device, its lru_lock held
 * @cursor: the walker's cursor, in &bosh_device.bos
 *
 * Moves the cursor past the BO it returns, skipping other cursors.
 *
 * Return: the BO, or NULL at the end of the list.
 */
static struct bosh_bo *bosh_lru_next(struct bosh_device *bdev,
				     struct bosh_lru_link *cursor)
{
	struct list_head *pos;

	lockdep_assert_held(&bdev->lru_lock);
	for (pos = cursor->node.next; pos != &bdev->bos; pos = pos->next) {
		struct bosh_lru_link *l = list_entry(pos, struct bosh_lru_link, node);

		if (l->cursor)
			continue;
		list_move(&cursor->node, pos);
		return container_of(l, struct bosh_bo, lru);
	}
	return NULL;
}

/* Pages of @bo a pass of @mode looks at. */
static long bosh_pass_pages(struct bosh_bo *bo, enum bosh_shrink_mode mode)
{
	long n = READ_ONCE(bo->nr_resident);

	return mode == BOSH_SHRINK_PURGE ? n + READ_ONCE(bo->nr_backed_up) : n;
}

/*
 * One pass over the BOs, least recently used first, trylocking each.
 * A BO used during the walk moves to the tail and may be met again: the
 * walk is bounded by the number of BOs when it started. Returns the
 * pages taken from BOs; @examined grows by the pages of every eligible
 * BO met, taken or skipped, and @ram_freed by the resident pages a purge
 * freed (the store's copies it dropped may have been in swap).
 */
static long bosh_shrink_pass(struct bosh_device *bdev,
			     enum bosh_shrink_mode mode, long nr_to_free,
			     gfp_t gfp, long *examined, long *ram_freed)
{
	struct bosh_lru_link cursor = { .cursor = true };
	long freed = 0, budget = bosh_stat_read(bdev, BOSH_STAT_BOS) + 1;
	struct bosh_bo *bo;
	int err;

	spin_lock(&bdev->lru_lock);
	list_add(&cursor.node, &bdev->bos);
	while (freed < nr_to_free && budget-- > 0 &&
	       (bo = bosh_lru_next(bdev, &cursor))) {
		if (!bosh_bo_may_shrink(bo, mode))
			continue;
		if (!kref_get_unless_zero(&bo->base.refcount))
			continue;
		spin_unlock(&bdev->lru_lock);

		*examined += min(bosh_pass_pages(bo, mode), nr_to_free - freed);
		if (!dma_resv_trylock(bo->base.resv)) {
			bosh_stat_add(bdev, BOSH_STAT_SKIPPED_LOCKED_TOTAL, 1);
		} else {
			long resident = bo->nr_resident, n = 0;

			if (!bosh_bo_is_idle(bo))
				bosh_stat_add(bdev, BOSH_STAT_SKIPPED_BUSY_TOTAL, 1);
			else
				n = bosh_bo_shrink_locked(bo, mode, nr_to_free - freed,
							  gfp, &err);
			dma_resv_unlock(bo->base.resv);
			freed += n;
			if (mode == BOSH_SHRINK_PURGE && n)
				*ram_freed += resident;
		}
		bosh_bo_put_deferred(bo);
		cond_resched();
		spin_lock(&bdev->lru_lock);
	}
	list_del(&cursor.node);
	spin_unlock(&bdev->lru_lock);
	return freed;
}

static const enum bosh_stat bosh_scan_caller_stat[] = {
	[BOSH_SCAN_KSWAPD] = BOSH_STAT_SCANS_KSWAPD_TOTAL,
	[BOSH_SCAN_DIRECT] = BOSH_STAT_SCANS_DIRECT_TOTAL,
	[BOSH_SCAN_MEMCG] = BOSH_STAT_SCANS_MEMCG_TOTAL,
	[BOSH_SCAN_DEBUGFS] = BOSH_STAT_SCANS_DEBUGFS_TOTAL,
	[BOSH_SCAN_SHRINKER_DEBUG] = BOSH_STAT_SCANS_SHRINKER_DEBUG_TOTAL,
};

/*
 * Purge first, then back up: __GFP_FS allows a backup (the store is a
 * file), __GFP_IO its writeback, and the swap reserve must hold. Returns
 * the pages taken from BOs (purged, or moved to the store); *@ram_freed
 * is the RAM purging freed for good, *@examined what the passes looked
 * at.
 */
static unsigned long bosh_shrink(struct bosh_device *bdev,
				 unsigned long nr_to_scan, gfp_t gfp,
				 enum bosh_scan_caller caller,
				 unsigned long *ram_freed, unsigned long *examined)
{
	u64 start = ktime_get_ns();
	long freed = 0, looked = 0, ram = 0, purged = 0;

	bosh_stat_add(bdev, BOSH_STAT_SCANS_TOTAL, 1);
	bosh_stat_add(bdev, bosh_scan_caller_stat[caller], 1);
	/* Walking every BO for nothing costs O(BOs) under lru_lock. */
	if (bosh_count_purgeable(bdev))
		freed = bosh_shrink_pass(bdev, BOSH_SHRINK_PURGE, nr_to_scan,
					 gfp, &looked, &ram);
	purged = freed;
	*ram_freed = ram;

	if (freed < nr_to_scan && (gfp & __GFP_FS) &&
	    bosh_swap_allows_backup(bdev)) {
		bool wb = READ_ONCE(bdev->writeback) && (gfp & __GFP_IO);

		freed += bosh_shrink_pass(bdev, wb ? BOSH_SHRINK_WRITEBACK :
					  BOSH_SHRINK_BACKUP,
					  nr_to_scan - freed, BOSH_RECLAIM_GFP,
					  &looked, &ram);
	}
	*examined = max(looked, freed);
	bosh_stat_add(bdev, BOSH_STAT_SCANNED_TOTAL, *examined);
	bosh_stat_add(bdev, BOSH_STAT_FREED_TOTAL, freed);
	trace_bosh_shrink(bdev->id, nr_to_scan, freed, purged, gfp,
			  ktime_get_ns() - start);
	return freed;
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
	unsigned long freed, ram_freed, examined;

	if (!READ_ONCE(bdev->shrinker_enabled))
		return SHRINK_STOP;
	freed = bosh_shrink(bdev, sc->nr_to_scan, sc->gfp_mask,
			    bosh_scan_caller(sc), &ram_freed, &examined);
	sc->nr_scanned = examined;
	/*
	 * Only purged resident pages left the system for good; backed-up
	 * pages moved into the store, which the mm reclaims (and accounts)
	 * itself.
	 */
	mm_account_reclaimed_pages(ram_freed);
	return freed ?: SHRINK_STOP;
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
 * Return: pages freed.
 */
unsigned long bosh_shrink_as_reclaim(struct bosh_device *bdev,
				     unsigned long nr_to_scan)
{
	unsigned long freed, ram_freed, examined;
	gfp_t gfp = GFP_KERNEL;
	unsigned int flags;

	if (!READ_ONCE(bdev->shrinker_enabled))
		return 0;
#ifdef BOSH_TEST_HOOKS
	gfp = READ_ONCE(bdev->test_shrink_gfp) ?: GFP_KERNEL;
#endif
	fs_reclaim_acquire(gfp);
	flags = memalloc_noreclaim_save();
	freed = bosh_shrink(bdev, nr_to_scan, gfp, BOSH_SCAN_DEBUGFS,
			    &ram_freed, &examined);
	memalloc_noreclaim_restore(flags);
	fs_reclaim_release(gfp);
	return freed;
}

/*
 * Visit every BO, waiting (interruptibly) for its lock and idleness:
 * the deterministic counterpart of the scan, for debugfs purge/evict.
 */
static long bosh_walk_bos_waiting(struct bosh_device *bdev,
				  enum bosh_shrink_mode mode)
{
	struct bosh_lru_link cursor = { .cursor = true };
	u64 walk = atomic64_inc_return(&bdev->walk_seq);
	struct bosh_bo *bo;
	long freed = 0;
	int err = 0;

	spin_lock(&bdev->lru_lock);
	list_add(&cursor.node, &bdev->bos);
	while ((bo = bosh_lru_next(bdev, &cursor))) {
		int shrink_err = 0;
		long ret;

		/* A BO used meanwhile moved to the tail: visit it once. */
		if (bo->walk_seq == walk)
			continue;
		bo->walk_seq = walk;
		if (!kref_get_unless_zero(&bo->base.refcount))
			continue;
		spin_unlock(&bdev->lru_lock);

		ret = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP,
					    true, MAX_SCHEDULE_TIMEOUT);
		if (ret >= 0)
			ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
		if (!ret) {
			if (bosh_bo_is_idle(bo))
				freed += bosh_bo_shrink_locked(bo, mode, LONG_MAX,
							       GFP_KERNEL, &shrink_err);
			dma_resv_unlock(bo->base.resv);
		}
		drm_gem_object_put(&bo->base);
		cond_resched();
		if (ret < 0 && !err)
			err = ret;
		if (shrink_err && !err)
			err = shrink_err;

		spin_lock(&bdev->lru_lock);
		if (err == -ERESTARTSYS || err == -EINTR)
			break;
	}
	list_del(&cursor.node);
	spin_unlock(&bdev->lru_lock);
	return err ? err : freed;
}

/**
 * bosh_purge_all() - purge every DONTNEED BO, waiting for idle
 * @bdev: the device
 *
 * Return: pages freed or a negative errno.
 */
long bosh_purge_all(struct bosh_device *bdev)
{
	return bosh_walk_bos_waiting(bdev, BOSH_SHRINK_PURGE);
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
	return bosh_walk_bos_waiting(bdev, READ_ONCE(bdev->writeback) ?
				     BOSH_SHRINK_WRITEBACK : BOSH_SHRINK_BACKUP);
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
