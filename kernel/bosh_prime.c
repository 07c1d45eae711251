// SPDX-License-Identifier: GPL-2.0-only
/*
 * PRIME, both sides. Export: a BO becomes a dma-buf with bosh's own ops
 * (no mmap through the fd), and a foreign attachment pins it until it
 * detaches. Import: a BO exported by this device comes back as itself;
 * one of another bosh device is attached, which pins it (resident, never
 * shrunk) until the importer's object is freed, so the importer may use
 * the pages from the mapped sg_table without a lock of its own.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>

#include "bosh_bo.h"
#include "bosh_bo_vram.h"
#include "bosh_prime.h"
#include "bosh_slot.h"

/**
 * bosh_bo_attach_pin() - the &drm_gem_object_funcs.pin of a BO
 * @obj: the BO, its resv held
 *
 * A foreign attachment pins the BO until it detaches; the restore may be
 * interrupted, as BO_PIN's may. An unpinned BO in VRAM moves to system
 * memory first: the importer gets system pages, and VRAM is not held by
 * a device that cannot evict it.
 *
 * Return: 0 or an error of bosh_bo_pin_locked().
 */
int bosh_bo_attach_pin(struct drm_gem_object *obj)
{
	struct bosh_bo *bo = to_bosh_bo(obj);

	/*
	 * Another device maps system pages: an unpinned BO leaves VRAM,
	 * once idle, as nothing moves busy.
	 */
	if (bo->in_vram && !bo->pin_count) {
		long wait = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP,
						  true, MAX_SCHEDULE_TIMEOUT);

		if (wait < 0)
			return wait;
		wait = bosh_bo_evict_vram_locked(bo);
		if (wait)
			return wait;
	}
	return bosh_bo_pin_locked(bo, true);
}

/**
 * bosh_bo_attach_unpin() - the &drm_gem_object_funcs.unpin of a BO
 * @obj: the BO, its resv held, pinned by the detaching attachment
 */
void bosh_bo_attach_unpin(struct drm_gem_object *obj)
{
	bosh_bo_unpin_locked(to_bosh_bo(obj));
}

/**
 * bosh_bo_get_sg_table() - the &drm_gem_object_funcs.get_sg_table of a BO
 * @obj: the BO, its resv held, pinned by an attachment
 *
 * DRM's helper merges physically contiguous runs into one segment.
 *
 * Return: the pinned BO's pages as a new sg_table, or an ERR_PTR().
 */
struct sg_table *bosh_bo_get_sg_table(struct drm_gem_object *obj)
{
	struct bosh_bo *bo = to_bosh_bo(obj);
	struct sg_table *sgt;
	struct page **pages;
	pgoff_t i;

	dma_resv_assert_held(obj->resv);
	if (WARN_ON_ONCE(!bo->pin_count))
		return ERR_PTR(-EINVAL);
	pages = kvmalloc_array(bo->npages, sizeof(*pages), BOSH_CLIENT_GFP);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < bo->npages; i++)
		pages[i] = bosh_slot_page(bo->slots[i]);
	sgt = drm_prime_pages_to_sg(obj->dev, pages, bo->npages);
	kvfree(pages);
	return sgt;
}

/*
 * No .mmap: a dma-buf mapping would escape the unmap-before-backup rule,
 * so mmap of the dma-buf fd fails with EINVAL.
 */
static const struct dma_buf_ops bosh_dmabuf_ops = {
	.attach = drm_gem_map_attach,
	.detach = drm_gem_map_detach,
	.map_dma_buf = drm_gem_map_dma_buf,
	.unmap_dma_buf = drm_gem_unmap_dma_buf,
	.release = drm_gem_dmabuf_release,
};

/**
 * bosh_bo_prime_export() - the &drm_gem_object_funcs.export of a BO
 * @obj: the BO
 * @flags: the dma-buf file's flags
 *
 * Return: the dma-buf, with bosh's ops, or an ERR_PTR().
 */
struct dma_buf *bosh_bo_prime_export(struct drm_gem_object *obj, int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);

	exp_info.ops = &bosh_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;
	return drm_gem_dmabuf_export(obj->dev, &exp_info);
}

/**
 * bosh_bo_prime_import() - import a dma-buf
 * @dev: the importing device
 * @dma_buf: the buffer
 *
 * A BO exported by this device comes back as the same object (bosh uses
 * its own dma_buf_ops, so the core cannot tell). A BO of another bosh
 * device is attached, which pins it, and mapped: see
 * bosh_gem_prime_import_sg_table(). Other exporters' buffers are refused
 * with -EINVAL, since bosh reads imports through their struct pages.
 *
 * Return: the object or an ERR_PTR().
 */
