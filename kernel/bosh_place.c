// SPDX-License-Identifier: GPL-2.0-only
/*
 * Placement: BO_VALIDATE into VRAM, with eviction that always makes
 * progress. A validation into VRAM is one drm_exec transaction. It walks
 * the VRAM LRU, least recently used first, for victims: with a trylock
 * that joins the transaction's ticket first, then idle victims with the
 * ticket (waiting), then busy ones, whose fences it waits for. Victims it
 * moved out stay locked until the validation has its space, so their
 * owners cannot take it back meanwhile. A lost ww race (-EDEADLK) backs
 * off and retries the whole transaction with the same ticket, which only
 * ages: it is never returned. If clients keep taking what a validation
 * frees (it moved out more than the whole VRAM, or backed off
 * BOSH_PLACE_MAX_BACKOFFS times), one last try runs with the device's
 * validate_sem held exclusive, as xe's validation does: no other
 * validation runs then, so what it frees stays free.
 *
 * A validation fails only when VRAM minus pinned VRAM cannot hold the BO
 * (-ENOSPC), when no victim could be moved to system pages (-ENOMEM, all
 * intact; such victims count as pinned VRAM, in vram_pages_pinned and
 * debugfs vram, until they move or go: the guarantee holds for the VRAM
 * whose owners can take it back), or when a signal stops it
 * (-ERESTARTSYS).
 */
#include <linux/dma-resv.h>
#include <linux/delay.h>
#include <linux/math64.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/ww_mutex.h>
#include <drm/drm_drv.h>
#include <drm/drm_exec.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_bo.h"
#include "bosh_bo_vram.h"
#include "bosh_place.h"

/* Backoffs after which a validation leaves the decision to the fallback. */
#define BOSH_PLACE_MAX_BACKOFFS	64

/* Internal: a BO_RW copy is in flight on the BO; back off, wait, retry. */
#define BOSH_PLACE_USERS	EINPROGRESS

/**
 * struct bosh_place_walk - one validation transaction
 * @exec: the transaction: the BO and the victims it locked waiting
 * @bo: the BO being validated, or NULL for SVM's pages
 * @held: victims trylocked with @exec's ticket, each referenced, not in
 *	@exec's list: released before every retry and at the end
 * @seq: marks victims this attempt gave up on (&bosh_bo.place_seq)
 * @moved: pages this validation moved out of VRAM, over every attempt
 * @failed: victims whose move failed
 * @backoffs: lost ww races
 * @backoff_ns: local_clock() when the last one was seen, until the
 *	retry holds the BO again: the time a backoff costs
 * @bounded: give up (-EAGAIN) when others keep taking the space
 * @bdev: the device
 * @npages: SVM's validation (@bo NULL): the pages wanted
 * @blocks: SVM's validation: receives them, one block each
 */
struct bosh_place_walk {
	struct drm_exec exec;
	struct bosh_bo *bo;
	struct list_head held;
	u64 seq;
	unsigned long moved;
	unsigned int failed;
	unsigned int backoffs;
	u64 backoff_ns;
	bool bounded;
	struct bosh_device *bdev;
	unsigned long npages;
	struct list_head *blocks;
};

/* How a victim is taken, in the walk's order. */
enum bosh_pick {
	BOSH_PICK_TRYLOCK,
	BOSH_PICK_LOCK,
	BOSH_PICK_BUSY,
	BOSH_PICK_NR
};

/* May the walk take @v in @mode? Under the VRAM LRU lock. */
static bool bosh_place_candidate(struct bosh_place_walk *w, struct bosh_bo *v,
				 enum bosh_pick mode)
{
	if (v == w->bo || READ_ONCE(v->pin_count) ||
	    READ_ONCE(v->place_seq) == w->seq)
		return false;
	return mode == BOSH_PICK_BUSY || bosh_bo_is_idle(v);
}

static void bosh_place_release_held(struct bosh_place_walk *w)
{
	struct bosh_bo *v, *next;

	list_for_each_entry_safe(v, next, &w->held, evict_link) {
		list_del_init(&v->evict_link);
		dma_resv_unlock(v->base.resv);
		drm_gem_object_put(&v->base);
	}
}

