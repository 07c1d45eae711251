// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shmem-native BOs (BOSH_BO_CREATE_SHMEM), the model of drm_gem_shmem,
 * i915 and msm beside the copy model's store: a BO's pages are the
 * folios of its own shmem file. A slot holds a pinned page (one folio
 * reference per slot) or, once the BO let go of it, its own index in the
 * file, tagged as a backup handle: the page is then the mm's, in RAM or
 * in swap. So a backup copies nothing and allocates nothing: it marks the
 * pages dirty (writes through the PFN mappings never did), drops the
 * references and lets reclaim have them, and with writeback on hands
 * them to swap at once as i915 does. A restore is a shmem lookup, and a
 * swap-in when the mm took the page; a purge truncates the file.
 *
 * While the BO pins any page its file is unevictable: reclaim would only
 * scan pinned folios it cannot free. The mark is per mapping, so a
 * backup lets go of the whole BO at once, never of part of it.
 */
#include <linux/blkdev.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/shmem_fs.h>
#include <linux/swap.h>

#include "bosh_bo_shmem.h"
#include "bosh_slot.h"

/*
 * What the file's pages are allocated with: failing rather than calling
 * the OOM killer, without a warning any client could provoke, as BO
 * pages are (BOSH_BO_PAGE_GFP, without __GFP_ACCOUNT: shmem charges its
 * folios itself, to the active memcg). Not __GFP_NORETRY, which would
 * fail the mm's own swap-ins of the file (swapoff) where other shmem
 * comes back. Not movable: a pinned page is held for as long as the BO
 * is in use, and would block compaction where movable pages go.
 */
#define BOSH_SHMEM_GFP	(GFP_HIGHUSER | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

static struct address_space *bosh_bo_mapping(struct bosh_bo *bo)
{
	return bo->shmem->f_mapping;
}

/**
 * bosh_bo_shmem_init() - give a new shmem-native BO its file
 * @bo: the BO, not yet visible to anyone
 *
 * On the store's private mount (small folios), sized to the BO and
 * created VM_NORESERVE: pages are accounted as they are allocated.
 *
 * Return: 0 or a negative errno.
 */
int bosh_bo_shmem_init(struct bosh_bo *bo)
{
	struct bosh_device *bdev = bo->bdev;
	struct vfsmount *mnt = bdev->store->mnt;
	loff_t size = (loff_t)bo->npages << PAGE_SHIFT;
	struct file *file;

	file = mnt ? shmem_file_setup_with_mnt(mnt, "bosh-bo", size, VM_NORESERVE) :
		     shmem_file_setup("bosh-bo", size, VM_NORESERVE);
	/*
	 * shmem reports a failed inode allocation as -ENOSPC; a kernel
	 * mount has no inode or block limit, so that is all it can mean,
	 * and ENOSPC is the uAPI's word for the device's cap.
	 */
	if (IS_ERR(file))
		return PTR_ERR(file) == -ENOSPC ? -ENOMEM : PTR_ERR(file);
	mapping_set_gfp_mask(file->f_mapping, BOSH_SHMEM_GFP);
	bo->shmem = file;
	spin_lock(&bdev->shmem_lock);
	list_add_tail(&bo->shmem_link, &bdev->shmem_bos);
	spin_unlock(&bdev->shmem_lock);
	return 0;
}

/*
 * Drops the pin of every slot without dirtying anything and empties the
 * slots; the caller truncates what the pages held.
 */
static void bosh_bo_shmem_drop_pins(struct bosh_bo *bo)
{
	pgoff_t i;

	for (i = 0; i < bo->npages; i++) {
		if (bosh_slot_is_page(bo->slots[i]))
			folio_put(page_folio(bosh_slot_page(bo->slots[i])));
		bo->slots[i] = BOSH_SLOT_EMPTY;
	}
}

/**
 * bosh_bo_shmem_truncate() - free a shmem-native BO's content
 * @bo: the BO, its resv held (or being freed)
 *
 * Pinned and unpinned pages, in RAM or in swap. The caller accounts the
 * counts.
 *
 * Return: the pages of RAM the file held and gave back.
 */
