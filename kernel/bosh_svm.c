// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM's device memory: device-private pages (MEMORY_DEVICE_PRIVATE) over
 * the VRAM carve-out, modelled on lib/test_hmm.c and amdkfd. Device pfn
 * base + i keeps its data in carve-out page i, and the buddy allocator
 * that places BOs hands out SVM pages too, one block per page (each page
 * comes back alone, in page_free), so BOs and SVM compete for one VRAM
 * under one accounting. The pages of one migration step form a chunk,
 * which sits on the VRAM LRU beside BOs: a validation's eviction walk
 * takes chunks and BOs in one least-recently-used order, and SVM's
 * migration runs the same walk for its space (bosh_place.c).
 *
 * A chunk's page goes back to the allocator only in page_free, when the
 * core mm dropped its last reference: never while a mapping, a migration
 * or a fault still holds it. An eviction that cannot move a page (it is
 * pinned, or another migration holds it) retries, then gives up on it:
 * the page counts as pinned VRAM (vram_pages_pinned) until a CPU fault
 * or process exit frees it, and debugfs evict_vram and unplug retry it.
 *
 * A CPU fault on a page in VRAM migrates it back. In 6.12 do_swap_page()
 * calls migrate_to_ram() holding a page reference but not the page lock,
 * so every other thread faulting the same page holds a reference that
 * makes the migration leave the page behind. migrate_to_ram() therefore
 * serialises per page: a thread that loses the trylock returns and
 * refaults, and the holder retries up to BOSH_SVM_FAULT_TRIES times
 * before it gives SIGBUS (counted): never VM_FAULT_OOM, never an endless
 * refault. A try that failed because an eviction holds the page lock
 * waits for that lock and is not counted: a bound counted in tries would
 * otherwise run out while the eviction sleeps in its allocation (the
 * test cpu_faults_race_evictions saw SIGBUS that way).
 *
 * Memcg: in 6.12 migration moves a page's charge to its destination,
 * device page included, so SVM pages in VRAM stay charged to the
 * process's memcg, unlike BO VRAM, and the system page a migration back
 * allocates takes over the charge without a new one.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "bosh_place.h"
#include "bosh_svm.h"
#include "bosh_types.h"

/* Rounds of an eviction before it gives up on the pages left. */
#define BOSH_SVM_EVICT_TRIES	4
/* Migrations a CPU fault tries while other references hold the page. */
#define BOSH_SVM_FAULT_TRIES	64
/* Bit of &bosh_svm_slot.flags: a CPU fault migrates the page back. */
#define BOSH_SVM_SLOT_FAULTING	0

/*
 * Pages that leave VRAM are user pages: __GFP_RETRY_MAYFAIL keeps the OOM
 * killer away (a fault gets SIGBUS, an eviction fails with ENOMEM).
 */
#define BOSH_SVM_PAGE_GFP	(GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOWARN)

static struct bosh_svm *bosh_page_svm(struct page *page)
{
	return container_of(page->pgmap, struct bosh_svm, pagemap);
}

static struct bosh_vram *bosh_svm_vram(struct bosh_svm *svm)
{
	return &svm->bdev->vram;
}

/**
 * bosh_svm_data_page() - where a device page's data is
 * @svm: the device memory
 * @page: one of its device pages
 *
 * Return: the carve-out page that holds @page's data.
 */
struct page *bosh_svm_data_page(struct bosh_svm *svm, struct page *page)
{
	return bosh_vram_page(bosh_svm_vram(svm), page_to_pfn(page) - svm->base_pfn);
}

static void bosh_svm_chunk_free(struct kref *ref)
{
	kvfree(container_of(ref, struct bosh_svm_chunk, ref));
}

/* A page of @c was freed, or its filling ended: the last one ends it. */
static void bosh_svm_chunk_unlive(struct bosh_svm_chunk *c)
{
	if (!atomic_dec_and_test(&c->live))
		return;
	bosh_vram_lru_del(&c->bdev->vram, &c->node.link);
	kref_put(&c->ref, bosh_svm_chunk_free);
}

