/* SPDX-License-Identifier: GPL-2.0-only */
/* The driver-private ioctls (bosh_ioctl.c). */
#ifndef _BOSH_IOCTL_H_
#define _BOSH_IOCTL_H_

#include <drm/drm_ioctl.h>
#include "bosh_types.h"

#define BOSH_NUM_IOCTLS	12
extern const struct drm_ioctl_desc bosh_ioctls[BOSH_NUM_IOCTLS];

#endif /* _BOSH_IOCTL_H_ */
