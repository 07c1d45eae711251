/* SPDX-License-Identifier: GPL-2.0-only */
/* debugfs files (bosh_debugfs.c). */
#ifndef _BOSH_DEBUGFS_H_
#define _BOSH_DEBUGFS_H_

#include "bosh_types.h"

void bosh_debugfs_init(struct bosh_device *bdev);
void bosh_debugfs_fini(struct bosh_device *bdev);
void bosh_debugfs_module_init(void);
void bosh_debugfs_module_exit(void);

#endif /* _BOSH_DEBUGFS_H_ */
