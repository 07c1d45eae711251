/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What memory a device can still have: the swap room its shrinker backs
 * up into, and the admission check a BO passes before it takes pages.
 * Below both the BO layer and the shrinker policy, which call it.
 */
#ifndef _BOSH_BUDGET_H_
#define _BOSH_BUDGET_H_

#include <linux/types.h>

struct bosh_device;

bool bosh_swap_allows_backup(struct bosh_device *bdev);
bool bosh_may_grow(struct bosh_device *bdev, pgoff_t pages);
bool bosh_may_restore(struct bosh_device *bdev, pgoff_t handle);

#endif /* _BOSH_BUDGET_H_ */