long bosh_bo_shmem_truncate(struct bosh_bo *bo)
{
	struct address_space *mapping = bosh_bo_mapping(bo);
	long before;

	bosh_bo_shmem_drop_pins(bo);
	mapping_clear_unevictable(mapping);
	before = READ_ONCE(mapping->nrpages);
	shmem_truncate_range(file_inode(bo->shmem), 0, (loff_t)-1);
	return max(before - (long)READ_ONCE(mapping->nrpages), 0L);
}

/**
 * bosh_bo_shmem_fini() - free a shmem-native BO's file
 * @bo: the BO, being freed
 *
 * The truncation frees the pages now rather than when the last file
 * reference goes, which from a workqueue is later.
 */
void bosh_bo_shmem_fini(struct bosh_bo *bo)
{
	struct bosh_device *bdev = bo->bdev;

	bosh_bo_shmem_truncate(bo);
	spin_lock(&bdev->shmem_lock);
	list_del(&bo->shmem_link);
	spin_unlock(&bdev->shmem_lock);
	fput(bo->shmem);
}

/**
 * bosh_bo_shmem_pin() - pin the page at slot @i, allocating or reading it
 * @bo: the BO, its resv held; slot @i empty (populate) or unpinned
 *	(restore)
 * @i: the slot
 *
 * A new page comes zeroed. An unpinned page still in RAM is pinned as it
 * is; one in swap is read back, charged to the memcg its swap entry
 * records. The fault points are the copy model's: fail_restore fails a
 * restore, fail_alloc whatever allocates a page (a populate, or a
 * restore of a page no longer in the file's page cache, which swaps it
 * in). The caller holds the owner's charge scope.
 *
 * Return: the page, with one folio reference for the slot, or an
 * ERR_PTR(); the slot is unchanged.
 */
struct page *bosh_bo_shmem_pin(struct bosh_bo *bo, pgoff_t i)
{
	struct address_space *mapping = bosh_bo_mapping(bo);
	struct bosh_device *bdev = bo->bdev;
	bool restore = bosh_slot_is_backup(bo->slots[i]);
	struct folio *folio;
	struct page *page;

	if (restore && bosh_fault_fires(&bdev->store->faults.read, PAGE_SIZE))
		return ERR_PTR(-EIO);
	if ((!restore || !bosh_bo_shmem_in_ram(bo, i)) &&
	    bosh_fault_fires(&bdev->faults.alloc, PAGE_SIZE))
		return ERR_PTR(-ENOMEM);
	/* Before the lookup, so a new folio goes to the unevictable list. */
	mapping_set_unevictable(mapping);
	folio = shmem_read_folio_gfp(mapping, i, mapping_gfp_mask(mapping));
	if (IS_ERR(folio))
		return ERR_CAST(folio);
	page = folio_file_page(folio, i);
	/* Reading a poisoned page would take a machine check: keep it there. */
	if (PageHWPoison(page)) {
		folio_put(folio);
		return ERR_PTR(-EIO);
	}
	return page;
}

/**
 * bosh_bo_shmem_in_ram() - is the unpinned page at slot @i still in RAM
 * @bo: the BO, its resv held
 * @i: the slot, unpinned
 *
 * Return: true when pinning it again allocates nothing.
 */
bool bosh_bo_shmem_in_ram(struct bosh_bo *bo, pgoff_t i)
{
	struct folio *folio = filemap_get_folio(bosh_bo_mapping(bo), i);

	if (IS_ERR(folio))
		return false;
	folio_put(folio);
	return true;
}

