// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backup store on one shmem file, as ttm_backup does it: each owner
 * reserves a range of indices when it is created, so a backup taken
 * from reclaim allocates no bookkeeping, only the shmem page itself.
 */
#include <linux/debugfs.h>
#include <linux/error-injection.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/writeback.h>

#include "bosh_backup.h"
#include "bosh_fault.h"

/*
 * The store copies and writes back one small page at a time, and a
 * large folio makes every step of that cost a huge page: the first copy
 * into it allocates and clears 2 MiB in reclaim to free 4 KiB;
 * shmem_writepage() with THP_SWAP writes all of it for one page backed
 * up, and again for the next; and truncating part of it
 * (bosh_backup_drop()) dirties the rest, zero pages no owner ever drops.
 *
 * So the store asks for small folios with its own tmpfs mount, as
 * i915's gemfs asks for the policy it wants: shmem_enabled always,
 * within_size and advise only set the kernel's internal mount. If the
 * mount fails, the split in bosh_backup_get_folio() still applies.
 */
static struct vfsmount *bosh_backup_mount(void)
{
	struct file_system_type *type;
	char opts[] = "huge=never";	/* parsed in place */
	struct vfsmount *mnt;

	/* Without THP there is no huge= option and no large shmem folio. */
	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		return NULL;
	/* tmpfs is built in: its type holds no module reference to put. */
	type = get_fs_type("tmpfs");
	if (!type)
		return NULL;
	mnt = vfs_kern_mount(type, SB_KERNMOUNT, type->name, opts);
	return IS_ERR(mnt) ? NULL : mnt;
}

/*
 * What every store page is allocated with, set once on the mapping, as
 * shmem_get_folio() takes no gfp of its own: movable like any shmem page,
 * never from the reserves nor with a warning, and failing rather than
 * calling the OOM killer. Not __GFP_NORETRY: the mm's own swap-ins of
 * the store use this mask too (swapoff's shmem_unuse()), and would fail
 * swapoff with ENOMEM where other shmem objects come back. A copy taken
 * in reclaim runs under PF_MEMALLOC, which already keeps it from
 * reclaiming (and retrying) itself; the caller's context narrows the
 * rest (bosh_backup_copy()). A restore's swap-in reads with its own flags.
 */
