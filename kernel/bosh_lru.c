// SPDX-License-Identifier: GPL-2.0-only
/*
 * The LRU of a device's BOs and the walks over it. Every use of a BO
 * (BO_RW, BO_VALIDATE, BO_PIN, a CPU fault) moves it to the tail, so the
 * walks meet the BOs idle for longest first. Which BOs a walk may take
 * is bosh_bo_may_shrink()'s rule; the order of the walks is the
 * shrinker's.
 */
#include <linux/dma-resv.h>
#include <linux/sched.h>

#include "bosh_drv.h"

/**
 * bosh_lru_init() - an empty LRU
 * @lru: the LRU
 */
void bosh_lru_init(struct bosh_lru *lru)
{
	spin_lock_init(&lru->lock);
	INIT_LIST_HEAD(&lru->list);
}

/**
 * bosh_lru_add() - add a new entry as the most recently used
 * @lru: the LRU
 * @link: the entry
 */
void bosh_lru_add(struct bosh_lru *lru, struct bosh_lru_link *link)
{
	spin_lock(&lru->lock);
	list_add_tail(&link->node, &lru->list);
	spin_unlock(&lru->lock);
}

/**
 * bosh_lru_del() - take an entry off for good
 * @lru: the LRU
 * @link: the entry
 */
void bosh_lru_del(struct bosh_lru *lru, struct bosh_lru_link *link)
{
	spin_lock(&lru->lock);
	list_del(&link->node);
	spin_unlock(&lru->lock);
}

/**
 * bosh_lru_touch() - a use: make an entry the most recently used
 * @lru: the LRU
 * @link: the entry
 */
void bosh_lru_touch(struct bosh_lru *lru, struct bosh_lru_link *link)
{
	spin_lock(&lru->lock);
	list_move_tail(&link->node, &lru->list);
	spin_unlock(&lru->lock);
}

/*
 * The next BO after a walker's cursor, moving the cursor past it and
 * skipping other walkers' cursors; NULL at the end.
 */
static struct bosh_bo *bosh_lru_next(struct bosh_lru *lru,
				     struct bosh_lru_link *cursor)
{
	struct list_head *pos;

	lockdep_assert_held(&lru->lock);
	for (pos = cursor->node.next; pos != &lru->list; pos = pos->next) {
		struct bosh_lru_link *l = list_entry(pos, struct bosh_lru_link, node);

		if (l->cursor)
			continue;
		list_move(&cursor->node, pos);
		return container_of(l, struct bosh_bo, lru);
	}
	return NULL;
}

/**
 * bosh_lru_visit_bos() - call @fn on every BO, in LRU order
 * @bdev: the device
 * @arg: passed to @fn
 * @fn: called under the LRU's lock, so it must not sleep
 */
void bosh_lru_visit_bos(struct bosh_device *bdev, void *arg,
			void (*fn)(struct bosh_bo *bo, void *arg))
{
	struct bosh_lru_link *l;

	spin_lock(&bdev->lru.lock);
	list_for_each_entry(l, &bdev->lru.list, node) {
		if (!l->cursor)
			fn(container_of(l, struct bosh_bo, lru), arg);
	}
	spin_unlock(&bdev->lru.lock);
}

/* Pages of @bo a pass of @mode looks at. */
static long bosh_pass_pages(struct bosh_bo *bo, enum bosh_shrink_mode mode)
{
	long n = READ_ONCE(bo->nr_resident);

	return mode == BOSH_SHRINK_PURGE ? n + READ_ONCE(bo->nr_backed_up) : n;
}

/**
 * bosh_lru_scan() - one pass of the scan, as reclaim runs it
 * @bdev: the device
 * @mode: what the pass takes
 * @nr_to_take: pages wanted
 * @gfp: allocation flags for the store
 * @examined: grows by the pages of every eligible BO met, taken or
 *	skipped
 * @ram_freed: grows by the resident pages a purge freed (the store's
 *	copies it dropped may have been in swap)
 *
 * Least recently used first, trylocking each BO and skipping busy ones;
 * a reference is dropped outside reclaim (bosh_bo_put_deferred()). A BO
 * used during the walk moves to the tail and may be met again: the walk
 * is bounded by the number of BOs when it started.
 *
 * Return: the pages taken from BOs.
 */
