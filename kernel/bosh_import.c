// SPDX-License-Identifier: GPL-2.0-only
/*
 * Foreign PRIME import: a BO exported by another bosh device. The
 * attachment pins the exporter's BO (resident, never shrunk) until the
 * importer's object is freed, so the importer may use the pages from
 * the mapped sg_table without a lock of its own.
 */
#include <linux/dma-buf.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>

#include "bosh_drv.h"

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

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return ERR_PTR(-ENOMEM);
	imp->pages = kvcalloc(size >> PAGE_SHIFT, sizeof(*imp->pages),
			      GFP_KERNEL);
	if (!imp->pages)
		goto err_free;
	ret = drm_prime_sg_to_page_array(sgt, imp->pages, size >> PAGE_SHIFT);
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
		size_t off = offset_in_page(offset);
		size_t len = min_t(u64, size, PAGE_SIZE - off);

		if (bosh_copy_page_user(imp->pages[offset >> PAGE_SHIFT], off,
					data, len, write))
			return -EFAULT;
		offset += len;
		data += len;
		size -= len;
	}
	return 0;
}
