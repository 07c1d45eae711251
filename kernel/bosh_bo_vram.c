// SPDX-License-Identifier: GPL-2.0-only
/*
 * A BO's moves between system memory and VRAM, whole BOs as TTM moves
 * them, the BO's resv held. Into VRAM from a BO resident in system
 * memory (a validation restores it first); out of VRAM into system pages
 * allocated and charged as any BO page is (the owner's memcg, the
 * admission check), from where the shrinker owns them. A DONTNEED BO is
 * purged instead of copied.
 */
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_bo.h"
#include "bosh_bo_vram.h"
#include "bosh_budget.h"
#include "bosh_pages.h"
#include "bosh_slot.h"

/* The BO's VRAM counts as pinned: no eviction could move it out. */
static void bosh_bo_vram_stick(struct bosh_bo *bo)
{
	if (bo->vram_stuck)
		return;
	bo->vram_stuck = true;
	atomic_long_add(bo->npages, &bo->bdev->vram.stuck);
}

static void bosh_bo_vram_unstick(struct bosh_bo *bo)
{
	if (!bo->vram_stuck)
		return;
	bo->vram_stuck = false;
	atomic_long_sub(bo->npages, &bo->bdev->vram.stuck);
}

/**
 * bosh_bo_vram_release() - give a BO's VRAM back
 * @bo: the BO, its resv held (or being freed), in VRAM; the caller has
 *	cleared or replaced its slots
 */
void bosh_bo_vram_release(struct bosh_bo *bo)
{
	struct bosh_vram *vram = &bo->bdev->vram;

	bosh_vram_lru_del(vram, &bo->vram_node.link);
	bosh_vram_free(vram, &bo->vram_blocks, bo->npages);
	bosh_stat_add(bo->bdev, BOSH_STAT_VRAM_PAGES_USED, -(long)bo->npages);
	bosh_bo_vram_unstick(bo);
	WRITE_ONCE(bo->in_vram, false);
}

/**
 * bosh_bo_may_enter_vram() - can a BO be copied into VRAM now
 * @bo: the BO, its resv held, in system memory
 *
 * Every page is resident and no BO_RW copy is in flight on one (the move
 * frees them).
 *
 * Return: true if bosh_bo_to_vram_locked() may run.
 */
bool bosh_bo_may_enter_vram(struct bosh_bo *bo)
{
	/* Pairs with the release in bosh_bo_rw(): the copy has landed. */
	return bo->nr_resident == bo->npages && !atomic_read_acquire(&bo->users);
}

/**
 * bosh_bo_to_vram_locked() - move a BO into VRAM
 * @bo: the BO, its resv held, bosh_bo_may_enter_vram()
 * @blocks: VRAM for @bo->npages pages, from bosh_vram_alloc(); taken over
 *
 * Mappings are zapped first; they refault onto the VRAM pages. The copy
 * cannot fail: the allocation was the move's failure point.
 */
void bosh_bo_to_vram_locked(struct bosh_bo *bo, struct list_head *blocks)
{
	struct bosh_device *bdev = bo->bdev;
	struct bosh_vram *vram = &bdev->vram;
	struct gpu_buddy_block *block;
	pgoff_t i = 0, j;

	dma_resv_assert_held(bo->base.resv);
	/*
	 * On the LRU before the copy: a walk that finds VRAM used must find
	 * who uses it, and wait for this BO's lock, not report it missing.
	 */
	bosh_vram_lru_add(vram, &bo->vram_node.link);
	bosh_bo_zap_mappings(bo);
	list_for_each_entry(block, blocks, link) {
		unsigned long first = gpu_buddy_block_offset(block) >> PAGE_SHIFT;
		unsigned long n = gpu_buddy_block_size(&vram->mm, block) >> PAGE_SHIFT;

		for (j = 0; j < n; j++, i++)
			copy_highpage(bosh_vram_page(vram, first + j),
				      bosh_slot_page(bo->slots[i]));
		cond_resched();
	}
	/* The system pages go back a chunk at a time, as they came. */
	for (i = 0; i < bo->npages; i += j) {
		struct page *page = bosh_slot_page(bo->slots[i]);

		j = 1UL << bosh_page_order(page);
		bosh_pages_free(page);
	}
	i = 0;
	list_for_each_entry(block, blocks, link) {
		unsigned long first = gpu_buddy_block_offset(block) >> PAGE_SHIFT;
		unsigned long n = gpu_buddy_block_size(&vram->mm, block) >> PAGE_SHIFT;

		for (j = 0; j < n; j++, i++)
			bo->slots[i] = bosh_slot_from_page(bosh_vram_page(vram, first + j));
	}
	list_splice_init(blocks, &bo->vram_blocks);
	WRITE_ONCE(bo->in_vram, true);
	/* No system page left for a backup to start from. */
	bo->backup_from = bo->npages;
	bosh_bo_resident_add(bo, -(long)bo->npages);
	bosh_stat_add(bdev, BOSH_STAT_VRAM_PAGES_USED, bo->npages);
}

/**
 * bosh_bo_never_populated() - has the BO never had a page
 * @bo: the BO, its resv held
 *
 * Return: true if no slot was ever populated (nothing resident, backed
 * up, in VRAM or purged): its first use may take VRAM directly.
 */
bool bosh_bo_never_populated(struct bosh_bo *bo)
{
	return !bo->nr_resident && !bo->nr_backed_up && !bo->in_vram && !bo->purged;
}

