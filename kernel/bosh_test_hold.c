// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test builds only: hold a BO's reservation lock from a worker, so that a
 * test can signal a call that waits for it, every time. debugfs
 * test_hold_lock: write the BO's id (the first column of objects) to take
 * its lock, the write returning once it is held; write 0 to let it go. It
 * goes after BOSH_TEST_HOLD_MAX anyway. One hold at a time: EBUSY.
 *
 * The lock is taken in a worker, never by the writer: a task may not
 * return to user space holding it.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/workqueue.h>

#include "bosh_drv.h"
#include "bosh_walk.h"
#include "bosh_lru.h"

#define BOSH_TEST_HOLD_MAX	(10 * HZ)

static DEFINE_MUTEX(bosh_hold_mutex);
static struct bosh_bo *bosh_hold_bo;
static DECLARE_COMPLETION(bosh_hold_taken);
static DECLARE_COMPLETION(bosh_hold_release);

static void bosh_hold_fn(struct work_struct *work)
{
	struct bosh_bo *bo = bosh_hold_bo;

	dma_resv_lock(bo->base.resv, NULL);
	complete(&bosh_hold_taken);
	wait_for_completion_timeout(&bosh_hold_release, BOSH_TEST_HOLD_MAX);
	dma_resv_unlock(bo->base.resv);
	drm_gem_object_put(&bo->base);
}

static DECLARE_WORK(bosh_hold_work, bosh_hold_fn);

struct bosh_hold_find {
	u32 id;
	struct bosh_bo *bo;
};

/* Under the LRU's lock: a BO being freed is skipped. */
static void bosh_hold_find_fn(struct bosh_bo *bo, void *arg)
{
	struct bosh_hold_find *f = arg;

	if (!f->bo && bo->id == f->id && kref_get_unless_zero(&bo->base.refcount))
		f->bo = bo;
}

static ssize_t bosh_test_hold_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	struct bosh_device *bdev = file_inode(file)->i_private;
	struct bosh_hold_find f = {};
	int ret;

	ret = kstrtou32_from_user(ubuf, len, 0, &f.id);
	if (ret)
		return ret;
	mutex_lock(&bosh_hold_mutex);
	if (!f.id) {
		complete(&bosh_hold_release);
		flush_work(&bosh_hold_work);
		reinit_completion(&bosh_hold_release);
		goto out;
	}
	ret = -EBUSY;
	if (work_busy(&bosh_hold_work))
		goto out_ret;
	bosh_walk_visit_bos(bdev, &f, bosh_hold_find_fn);
	ret = -ENOENT;
	if (!f.bo)
		goto out_ret;
	bosh_hold_bo = f.bo;
	reinit_completion(&bosh_hold_taken);
	queue_work(bosh_wq, &bosh_hold_work);
	wait_for_completion(&bosh_hold_taken);
out:
	ret = len;
out_ret:
	mutex_unlock(&bosh_hold_mutex);
	return ret;
}

static const struct file_operations bosh_test_hold_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bosh_test_hold_write,
	.llseek = noop_llseek,
};

/**
 * bosh_test_hold_debugfs() - create test_hold_lock in a device's directory
 * @bdev: the device
 * @dir: its debugfs directory
 */
void bosh_test_hold_debugfs(struct bosh_device *bdev, struct dentry *dir)
{
	debugfs_create_file("test_hold_lock", 0200, dir, bdev, &bosh_test_hold_fops);
}
