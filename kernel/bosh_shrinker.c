// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shrinker policy. It is memcg-aware: the mm calls it once per memcg
 * (global reclaim for every memcg in turn), and each call counts and scans
 * the groups on that memcg's list (bosh_group.c), O(1) per group from the
 * group's gauges. Scan runs its stages over each group's lists
 * (bosh_walk_scan()), least recently used first; which list a BO is on is
 * bosh_bo_lru_list()'s rule, and what allows each stage is stated here,
 * once:
 *
 * 1. purge DONTNEED BOs: always, as it neither allocates nor writes;
 * 2. back up WILLNEED BOs: with __GFP_FS (the store is a file), while
 *    free swap, less what the store still holds in RAM, is above
 *    swap_reserve_mb, and while the group's memcg and its ancestors are
 *    under memory.swap.max (bosh_group_may_back_up());
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

#include "bosh_budget.h"
#include "bosh_bo.h"
#include "bosh_shrinker.h"
#include "bosh_walk.h"
#include "bosh_trace.h"

/* Groups one scan of a memcg takes at once: its own and removed children's. */
#define BOSH_SCAN_GROUPS	8

/*
 * Off, reclaim of a memcg never scans its BOs and global reclaim scans
 * every BO, as for a shrinker that is not memcg-aware: the memcg tests'
 * negative control.
 */
static bool memcg_reclaim = true;
module_param(memcg_reclaim, bool, 0644);
MODULE_PARM_DESC(memcg_reclaim,
		 "reclaim of a memory cgroup scans the BOs charged to it (default: on)");

/* Stage 2's swap rule for one group: the device's reserve and its memcg's limits. */
static bool bosh_group_may_back_up(struct bosh_group *g)
{
	return bosh_swap_allows_backup(g->bdev) && bosh_group_swap_allows(g);
}

/*
 * What a scan could take from @g now: resident pages of unpinned DONTNEED
 * BOs and their pages in the store (purging those gives back store memory
 * and swap, so a DONTNEED BO that was backed up whole is still worth a
 * pass), plus the resident pages of unpinned WILLNEED BOs while swap
 * allows backup. Busy BOs count: they will be idle soon.
 */
static long bosh_group_count(struct bosh_group *g)
{
	long n = atomic_long_read(&g->purgeable) +
		 atomic_long_read(&g->purgeable_backed_up);

	if (bosh_group_may_back_up(g))
		n += atomic_long_read(&g->backupable);
	return max(n, 0L);
}

/**
 * bosh_shrinker_count_pages() - what the shrinker could free now
 * @bdev: the device
 *
 * Return: the sum over every group of what global reclaim's calls, one
 * per memcg, count; 0 when disabled.
 */
unsigned long bosh_shrinker_count_pages(struct bosh_device *bdev)
{
	if (!READ_ONCE(bdev->shrinker_enabled))
		return 0;
	return max(bosh_groups_sum_all(bdev, bosh_group_count), 0L);
}

/*
 * The groups a call from the mm is for: false when the call is for none
 * of them (a child memcg with memcg_reclaim off); *@all when it is for
 * every group rather than @sc->memcg's.
 */
static bool bosh_sc_groups(struct shrink_control *sc, bool *all)
{
	bool root = true;

#ifdef CONFIG_MEMCG
	root = !sc->memcg || !parent_mem_cgroup(sc->memcg);
#endif
	*all = !READ_ONCE(memcg_reclaim);
	return root || !*all;
}

static unsigned long bosh_shrinker_count(struct shrinker *shrinker,
					 struct shrink_control *sc)
{
	struct bosh_device *bdev = shrinker->private_data;
	bool all;
	long n;

	/* 0, not SHRINK_EMPTY, which would clear the memcg's shrinker bit. */
	if (!READ_ONCE(bdev->shrinker_enabled) || !bosh_sc_groups(sc, &all))
		return 0;
	n = all ? bosh_groups_sum_all(bdev, bosh_group_count) :
		  bosh_groups_sum_memcg(bdev, sc, bosh_group_count);
	return n < 0 ? SHRINK_EMPTY : n;
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

/* One pass over @g, if the stage allows it there. */
static long bosh_shrink_group(struct bosh_group *g, enum bosh_shrink_mode mode,
			      long nr, gfp_t gfp, long *looked,
			      struct bosh_shrunk *s)
{
	if (mode != BOSH_SHRINK_PURGE && !bosh_group_may_back_up(g))
		return 0;
	return bosh_walk_scan(g, mode, nr, gfp, looked, s);
}

/* One stage over @sc's groups, or over every group when @sc is NULL. */
static long bosh_shrink_pass(struct bosh_device *bdev, struct shrink_control *sc,
			     enum bosh_shrink_mode mode, long nr, gfp_t gfp,
			     long *looked, struct bosh_shrunk *s)
{
	struct bosh_group *groups[BOSH_SCAN_GROUPS], *g = NULL;
	long taken = 0;
	int i, n;

	if (!sc) {
		while (taken < nr && (g = bosh_group_next(bdev, g)))
			taken += bosh_shrink_group(g, mode, nr - taken, gfp,
						   looked, s);
		bosh_group_put(g);
		return taken;
	}
	n = bosh_groups_of_memcg(bdev, sc, groups, ARRAY_SIZE(groups));
	for (i = 0; i < n; i++) {
		if (taken < nr)
			taken += bosh_shrink_group(groups[i], mode, nr - taken,
						   gfp, looked, s);
		bosh_group_put(groups[i]);
	}
	return taken;
}

/*
 * The stages in order, over @sc's memcg or every group (@sc NULL).
 * Fills @s: the pages taken from BOs (purged, moved to the store or
 * unpinned: the scan's progress), those the call released (what it
 * reports freed), the RAM purging gave back for good. Returns what the
 * stages looked at.
 */
static unsigned long bosh_shrink(struct bosh_device *bdev,
				 struct shrink_control *sc,
				 unsigned long nr_to_scan, gfp_t gfp,
				 enum bosh_scan_caller caller,
				 struct bosh_shrunk *s)
{
	u64 start = ktime_get_ns();
	long taken, looked = 0, purged;