/**
 * bosh_bo_populate_vram_locked() - a never-populated BO's first pages, in VRAM
 * @bo: the BO, its resv held, bosh_bo_never_populated()
 * @blocks: VRAM for @bo->npages pages, from bosh_vram_alloc(); taken over
 *
 * Its first use takes VRAM without a page of system memory: the pages
 * are zeroed, as a new BO's always are (the carve-out holds other BOs'
 * old data).
 */
void bosh_bo_populate_vram_locked(struct bosh_bo *bo, struct list_head *blocks)
{
	struct bosh_device *bdev = bo->bdev;
	struct bosh_vram *vram = &bdev->vram;
	struct gpu_buddy_block *block;
	pgoff_t i = 0, j;

	dma_resv_assert_held(bo->base.resv);
	bosh_vram_lru_add(vram, &bo->vram_node.link);
	list_for_each_entry(block, blocks, link) {
		unsigned long first = gpu_buddy_block_offset(block) >> PAGE_SHIFT;
		unsigned long n = gpu_buddy_block_size(&vram->mm, block) >> PAGE_SHIFT;

		for (j = 0; j < n; j++, i++) {
			struct page *page = bosh_vram_page(vram, first + j);

			clear_highpage(page);
			bo->slots[i] = bosh_slot_from_page(page);
		}
		cond_resched();
	}
	list_splice_init(blocks, &bo->vram_blocks);
	WRITE_ONCE(bo->in_vram, true);
	bo->backup_from = bo->npages;
	bosh_stat_add(bdev, BOSH_STAT_VRAM_PAGES_USED, bo->npages);
	/* The BO's list follows its pages: none in system memory. */
	bosh_bo_resident_add(bo, 0);
}

/* Frees the system pages of @slots[0, @n) (chunks, as allocated). */
static void bosh_bo_free_chunks(unsigned long *slots, pgoff_t n)
{
	pgoff_t i, step;

	for (i = 0; i < n; i += step) {
		struct page *page = bosh_slot_page(slots[i]);

		step = 1UL << bosh_page_order(page);
		bosh_pages_free(page);
	}
}

/*
 * System pages for all of @bo, charged to its owner, in @slots: 0 or
 * -ENOMEM with nothing allocated.
 */
static int bosh_bo_alloc_system(struct bosh_bo *bo, unsigned long *slots)
{
	struct bosh_device *bdev = bo->bdev;
	struct mem_cgroup *old;
	pgoff_t i = 0, j;

	if (!bosh_may_grow(bdev, bo->npages))
		return -ENOMEM;
	old = bosh_group_charge_begin(bo->group);
	while (i < bo->npages) {
		pgoff_t run = min_t(pgoff_t, bo->npages - i, 1UL << BOSH_MAX_ORDER);
		struct page *page = bosh_pages_alloc(ilog2(run), false,
						     BOSH_BO_PAGE_GFP,
						     &bdev->faults.alloc);

		if (!page)
			break;
		for (j = 0; j < 1UL << bosh_page_order(page); j++)
			slots[i + j] = bosh_slot_from_page(page + j);
		i += j;
	}
	bosh_group_charge_end(old);
	if (i < bo->npages) {
		bosh_bo_free_chunks(slots, i);
		return -ENOMEM;
	}
	return 0;
}

/**
 * bosh_bo_evict_vram_locked() - move a BO out of VRAM
 * @bo: the BO, its resv held, in VRAM, unpinned, idle
 *
 * A DONTNEED BO is purged. Otherwise its content is copied into system
 * pages charged to its owner and admitted as a population would be;
 * mappings are zapped first. If those pages cannot be had (the owner's
 * memcg, the admission check, the fail_alloc or fail_vram_evict point),
 * the BO stays intact in VRAM and counts as pinned VRAM until it moves
 * or goes (debugfs ``vram`` shows it stuck).
 *
 * Return: 0 or -ENOMEM.
 */
int bosh_bo_evict_vram_locked(struct bosh_bo *bo)
{
	struct bosh_device *bdev = bo->bdev;
	struct bosh_shrunk purged = {};
	unsigned long *slots;
	pgoff_t i;
	int err;

	dma_resv_assert_held(bo->base.resv);
	if (bo->madv == BOSH_MADV_DONTNEED) {
		bosh_bo_shrink_locked(bo, BOSH_SHRINK_PURGE, bo->npages, GFP_KERNEL,
				      &purged);
		if (bo->purged) {
			bosh_stat_add(bdev, BOSH_STAT_VRAM_EVICTED_TOTAL, bo->npages);
			return 0;
		}
	}
	err = -ENOMEM;
	if (bosh_fault_fires(&bdev->vram.fail_evict, bo->base.size))
		goto err_stuck;
	slots = kvmalloc_array(bo->npages, sizeof(*slots), BOSH_CLIENT_GFP);
	if (!slots)
		goto err_stuck;
	err = bosh_bo_alloc_system(bo, slots);
	if (err) {
		kvfree(slots);
		goto err_stuck;
	}
	bosh_bo_zap_mappings(bo);
	for (i = 0; i < bo->npages; i++) {
		copy_highpage(bosh_slot_page(slots[i]), bosh_slot_page(bo->slots[i]));
		if (!(i & 511))
			cond_resched();
	}
	bosh_bo_vram_release(bo);
	memcpy(bo->slots, slots, bo->npages * sizeof(*slots));
	kvfree(slots);
	bo->backup_from = 0;
	bosh_bo_resident_add(bo, bo->npages);
	bosh_stat_add(bdev, BOSH_STAT_VRAM_EVICTED_TOTAL, bo->npages);
	return 0;

err_stuck:
	bosh_bo_vram_stick(bo);
	return err;
}
