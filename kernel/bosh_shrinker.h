/* SPDX-License-Identifier: GPL-2.0-only */
/* The shrinker policy and the debugfs triggers it serves (bosh_shrinker.c). */
#ifndef _BOSH_SHRINKER_H_
#define _BOSH_SHRINKER_H_

#include "bosh_types.h"

int bosh_shrinker_init(struct bosh_device *bdev);
void bosh_shrinker_fini(struct bosh_device *bdev);
unsigned long bosh_shrinker_count_pages(struct bosh_device *bdev);
unsigned long bosh_shrink_as_reclaim(struct bosh_device *bdev,
				     unsigned long nr_to_scan);
long bosh_purge_all(struct bosh_device *bdev);
long bosh_evict_all(struct bosh_device *bdev);

#endif /* _BOSH_SHRINKER_H_ */