/*
 * The fail_vram_backoff point: the walk lost the race for @v's lock. The
 * state left is what drm_exec_lock_obj() and the ww core leave on a real
 * -EDEADLK: the transaction backs off and takes @v first when it retries.
 */
static bool bosh_place_backoff_injected(struct bosh_place_walk *w,
					struct bosh_bo *v)
{
	if (!bosh_fault_fires(&w->bdev->vram.fail_backoff, 1))
		return false;
	drm_gem_object_get(&v->base);
	w->exec.contended = &v->base;
#ifdef DEBUG_WW_MUTEXES
	w->exec.ticket.contending_lock = &v->base.resv->lock;
#endif
	return true;
}

/*
 * The next victim in @mode, locked by the transaction, or NULL with *@err
 * 0 (none) or set (-EDEADLK: back off; a signal). An SVM chunk comes
 * first when it is older than every BO the mode can take: *@chunk, taken.
 */
static struct bosh_bo *bosh_place_pick(struct bosh_place_walk *w,
				       enum bosh_pick mode,
				       struct bosh_svm_chunk **chunk, int *err)
{
	struct bosh_vram *vram = &w->bdev->vram;
	struct ww_acquire_ctx *ticket = &w->exec.ticket;
	struct bosh_bo *v, *found = NULL;
	bool ours = false, trylocked = false;
	struct bosh_vram_node *node;

	*err = 0;
	spin_lock(&vram->lru_lock);
	list_for_each_entry(node, &vram->lru, link) {
		if (node->kind == BOSH_VRAM_SVM) {
			*chunk = bosh_svm_chunk_take(node, w->seq);
			if (*chunk)
				break;
			continue;
		}
		v = container_of(node, struct bosh_bo, vram_node);
		if (!bosh_place_candidate(w, v, mode))
			continue;
		ours = dma_resv_locking_ctx(v->base.resv) == ticket;
		if (!ours && mode == BOSH_PICK_TRYLOCK) {
			if (!ww_mutex_trylock(&v->base.resv->lock, ticket))
				continue;
			trylocked = true;
		}
		if (!kref_get_unless_zero(&v->base.refcount)) {
			if (trylocked)
				dma_resv_unlock(v->base.resv);
			trylocked = false;
			continue;
		}
		found = v;
		break;
	}
	spin_unlock(&vram->lru_lock);
	if (!found)
		return NULL;
	if (ours) {
		/* Locked in this transaction already, which holds a reference. */
		drm_gem_object_put(&found->base);
		return found;
	}
	if (bosh_place_backoff_injected(w, found)) {
		if (trylocked)
			dma_resv_unlock(found->base.resv);
		drm_gem_object_put(&found->base);
		*err = -EDEADLK;
		return NULL;
	}
	if (trylocked) {
		/* The held list keeps the lock and the reference. */
		list_add(&found->evict_link, &w->held);
		return found;
	}
	*err = drm_exec_lock_obj(&w->exec, &found->base);
	if (*err == -EINTR)
		*err = -ERESTARTSYS;
	drm_gem_object_put(&found->base);
	return *err ? NULL : found;
}

/*
 * Moves one victim out of VRAM, or gives up on it. Returns 0 when the
 * walk should try to allocate again, -ENOSPC when no victim is left, or
 * -EDEADLK or a signal's error.
 */
static int bosh_place_evict_one(struct bosh_place_walk *w)
{
	struct bosh_svm_chunk *chunk = NULL;
	struct bosh_bo *v = NULL;
	enum bosh_pick mode;
	long wait;
	int ret = 0;

	for (mode = 0; mode < BOSH_PICK_NR && !v && !chunk; mode++) {
		v = bosh_place_pick(w, mode, &chunk, &ret);
		if (ret)
			return ret;
	}
	if (chunk) {
		/* Pages it could not move are given up on: pinned, not failed. */
		if (bosh_svm_chunk_evict(chunk, false, &w->moved))
			w->failed++;
		bosh_svm_chunk_give(chunk, w->seq);
		return 0;
	}
	if (!v)
		return -ENOSPC;
	if (!v->in_vram || v->pin_count || v->purged) {
		WRITE_ONCE(v->place_seq, w->seq);
		return 0;
	}
	if (!bosh_bo_is_idle(v)) {
		/* Nothing idle was left: wait, never evict it busy. */
		wait = dma_resv_wait_timeout(v->base.resv, DMA_RESV_USAGE_BOOKKEEP,
					     true, MAX_SCHEDULE_TIMEOUT);
		if (wait < 0)
			return wait;
	}
	if (bosh_bo_evict_vram_locked(v)) {
		WRITE_ONCE(v->place_seq, w->seq);
		w->failed++;
		return 0;
	}
	w->moved += v->npages;
	return 0;
}

