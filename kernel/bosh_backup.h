/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The backup store: one shmem file holding copies of pages that were
 * taken from their owner under memory pressure. It knows nothing of DRM:
 * any driver can reserve a range of indices and back pages up into it.
 */
#ifndef _BOSH_BACKUP_H_
#define _BOSH_BACKUP_H_

#include <linux/types.h>

struct page;
struct fault_attr;
struct vfsmount;

/**
 * struct bosh_backup - a backup store
 * @mnt: private tmpfs mount without huge pages, or NULL for the kernel's
 * @file: the shmem file, created VM_NORESERVE
 * @next_index: first index not yet reserved
 * @stored: pages currently held in the store
 */
struct bosh_backup {
	struct vfsmount *mnt;
	struct file *file;
	atomic_long_t next_index;
	atomic_long_t stored;
};

/* Result of a backup: copied only, or also handed to swap writeback. */
#define BOSH_BACKUP_WRITTEN	1

struct bosh_backup *bosh_backup_create(const char *name);
void bosh_backup_destroy(struct bosh_backup *b);
pgoff_t bosh_backup_reserve(struct bosh_backup *b, pgoff_t npages);
int bosh_backup_copy(struct bosh_backup *b, pgoff_t index, struct page *page,
		     gfp_t gfp, bool writeback, struct fault_attr *fail_copy,
		     struct fault_attr *fail_writeback);
int bosh_backup_read(struct bosh_backup *b, pgoff_t index, struct page *page,
		     gfp_t gfp, struct fault_attr *fail);
void bosh_backup_drop(struct bosh_backup *b, pgoff_t index, pgoff_t count);
unsigned long bosh_backup_unwritten(struct bosh_backup *b);

#endif /* _BOSH_BACKUP_H_ */
