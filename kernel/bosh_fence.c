// SPDX-License-Identifier: GPL-2.0-only
/*
 * BO_BUSY: a fence that signals after a delay, standing in for a GPU
 * job in flight, so tests can check that busy BOs are never shrunk.
 */
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <drm/drm_file.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_fence.h"

struct bosh_fence {
	struct dma_fence base;
	spinlock_t lock;	/* the fence's own lock, as dma_fence wants */
	struct hrtimer timer;
	struct bosh_client *client;
};

static const char *bosh_fence_driver_name(struct dma_fence *f)
{
	return "bosh";
}

static const char *bosh_fence_timeline_name(struct dma_fence *f)
{
	return "busy";
}

/*
 * A fence can outlive every file and BO of bosh (a sync_file exported
 * from a dma-buf, another driver's resv): each one holds the module, so
 * that its ops are never called in freed module memory. Unload is
 * refused while one lives, rather than waiting for it.
 */
static void bosh_fence_release(struct dma_fence *f)
{
	dma_fence_free(f);
	/*
	 * Last, so that nothing of bosh's runs after the put but this
	 * function's return: the usual window of a module dropping its own
	 * reference, which unload's RCU grace period covers for the timer's
	 * softirq and leaves open only for a preempted closer of a sync_file.
	 */
	module_put(THIS_MODULE);
}

static const struct dma_fence_ops bosh_fence_ops = {
	.get_driver_name = bosh_fence_driver_name,
	.get_timeline_name = bosh_fence_timeline_name,
	.release = bosh_fence_release,
};

static enum hrtimer_restart bosh_fence_timer(struct hrtimer *t)
{
	struct bosh_fence *f = container_of(t, struct bosh_fence, timer);

	dma_fence_signal(&f->base);
	bosh_client_busy_end(f->client);
	dma_fence_put(&f->base);
	return HRTIMER_NORESTART;
}

/* Unsignalled BO_BUSY fences in @resv, which is locked. */
static unsigned int bosh_busy_fences(struct dma_resv *resv)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int n = 0;

	dma_resv_for_each_fence(&cursor, resv, DMA_RESV_USAGE_BOOKKEEP, fence)
		if (fence->ops == &bosh_fence_ops && !dma_fence_is_signaled(fence))
			n++;
	return n;
}

/**
 * bosh_attach_busy_fence() - make an object busy for @usecs
 * @obj: a BO, or a foreign import sharing its exporter's dma_resv
 * @client: the calling file's state, whose unsignalled fences are capped
 * @usecs: microseconds, already range-checked
 *
 * Each fence has a fence context of its own: they signal in timer order,
 * not in creation order, and dma_resv_add_fence() replaces an older fence
 * of the same context, which would leave the BO idle while a longer "job"
 * still runs. Since nothing replaces an unsignalled fence, at most
 * %BOSH_BUSY_MAX_FENCES are outstanding per reservation object, and at
 * most %BOSH_BUSY_MAX_FILE_FENCES per file: the fence is charged to the
 * caller's memcg, the resv's fence list is not, so the cap bounds what
 * stays uncharged.
 *
 * Return: 0, -EBUSY (too many outstanding fences), -ENOMEM (the caller's
 * memcg is at its limit too) or -ERESTARTSYS.
 */
int bosh_attach_busy_fence(struct drm_gem_object *obj,
			   struct bosh_client *client, u64 usecs)
{
	struct bosh_fence *f;
	int ret;

	if (!bosh_client_busy_begin(client))
		return -EBUSY;
	f = kzalloc(sizeof(*f), BOSH_CLIENT_GFP);
	if (!f) {
		bosh_client_busy_end(client);
		return -ENOMEM;
	}
	/* Called from an ioctl: the open file already holds the module. */
	__module_get(THIS_MODULE);
	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &bosh_fence_ops, &f->lock,
		       dma_fence_context_alloc(1), 1);
	f->client = client;

	/* A signal while waiting: restart the call, as the other ioctls do. */
	ret = dma_resv_lock_interruptible(obj->resv, NULL) ? -ERESTARTSYS : 0;
	if (ret)
		goto out_put;
	if (bosh_busy_fences(obj->resv) >= BOSH_BUSY_MAX_FENCES)
		ret = -EBUSY;
	else
		ret = dma_resv_reserve_fences(obj->resv, 1);
	if (!ret)
		dma_resv_add_fence(obj->resv, &f->base, DMA_RESV_USAGE_WRITE);
	dma_resv_unlock(obj->resv);
	if (ret)
		goto out_put;

	/* The timer owns the initial reference and the client's count. */
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	f->timer.function = bosh_fence_timer;
	hrtimer_start(&f->timer, ns_to_ktime(usecs * NSEC_PER_USEC),
		      HRTIMER_MODE_REL);
	return 0;

out_put:
	bosh_client_busy_end(client);
	dma_fence_put(&f->base);
	return ret;
}

/**
 * bosh_client_open() - the state of a new file
 * @file: the DRM file
 *
 * Return: 0 or -ENOMEM.
 */
int bosh_client_open(struct drm_file *file)
{
	struct bosh_client *c = kzalloc(sizeof(*c), BOSH_CLIENT_GFP);

	if (!c)
		return -ENOMEM;
	kref_init(&c->ref);
	file->driver_priv = c;
	return 0;
}

static void bosh_client_free(struct kref *ref)
{
	kfree(container_of(ref, struct bosh_client, ref));
}

/**
 * bosh_client_close() - drop the file's reference to its state
 * @file: the DRM file
 *
 * Fences still pending keep the state until they signal.
 */
void bosh_client_close(struct drm_file *file)
{
	kref_put(&((struct bosh_client *)file->driver_priv)->ref, bosh_client_free);
}

/**
 * bosh_client_busy_begin() - count one more unsignalled fence of @c
 * @c: the client
 *
 * Return: false at %BOSH_BUSY_MAX_FILE_FENCES.
 */
bool bosh_client_busy_begin(struct bosh_client *c)
{
	if (!atomic_add_unless(&c->busy_fences, 1, BOSH_BUSY_MAX_FILE_FENCES))
		return false;
	kref_get(&c->ref);
	return true;
}

/**
 * bosh_client_busy_end() - one fence of @c signalled or was never attached
 * @c: the client
 *
 * May run in the timer's softirq.
 */
void bosh_client_busy_end(struct bosh_client *c)
{
	atomic_dec(&c->busy_fences);
	kref_put(&c->ref, bosh_client_free);
}
