// SPDX-License-Identifier: GPL-2.0-only
/*
 * Buffer objects: an array of page slots, populated lazily, backed up
 * into the device's store or purged by the shrinker, restored slot by
 * slot on use. The BO's dma_resv guards its slots and counts.
 */
#include <linux/dma-resv.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_vma_manager.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_budget.h"
#include "bosh_bo.h"
#include "bosh_bo_shmem.h"
#include "bosh_bo_vram.h"
#include "bosh_drv.h"
#include "bosh_prime.h"
#include "bosh_pages.h"
#include "bosh_slot.h"
#include "bosh_trace.h"

/*
 * The pages of an unpinned, live BO that the shrinker may take: resident
 * pages are purgeable (DONTNEED) or backupable; a DONTNEED BO's pages in
 * the store are purgeable too, since purging them gives back store memory
 * and swap. A pinned BO has no pages in the store.
 */
static void bosh_bo_class_add(struct bosh_bo *bo, long resident,
			      long backed_up)
{
	struct bosh_device *bdev = bo->bdev;
	struct bosh_group *g = bo->group;

	if (bo->pin_count || bo->purged)
		return;
	if (bo->madv == BOSH_MADV_DONTNEED) {
		bosh_stat_add(bdev, BOSH_STAT_PAGES_PURGEABLE, resident);
		bosh_stat_add(bdev, BOSH_STAT_PAGES_PURGEABLE_BACKED_UP, backed_up);
		atomic_long_add(resident, &g->purgeable);
		atomic_long_add(backed_up, &g->purgeable_backed_up);
	} else {
		bosh_stat_add(bdev, BOSH_STAT_PAGES_BACKUPABLE, resident);
		atomic_long_add(resident, &g->backupable);
	}
}

/**
 * bosh_bo_lru_list() - the list of its group a BO belongs on
 * @bo: the BO
 *
 * The one rule of what the shrinker may take (bosh_bo_may_shrink() adds
 * only the copies in flight): purge takes every unpinned DONTNEED BO,
 * populated or not, as the contract's debugfs purge promises (a purge
 * kills a never-populated one too, though it frees nothing); backup
 * takes the resident pages of unpinned WILLNEED BOs. Read without the
 * BO's lock by the scan to skip BOs cheaply; every walk checks it again
 * under the lock.
 *
 * Return: the list.
 */
enum bosh_lru_list bosh_bo_lru_list(struct bosh_bo *bo)
{
	if (READ_ONCE(bo->pin_count) || READ_ONCE(bo->purged))
		return BOSH_LRU_UNSHRINKABLE;
	if (READ_ONCE(bo->madv) == BOSH_MADV_DONTNEED)
		return BOSH_LRU_PURGEABLE;
	return READ_ONCE(bo->nr_resident) ? BOSH_LRU_BACKUPABLE :
					    BOSH_LRU_UNSHRINKABLE;
}

/* After a change of state, under the BO's resv: onto the list it belongs on. */
static void bosh_bo_relist(struct bosh_bo *bo)
{
	enum bosh_lru_list list = bosh_bo_lru_list(bo);

	if (bo->lru.list != list)
		bosh_lru_move(&bo->group->lru, &bo->lru, list);
}

/**
 * bosh_bo_resident_add() - count pages that became (or stopped being)
 *	resident in system memory
 * @bo: the BO, its resv held
 * @pages: pages added, negative when removed
 */
void bosh_bo_resident_add(struct bosh_bo *bo, long pages)
{
	bo->nr_resident += pages;
	bosh_stat_add(bo->bdev, BOSH_STAT_PAGES_RESIDENT, pages);
	bosh_bo_class_add(bo, pages, 0);
	bosh_bo_relist(bo);
}

static void bosh_bo_backed_up_add(struct bosh_bo *bo, long pages)
{
	bo->nr_backed_up += pages;
	bosh_stat_add(bo->bdev, BOSH_STAT_PAGES_BACKED_UP, pages);
	bosh_bo_class_add(bo, 0, pages);
}

/**
 * bosh_bo_zap_mappings() - unmap every user mapping of a BO's pages
 * @bo: the BO, its resv held
 */
void bosh_bo_zap_mappings(struct bosh_bo *bo)
{
	drm_vma_node_unmap(&bo->base.vma_node,
			   bo->base.dev->anon_inode->i_mapping);
}

/* Zaps the user mappings of slots [@first, @first + @count) only. */
static void bosh_bo_zap_range(struct bosh_bo *bo, pgoff_t first, pgoff_t count)
{
	struct drm_vma_offset_node *node = &bo->base.vma_node;

	if (drm_mm_node_allocated(&node->vm_node))
		unmap_mapping_range(bo->base.dev->anon_inode->i_mapping,
				    drm_vma_node_offset_addr(node) +
				    ((loff_t)first << PAGE_SHIFT),
				    (loff_t)count << PAGE_SHIFT, 1);
}

/* Slot @i may hold a resident page again: the next backup starts there. */
static void bosh_bo_backup_from(struct bosh_bo *bo, pgoff_t i)
{
	if (i < bo->backup_from)
		bo->backup_from = i;
}

/*
 * Frees every page and store entry, or a shmem-native BO's file content;
 * the caller accounts the counts. Returns the RAM pages given back.
 */
static long bosh_bo_release_slots(struct bosh_bo *bo)
{
	struct bosh_backup *store = bo->bdev->store;
	long ram = 0;
	pgoff_t i = 0;

	if (bo->shmem)
		return bosh_bo_shmem_truncate(bo);
	if (bo->in_vram) {
		memset(bo->slots, 0, bo->npages * sizeof(*bo->slots));
		bosh_bo_vram_release(bo);
		return 0;
	}
	while (i < bo->npages) {
		unsigned long slot = bo->slots[i];

		if (bosh_slot_is_page(slot)) {
			struct page *page = bosh_slot_page(slot);
			pgoff_t n = 1UL << bosh_page_order(page);

			bosh_pages_free(page);
			memset(&bo->slots[i], 0, n * sizeof(*bo->slots));
			ram += n;
			i += n;
		} else if (bosh_slot_is_backup(slot)) {
			pgoff_t first = bosh_slot_handle(slot), n = 1;

			/* Handles of neighbouring slots are contiguous. */
			while (i + n < bo->npages &&
			       bo->slots[i + n] == bosh_slot_from_handle(first + n))
				n++;
			bosh_backup_drop(store, first, n);
			memset(&bo->slots[i], 0, n * sizeof(*bo->slots));
			i += n;
		} else {
			i++;
		}
	}
	return ram;
}