long bosh_lru_scan(struct bosh_device *bdev, enum bosh_shrink_mode mode,
		   long nr_to_take, gfp_t gfp, long *examined, long *ram_freed)
{
	struct bosh_lru_link cursor = { .cursor = true };
	long taken = 0, budget = bosh_stat_read(bdev, BOSH_STAT_BOS) + 1;
	struct bosh_lru *lru = &bdev->lru;
	struct bosh_bo *bo;
	int err;

	spin_lock(&lru->lock);
	list_add(&cursor.node, &lru->list);
	while (taken < nr_to_take && budget-- > 0 &&
	       (bo = bosh_lru_next(lru, &cursor))) {
		if (!bosh_bo_may_shrink(bo, mode))
			continue;
		if (!kref_get_unless_zero(&bo->base.refcount))
			continue;
		spin_unlock(&lru->lock);

		*examined += min(bosh_pass_pages(bo, mode), nr_to_take - taken);
		if (!dma_resv_trylock(bo->base.resv)) {
			bosh_stat_add(bdev, BOSH_STAT_SKIPPED_LOCKED_TOTAL, 1);
		} else {
			long resident = bo->nr_resident, n = 0;

			if (!bosh_bo_is_idle(bo))
				bosh_stat_add(bdev, BOSH_STAT_SKIPPED_BUSY_TOTAL, 1);
			else
				n = bosh_bo_shrink_locked(bo, mode, nr_to_take - taken,
							  gfp, &err);
			dma_resv_unlock(bo->base.resv);
			taken += n;
			if (mode == BOSH_SHRINK_PURGE && n)
				*ram_freed += resident;
		}
		bosh_bo_put_deferred(bo);
		cond_resched();
		spin_lock(&lru->lock);
	}
	list_del(&cursor.node);
	spin_unlock(&lru->lock);
	return taken;
}

/**
 * bosh_lru_walk_waiting() - one pass over every BO, waiting for each
 * @bdev: the device
 * @mode: what the pass takes
 *
 * The deterministic counterpart of bosh_lru_scan(), for debugfs purge
 * and evict: waits (interruptibly) for each BO's fences and lock. A BO
 * used meanwhile moves to the tail; it is visited once.
 *
 * Return: the pages taken from BOs, or the first error (the other BOs
 * are still tried, except after a signal).
 */
long bosh_lru_walk_waiting(struct bosh_device *bdev, enum bosh_shrink_mode mode)
{
	struct bosh_lru_link cursor = { .cursor = true };
	u64 walk = atomic64_inc_return(&bdev->walk_seq);
	struct bosh_lru *lru = &bdev->lru;
	struct bosh_bo *bo;
	long taken = 0;
	int err = 0;

	spin_lock(&lru->lock);
	list_add(&cursor.node, &lru->list);
	while ((bo = bosh_lru_next(lru, &cursor))) {
		int shrink_err = 0;
		long ret;

		if (bo->walk_seq == walk)
			continue;
		bo->walk_seq = walk;
		if (!kref_get_unless_zero(&bo->base.refcount))
			continue;
		spin_unlock(&lru->lock);

		ret = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP,
					    true, MAX_SCHEDULE_TIMEOUT);
		if (ret >= 0)
			ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
		if (!ret) {
			if (bosh_bo_is_idle(bo))
				taken += bosh_bo_shrink_locked(bo, mode, LONG_MAX,
							       GFP_KERNEL, &shrink_err);
			dma_resv_unlock(bo->base.resv);
		}
		drm_gem_object_put(&bo->base);
		cond_resched();
		if (ret < 0 && !err)
			err = ret;
		if (shrink_err && !err)
			err = shrink_err;

		spin_lock(&lru->lock);
		if (err == -ERESTARTSYS || err == -EINTR)
			break;
	}
	list_del(&cursor.node);
	spin_unlock(&lru->lock);
	return err ? err : taken;
}