/* The core mm dropped a device page's last reference. */
static void bosh_svm_page_free(struct page *page)
{
	struct bosh_svm_slot *slot = page->zone_device_data;
	struct bosh_svm_chunk *c = slot->chunk;
	struct bosh_device *bdev = c->bdev;
	struct gpu_buddy_block *block = slot->block;

	page->zone_device_data = NULL;
	spin_lock(&c->slock);
	slot->in_use = false;
	slot->block = NULL;
	if (slot->stuck) {
		slot->stuck = false;
		c->nr_stuck--;
		atomic_long_dec(&bdev->vram.stuck);
	}
	spin_unlock(&c->slock);
	bosh_vram_free_block(&bdev->vram, block);
	bosh_stat_add(bdev, BOSH_STAT_VRAM_PAGES_USED, -1);
	bosh_stat_add(bdev, BOSH_STAT_SVM_PAGES, -1);
	bosh_svm_chunk_unlive(c);
}

/*
 * Moves device pages collected in @src to new system pages. @vma is the
 * mapping for migrate_vma (NULL for an eviction by pfn). Returns 0 or
 * -ENOMEM when a page could not be allocated (it stays in VRAM).
 */
static int bosh_svm_copy_out(struct bosh_svm *svm, struct vm_area_struct *vma,
			     unsigned long start, unsigned long *src,
			     unsigned long *dst, unsigned long npages,
			     bool fault, bool force)
{
	unsigned long i;
	int ret = 0;

	for (i = 0; i < npages; i++) {
		struct page *spage = migrate_pfn_to_page(src[i]);
		struct page *dpage = NULL;

		dst[i] = 0;
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (!fault && !force && bosh_fault_fires(&svm->fail_page, 1))
			continue;
		if (fault && bosh_fault_fires(&svm->fail_fault_alloc, 1)) {
			ret = -ENOMEM;
			continue;
		}
		if (!fault && !force &&
		    bosh_fault_fires(&bosh_svm_vram(svm)->fail_evict, PAGE_SIZE)) {
			ret = -ENOMEM;
			continue;
		}
		if (vma)
			dpage = alloc_page_vma(BOSH_SVM_PAGE_GFP, vma,
					       start + (i << PAGE_SHIFT));
		else
			dpage = alloc_page(force ? GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL :
					   BOSH_SVM_PAGE_GFP);
		if (!dpage) {
			ret = -ENOMEM;
			continue;
		}
		lock_page(dpage);
		copy_highpage(dpage, bosh_svm_data_page(svm, spage));
		dst[i] = migrate_pfn(page_to_pfn(dpage));
	}
	return ret;
}

/* A migration of [@start, @end) of @vma, with @pfns for src then dst. */
static void bosh_svm_args(struct migrate_vma *args, struct bosh_svm *svm,
			  struct vm_area_struct *vma, unsigned long start,
			  unsigned long end, unsigned long *pfns,
			  unsigned long flags)
{
	*args = (struct migrate_vma) {
		.vma = vma,
		.start = start,
		.end = end,
		.src = pfns,
		.dst = pfns + ((end - start) >> PAGE_SHIFT),
		.pgmap_owner = svm,
		.flags = flags,
	};
}

static unsigned long bosh_svm_count_moved(unsigned long *src, unsigned long *dst,
					  unsigned long npages)
{
	unsigned long i, moved = 0;

	for (i = 0; i < npages; i++)
		if (dst[i] && (src[i] & MIGRATE_PFN_MIGRATE))
			moved++;
	return moved;
}

/*
 * Migrates the pages of [@start, @end) of @vma in @svm's VRAM back to
 * system memory. Returns the pages moved or -ENOMEM (none could be
 * allocated while some were due) or migrate_vma_setup()'s error.
 */
static long bosh_svm_vma_to_system(struct bosh_svm *svm, struct vm_area_struct *vma,
				   unsigned long start, unsigned long end,
				   struct page *fault_page, unsigned long *pfns)
{
	unsigned long npages = (end - start) >> PAGE_SHIFT;
	struct migrate_vma args;
	unsigned long moved;
	int ret;

	bosh_svm_args(&args, svm, vma, start, end, pfns,
		      MIGRATE_VMA_SELECT_DEVICE_PRIVATE);
	args.fault_page = fault_page;
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	if (!args.cpages)
		return 0;
	ret = bosh_svm_copy_out(svm, vma, start, args.src, args.dst, npages,
				fault_page, false);
	migrate_vma_pages(&args);
	moved = bosh_svm_count_moved(args.src, args.dst, npages);
	migrate_vma_finalize(&args);
	return moved || !ret ? moved : ret;
}