static void bosh_bo_free(struct drm_gem_object *obj)
{
	struct bosh_bo *bo = to_bosh_bo(obj);
	struct bosh_device *bdev = bo->bdev;

	/* Pins are counted where the BO is: it does not move while pinned. */
	if (bo->pin_count)
		bosh_bo_pin_account(bo, -1);
	bosh_bo_resident_add(bo, -(long)bo->nr_resident);
	bosh_bo_backed_up_add(bo, -(long)bo->nr_backed_up);
	bosh_bo_release_slots(bo);
	if (bo->shmem)
		bosh_bo_shmem_fini(bo);
	bosh_lru_del(&bo->group->lru, &bo->lru);
	/* The group's counts are back to what they were before this BO. */
	bosh_group_put(bo->group);

	mutex_lock(&bdev->limits_lock);
	bdev->bytes_total -= obj->size;
	mutex_unlock(&bdev->limits_lock);

	bosh_stat_add(bdev, BOSH_STAT_BOS, -1);
	bosh_stat_add(bdev, BOSH_STAT_PAGES_TOTAL, -(long)bo->npages);

	drm_gem_free_mmap_offset(obj);
	drm_gem_object_release(obj);
	kvfree(bo->slots);
	kfree(bo);
	/* The last BO of an unplugged device frees its store and shrinker. */
	drm_dev_put(&bdev->drm);
}

static int bosh_bo_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	/* Copy-on-write of PFN mappings cannot work, as TTM says. */
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	return 0;
}

static enum drm_gem_object_status bosh_bo_status(struct drm_gem_object *obj)
{
	struct bosh_bo *bo = to_bosh_bo(obj);
	enum drm_gem_object_status s = 0;

	if (READ_ONCE(bo->nr_resident) || READ_ONCE(bo->in_vram))
		s |= DRM_GEM_OBJECT_RESIDENT;
	if (READ_ONCE(bo->madv) == BOSH_MADV_DONTNEED && !READ_ONCE(bo->pin_count))
		s |= DRM_GEM_OBJECT_PURGEABLE;
	return s;
}

static size_t bosh_bo_rss(struct drm_gem_object *obj)
{
	struct bosh_bo *bo = to_bosh_bo(obj);

	/* fdinfo counts a BO in VRAM in its own region. */
	if (READ_ONCE(bo->in_vram))
		return obj->size;
	return (size_t)READ_ONCE(bo->nr_resident) << PAGE_SHIFT;
}

static const struct vm_operations_struct bosh_bo_vm_ops;

static const struct drm_gem_object_funcs bosh_bo_funcs = {
	.free = bosh_bo_free,
	.mmap = bosh_bo_mmap,
	.status = bosh_bo_status,
	.rss = bosh_bo_rss,
	.export = bosh_bo_prime_export,
	.pin = bosh_bo_attach_pin,
	.unpin = bosh_bo_attach_unpin,
	.get_sg_table = bosh_bo_get_sg_table,
	.vm_ops = &bosh_bo_vm_ops,
};

static void bosh_bo_put_work(struct work_struct *work)
{
	drm_gem_object_put(&container_of(work, struct bosh_bo, put_work)->base);
}

/**
 * bosh_bo_put_deferred() - drop a reference taken in reclaim
 * @bo: the BO
 *
 * The final free takes sleeping locks and frees memory: it never runs
 * from reclaim, but from bosh's workqueue.
 */
void bosh_bo_put_deferred(struct bosh_bo *bo)
{
	if (refcount_dec_not_one(&bo->base.refcount.refcount))
		return;
	queue_work(bosh_wq, &bo->put_work);
}

/**
 * bosh_bo_create() - create a BO with no pages
 * @bdev: the device
 * @size: size in bytes, a page multiple, already checked against the caps
 * @placement: BOSH_PLACE_* (checked): where BO_VALIDATE puts it
 * @shmem: shmem-native (BOSH_BO_CREATE_SHMEM, checked), else the copy
 *	model
 *
 * The BO belongs to the calling process's memcg from now on: its
 * bookkeeping is charged there now, its pages as they are allocated.
 *
 * Return: the BO, with one reference, or an ERR_PTR().
 */
struct bosh_bo *bosh_bo_create(struct bosh_device *bdev, size_t size,
			       u32 placement, bool shmem)
{
	struct bosh_group *g;
	struct bosh_bo *bo;

	g = bosh_group_get_current(bdev);
	if (IS_ERR(g))
		return ERR_CAST(g);
	bo = kzalloc(sizeof(*bo), BOSH_CLIENT_GFP);
	if (!bo)
		goto err_group;
	bo->npages = size >> PAGE_SHIFT;
	bo->slots = kvcalloc(bo->npages, sizeof(*bo->slots), BOSH_CLIENT_GFP);
	if (!bo->slots) {
		kfree(bo);
		goto err_group;
	}
	bo->bdev = bdev;
	bo->group = g;
	bo->placement = placement;
	INIT_LIST_HEAD(&bo->shmem_link);
	if (shmem) {
		/* Charged, as the BO's bookkeeping, to the caller's memcg. */
		int err = bosh_bo_shmem_init(bo);

		if (err) {
			kvfree(bo->slots);
			kfree(bo);
			bosh_group_put(g);
			return ERR_PTR(err);
		}
	}
	INIT_LIST_HEAD(&bo->vram_blocks);
	INIT_LIST_HEAD(&bo->vram_node.link);
	INIT_LIST_HEAD(&bo->evict_link);
	drm_dev_get(&bdev->drm);
	bo->base.funcs = &bosh_bo_funcs;
	drm_gem_private_object_init(&bdev->drm, &bo->base, size);
	bo->store_base = bosh_backup_reserve(bdev->store, bo->npages);
	bo->id = atomic_inc_return(&bdev->next_bo_id);
	INIT_WORK(&bo->put_work, bosh_bo_put_work);

	bosh_stat_add(bdev, BOSH_STAT_BOS, 1);
	bosh_stat_add(bdev, BOSH_STAT_PAGES_TOTAL, bo->npages);

	bosh_lru_add(&g->lru, &bo->lru, bosh_bo_lru_list(bo));
	return bo;

err_group:
	bosh_group_put(g);
	return ERR_PTR(-ENOMEM);
}

