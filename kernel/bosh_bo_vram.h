/* SPDX-License-Identifier: GPL-2.0-only */
/* A BO's moves between system memory and VRAM (bosh_bo_vram.c). */
#ifndef _BOSH_BO_VRAM_H_
#define _BOSH_BO_VRAM_H_

#include "bosh_types.h"

void bosh_bo_vram_release(struct bosh_bo *bo);
bool bosh_bo_may_enter_vram(struct bosh_bo *bo);
bool bosh_bo_never_populated(struct bosh_bo *bo);
void bosh_bo_populate_vram_locked(struct bosh_bo *bo, struct list_head *blocks);
void bosh_bo_to_vram_locked(struct bosh_bo *bo, struct list_head *blocks);
int bosh_bo_evict_vram_locked(struct bosh_bo *bo);

/*
 * bosh_bo_never_populated() without the BO's lock, as a hint that the
 * locked paths check again.
 */
static inline bool bosh_bo_first_use(struct bosh_bo *bo)
{
	return !READ_ONCE(bo->nr_resident) && !READ_ONCE(bo->nr_backed_up) &&
	       !READ_ONCE(bo->in_vram) && !READ_ONCE(bo->purged);
}

#endif /* _BOSH_BO_VRAM_H_ */