/**
 * bosh_svm_to_system() - SVM_MIGRATE to system memory, one step
 * @svm: the device memory
 * @vma: the mapping, mmap_lock held for read
 * @start: first address, page-aligned
 * @end: end, in @vma, at most %BOSH_SVM_CHUNK_PAGES pages from @start
 *
 * Return: pages moved, or -ENOMEM.
 */
long bosh_svm_to_system(struct bosh_svm *svm, struct vm_area_struct *vma,
			unsigned long start, unsigned long end)
{
	unsigned long *pfns;
	long moved;

	pfns = kvcalloc(2 * BOSH_SVM_CHUNK_PAGES, sizeof(*pfns), BOSH_CLIENT_GFP);
	if (!pfns)
		return -ENOMEM;
	moved = bosh_svm_vma_to_system(svm, vma, start, end, NULL, pfns);
	kvfree(pfns);
	return moved;
}

/* The CPU touched a page in VRAM: migrate it back (see the top). */
static vm_fault_t bosh_svm_migrate_to_ram(struct vm_fault *vmf)
{
	struct page *page = vmf->page;
	struct folio *folio = page_folio(page);
	struct bosh_svm_slot *slot = page->zone_device_data;
	struct bosh_svm *svm = bosh_page_svm(page);
	unsigned long addr = vmf->address & PAGE_MASK;
	unsigned long pfns[2];
	unsigned int tries;
	vm_fault_t ret = 0;
	long moved = 0;

	if (test_and_set_bit_lock(BOSH_SVM_SLOT_FAULTING, &slot->flags))
		return 0;
	for (tries = 0; tries < BOSH_SVM_FAULT_TRIES;) {
		moved = bosh_svm_vma_to_system(svm, vmf->vma, addr, addr + PAGE_SIZE,
					       page, pfns);
		/* Moved, failed, or no longer mapped: the refault decides. */
		if (moved || !folio_mapped(folio))
			break;
		/*
		 * An eviction holds the page (it trylocks, so this cannot
		 * wait for us): its move ends one way or the other, and
		 * costs no try.
		 */
		if (folio_test_locked(folio)) {
			folio_wait_locked(folio);
			continue;
		}
		tries++;
		cond_resched();
	}
	if (moved > 0) {
		bosh_stat_add(svm->bdev, BOSH_STAT_SVM_FAULTED_TOTAL, moved);
	} else if (moved < 0 || tries == BOSH_SVM_FAULT_TRIES) {
		bosh_stat_add(svm->bdev, BOSH_STAT_SVM_FAULT_SIGBUS_TOTAL, 1);
		ret = VM_FAULT_SIGBUS;
	}
	clear_bit_unlock(BOSH_SVM_SLOT_FAULTING, &slot->flags);
	return ret;
}

static const struct dev_pagemap_ops bosh_svm_pagemap_ops = {
	.page_free = bosh_svm_page_free,
	.migrate_to_ram = bosh_svm_migrate_to_ram,
};

/* A chunk for @npages blocks of @blocks, on the VRAM LRU, locked. */
static struct bosh_svm_chunk *bosh_svm_chunk_create(struct bosh_svm *svm,
						    struct list_head *blocks,
						    unsigned long npages)
{
	struct gpu_buddy_block *block, *next;
	struct bosh_svm_chunk *c;
	unsigned long i = 0;

	c = kvzalloc(struct_size(c, slots, npages), BOSH_CLIENT_GFP);
	if (!c)
		return NULL;
	c->npages = npages;
	c->node.kind = BOSH_VRAM_SVM;
	c->svm = svm;
	c->bdev = svm->bdev;
	kref_init(&c->ref);
	kref_get(&c->ref);
	atomic_set(&c->live, 1);
	mutex_init(&c->lock);
	spin_lock_init(&c->slock);
	c->id = atomic_inc_return(&svm->next_chunk_id);
	list_for_each_entry_safe(block, next, blocks, link) {
		list_del(&block->link);
		c->slots[i].block = block;
		c->slots[i].chunk = c;
		c->slots[i].index = bosh_vram_block_index(block);
		i++;
	}
	mutex_lock(&c->lock);
	bosh_vram_lru_add(bosh_svm_vram(svm), &c->node.link);
	return c;
}

