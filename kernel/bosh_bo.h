/* SPDX-License-Identifier: GPL-2.0-only */
/* The buffer object (bosh_bo.c). */
#ifndef _BOSH_BO_H_
#define _BOSH_BO_H_

#include "bosh_types.h"

struct bosh_bo *bosh_bo_create(struct bosh_device *bdev, size_t size,
			       u32 placement, bool shmem);
void bosh_bo_resident_add(struct bosh_bo *bo, long pages);
void bosh_bo_zap_mappings(struct bosh_bo *bo);
void bosh_bo_pin_account(struct bosh_bo *bo, int sign);
int bosh_bo_make_resident(struct bosh_bo *bo, pgoff_t first, pgoff_t count,
			  bool interruptible);
int bosh_bo_rw(struct bosh_bo *bo, bool write, u64 offset, u64 size,
	       void __user *data);
int bosh_bo_validate(struct bosh_bo *bo);
int bosh_bo_pin_prepare(struct bosh_bo *bo);
enum bosh_lru_list bosh_bo_lru_list(struct bosh_bo *bo);
bool bosh_bo_may_shrink(struct bosh_bo *bo, enum bosh_shrink_mode mode);
long bosh_bo_shrink_locked(struct bosh_bo *bo, enum bosh_shrink_mode mode,
			   long nr_to_take, gfp_t gfp, struct bosh_shrunk *s);
bool bosh_bo_is_idle(struct bosh_bo *bo);
void bosh_bo_set_madv_locked(struct bosh_bo *bo, unsigned int madv);
int bosh_bo_pin_locked(struct bosh_bo *bo, bool interruptible);
void bosh_bo_unpin_locked(struct bosh_bo *bo);
void bosh_bo_put_deferred(struct bosh_bo *bo);

/* A use of @bo: the shrinker takes the BOs idle for longest first. */
static inline void bosh_bo_touch(struct bosh_bo *bo)
{
	bosh_lru_touch(&bo->group->lru, &bo->lru);
	if (READ_ONCE(bo->in_vram))
		bosh_vram_lru_touch(&bo->bdev->vram, &bo->vram_node.link);
}

#endif /* _BOSH_BO_H_ */
