/* SPDX-License-Identifier: GPL-2.0-only */
/* BO_BUSY fences and the per-file state that caps them (bosh_fence.c). */
#ifndef _BOSH_FENCE_H_
#define _BOSH_FENCE_H_

struct drm_file;

#include "bosh_types.h"

int bosh_attach_busy_fence(struct drm_gem_object *obj,
			   struct bosh_client *client, u64 usecs);
int bosh_client_open(struct drm_file *file);
void bosh_client_close(struct drm_file *file);
bool bosh_client_busy_begin(struct bosh_client *c);
void bosh_client_busy_end(struct bosh_client *c);

#endif /* _BOSH_FENCE_H_ */