/*
 * Fills @c from the system pages of [@start, @end) of @vma. Returns the
 * pages moved or migrate_vma_setup()'s error.
 */
static long bosh_svm_fill(struct bosh_svm_chunk *c, struct vm_area_struct *vma,
			  unsigned long start, unsigned long end,
			  unsigned long *pfns)
{
	struct bosh_svm *svm = c->svm;
	struct bosh_device *bdev = svm->bdev;
	unsigned long npages = (end - start) >> PAGE_SHIFT;
	unsigned long i, j = 0, moved;
	struct migrate_vma args;
	int ret;

	bosh_svm_args(&args, svm, vma, start, end, pfns, MIGRATE_VMA_SELECT_SYSTEM);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	if (!args.cpages)
		return 0;
	for (i = 0; i < npages; i++) {
		struct page *spage = migrate_pfn_to_page(args.src[i]);
		struct bosh_svm_slot *slot;
		struct page *dpage, *data;

		args.dst[i] = 0;
		/* More pages than counted came: the rest wait for a next call. */
		if (!(args.src[i] & MIGRATE_PFN_MIGRATE) || j == c->npages ||
		    bosh_fault_fires(&svm->fail_page, 1))
			continue;
		slot = &c->slots[j++];
		dpage = pfn_to_page(svm->base_pfn + slot->index);
		data = bosh_vram_page(&bdev->vram, slot->index);
		/* A page never touched is zero: no stale VRAM shows. */
		if (spage)
			copy_highpage(data, spage);
		else
			clear_highpage(data);
		zone_device_page_init(dpage);
		dpage->zone_device_data = slot;
		spin_lock(&c->slock);
		slot->in_use = true;
		spin_unlock(&c->slock);
		atomic_inc(&c->live);
		bosh_stat_add(bdev, BOSH_STAT_VRAM_PAGES_USED, 1);
		bosh_stat_add(bdev, BOSH_STAT_SVM_PAGES, 1);
		args.dst[i] = migrate_pfn(page_to_pfn(dpage));
		if ((args.src[i] & MIGRATE_PFN_WRITE) ||
		    (!spage && (vma->vm_flags & VM_WRITE)))
			args.dst[i] |= MIGRATE_PFN_WRITE;
	}
	migrate_vma_pages(&args);
	moved = bosh_svm_count_moved(args.src, args.dst, npages);
	/* Pages that did not move: finalize frees them (page_free). */
	migrate_vma_finalize(&args);
	return moved;
}

/**
 * bosh_svm_to_vram() - SVM_MIGRATE into VRAM, one step
 * @svm: the device memory
 * @mm: the address space, mmap_lock not held
 * @start: first address, page-aligned
 * @end: end, in one mapping, at most %BOSH_SVM_CHUNK_PAGES pages from
 *	@start
 * @want: pages of VRAM to have: those of the range not in it already
 *
 * The VRAM is had first, evicting (bosh_place_svm()), without
 * mmap_lock: an eviction may wait for BOs and migrate other SVM pages.
 * The mapping is looked up after: what changed meanwhile moves nothing.
 * Pages that did not move give their VRAM back.
 *
 * Return: pages moved, or -ENOSPC, -ENOMEM, -ERESTARTSYS, -EINTR.
 */
