// SPDX-License-Identifier: GPL-2.0-only
/*
 * BO_BUSY: a fence that signals after a delay, standing in for a GPU
 * job in flight, so tests can check that busy BOs are never shrunk.
 */
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "bosh_drv.h"

struct bosh_fence {
	struct dma_fence base;
	spinlock_t lock;	/* the fence's own lock, as dma_fence wants */
	struct hrtimer timer;
};

/* Timers still armed; module unload waits for them. */
static atomic_t bosh_fences_armed = ATOMIC_INIT(0);

static const char *bosh_fence_driver_name(struct dma_fence *f)
{
	return "bosh";
}

static const char *bosh_fence_timeline_name(struct dma_fence *f)
{
	return "busy";
}

static const struct dma_fence_ops bosh_fence_ops = {
	.get_driver_name = bosh_fence_driver_name,
	.get_timeline_name = bosh_fence_timeline_name,
};

static enum hrtimer_restart bosh_fence_timer(struct hrtimer *t)
{
	struct bosh_fence *f = container_of(t, struct bosh_fence, timer);

	dma_fence_signal(&f->base);
	dma_fence_put(&f->base);
	if (atomic_dec_and_test(&bosh_fences_armed))
		wake_up_var(&bosh_fences_armed);
	return HRTIMER_NORESTART;
}

/**
 * bosh_attach_busy_fence() - make an object busy for @usecs
 * @bdev: the device whose "job" the fence stands for
 * @obj: a BO, or a foreign import sharing its exporter's dma_resv
 * @usecs: microseconds, already range-checked
 *
 * Return: 0 or a negative errno.
 */
int bosh_attach_busy_fence(struct bosh_device *bdev, struct drm_gem_object *obj,
			   u64 usecs)
{
	struct bosh_fence *f;
	int ret;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &bosh_fence_ops, &f->lock, bdev->fence_context,
		       atomic64_inc_return(&bdev->fence_seqno));

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out_put;
	ret = dma_resv_reserve_fences(obj->resv, 1);
	if (!ret)
		dma_resv_add_fence(obj->resv, &f->base, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(obj->resv);
	if (ret)
		goto out_put;

	/* The timer owns the initial reference. */
	atomic_inc(&bosh_fences_armed);
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	f->timer.function = bosh_fence_timer;
	hrtimer_start(&f->timer, ns_to_ktime(usecs * NSEC_PER_USEC),
		      HRTIMER_MODE_REL);
	return 0;

out_put:
	dma_fence_put(&f->base);
	return ret;
}

/**
 * bosh_fences_wait_all() - wait until every busy timer has fired
 *
 * The timer callbacks are module code: unload waits for them.
 */
void bosh_fences_wait_all(void)
{
	wait_var_event(&bosh_fences_armed, !atomic_read(&bosh_fences_armed));
}
