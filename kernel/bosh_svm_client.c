// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM's client side: the ranges a file binds, each an mmu interval
 * notifier on the binding process's mm, and the SVM ioctls. bosh keeps no
 * device page tables: what the device reads or writes it looks up at
 * the time with hmm_range_fault(), under the range's lock, which the
 * notifier's invalidation takes too, so a page cannot move or go while
 * the device copies it (the sequence retry of
 * Documentation/mm/hmm.rst). Nothing is allocated under that lock:
 * invalidations run inside reclaim.
 *
 * Every step that uses the device's SVM state runs inside
 * drm_dev_enter(): unplug waits for it, then migrates every page back
 * and frees that state (bosh_svm_fini()). User copies stay outside.
 */
#include <linux/hmm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <uapi/drm/bosh_drm.h>

#include "bosh_svm.h"
#include "bosh_types.h"

/**
 * struct bosh_svm_range - a bound range
 * @notifier: the interval notifier over [@start, @end)
 * @lock: held by the device's copies and by invalidations
 * @link: in &bosh_svm_client.ranges
 * @start: first address
 * @end: end address
 */
struct bosh_svm_range {
	struct mmu_interval_notifier notifier;
	struct mutex lock;	/* device access against invalidation */
	struct list_head link;
	unsigned long start;
	unsigned long end;
};

/**
 * struct bosh_svm_client - a file's SVM state
 * @mm: the address space of the first binding, grabbed
 * @sem: protects @ranges and @nr_ranges; held shared by the ioctls that
 *	use a range, so it is not unbound under them
 * @ranges: the bound ranges
 * @nr_ranges: entries of @ranges
 */
struct bosh_svm_client {
	struct mm_struct *mm;
	struct rw_semaphore sem;	/* protects ranges */
	struct list_head ranges;
	unsigned int nr_ranges;
};

