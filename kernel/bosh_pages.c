// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page allocation policy: pages are allocated for a BO in the largest
 * order that fits, without __GFP_COMP so a chunk can be split once on
 * purpose, and go straight back to the system when the BO lets go.
 * bosh keeps no page cache of its own.
 */
#include <linux/error-injection.h>

#include "bosh_fault.h"
#include "bosh_pages.h"

/*
 * Pages bosh holds from the page allocator, all devices together: an
 * account of its own, since kmemleak does not track the page allocator.
 */
static atomic_long_t bosh_pages_held_count = ATOMIC_LONG_INIT(0);

/**
 * bosh_pages_alloc() - allocate a chunk of at most 2^@max_order pages
 * @max_order: the largest order wanted
 * @zero: zero the pages (a BO never sees stale memory)
 * @gfp: allocation flags for order 0; higher orders add NORETRY/NOWARN
 * @fail: fault-injection point, may be NULL
 *
 * Falls back to smaller orders when a large chunk is not available.
 * The order is recorded in the first page's private field.
 *
 * Return: the first page, or NULL.
 */
noinline struct page *bosh_pages_alloc(unsigned int max_order, bool zero,
				       gfp_t gfp, struct fault_attr *fail)
{
	unsigned int order = min_t(unsigned int, max_order, BOSH_MAX_ORDER);
	struct page *page;

	if (zero)
		gfp |= __GFP_ZERO;
	gfp &= ~__GFP_COMP;

	if (fail && bosh_fault_fires(fail, PAGE_SIZE))
		return NULL;

	for (;; order--) {
		gfp_t g = gfp;

		if (order)
			g |= __GFP_NORETRY | __GFP_NOWARN;
		page = alloc_pages(g, order);
		if (page) {
			set_page_private(page, order);
			atomic_long_add(1L << order, &bosh_pages_held_count);
			return page;
		}
		if (!order)
			return NULL;
	}
}
ALLOW_ERROR_INJECTION(bosh_pages_alloc, NULL);

/**
 * bosh_pages_free() - give a chunk from bosh_pages_alloc() back
 * @page: the chunk's first page
 */
void bosh_pages_free(struct page *page)
{
	unsigned int order = bosh_page_order(page);

	set_page_private(page, 0);
	atomic_long_sub(1L << order, &bosh_pages_held_count);
	__free_pages(page, order);
}

/**
 * bosh_pages_held() - pages allocated by bosh_pages_alloc() and not freed
 *
 * Return: the count, for the leak check at unload and debugfs.
 */
long bosh_pages_held(void)
{
	return atomic_long_read(&bosh_pages_held_count);
}

/**
 * bosh_pages_split() - split a chunk into order-0 pages
 * @page: the chunk's first page
 *
 * Used when only part of a chunk could be backed up: the rest stays
 * resident page by page, each freed with bosh_pages_free().
 */
void bosh_pages_split(struct page *page)
{
	unsigned int order = bosh_page_order(page), i;

	if (!order)
		return;
	/*
	 * Every page left over is later freed with the order its own
	 * private field holds: clear them all, as TTM does, not just the
	 * head's.
	 */
	for (i = 0; i < (1U << order); i++)
		set_page_private(page + i, 0);
	split_page(page, order);
}
