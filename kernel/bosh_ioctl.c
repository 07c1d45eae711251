// SPDX-License-Identifier: GPL-2.0-only
/*
 * The driver-private ioctls. Each one validates all of its input before
 * it changes anything; the errnos are those documented in bosh_drm.h.
 */
#include <linux/dma-resv.h>
#include <linux/overflow.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_vma_manager.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_bo.h"
#include "bosh_bo_vram.h"
#include "bosh_fence.h"
#include "bosh_place.h"
#include "bosh_ioctl.h"
#include "bosh_bo_shmem.h"
#include "bosh_prime.h"
#include "bosh_svm.h"

static int bosh_ioctl_bo_create(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct bosh_device *bdev = to_bosh_device(drm);
	struct drm_bosh_bo_create *args = data;
	bool shmem = args->flags & BOSH_BO_CREATE_SHMEM;
	u32 placement = args->flags & BOSH_PLACE_MASK;
	struct bosh_bo *bo;
	u64 cap;
	int ret;

	if ((args->flags & ~(BOSH_PLACE_MASK | BOSH_BO_CREATE_SHMEM)) ||
	    !args->size || !PAGE_ALIGNED(args->size))
		return -EINVAL;
	/* A shmem-native BO never enters VRAM: the combination is undefined. */
	if (shmem && (placement & BOSH_PLACE_VRAM))
		return -EINVAL;
	/* VRAM alone where it could never fit: no validation would succeed. */
	if ((args->flags & BOSH_PLACE_MASK) == BOSH_PLACE_VRAM &&
	    args->size > (u64)bdev->vram.npages << PAGE_SHIFT)
		return -ENOSPC;

	mutex_lock(&bdev->limits_lock);
	/* One read: the knob may change under us, the check must not. */
	cap = (u64)READ_ONCE(bdev->max_bo_mb) << 20;
	if (bdev->bytes_total > cap || args->size > cap - bdev->bytes_total) {
		mutex_unlock(&bdev->limits_lock);
		return -ENOSPC;
	}
	/*
	 * The slot array of a BO of BOSH_BO_MAX_SIZE is 1 GiB; at twice
	 * that it would pass INT_MAX bytes, which kvcalloc() refuses with a
	 * WARN. Reachable only with max_bo_mb raised above the limit.
	 */
	if (args->size > BOSH_BO_MAX_SIZE) {
		mutex_unlock(&bdev->limits_lock);
		return -EINVAL;
	}
	bdev->bytes_total += args->size;
	mutex_unlock(&bdev->limits_lock);

	bo = bosh_bo_create(bdev, args->size, placement ?: BOSH_PLACE_SYSTEM,
			    shmem);
	if (IS_ERR(bo)) {
		mutex_lock(&bdev->limits_lock);
		bdev->bytes_total -= args->size;
		mutex_unlock(&bdev->limits_lock);
		return PTR_ERR(bo);
	}
	/* From here the BO's free path returns its bytes to the cap. */
	ret = drm_gem_handle_create(file, &bo->base, &args->handle);
	drm_gem_object_put(&bo->base);
	return ret;
}

static int bosh_ioctl_bo_mmap_offset(struct drm_device *drm, void *data,
				     struct drm_file *file)
{
	struct drm_bosh_bo_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	/* An import is mapped through its exporter's node, or not at all. */
	ret = bosh_obj_is_import(obj) ? -EOPNOTSUPP : drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return ret;
}

/*
 * A first use may take VRAM, evicting, before the copy; not for an empty
 * copy, nor for a bad user range, which change nothing.
 */
static int bosh_rw_first_use(struct bosh_bo *bo, struct drm_bosh_bo_rw *args)
{
	bool write = args->op == BOSH_RW_WRITE;
	void __user *data = u64_to_user_ptr(args->data);
	int ret = 0;

	if (args->size && (bo->placement & BOSH_PLACE_VRAM) &&
	    bosh_bo_first_use(bo)) {
		if (!bosh_user_range_ok(write, data, args->size))
			return -EFAULT;
		ret = bosh_place_first_use(bo);
	}
	return ret ?: bosh_bo_rw(bo, write, args->offset, args->size, data);
}

static int bosh_ioctl_bo_rw(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct drm_bosh_bo_rw *args = data;
	struct drm_gem_object *obj;
	u64 end;
	int ret;

	if (args->op > BOSH_RW_WRITE)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (check_add_overflow(args->offset, args->size, &end) || end > obj->size)
		ret = -EINVAL;
	else if (bosh_obj_is_import(obj))
		ret = bosh_import_rw(obj, args->op == BOSH_RW_WRITE,
				     args->offset, args->size,
				     u64_to_user_ptr(args->data));
	else
		ret = bosh_rw_first_use(to_bosh_bo(obj), args);
	drm_gem_object_put(obj);
	return ret;
}

