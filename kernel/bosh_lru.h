/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One group's BOs on three lists by what a scan may take from them, each
 * least recently used first: a scan walks only the list of its pass, so
 * BOs it could never take (pinned, purged, nothing resident) cost it
 * nothing. Walkers keep a cursor in a list instead of taking entries
 * off it, so concurrent walkers (reclaim, purge, evict, debugfs objects)
 * each see every entry and may drop the lock between entries.
 */
#ifndef _BOSH_LRU_H_
#define _BOSH_LRU_H_

#include <linux/list.h>
#include <linux/spinlock.h>

/* Which list a BO is on: bosh_bo_lru_list() decides. */
enum bosh_lru_list {
	BOSH_LRU_PURGEABLE,
	BOSH_LRU_BACKUPABLE,
	BOSH_LRU_UNSHRINKABLE,
	BOSH_LRU_NR
};

/**
 * struct bosh_lru - lists of entries in least recently used order
 * @lock: protects @lists and every entry's &bosh_lru_link.list
 * @lists: &struct bosh_lru_link entries by &enum bosh_lru_list, least
 *	recently used first
 */
struct bosh_lru {
	spinlock_t lock;	/* protects lists */
	struct list_head lists[BOSH_LRU_NR];
};

/**
 * struct bosh_lru_link - an entry of a &struct bosh_lru: a BO or a cursor
 * @node: the list entry
 * @list: the list @node is on; changes under the lock and the BO's resv
 * @cursor: a walker's position marker, not a BO
 */
struct bosh_lru_link {
	struct list_head node;
	u8 list;
	bool cursor;
};

void bosh_lru_init(struct bosh_lru *lru);
void bosh_lru_add(struct bosh_lru *lru, struct bosh_lru_link *link,
		  enum bosh_lru_list list);
void bosh_lru_del(struct bosh_lru *lru, struct bosh_lru_link *link);
void bosh_lru_touch(struct bosh_lru *lru, struct bosh_lru_link *link);
void bosh_lru_move(struct bosh_lru *lru, struct bosh_lru_link *link,
		   enum bosh_lru_list list);
struct bosh_lru_link *bosh_lru_next(struct bosh_lru *lru, struct list_head *head,
				    struct bosh_lru_link *cursor);

#endif /* _BOSH_LRU_H_ */