#define BOSH_BACKUP_GFP \
	(GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Every fault point off ("never"), until someone arms it. */
static void bosh_backup_faults_init(struct bosh_backup_faults *f)
{
#ifdef CONFIG_FAULT_INJECTION
	static const struct fault_attr off = FAULT_ATTR_INITIALIZER;

	f->copy = off;
	f->writeback = off;
	f->read = off;
#endif
}

/**
 * bosh_backup_create() - create an empty backup store
 * @name: name of the shmem file, for /proc/<pid>/maps-style reports
 *
 * Return: the store or an ERR_PTR().
 */
struct bosh_backup *bosh_backup_create(const char *name)
{
	struct bosh_backup *b;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	bosh_backup_faults_init(&b->faults);
	b->mnt = bosh_backup_mount();
	/* Sized to the limit: pages are only allocated when written. */
	if (b->mnt)
		b->file = shmem_file_setup_with_mnt(b->mnt, name,
						    MAX_LFS_FILESIZE,
						    VM_NORESERVE);
	else
		b->file = shmem_file_setup(name, MAX_LFS_FILESIZE, VM_NORESERVE);
	if (IS_ERR(b->file)) {
		long err = PTR_ERR(b->file);

		if (b->mnt)
			kern_unmount(b->mnt);
		kfree(b);
		return ERR_PTR(err);
	}
	mapping_set_gfp_mask(b->file->f_mapping, BOSH_BACKUP_GFP);
	return b;
}

/**
 * bosh_backup_destroy() - free a store and everything still in it
 * @b: the store
 */
void bosh_backup_destroy(struct bosh_backup *b)
{
	WARN_ON(atomic_long_read(&b->stored));
	fput(b->file);
	/* The file holds its own reference to the mount until released. */
	if (b->mnt)
		kern_unmount(b->mnt);
	kfree(b);
}

/**
 * bosh_backup_debugfs() - expose the store's fault points
 * @b: the store
 * @dir: the owner's debugfs directory
 *
 * As fault attributes ``fail_backup``, ``fail_writeback`` and
 * ``fail_restore``; nothing without CONFIG_FAULT_INJECTION_DEBUG_FS.
 */
void bosh_backup_debugfs(struct bosh_backup *b, struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_backup", dir, &b->faults.copy);
	fault_create_debugfs_attr("fail_writeback", dir, &b->faults.writeback);
	fault_create_debugfs_attr("fail_restore", dir, &b->faults.read);
#endif
}

/**
 * bosh_backup_reserve() - reserve @npages indices for one owner
 * @b: the store
 * @npages: how many
 *
 * Indices are never reused: the index space (2^52 pages of a
 * MAX_LFS_FILESIZE file) outlasts any realistic run, and no free-range
 * tracking is needed.
 *
 * Return: the first reserved index.
 */
pgoff_t bosh_backup_reserve(struct bosh_backup *b, pgoff_t npages)
{
	return atomic_long_add_return(npages, &b->next_index) - npages;
}

/* Punches before giving up on a small folio (each costs a huge one). */
#define BOSH_BACKUP_SPLIT_TRIES	2

/*
 * shmem charges its folios to a memcg itself (the active one, or the one
 * a swap entry records): an allocation that is also __GFP_ACCOUNT would
 * be charged twice, and commit_charge() BUGs on a swap-in. Callers pass
 * their own rules; this one is the store's.
 */
static gfp_t bosh_backup_gfp(gfp_t gfp)
{
	return gfp & ~__GFP_ACCOUNT;
}

/*
 * The store folio for a copy to @index, always of order 0, returned
 * locked with a reference; it may not be uptodate: the caller fills all
 * of it and marks it uptodate before unlocking it.
 *
 * SGP_WRITE, as a write(2) to tmpfs: a new folio is not cleared, since
 * the copy is about to overwrite it (its allocation was zeroed already
 * where init_on_alloc is on; shmem_read_folio_gfp() would clear it a
 * second time). An index still in swap is read back first; an index in
 * RAM is returned as it is.
 *
 * shmem_enabled=force overrides every mount's huge= option, and in 6.12
 * shmem honours no per-file limit (mapping_set_folio_order_range() is
 * not consulted) and no split is exported. shmem only allocates a huge
 * folio into an empty 2 MiB range, so a copy that meets one punches its
 * own index out of it: truncating part of a large folio splits it, once,
 * and the next lookup gets a small folio. The content at @index is about
 * to be replaced; the rest of the folio is zeros, as the store never
 * copies into a large folio: a new one is cleared here (SGP_WRITE left it
 * as allocated) and marked uptodate before it is unlocked, so neither
 * writeback nor a later lookup finds it half-written. The generic
 * truncate rather than shmem_truncate_range(), which dirties the whole
 * folio before it splits it: clean, the other 511 pages are only cache,
 * which reclaim may drop (shmem_recalc_inode() accounts for them then) or
 * the next copies into the range reuse.
 */
static struct folio *bosh_backup_get_folio(struct bosh_backup *b,
					   pgoff_t index)
{
	struct inode *inode = file_inode(b->file);
	loff_t pos = (loff_t)index << PAGE_SHIFT;
	struct folio *folio;
	int tries = 0, err;

	for (;;) {
		err = shmem_get_folio(inode, index, 0, &folio, SGP_WRITE);
		if (err)
			return ERR_PTR(err);
		if (!folio_test_large(folio))
			return folio;
		if (!folio_test_uptodate(folio)) {
			folio_zero_range(folio, 0, folio_size(folio));
			flush_dcache_folio(folio);
			folio_mark_uptodate(folio);
		}
		/* A reference of ours would make the split fail. */
		folio_unlock(folio);
		folio_put(folio);
		if (tries++ == BOSH_BACKUP_SPLIT_TRIES)
			return ERR_PTR(-ENOMEM);
		truncate_inode_pages_range(inode->i_mapping, pos,
					   pos + PAGE_SIZE - 1);
	}
}

/**
 * bosh_backup_writeback() - hand one shmem folio to swap writeback
 * @folio: a small folio of a shmem file, locked, not mapped
 *
 * The store's rule for every shmem page bosh writes (its copies and
 * shmem-native BOs' pages): shmem's writepage wants a locked, dirty folio
 * and for_reclaim; without swap space it re-dirties the folio and returns
 * it still locked. The folio is marked for reclaim, which frees it once
 * written. Unlocks the folio, whatever becomes of it.
 *
 * Return: true when the folio went to swap.
 */
bool bosh_backup_writeback(struct folio *folio)
{
	struct address_space *mapping = folio->mapping;
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_NONE,
		.nr_to_write = SWAP_CLUSTER_MAX,
		.range_start = 0,
		.range_end = LLONG_MAX,
		.for_reclaim = 1,
	};
	int ret;

	if (!folio_clear_dirty_for_io(folio)) {
		folio_unlock(folio);
		return false;
	}
	folio_set_reclaim(folio);
	ret = mapping->a_ops->writepage(folio_page(folio, 0), &wbc);
	if (!folio_test_writeback(folio))
		folio_clear_reclaim(folio);
	if (ret == AOP_WRITEPAGE_ACTIVATE) {
		folio_unlock(folio);
		return false;
	}
	return !ret;
}