	bosh_stat_add(bdev, BOSH_STAT_SCANS_TOTAL, 1);
	bosh_stat_add(bdev, bosh_scan_caller_stat[caller], 1);
	/* Stage 1. */
	taken = bosh_shrink_pass(bdev, sc, BOSH_SHRINK_PURGE, nr_to_scan, gfp,
				 &looked, s);
	purged = taken;

	/* Stages 2 and 3, in one pass. */
	if (taken < nr_to_scan && (gfp & __GFP_FS))
		taken += bosh_shrink_pass(bdev, sc, bosh_backup_mode(bdev, gfp),
					  nr_to_scan - taken, gfp, &looked, s);
	looked = max(looked, taken);
	bosh_stat_add(bdev, BOSH_STAT_SCANNED_TOTAL, looked);
	bosh_stat_add(bdev, BOSH_STAT_FREED_TOTAL, s->freed);
	trace_bosh_shrink(bdev->id, nr_to_scan, taken, purged, gfp,
			  ktime_get_ns() - start);
	return looked;
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
	struct bosh_shrunk s = {};
	bool all;

	if (!READ_ONCE(bdev->shrinker_enabled) || !bosh_sc_groups(sc, &all))
		return SHRINK_STOP;
	sc->nr_scanned = bosh_shrink(bdev, all ? NULL : sc, sc->nr_to_scan,
				     sc->gfp_mask, bosh_scan_caller(sc), &s);
	/*
	 * Only purged pages left the system for good; backed-up pages
	 * moved into the store, or were unpinned, and the mm reclaims (and
	 * accounts) those itself.
	 */
	mm_account_reclaimed_pages(s.ram);
	/* Unpinning alone is progress that freed nothing: 0, not STOP. */
	return s.taken ? s.freed : SHRINK_STOP;
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
 * Return: pages the scan released (purged, or copied into the store
 * and freed; not those it only unpinned).
 */
unsigned long bosh_shrink_as_reclaim(struct bosh_device *bdev,
				     unsigned long nr_to_scan)
{
	struct bosh_shrunk s = {};
	gfp_t gfp = GFP_KERNEL;
	unsigned int flags;

	if (!READ_ONCE(bdev->shrinker_enabled))
		return 0;
#ifdef BOSH_TEST_HOOKS
	gfp = READ_ONCE(bdev->test_shrink_gfp) ?: GFP_KERNEL;
#endif
	fs_reclaim_acquire(gfp);
	flags = memalloc_noreclaim_save();
	bosh_shrink(bdev, NULL, nr_to_scan, gfp, BOSH_SCAN_DEBUGFS, &s);
	memalloc_noreclaim_restore(flags);
	fs_reclaim_release(gfp);
	return s.freed;
}

/* One waiting pass of @mode over every group. */
static long bosh_walk_groups(struct bosh_device *bdev, enum bosh_shrink_mode mode)
{
	u64 walk = atomic64_inc_return(&bdev->walk_seq);
	struct bosh_group *g = NULL;
	long taken = 0;
	int err = 0;

	while ((g = bosh_group_next(bdev, g))) {
		int ret = bosh_walk_waiting(g, mode, walk, &taken);

		if (ret && !err)
			err = ret;
		if (err == -ERESTARTSYS || err == -EINTR)
			break;
	}
	bosh_group_put(g);
	return err ? err : taken;
}

/**
 * bosh_purge_all() - purge every DONTNEED BO, waiting for idle
 * @bdev: the device
 *
 * Return: pages purged or a negative errno.
 */
long bosh_purge_all(struct bosh_device *bdev)
{
	return bosh_walk_groups(bdev, BOSH_SHRINK_PURGE);
}

/**
 * bosh_evict_all() - back up every unpinned WILLNEED BO, waiting for idle
 * @bdev: the device
 *
 * Writes the store pages to swap when the writeback knob is on. Unlike
 * the scan it ignores the swap reserve and the memcgs' swap limits: the
 * operator asked for it.
 *
 * Return: pages backed up, or the first error (the other BOs are still
 * tried).
 */
long bosh_evict_all(struct bosh_device *bdev)
{
	return bosh_walk_groups(bdev, bosh_backup_mode(bdev, GFP_KERNEL));
}

/**
 * bosh_shrinker_init() - register the device's shrinker
 * @bdev: the device
 *
 * Return: 0 or -ENOMEM.
 */
int bosh_shrinker_init(struct bosh_device *bdev)
{
	int ret;

	/* Not a slab cache: memcgs without kernel memory accounting call it too. */
	bdev->shrinker = shrinker_alloc(SHRINKER_MEMCG_AWARE | SHRINKER_NONSLAB,
					"bosh.%d", bdev->id);
	if (!bdev->shrinker)
		return -ENOMEM;
	/* The groups' list_lru sets the shrinker's bit in each memcg's map. */
	ret = list_lru_init_memcg(&bdev->memcg_lru, bdev->shrinker);
	if (ret) {
		shrinker_free(bdev->shrinker);
		return ret;
	}
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
	list_lru_destroy(&bdev->memcg_lru);
}
