// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs, root only: counters, objects, and the shrink, purge and evict
 * triggers, in DRM's per-device directory with a stable alias under
 * /sys/kernel/debug/bosh/.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_bo.h"
#include "bosh_bo_shmem.h"
#include "bosh_debugfs.h"
#include "bosh_drv.h"
#include "bosh_shrinker.h"
#include "bosh_walk.h"
#include "bosh_pages.h"
#include "bosh_place.h"

static struct dentry *bosh_debugfs_root;

static const char *const bosh_stat_names[BOSH_STAT_COUNT] = {
	[BOSH_STAT_BOS] = "bos",
	[BOSH_STAT_PAGES_TOTAL] = "pages_total",
	[BOSH_STAT_PAGES_RESIDENT] = "pages_resident",
	[BOSH_STAT_PAGES_BACKED_UP] = "pages_backed_up",
	[BOSH_STAT_PAGES_PURGEABLE] = "pages_purgeable",
	[BOSH_STAT_PAGES_PURGEABLE_BACKED_UP] = "pages_purgeable_backed_up",
	[BOSH_STAT_PAGES_BACKUPABLE] = "pages_backupable",
	[BOSH_STAT_PAGES_PINNED] = "pages_pinned",
	[BOSH_STAT_VRAM_PAGES_USED] = "vram_pages_used",
	[BOSH_STAT_SVM_PAGES] = "svm_pages",
	[BOSH_STAT_PURGED_TOTAL] = "purged_total",
	[BOSH_STAT_BACKED_UP_TOTAL] = "backed_up_total",
	[BOSH_STAT_RESTORED_TOTAL] = "restored_total",
	[BOSH_STAT_WRITTEN_BACK_TOTAL] = "written_back_total",
	[BOSH_STAT_SCANS_TOTAL] = "scans_total",
	[BOSH_STAT_SCANS_KSWAPD_TOTAL] = "scans_kswapd_total",
	[BOSH_STAT_SCANS_DIRECT_TOTAL] = "scans_direct_total",
	[BOSH_STAT_SCANS_MEMCG_TOTAL] = "scans_memcg_total",
	[BOSH_STAT_SCANS_DEBUGFS_TOTAL] = "scans_debugfs_total",
	[BOSH_STAT_SCANS_SHRINKER_DEBUG_TOTAL] = "scans_shrinker_debug_total",
	[BOSH_STAT_SCANNED_TOTAL] = "scanned_total",
	[BOSH_STAT_FREED_TOTAL] = "freed_total",
	[BOSH_STAT_BACKUP_ERRORS_TOTAL] = "backup_errors_total",
	[BOSH_STAT_RESTORE_ERRORS_TOTAL] = "restore_errors_total",
	[BOSH_STAT_RESTORE_INTERRUPTED_TOTAL] = "restore_interrupted_total",
	[BOSH_STAT_SKIPPED_BUSY_TOTAL] = "skipped_busy_total",
	[BOSH_STAT_SKIPPED_LOCKED_TOTAL] = "skipped_locked_total",
	[BOSH_STAT_SKIPPED_IN_USE_TOTAL] = "skipped_in_use_total",
	[BOSH_STAT_BACKUP_VISITED_TOTAL] = "backup_slots_visited_total",
	[BOSH_STAT_BACKUP_ZAPPED_TOTAL] = "backup_pages_zapped_total",
	[BOSH_STAT_VRAM_EVICTED_TOTAL] = "vram_evicted_total",
	[BOSH_STAT_VRAM_BACKOFFS_TOTAL] = "vram_backoffs_total",
	[BOSH_STAT_VRAM_FALLBACKS_TOTAL] = "vram_fallbacks_total",
	[BOSH_STAT_VRAM_BACKOFF_US_TOTAL] = "vram_backoff_us_total",
	[BOSH_STAT_VRAM_VALIDATE_FAILED_TOTAL] = "vram_validate_failed_total",
	[BOSH_STAT_SVM_MIGRATED_TOTAL] = "svm_migrated_total",
	[BOSH_STAT_SVM_EVICTED_TOTAL] = "svm_evicted_total",
	[BOSH_STAT_SVM_FAULTED_TOTAL] = "svm_faulted_total",
	[BOSH_STAT_SVM_FAULT_SIGBUS_TOTAL] = "svm_fault_sigbus_total",
	[BOSH_STAT_SVM_GAVE_UP_TOTAL] = "svm_gave_up_total",
};