/**
 * bosh_backup_start() - begin a batch of copies
 * @batch: the batch, on the caller's stack
 * @b: the store
 * @writeback: hand each copy to swap writeback at once
 *
 * The caller ends it with bosh_backup_finish(), in the same task.
 */
void bosh_backup_start(struct bosh_backup_batch *batch, struct bosh_backup *b,
		       bool writeback)
{
	batch->store = b;
	batch->writeback = writeback;
	batch->written = 0;
	/* Writeback goes page by page: let the block layer merge it. */
	if (writeback)
		blk_start_plug(&batch->plug);
}

/**
 * bosh_backup_copy() - copy one page into the store
 * @batch: the batch, from bosh_backup_start()
 * @index: the store index, from the owner's reserved range
 * @page: the page to copy; the caller frees it on success
 * @gfp: the caller's reclaim context: without __GFP_IO or __GFP_FS the
 *	store page is allocated under memalloc_noio_save() or
 *	memalloc_nofs_save(); the rest of the policy is the store
 *	mapping's (BOSH_BACKUP_GFP)
 *
 * The store page is marked dirty: a clean shmem page may be dropped by
 * reclaim and read back as zeros. A copy that cannot go to swap (no
 * swap space, the writeback fault) stays in RAM: it is still a backup.
 *
 * Return: 0, or a negative errno with nothing stored.
 */
noinline int bosh_backup_copy(struct bosh_backup_batch *batch, pgoff_t index,
			      struct page *page, gfp_t gfp)
{
	struct bosh_backup *b = batch->store;
	unsigned int scope = 0;
	struct folio *folio;

	if (bosh_fault_fires(&b->faults.copy, PAGE_SIZE))
		return -ENOMEM;

	/* The mapping's gfp, narrowed to the caller's reclaim context. */
	if (!(gfp & __GFP_IO))
		scope = memalloc_noio_save();
	else if (!(gfp & __GFP_FS))
		scope = memalloc_nofs_save();
	folio = bosh_backup_get_folio(b, index);
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(scope);
	else if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(scope);
	if (IS_ERR(folio))
		return PTR_ERR(folio);

	/* All of it, then uptodate and dirty before anyone sees it unlocked. */
	copy_highpage(folio_page(folio, 0), page);
	flush_dcache_folio(folio);
	folio_mark_uptodate(folio);
	folio_mark_dirty(folio);
	atomic_long_inc(&b->stored);

	if (batch->writeback && get_nr_swap_pages() > 0 &&
	    !bosh_fault_fires(&b->faults.writeback, PAGE_SIZE)) {
		/* Unlocks the folio, whatever becomes of it. */
		if (bosh_backup_writeback(folio))
			batch->written++;
	} else {
		folio_unlock(folio);
	}
	folio_put(folio);
	return 0;
}
ALLOW_ERROR_INJECTION(bosh_backup_copy, ERRNO);

/**
 * bosh_backup_finish() - end a batch of copies
 * @batch: the batch
 *
 * Return: the copies handed to swap writeback.
 */
unsigned long bosh_backup_finish(struct bosh_backup_batch *batch)
{
	if (batch->writeback)
		blk_finish_plug(&batch->plug);
	return batch->written;
}

/**
 * bosh_backup_read() - copy one page back from the store
 * @b: the store
 * @index: the store index
 * @page: the destination page
 * @gfp: allocation flags, for a swap-in
 *
 * The store entry is kept: the caller drops it with bosh_backup_drop()
 * once the page is installed, so an error never loses content.
 *
 * Return: 0 or a negative errno.
 */
noinline int bosh_backup_read(struct bosh_backup *b, pgoff_t index,
			      struct page *page, gfp_t gfp)
{
	struct folio *folio;

	if (bosh_fault_fires(&b->faults.read, PAGE_SIZE))
		return -EIO;