long bosh_svm_to_vram(struct bosh_svm *svm, struct mm_struct *mm,
		      unsigned long start, unsigned long end, unsigned long want)
{
	unsigned long npages = (end - start) >> PAGE_SHIFT;
	struct vm_area_struct *vma;
	struct bosh_svm_chunk *c;
	unsigned long *pfns, i;
	LIST_HEAD(blocks);
	long moved = 0;
	int ret;

	pfns = kvcalloc(2 * npages, sizeof(*pfns), BOSH_CLIENT_GFP);
	if (!pfns)
		return -ENOMEM;
	ret = bosh_place_svm(svm->bdev, want, &blocks);
	if (ret) {
		kvfree(pfns);
		return ret;
	}
	c = bosh_svm_chunk_create(svm, &blocks, want);
	if (!c) {
		struct gpu_buddy_block *block, *next;

		list_for_each_entry_safe(block, next, &blocks, link) {
			list_del(&block->link);
			bosh_vram_free_block(bosh_svm_vram(svm), block);
		}
		kvfree(pfns);
		return -ENOMEM;
	}
	mmap_read_lock(mm);
	vma = vma_lookup(mm, start);
	if (vma && end <= vma->vm_end && vma_is_anonymous(vma))
		moved = bosh_svm_fill(c, vma, start, end, pfns);
	mmap_read_unlock(mm);
	/* The slots no page took: back to the allocator. */
	spin_lock(&c->slock);
	for (i = 0; i < c->npages; i++) {
		struct bosh_svm_slot *slot = &c->slots[i];

		if (slot->in_use || !slot->block)
			continue;
		bosh_vram_free_block(bosh_svm_vram(svm), slot->block);
		slot->block = NULL;
	}
	spin_unlock(&c->slock);
	mutex_unlock(&c->lock);
	bosh_svm_chunk_unlive(c);
	kref_put(&c->ref, bosh_svm_chunk_free);
	kvfree(pfns);
	if (moved > 0)
		bosh_stat_add(svm->bdev, BOSH_STAT_SVM_MIGRATED_TOTAL, moved);
	return moved;
}

/**
 * bosh_svm_chunk_take() - the eviction walk takes a chunk
 * @node: the chunk's LRU entry, under the VRAM LRU lock
 * @seq: the walk's number
 *
 * Chunks being filled or evicted, chunks this walk gave up on, and
 * chunks with nothing left but pages an eviction gave up on are skipped.
 *
 * Return: the chunk, locked and referenced, or NULL.
 */
struct bosh_svm_chunk *bosh_svm_chunk_take(struct bosh_vram_node *node, u64 seq)
{
	struct bosh_svm_chunk *c = container_of(node, struct bosh_svm_chunk, node);

	if (READ_ONCE(c->place_seq) == seq ||
	    atomic_read(&c->live) <= READ_ONCE(c->nr_stuck))
		return NULL;
	if (!mutex_trylock(&c->lock))
		return NULL;
	/* On the LRU, it holds the LRU's reference. */
	kref_get(&c->ref);
	return c;
}

/**
 * bosh_svm_chunk_give() - end what bosh_svm_chunk_take() began
 * @c: the chunk
 * @seq: the walk's number, so it does not take @c again
 */
void bosh_svm_chunk_give(struct bosh_svm_chunk *c, u64 seq)
{
	WRITE_ONCE(c->place_seq, seq);
	mutex_unlock(&c->lock);
	kref_put(&c->ref, bosh_svm_chunk_free);
}

/* Evicts the pages of @c's slots [@i, @i + @n), whose indexes follow. */
static int bosh_svm_evict_run(struct bosh_svm_chunk *c, unsigned long i,
			      unsigned long n, unsigned long *pfns, bool force,
			      unsigned long *moved)
{
	struct bosh_svm *svm = c->svm;
	int ret;

	migrate_device_range(pfns, svm->base_pfn + c->slots[i].index, n);
	ret = bosh_svm_copy_out(svm, NULL, 0, pfns, pfns + n, n, false, force);
	migrate_device_pages(pfns, pfns + n, n);
	*moved += bosh_svm_count_moved(pfns, pfns + n, n);
	migrate_device_finalize(pfns, pfns + n, n);
	return ret;
}

/* One pass over @c's pages in VRAM; returns -ENOMEM if a copy failed. */
static int bosh_svm_evict_pass(struct bosh_svm_chunk *c, unsigned long *pfns,
			       bool force, unsigned long *moved)
{
	unsigned long i, n;
	int ret = 0;

	for (i = 0; i < c->npages; i += n) {
		n = 1;
		if (!READ_ONCE(c->slots[i].in_use))
			continue;
		while (i + n < c->npages && READ_ONCE(c->slots[i + n].in_use) &&
		       c->slots[i + n].index == c->slots[i].index + n)
			n++;
		if (bosh_svm_evict_run(c, i, n, pfns, force, moved))
			ret = -ENOMEM;
	}
	return ret;
}