/*
 * Lock the BO behind a looked-up object, whose reference passes to the
 * caller, or is dropped on failure: purged BOs give -ENODATA, foreign
 * imports (whose state is their exporter's) -EOPNOTSUPP.
 */
static struct bosh_bo *bosh_lock_obj(struct drm_gem_object *obj,
				     bool allow_purged, int *err)
{
	struct bosh_bo *bo;

	if (bosh_obj_is_import(obj)) {
		*err = -EOPNOTSUPP;
		goto out_put;
	}
	bo = to_bosh_bo(obj);
	/* A signal while waiting: restart the call, as a restore would. */
	if (dma_resv_lock_interruptible(obj->resv, NULL)) {
		*err = -ERESTARTSYS;
		goto out_put;
	}
	if (bo->purged && !allow_purged) {
		*err = -ENODATA;
		dma_resv_unlock(obj->resv);
		goto out_put;
	}
	*err = 0;
	return bo;

out_put:
	drm_gem_object_put(obj);
	return NULL;
}

/* Look up and lock a live BO: -ENOENT, or as bosh_lock_obj(). */
static struct bosh_bo *bosh_lookup_locked(struct drm_file *file, u32 handle,
					  bool allow_purged, int *err)
{
	struct drm_gem_object *obj = drm_gem_object_lookup(file, handle);

	if (!obj) {
		*err = -ENOENT;
		return NULL;
	}
	return bosh_lock_obj(obj, allow_purged, err);
}

static void bosh_unlock_put(struct bosh_bo *bo)
{
	dma_resv_unlock(bo->base.resv);
	drm_gem_object_put(&bo->base);
}

/*
 * Not inside one drm_dev_enter() section: a whole-BO restore enters one
 * per chunk (bosh_bo_validate()), so it never holds up unplug for long.
 */
static int bosh_ioctl_bo_validate(struct drm_device *drm, void *data,
				  struct drm_file *file)
{
	struct drm_bosh_bo_validate *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags & ~BOSH_PLACE_MASK)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	/* An import is pinned by its attachment: resident already. */
	ret = bosh_obj_is_import(obj) ? 0 :
	      bosh_place_validate(to_bosh_bo(obj), args->flags);
	drm_gem_object_put(obj);
	return ret;
}

static int bosh_ioctl_bo_madvise(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct drm_bosh_bo_madvise *args = data;
	struct bosh_bo *bo;
	int ret;

	if (args->madv > BOSH_MADV_DONTNEED || args->pad)
		return -EINVAL;
	bo = bosh_lookup_locked(file, args->handle, true, &ret);
	if (!bo)
		return ret;
	if (!bo->purged)
		bosh_bo_set_madv_locked(bo, args->madv);
	args->retained = !bo->purged;
	bosh_unlock_put(bo);
	return 0;
}

static int bosh_ioctl_bo_pin_locked(struct drm_file *file,
				    struct drm_bosh_bo_pin *args)
{
	struct bosh_bo *bo;
	int ret;

	bo = bosh_lookup_locked(file, args->handle, args->op == BOSH_UNPIN, &ret);
	if (!bo)
		return ret;
	if (args->op == BOSH_PIN) {
		ret = bosh_bo_pin_locked(bo, true);
		if (!ret)
			bo->user_pins++;
	} else if (bo->user_pins) {
		bo->user_pins--;
		bosh_bo_unpin_locked(bo);
	} else {
		/* Only an attachment pins it: not the caller's to drop. */
		ret = -EINVAL;
	}
	bosh_unlock_put(bo);
	return ret;
}

/*
 * A pin restores the whole BO first, a chunk per drm_dev_enter() section
 * as BO_VALIDATE does; the pin itself, in one section, then restores only
 * what was taken again meanwhile.
 */
static int bosh_ioctl_bo_pin(struct drm_device *drm, void *data,
			     struct drm_file *file)
{
	struct drm_bosh_bo_pin *args = data;
	struct drm_gem_object *obj;
	int ret = 0, idx;

	if (args->op > BOSH_UNPIN)
		return -EINVAL;
	if (args->op == BOSH_PIN) {
		obj = drm_gem_object_lookup(file, args->handle);
		if (!obj)
			return -ENOENT;
		if (!bosh_obj_is_import(obj))
			ret = bosh_bo_pin_prepare(to_bosh_bo(obj));
		drm_gem_object_put(obj);
		/* The pin reports a purge (ENODATA) and an import itself. */
		if (ret && ret != -ENODATA)
			return ret;
	}
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = bosh_ioctl_bo_pin_locked(file, args);
	drm_dev_exit(idx);
	return ret;
}