/* Length of the run of empty slots at @i, at most @max. */
static pgoff_t bosh_bo_empty_run(struct bosh_bo *bo, pgoff_t i, pgoff_t max)
{
	pgoff_t n = 0;

	while (n < max && bosh_slot_is_empty(bo->slots[i + n]))
		n++;
	return n;
}

/*
 * A shmem-native BO's empty run at @i, up to @run pages, a page at a time
 * (the file's folios are small): returns the pages populated, or the
 * first one's error.
 */
static int bosh_bo_populate_shmem(struct bosh_bo *bo, pgoff_t i, pgoff_t run)
{
	struct mem_cgroup *old;
	pgoff_t n;

	struct page *page = NULL;

	old = bosh_group_charge_begin(bo->group);
	for (n = 0; n < run; n++) {
		page = bosh_bo_shmem_pin(bo, i + n);
		if (IS_ERR(page))
			break;
		bo->slots[i + n] = bosh_slot_from_page(page);
	}
	bosh_group_charge_end(old);
	if (!n)
		return PTR_ERR(page);
	bosh_bo_resident_add(bo, n);
	return n;
}

static int bosh_bo_populate_slot(struct bosh_bo *bo, pgoff_t i, pgoff_t end)
{
	pgoff_t run = bosh_bo_empty_run(bo, i, min_t(pgoff_t, end - i,
						     1UL << BOSH_MAX_ORDER));
	struct mem_cgroup *old;
	struct page *page;
	pgoff_t n, j;

	if (!bosh_may_grow(bo->bdev, run))
		return -ENOMEM;
	if (bo->shmem)
		return bosh_bo_populate_shmem(bo, i, run);
	old = bosh_group_charge_begin(bo->group);
	page = bosh_pages_alloc(ilog2(run), true, BOSH_BO_PAGE_GFP,
				&bo->bdev->faults.alloc);
	bosh_group_charge_end(old);
	if (!page)
		return -ENOMEM;
	n = 1UL << bosh_page_order(page);
	for (j = 0; j < n; j++)
		bo->slots[i + j] = bosh_slot_from_page(page + j);
	bosh_bo_resident_add(bo, n);
	bosh_bo_backup_from(bo, i);
	return n;
}

/*
 * The admission rule for a restore: memory-neutral when the backed-up
 * page is still in RAM (the store's copy, which the restore drops, or a
 * shmem-native BO's unpinned page, which it pins again); otherwise one
 * page more, as a new page is.
 */
static bool bosh_bo_may_restore(struct bosh_bo *bo, pgoff_t i)
{
	if (bo->shmem)
		return bosh_bo_shmem_in_ram(bo, i) || bosh_may_grow(bo->bdev, 1);
	return bosh_may_restore(bo->bdev, bosh_slot_handle(bo->slots[i]));
}

/* The copy model's restore of slot @i into a new page, or an ERR_PTR(). */
static struct page *bosh_bo_read_back(struct bosh_bo *bo, pgoff_t i)
{
	struct bosh_device *bdev = bo->bdev;
	struct page *page;
	int err;

	page = bosh_pages_alloc(0, false, BOSH_BO_PAGE_GFP, &bdev->faults.alloc);
	if (!page)
		return ERR_PTR(-ENOMEM);
	/* A swap-in allocates too: the client's failure, not the OOM killer. */
	err = bosh_backup_read(bdev->store, bosh_slot_handle(bo->slots[i]), page,
			       BOSH_CLIENT_GFP);
	if (err) {
		bosh_pages_free(page);
		return ERR_PTR(err);
	}
	return page;
}

static int bosh_bo_restore_slot(struct bosh_bo *bo, pgoff_t i,
				struct bosh_backup_drops *drops)
{
	struct bosh_device *bdev = bo->bdev;
	pgoff_t handle = bosh_slot_handle(bo->slots[i]);
	struct mem_cgroup *old;
	struct page *page;
	int err;

	if (!bosh_bo_may_restore(bo, i)) {
		err = -ENOMEM;
		goto out_err;
	}
	old = bosh_group_charge_begin(bo->group);
	page = bo->shmem ? bosh_bo_shmem_pin(bo, i) : bosh_bo_read_back(bo, i);
	bosh_group_charge_end(old);
	if (IS_ERR(page)) {
		err = PTR_ERR(page);
		goto out_err;
	}
#ifdef BOSH_TEST_HOOKS
	/* Negative control for the tests' verifier: flip one restored byte. */
	if (atomic_add_unless(&bdev->test_corrupt_restores, -1, 0)) {
		u8 *p = kmap_local_page(page);

		p[0] ^= 0xff;
		kunmap_local(p);
	}
#endif
	/* Install first, then drop the store copy: an error loses nothing. */
	bo->slots[i] = bosh_slot_from_page(page);
	bosh_bo_backup_from(bo, i);
	if (!bo->shmem)
		bosh_backup_drop_later(drops, handle);
	bosh_bo_backed_up_add(bo, -1);
	bosh_bo_resident_add(bo, 1);
	bosh_stat_add(bdev, BOSH_STAT_RESTORED_TOTAL, 1);
	trace_bosh_restore(bdev->id, bo->id, i, 0);
	return 1;

out_err:
	bosh_stat_add(bdev, BOSH_STAT_RESTORE_ERRORS_TOTAL, 1);
	trace_bosh_restore(bdev->id, bo->id, i, err);
	return err;
}