/* A retry after a backoff holds what it lost: the backoff's time ends. */
static void bosh_place_backoff_done(struct bosh_place_walk *w)
{
	if (!w->backoff_ns)
		return;
	bosh_stat_add(w->bdev, BOSH_STAT_VRAM_BACKOFF_US_TOTAL,
		      div_u64(local_clock() - w->backoff_ns, NSEC_PER_USEC));
	w->backoff_ns = 0;
}

/*
 * An allocation found no room: moves one victim out. Returns 1 to
 * allocate again, 0 when no victim is left (the verdict decides), or an
 * error: -EAGAIN when others keep taking what the walk frees, -EDEADLK,
 * a signal's.
 */
static int bosh_place_make_room(struct bosh_place_walk *w)
{
	int ret;

	if (w->bounded && w->moved > w->bdev->vram.npages)
		return -EAGAIN;
	ret = bosh_place_evict_one(w);
	if (ret == -ENOSPC)
		return 0;
	return ret ? ret : 1;
}

/*
 * Every victim moved out or could not be: ENOMEM when moves failed and
 * the pins alone would leave room, ENOSPC when they would not, or when
 * pages an eviction gave up on (pinned too) would not.
 */
static int bosh_place_verdict(struct bosh_place_walk *w, unsigned long npages)
{
	struct bosh_vram *vram = &w->bdev->vram;

	if (npages > vram->npages - atomic_long_read(&vram->user_pinned))
		return -ENOSPC;
	if (w->failed)
		return -ENOMEM;
	if (npages > vram->npages - bosh_vram_pinned(vram))
		return -ENOSPC;
	/*
	 * It fits, nothing failed, and yet no victim is left: VRAM is held
	 * by BOs or SVM pages not on the LRU, other validations' or ones
	 * being freed. The fallback decides, with no other validation
	 * running, and waits for the frees.
	 */
	return -EAGAIN;
}

/* One attempt of the transaction, inside drm_exec's retry loop. */
static int bosh_place_attempt(struct bosh_place_walk *w)
{
	struct bosh_bo *bo = w->bo;
	struct bosh_device *bdev = bo->bdev;
	struct bosh_vram *vram = &bdev->vram;
	LIST_HEAD(blocks);
	int ret;

	w->seq = atomic64_inc_return(&bdev->place_seq);
	ret = drm_exec_lock_obj(&w->exec, &bo->base);
	if (ret)
		return ret == -EINTR ? -ERESTARTSYS : ret;
	bosh_place_backoff_done(w);
	if (bo->purged)
		return -ENODATA;
	if (bo->in_vram)
		return 0;
	/* A pinned BO stays where it is. */
	if (bo->pin_count)
		return -EBUSY;
	for (;;) {
		/* A first use takes VRAM directly; else the BO is copied in. */
		bool fresh = bosh_bo_never_populated(bo);

		/* What the shrinker took since the restore comes back. */
		ret = fresh ? 0 : bosh_bo_make_resident(bo, 0, bo->npages, true);
		if (ret)
			return ret;
		if (!fresh && !bosh_bo_may_enter_vram(bo))
			return -BOSH_PLACE_USERS;
		ret = bosh_vram_alloc(vram, bo->npages, &blocks);
		if (!ret) {
			if (fresh)
				bosh_bo_populate_vram_locked(bo, &blocks);
			else
				bosh_bo_to_vram_locked(bo, &blocks);
			return 0;
		}
		if (ret != -ENOSPC)
			return ret;
		ret = bosh_place_make_room(w);
		if (ret <= 0)
			return ret ? ret : bosh_place_verdict(w, bo->npages);
	}
}

