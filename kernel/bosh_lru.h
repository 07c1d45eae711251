/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A device's BOs on one list, least recently used first. Walkers keep a
 * cursor in the list instead of taking entries off it, so concurrent
 * walkers (reclaim, purge, evict, debugfs objects) each see every entry
 * and may drop the lock between entries.
 */
#ifndef _BOSH_LRU_H_
#define _BOSH_LRU_H_

#include <linux/list.h>
#include <linux/spinlock.h>

/**
 * struct bosh_lru - a list of entries in least recently used order
 * @lock: protects @list
 * @list: &struct bosh_lru_link entries, least recently used first
 */
struct bosh_lru {
	spinlock_t lock;	/* protects list */
	struct list_head list;
};

/**
 * struct bosh_lru_link - an entry of a &struct bosh_lru: a BO or a cursor
 * @node: the list entry
 * @cursor: a walker's position marker, not a BO
 */
struct bosh_lru_link {
	struct list_head node;
	bool cursor;
};

void bosh_lru_init(struct bosh_lru *lru);
void bosh_lru_add(struct bosh_lru *lru, struct bosh_lru_link *link);
void bosh_lru_del(struct bosh_lru *lru, struct bosh_lru_link *link);
void bosh_lru_touch(struct bosh_lru *lru, struct bosh_lru_link *link);

#endif /* _BOSH_LRU_H_ */
