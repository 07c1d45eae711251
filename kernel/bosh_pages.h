/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _BOSH_PAGES_H_
#define _BOSH_PAGES_H_

#include <linux/gfp.h>
#include <linux/mm.h>

struct fault_attr;

/* Largest chunk bosh allocates: 2 MiB with 4 KiB pages. */
#define BOSH_MAX_ORDER	min_t(unsigned int, 9, MAX_PAGE_ORDER)

struct page *bosh_pages_alloc(unsigned int max_order, bool zero, gfp_t gfp,
			      struct fault_attr *fail);

/* The order of a chunk bosh allocated, kept in its first page. */
static inline unsigned int bosh_page_order(struct page *page)
{
	return page_private(page);
}

void bosh_pages_free(struct page *page);
void bosh_pages_split(struct page *page);
long bosh_pages_held(void);

#endif /* _BOSH_PAGES_H_ */