/* One attempt of SVM's transaction: @w->npages pages, one block each. */
static int bosh_place_attempt_svm(struct bosh_place_walk *w)
{
	struct bosh_vram *vram = &w->bdev->vram;
	int ret;

	w->seq = atomic64_inc_return(&w->bdev->place_seq);
	bosh_place_backoff_done(w);
	for (;;) {
		ret = bosh_vram_alloc_pages(vram, w->npages, w->blocks);
		if (ret != -ENOSPC)
			return ret;
		ret = bosh_place_make_room(w);
		if (ret <= 0)
			return ret ? ret : bosh_place_verdict(w, w->npages);
	}
}

static int bosh_place_transaction(struct bosh_device *bdev, struct bosh_bo *bo,
				  unsigned long npages, struct list_head *blocks,
				  bool bounded)
{
	struct bosh_place_walk w = {
		.bo = bo, .bounded = bounded, .bdev = bdev,
		.npages = npages, .blocks = blocks,
	};
	int ret = 0;

	INIT_LIST_HEAD(&w.held);
	drm_exec_init(&w.exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&w.exec) {
		ret = bo ? bosh_place_attempt(&w) : bosh_place_attempt_svm(&w);
		bosh_place_release_held(&w);
		if (drm_exec_is_contended(&w.exec)) {
			bosh_stat_add(bdev, BOSH_STAT_VRAM_BACKOFFS_TOTAL, 1);
			w.backoff_ns = local_clock();
			if (bounded && ++w.backoffs > BOSH_PLACE_MAX_BACKOFFS) {
				ret = -EAGAIN;
				break;
			}
		}
		drm_exec_retry_on_contention(&w.exec);
	}
	drm_exec_fini(&w.exec);
	return ret;
}

/* Waits, with no lock held, for the BO_RW copies in flight on @bo. */
static int bosh_place_wait_users(struct bosh_bo *bo)
{
	while (atomic_read_acquire(&bo->users)) {
		if (signal_pending(current))
			return -ERESTARTSYS;
		usleep_range(50, 100);
	}
	return 0;
}

/*
 * Tries of the fallback, 1 ms apart, that find VRAM held by BOs being
 * freed (off the LRU, nothing to evict), before it reports ENOSPC.
 */
#define BOSH_PLACE_FREE_WAITS	1000

/*
 * Into VRAM: the bounded walk, then, if it lost, the fallback's. For @bo,
 * or for SVM's @npages pages into @blocks when @bo is NULL.
 */
static int bosh_place_run(struct bosh_device *bdev, struct bosh_bo *bo,
			  unsigned long npages, struct list_head *blocks)
{
	struct bosh_vram *vram = &bdev->vram;
	unsigned int waits = 0;
	bool exclusive = false;
	int ret;

	for (;;) {
		if (exclusive) {
			if (down_write_killable(&vram->validate_sem))
				return -EINTR;
			ret = bosh_place_transaction(bdev, bo, npages, blocks, false);
			up_write(&vram->validate_sem);
		} else {
			if (down_read_interruptible(&vram->validate_sem))
				return -ERESTARTSYS;
			ret = bosh_fault_fires(&vram->fail_fallback, 1) ? -EAGAIN :
			      bosh_place_transaction(bdev, bo, npages, blocks, true);
			up_read(&vram->validate_sem);
		}
		if (ret == -BOSH_PLACE_USERS) {
			ret = bosh_place_wait_users(bo);
			if (ret)
				return ret;
			continue;
		}
		if (ret != -EAGAIN)
			return ret;
		if (exclusive) {
			/* No validation runs: only frees hold VRAM off the LRU. */
			if (++waits > BOSH_PLACE_FREE_WAITS)
				return -ENOSPC;
			if (signal_pending(current))
				return -ERESTARTSYS;
			usleep_range(1000, 2000);
			continue;
		}
		bosh_stat_add(bdev, BOSH_STAT_VRAM_FALLBACKS_TOTAL, 1);
		exclusive = true;
	}
}

