/* SPDX-License-Identifier: GPL-2.0-only */
/* Shmem-native BOs: pages in the BO's own shmem file (bosh_bo_shmem.c). */
#ifndef _BOSH_BO_SHMEM_H_
#define _BOSH_BO_SHMEM_H_

#include "bosh_types.h"

int bosh_bo_shmem_init(struct bosh_bo *bo);
void bosh_bo_shmem_fini(struct bosh_bo *bo);
long bosh_bo_shmem_truncate(struct bosh_bo *bo);
struct page *bosh_bo_shmem_pin(struct bosh_bo *bo, pgoff_t i);
bool bosh_bo_shmem_in_ram(struct bosh_bo *bo, pgoff_t i);
long bosh_bo_shmem_unpin_locked(struct bosh_bo *bo, bool writeback,
				unsigned long *written);
long bosh_shmem_unwritten(struct bosh_device *bdev);
u64 bosh_bo_backed_up_in_ram(struct bosh_bo *bo);

#endif /* _BOSH_BO_SHMEM_H_ */
