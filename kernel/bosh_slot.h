/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A page slot is one unsigned long: empty (0), a resident page (its
 * struct page pointer, bit 0 clear) or a backup-store handle (the store
 * index shifted left by one, bit 0 set). The order of a resident chunk
 * lives in its first page's private field, as TTM keeps it.
 */
#ifndef _BOSH_SLOT_H_
#define _BOSH_SLOT_H_

#include <linux/mm.h>

#define BOSH_SLOT_EMPTY		0UL
#define BOSH_SLOT_BACKUP_TAG	1UL

static inline bool bosh_slot_is_empty(unsigned long slot)
{
	return slot == BOSH_SLOT_EMPTY;
}

static inline bool bosh_slot_is_backup(unsigned long slot)
{
	return slot & BOSH_SLOT_BACKUP_TAG;
}

static inline bool bosh_slot_is_page(unsigned long slot)
{
	return slot && !(slot & BOSH_SLOT_BACKUP_TAG);
}

static inline unsigned long bosh_slot_from_page(struct page *page)
{
	return (unsigned long)page;
}

static inline struct page *bosh_slot_page(unsigned long slot)
{
	return (struct page *)slot;
}

static inline unsigned long bosh_slot_from_handle(pgoff_t handle)
{
	return (handle << 1) | BOSH_SLOT_BACKUP_TAG;
}

static inline pgoff_t bosh_slot_handle(unsigned long slot)
{
	return slot >> 1;
}

#endif /* _BOSH_SLOT_H_ */
