// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated VRAM: system pages set aside at probe, which the buddy
 * allocator hands out a page at a time. Real VRAM is not memory the mm
 * manages, and neither is this: the carve-out is charged to no memcg (as
 * real VRAM is not: the dmem cgroup is 6.14+), is never reclaimed, and
 * holds real data. Page-granular blocks with no contiguity asked for, so
 * a BO fits whenever "VRAM minus pinned" holds its pages.
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "bosh_fault.h"
#include "bosh_vram.h"

/* The carve-out is the device's, not a client's: never the OOM killer. */
#define BOSH_VRAM_GFP	(GFP_HIGHUSER | __GFP_RETRY_MAYFAIL | __GFP_NOWARN | \
			 __GFP_ZERO)

static void bosh_vram_free_chunks(struct bosh_vram *vram)
{
	unsigned int i;

	for (i = 0; i < vram->nr_chunks; i++)
		if (vram->chunks[i])
			__free_pages(vram->chunks[i], BOSH_VRAM_CHUNK_ORDER);
	kvfree(vram->chunks);
	vram->chunks = NULL;
	vram->nr_chunks = 0;
}

/**
 * bosh_vram_init() - set up a device's VRAM
 * @vram: the VRAM, zeroed
 * @mb: size in MiB; 0 gives a device without VRAM
 *
 * The carve-out is allocated here, in 1 MiB chunks; a probe that cannot
 * have it fails.
 *
 * Return: 0 or -ENOMEM.
 */
int bosh_vram_init(struct bosh_vram *vram, unsigned int mb)
{
#ifdef CONFIG_FAULT_INJECTION
	static const struct fault_attr off = FAULT_ATTR_INITIALIZER;

	vram->fail_alloc = off;
	vram->fail_evict = off;
	vram->fail_backoff = off;
	vram->fail_fallback = off;
#endif
	mutex_init(&vram->mm_lock);
	spin_lock_init(&vram->free_lock);
	INIT_LIST_HEAD(&vram->freed);
	spin_lock_init(&vram->lru_lock);
	INIT_LIST_HEAD(&vram->lru);
	init_rwsem(&vram->validate_sem);
	if (!mb)
		return 0;

	vram->chunks = kvcalloc(mb, sizeof(*vram->chunks), GFP_KERNEL);
	if (!vram->chunks)
		return -ENOMEM;
	vram->nr_chunks = mb;
	for (unsigned int i = 0; i < mb; i++) {
		struct page *page = alloc_pages(BOSH_VRAM_GFP, BOSH_VRAM_CHUNK_ORDER);

		if (!page)
			goto err_free;
		vram->chunks[i] = page;
		cond_resched();
	}
	if (gpu_buddy_init(&vram->mm, (u64)mb << 20, PAGE_SIZE))
		goto err_free;
	vram->npages = (unsigned long)mb << (20 - PAGE_SHIFT);
	return 0;

err_free:
	bosh_vram_free_chunks(vram);
	return -ENOMEM;
}

/* Returns the blocks freed since the last allocation to the allocator. */
static void bosh_vram_drain_locked(struct bosh_vram *vram)
{
	unsigned long pages;
	LIST_HEAD(blocks);

	lockdep_assert_held(&vram->mm_lock);
	spin_lock(&vram->free_lock);
	list_splice_init(&vram->freed, &blocks);
	pages = vram->freed_pages;
	vram->freed_pages = 0;
	spin_unlock(&vram->free_lock);
	if (!pages)
		return;
	gpu_buddy_free_list(&vram->mm, &blocks, 0);
	atomic_long_sub(pages, &vram->used);
}

/**
 * bosh_vram_fini() - give the carve-out back
 * @vram: the VRAM, every block freed
 */