/* Unpinned folios reclaim had set aside while the file was unevictable. */
static void bosh_bo_shmem_make_evictable(struct address_space *mapping)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;

	mapping_clear_unevictable(mapping);
	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, ~0UL, &fbatch)) {
		check_move_unevictable_folios(&fbatch);
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/*
 * Hands the unpinned page at @index to swap, if it is still in the file,
 * small, dirty and its folio lock free. Returns true when it went.
 */
static bool bosh_bo_shmem_write_one(struct bosh_bo *bo, pgoff_t index)
{
	struct folio *folio;
	bool written;

	folio = __filemap_get_folio(bosh_bo_mapping(bo), index,
				    FGP_LOCK | FGP_NOWAIT, 0);
	if (IS_ERR(folio))
		return false;
	if (folio_test_large(folio) || folio_test_writeback(folio)) {
		folio_unlock(folio);
		folio_put(folio);
		return false;
	}
	/* Unlocks the folio, whatever becomes of it. */
	written = bosh_backup_writeback(folio);
	folio_put(folio);
	return written;
}

/**
 * bosh_bo_shmem_unpin_locked() - back up a shmem-native BO: let go of it
 * @bo: the BO, its resv held, its mappings zapped, idle
 * @writeback: hand the pages to swap at once
 * @written: set to the pages handed to swap writeback
 *
 * Every pinned page is marked dirty (the device and the PFN mappings
 * write without telling the mm, and a clean shmem page is dropped by
 * reclaim and reads back as zeros), unpinned and made evictable. With
 * @writeback each goes to swap as the store's copies do (the same
 * writepage rule, the same fail_writeback point, only with free swap),
 * marked for reclaim to free once written. Nothing is allocated here
 * and nothing is freed: what happens to the pages next is reclaim's
 * decision.
 *
 * Return: the pages unpinned.
 */
long bosh_bo_shmem_unpin_locked(struct bosh_bo *bo, bool writeback,
				unsigned long *written)
{
	struct bosh_device *bdev = bo->bdev;
	struct blk_plug plug;
	long n = 0;
	pgoff_t i;

	*written = 0;
	for (i = 0; i < bo->npages; i++) {
		struct folio *folio;

		if (!bosh_slot_is_page(bo->slots[i]))
			continue;
		folio = page_folio(bosh_slot_page(bo->slots[i]));
		/* The BO's file keeps the mapping: no folio lock needed. */
		folio_mark_dirty(folio);
		folio_put(folio);
		bo->slots[i] = bosh_slot_from_handle(i);
		n++;
	}
	bosh_bo_shmem_make_evictable(bosh_bo_mapping(bo));
	if (!writeback)
		return n;
	blk_start_plug(&plug);
	for (i = 0; i < bo->npages; i++) {
		if (!bosh_slot_is_backup(bo->slots[i]) || get_nr_swap_pages() <= 0)
			continue;
		if (bosh_fault_fires(&bdev->store->faults.writeback, PAGE_SIZE))
			continue;
		if (bosh_bo_shmem_write_one(bo, i))
			(*written)++;
		cond_resched();
	}
	blk_finish_plug(&plug);
	return n;
}

/**
 * bosh_shmem_unwritten() - a device's unpinned shmem-native pages in RAM
 * @bdev: the device
 *
 * The shmem-native counterpart of the store's unwritten copies: pages
 * backed up, still in the BOs' files, which will need swap space. Read
 * without the BOs' locks, a snapshot.
 *
 * Return: the pages.
 */
long bosh_shmem_unwritten(struct bosh_device *bdev)
{
	struct bosh_bo *bo;
	long n = 0;

	spin_lock(&bdev->shmem_lock);
	list_for_each_entry(bo, &bdev->shmem_bos, shmem_link) {
		long unpinned = READ_ONCE(bo->nr_backed_up);
		long swapped = READ_ONCE(SHMEM_I(file_inode(bo->shmem))->swapped);

		n += max(unpinned - swapped, 0L);
	}
	spin_unlock(&bdev->shmem_lock);
	return n;
}

/**
 * bosh_bo_backed_up_in_ram() - a BO's backed-up pages still in RAM
 * @bo: the BO, its resv held
 *
 * Copy model: the store's copies not yet written to swap and reclaimed;
 * shmem-native: unpinned pages reclaim has not yet taken.
 *
 * Return: the pages, at most @bo->nr_backed_up.
 */
u64 bosh_bo_backed_up_in_ram(struct bosh_bo *bo)
{
	u64 n;

	if (!bo->nr_backed_up)
		return 0;
	if (!bo->shmem) {
		n = bosh_backup_count_in_ram(bo->bdev->store->file->f_mapping,
					     bo->store_base, bo->npages);
	} else {
		n = bosh_backup_count_in_ram(bosh_bo_mapping(bo), 0, bo->npages);
		/* Pinned pages are in the file too. */
		n = n > bo->nr_resident ? n - bo->nr_resident : 0;
	}
	return min_t(u64, n, bo->nr_backed_up);
}