	folio = shmem_read_folio_gfp(b->file->f_mapping, index, bosh_backup_gfp(gfp));
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	/* Reading a poisoned page would take a machine check: keep the copy. */
	if (PageHWPoison(folio_file_page(folio, index))) {
		folio_put(folio);
		return -EIO;
	}
	copy_highpage(page, folio_file_page(folio, index));
	folio_put(folio);
	return 0;
}
ALLOW_ERROR_INJECTION(bosh_backup_read, ERRNO);

/**
 * bosh_backup_in_ram() - is a stored page's copy in RAM
 * @b: the store
 * @index: the store index, stored
 *
 * Return: true when the copy is in the store's page cache; false when it
 * is in swap (or only in the swap cache, about to be freed).
 */
bool bosh_backup_in_ram(struct bosh_backup *b, pgoff_t index)
{
	struct folio *folio = filemap_get_folio(b->file->f_mapping, index);

	if (IS_ERR(folio))
		return false;
	folio_put(folio);
	return true;
}

/**
 * bosh_backup_drop() - free store entries, in RAM or in swap
 * @b: the store
 * @index: first index
 * @count: number of entries, all of them stored
 */
void bosh_backup_drop(struct bosh_backup *b, pgoff_t index, pgoff_t count)
{
	loff_t start = (loff_t)index << PAGE_SHIFT;

	shmem_truncate_range(file_inode(b->file), start,
			     start + ((loff_t)count << PAGE_SHIFT) - 1);
	atomic_long_sub(count, &b->stored);
}

/*
 * Entries a run may hold back: their store pages stay in RAM until the
 * run is dropped, so a restore from the RAM store needs at most this
 * many pages more than one page at a time would.
 */
#define BOSH_BACKUP_DROP_RUN	64

/**
 * bosh_backup_drops_init() - begin gathering entries to drop
 * @d: the gathering, on the caller's stack
 * @b: the store
 *
 * The caller ends it with bosh_backup_drops_flush().
 */
void bosh_backup_drops_init(struct bosh_backup_drops *d, struct bosh_backup *b)
{
	d->store = b;
	d->first = 0;
	d->count = 0;
}

/**
 * bosh_backup_drop_later() - drop a stored entry with its neighbours
 * @d: the gathering
 * @index: the entry, stored, whose content the owner has installed
 *
 * The pending run is dropped first when @index does not extend it or it
 * is full.
 */
void bosh_backup_drop_later(struct bosh_backup_drops *d, pgoff_t index)
{
	if (d->count && (index != d->first + d->count ||
			 d->count == BOSH_BACKUP_DROP_RUN))
		bosh_backup_drops_flush(d);
	if (!d->count)
		d->first = index;
	d->count++;
}

/**
 * bosh_backup_drops_flush() - drop the pending run
 * @d: the gathering
 */
void bosh_backup_drops_flush(struct bosh_backup_drops *d)
{
	if (d->count)
		bosh_backup_drop(d->store, d->first, d->count);
	d->count = 0;
}

/**
 * bosh_backup_stats() - what the store holds now
 * @b: the store
 * @st: filled in
 */
void bosh_backup_stats(struct bosh_backup *b, struct bosh_backup_stats *st)
{
	long stored = atomic_long_read(&b->stored);
	long swapped = READ_ONCE(SHMEM_I(file_inode(b->file))->swapped);

	st->stored = max(stored, 0L);
	st->unwritten = stored > swapped ? stored - swapped : 0;
}

/**
 * bosh_backup_count_in_ram() - pages of a shmem file in RAM
 * @mapping: the file's mapping
 * @first: first index
 * @count: number of indices
 *
 * Pages in the page cache, not those in swap; a snapshot. A large folio
 * counts whole, even where it reaches outside the range.
 *
 * Return: the pages.
 */
u64 bosh_backup_count_in_ram(struct address_space *mapping, pgoff_t first,
			     pgoff_t count)
{
	XA_STATE(xas, &mapping->i_pages, first);
	struct folio *folio;
	u64 n = 0;

	if (!count)
		return 0;
	rcu_read_lock();
	xas_for_each(&xas, folio, first + count - 1) {
		if (xas_retry(&xas, folio) || xa_is_value(folio))
			continue;
		n += folio_nr_pages(folio);
		if (need_resched()) {
			xas_pause(&xas);
			cond_resched_rcu();
		}
	}
	rcu_read_unlock();
	return n;
}