/*
 * Should an interruptible restore stop before its next restore? With a
 * signal pending, -ERESTARTSYS; when the fail_restore_intr point fires,
 * -EINTR (no signal is pending, so -ERESTARTSYS would leak to user
 * space). Either stop is counted once in restore_interrupted_total.
 * Returns 0 to go on.
 */
static int bosh_bo_restore_interrupted(struct bosh_bo *bo)
{
	struct bosh_device *bdev = bo->bdev;
	int ret;

	if (signal_pending(current))
		ret = -ERESTARTSYS;
	else if (bosh_fault_fires(&bdev->faults.restore_intr, PAGE_SIZE))
		ret = -EINTR;
	else
		return 0;
	bosh_stat_add(bdev, BOSH_STAT_RESTORE_INTERRUPTED_TOTAL, 1);
	return ret;
}

/*
 * Is a pending signal to wait for more restore progress? @after is the
 * local_clock() time from which an interruptible restore honours it (0:
 * at once).
 */
static bool bosh_bo_signal_deferred(u64 after)
{
	return after && signal_pending(current) && local_clock() < after;
}

/**
 * bosh_bo_restore_range() - populate or restore a range of slots
 * @bo: the BO, its resv held, not purged
 * @first: first slot
 * @count: number of slots
 * @interruptible: stop for a pending signal (ioctls), or not (faults)
 * @signal_after: local_clock() time before which a pending signal does
 *	not stop the call, or 0 (BO_RW's rule, see bosh_bo_rw())
 *
 * Goes slot by slot. An interruptible call stops before a restore, after
 * at least one page of progress, when a signal is pending (-ERESTARTSYS,
 * once @signal_after has passed) or the
 * fail_restore_intr point fires (-EINTR: no signal is pending, so
 * -ERESTARTSYS would leak to user space). Any call stops for a fatal
 * signal (-EINTR), progress or not: the task is dying and its allocations
 * must not dig further into memory. Pages restored so far stay
 * resident and the store keeps every page not yet installed.
 *
 * Return: 0 or a negative errno.
 */
