// SPDX-License-Identifier: GPL-2.0-only
/*
 * The walks over a group's LRU lists: the scan's trylock pass, as reclaim
 * runs it, and the waiting walk of debugfs purge and evict; and the visit
 * of every BO of a device. What a walk may take from a BO is
 * bosh_bo_may_shrink()'s rule, the order of the passes the shrinker's.
 */
#include <linux/dma-resv.h>
#include <linux/sched.h>

#include "bosh_bo.h"
#include "bosh_walk.h"

/* The next BO after @cursor in @head, or NULL. */
static struct bosh_bo *bosh_walk_next(struct bosh_lru *lru, struct list_head *head,
				      struct bosh_lru_link *cursor)
{
	struct bosh_lru_link *l = bosh_lru_next(lru, head, cursor);

	return l ? container_of(l, struct bosh_bo, lru) : NULL;
}

/**
 * bosh_walk_visit_bos() - call @fn on every BO of a device
 * @bdev: the device
 * @arg: passed to @fn
 * @fn: called under spinlocks, so it must not sleep
 *
 * Group by group, each list least recently used first.
 */
void bosh_walk_visit_bos(struct bosh_device *bdev, void *arg,
			 void (*fn)(struct bosh_bo *bo, void *arg))
{
	struct bosh_group *g;
	struct bosh_lru_link *l;
	int i;

	spin_lock(&bdev->groups_lock);
	list_for_each_entry(g, &bdev->groups, dev_link) {
		spin_lock(&g->lru.lock);
		for (i = 0; i < BOSH_LRU_NR; i++)
			list_for_each_entry(l, &g->lru.lists[i], node)
				if (!l->cursor)
					fn(container_of(l, struct bosh_bo, lru), arg);
		spin_unlock(&g->lru.lock);
	}
	spin_unlock(&bdev->groups_lock);
}

/* Pages of @bo a pass of @mode looks at. */
static long bosh_pass_pages(struct bosh_bo *bo, enum bosh_shrink_mode mode)
{
	long n = READ_ONCE(bo->nr_resident);

	return mode == BOSH_SHRINK_PURGE ? n + READ_ONCE(bo->nr_backed_up) : n;
}

/* A BO the scan could not take now: the next scan meets it last. */
static void bosh_walk_rotate(struct bosh_lru *lru, struct bosh_bo *bo,
			     enum bosh_lru_list list)
{
	spin_lock(&lru->lock);
	if (bo->lru.list == list)
		list_move_tail(&bo->lru.node, &lru->lists[list]);
	spin_unlock(&lru->lock);
}

/**
 * bosh_walk_scan() - one pass of the scan over a group, as reclaim runs it
 * @g: the group
 * @mode: what the pass takes
 * @nr_to_take: pages wanted
 * @gfp: allocation flags for the store
 * @examined: grows by the pages of every eligible BO met, taken or
 *	skipped
 * @s: what the pass did is added here
 *
 * Walks only the list of the pass, least recently used first, trylocking
 * each BO. A busy or locked BO is rotated to the tail, as msm does: any
 * fence can make a BO busy, and the next scan should not meet it first.
 * A reference is dropped outside reclaim (bosh_bo_put_deferred()). A BO
 * used or rotated during the walk may be met again: the walk is bounded
 * by the number of the device's BOs when it started.
 *
 * Return: the pages taken from BOs.
 */
long bosh_walk_scan(struct bosh_group *g, enum bosh_shrink_mode mode,
		    long nr_to_take, gfp_t gfp, long *examined, struct bosh_shrunk *s)
{
	struct bosh_device *bdev = g->bdev;
	struct bosh_lru_link cursor = { .cursor = true };
	long taken = 0, budget = bosh_stat_read(bdev, BOSH_STAT_BOS) + 1;
	enum bosh_lru_list list = bosh_pass_list(mode);
	struct list_head *head = &g->lru.lists[list];
	struct bosh_lru *lru = &g->lru;
	struct bosh_bo *bo;

	spin_lock(&lru->lock);
	list_add(&cursor.node, head);
	while (taken < nr_to_take && budget-- > 0 &&
	       (bo = bosh_walk_next(lru, head, &cursor))) {
		bool rotate = true;

		if (!bosh_bo_may_shrink(bo, mode))
			continue;
		if (!kref_get_unless_zero(&bo->base.refcount))
			continue;
		spin_unlock(&lru->lock);

		*examined += min(bosh_pass_pages(bo, mode), nr_to_take - taken);
		if (!dma_resv_trylock(bo->base.resv)) {
			bosh_stat_add(bdev, BOSH_STAT_SKIPPED_LOCKED_TOTAL, 1);
		} else {
			if (!bosh_bo_is_idle(bo)) {
				bosh_stat_add(bdev, BOSH_STAT_SKIPPED_BUSY_TOTAL, 1);
			} else {
				taken += bosh_bo_shrink_locked(bo, mode,
							       nr_to_take - taken,
							       gfp, s);
				rotate = false;
			}
			dma_resv_unlock(bo->base.resv);
		}
		if (rotate)
			bosh_walk_rotate(lru, bo, list);
		bosh_bo_put_deferred(bo);
		cond_resched();
		spin_lock(&lru->lock);
	}
	list_del(&cursor.node);
	spin_unlock(&lru->lock);
	return taken;
}

/**
 * bosh_walk_waiting() - one pass over a group's BOs, waiting for each
 * @g: the group
 * @mode: what the pass takes
 * @walk: the walk's number, from &bosh_device.walk_seq
 * @taken: grows by the pages taken from BOs
 *
 * The deterministic counterpart of bosh_walk_scan(), for debugfs purge
 * and evict: waits (interruptibly) for each BO's fences and lock. A BO
 * used meanwhile moves to the tail; it is visited once.
 *
 * Return: 0 or the first error (the other BOs are still tried, except
 * after a signal).
 */
int bosh_walk_waiting(struct bosh_group *g, enum bosh_shrink_mode mode,
		      u64 walk, long *taken)
{
	struct bosh_lru_link cursor = { .cursor = true };
	struct list_head *head = &g->lru.lists[bosh_pass_list(mode)];
	struct bosh_lru *lru = &g->lru;
	struct bosh_bo *bo;
	int err = 0;

	spin_lock(&lru->lock);
	list_add(&cursor.node, head);
	while ((bo = bosh_walk_next(lru, head, &cursor))) {
		struct bosh_shrunk shrunk = {};
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
				*taken += bosh_bo_shrink_locked(bo, mode, LONG_MAX,
								GFP_KERNEL, &shrunk);
			dma_resv_unlock(bo->base.resv);
		}
		drm_gem_object_put(&bo->base);
		cond_resched();
		if (ret < 0 && !err)
			err = ret;
		if (shrunk.err && !err)
			err = shrunk.err;

		spin_lock(&lru->lock);
		if (err == -ERESTARTSYS || err == -EINTR)
			break;
	}
	list_del(&cursor.node);
	spin_unlock(&lru->lock);
	return err;
}