void bosh_vram_fini(struct bosh_vram *vram)
{
	if (!bosh_vram_present(vram))
		return;
	mutex_lock(&vram->mm_lock);
	bosh_vram_drain_locked(vram);
	mutex_unlock(&vram->mm_lock);
	WARN(atomic_long_read(&vram->used) || vram->mm.avail != vram->mm.size,
	     "bosh: VRAM left allocated: %ld pages counted, %llu of %llu bytes free\n",
	     atomic_long_read(&vram->used), vram->mm.avail, vram->mm.size);
	WARN(bosh_vram_pinned(vram), "bosh: %ld VRAM pages left pinned\n",
	     bosh_vram_pinned(vram));
	WARN(!list_empty(&vram->lru), "bosh: BOs left on the VRAM LRU\n");
	gpu_buddy_fini(&vram->mm);
	bosh_vram_free_chunks(vram);
	vram->npages = 0;
}

/**
 * bosh_vram_alloc() - allocate pages of VRAM
 * @vram: the VRAM
 * @npages: pages wanted
 * @blocks: empty list that receives the buddy blocks
 *
 * Return: 0, -ENOSPC (not enough free VRAM) or -ENOMEM (the allocator's
 * own memory, or the fail_vram_alloc point).
 */
int bosh_vram_alloc(struct bosh_vram *vram, unsigned long npages,
		    struct list_head *blocks)
{
	int ret;

	if (bosh_fault_fires(&vram->fail_alloc, npages << PAGE_SHIFT))
		return -ENOMEM;
	mutex_lock(&vram->mm_lock);
	bosh_vram_drain_locked(vram);
	ret = gpu_buddy_alloc_blocks(&vram->mm, 0, vram->mm.size,
				     (u64)npages << PAGE_SHIFT, PAGE_SIZE,
				     blocks, 0);
	mutex_unlock(&vram->mm_lock);
	if (ret)
		return ret == -ENOSPC ? -ENOSPC : -ENOMEM;
	atomic_long_add(npages, &vram->used);
	return 0;
}

/**
 * bosh_vram_alloc_pages() - allocate pages of VRAM one block each
 * @vram: the VRAM
 * @npages: pages wanted
 * @blocks: empty list that receives @npages blocks of one page
 *
 * For SVM, whose pages come back one at a time (each device page's
 * page_free), each to be reused at once.
 *
 * Return: 0, -ENOSPC (not enough free VRAM) or -ENOMEM (the allocator's
 * own memory, or the fail_vram_alloc point).
 */
int bosh_vram_alloc_pages(struct bosh_vram *vram, unsigned long npages,
			  struct list_head *blocks)
{
	unsigned long i;
	int ret = 0;

	if (bosh_fault_fires(&vram->fail_alloc, npages << PAGE_SHIFT))
		return -ENOMEM;
	mutex_lock(&vram->mm_lock);
	bosh_vram_drain_locked(vram);
	if (vram->mm.avail < (u64)npages << PAGE_SHIFT)
		ret = -ENOSPC;
	for (i = 0; !ret && i < npages; i++)
		ret = gpu_buddy_alloc_blocks(&vram->mm, 0, vram->mm.size, PAGE_SIZE,
					     PAGE_SIZE, blocks, 0);
	if (ret)
		gpu_buddy_free_list(&vram->mm, blocks, 0);
	mutex_unlock(&vram->mm_lock);
	if (ret)
		return ret == -ENOSPC ? -ENOSPC : -ENOMEM;
	atomic_long_add(npages, &vram->used);
	return 0;
}

/**
 * bosh_vram_free() - free what bosh_vram_alloc() gave
 * @vram: the VRAM
 * @blocks: the blocks; the list is left empty
 * @npages: the pages they hold
 *
 * Callable from reclaim (the shrinker purges DONTNEED BOs in VRAM): the
 * blocks wait on a list, under a spinlock, for the next allocation to
 * return them to the allocator, whose lock is held while it allocates.
 * They count as used until then.
 */
void bosh_vram_free(struct bosh_vram *vram, struct list_head *blocks,
		    unsigned long npages)
{
	spin_lock(&vram->free_lock);
	list_splice_tail_init(blocks, &vram->freed);
	vram->freed_pages += npages;
	spin_unlock(&vram->free_lock);
}