static int bosh_ioctl_bo_busy(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct drm_bosh_bo_busy *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags || !args->usecs || args->usecs > BOSH_BUSY_MAX_US)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = bosh_attach_busy_fence(obj, file->driver_priv, args->usecs);
	drm_gem_object_put(obj);
	return ret;
}

static int bosh_ioctl_bo_info(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct drm_bosh_bo_info *args = data;
	struct drm_gem_object *obj;
	struct bosh_bo *bo;
	int ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (bosh_obj_is_import(obj)) {
		args->size = obj->size;
		args->resident = obj->size >> PAGE_SHIFT;
		args->backed_up = 0;
		args->vram_pages = 0;
		args->backed_up_in_ram = 0;
		args->flags = BOSH_BO_IMPORTED;
		if (!dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_BOOKKEEP))
			args->flags |= BOSH_BO_BUSY;
		drm_gem_object_put(obj);
		return 0;
	}
	bo = bosh_lock_obj(obj, true, &ret);
	if (!bo)
		return ret;
	args->size = bo->base.size;
	args->resident = bo->nr_resident;
	args->backed_up = bo->nr_backed_up;
	args->vram_pages = bo->in_vram ? bo->npages : 0;
	args->backed_up_in_ram = bosh_bo_backed_up_in_ram(bo);
	args->flags = bo->in_vram ? BOSH_BO_IN_VRAM : 0;
	if (bo->shmem)
		args->flags |= BOSH_BO_SHMEM;
	if (bo->madv == BOSH_MADV_DONTNEED)
		args->flags |= BOSH_BO_DONTNEED;
	if (bo->purged)
		args->flags |= BOSH_BO_PURGED;
	if (bo->pin_count)
		args->flags |= BOSH_BO_PINNED;
	if (!bosh_bo_is_idle(bo))
		args->flags |= BOSH_BO_BUSY;
	bosh_unlock_put(bo);
	return 0;
}

/*
 * DRM refuses every ioctl of an unplugged device with ENODEV; one that
 * raced with the unplug runs inside drm_dev_enter(), so drm_dev_unplug()
 * waits for it before it returns. The section holds no user copy (DRM
 * copies the arguments outside it), or user space could hold unbind up:
 * BO_RW enters per page, around its locked part, instead.
 */
#define BOSH_IOCTL_ENTERED(fn)						\
static int fn##_entered(struct drm_device *drm, void *data,		\
			struct drm_file *file)				\
{									\
	int idx, ret;							\
									\
	if (!drm_dev_enter(drm, &idx))					\
		return -ENODEV;						\
	ret = fn(drm, data, file);					\
	drm_dev_exit(idx);						\
	return ret;							\
}

BOSH_IOCTL_ENTERED(bosh_ioctl_bo_create)
BOSH_IOCTL_ENTERED(bosh_ioctl_bo_mmap_offset)
BOSH_IOCTL_ENTERED(bosh_ioctl_bo_madvise)
BOSH_IOCTL_ENTERED(bosh_ioctl_bo_busy)
BOSH_IOCTL_ENTERED(bosh_ioctl_bo_info)

/* SVM's ioctls enter the device per step, around no user copy. */
static int bosh_ioctl_svm_bind(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	return bosh_svm_client_bind(file, data);
}

static int bosh_ioctl_svm_migrate(struct drm_device *drm, void *data,
				  struct drm_file *file)
{
	return bosh_svm_client_migrate(file, data);
}

static int bosh_ioctl_svm_rw(struct drm_device *drm, void *data,
			     struct drm_file *file)
{
	return bosh_svm_client_rw(file, data);
}

static int bosh_ioctl_svm_info(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	return bosh_svm_client_info(file, data);
}

const struct drm_ioctl_desc bosh_ioctls[BOSH_NUM_IOCTLS] = {
	DRM_IOCTL_DEF_DRV(BOSH_BO_CREATE, bosh_ioctl_bo_create_entered, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_BO_MMAP_OFFSET, bosh_ioctl_bo_mmap_offset_entered,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_BO_RW, bosh_ioctl_bo_rw, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_BO_VALIDATE, bosh_ioctl_bo_validate, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_BO_MADVISE, bosh_ioctl_bo_madvise_entered, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_BO_PIN, bosh_ioctl_bo_pin, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_BO_BUSY, bosh_ioctl_bo_busy_entered, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_BO_INFO, bosh_ioctl_bo_info_entered, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_SVM_BIND, bosh_ioctl_svm_bind, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_SVM_MIGRATE, bosh_ioctl_svm_migrate, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_SVM_RW, bosh_ioctl_svm_rw, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(BOSH_SVM_INFO, bosh_ioctl_svm_info, DRM_RENDER_ALLOW),
};
