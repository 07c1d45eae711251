// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: the slot encoding, the page allocation policy, the gfp rule of
 * client allocations and a backup store round trip. Built only with
 * BOSH_KUNIT=y (the debug build), they run when that module loads on a
 * KUnit kernel.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/random.h>

#include "bosh_backup.h"
#include "bosh_types.h"
#include "bosh_pages.h"
#include "bosh_slot.h"

static void bosh_slot_encoding_test(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long s;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, bosh_slot_is_empty(BOSH_SLOT_EMPTY));
	KUNIT_EXPECT_FALSE(test, bosh_slot_is_page(BOSH_SLOT_EMPTY));
	KUNIT_EXPECT_FALSE(test, bosh_slot_is_backup(BOSH_SLOT_EMPTY));

	s = bosh_slot_from_page(page);
	KUNIT_EXPECT_TRUE(test, bosh_slot_is_page(s));
	KUNIT_EXPECT_FALSE(test, bosh_slot_is_backup(s));
	KUNIT_EXPECT_PTR_EQ(test, bosh_slot_page(s), page);

	s = bosh_slot_from_handle(0);
	KUNIT_EXPECT_TRUE(test, bosh_slot_is_backup(s));
	KUNIT_EXPECT_FALSE(test, bosh_slot_is_empty(s));
	KUNIT_EXPECT_EQ(test, bosh_slot_handle(s), 0UL);
	s = bosh_slot_from_handle(ULONG_MAX >> 1);
	KUNIT_EXPECT_EQ(test, bosh_slot_handle(s), ULONG_MAX >> 1);
	KUNIT_EXPECT_EQ(test, sizeof(s), (size_t)8);
	__free_page(page);
}

static void bosh_pages_zeroed_order_test(struct kunit *test)
{
	struct page *page = bosh_pages_alloc(3, true, GFP_KERNEL, NULL);
	unsigned int order, i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	order = bosh_page_order(page);
	KUNIT_EXPECT_LE(test, order, 3U);
	for (i = 0; i < (1U << order); i++) {
		u8 *p = kmap_local_page(page + i);

		KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, PAGE_SIZE));
		kunmap_local(p);
	}
	KUNIT_EXPECT_FALSE(test, PageCompound(page));
	bosh_pages_split(page);
	KUNIT_EXPECT_EQ(test, bosh_page_order(page), 0U);
	for (i = 0; i < (1U << order); i++)
		bosh_pages_free(page + i);
}

/*
 * Pages left resident after a partial backup are freed one by one with
 * the order their own private field holds: a stale tail value would free
 * a neighbour's memory with them.
 */
static void bosh_pages_split_clears_every_order_test(struct kunit *test)
{
	struct page *page = bosh_pages_alloc(2, true, GFP_KERNEL, NULL);
	unsigned int order, i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	order = bosh_page_order(page);
	if (!order) {
		bosh_pages_free(page);
		kunit_skip(test, "no order-2 chunk available");
	}
	for (i = 1; i < (1U << order); i++)
		set_page_private(page + i, order);
	bosh_pages_split(page);
	for (i = 0; i < (1U << order); i++)
		KUNIT_EXPECT_EQ_MSG(test, bosh_page_order(page + i), 0U,
				    "page %u of an order-%u chunk", i, order);
	for (i = 0; i < (1U << order); i++) {
		set_page_private(page + i, 0);
		bosh_pages_free(page + i);
	}
}

static void bosh_backup_round_trip_test(struct kunit *test)
{
	struct bosh_backup *b = bosh_backup_create("bosh-kunit");
	struct bosh_backup_batch batch;
	struct bosh_backup_stats st;
	struct page *src, *dst;
	u32 seed = get_random_u32();
	struct rnd_state rnd;
	pgoff_t base;
	void *s, *d;

	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	src = alloc_page(GFP_KERNEL);
	dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);

	kunit_info(test, "seed %u\n", seed);
	prandom_seed_state(&rnd, seed);
	s = kmap_local_page(src);
	prandom_bytes_state(&rnd, s, PAGE_SIZE);
	kunmap_local(s);

	base = bosh_backup_reserve(b, 4);
	KUNIT_EXPECT_EQ(test, bosh_backup_reserve(b, 1), base + 4);
	bosh_backup_start(&batch, b, false);
	KUNIT_EXPECT_EQ(test, bosh_backup_copy(&batch, base + 2, src, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, bosh_backup_finish(&batch), 0UL);
	bosh_backup_stats(b, &st);
	KUNIT_EXPECT_EQ(test, st.stored, 1UL);
	KUNIT_EXPECT_EQ(test, bosh_backup_read(b, base + 2, dst, GFP_KERNEL), 0);

	s = kmap_local_page(src);
	d = kmap_local_page(dst);
	KUNIT_EXPECT_EQ(test, memcmp(s, d, PAGE_SIZE), 0);
	kunmap_local(d);
	kunmap_local(s);

	/* The entry stays until dropped: a second read gives the same data. */
	KUNIT_EXPECT_EQ(test, bosh_backup_read(b, base + 2, dst, GFP_KERNEL), 0);
	bosh_backup_drop(b, base + 2, 1);
	bosh_backup_stats(b, &st);
	KUNIT_EXPECT_EQ(test, st.stored, 0UL);
	KUNIT_EXPECT_EQ(test, st.unwritten, 0UL);

	__free_page(src);
	__free_page(dst);
	bosh_backup_destroy(b);
}

/*
 * What a client's call allocates may fail, quietly, but must never send
 * the OOM killer after someone else: a rule no guest test can reach
 * reliably, since the admission check refuses a BO before the allocator
 * runs short.
 */
static void bosh_client_gfp_test(struct kunit *test)
{
	static const gfp_t rules[] = { BOSH_BO_PAGE_GFP, BOSH_CLIENT_GFP };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		KUNIT_EXPECT_TRUE(test, rules[i] & __GFP_RETRY_MAYFAIL);
		KUNIT_EXPECT_TRUE(test, rules[i] & __GFP_NOWARN);
		KUNIT_EXPECT_FALSE(test, rules[i] & (__GFP_NOFAIL | __GFP_NOMEMALLOC));
		KUNIT_EXPECT_TRUE(test, rules[i] & __GFP_DIRECT_RECLAIM);
		/* Charged to the owner's memcg, not to nobody. */
		KUNIT_EXPECT_TRUE(test, rules[i] & __GFP_ACCOUNT);
	}
}

static struct kunit_case bosh_kunit_cases[] = {
	KUNIT_CASE(bosh_slot_encoding_test),
	KUNIT_CASE(bosh_pages_zeroed_order_test),
	KUNIT_CASE(bosh_pages_split_clears_every_order_test),
	KUNIT_CASE(bosh_backup_round_trip_test),
	KUNIT_CASE(bosh_client_gfp_test),
	{}
};

static struct kunit_suite bosh_kunit_suite = {
	.name = "bosh",
	.test_cases = bosh_kunit_cases,
};

kunit_test_suite(bosh_kunit_suite);