/* Out of VRAM, for a validation that does not allow it. */
static int bosh_place_system(struct bosh_bo *bo)
{
	long wait;
	int ret;

	if (!READ_ONCE(bo->in_vram))
		return 0;
	if (dma_resv_lock_interruptible(bo->base.resv, NULL))
		return -ERESTARTSYS;
	ret = 0;
	if (bo->in_vram && bo->pin_count) {
		ret = -EBUSY;
	} else if (bo->in_vram) {
		/* Its own move waits for its fences too: nothing moves busy. */
		wait = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP,
					     true, MAX_SCHEDULE_TIMEOUT);
		ret = wait < 0 ? wait : bosh_bo_evict_vram_locked(bo);
	}
	dma_resv_unlock(bo->base.resv);
	return ret;
}

/**
 * bosh_place_validate() - BO_VALIDATE: make a BO resident where it may be
 * @bo: the BO, referenced, its resv not held
 * @placement: BOSH_PLACE_* (checked), 0 for the placement given at
 *	creation
 *
 * VRAM first when the placement has it, system memory when it allows it
 * and VRAM cannot be had (-ENOSPC, -ENOMEM). A BO that enters VRAM is
 * restored into system memory first, interruptibly, as BO_VALIDATE
 * always restored. A pinned BO does not move. A shmem-native BO lives
 * in system memory only: VRAM alone is refused, both bits mean system.
 *
 * Return: 0 or a negative errno: -EINVAL (VRAM alone for a shmem-native
 * BO), -ENOSPC, -ENOMEM, -ENODATA (purged), -EBUSY (pinned where
 * @placement does not allow), -EIO, -ERESTARTSYS, -EINTR, -ENODEV.
 */
int bosh_place_validate(struct bosh_bo *bo, u32 placement)
{
	struct bosh_device *bdev = bo->bdev;
	struct bosh_vram *vram = &bdev->vram;
	int ret, idx;

	if (!placement)
		placement = bo->placement;
	if (bo->shmem) {
		if (placement == BOSH_PLACE_VRAM)
			return -EINVAL;
		placement = BOSH_PLACE_SYSTEM;
	}
	if (!drm_dev_enter(&bdev->drm, &idx))
		return -ENODEV;
	drm_dev_exit(idx);

	if (placement & BOSH_PLACE_VRAM) {
		if (READ_ONCE(bo->in_vram)) {
			bosh_bo_touch(bo);
			return 0;
		}
		if (bo->npages > vram->npages -
				 atomic_long_read(&vram->user_pinned))
			ret = -ENOSPC;
		else if (bosh_bo_first_use(bo))
			ret = 0;
		else
			ret = bosh_bo_validate(bo);
		if (!ret)
			ret = bosh_place_run(bdev, bo, bo->npages, NULL);
		if (ret == -ENOSPC || ret == -ENOMEM)
			bosh_stat_add(bdev, BOSH_STAT_VRAM_VALIDATE_FAILED_TOTAL, 1);
		if (!(placement & BOSH_PLACE_SYSTEM) ||
		    (ret != -ENOSPC && ret != -ENOMEM && ret != -EBUSY))
			return ret;
	}
	ret = bosh_place_system(bo);
	return ret ? ret : bosh_bo_validate(bo);
}

/**
 * bosh_place_svm() - VRAM for SVM pages, evicting as BO_VALIDATE does
 * @bdev: the device
 * @npages: pages wanted
 * @blocks: empty list that receives @npages blocks of one page
 *
 * The same transaction and the same guarantee as a BO's validation:
 * victims, BOs and SVM chunks, in LRU order.
 *
 * Return: 0, -ENOSPC (VRAM minus pinned VRAM cannot hold @npages),
 * -ENOMEM, -ERESTARTSYS or -EINTR.
 */
int bosh_place_svm(struct bosh_device *bdev, unsigned long npages,
		   struct list_head *blocks)
{
	struct bosh_vram *vram = &bdev->vram;
	int ret;

	if (npages > vram->npages - bosh_vram_pinned(vram))
		return -ENOSPC;
	ret = bosh_place_run(bdev, NULL, npages, blocks);
	if (ret == -ENOSPC || ret == -ENOMEM)
		bosh_stat_add(bdev, BOSH_STAT_VRAM_VALIDATE_FAILED_TOTAL, 1);
	return ret;
}

