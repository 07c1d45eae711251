// SPDX-License-Identifier: GPL-2.0-only
/*
 * The LRU lists of a group's BOs: add, remove, touch, move, and a
 * walker's cursor step. Every use of a BO (BO_RW, BO_VALIDATE, BO_PIN, a
 * CPU fault) moves it to the tail of its list, so walks meet the BOs idle
 * for longest first. Which list a BO is on is bosh_bo_lru_list()'s rule;
 * the walks themselves are bosh_walk.c's.
 */
#include <linux/lockdep.h>

#include "bosh_lru.h"

/**
 * bosh_lru_init() - empty lists
 * @lru: the lists
 */
void bosh_lru_init(struct bosh_lru *lru)
{
	int i;

	spin_lock_init(&lru->lock);
	for (i = 0; i < BOSH_LRU_NR; i++)
		INIT_LIST_HEAD(&lru->lists[i]);
}

/**
 * bosh_lru_add() - add a new entry as the most recently used of a list
 * @lru: the lists
 * @link: the entry
 * @list: which list
 */
void bosh_lru_add(struct bosh_lru *lru, struct bosh_lru_link *link,
		  enum bosh_lru_list list)
{
	spin_lock(&lru->lock);
	link->list = list;
	list_add_tail(&link->node, &lru->lists[list]);
	spin_unlock(&lru->lock);
}

/**
 * bosh_lru_del() - take an entry off for good
 * @lru: the lists
 * @link: the entry
 */
void bosh_lru_del(struct bosh_lru *lru, struct bosh_lru_link *link)
{
	spin_lock(&lru->lock);
	list_del(&link->node);
	spin_unlock(&lru->lock);
}

/**
 * bosh_lru_touch() - a use: make an entry the most recently used of its list
 * @lru: the lists
 * @link: the entry
 */
void bosh_lru_touch(struct bosh_lru *lru, struct bosh_lru_link *link)
{
	spin_lock(&lru->lock);
	list_move_tail(&link->node, &lru->lists[link->list]);
	spin_unlock(&lru->lock);
}

/**
 * bosh_lru_move() - move an entry to the tail of another list
 * @lru: the lists
 * @link: the entry
 * @list: the list it belongs on now
 *
 * The BO changed state: it is as recently used as a BO can be, which is
 * also where a walker that already passed its place will not miss it.
 */
void bosh_lru_move(struct bosh_lru *lru, struct bosh_lru_link *link,
		   enum bosh_lru_list list)
{
	spin_lock(&lru->lock);
	link->list = list;
	list_move_tail(&link->node, &lru->lists[list]);
	spin_unlock(&lru->lock);
}

/**
 * bosh_lru_next() - the entry after a walker's cursor
 * @lru: the lists, locked
 * @head: the list walked
 * @cursor: the walker's cursor, on @head
 *
 * Moves the cursor past the entry it returns, skipping other walkers'
 * cursors, so a walker may drop the lock between entries.
 *
 * Return: the entry, or NULL at the end of @head.
 */
struct bosh_lru_link *bosh_lru_next(struct bosh_lru *lru, struct list_head *head,
				    struct bosh_lru_link *cursor)
{
	struct list_head *pos;

	lockdep_assert_held(&lru->lock);
	for (pos = cursor->node.next; pos != head; pos = pos->next) {
		struct bosh_lru_link *l = list_entry(pos, struct bosh_lru_link, node);

		if (l->cursor)
			continue;
		list_move(&cursor->node, pos);
		return l;
	}
	return NULL;
}
