/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The types every file of bosh shares: the device, the BO, a client's
 * state, the stats and the gfp rules. Each file's functions are declared
 * in its own header; bosh_drv.h is the module entry's.
 */
#ifndef _BOSH_TYPES_H_
#define _BOSH_TYPES_H_

#include <linux/atomic.h>
#include <linux/fault-inject.h>
#include <linux/highmem.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/list_lru.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/shrinker.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>

#include "bosh_backup.h"
#include "bosh_fault.h"
#include "bosh_group.h"
#include "bosh_lru.h"
#include "bosh_svm.h"
#include "bosh_vram.h"

/* Upper bound of the MiB knobs: 1 TiB. */
#define BOSH_KNOB_MB_MAX		SZ_1M
#define BOSH_DEFAULT_SWAP_RESERVE_MB	128
#define BOSH_DEFAULT_MAX_PINNED_MB	256
/* Default max_bo_mb, per device: this share of RAM (1/2). */
#define BOSH_DEFAULT_MAX_BO_RAM_SHIFT	1

/*
 * BO pages are allocated for unprivileged clients: a failure is their
 * ENOMEM (or SIGBUS in a fault), never the OOM killer sent after someone
 * else, as TTM allocates user BOs; and not a stack dump in the log that
 * any client could provoke at will. They are charged to the BO's owner
 * (bosh_group_charge_begin()), and a charge over its limit reclaims in
 * the owner's memcg, then fails: __GFP_RETRY_MAYFAIL keeps the memcg's
 * OOM killer away too.
 */
#define BOSH_BO_PAGE_GFP \
	(GFP_HIGHUSER | __GFP_RETRY_MAYFAIL | __GFP_NOWARN | __GFP_ACCOUNT)
/* The same rule for what a client's call allocates besides its pages. */
#define BOSH_CLIENT_GFP \
	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN | __GFP_ACCOUNT)
/* Counters shown in debugfs stats; gauges first, then totals. */
enum bosh_stat {
	BOSH_STAT_BOS,
	BOSH_STAT_PAGES_TOTAL,
	BOSH_STAT_PAGES_RESIDENT,
	BOSH_STAT_PAGES_BACKED_UP,
	BOSH_STAT_PAGES_PURGEABLE,
	BOSH_STAT_PAGES_PURGEABLE_BACKED_UP,
	BOSH_STAT_PAGES_BACKUPABLE,
	BOSH_STAT_PAGES_PINNED,
	BOSH_STAT_VRAM_PAGES_USED,
	BOSH_STAT_SVM_PAGES,
	BOSH_STAT_PURGED_TOTAL,
	BOSH_STAT_BACKED_UP_TOTAL,
	BOSH_STAT_RESTORED_TOTAL,
	BOSH_STAT_WRITTEN_BACK_TOTAL,
	BOSH_STAT_SCANS_TOTAL,
	BOSH_STAT_SCANS_KSWAPD_TOTAL,
	BOSH_STAT_SCANS_DIRECT_TOTAL,
	BOSH_STAT_SCANS_MEMCG_TOTAL,
	BOSH_STAT_SCANS_DEBUGFS_TOTAL,
	BOSH_STAT_SCANS_SHRINKER_DEBUG_TOTAL,
	BOSH_STAT_SCANNED_TOTAL,
	BOSH_STAT_FREED_TOTAL,
	BOSH_STAT_BACKUP_ERRORS_TOTAL,
	BOSH_STAT_RESTORE_ERRORS_TOTAL,
	BOSH_STAT_RESTORE_INTERRUPTED_TOTAL,
	BOSH_STAT_SKIPPED_BUSY_TOTAL,
	BOSH_STAT_SKIPPED_LOCKED_TOTAL,
	BOSH_STAT_SKIPPED_IN_USE_TOTAL,
	BOSH_STAT_BACKUP_VISITED_TOTAL,
	BOSH_STAT_BACKUP_ZAPPED_TOTAL,
	BOSH_STAT_VRAM_EVICTED_TOTAL,
	BOSH_STAT_VRAM_BACKOFFS_TOTAL,
	BOSH_STAT_VRAM_FALLBACKS_TOTAL,
	BOSH_STAT_VRAM_BACKOFF_US_TOTAL,
	BOSH_STAT_VRAM_VALIDATE_FAILED_TOTAL,
	BOSH_STAT_SVM_MIGRATED_TOTAL,
	BOSH_STAT_SVM_EVICTED_TOTAL,
	BOSH_STAT_SVM_FAULTED_TOTAL,
	BOSH_STAT_SVM_FAULT_SIGBUS_TOTAL,
	BOSH_STAT_SVM_GAVE_UP_TOTAL,
	BOSH_STAT_COUNT
};

/* The gauges, which are 0 when a device has no BO. */
#define BOSH_STAT_NR_GAUGES	BOSH_STAT_PURGED_TOTAL

