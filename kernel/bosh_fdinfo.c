// SPDX-License-Identifier: GPL-2.0-only
/*
 * fdinfo: DRM's memory keys per region, each page counted in exactly
 * one: "memory" for system pages (and the store, which is the system's
 * too), "vram0" for BOs in VRAM, printed on devices that have VRAM. A BO
 * moves whole, so a BO is in one region. drm_show_memory_stats() would
 * put every object under "memory".
 */
#include <linux/dma-resv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>

#include "bosh_fdinfo.h"
#include "bosh_prime.h"
#include "bosh_types.h"

enum bosh_region {
	BOSH_REGION_SYSTEM,
	BOSH_REGION_VRAM,
	BOSH_REGION_NR
};

static void bosh_fdinfo_add(struct drm_memory_stats *st,
			    struct drm_gem_object *obj)
{
	enum drm_gem_object_status s = obj->funcs->status ?
				       obj->funcs->status(obj) : 0;
	size_t rss = obj->funcs->rss ? obj->funcs->rss(obj) : obj->size;

	if (drm_gem_object_is_shared_for_memory_stats(obj))
		st->shared += obj->size;
	else
		st->private += obj->size;
	if (s & DRM_GEM_OBJECT_RESIDENT)
		st->resident += rss;
	else
		s &= ~DRM_GEM_OBJECT_PURGEABLE;
	if (!dma_resv_test_signaled(obj->resv, dma_resv_usage_rw(true))) {
		st->active += rss;
		s &= ~DRM_GEM_OBJECT_PURGEABLE;
	}
	if (s & DRM_GEM_OBJECT_PURGEABLE)
		st->purgeable += rss;
}

/**
 * bosh_show_fdinfo() - the &drm_driver.show_fdinfo of bosh
 * @p: the printer
 * @file: the DRM file
 */
void bosh_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct bosh_device *bdev = to_bosh_device(file->minor->dev);
	struct drm_memory_stats st[BOSH_REGION_NR] = {};
	struct drm_gem_object *obj;
	int id;

	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, obj, id) {
		bool vram = !bosh_obj_is_import(obj) &&
			    READ_ONCE(to_bosh_bo(obj)->in_vram);

		bosh_fdinfo_add(&st[vram ? BOSH_REGION_VRAM : BOSH_REGION_SYSTEM], obj);
	}
	spin_unlock(&file->table_lock);
	drm_print_memory_stats(p, &st[BOSH_REGION_SYSTEM],
			       DRM_GEM_OBJECT_RESIDENT | DRM_GEM_OBJECT_PURGEABLE,
			       "memory");
	if (bosh_vram_present(&bdev->vram))
		drm_print_memory_stats(p, &st[BOSH_REGION_VRAM],
				       DRM_GEM_OBJECT_RESIDENT |
				       DRM_GEM_OBJECT_PURGEABLE, "vram0");
}