static int bosh_stats_show(struct seq_file *m, void *unused)
{
	struct bosh_device *bdev = m->private;
	struct bosh_backup_stats store;
	int i;

	for (i = 0; i < BOSH_STAT_COUNT; i++)
		seq_printf(m, "%s %ld\n", bosh_stat_names[i], bosh_stat_read(bdev, i));
	seq_printf(m, "pages_shrinkable %lu\n", bosh_shrinker_count_pages(bdev));
	bosh_backup_stats(bdev->store, &store);
	seq_printf(m, "store_pages %lu\n", store.stored);
	seq_printf(m, "store_unwritten %lu\n", store.unwritten);
	seq_printf(m, "shmem_unwritten %ld\n", bosh_shmem_unwritten(bdev));
	/* A capacity, and VRAM no eviction can free: not BO gauges. */
	seq_printf(m, "vram_pages_total %lu\n", bdev->vram.npages);
	seq_printf(m, "vram_pages_pinned %ld\n", bosh_vram_pinned(&bdev->vram));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bosh_stats);

static void bosh_objects_show_bo(struct bosh_bo *bo, void *m)
{
	seq_printf(m, "%u %zu %lu %lu %s %u %d %lu\n", bo->id, bo->base.size,
		   READ_ONCE(bo->nr_resident), READ_ONCE(bo->nr_backed_up),
		   READ_ONCE(bo->purged) ? "purged" :
		   READ_ONCE(bo->madv) == BOSH_MADV_DONTNEED ?
		   "dontneed" : "willneed",
		   READ_ONCE(bo->pin_count), !bosh_bo_is_idle(bo),
		   READ_ONCE(bo->in_vram) ? bo->npages : 0);
}

static int bosh_objects_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "id size resident backed_up madv pinned busy vram\n");
	bosh_walk_visit_bos(m->private, m, bosh_objects_show_bo);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bosh_objects);

static int bosh_vram_show_file(struct seq_file *m, void *unused)
{
	bosh_place_show(m->private, m);
	return 0;
}

static int bosh_vram_open(struct inode *inode, struct file *file)
{
	return single_open(file, bosh_vram_show_file, inode->i_private);
}

static const struct file_operations bosh_vram_fops = {
	.owner = THIS_MODULE,
	.open = bosh_vram_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

static int bosh_pages_held_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%ld\n", bosh_pages_held());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bosh_pages_held);

static int bosh_faults_in_kswapd_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%ld\n", atomic_long_read(&bosh_faults_in_kswapd));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bosh_faults_in_kswapd);

/* Parse an unsigned decimal in [min, max]; anything else is -EINVAL. */
static int bosh_parse_ulong(const char __user *ubuf, size_t len,
			    unsigned long min, unsigned long max,
			    unsigned long *val)
{
	int ret = kstrtoul_from_user(ubuf, len, 10, val);

	if (ret)
		return ret == -ERANGE ? -EINVAL : ret;
	return *val < min || *val > max ? -EINVAL : 0;
}

static ssize_t bosh_shrink_write(struct file *f, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct bosh_device *bdev = file_inode(f)->i_private;
	unsigned long nr;
	int ret;

	int idx;

	ret = bosh_parse_ulong(ubuf, len, 1, LONG_MAX, &nr);
	if (ret)
		return ret;
	if (!drm_dev_enter(&bdev->drm, &idx))
		return -ENODEV;
	WRITE_ONCE(bdev->last_shrink_freed, bosh_shrink_as_reclaim(bdev, nr));
	drm_dev_exit(idx);
	return len;
}

static ssize_t bosh_shrink_read(struct file *f, char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct bosh_device *bdev = file_inode(f)->i_private;
	char buf[24];
	int n = scnprintf(buf, sizeof(buf), "%lu\n", READ_ONCE(bdev->last_shrink_freed));

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations bosh_shrink_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = bosh_shrink_read,
	.write = bosh_shrink_write,
	.llseek = default_llseek,
};

static ssize_t bosh_trigger_write(struct file *f, const char __user *ubuf,
				  size_t len, long (*fn)(struct bosh_device *))
{
	struct bosh_device *bdev = file_inode(f)->i_private;
	unsigned long v;
	long ret;
	int idx;

	ret = bosh_parse_ulong(ubuf, len, 1, 1, &v);
	if (ret)
		return ret;
	if (!drm_dev_enter(&bdev->drm, &idx))
		return -ENODEV;
	ret = fn(bdev);
	drm_dev_exit(idx);
	return ret < 0 ? ret : len;
}

static ssize_t bosh_purge_write(struct file *f, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	return bosh_trigger_write(f, ubuf, len, bosh_purge_all);
}

static ssize_t bosh_evict_write(struct file *f, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	return bosh_trigger_write(f, ubuf, len, bosh_evict_all);
}

static ssize_t bosh_evict_vram_write(struct file *f, const char __user *ubuf,
				     size_t len, loff_t *ppos)
{
	return bosh_trigger_write(f, ubuf, len, bosh_place_evict_all);
}

static const struct file_operations bosh_evict_vram_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bosh_evict_vram_write,
	.llseek = noop_llseek,
};