/**
 * struct bosh_device - one virtual render device
 * @drm: the DRM device; its parent is platform device bosh.N
 * @id: N in bosh.N
 * @store: the backup store (one shmem file)
 * @shrinker: the shrinker, named after the device
 * @memcg_lru: the groups, on the list of the memcg each is charged to
 * @groups_lock: protects @groups
 * @groups: every &struct bosh_group of the device
 * @stats: counters, see &enum bosh_stat
 * @limits_lock: serialises @bytes_total and @pinned_pages against the caps
 * @bytes_total: bytes of all BOs, bounded by @max_bo_mb
 * @shrinker_enabled: sysfs knob
 * @writeback: sysfs knob
 * @swap_reserve_mb: sysfs knob
 * @max_bo_mb: sysfs knob
 * @max_pinned_mb: sysfs knob
 * @max_vram_pinned_mb: sysfs knob
 * @vram: the VRAM tier, empty unless the vram_mb parameter asks for one
 * @svm: device-private pages over @vram, where SVM is built and the
 *	device has VRAM, until unplug; else NULL
 * @place_seq: number of the last VRAM validation or evict_vram walk
 * @last_shrink_freed: pages freed by the last debugfs shrink
 * @next_bo_id: last BO id handed out
 * @walk_seq: number of the last purge or evict walk
 * @faults: fault-injection points
 * @shmem_lock: protects @shmem_bos
 * @shmem_bos: every shmem-native BO of the device
 * @debugfs_alias: the /sys/kernel/debug/bosh/bosh.N symlink
 * @test_corrupt_restores: test builds only: restores left to corrupt
 * @test_shrink_gfp: test builds only: the gfp mask of debugfs shrink, 0
 *	for GFP_KERNEL, so tests can run the scan as GFP_NOFS or GFP_NOIO
 *	reclaim would
 */
struct bosh_device {
	struct drm_device drm;
	int id;
	struct bosh_backup *store;
	struct shrinker *shrinker;
	struct list_lru memcg_lru;
	spinlock_t groups_lock;		/* protects groups */
	struct list_head groups;
	atomic_long_t stats[BOSH_STAT_COUNT];
	struct mutex limits_lock;	/* protects bytes_total and the caps */
	u64 bytes_total;
	unsigned int shrinker_enabled;
	unsigned int writeback;
	unsigned int swap_reserve_mb;
	unsigned int max_bo_mb;
	unsigned int max_pinned_mb;
	unsigned int max_vram_pinned_mb;
	struct bosh_vram vram;
	struct bosh_svm *svm;
	atomic64_t place_seq;
	unsigned long last_shrink_freed;
	atomic_t next_bo_id;
	atomic64_t walk_seq;
	struct bosh_faults faults;
	spinlock_t shmem_lock;		/* protects shmem_bos */
	struct list_head shmem_bos;
	struct dentry *debugfs_alias;
#ifdef BOSH_TEST_HOOKS
	atomic_t test_corrupt_restores;
	gfp_t test_shrink_gfp;
#endif
};

/**
 * struct bosh_bo - a buffer object
 * @base: the GEM object; its resv guards the slots and the counts below
 * @bdev: the device
 * @group: the owner's group, which holds @lru
 * @lru: entry in one of @group's lists
 * @put_work: drops a reference taken by reclaim, outside reclaim
 * @npages: number of slots
 * @slots: one &bosh_slot per page
 * @store_base: first index of the BO's reserved range in the store
 * @backup_from: no slot below it holds a resident page: where the next
 *	backup starts, so that small scan calls do not walk what earlier ones
 *	backed up; lowered by population and restore
 * @nr_resident: resident pages
 * @nr_backed_up: pages in the store
 * @pin_count: pins: user pins plus one per foreign attachment, at most
 *	%BOSH_PIN_MAX
 * @user_pins: the pins taken with BO_PIN, the only ones BO_UNPIN drops
 * @users: BO_RW copies in flight, which block backup and purge; dropped
 *	with release and read with acquire ordering
 * @madv: BOSH_MADV_*
 * @purged: the content was purged; the BO is dead
 * @id: device-unique number, for debugfs and tracepoints
 * @walk_seq: the last purge or evict walk that visited the BO, under
 *	the group's LRU lock
 * @placement: BOSH_PLACE_* given at creation
 * @in_vram: every slot holds a VRAM page, from @vram_blocks
 * @vram_stuck: an eviction could not move the BO out of VRAM: its pages
 *	count as pinned VRAM until it moves or goes
 * @vram_blocks: the buddy blocks of its VRAM
 * @vram_node: entry in the device's VRAM LRU while @in_vram
 * @place_seq: the last VRAM walk that gave up on the BO, under its resv
 * @evict_link: entry in a VRAM walk's list of victims it trylocked
 * @shmem: a shmem-native BO's own file (BOSH_BO_CREATE_SHMEM), else
 *	NULL: its slots hold pinned pages of the file, or their own index
 *	in it once unpinned (bosh_bo_shmem.c)
 * @shmem_link: entry in the device's list of shmem-native BOs
 */
