/* SPDX-License-Identifier: GPL-2.0-only */
/* Placement and VRAM eviction (bosh_place.c). */
#ifndef _BOSH_PLACE_H_
#define _BOSH_PLACE_H_

#include "bosh_types.h"

struct seq_file;

int bosh_place_validate(struct bosh_bo *bo, u32 placement);
int bosh_place_first_use(struct bosh_bo *bo);
int bosh_place_svm(struct bosh_device *bdev, unsigned long npages,
		   struct list_head *blocks);
long bosh_place_evict_all(struct bosh_device *bdev);
void bosh_place_show(struct bosh_device *bdev, struct seq_file *m);

#endif /* _BOSH_PLACE_H_ */