/**
 * bosh_vram_free_block() - free one block of bosh_vram_alloc_pages()
 * @vram: the VRAM
 * @block: the block, of one page, on no list
 *
 * As bosh_vram_free(), from any context that may take a spinlock.
 */
void bosh_vram_free_block(struct bosh_vram *vram, struct gpu_buddy_block *block)
{
	spin_lock(&vram->free_lock);
	list_add_tail(&block->link, &vram->freed);
	vram->freed_pages++;
	spin_unlock(&vram->free_lock);
}

/**
 * bosh_vram_pinned() - VRAM that no eviction will free
 * @vram: the VRAM
 *
 * Return: pages pinned by users plus pages an eviction could not move.
 */
long bosh_vram_pinned(struct bosh_vram *vram)
{
	return atomic_long_read(&vram->user_pinned) +
	       atomic_long_read(&vram->stuck);
}

/**
 * bosh_vram_lru_add() - a BO entered VRAM: most recently used
 * @vram: the VRAM
 * @link: the BO's entry
 */
void bosh_vram_lru_add(struct bosh_vram *vram, struct list_head *link)
{
	spin_lock(&vram->lru_lock);
	list_add_tail(link, &vram->lru);
	spin_unlock(&vram->lru_lock);
}

/**
 * bosh_vram_lru_del() - a BO left VRAM
 * @vram: the VRAM
 * @link: the BO's entry
 */
void bosh_vram_lru_del(struct bosh_vram *vram, struct list_head *link)
{
	spin_lock(&vram->lru_lock);
	list_del_init(link);
	spin_unlock(&vram->lru_lock);
}

/**
 * bosh_vram_lru_touch() - a use of a BO in VRAM: evicted last
 * @vram: the VRAM
 * @link: the BO's entry, on the LRU or not
 */
void bosh_vram_lru_touch(struct bosh_vram *vram, struct list_head *link)
{
	spin_lock(&vram->lru_lock);
	if (!list_empty(link))
		list_move_tail(link, &vram->lru);
	spin_unlock(&vram->lru_lock);
}

/**
 * bosh_vram_show() - the usage and the allocator's state, for debugfs
 * @vram: the VRAM
 * @m: the seq_file
 */
void bosh_vram_show(struct bosh_vram *vram, struct seq_file *m)
{
	u64 avail;

	mutex_lock(&vram->mm_lock);
	bosh_vram_drain_locked(vram);
	avail = bosh_vram_present(vram) ? vram->mm.avail : 0;
	mutex_unlock(&vram->mm_lock);
	seq_printf(m, "pages_total %lu\n", vram->npages);
	seq_printf(m, "pages_used %ld\n", atomic_long_read(&vram->used));
	seq_printf(m, "pages_pinned %ld\n", bosh_vram_pinned(vram));
	seq_printf(m, "pages_user_pinned %ld\n", atomic_long_read(&vram->user_pinned));
	seq_printf(m, "pages_stuck %ld\n", atomic_long_read(&vram->stuck));
	seq_printf(m, "buddy_chunk_size %llu\n",
		   bosh_vram_present(vram) ? vram->mm.chunk_size : 0);
	seq_printf(m, "buddy_max_order %u\n",
		   bosh_vram_present(vram) ? vram->mm.max_order : 0);
	seq_printf(m, "buddy_avail_pages %llu\n", avail >> PAGE_SHIFT);
}

/**
 * bosh_vram_debugfs() - expose the VRAM fault points
 * @vram: the VRAM
 * @dir: the device's debugfs directory
 */
void bosh_vram_debugfs(struct bosh_vram *vram, struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_vram_alloc", dir, &vram->fail_alloc);
	fault_create_debugfs_attr("fail_vram_evict", dir, &vram->fail_evict);
	fault_create_debugfs_attr("fail_vram_backoff", dir, &vram->fail_backoff);
	fault_create_debugfs_attr("fail_vram_fallback", dir, &vram->fail_fallback);
#endif
}