struct drm_gem_object *bosh_bo_prime_import(struct drm_device *dev,
					    struct dma_buf *dma_buf)
{
	struct drm_gem_object *obj = dma_buf->priv;

	if (dma_buf->ops != &bosh_dmabuf_ops)
		return ERR_PTR(-EINVAL);
	if (obj->dev == dev) {
		drm_gem_object_get(obj);
		return obj;
	}
	return drm_gem_prime_import(dev, dma_buf);
}

/**
 * struct bosh_import - another device's BO, seen through its attachment
 * @base: the GEM object; its resv is the exporter's
 * @sgt: the mapped attachment
 * @pages: the exporter's pages, pinned for the attachment's life
 */
struct bosh_import {
	struct drm_gem_object base;
	struct sg_table *sgt;
	struct page **pages;
};

static struct bosh_import *to_bosh_import(struct drm_gem_object *obj)
{
	return container_of(obj, struct bosh_import, base);
}

static void bosh_import_free(struct drm_gem_object *obj)
{
	struct bosh_import *imp = to_bosh_import(obj);

	/* Unmaps and detaches: the exporter's BO is unpinned here. */
	drm_prime_gem_destroy(obj, imp->sgt);
	drm_gem_object_release(obj);
	kvfree(imp->pages);
	kfree(imp);
}

static const struct drm_gem_object_funcs bosh_import_funcs = {
	.free = bosh_import_free,
};

/**
 * bosh_obj_is_import() - is this a foreign import?
 * @obj: a GEM object of a bosh device
 *
 * Return: true for a &struct bosh_import, false for a &struct bosh_bo.
 */
bool bosh_obj_is_import(const struct drm_gem_object *obj)
{
	return obj->funcs == &bosh_import_funcs;
}

/*
 * The pages of a mapped sg_table, one per entry of @pages: -EINVAL unless
 * it covers exactly @n pages. Not drm_prime_sg_to_page_array(), which
 * 6.12 deprecates with a WARN.
 */
static int bosh_import_pages(struct sg_table *sgt, struct page **pages,
			     pgoff_t n)
{
	struct sg_page_iter iter;
	pgoff_t i = 0;

	for_each_sgtable_page(sgt, &iter, 0) {
		if (i == n)
			return -EINVAL;
		pages[i++] = sg_page_iter_page(&iter);
	}
	return i == n ? 0 : -EINVAL;
}

/**
 * bosh_gem_prime_import_sg_table() - wrap an attached, mapped dma-buf
 * @dev: the importing device
 * @attach: the attachment; attaching pinned the exporter's BO
 * @sgt: the mapped sg_table
 *
 * Return: the new object or an ERR_PTR().
 */
struct drm_gem_object *
bosh_gem_prime_import_sg_table(struct drm_device *dev,
			       struct dma_buf_attachment *attach,
			       struct sg_table *sgt)
{
	size_t size = attach->dmabuf->size;
	struct bosh_import *imp;
	int ret = -ENOMEM;

	imp = kzalloc(sizeof(*imp), BOSH_CLIENT_GFP);
	if (!imp)
		return ERR_PTR(-ENOMEM);
	imp->pages = kvcalloc(size >> PAGE_SHIFT, sizeof(*imp->pages),
			      BOSH_CLIENT_GFP);
	if (!imp->pages)
		goto err_free;
	ret = bosh_import_pages(sgt, imp->pages, size >> PAGE_SHIFT);
	if (ret)
		goto err_free;
	imp->sgt = sgt;
	imp->base.funcs = &bosh_import_funcs;
	drm_gem_private_object_init(dev, &imp->base, size);
	return &imp->base;

err_free:
	kvfree(imp->pages);
	kfree(imp);
	return ERR_PTR(ret);
}

/**
 * bosh_import_rw() - copy between a foreign import and user memory
 * @obj: the import, referenced
 * @write: copy from user memory into the exporter's pages
 * @offset: byte offset, range already checked
 * @size: bytes
 * @data: user buffer
 *
 * The pages stay pinned while @obj lives, so no lock is taken: like two
 * GPUs sharing a buffer, concurrent writers on both sides race.
 *
 * Return: 0 or -EFAULT.
 */
int bosh_import_rw(struct drm_gem_object *obj, bool write, u64 offset,
		   u64 size, void __user *data)
{
	struct bosh_import *imp = to_bosh_import(obj);

	if (!bosh_user_range_ok(write, data, size))
		return -EFAULT;
	while (size) {
		int ret = bosh_copy_page_user(imp->pages[offset >> PAGE_SHIFT],
					      write, &offset, &size, &data);

		if (ret)
			return ret;
	}
	return 0;
}