struct bosh_bo {
	struct drm_gem_object base;
	struct bosh_device *bdev;
	struct bosh_group *group;
	struct bosh_lru_link lru;
	struct work_struct put_work;
	pgoff_t npages;
	unsigned long *slots;
	pgoff_t store_base;
	pgoff_t backup_from;
	pgoff_t nr_resident;
	pgoff_t nr_backed_up;
	unsigned int pin_count;
	unsigned int user_pins;
	atomic_t users;
	unsigned int madv;
	bool purged;
	u32 id;
	u64 walk_seq;
	u32 placement;
	bool in_vram;
	bool vram_stuck;
	struct list_head vram_blocks;
	struct bosh_vram_node vram_node;
	u64 place_seq;
	struct list_head evict_link;
	struct file *shmem;
	struct list_head shmem_link;
};

static inline struct bosh_device *to_bosh_device(struct drm_device *drm)
{
	return container_of(drm, struct bosh_device, drm);
}

static inline struct bosh_bo *to_bosh_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct bosh_bo, base);
}

static inline void bosh_stat_add(struct bosh_device *bdev, enum bosh_stat s, long v)
{
	atomic_long_add(v, &bdev->stats[s]);
}

static inline long bosh_stat_read(struct bosh_device *bdev, enum bosh_stat s)
{
	return atomic_long_read(&bdev->stats[s]);
}

/*
 * Checks a user range before anything changes, so a bad pointer fails with
 * -EFAULT and leaves the BO as it was.
 */
static inline bool bosh_user_range_ok(bool write, void __user *data, u64 size)
{
	if (!access_ok(data, size))
		return false;
	return !(write ? fault_in_readable(data, size) :
			 fault_in_safe_writeable(data, size));
}

/*
 * One page's step of a BO_RW copy, shared by BOs and imports: copies
 * between @page, which holds byte *@offset of the object, and user memory
 * at *@data, up to the page's end or *@size bytes, then advances all
 * three. Returns 0 or -EFAULT. The caller finds and holds the page.
 */
static inline int bosh_copy_page_user(struct page *page, bool write,
				      u64 *offset, u64 *size,
				      void __user **data)
{
	size_t off = offset_in_page(*offset);
	size_t len = min_t(u64, *size, PAGE_SIZE - off);
	void *vaddr = kmap_local_page(page);
	unsigned long left;

	left = write ? copy_from_user(vaddr + off, *data, len) :
		       copy_to_user(*data, vaddr + off, len);
	kunmap_local(vaddr);
	if (left)
		return -EFAULT;
	*offset += len;
	*data += len;
	*size -= len;
	return 0;
}

/* What the shrinker may take from an unpinned BO, in the passes' order. */
enum bosh_shrink_mode {
	BOSH_SHRINK_PURGE,
	BOSH_SHRINK_BACKUP,
	BOSH_SHRINK_WRITEBACK,
};

/**
 * struct bosh_shrunk - what shrinking BOs did, summed over the BOs
 * @taken: pages taken from BOs: purged, copied into the store, or
 *	unpinned (shmem-native); the scan's progress
 * @freed: pages the call released: purged, or copied into the store
 *	and freed; not unpinned shmem-native pages, which reclaim frees
 *	later, if it wants them
 * @ram: RAM a purge gave back for good (the store's copies it dropped,
 *	or a shmem-native BO's unpinned pages, may have been in swap)
 * @err: the backup error that stopped the last BO's walk, or 0
 */
struct bosh_shrunk {
	long taken;
	long freed;
	long ram;
	int err;
};

/* The list a pass of @mode walks: purge DONTNEED BOs, back up the others. */
static inline enum bosh_lru_list bosh_pass_list(enum bosh_shrink_mode mode)
{
	return mode == BOSH_SHRINK_PURGE ? BOSH_LRU_PURGEABLE : BOSH_LRU_BACKUPABLE;
}

/* Who ran a scan, for the per-caller counters. */
enum bosh_scan_caller {
	BOSH_SCAN_KSWAPD,
	BOSH_SCAN_DIRECT,
	BOSH_SCAN_MEMCG,
	BOSH_SCAN_DEBUGFS,
	BOSH_SCAN_SHRINKER_DEBUG,
};

/**
 * struct bosh_client - the state of one open file
 * @ref: the file's reference, plus one per fence counted in @busy_fences
 * @busy_fences: BO_BUSY fences the file attached that have not signalled
 * @svm: the file's SVM bindings, from its first SVM_BIND to its close
 */
struct bosh_client {
	struct kref ref;
	atomic_t busy_fences;
	struct bosh_svm_client *svm;
};

#endif /* _BOSH_TYPES_H_ */
