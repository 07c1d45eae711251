/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Simulated VRAM (bosh_vram.c): a carve-out of system pages, allocated at
 * probe and managed by the kernel's buddy allocator, page-granular; its
 * LRU of the BOs placed in it; its usage counts. It knows nothing of BOs
 * but their list entries: placement and eviction are bosh_place.c's.
 */
#ifndef _BOSH_VRAM_H_
#define _BOSH_VRAM_H_

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/fault-inject.h>
#include <linux/gpu_buddy.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>

struct seq_file;

/* What an entry of the VRAM LRU is: BOs and SVM chunks share it. */
enum bosh_vram_kind {
	BOSH_VRAM_BO,
	BOSH_VRAM_SVM,
};

/**
 * struct bosh_vram_node - an entry of the VRAM LRU
 * @link: in &bosh_vram.lru, under its lock; empty when off the LRU
 * @kind: whose entry it is
 */
struct bosh_vram_node {
	struct list_head link;
	enum bosh_vram_kind kind;
};

/**
 * struct bosh_vram - a device's VRAM
 * @mm: the buddy allocator over [0, @npages << PAGE_SHIFT)
 * @mm_lock: protects @mm; the allocator allocates under it, so it may
 *	recurse into reclaim, where BOs are freed: frees never take it
 * @free_lock: protects @freed and @freed_pages
 * @freed: blocks given back, returned to @mm by the next allocation
 * @freed_pages: pages in @freed
 * @chunks: the carve-out, %BOSH_VRAM_CHUNK_PAGES pages each
 * @nr_chunks: entries of @chunks
 * @npages: capacity in pages, 0 without VRAM
 * @lru_lock: protects @lru
 * @lru: the BOs and SVM chunks in VRAM, least recently used first
 * @used: pages allocated
 * @user_pinned: pages of BOs pinned in VRAM, bounded by
 *	``max_vram_pinned_mb``
 * @stuck: pages of BOs an eviction could not move out: they count as
 *	pinned until they move or go
 * @validate_sem: every validation into VRAM holds it shared; the
 *	fallback's last try holds it exclusive
 * @fail_alloc: fault point: the allocator fails (-ENOMEM)
 * @fail_evict: fault point: the copy out of VRAM fails (-ENOMEM)
 * @fail_backoff: fault point: an -EDEADLK at a lock of the eviction walk
 * @fail_fallback: fault point: the bounded walk ends as if it had lost,
 *	so the fallback decides
 */
struct bosh_vram {
	struct gpu_buddy mm;
	struct mutex mm_lock;		/* protects mm */
	spinlock_t free_lock;		/* protects freed, freed_pages */
	struct list_head freed;
	unsigned long freed_pages;
	struct page **chunks;
	unsigned int nr_chunks;
	unsigned long npages;
	spinlock_t lru_lock;		/* protects lru */
	struct list_head lru;
	atomic_long_t used;
	atomic_long_t user_pinned;
	atomic_long_t stuck;
	struct rw_semaphore validate_sem;
	struct fault_attr fail_alloc;
	struct fault_attr fail_evict;
	struct fault_attr fail_backoff;
	struct fault_attr fail_fallback;
};

/* The carve-out's allocation unit: 1 MiB, so any vram_mb is exact. */
#define BOSH_VRAM_CHUNK_ORDER	(20 - PAGE_SHIFT)
#define BOSH_VRAM_CHUNK_PAGES	BIT(BOSH_VRAM_CHUNK_ORDER)

int bosh_vram_init(struct bosh_vram *vram, unsigned int mb);
void bosh_vram_fini(struct bosh_vram *vram);
int bosh_vram_alloc(struct bosh_vram *vram, unsigned long npages,
		    struct list_head *blocks);
int bosh_vram_alloc_pages(struct bosh_vram *vram, unsigned long npages,
			  struct list_head *blocks);
void bosh_vram_free(struct bosh_vram *vram, struct list_head *blocks,
		    unsigned long npages);
void bosh_vram_free_block(struct bosh_vram *vram, struct gpu_buddy_block *block);
long bosh_vram_pinned(struct bosh_vram *vram);
void bosh_vram_lru_add(struct bosh_vram *vram, struct list_head *link);
void bosh_vram_lru_del(struct bosh_vram *vram, struct list_head *link);
void bosh_vram_lru_touch(struct bosh_vram *vram, struct list_head *link);
void bosh_vram_show(struct bosh_vram *vram, struct seq_file *m);
void bosh_vram_debugfs(struct bosh_vram *vram, struct dentry *dir);

/* Page @i of the carve-out: the buddy's offsets are its byte offsets. */
static inline struct page *bosh_vram_page(struct bosh_vram *vram,
					  unsigned long i)
{
	return vram->chunks[i >> BOSH_VRAM_CHUNK_ORDER] +
	       (i & (BOSH_VRAM_CHUNK_PAGES - 1));
}

/* The carve-out page index of a block's first page. */
static inline unsigned long bosh_vram_block_index(struct gpu_buddy_block *block)
{
	return gpu_buddy_block_offset(block) >> PAGE_SHIFT;
}

/* Does this device have VRAM at all? */
static inline bool bosh_vram_present(const struct bosh_vram *vram)
{
	return vram->npages;
}

#endif /* _BOSH_VRAM_H_ */
