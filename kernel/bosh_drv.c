// SPDX-License-Identifier: GPL-2.0-only
/*
 * bosh: a virtual DRM render device whose buffer objects live in system
 * pages, with a shrinker that purges or backs them up under memory
 * pressure and restores them, intact, on use.
 *
 * Each device is a platform device bosh.N (DRM's unique name) with a
 * render node.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/wait_bit.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>

#include "bosh_debugfs.h"
#include "bosh_drv.h"
#include "bosh_fdinfo.h"
#include "bosh_fence.h"
#include "bosh_ioctl.h"
#include "bosh_prime.h"
#include "bosh_shrinker.h"
#include "bosh_svm.h"
#include "bosh_sysfs.h"
#include "bosh_pages.h"

#define BOSH_MAX_DEVICES	8

static unsigned int devices = 1;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices, "Number of bosh devices (1-8, default 1)");

/* All devices' VRAM together may take at most half the RAM. */
static unsigned int vram_mb;
module_param(vram_mb, uint, 0444);
MODULE_PARM_DESC(vram_mb, "Simulated VRAM per device in MiB (default 0: none)");

#if defined(BOSH_TEST_HOOKS) && defined(CONFIG_FAULT_INJECTION)
/*
 * The load's own fail-nth: the Nth allocation that fault injection may
 * fail (failslab, fail_page_alloc, with their filters) during bosh_init()
 * fails, so a test can walk every failure of the probe and init paths
 * without failing the module loader or user space around them. After
 * init the parameter reads what was left of the count: non-zero once N
 * is past init's last allocation, which ends the walk.
 */
static unsigned int init_fail_nth;
module_param(init_fail_nth, uint, 0444);
MODULE_PARM_DESC(init_fail_nth, "Test hooks: fail the Nth allocation of this load's init");

static void bosh_init_fail_nth(unsigned int n)
{
	if (!n)
		init_fail_nth = READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, n);
}

/*
 * DRM core's and the slab allocator's own allocations are left out of the
 * walk, for two 6.12 bugs on their failure paths: a failure of
 * drm_sysfs_minor_alloc() leaves an ERR_PTR in minor->kdev, which
 * drm_minor_alloc_release() then puts (a GPF in kobject_put()); and
 * sysfs_slab_add() does not put the kobject whose kobject_init_and_add()
 * failed, so kmem_cache_create() leaks the cache's sysfs name (kmemleak).
 */
static unsigned int bosh_nth_held;

static void bosh_nth_hold(void)
{
	bosh_nth_held = READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
}

static void bosh_nth_release(void)
{
	WRITE_ONCE(current->fail_nth, bosh_nth_held);
}
#else
static const unsigned int init_fail_nth;

static void bosh_init_fail_nth(unsigned int n)
{
}

static void bosh_nth_hold(void)
{
}

static void bosh_nth_release(void)
{
}
#endif

struct workqueue_struct *bosh_wq;
/*
 * Devices not yet released. Unload waits for them: with every file,
 * dma-buf and fence gone, only a scan that still held a BO can keep one,
 * and its deferred put is on bosh_wq, which must not be draining yet.
 */
static atomic_t bosh_live_devices = ATOMIC_INIT(0);
static struct platform_device *bosh_pdevs[BOSH_MAX_DEVICES];

static const struct file_operations bosh_fops = {
	.owner = THIS_MODULE,
	DRM_GEM_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

static int bosh_drm_open(struct drm_device *drm, struct drm_file *file)
{
	return bosh_client_open(file);
}

static void bosh_drm_postclose(struct drm_device *drm, struct drm_file *file)
{
	bosh_svm_client_close(file);
	bosh_client_close(file);
}

static const struct drm_driver bosh_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER,
	.open = bosh_drm_open,
	.postclose = bosh_drm_postclose,
	.ioctls = bosh_ioctls,
	.num_ioctls = BOSH_NUM_IOCTLS,
	.fops = &bosh_fops,
	.show_fdinfo = bosh_show_fdinfo,
	.gem_prime_import = bosh_bo_prime_import,
	.gem_prime_import_sg_table = bosh_gem_prime_import_sg_table,
	.name = "bosh",
	.desc = "buffer-object shrinker test device",
	.date = "20261122",
	.major = 1,
	.minor = 0,
};