/* Gives up on @c's pages still in VRAM: they count as pinned. */
static void bosh_svm_chunk_stick(struct bosh_svm_chunk *c)
{
	struct bosh_device *bdev = c->bdev;
	unsigned long i, stuck = 0;

	spin_lock(&c->slock);
	for (i = 0; i < c->npages; i++) {
		struct bosh_svm_slot *slot = &c->slots[i];

		if (!slot->in_use || slot->stuck)
			continue;
		slot->stuck = true;
		c->nr_stuck++;
		stuck++;
	}
	atomic_long_add(stuck, &bdev->vram.stuck);
	spin_unlock(&c->slock);
	bosh_stat_add(bdev, BOSH_STAT_SVM_GAVE_UP_TOTAL, stuck);
}

/**
 * bosh_svm_chunk_evict() - move a chunk's pages out of VRAM
 * @c: the chunk, locked (bosh_svm_chunk_take())
 * @force: unplug: retry until every page moved, allocating with
 *	__GFP_NOFAIL, and no fault point fires
 * @moved: incremented by the pages moved
 *
 * Each round migrates the pages still in use; the pages another
 * reference held are retried, BOSH_SVM_EVICT_TRIES rounds in all, then
 * given up on (bosh_svm_chunk_stick()).
 *
 * Return: 0, or -ENOMEM when a system page could not be had (the pages
 * not moved stay in VRAM, not given up on).
 */
int bosh_svm_chunk_evict(struct bosh_svm_chunk *c, bool force,
			 unsigned long *moved)
{
	unsigned long *pfns, before = *moved;
	unsigned int tries;
	int ret = 0;

	lockdep_assert_held(&c->lock);
	pfns = kvcalloc(2 * c->npages, sizeof(*pfns),
			force ? GFP_KERNEL | __GFP_NOFAIL : BOSH_CLIENT_GFP);
	if (!pfns)
		return -ENOMEM;
	for (tries = 0; atomic_read(&c->live) > 0; tries++) {
		ret = bosh_svm_evict_pass(c, pfns, force, moved);
		if (ret || atomic_read(&c->live) == 0)
			break;
		if (!force && tries + 1 >= BOSH_SVM_EVICT_TRIES) {
			bosh_svm_chunk_stick(c);
			break;
		}
		if (force)
			usleep_range(1000, 2000);
		else
			cond_resched();
	}
	kvfree(pfns);
	bosh_stat_add(c->bdev, BOSH_STAT_SVM_EVICTED_TOTAL, *moved - before);
	return ret;
}

/* The first SVM chunk on the LRU that @seq has not visited, taken. */
static struct bosh_svm_chunk *bosh_svm_next_chunk(struct bosh_device *bdev,
						  u64 seq)
{
	struct bosh_vram *vram = &bdev->vram;
	struct bosh_svm_chunk *c = NULL;
	struct bosh_vram_node *node;

	spin_lock(&vram->lru_lock);
	list_for_each_entry(node, &vram->lru, link) {
		struct bosh_svm_chunk *cand;

		if (node->kind != BOSH_VRAM_SVM)
			continue;
		cand = container_of(node, struct bosh_svm_chunk, node);
		if (READ_ONCE(cand->place_seq) == seq)
			continue;
		kref_get(&cand->ref);
		c = cand;
		break;
	}
	spin_unlock(&vram->lru_lock);
	return c;
}

/*
 * Evicts every SVM chunk once, stuck pages included. @force for unplug:
 * until every page moved. Returns 0 or -ENOMEM (some page stayed).
 */
static long bosh_svm_evict_each(struct bosh_device *bdev, bool force)
{
	u64 seq = atomic64_inc_return(&bdev->place_seq);
	struct bosh_svm_chunk *c;
	long ret = 0;

	while ((c = bosh_svm_next_chunk(bdev, seq))) {
		unsigned long moved = 0;

		mutex_lock(&c->lock);
		/* Stuck pages are tried again: only a fault or exit frees them. */
		if (bosh_svm_chunk_evict(c, force, &moved) ||
		    atomic_read(&c->live) > 0)
			ret = -ENOMEM;
		WRITE_ONCE(c->place_seq, seq);
		mutex_unlock(&c->lock);
		kref_put(&c->ref, bosh_svm_chunk_free);
	}
	return ret;
}

/**
 * bosh_svm_evict_all() - debugfs evict_vram: every SVM page out
 * @bdev: the device
 *
 * Pages an eviction gave up on are tried again.
 *
 * Return: 0 or -ENOMEM (a page stayed in VRAM).
 */
