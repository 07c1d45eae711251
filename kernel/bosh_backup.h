/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The backup store: one shmem file holding copies of pages that were
 * taken from their owner under memory pressure. It knows nothing of DRM:
 * any driver can reserve a range of indices for each of its objects,
 * back pages up into it (optionally writing them to swap at once), read
 * them back and drop them. Its fault points are its own.
 */
#ifndef _BOSH_BACKUP_H_
#define _BOSH_BACKUP_H_

#include <linux/blkdev.h>
#include <linux/fault-inject.h>
#include <linux/types.h>

struct address_space;
struct dentry;
struct folio;
struct page;
struct vfsmount;

/**
 * struct bosh_backup_faults - the store's fault points
 * @copy: a copy into the store fails with -ENOMEM (``fail_backup``)
 * @writeback: a copy is kept in RAM instead of going to swap
 *	(``fail_writeback``)
 * @read: a read back fails with -EIO (``fail_restore``)
 */
struct bosh_backup_faults {
	struct fault_attr copy;
	struct fault_attr writeback;
	struct fault_attr read;
};

/**
 * struct bosh_backup - a backup store
 * @mnt: private tmpfs mount without huge pages, or NULL for the kernel's
 * @file: the shmem file, created VM_NORESERVE
 * @next_index: first index not yet reserved
 * @stored: pages currently held in the store
 * @faults: the fault points
 */
struct bosh_backup {
	struct vfsmount *mnt;
	struct file *file;
	atomic_long_t next_index;
	atomic_long_t stored;
	struct bosh_backup_faults faults;
};

/**
 * struct bosh_backup_batch - one owner's backup of a run of pages
 * @store: the store
 * @writeback: hand each copy to swap writeback at once
 * @written: copies handed to swap writeback so far
 * @plug: lets the block layer merge the batch's writeback
 */
struct bosh_backup_batch {
	struct bosh_backup *store;
	bool writeback;
	unsigned long written;
	struct blk_plug plug;
};

/**
 * struct bosh_backup_stats - what a store holds
 * @stored: pages held, in RAM or in swap
 * @unwritten: pages held in RAM, which will need swap space
 */
struct bosh_backup_stats {
	unsigned long stored;
	unsigned long unwritten;
};

/**
 * struct bosh_backup_drops - store entries to drop, gathered in runs
 * @store: the store
 * @first: first index of the pending run
 * @count: entries in the pending run, 0 for none
 *
 * A restore drops each entry once its page is installed; dropping a run
 * of neighbours together costs one truncation instead of one each.
 */
struct bosh_backup_drops {
	struct bosh_backup *store;
	pgoff_t first;
	pgoff_t count;
};

struct bosh_backup *bosh_backup_create(const char *name);
void bosh_backup_destroy(struct bosh_backup *b);
void bosh_backup_debugfs(struct bosh_backup *b, struct dentry *dir);
pgoff_t bosh_backup_reserve(struct bosh_backup *b, pgoff_t npages);
void bosh_backup_start(struct bosh_backup_batch *batch, struct bosh_backup *b,
		       bool writeback);
int bosh_backup_copy(struct bosh_backup_batch *batch, pgoff_t index,
		     struct page *page, gfp_t gfp);
unsigned long bosh_backup_finish(struct bosh_backup_batch *batch);
int bosh_backup_read(struct bosh_backup *b, pgoff_t index, struct page *page,
		     gfp_t gfp);
bool bosh_backup_in_ram(struct bosh_backup *b, pgoff_t index);
void bosh_backup_drop(struct bosh_backup *b, pgoff_t index, pgoff_t count);
void bosh_backup_drops_init(struct bosh_backup_drops *d, struct bosh_backup *b);
void bosh_backup_drop_later(struct bosh_backup_drops *d, pgoff_t index);
void bosh_backup_drops_flush(struct bosh_backup_drops *d);
void bosh_backup_stats(struct bosh_backup *b, struct bosh_backup_stats *st);
bool bosh_backup_writeback(struct folio *folio);
u64 bosh_backup_count_in_ram(struct address_space *mapping, pgoff_t first,
			     pgoff_t count);

#endif /* _BOSH_BACKUP_H_ */
