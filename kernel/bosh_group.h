/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A device's BOs grouped by owner: the memory cgroup of the process that
 * created them. Each BO's pages, and its store pages, are charged to its
 * group's memcg whoever allocates them, and reclaim of a memcg scans the
 * groups that memcg holds.
 */
#ifndef _BOSH_GROUP_H_
#define _BOSH_GROUP_H_

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>

#include "bosh_lru.h"

struct bosh_device;
struct mem_cgroup;
struct shrink_control;

/**
 * struct bosh_group - a device's BOs that belong to one memcg
 * @memcg_link: entry in &bosh_device.memcg_lru: on the list of the memcg
 *	this struct is charged to, which the mm moves to the parent's list
 *	when that memcg goes offline
 * @dev_link: entry in &bosh_device.groups
 * @ref: one per BO, plus walkers'
 * @bdev: the device
 * @memcg: the owner (a css reference held), NULL without memcg
 * @lru: the group's BOs by what a scan may take
 * @purgeable: resident pages of unpinned DONTNEED BOs
 * @purgeable_backed_up: their pages in the store
 * @backupable: resident pages of unpinned WILLNEED BOs
 */
struct bosh_group {
	struct list_head memcg_link;
	struct list_head dev_link;
	struct kref ref;
	struct bosh_device *bdev;
	struct mem_cgroup *memcg;
	struct bosh_lru lru;
	atomic_long_t purgeable;
	atomic_long_t purgeable_backed_up;
	atomic_long_t backupable;
};

int bosh_group_module_init(void);
void bosh_group_module_exit(void);
struct bosh_group *bosh_group_get_current(struct bosh_device *bdev);
void bosh_group_put(struct bosh_group *g);
struct bosh_group *bosh_group_next(struct bosh_device *bdev,
				   struct bosh_group *prev);
int bosh_groups_of_memcg(struct bosh_device *bdev, struct shrink_control *sc,
			 struct bosh_group **groups, int max);
long bosh_groups_sum_memcg(struct bosh_device *bdev, struct shrink_control *sc,
			   long (*count)(struct bosh_group *g));
long bosh_groups_sum_all(struct bosh_device *bdev,
			 long (*count)(struct bosh_group *g));
struct mem_cgroup *bosh_group_charge_begin(struct bosh_group *g);
void bosh_group_charge_end(struct mem_cgroup *old);
bool bosh_group_swap_allows(struct bosh_group *g);

#endif /* _BOSH_GROUP_H_ */
