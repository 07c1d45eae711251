/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SVM's device memory (bosh_svm.c): device-private pages over the VRAM
 * carve-out, their moves in and out, their eviction. The ranges a file
 * binds and the SVM ioctls are bosh_svm_client.c's. Built where the
 * kernel has CONFIG_DEVICE_PRIVATE and CONFIG_HMM_MIRROR (Kbuild defines
 * BOSH_SVM); elsewhere the stubs below say "not supported".
 */
#ifndef _BOSH_SVM_H_
#define _BOSH_SVM_H_

#include <linux/errno.h>
#include <linux/fault-inject.h>
#include <linux/kref.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

#include "bosh_vram.h"

struct bosh_device;
struct bosh_svm_client;
struct drm_file;
struct mm_struct;
struct seq_file;
struct vm_area_struct;

/* Pages of one chunk: what one step of SVM_MIGRATE moves in (2 MiB). */
#define BOSH_SVM_CHUNK_PAGES	512

/**
 * struct bosh_svm - a device's device-private memory
 * @bdev: the device
 * @pagemap: the ZONE_DEVICE pages; device pfn @base_pfn + i holds its
 *	data in carve-out page i
 * @res: the physical address range the pages were given
 * @base_pfn: the first device pfn
 * @next_chunk_id: last chunk id handed out
 * @fail_fault_alloc: fault point: the system page of a CPU fault's
 *	migration cannot be allocated (the fault gets SIGBUS)
 * @fail_page: fault point: a page a migration or an eviction collected
 *	is left behind, as a page pinned by someone else would be
 */
struct bosh_svm {
	struct bosh_device *bdev;
	struct dev_pagemap pagemap;
	struct resource *res;
	unsigned long base_pfn;
	atomic_t next_chunk_id;
	struct fault_attr fail_fault_alloc;
	struct fault_attr fail_page;
};

/**
 * struct bosh_svm_slot - one VRAM page of a chunk
 * @block: its buddy block, of one page; NULL once the page was freed
 * @chunk: the chunk
 * @index: the carve-out page index, fixed for the chunk's life
 * @flags: BOSH_SVM_SLOT_FAULTING while a CPU fault migrates it back
 * @in_use: a device page holds it, under @chunk's slock
 * @stuck: an eviction gave up on it: counted as pinned VRAM, under
 *	@chunk's slock
 */
struct bosh_svm_slot {
	struct gpu_buddy_block *block;
	struct bosh_svm_chunk *chunk;
	unsigned long index;
	unsigned long flags;
	bool in_use;
	bool stuck;
};

/**
 * struct bosh_svm_chunk - the SVM pages one migration step put in VRAM
 * @node: its entry in the VRAM LRU, beside BOs
 * @svm: the device memory
 * @bdev: the device, which outlives @svm: an eviction that freed the
 *	chunk's last page may end after unplug freed @svm
 * @ref: one for the LRU (dropped when the last page is freed), one for
 *	whoever holds it for a migration or an eviction
 * @live: pages in use, plus one while it is being filled
 * @lock: held while it is filled and while it is evicted
 * @slock: protects the slots' @in_use and @stuck, and @nr_stuck
 * @nr_stuck: slots an eviction gave up on
 * @place_seq: the last VRAM walk that took or gave up on it
 * @id: device-unique number, for debugfs
 * @npages: entries of @slots
 * @slots: its pages
 */
struct bosh_svm_chunk {
	struct bosh_vram_node node;
	struct bosh_svm *svm;
	struct bosh_device *bdev;
	struct kref ref;
	atomic_t live;
	struct mutex lock;	/* filling, evicting */
	spinlock_t slock;	/* protects the slots' state, nr_stuck */
	unsigned long nr_stuck;
	u64 place_seq;
	u32 id;
	unsigned long npages;
	struct bosh_svm_slot slots[] __counted_by(npages);
};

#ifdef BOSH_SVM

int bosh_svm_init(struct bosh_device *bdev);
void bosh_svm_fini(struct bosh_device *bdev);
struct bosh_svm_chunk *bosh_svm_chunk_take(struct bosh_vram_node *node, u64 seq);
int bosh_svm_chunk_evict(struct bosh_svm_chunk *c, bool force,
			 unsigned long *moved);
void bosh_svm_chunk_give(struct bosh_svm_chunk *c, u64 seq);
long bosh_svm_evict_all(struct bosh_device *bdev);
void bosh_svm_show(struct bosh_device *bdev, struct seq_file *m);
void bosh_svm_debugfs(struct bosh_device *bdev, struct dentry *dir);
long bosh_svm_to_vram(struct bosh_svm *svm, struct mm_struct *mm,
		      unsigned long start, unsigned long end, unsigned long want);
long bosh_svm_to_system(struct bosh_svm *svm, struct vm_area_struct *vma,
			unsigned long start, unsigned long end);
struct page *bosh_svm_data_page(struct bosh_svm *svm, struct page *page);

int bosh_svm_client_bind(struct drm_file *file, void *data);
int bosh_svm_client_migrate(struct drm_file *file, void *data);
int bosh_svm_client_rw(struct drm_file *file, void *data);
int bosh_svm_client_info(struct drm_file *file, void *data);
void bosh_svm_client_close(struct drm_file *file);

#else

static inline int bosh_svm_init(struct bosh_device *bdev)
{
	return 0;
}

static inline void bosh_svm_fini(struct bosh_device *bdev)
{
}

static inline struct bosh_svm_chunk *bosh_svm_chunk_take(struct bosh_vram_node *node,
							 u64 seq)
{
	return NULL;
}

static inline int bosh_svm_chunk_evict(struct bosh_svm_chunk *c, bool force,
				       unsigned long *moved)
{
	return 0;
}

static inline void bosh_svm_chunk_give(struct bosh_svm_chunk *c, u64 seq)
{
}

static inline long bosh_svm_evict_all(struct bosh_device *bdev)
{
	return 0;
}

static inline void bosh_svm_show(struct bosh_device *bdev, struct seq_file *m)
{
}

static inline void bosh_svm_debugfs(struct bosh_device *bdev, struct dentry *dir)
{
}

static inline int bosh_svm_client_bind(struct drm_file *file, void *data)
{
	return -EOPNOTSUPP;
}

static inline int bosh_svm_client_migrate(struct drm_file *file, void *data)
{
	return -EOPNOTSUPP;
}

static inline int bosh_svm_client_rw(struct drm_file *file, void *data)
{
	return -EOPNOTSUPP;
}

static inline int bosh_svm_client_info(struct drm_file *file, void *data)
{
	return -EOPNOTSUPP;
}

static inline void bosh_svm_client_close(struct drm_file *file)
{
}

#endif /* BOSH_SVM */

#endif /* _BOSH_SVM_H_ */
