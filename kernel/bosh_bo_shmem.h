/* SPDX-License-Identifier: GPL-2.0-only */
/* Shmem-native BOs: pages in the BO's own shmem file (bosh_bo_shmem.c). */
#ifndef _BOSH_BO_SHMEM_H_
#define _BOSH_BO_SHMEM_H_

#include "bosh_types.h"

/**
 * struct bosh_shmem_stats - what shmem-native backups left behind
 * @unwritten: unpinned pages in the files' page cache, not yet in swap
 * @swapped: pages in swap (some still in the swap cache)
 */
struct bosh_shmem_stats {
	long unwritten;
	long swapped;
};

int bosh_bo_shmem_init(struct bosh_bo *bo);
void bosh_bo_shmem_fini(struct bosh_bo *bo);
long bosh_bo_shmem_truncate(struct bosh_bo *bo);
struct page *bosh_bo_shmem_pin(struct bosh_bo *bo, pgoff_t i);
bool bosh_bo_shmem_in_ram(struct bosh_bo *bo, pgoff_t i);
long bosh_bo_shmem_unpin_locked(struct bosh_bo *bo, bool writeback,
				unsigned long *written);
void bosh_shmem_stats(struct bosh_device *bdev, struct bosh_shmem_stats *st);
long bosh_shmem_unwritten(struct bosh_device *bdev);
u64 bosh_bo_backed_up_in_ram(struct bosh_bo *bo);

#endif /* _BOSH_BO_SHMEM_H_ */