static const struct file_operations bosh_purge_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bosh_purge_write,
	.llseek = noop_llseek,
};

static const struct file_operations bosh_evict_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bosh_evict_write,
	.llseek = noop_llseek,
};

#ifdef BOSH_TEST_HOOKS
static ssize_t bosh_test_corrupt_write(struct file *f, const char __user *ubuf,
				       size_t len, loff_t *ppos)
{
	struct bosh_device *bdev = file_inode(f)->i_private;
	unsigned long v;
	int ret;

	ret = bosh_parse_ulong(ubuf, len, 0, INT_MAX, &v);
	if (ret)
		return ret;
	atomic_set(&bdev->test_corrupt_restores, v);
	return len;
}

static const struct file_operations bosh_test_corrupt_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bosh_test_corrupt_write,
	.llseek = noop_llseek,
};

/* 0 GFP_KERNEL, 1 GFP_NOFS, 2 GFP_NOIO: the reclaim contexts to test. */
static ssize_t bosh_test_gfp_write(struct file *f, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	static const gfp_t masks[] = { GFP_KERNEL, GFP_NOFS, GFP_NOIO };
	struct bosh_device *bdev = file_inode(f)->i_private;
	unsigned long v;
	int ret;

	ret = bosh_parse_ulong(ubuf, len, 0, ARRAY_SIZE(masks) - 1, &v);
	if (ret)
		return ret;
	WRITE_ONCE(bdev->test_shrink_gfp, masks[v]);
	return len;
}

static const struct file_operations bosh_test_gfp_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bosh_test_gfp_write,
	.llseek = noop_llseek,
};
#endif

/**
 * bosh_debugfs_init() - create a device's debugfs files and alias
 * @bdev: the device, registered with DRM
 */
void bosh_debugfs_init(struct bosh_device *bdev)
{
	struct dentry *dir = bdev->drm.debugfs_root;
	char target[64];

	if (IS_ERR_OR_NULL(dir))
		return;
	debugfs_create_file("stats", 0400, dir, bdev, &bosh_stats_fops);
	debugfs_create_file("objects", 0400, dir, bdev, &bosh_objects_fops);
	debugfs_create_file("shrink", 0600, dir, bdev, &bosh_shrink_fops);
	debugfs_create_file("purge", 0200, dir, bdev, &bosh_purge_fops);
	debugfs_create_file("evict", 0200, dir, bdev, &bosh_evict_fops);
	debugfs_create_file("vram", 0400, dir, bdev, &bosh_vram_fops);
	debugfs_create_file("evict_vram", 0200, dir, bdev, &bosh_evict_vram_fops);
	bosh_vram_debugfs(&bdev->vram, dir);
	bosh_svm_debugfs(bdev, dir);
	bosh_faults_debugfs(&bdev->faults, dir);
	bosh_backup_debugfs(bdev->store, dir);
#ifdef BOSH_TEST_HOOKS
	/* Test builds only: corrupt the next N restored pages. */
	debugfs_create_file("test_corrupt_restore", 0200, dir, bdev,
			    &bosh_test_corrupt_fops);
	/* Test builds only: run debugfs shrink as GFP_NOFS or GFP_NOIO. */
	debugfs_create_file("test_shrink_gfp", 0200, dir, bdev,
			    &bosh_test_gfp_fops);
	/* Test builds only: hold a BO's lock, for signals to meet a waiter. */
	bosh_test_hold_debugfs(bdev, dir);
#endif

	snprintf(target, sizeof(target), "../dri/%s", bdev->drm.unique);
	bdev->debugfs_alias = debugfs_create_symlink(bdev->drm.unique,
						     bosh_debugfs_root, target);
}

/**
 * bosh_debugfs_fini() - remove a device's alias; DRM removes the rest
 * @bdev: the device
 */
void bosh_debugfs_fini(struct bosh_device *bdev)
{
	debugfs_remove(bdev->debugfs_alias);
}

/**
 * bosh_debugfs_module_init() - create /sys/kernel/debug/bosh
 *
 * debugfs failures are not fatal: the alias is just missing.
 */
void bosh_debugfs_module_init(void)
{
	bosh_debugfs_root = debugfs_create_dir("bosh", NULL);
	debugfs_create_file("pages_held", 0400, bosh_debugfs_root, NULL,
			    &bosh_pages_held_fops);
	debugfs_create_file("faults_in_kswapd", 0400, bosh_debugfs_root, NULL,
			    &bosh_faults_in_kswapd_fops);
}

/**
 * bosh_debugfs_module_exit() - remove /sys/kernel/debug/bosh
 */
void bosh_debugfs_module_exit(void)
{
	debugfs_remove(bosh_debugfs_root);
}