/*
 * The store and the shrinker live as long as the drm_device: after an
 * unplug, open files, mappings, dma-bufs and BOs still use them, and each
 * BO holds a reference to the device until it is freed.
 */
static void bosh_device_fini(struct drm_device *drm, void *unused)
{
	struct bosh_device *bdev = to_bosh_device(drm);
	int i;

	/* Every BO is gone: a gauge or byte count left over is a leak. */
	for (i = 0; i < BOSH_STAT_NR_GAUGES; i++)
		WARN(bosh_stat_read(bdev, i), "bosh.%d: gauge %d left at %ld\n",
		     bdev->id, i, bosh_stat_read(bdev, i));
	WARN(bdev->bytes_total, "bosh.%d: %llu BO bytes left counted\n",
	     bdev->id, bdev->bytes_total);
	bosh_vram_fini(&bdev->vram);
	bosh_shrinker_fini(bdev);
	bosh_backup_destroy(bdev->store);
	if (atomic_dec_and_test(&bosh_live_devices))
		wake_up_var(&bosh_live_devices);
}

/* Per device: a share of RAM, so one client cannot ask for all of it. */
static unsigned int bosh_default_max_bo_mb(void)
{
	unsigned long pages = totalram_pages() >> BOSH_DEFAULT_MAX_BO_RAM_SHIFT;

	return clamp(pages >> (20 - PAGE_SHIFT), 1UL, (unsigned long)BOSH_KNOB_MB_MAX);
}

static int bosh_probe(struct platform_device *pdev)
{
	struct bosh_device *bdev;
	char name[32];
	int ret;

	/* Importers map other devices' BOs: no bounce buffers, one segment per run. */
	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	dma_set_max_seg_size(&pdev->dev, UINT_MAX & PAGE_MASK);

	bosh_nth_hold();
	bdev = devm_drm_dev_alloc(&pdev->dev, &bosh_drm_driver,
				  struct bosh_device, drm);
	bosh_nth_release();
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	bdev->id = pdev->id;
	spin_lock_init(&bdev->groups_lock);
	INIT_LIST_HEAD(&bdev->groups);
	spin_lock_init(&bdev->shmem_lock);
	INIT_LIST_HEAD(&bdev->shmem_bos);
	mutex_init(&bdev->limits_lock);
	bdev->shrinker_enabled = 1;
	bdev->swap_reserve_mb = BOSH_DEFAULT_SWAP_RESERVE_MB;
	bdev->max_bo_mb = bosh_default_max_bo_mb();
	bdev->max_pinned_mb = BOSH_DEFAULT_MAX_PINNED_MB;
	bdev->max_vram_pinned_mb = vram_mb / 2;
	bosh_faults_init(&bdev->faults);
	platform_set_drvdata(pdev, bdev);

	snprintf(name, sizeof(name), "bosh.%d-store", bdev->id);
	bdev->store = bosh_backup_create(name);
	if (IS_ERR(bdev->store))
		return PTR_ERR(bdev->store);
	ret = bosh_shrinker_init(bdev);
	if (ret) {
		bosh_backup_destroy(bdev->store);
		return ret;
	}
	ret = bosh_vram_init(&bdev->vram, vram_mb);
	if (ret) {
		bosh_shrinker_fini(bdev);
		bosh_backup_destroy(bdev->store);
		return ret;
	}
	atomic_inc(&bosh_live_devices);
	ret = drmm_add_action_or_reset(&bdev->drm, bosh_device_fini, NULL);
	if (ret)
		return ret;
	ret = bosh_svm_init(bdev);
	if (ret)
		return ret;
	bosh_nth_hold();
	ret = drm_dev_register(&bdev->drm, 0);
	bosh_nth_release();
	if (ret) {
		bosh_svm_fini(bdev);
		return ret;
	}
	bosh_debugfs_init(bdev);
	return 0;
}