long bosh_svm_evict_all(struct bosh_device *bdev)
{
	return bdev->svm ? bosh_svm_evict_each(bdev, false) : 0;
}

/**
 * bosh_svm_init() - the device-private pages of a device with VRAM
 * @bdev: the device, its VRAM set up
 *
 * memremap_pages() maps in 2 MiB subsections: the pages past an odd
 * vram_mb's last MiB exist and are never handed out.
 *
 * Return: 0 or a negative errno.
 */
int bosh_svm_init(struct bosh_device *bdev)
{
	unsigned long size;
	struct bosh_svm *svm;
	void *addr;
	int ret;
#ifdef CONFIG_FAULT_INJECTION
	static const struct fault_attr off = FAULT_ATTR_INITIALIZER;

#endif
	if (!bosh_vram_present(&bdev->vram))
		return 0;
	svm = kzalloc(sizeof(*svm), GFP_KERNEL);
	if (!svm)
		return -ENOMEM;
#ifdef CONFIG_FAULT_INJECTION
	svm->fail_fault_alloc = off;
	svm->fail_page = off;
#endif
	svm->bdev = bdev;
	size = ALIGN(bdev->vram.npages << PAGE_SHIFT, SZ_2M);
	svm->res = request_free_mem_region(&iomem_resource, size, "bosh-svm");
	if (IS_ERR(svm->res)) {
		ret = PTR_ERR(svm->res);
		goto err_free;
	}
	svm->pagemap.type = MEMORY_DEVICE_PRIVATE;
	svm->pagemap.range.start = svm->res->start;
	svm->pagemap.range.end = svm->res->start + size - 1;
	svm->pagemap.nr_range = 1;
	svm->pagemap.ops = &bosh_svm_pagemap_ops;
	svm->pagemap.owner = svm;
	addr = memremap_pages(&svm->pagemap, numa_node_id());
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		goto err_region;
	}
	svm->base_pfn = PHYS_PFN(svm->res->start);
	bdev->svm = svm;
	return 0;

err_region:
	release_mem_region(svm->res->start, resource_size(svm->res));
err_free:
	kfree(svm);
	return ret;
}

/**
 * bosh_svm_fini() - unplug: every SVM page out of VRAM, the pages gone
 * @bdev: the device, unplugged: no SVM ioctl runs any more
 *
 * Processes keep their data: each page migrates back to system memory,
 * however many rounds it takes.
 */
void bosh_svm_fini(struct bosh_device *bdev)
{
	struct bosh_svm *svm = bdev->svm;

	if (!svm)
		return;
	bosh_svm_evict_each(bdev, true);
	memunmap_pages(&svm->pagemap);
	release_mem_region(svm->res->start, resource_size(svm->res));
	bdev->svm = NULL;
	kfree(svm);
}

/**
 * bosh_svm_show() - debugfs vram: the SVM chunks on the LRU
 * @bdev: the device
 * @m: the seq_file
 */
void bosh_svm_show(struct bosh_device *bdev, struct seq_file *m)
{
	struct bosh_vram *vram = &bdev->vram;
	struct bosh_vram_node *node;

	seq_puts(m, "svm lru: chunk pages stuck\n");
	spin_lock(&vram->lru_lock);
	list_for_each_entry(node, &vram->lru, link) {
		struct bosh_svm_chunk *c;

		if (node->kind != BOSH_VRAM_SVM)
			continue;
		c = container_of(node, struct bosh_svm_chunk, node);
		seq_printf(m, "%u %d %lu\n", c->id, atomic_read(&c->live),
			   READ_ONCE(c->nr_stuck));
	}
	spin_unlock(&vram->lru_lock);
}

/**
 * bosh_svm_debugfs() - expose the SVM fault points
 * @bdev: the device
 * @dir: its debugfs directory
 */
void bosh_svm_debugfs(struct bosh_device *bdev, struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	if (!bdev->svm)
		return;
	fault_create_debugfs_attr("fail_svm_fault_alloc", dir,
				  &bdev->svm->fail_fault_alloc);
	fault_create_debugfs_attr("fail_svm_page", dir, &bdev->svm->fail_page);
#endif
}