static int bosh_bo_restore_range(struct bosh_bo *bo, pgoff_t first,
				 pgoff_t count, bool interruptible,
				 u64 signal_after)
{
	pgoff_t i = first, end = first + count;
	struct bosh_backup_drops drops;
	bool progress = false;
	int ret = 0;

	dma_resv_assert_held(bo->base.resv);

	/* Store entries of installed pages go in runs, before any return. */
	bosh_backup_drops_init(&drops, bo->bdev->store);
	while (i < end) {
		unsigned long slot = bo->slots[i];

		if (bosh_slot_is_page(slot)) {
			i++;
			continue;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		/* Only restores stop: populating a zeroed page is cheap. */
		if (interruptible && progress && bosh_slot_is_backup(slot) &&
		    !bosh_bo_signal_deferred(signal_after)) {
			ret = bosh_bo_restore_interrupted(bo);
			if (ret)
				break;
		}
		if (bosh_slot_is_empty(slot))
			ret = bosh_bo_populate_slot(bo, i, end);
		else
			ret = bosh_bo_restore_slot(bo, i, &drops);
		if (ret < 0)
			break;
		i += ret;
		ret = 0;
		progress = true;
		cond_resched();
	}
	bosh_backup_drops_flush(&drops);
	return ret;
}

/**
 * bosh_bo_make_resident() - populate or restore a range of slots
 * @bo: the BO, its resv held, not purged
 * @first: first slot
 * @count: number of slots
 * @interruptible: stop for a pending signal (ioctls), or not (faults)
 *
 * As bosh_bo_restore_range(), a pending signal honoured at once.
 *
 * Return: 0 or a negative errno.
 */
int bosh_bo_make_resident(struct bosh_bo *bo, pgoff_t first, pgoff_t count,
			  bool interruptible)
{
	return bosh_bo_restore_range(bo, first, count, interruptible, 0);
}

/*
 * BO_RW's hold on the device and the BO, taken for each step: a signal
 * while waiting for the lock restarts the call, with what was done kept.
 */
static int bosh_bo_rw_lock(struct bosh_bo *bo, int *idx)
{
	/* The wait is outside the unplug section: it would hold up unplug. */
	if (dma_resv_lock_interruptible(bo->base.resv, NULL))
		return -ERESTARTSYS;
	if (!drm_dev_enter(&bo->bdev->drm, idx)) {
		dma_resv_unlock(bo->base.resv);
		return -ENODEV;
	}
	return 0;
}

/*
 * Slots a restore runs inside one drm_dev_enter() section: unplug waits
 * for every section on the machine (drm_unplug_srcu is global), so no
 * section lasts a whole restore of a large BO.
 */
#define BOSH_RESTORE_CHUNK	512

/*
 * bosh_bo_restore_range() over [@first, @first + @count), one chunk per
 * drm_dev_enter() section and lock hold. Pages restored by earlier
 * chunks may be taken again meanwhile, as after any unlock.
 */
static int bosh_bo_restore_chunked(struct bosh_bo *bo, pgoff_t first,
				   pgoff_t count, u64 signal_after)
{
	pgoff_t end = first + count;
	int ret = 0, idx;

	while (first < end && !ret) {
		pgoff_t n = min_t(pgoff_t, end - first, BOSH_RESTORE_CHUNK);

		ret = bosh_bo_rw_lock(bo, &idx);
		if (ret)
			return ret;
		ret = bo->purged ? -ENODATA :
		      bosh_bo_restore_range(bo, first, n, true, signal_after);
		dma_resv_unlock(bo->base.resv);
		drm_dev_exit(idx);
		first += n;
	}
	return ret;
}

/**
 * bosh_bo_validate() - make a whole BO resident, as BO_VALIDATE does
 * @bo: the BO, referenced, its resv not held
 *
 * Interruptible as bosh_bo_make_resident(), a chunk at a time: each
 * chunk restores at least one page before a signal stops it.
 *
 * Return: 0 or a negative errno (-ENODATA once purged, -ENODEV once
 * unplugged).
 */
int bosh_bo_validate(struct bosh_bo *bo)
{
	int ret = bosh_bo_restore_chunked(bo, 0, bo->npages, 0);

	if (!ret)
		bosh_bo_touch(bo);
	return ret;
}

/*
 * BO_RW's step on a page in VRAM, entered with the BO locked in section
 * @idx. An unlocked copy like a system page's (held by @bo->users) would
 * let an eviction free the VRAM page under it, and another BO have it:
 * a copy into VRAM goes through a bounce page instead, the VRAM side of
 * it under the lock. A write takes the user bytes first, unlocked, then
 * stores them into slot @i wherever the BO is by then.
 */
static int bosh_bo_rw_vram_page(struct bosh_bo *bo, int idx, bool write,
				u64 *offset, u64 *size, void __user **data)
{
	pgoff_t i = *offset >> PAGE_SHIFT;
	size_t off = offset_in_page(*offset);
	size_t len = min_t(u64, *size, PAGE_SIZE - off);
	void *bounce = kmalloc(PAGE_SIZE, BOSH_CLIENT_GFP);
	int ret = 0;

	if (!bounce)
		ret = -ENOMEM;
	else if (!write)
		memcpy_from_page(bounce, bosh_slot_page(bo->slots[i]), off, len);
	dma_resv_unlock(bo->base.resv);
	drm_dev_exit(idx);
	if (ret)
		return ret;
	if (!write) {
		ret = copy_to_user(*data, bounce, len) ? -EFAULT : 0;
		goto out;
	}
	if (copy_from_user(bounce, *data, len)) {
		ret = -EFAULT;
		goto out;
	}
	ret = bosh_bo_rw_lock(bo, &idx);
	if (ret)
		goto out;
	ret = bo->purged ? -ENODATA : bosh_bo_make_resident(bo, i, 1, false);
	if (!ret)
		memcpy_to_page(bosh_slot_page(bo->slots[i]), off, bounce, len);
	dma_resv_unlock(bo->base.resv);
	drm_dev_exit(idx);
out:
	kfree(bounce);
	if (!ret) {
		*offset += len;
		*data += len;
		*size -= len;
	}
	return ret;
}

/**
 * bosh_bo_rw() - copy between a BO and user memory
 * @bo: the BO, referenced, its resv not held
 * @write: copy from user memory into the BO
 * @offset: byte offset, range already checked
 * @size: bytes
 * @data: user buffer
 *
 * Nothing is copied to or from user memory under the resv (the kernel
 * orders mmap_lock before dma_resv): each page is made resident under
 * the lock, then held by @bo->users, which keeps the shrinker away,
 * while the copy runs unlocked. The user range is faulted in first, so a
 * bad pointer fails with -EFAULT before the BO changes.
 *
 * Return: 0 or a negative errno; an interrupted call may be repeated.
 */
int bosh_bo_rw(struct bosh_bo *bo, bool write, u64 offset, u64 size,
	       void __user *data)
{
	u64 check_ns = local_clock(), signal_after;
	bool progress = false;
	int ret, idx;

	if (!bosh_user_range_ok(write, data, size))
		return -EFAULT;
	/* Bad arguments first, then state: even an empty copy sees a purge. */
	if (READ_ONCE(bo->purged))
		return -ENODATA;
	if (!size)
		return 0;

	/*
	 * Restore the whole range first, keeping progress: a call restarted
	 * after a signal then skips the pages already resident instead of
	 * copying them again. The loop below still handles pages evicted
	 * meanwhile.
	 *
	 * But every attempt, restarted or retried on EINTR, first pays again
	 * for checking and faulting in the whole user range. Had a signal
	 * stopped the restore at once, a timer signal that comes faster than
	 * that check would leave about one page of progress per attempt, and
	 * the call quadratic in the range. So a signal stops an attempt only
	 * once it has restored for as long as its check took: each attempt
	 * buys at least as much progress as it spent on its check, the
	 * checks of all attempts together cost about the restores at most,
	 * and a signal waits at most one check's time longer. Fatal signals
	 * still stop it at once.
	 */
	check_ns = local_clock() - check_ns;
	signal_after = local_clock() + check_ns;
	ret = bosh_bo_restore_chunked(bo, offset >> PAGE_SHIFT,
				      ((offset + size - 1) >> PAGE_SHIFT) -
				      (offset >> PAGE_SHIFT) + 1, signal_after);
	if (ret)
		return ret;

	while (size) {
		pgoff_t i = offset >> PAGE_SHIFT;
		struct page *page;

		ret = bosh_bo_rw_lock(bo, &idx);
		if (ret)
			return ret;
		ret = bo->purged ? -ENODATA : 0;
		if (!ret && progress && bosh_slot_is_backup(bo->slots[i]) &&
		    !bosh_bo_signal_deferred(signal_after))
			ret = bosh_bo_restore_interrupted(bo);
		if (!ret)
			ret = bosh_bo_make_resident(bo, i, 1, false);
		if (ret) {
			dma_resv_unlock(bo->base.resv);
			drm_dev_exit(idx);
			return ret;
		}
		if (bo->in_vram) {
			/* Unlocks the BO and leaves the section. */
			ret = bosh_bo_rw_vram_page(bo, idx, write, &offset, &size,
						   &data);
			if (ret)
				return ret;
			progress = true;
			continue;
		}
		page = bosh_slot_page(bo->slots[i]);
		atomic_inc(&bo->users);
		dma_resv_unlock(bo->base.resv);
		/* No user copy inside the unplug section: it could block unbind. */
		drm_dev_exit(idx);

		ret = bosh_copy_page_user(page, write, &offset, &size, &data);
		/*
		 * Release: the copy's stores to the page are visible before
		 * the count drops, so a shrinker that reads 0 (with acquire)
		 * backs up what was written, even on a weakly ordered CPU.
		 */
		atomic_dec_return_release(&bo->users);
		if (ret)
			return ret;
		progress = true;
	}
	bosh_bo_touch(bo);
	return 0;
}

/**
 * bosh_bo_is_idle() - no unsignalled fence on the BO
 * @bo: the BO
 *
 * Return: true when the BO may be shrunk.
 */
bool bosh_bo_is_idle(struct bosh_bo *bo)
{
	return dma_resv_test_signaled(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP);
}

/*
 * Takes resident pages and backed-up ones (the store's copies, or a
 * shmem-native BO's unpinned pages): all of them are released.
 */
static void bosh_bo_purge_locked(struct bosh_bo *bo, struct bosh_shrunk *s)
{
	struct bosh_device *bdev = bo->bdev;
	long resident = bo->nr_resident, backed_up = bo->nr_backed_up;

	bosh_bo_zap_mappings(bo);
	bosh_bo_resident_add(bo, -resident);
	bosh_bo_backed_up_add(bo, -backed_up);
	s->ram += bosh_bo_release_slots(bo);
	WRITE_ONCE(bo->purged, true);
	bosh_bo_relist(bo);
	bosh_stat_add(bdev, BOSH_STAT_PURGED_TOTAL, resident + backed_up);
	trace_bosh_purge(bdev->id, bo->id, resident + backed_up);
	s->taken += resident + backed_up;
	s->freed += resident + backed_up;
}

/* Back up one chunk; on a partial failure split it and keep the rest. */
static long bosh_bo_backup_chunk(struct bosh_bo *bo,
				 struct bosh_backup_batch *batch, pgoff_t i,
				 gfp_t gfp, int *err)
{
	struct bosh_device *bdev = bo->bdev;
	struct page *page = bosh_slot_page(bo->slots[i]);
	pgoff_t n = 1UL << bosh_page_order(page), j;
	int ret = 0;

	for (j = 0; j < n; j++) {
		ret = bosh_backup_copy(batch, bo->store_base + i + j, page + j,
				       gfp);
		if (ret)
			break;
	}
	if (j < n) {
		*err = ret;
		bosh_stat_add(bdev, BOSH_STAT_BACKUP_ERRORS_TOTAL, 1);
		if (!j)
			return 0;
		bosh_pages_split(page);
		n = j;
		for (j = 0; j < n; j++) {
			bo->slots[i + j] = bosh_slot_from_handle(bo->store_base + i + j);
			bosh_pages_free(page + j);
		}
		return n;
	}
	for (j = 0; j < n; j++)
		bo->slots[i + j] = bosh_slot_from_handle(bo->store_base + i + j);
	bosh_pages_free(page);
	return n;
}

/* Slots whose mappings a backup zaps at once, at most. */
#define BOSH_ZAP_BATCH	512

/*
 * Backs up resident pages from @bo->backup_from on, a chunk at a time.
 * Mappings are zapped before the chunks they cover are copied, in
 * batches of what the call still asks for (at least the chunk, at most
 * BOSH_ZAP_BATCH slots): a call that asks for a few pages visits and
 * zaps about that many (plus one chunk), whatever the BO's size and
 * whatever earlier calls backed up, and an evict of a BO made of single
 * pages does not pay one unmap_mapping_range() per page.
 */
static long bosh_bo_copy_out_locked(struct bosh_bo *bo, long nr_to_take,
				    gfp_t gfp, bool writeback, int *errp)
{
	struct bosh_device *bdev = bo->bdev;
	pgoff_t first = bo->backup_from, i = first, zapped = 0, zap_end = first;
	struct bosh_backup_batch batch;
	struct mem_cgroup *old;
	unsigned long written;
	long taken = 0;
	int err = 0;

	/* The store pages are the owner's, whoever runs the backup. */
	old = bosh_group_charge_begin(bo->group);
	bosh_backup_start(&batch, bdev->store, writeback);
	while (i < bo->npages && taken < nr_to_take) {
		pgoff_t chunk;
		long n;

		if (!bosh_slot_is_page(bo->slots[i])) {
			i++;
			continue;
		}
		chunk = 1UL << bosh_page_order(bosh_slot_page(bo->slots[i]));
		if (i + chunk > zap_end) {
			pgoff_t from = max(i, zap_end);
			pgoff_t want = min_t(long, nr_to_take - taken, BOSH_ZAP_BATCH);

			zap_end = min(bo->npages, max(i + chunk, i + want));
			bosh_bo_zap_range(bo, from, zap_end - from);
			zapped += zap_end - from;
		}
		n = bosh_bo_backup_chunk(bo, &batch, i, gfp, &err);
		taken += n;
		i += n;
		if (err)
			break;
		/* An evict of a large BO must not trip the soft-lockup detector. */
		cond_resched();
	}
	/* Every slot in [first, i) is now backed up or not populated. */
	bo->backup_from = i;
	written = bosh_backup_finish(&batch);
	bosh_group_charge_end(old);
	bosh_bo_resident_add(bo, -taken);
	bosh_bo_backed_up_add(bo, taken);
	bosh_stat_add(bdev, BOSH_STAT_BACKED_UP_TOTAL, taken);
	bosh_stat_add(bdev, BOSH_STAT_WRITTEN_BACK_TOTAL, written);
	bosh_stat_add(bdev, BOSH_STAT_BACKUP_VISITED_TOTAL, i - first);
	bosh_stat_add(bdev, BOSH_STAT_BACKUP_ZAPPED_TOTAL, zapped);
	trace_bosh_backup(bdev->id, bo->id, taken, written, err, first,
			  i - first, zapped);
	*errp = err;
	return taken;
}

/*
 * A shmem-native BO lets go of all its pages at once (the unevictable
 * mark is the file's): however few pages the call asks for, the whole
 * BO is zapped and unpinned. Nothing is copied, so nothing fails.
 */
static long bosh_bo_unpin_all_locked(struct bosh_bo *bo, bool writeback)
{
	struct bosh_device *bdev = bo->bdev;
	long resident = bo->nr_resident, taken;
	unsigned long written;

	bosh_bo_zap_mappings(bo);
	taken = bosh_bo_shmem_unpin_locked(bo, writeback, &written);
	bo->backup_from = bo->npages;
	bosh_bo_resident_add(bo, -taken);
	bosh_bo_backed_up_add(bo, taken);
	bosh_stat_add(bdev, BOSH_STAT_BACKED_UP_TOTAL, taken);
	bosh_stat_add(bdev, BOSH_STAT_WRITTEN_BACK_TOTAL, written);
	bosh_stat_add(bdev, BOSH_STAT_BACKUP_VISITED_TOTAL, bo->npages);
	bosh_stat_add(bdev, BOSH_STAT_BACKUP_ZAPPED_TOTAL, bo->npages);
	trace_bosh_backup(bdev->id, bo->id, taken, written, 0, 0, bo->npages,
			  bo->npages);
	WARN_ON_ONCE(taken != resident);
	return taken;
}

/**
 * bosh_bo_may_shrink() - may a pass of @mode take anything from @bo
 * @bo: the BO
 * @mode: the pass
 *
 * The BO is on the pass's list (bosh_bo_lru_list()) and no BO_RW copy is
 * in flight (counted in skipped_in_use_total when one is).
 *
 * Return: true if the pass may take pages from @bo.
 */
bool bosh_bo_may_shrink(struct bosh_bo *bo, enum bosh_shrink_mode mode)
{
	/* Pairs with the release in bosh_bo_rw(): the copy has landed. */
	if (atomic_read_acquire(&bo->users)) {
		bosh_stat_add(bo->bdev, BOSH_STAT_SKIPPED_IN_USE_TOTAL, 1);
		return false;
	}
	return bosh_bo_lru_list(bo) == bosh_pass_list(mode);
}

/**
 * bosh_bo_shrink_locked() - purge or back up part of an idle BO
 * @bo: the BO, its resv held, idle
 * @mode: purge (DONTNEED BOs only) or back up (WILLNEED BOs only)
 * @nr_to_take: pages wanted; a whole chunk may overshoot, and a
 *	shmem-native BO is backed up whole
 * @gfp: allocation flags for the store
 * @s: what the call did is added here; @s->err is set to the backup
 *	error that stopped the walk, or 0
 *
 * Mappings are zapped before any page is copied, unpinned or freed. A
 * backup error stops the walk; the pages backed up so far stay backed
 * up. A copy-model backup frees the pages it copied; a shmem-native one
 * only unpins them, which frees nothing (@s->freed does not grow).
 *
 * Return: pages taken from the BO: purged, moved into the store or
 * unpinned.
 */
long bosh_bo_shrink_locked(struct bosh_bo *bo, enum bosh_shrink_mode mode,
			   long nr_to_take, gfp_t gfp, struct bosh_shrunk *s)
{
	long taken = s->taken, n;

	dma_resv_assert_held(bo->base.resv);
	s->err = 0;

	if (!bosh_bo_may_shrink(bo, mode))
		return 0;
	if (mode == BOSH_SHRINK_PURGE) {
		bosh_bo_purge_locked(bo, s);
		return s->taken - taken;
	}
	if (bo->shmem) {
		n = bosh_bo_unpin_all_locked(bo, mode == BOSH_SHRINK_WRITEBACK);
	} else {
		n = bosh_bo_copy_out_locked(bo, nr_to_take, gfp,
					    mode == BOSH_SHRINK_WRITEBACK, &s->err);
		s->freed += n;
	}
	s->taken += n;
	return n;
}

/**
 * bosh_bo_set_madv_locked() - change a BO's madvise state
 * @bo: the BO, its resv held, not purged
 * @madv: BOSH_MADV_*
 */
void bosh_bo_set_madv_locked(struct bosh_bo *bo, unsigned int madv)
{
	dma_resv_assert_held(bo->base.resv);
	bosh_bo_class_add(bo, -(long)bo->nr_resident, -(long)bo->nr_backed_up);
	WRITE_ONCE(bo->madv, madv);
	bosh_bo_class_add(bo, bo->nr_resident, bo->nr_backed_up);
	bosh_bo_relist(bo);
}

/*
 * Would a first pin of @bo go over its tier's cap: ``max_vram_pinned_mb``
 * for a BO in VRAM, ``max_pinned_mb`` for one in system memory?
 */
static bool bosh_pin_over_cap(struct bosh_bo *bo)
{
	struct bosh_device *bdev = bo->bdev;

	if (READ_ONCE(bo->in_vram))
		return atomic_long_read(&bdev->vram.user_pinned) + (long)bo->npages >
		       (long)READ_ONCE(bdev->max_vram_pinned_mb) << (20 - PAGE_SHIFT);
	return bosh_stat_read(bdev, BOSH_STAT_PAGES_PINNED) + (long)bo->npages >
	       (long)READ_ONCE(bdev->max_pinned_mb) << (20 - PAGE_SHIFT);
}

/**
 * bosh_bo_pin_account() - count a pinned BO's pages in its tier, or not
 * @bo: the BO, its resv held (or being freed), pinned
 * @sign: 1 to count them, -1 to stop
 *
 * A pinned BO never moves, so its pages leave the count of the tier they
 * entered.
 */
void bosh_bo_pin_account(struct bosh_bo *bo, int sign)
{
	long pages = sign * (long)bo->npages;

	if (bo->in_vram)
		atomic_long_add(pages, &bo->bdev->vram.user_pinned);
	else
		bosh_stat_add(bo->bdev, BOSH_STAT_PAGES_PINNED, pages);
}

/**
 * bosh_bo_pin_locked() - make a BO resident and keep it so
 * @bo: the BO, its resv held
 * @interruptible: the restore may stop for a signal, as an ioctl's does
 *
 * A first pin reserves the BO's pages against the cap of the tier it is
 * in (``max_vram_pinned_mb`` in VRAM, where it stays, ``max_pinned_mb``
 * in system memory) before it restores anything. The count is bounded
 * by %BOSH_PIN_MAX, so it can never wrap to 0 and let the shrinker take
 * pages an importer still uses.
 *
 * Return: 0, -ENODATA (purged), -EOVERFLOW (%BOSH_PIN_MAX pins already),
 * -ENOSPC (over the cap) or an error of bosh_bo_make_resident(); on error
 * the BO's pin state is unchanged.
 */
int bosh_bo_pin_locked(struct bosh_bo *bo, bool interruptible)
{
	struct bosh_device *bdev = bo->bdev;
	int ret = 0;

	dma_resv_assert_held(bo->base.resv);
	if (bo->purged)
		return -ENODATA;
	if (bo->pin_count >= BOSH_PIN_MAX)
		return -EOVERFLOW;
	if (!bo->pin_count) {
		mutex_lock(&bdev->limits_lock);
		if (bosh_pin_over_cap(bo))
			ret = -ENOSPC;
		else
			bosh_bo_pin_account(bo, 1);
		mutex_unlock(&bdev->limits_lock);
		if (ret)
			return ret;
	}
	ret = bosh_bo_make_resident(bo, 0, bo->npages, interruptible);
	if (ret) {
		if (!bo->pin_count)
			bosh_bo_pin_account(bo, -1);
		return ret;
	}
	if (!bo->pin_count)
		bosh_bo_class_add(bo, -(long)bo->nr_resident, 0);
	WRITE_ONCE(bo->pin_count, bo->pin_count + 1);
	bosh_bo_relist(bo);
	bosh_bo_touch(bo);
	return 0;
}

/**
 * bosh_bo_pin_prepare() - restore a BO about to be pinned, outside the pin
 * @bo: the BO, referenced, its resv not held
 *
 * As bosh_bo_validate(), unless a first pin would be refused by the
 * ``max_pinned_mb`` cap anyway: a refused pin leaves the BO as it was.
 *
 * Return: 0 or an error of bosh_bo_validate().
 */
int bosh_bo_pin_prepare(struct bosh_bo *bo)
{
	if (!READ_ONCE(bo->pin_count) && bosh_pin_over_cap(bo))
		return 0;
	return bosh_bo_validate(bo);
}

/**
 * bosh_bo_unpin_locked() - drop a pin
 * @bo: the BO, its resv held, pinned
 */
void bosh_bo_unpin_locked(struct bosh_bo *bo)
{
	dma_resv_assert_held(bo->base.resv);
	WRITE_ONCE(bo->pin_count, bo->pin_count - 1);
	if (!bo->pin_count) {
		bosh_bo_pin_account(bo, -1);
		bosh_bo_class_add(bo, bo->nr_resident, 0);
		bosh_bo_relist(bo);
	}
}

/*
 * The BO's lock for a fault. mmap_lock is held, and a restore under the
 * lock may take seconds: waiting for it there would stall every mmap(),
 * munmap() and fault of the process. So, as TTM's ttm_bo_vm_reserve()
 * does, a first attempt that may retry waits for the lock with mmap_lock
 * dropped and has the fault retried; only a retried fault waits with it
 * held. Returns 0 with the lock held, or what the fault returns: a
 * signal while waiting refaults, a fatal one is SIGBUS.
 */
static vm_fault_t bosh_bo_fault_lock(struct vm_fault *vmf, struct bosh_bo *bo)
{
	struct dma_resv *resv = bo->base.resv;

	if (dma_resv_trylock(resv))
		return 0;
	if (fault_flag_allow_retry_first(vmf->flags)) {
		if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
			/* The mapping's reference may go with mmap_lock. */
			drm_gem_object_get(&bo->base);
			release_fault_lock(vmf);
			if (!dma_resv_lock_interruptible(resv, NULL))
				dma_resv_unlock(resv);
			drm_gem_object_put(&bo->base);
		}
		return VM_FAULT_RETRY;
	}
	if (dma_resv_lock_interruptible(resv, NULL))
		return fatal_signal_pending(current) ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
	return 0;
}