static bool bosh_svm_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct bosh_svm_range *r = container_of(mni, struct bosh_svm_range, notifier);

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&r->lock);
	else if (!mutex_trylock(&r->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	mutex_unlock(&r->lock);
	return true;
}

static const struct mmu_interval_notifier_ops bosh_svm_range_ops = {
	.invalidate = bosh_svm_invalidate,
};

static struct bosh_svm_client *bosh_svm_client_of(struct drm_file *file)
{
	struct bosh_client *bc = file->driver_priv;

	/* Pairs with the cmpxchg that published it. */
	return smp_load_acquire(&bc->svm);
}

/* The file's SVM state, made by its first binding. */
static struct bosh_svm_client *bosh_svm_client_get(struct drm_file *file)
{
	struct bosh_client *bc = file->driver_priv;
	struct bosh_svm_client *sc = bosh_svm_client_of(file), *old;

	if (sc)
		return sc;
	sc = kzalloc(sizeof(*sc), BOSH_CLIENT_GFP);
	if (!sc)
		return ERR_PTR(-ENOMEM);
	init_rwsem(&sc->sem);
	INIT_LIST_HEAD(&sc->ranges);
	sc->mm = current->mm;
	mmgrab(sc->mm);
	old = cmpxchg_release(&bc->svm, NULL, sc);
	if (old) {
		mmdrop(sc->mm);
		kfree(sc);
		return old;
	}
	return sc;
}

/* The bound range holding [@start, @end), under @sc's sem. */
static struct bosh_svm_range *bosh_svm_range_find(struct bosh_svm_client *sc,
						  unsigned long start,
						  unsigned long end)
{
	struct bosh_svm_range *r;

	list_for_each_entry(r, &sc->ranges, link)
		if (r->start <= start && end <= r->end)
			return r;
	return NULL;
}

/* A page-aligned, non-empty range inside the user address space. */
static bool bosh_svm_range_ok(u64 addr, u64 size)
{
	return size && PAGE_ALIGNED(addr) && PAGE_ALIGNED(size) &&
	       addr + size > addr && addr + size <= TASK_SIZE;
}

/*
 * The state of a file whose ranges the caller may use, shared-locked, or
 * an ERR_PTR: -ENOENT (nothing bound), -EPERM (another address space).
 */
static struct bosh_svm_client *bosh_svm_client_use(struct drm_file *file)
{
	struct bosh_svm_client *sc = bosh_svm_client_of(file);

	if (!sc)
		return ERR_PTR(-ENOENT);
	if (sc->mm != current->mm)
		return ERR_PTR(-EPERM);
	down_read(&sc->sem);
	return sc;
}

/*
 * The device's SVM, inside drm_dev_enter(); or NULL, not entered, when
 * the device is unplugged or has no SVM.
 */
static struct bosh_svm *bosh_svm_enter(struct drm_file *file, int *idx)
{
	struct drm_device *drm = file->minor->dev;
	struct bosh_svm *svm;

	if (!drm_dev_enter(drm, idx))
		return NULL;
	svm = to_bosh_device(drm)->svm;
	if (!svm)
		drm_dev_exit(*idx);
	return svm;
}

/* Does the device have SVM at all (before any argument is looked at)? */
static int bosh_svm_supported(struct drm_file *file)
{
	struct bosh_svm *svm;
	int idx;

	svm = bosh_svm_enter(file, &idx);
	if (!svm)
		return drm_dev_is_unplugged(file->minor->dev) ? -ENODEV : -EOPNOTSUPP;
	drm_dev_exit(idx);
	return 0;
}

/* May @r join @sc's ranges? Under its sem, written. */
static int bosh_svm_bind_check(struct bosh_svm_client *sc,
			       struct bosh_svm_range *r)
{
	struct bosh_svm_range *b;

	if (sc->nr_ranges >= BOSH_SVM_MAX_RANGES)
		return -ENOSPC;
	list_for_each_entry(b, &sc->ranges, link)
		if (b->start < r->end && r->start < b->end)
			return -EEXIST;
	return 0;
}

static int bosh_svm_unbind(struct bosh_svm_client *sc, u64 addr, u64 size)
{
	struct bosh_svm_range *r;

	down_write(&sc->sem);
	list_for_each_entry(r, &sc->ranges, link) {
		if (r->start == addr && r->end == addr + size) {
			list_del(&r->link);
			sc->nr_ranges--;
			up_write(&sc->sem);
			mmu_interval_notifier_remove(&r->notifier);
			kfree(r);
			return 0;
		}
	}
	up_write(&sc->sem);
	return -ENOENT;
}

/**
 * bosh_svm_client_bind() - SVM_BIND
 * @file: the DRM file
 * @data: &struct drm_bosh_svm_bind
 *
 * Return: 0 or the errno of &struct drm_bosh_svm_bind.
 */
int bosh_svm_client_bind(struct drm_file *file, void *data)
{
	struct drm_bosh_svm_bind *args = data;
	struct bosh_svm_client *sc;
	struct bosh_svm_range *r;
	int ret;

	ret = bosh_svm_supported(file);
	if (ret)
		return ret;
	if ((args->flags & ~BOSH_SVM_UNBIND) || args->pad ||
	    !bosh_svm_range_ok(args->addr, args->size))
		return -EINVAL;
	if (args->flags & BOSH_SVM_UNBIND) {
		sc = bosh_svm_client_of(file);
		if (!sc)
			return -ENOENT;
		if (sc->mm != current->mm)
			return -EPERM;
		return bosh_svm_unbind(sc, args->addr, args->size);
	}
	sc = bosh_svm_client_get(file);
	if (IS_ERR(sc))
		return PTR_ERR(sc);
	if (sc->mm != current->mm)
		return -EPERM;
	r = kzalloc(sizeof(*r), BOSH_CLIENT_GFP);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	r->start = args->addr;
	r->end = args->addr + args->size;
	down_write(&sc->sem);
	ret = bosh_svm_bind_check(sc, r);
	if (!ret)
		ret = mmu_interval_notifier_insert(&r->notifier, sc->mm, r->start,
						   args->size, &bosh_svm_range_ops);
	if (!ret) {
		list_add_tail(&r->link, &sc->ranges);
		sc->nr_ranges++;
	}
	up_write(&sc->sem);
	if (ret)
		kfree(r);
	return ret;
}

/* Counts the pages of [@addr, @end) in @svm's VRAM and in system memory. */
static int bosh_svm_count(struct bosh_svm *svm, struct bosh_svm_range *r,
			  struct mm_struct *mm, unsigned long addr,
			  unsigned long end, unsigned long *pfns,
			  struct drm_bosh_svm_info *args)
{
	struct hmm_range range = {
		.notifier = &r->notifier,
		.start = addr,
		.end = end,
		.hmm_pfns = pfns,
		.dev_private_owner = svm,
	};
	unsigned long i;
	int ret;

	do {
		if (signal_pending(current))
			return -EINTR;
		range.notifier_seq = mmu_interval_read_begin(&r->notifier);
		mmap_read_lock(mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(mm);
	} while (ret == -EBUSY);
	if (ret)
		return -EFAULT;
	for (i = 0; i < (end - addr) >> PAGE_SHIFT; i++) {
		struct page *page;

		if (!(pfns[i] & HMM_PFN_VALID))
			continue;
		page = hmm_pfn_to_page(pfns[i]);
		if (is_device_private_page(page) && page->pgmap->owner == svm)
			args->vram_pages++;
		else
			args->system_pages++;
	}
	return 0;
}

/*
 * One step into VRAM: VRAM for the pages of [@addr, @end) not in it
 * already, so that a step over pages in VRAM evicts nothing.
 */
static long bosh_svm_step_in(struct bosh_svm *svm, struct bosh_svm_range *r,
			     struct mm_struct *mm, unsigned long addr,
			     unsigned long end, unsigned long *pfns)
{
	struct drm_bosh_svm_info counts = { 0 };
	unsigned long want;
	int ret;

	ret = bosh_svm_count(svm, r, mm, addr, end, pfns, &counts);
	if (ret)
		return ret;
	want = ((end - addr) >> PAGE_SHIFT) - counts.vram_pages;
	return want ? bosh_svm_to_vram(svm, mm, addr, end, want) : 0;
}

/*
 * SVM_MIGRATE's steps: each at most a chunk, in one mapping, inside
 * drm_dev_enter(). Non-anonymous mappings have nothing to move into
 * VRAM. Returns 0 or an errno; *@migrated counts.
 */
static int bosh_svm_migrate_steps(struct drm_file *file, struct bosh_svm_range *r,
				  struct mm_struct *mm, unsigned long addr,
				  unsigned long end, bool to_vram, u64 *migrated)
{
	unsigned long *pfns;
	int ret = 0;

	pfns = kvcalloc(BOSH_SVM_CHUNK_PAGES, sizeof(*pfns), BOSH_CLIENT_GFP);
	if (!pfns)
		return -ENOMEM;
	while (!ret && addr < end) {
		struct vm_area_struct *vma;
		struct bosh_svm *svm;
		unsigned long next = 0;
		bool anon = false;
		long n = 0;
		int idx;

		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		svm = bosh_svm_enter(file, &idx);
		if (!svm) {
			ret = -ENODEV;
			break;
		}
		mmap_read_lock(mm);
		vma = vma_lookup(mm, addr);
		if (vma) {
			next = min3(end, vma->vm_end,
				    addr + ((unsigned long)BOSH_SVM_CHUNK_PAGES << PAGE_SHIFT));
			anon = vma_is_anonymous(vma);
			if (!to_vram)
				n = bosh_svm_to_system(svm, vma, addr, next);
		}
		mmap_read_unlock(mm);
		if (!vma)
			n = -EFAULT;
		else if (to_vram && anon)
			n = bosh_svm_step_in(svm, r, mm, addr, next, pfns);
		drm_dev_exit(idx);
		if (n < 0)
			ret = n == -ERESTARTSYS ? -EINTR : n;
		else
			*migrated += n;
		addr = next;
	}
	kvfree(pfns);
	return ret;
}

/**
 * bosh_svm_client_migrate() - SVM_MIGRATE
 * @file: the DRM file
 * @data: &struct drm_bosh_svm_migrate
 *
 * Return: 0 or the errno of &struct drm_bosh_svm_migrate.
 */
int bosh_svm_client_migrate(struct drm_file *file, void *data)
{
	struct drm_bosh_svm_migrate *args = data;
	struct bosh_svm_client *sc;
	struct bosh_svm_range *r;
	int ret;

	args->migrated = 0;
	ret = bosh_svm_supported(file);
	if (ret)
		return ret;
	if (args->pad || !bosh_svm_range_ok(args->addr, args->size) ||
	    (args->placement != BOSH_PLACE_VRAM &&
	     args->placement != BOSH_PLACE_SYSTEM))
		return -EINVAL;
	sc = bosh_svm_client_use(file);
	if (IS_ERR(sc))
		return PTR_ERR(sc);
	r = bosh_svm_range_find(sc, args->addr, args->addr + args->size);
	ret = r ? bosh_svm_migrate_steps(file, r, sc->mm, args->addr,
					 args->addr + args->size,
					 args->placement == BOSH_PLACE_VRAM,
					 &args->migrated) : -ENOENT;
	up_read(&sc->sem);
	return ret;
}

/*
 * The device copies @len bytes at @off of the page at @addr, to or from
 * @buf: the page as the device sees it, in VRAM or faulted in.
 */
static int bosh_svm_rw_page(struct drm_file *file, struct bosh_svm_range *r,
			    struct mm_struct *mm, unsigned long addr,
			    size_t off, size_t len, void *buf, bool write)
{
	unsigned long pfn;
	struct hmm_range range = {
		.notifier = &r->notifier,
		.start = addr,
		.end = addr + PAGE_SIZE,
		.hmm_pfns = &pfn,
		.default_flags = HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0),
	};
	struct page *page, *data;
	struct bosh_svm *svm;
	bool in_vram;
	void *vaddr;
	int ret, idx;

	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		svm = bosh_svm_enter(file, &idx);
		if (!svm)
			return -ENODEV;
		range.dev_private_owner = svm;
		range.notifier_seq = mmu_interval_read_begin(&r->notifier);
		mmap_read_lock(mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(mm);
		if (ret) {
			drm_dev_exit(idx);
			if (ret == -EBUSY)
				continue;
			/* Not mapped, or not writable for a write. */
			return -EFAULT;
		}
		mutex_lock(&r->lock);
		if (!mmu_interval_read_retry(&r->notifier, range.notifier_seq))
			break;
		mutex_unlock(&r->lock);
		drm_dev_exit(idx);
	}
	page = hmm_pfn_to_page(pfn);
	in_vram = is_device_private_page(page) && page->pgmap->owner == svm;
	data = in_vram ? bosh_svm_data_page(svm, page) : page;
	/* Dirtied below, after the lock, which reclaim's unmap may wait for. */
	if (write && !in_vram)
		get_page(page);
	vaddr = kmap_local_page(data);
	if (write)
		memcpy(vaddr + off, buf, len);
	else
		memcpy(buf, vaddr + off, len);
	kunmap_local(vaddr);
	mutex_unlock(&r->lock);
	drm_dev_exit(idx);
	if (write && !in_vram) {
		set_page_dirty_lock(page);
		put_page(page);
	}
	return 0;
}

/**
 * bosh_svm_client_rw() - SVM_RW
 * @file: the DRM file
 * @data: &struct drm_bosh_svm_rw
 *
 * Return: 0 or the errno of &struct drm_bosh_svm_rw.
 */
int bosh_svm_client_rw(struct drm_file *file, void *data)
{
	struct drm_bosh_svm_rw *args = data;
	void __user *user = u64_to_user_ptr(args->data);
	unsigned long addr = args->addr;
	u64 size = args->size;
	struct bosh_svm_client *sc;
	struct bosh_svm_range *r;
	bool write;
	void *buf;
	int ret;

	ret = bosh_svm_supported(file);
	if (ret)
		return ret;
	if ((args->op != BOSH_RW_READ && args->op != BOSH_RW_WRITE) || args->pad ||
	    args->addr + args->size < args->addr)
		return -EINVAL;
	if (!size)
		return 0;
	write = args->op == BOSH_RW_WRITE;
	sc = bosh_svm_client_use(file);
	if (IS_ERR(sc))
		return PTR_ERR(sc);
	r = bosh_svm_range_find(sc, addr, addr + size);
	buf = r ? kmalloc(PAGE_SIZE, BOSH_CLIENT_GFP) : NULL;
	ret = !r ? -ENOENT : !buf ? -ENOMEM : 0;
	while (!ret && size) {
		size_t off = offset_in_page(addr);
		size_t len = min_t(u64, size, PAGE_SIZE - off);

		if (write && copy_from_user(buf, user, len)) {
			ret = -EFAULT;
			break;
		}
		ret = bosh_svm_rw_page(file, r, sc->mm, addr & PAGE_MASK, off, len,
				       buf, write);
		if (!ret && !write && copy_to_user(user, buf, len))
			ret = -EFAULT;
		addr += len;
		user += len;
		size -= len;
		cond_resched();
	}
	kfree(buf);
	up_read(&sc->sem);
	return ret;
}

/**
 * bosh_svm_client_info() - SVM_INFO
 * @file: the DRM file
 * @data: &struct drm_bosh_svm_info
 *
 * Return: 0 or the errno of &struct drm_bosh_svm_info.
 */
int bosh_svm_client_info(struct drm_file *file, void *data)
{
	struct drm_bosh_svm_info *args = data;
	unsigned long addr = args->addr, end = args->addr + args->size;
	struct bosh_svm_client *sc;
	struct bosh_svm_range *r;
	unsigned long *pfns;
	int ret;

	args->vram_pages = 0;
	args->system_pages = 0;
	ret = bosh_svm_supported(file);
	if (ret)
		return ret;
	if (args->pad || !bosh_svm_range_ok(args->addr, args->size))
		return -EINVAL;
	sc = bosh_svm_client_use(file);
	if (IS_ERR(sc))
		return PTR_ERR(sc);
	r = bosh_svm_range_find(sc, addr, end);
	pfns = r ? kvcalloc(BOSH_SVM_CHUNK_PAGES, sizeof(*pfns), BOSH_CLIENT_GFP) : NULL;
	ret = !r ? -ENOENT : !pfns ? -ENOMEM : 0;
	while (!ret && addr < end) {
		unsigned long next = min(end, addr +
					 ((unsigned long)BOSH_SVM_CHUNK_PAGES << PAGE_SHIFT));
		struct bosh_svm *svm;
		int idx;

		svm = bosh_svm_enter(file, &idx);
		if (!svm) {
			ret = -ENODEV;
			break;
		}
		ret = bosh_svm_count(svm, r, sc->mm, addr, next, pfns, args);
		drm_dev_exit(idx);
		addr = next;
	}
	kvfree(pfns);
	up_read(&sc->sem);
	return ret;
}

/**
 * bosh_svm_client_close() - a file's bindings go with it
 * @file: the DRM file, closing
 *
 * Pages in VRAM stay there: they are the process's, and migrate back on
 * its next CPU access, or at unplug.
 */
void bosh_svm_client_close(struct drm_file *file)
{
	struct bosh_svm_client *sc = bosh_svm_client_of(file);
	struct bosh_svm_range *r, *next;

	if (!sc)
		return;
	list_for_each_entry_safe(r, next, &sc->ranges, link) {
		mmu_interval_notifier_remove(&r->notifier);
		kfree(r);
	}
	mmdrop(sc->mm);
	kfree(sc);
}