/*
 * Unbind with files, mappings and dma-bufs still open: the device goes
 * away for user space (ioctls fail with ENODEV, mappings are zapped and
 * refault with SIGBUS), and the rest is torn down by the last reference.
 */
static void bosh_remove(struct platform_device *pdev)
{
	struct bosh_device *bdev = platform_get_drvdata(pdev);

	bosh_debugfs_fini(bdev);
	drm_dev_unplug(&bdev->drm);
	/* No SVM ioctl runs now: the pages in VRAM go back to their processes. */
	bosh_svm_fini(bdev);
}

static struct platform_driver bosh_platform_driver = {
	.probe = bosh_probe,
	.remove = bosh_remove,
	.driver = {
		.name = "bosh",
		.dev_groups = bosh_sysfs_groups,
	},
};

/*
 * Unregister the devices and the driver, then wait for every device to be
 * released: an unbound device lives on while a file, a dma-buf or a scan
 * holds it, and its release runs module code. Unload and a failed load
 * both end here.
 */
static void bosh_unregister_devices(void)
{
	int i;

	for (i = 0; i < BOSH_MAX_DEVICES; i++) {
		if (bosh_pdevs[i])
			platform_device_unregister(bosh_pdevs[i]);
		bosh_pdevs[i] = NULL;
	}
	platform_driver_unregister(&bosh_platform_driver);
	wait_var_event(&bosh_live_devices, !atomic_read(&bosh_live_devices));
}

static int bosh_register_devices(void)
{
	unsigned int i;
	int ret;

	ret = platform_driver_register(&bosh_platform_driver);
	if (ret)
		return ret;
	for (i = 0; i < devices; i++) {
		struct platform_device *pdev;

		pdev = platform_device_register_simple("bosh", i, NULL, 0);
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			goto err_devices;
		}
		bosh_pdevs[i] = pdev;
		/* A failed probe leaves the device registered but unbound. */
		if (!platform_get_drvdata(pdev)) {
			ret = -ENODEV;
			goto err_devices;
		}
	}
	return 0;

err_devices:
	bosh_unregister_devices();
	return ret;
}

static int __init bosh_init(void)
{
	int ret;

	if (!devices || devices > BOSH_MAX_DEVICES)
		return -EINVAL;
	if ((u64)vram_mb * devices > totalram_pages() >> (21 - PAGE_SHIFT))
		return -EINVAL;
	bosh_init_fail_nth(init_fail_nth);
	ret = -ENOMEM;
	bosh_wq = alloc_workqueue("bosh", WQ_UNBOUND, 0);
	if (!bosh_wq)
		goto out;
	bosh_nth_hold();
	ret = bosh_group_module_init();
	bosh_nth_release();
	if (ret)
		goto err_wq;
	bosh_debugfs_module_init();
	ret = bosh_register_devices();
	if (!ret)
		goto out;
	bosh_debugfs_module_exit();
	bosh_group_module_exit();
err_wq:
	destroy_workqueue(bosh_wq);
out:
	bosh_init_fail_nth(0);
	return ret;
}

static void __exit bosh_exit(void)
{
	bosh_unregister_devices();
	WARN(bosh_pages_held(), "bosh: %ld pages leaked\n", bosh_pages_held());
	bosh_debugfs_module_exit();
	bosh_group_module_exit();
	destroy_workqueue(bosh_wq);
}

module_init(bosh_init);
module_exit(bosh_exit);

MODULE_DESCRIPTION("bosh: virtual DRM device with a buffer-object shrinker");
MODULE_LICENSE("GPL");
