/* SPDX-License-Identifier: GPL-2.0-only */
/* PRIME export and import (bosh_prime.c). */
#ifndef _BOSH_PRIME_H_
#define _BOSH_PRIME_H_

#include "bosh_types.h"

int bosh_bo_attach_pin(struct drm_gem_object *obj);
void bosh_bo_attach_unpin(struct drm_gem_object *obj);
struct sg_table *bosh_bo_get_sg_table(struct drm_gem_object *obj);
struct dma_buf *bosh_bo_prime_export(struct drm_gem_object *obj, int flags);
struct drm_gem_object *bosh_bo_prime_import(struct drm_device *dev,
					    struct dma_buf *dma_buf);
bool bosh_obj_is_import(const struct drm_gem_object *obj);
struct drm_gem_object *
bosh_gem_prime_import_sg_table(struct drm_device *dev,
			       struct dma_buf_attachment *attach,
			       struct sg_table *sgt);
int bosh_import_rw(struct drm_gem_object *obj, bool write, u64 offset,
		   u64 size, void __user *data);

#endif /* _BOSH_PRIME_H_ */
