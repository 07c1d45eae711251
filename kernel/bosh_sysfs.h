/* SPDX-License-Identifier: GPL-2.0-only */
/* sysfs knobs (bosh_sysfs.c). */
#ifndef _BOSH_SYSFS_H_
#define _BOSH_SYSFS_H_

#include "bosh_types.h"

extern const struct attribute_group *bosh_sysfs_groups[];

#endif /* _BOSH_SYSFS_H_ */