/*
 * A fault's first use of a BO whose placement has VRAM takes free VRAM
 * for the whole BO, never evicting: an eviction waits for other
 * clients' locks and fences, under mmap_lock. Without free VRAM the
 * fault populates system pages, as for any BO.
 */
static void bosh_bo_fault_first_use(struct bosh_bo *bo)
{
	LIST_HEAD(blocks);

	if (!(bo->placement & BOSH_PLACE_VRAM) || !bosh_bo_never_populated(bo) ||
	    !bosh_vram_present(&bo->bdev->vram))
		return;
	if (!bosh_vram_alloc(&bo->bdev->vram, bo->npages, &blocks))
		bosh_bo_populate_vram_locked(bo, &blocks);
}

static vm_fault_t bosh_bo_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct bosh_bo *bo = to_bosh_bo(vma->vm_private_data);
	pgoff_t i = ((vmf->address - vma->vm_start) >> PAGE_SHIFT) +
		    vma->vm_pgoff - drm_vma_node_start(&bo->base.vma_node);
	vm_fault_t ret;
	int idx;

	if (i >= bo->npages)
		return VM_FAULT_SIGBUS;
	/* Waiting for the lock is outside the unplug section: it holds up unbind. */
	ret = bosh_bo_fault_lock(vmf, bo);
	if (ret)
		return ret;
	/*
	 * After unplug nothing may be mapped again: drm_dev_unplug() waits
	 * for faults inside this section, then zaps every mapping.
	 */
	if (!drm_dev_enter(&bo->bdev->drm, &idx)) {
		dma_resv_unlock(bo->base.resv);
		return VM_FAULT_SIGBUS;
	}
	bosh_bo_fault_first_use(bo);
	if (bo->purged || bosh_bo_make_resident(bo, i, 1, false))
		ret = VM_FAULT_SIGBUS;
	else
		ret = vmf_insert_pfn(vma, vmf->address,
				     page_to_pfn(bosh_slot_page(bo->slots[i])));
	/*
	 * A page-table allocation failure: VM_FAULT_OOM would send the OOM
	 * killer after someone else on this client's behalf.
	 */
	if (ret & VM_FAULT_OOM)
		ret = VM_FAULT_SIGBUS;
	drm_dev_exit(idx);
	dma_resv_unlock(bo->base.resv);
	if (!(ret & VM_FAULT_ERROR))
		bosh_bo_touch(bo);
	return ret;
}

static const struct vm_operations_struct bosh_bo_vm_ops = {
	.fault = bosh_bo_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};
