/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The module entry (bosh_drv.c): what it offers the other files. The
 * shared types are bosh_types.h's; each file's functions its own header's.
 */
#ifndef _BOSH_DRV_H_
#define _BOSH_DRV_H_

#include "bosh_types.h"

extern struct workqueue_struct *bosh_wq;

#ifdef BOSH_TEST_HOOKS
void bosh_test_hold_debugfs(struct bosh_device *bdev, struct dentry *dir);
#endif

#endif /* _BOSH_DRV_H_ */