/**
 * bosh_place_first_use() - BO_RW's first use of a BO that may be in VRAM
 * @bo: the BO, referenced, its resv not held
 *
 * VRAM is taken on a BO's first use, BO_RW's as BO_VALIDATE's: a BO whose
 * placement has VRAM and that never had a page is validated into VRAM,
 * evicting as BO_VALIDATE does. If VRAM cannot be had the copy goes on
 * in system pages, as it would have; only a signal stops it.
 *
 * Return: 0, -ERESTARTSYS or -EINTR.
 */
int bosh_place_first_use(struct bosh_bo *bo)
{
	int ret;

	if (!(bo->placement & BOSH_PLACE_VRAM) || !bosh_vram_present(&bo->bdev->vram) ||
	    !bosh_bo_first_use(bo))
		return 0;
	ret = bosh_place_validate(bo, BOSH_PLACE_VRAM);
	return ret == -ERESTARTSYS || ret == -EINTR ? ret : 0;
}

/**
 * bosh_place_evict_all() - debugfs evict_vram: every unpinned BO out
 * @bdev: the device
 *
 * One BO at a time, each waited for until idle, then the SVM pages. A BO
 * or page that cannot move stays in VRAM and the walk goes on.
 *
 * Return: 0, -ENOMEM (some BO stayed) or -ERESTARTSYS.
 */
long bosh_place_evict_all(struct bosh_device *bdev)
{
	struct bosh_vram *vram = &bdev->vram;
	u64 seq = atomic64_inc_return(&bdev->place_seq);
	bool failed = false;

	for (;;) {
		struct bosh_vram_node *node;
		struct bosh_bo *v = NULL;
		long ret;

		spin_lock(&vram->lru_lock);
		list_for_each_entry(node, &vram->lru, link) {
			struct bosh_bo *c;

			if (node->kind != BOSH_VRAM_BO)
				continue;
			c = container_of(node, struct bosh_bo, vram_node);
			/* Each BO once: pinned ones are skipped under their lock. */
			if (READ_ONCE(c->place_seq) != seq &&
			    kref_get_unless_zero(&c->base.refcount)) {
				v = c;
				break;
			}
		}
		spin_unlock(&vram->lru_lock);
		if (!v)
			break;
		ret = dma_resv_lock_interruptible(v->base.resv, NULL);
		if (!ret) {
			ret = dma_resv_wait_timeout(v->base.resv,
						    DMA_RESV_USAGE_BOOKKEEP, true,
						    MAX_SCHEDULE_TIMEOUT);
			if (ret >= 0) {
				ret = 0;
				if (v->in_vram && !v->pin_count &&
				    bosh_bo_evict_vram_locked(v))
					failed = true;
			}
			WRITE_ONCE(v->place_seq, seq);
			dma_resv_unlock(v->base.resv);
		}
		drm_gem_object_put(&v->base);
		if (ret)
			return -ERESTARTSYS;
	}
	if (bosh_svm_evict_all(bdev))
		failed = true;
	return failed ? -ENOMEM : 0;
}

/**
 * bosh_place_show() - debugfs vram: usage, the allocator, the LRU
 * @bdev: the device
 * @m: the seq_file
 */
void bosh_place_show(struct bosh_device *bdev, struct seq_file *m)
{
	struct bosh_vram *vram = &bdev->vram;
	struct bosh_vram_node *node;

	bosh_vram_show(vram, m);
	seq_printf(m, "svm_pages %ld\n", bosh_stat_read(bdev, BOSH_STAT_SVM_PAGES));
	seq_puts(m, "lru: id pages pinned stuck busy\n");
	spin_lock(&vram->lru_lock);
	list_for_each_entry(node, &vram->lru, link) {
		struct bosh_bo *bo;

		if (node->kind != BOSH_VRAM_BO)
			continue;
		bo = container_of(node, struct bosh_bo, vram_node);
		seq_printf(m, "%u %lu %u %d %d\n", bo->id, bo->npages,
			   READ_ONCE(bo->pin_count), READ_ONCE(bo->vram_stuck),
			   !bosh_bo_is_idle(bo));
	}
	spin_unlock(&vram->lru_lock);
	bosh_svm_show(bdev, m);
}
