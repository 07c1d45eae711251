// SPDX-License-Identifier: GPL-2.0
/*
 * The VRAM tier: placement, the chain VRAM -> system -> store -> swap ->
 * VRAM with every byte checked, eviction in LRU order, pins and their
 * cap, busy victims waited for, every VRAM fault point leaving every BO
 * intact, backoffs and the fallback, mappings and BO_RW racing moves,
 * fdinfo's regions, PRIME and unplug. Content checks use seeded patterns
 * keyed by never-reused serials, with a generation per write.
 *
 * Run as root in a guest whose bosh has VRAM on two devices (vm-run
 * --vram MB --devices 2, make check's VRAM sections): each test skips
 * without it. progress_under_contention runs several processes that
 * overcommit VRAM 3x under signals and injected backoffs.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "bosh_lib.h"
#include "bosh_vram.h"
#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

#define DRIVER_DIR	"/sys/bus/platform/drivers/bosh"

FIXTURE(vram) {
	int fd;
	uint64_t seed;
	long total;	/* VRAM pages of bosh.0 */
};

FIXTURE_SETUP(vram)
{
	self->fd = bosh_open(0);
	ASSERT_LE(0, self->fd);
	self->total = bosh_stat(0, "vram_pages_total");
	if (self->total <= 0)
		SKIP(return, "bosh.0 has no VRAM (load with vram_mb)");
	self->seed = bosh_seed();
	/* Nothing of an earlier test in VRAM, nothing armed. */
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict_vram", "1"));
	ASSERT_EQ(0, bosh_stat(0, "vram_pages_used"));
	vram_disarm_all(0);
}

FIXTURE_TEARDOWN(vram)
{
	vram_disarm_all(0);
	close(self->fd);
}

/* A BO of @n pages with @flags, filled with (@key, @gen). */
static uint32_t filled_bo(int fd, uint64_t n, uint32_t flags, uint64_t seed,
			  uint32_t key, uint32_t gen)
{
	uint32_t h = 0;

	if (vram_create(fd, n * BOSH_PAGE, flags, &h) ||
	    bosh_fill_bo(fd, h, n, seed, key, gen))
		return 0;
	return h;
}

TEST_F(vram, placement_flags_and_the_gauges)
{
	uint64_t n = 16, big = self->total + 1;
	struct drm_bosh_bo_info info;
	uint32_t h, hb, key = bosh_key();

	/* A shmem-native BO never enters VRAM, with or without a fallback. */
	EXPECT_EQ(-EINVAL, vram_create(self->fd, BOSH_PAGE,
				       BOSH_BO_CREATE_SHMEM | BOSH_PLACE_VRAM, &h));
	EXPECT_EQ(-EINVAL, vram_create(self->fd, BOSH_PAGE,
				       BOSH_BO_CREATE_SHMEM | BOSH_PLACE_MASK, &h));
	EXPECT_EQ(-EINVAL, vram_create(self->fd, BOSH_PAGE, 0x8, &h));
	/* VRAM alone where it could never fit. */
	EXPECT_EQ(-ENOSPC, vram_create(self->fd, big * BOSH_PAGE, BOSH_PLACE_VRAM, &h));

	/* Preferred but too large: system memory. */
	hb = filled_bo(self->fd, big, BOSH_PLACE_MASK, self->seed, key, 1);
	ASSERT_NE(0, hb);
	ASSERT_EQ(0, vram_validate(self->fd, hb, 0));
	ASSERT_EQ(0, bosh_info(self->fd, hb, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(big, info.resident);

	/* Never populated at creation, VRAM or not. */
	ASSERT_EQ(0, vram_create(self->fd, n * BOSH_PAGE, BOSH_PLACE_VRAM, &h));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(0, info.vram_pages);
	EXPECT_EQ(0, info.resident);
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(-EINVAL, vram_validate(self->fd, h, 0x4));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_used"));

	/* No placement at validate: the one given at creation. */
	ASSERT_EQ(0, vram_validate(self->fd, h, 0));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(n, info.vram_pages);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, info.backed_up);
	EXPECT_EQ((long)n, bosh_stat(0, "vram_pages_used"));
	EXPECT_EQ((long)n, vram_objects_column(0, n * BOSH_PAGE));
	/* A never-written BO reads zeros from VRAM, nothing stale. */
	EXPECT_EQ(0, vram_nonzero_pages(self->fd, h, n));
	/* pages_total = resident + backed up + VRAM + not populated. */
	EXPECT_EQ(bosh_stat(0, "pages_total"),
		  bosh_stat(0, "pages_resident") + bosh_stat(0, "pages_backed_up") +
		  bosh_stat(0, "vram_pages_used"));

	/* System alone takes it out of VRAM. */
	ASSERT_EQ(0, vram_validate(self->fd, h, BOSH_PLACE_SYSTEM));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(0, info.vram_pages);
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_used"));
	EXPECT_EQ(0, vram_objects_column(0, n * BOSH_PAGE));
	EXPECT_EQ(0, bosh_check_bo(self->fd, hb, big, self->seed, key, 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, hb));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * VRAM is taken on a BO's first use: BO_RW's (evicting as a validation
 * would), a CPU fault's (free VRAM only: a fault never evicts), each
 * zeroed, with no system page; without free VRAM a fault populates
 * system pages.
 */
TEST_F(vram, first_use_takes_vram)
{
	uint64_t nr = 32, nf = 16, nb = self->total - 48, ng = 8, i;
	uint32_t r, f, b, g, kr = bosh_key(), kb = bosh_key();
	long evicted = bosh_stat(0, "vram_evicted_total");
	struct drm_bosh_bo_info info;
	char *fmap, *gmap, zero[BOSH_PAGE] = { 0 };

	/* All of VRAM written, then freed: what comes next must be zeroed. */
	b = filled_bo(self->fd, self->total, BOSH_PLACE_VRAM, self->seed, kb, 7);
	ASSERT_NE(0, b);
	ASSERT_TRUE(vram_in(self->fd, b));
	ASSERT_EQ(0, bosh_close_bo(self->fd, b));

	/* Bad input changes nothing: a bad pointer, an empty copy. */
	ASSERT_EQ(0, vram_create(self->fd, nr * BOSH_PAGE, BOSH_PLACE_VRAM, &r));
	EXPECT_EQ(-EFAULT, bosh_rw(self->fd, r, BOSH_RW_WRITE, 0, nr * BOSH_PAGE,
				   (void *)16));
	EXPECT_EQ(0, bosh_rw(self->fd, r, BOSH_RW_WRITE, 0, 0, zero));
	ASSERT_EQ(0, bosh_info(self->fd, r, &info));
	EXPECT_EQ(0, info.vram_pages);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_used"));
	ASSERT_EQ(0, bosh_close_bo(self->fd, r));

	/* BO_RW: written straight into VRAM, nothing resident in system. */
	r = filled_bo(self->fd, nr, BOSH_PLACE_VRAM, self->seed, kr, 1);
	ASSERT_NE(0, r);
	ASSERT_EQ(0, bosh_info(self->fd, r, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(nr, info.vram_pages);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, bosh_check_bo(self->fd, r, nr, self->seed, kr, 1));

	/* A fault: the whole BO in free VRAM, zeroed. */
	ASSERT_EQ(0, vram_create(self->fd, nf * BOSH_PAGE, BOSH_PLACE_VRAM, &f));
	fmap = bosh_mmap(self->fd, f, nf * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, fmap);
	for (i = 0; i < nf; i++)
		EXPECT_EQ(0, memcmp(fmap + i * BOSH_PAGE, zero, BOSH_PAGE));
	ASSERT_EQ(0, bosh_info(self->fd, f, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(0, info.resident);

	/* VRAM full: a fault populates system pages and evicts nothing. */
	b = filled_bo(self->fd, nb, BOSH_PLACE_VRAM, self->seed, kb, 1);
	ASSERT_NE(0, b);
	ASSERT_TRUE(vram_in(self->fd, b));
	ASSERT_EQ(0, vram_create(self->fd, ng * BOSH_PAGE, BOSH_PLACE_VRAM, &g));
	gmap = bosh_mmap(self->fd, g, ng * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, gmap);
	gmap[0] = 1;
	ASSERT_EQ(0, bosh_info(self->fd, g, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_LE(1, info.resident);
	EXPECT_EQ(0, bosh_stat(0, "vram_evicted_total") - evicted);
	EXPECT_TRUE(vram_in(self->fd, r));
	EXPECT_TRUE(vram_in(self->fd, f));
	EXPECT_TRUE(vram_in(self->fd, b));
	EXPECT_EQ(0, bosh_check_bo(self->fd, b, nb, self->seed, kb, 1));
	munmap(fmap, nf * BOSH_PAGE);
	munmap(gmap, ng * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(self->fd, r));
	EXPECT_EQ(0, bosh_close_bo(self->fd, f));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
	EXPECT_EQ(0, bosh_close_bo(self->fd, g));
}

/* VRAM -> system -> store -> swap -> VRAM, written on the way. */
TEST_F(vram, no_loss_through_the_chain)
{
	uint64_t n = self->total / 4;
	long evicted = bosh_stat(0, "vram_evicted_total");
	long restored = bosh_stat(0, "restored_total");
	long written = bosh_stat(0, "written_back_total");
	struct drm_bosh_bo_info info;
	uint32_t h, key = bosh_key();
	long wb = bosh_sysfs_read(0, "writeback");

	h = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, key, 1);
	ASSERT_NE(0, h);
	ASSERT_EQ(0, vram_validate(self->fd, h, 0));
	ASSERT_TRUE(vram_in(self->fd, h));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 1))
		TH_LOG("seed %llu", (unsigned long long)self->seed);
	/* BO_RW into VRAM (through its bounce page). */
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 2));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 2));

	ASSERT_EQ(0, bosh_debugfs_write(0, "evict_vram", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ((long)n, bosh_stat(0, "vram_evicted_total") - evicted);

	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", wb ? "1" : "0"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up);
	EXPECT_LT(0, bosh_stat(0, "written_back_total") - written);

	ASSERT_EQ(0, vram_validate(self->fd, h, 0));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(0, info.backed_up);
	EXPECT_EQ((long)n, bosh_stat(0, "restored_total") - restored);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 2))
		TH_LOG("seed %llu", (unsigned long long)self->seed);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* The least recently used BO goes first; a DONTNEED one is purged. */
TEST_F(vram, eviction_in_lru_order_purges_dontneed)
{
	uint64_t n = self->total / 2;
	uint32_t a, b, c, ka = bosh_key(), kb = bosh_key(), kc = bosh_key(), retained;
	struct drm_bosh_bo_info info;

	a = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, ka, 1);
	b = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, kb, 1);
	c = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, kc, 1);
	ASSERT_TRUE(a && b && c);
	ASSERT_EQ(0, vram_validate(self->fd, a, 0));
	ASSERT_EQ(0, vram_validate(self->fd, b, 0));
	/* A use of a: b is now the least recently used. */
	ASSERT_EQ(0, vram_validate(self->fd, a, 0));
	ASSERT_EQ(0, vram_validate(self->fd, c, 0));
	EXPECT_TRUE(vram_in(self->fd, a));
	EXPECT_FALSE(vram_in(self->fd, b));
	EXPECT_TRUE(vram_in(self->fd, c));

	/* a, least recently used now, is DONTNEED: purged, not copied. */
	ASSERT_EQ(0, bosh_madvise(self->fd, a, BOSH_MADV_DONTNEED, &retained));
	ASSERT_EQ(0, vram_validate(self->fd, b, 0));
	ASSERT_EQ(0, bosh_info(self->fd, a, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PURGED);
	EXPECT_EQ(0, info.resident);
	EXPECT_TRUE(vram_in(self->fd, b));
	EXPECT_TRUE(vram_in(self->fd, c));
	EXPECT_EQ(0, bosh_check_bo(self->fd, b, n, self->seed, kb, 1));
	EXPECT_EQ(0, bosh_check_bo(self->fd, c, n, self->seed, kc, 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, a));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
	EXPECT_EQ(0, bosh_close_bo(self->fd, c));
}

/*
 * The shrinker purges a DONTNEED BO in VRAM from reclaim (debugfs shrink
 * runs the scan as reclaim would). The allocator allocates under its own
 * lock, so a free in reclaim must not take it: lockdep (on the debug
 * kernel) would report the inversion, and the splat fails the run.
 */
TEST_F(vram, shrinker_purges_dontneed_vram_from_reclaim)
{
	uint64_t n = self->total / 2;
	uint32_t d, w, kd = bosh_key(), kw = bosh_key(), retained;
	long purged = bosh_stat(0, "purged_total");
	struct drm_bosh_bo_info info;

	d = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, kd, 1);
	w = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, kw, 1);
	ASSERT_TRUE(d && w);
	ASSERT_EQ(0, vram_validate(self->fd, d, 0));
	ASSERT_EQ(0, bosh_madvise(self->fd, d, BOSH_MADV_DONTNEED, &retained));
	ASSERT_EQ(1, retained);
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "1000000"));
	ASSERT_EQ(0, bosh_info(self->fd, d, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PURGED);
	EXPECT_EQ(0, info.vram_pages);
	EXPECT_LE(purged, bosh_stat(0, "purged_total"));
	/* Its VRAM is free for the next validation, which needs all of it. */
	ASSERT_EQ(0, vram_validate(self->fd, w, 0));
	EXPECT_TRUE(vram_in(self->fd, w));
	EXPECT_EQ((long)n, bosh_stat(0, "vram_pages_used"));
	EXPECT_EQ(self->total - (long)n, vram_debugfs_value(0, "buddy_avail_pages"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, w, n, self->seed, kw, 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, d));
	EXPECT_EQ(0, bosh_close_bo(self->fd, w));
}

TEST_F(vram, pins_stay_in_vram_under_their_cap)
{
	uint64_t q = self->total / 4;
	long cap = bosh_sysfs_read(0, "max_vram_pinned_mb");
	long pinned = bosh_stat(0, "pages_pinned");
	uint32_t a, b, c, ka = bosh_key(), kb = bosh_key(), kc = bosh_key();
	struct drm_bosh_bo_info info;

	/* The default cap is half the VRAM. */
	EXPECT_EQ(self->total * BOSH_PAGE / 2 >> 20, cap);
	a = filled_bo(self->fd, q, BOSH_PLACE_VRAM, self->seed, ka, 1);
	b = filled_bo(self->fd, 2 * q, BOSH_PLACE_VRAM, self->seed, kb, 1);
	c = filled_bo(self->fd, self->total - q + 1, BOSH_PLACE_VRAM, self->seed, kc, 1);
	ASSERT_TRUE(a && b && c);
	ASSERT_EQ(0, vram_validate(self->fd, a, 0));
	ASSERT_EQ(0, bosh_pin(self->fd, a, BOSH_PIN));
	EXPECT_EQ((long)q, bosh_stat(0, "vram_pages_pinned"));
	EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned"));
	ASSERT_EQ(0, bosh_info(self->fd, a, &info));
	EXPECT_EQ(BOSH_BO_IN_VRAM | BOSH_BO_PINNED, info.flags & (BOSH_BO_IN_VRAM | BOSH_BO_PINNED));

	/* Over max_vram_pinned_mb: refused, and b stays as it was. */
	ASSERT_EQ(0, vram_validate(self->fd, b, 0));
	EXPECT_EQ(-ENOSPC, bosh_pin(self->fd, b, BOSH_PIN));
	ASSERT_EQ(0, bosh_info(self->fd, b, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PINNED);
	EXPECT_EQ((long)q, bosh_stat(0, "vram_pages_pinned"));

	/* VRAM minus pinned cannot hold c: ENOSPC, c untouched. */
	long failed = bosh_stat(0, "vram_validate_failed_total");

	EXPECT_EQ(-ENOSPC, vram_validate(self->fd, c, 0));
	EXPECT_EQ(1, bosh_stat(0, "vram_validate_failed_total") - failed);
	EXPECT_FALSE(vram_in(self->fd, c));
	EXPECT_TRUE(vram_in(self->fd, b));
	/* With system memory allowed it succeeds there. */
	ASSERT_EQ(0, vram_validate(self->fd, c, BOSH_PLACE_MASK));
	EXPECT_FALSE(vram_in(self->fd, c));
	EXPECT_EQ(0, bosh_check_bo(self->fd, c, self->total - q + 1, self->seed, kc, 1));

	/* evict_vram leaves the pinned BO; it cannot leave by validation. */
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict_vram", "1"));
	EXPECT_TRUE(vram_in(self->fd, a));
	EXPECT_FALSE(vram_in(self->fd, b));
	EXPECT_EQ(-EBUSY, vram_validate(self->fd, a, BOSH_PLACE_SYSTEM));
	EXPECT_TRUE(vram_in(self->fd, a));
	ASSERT_EQ(0, bosh_pin(self->fd, a, BOSH_UNPIN));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_pinned"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, a, q, self->seed, ka, 1));
	EXPECT_EQ(0, bosh_check_bo(self->fd, b, 2 * q, self->seed, kb, 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, a));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
	EXPECT_EQ(0, bosh_close_bo(self->fd, c));
}

/*
 * Each fault point of a move fails it once: the validation reports it
 * (ENOMEM), the victim stays intact in VRAM and counts as pinned until
 * it moves, the BO being validated stays intact in system memory, and
 * the next validation succeeds.
 */
FIXTURE(vram_fault) {
	int fd;
	uint64_t seed;
	long total;
};

FIXTURE_VARIANT(vram_fault) {
	const char *point;
	bool victim_stuck;	/* the victim's copy failed */
};

FIXTURE_VARIANT_ADD(vram_fault, fail_vram_evict) {
	.point = "fail_vram_evict", .victim_stuck = true,
};

FIXTURE_VARIANT_ADD(vram_fault, fail_alloc) {
	.point = "fail_alloc", .victim_stuck = true,
};

FIXTURE_VARIANT_ADD(vram_fault, fail_vram_alloc) {
	.point = "fail_vram_alloc", .victim_stuck = false,
};

FIXTURE_SETUP(vram_fault)
{
	self->fd = bosh_open(0);
	ASSERT_LE(0, self->fd);
	self->total = bosh_stat(0, "vram_pages_total");
	if (self->total <= 0)
		SKIP(return, "bosh.0 has no VRAM (load with vram_mb)");
	if (!vram_has_fault_points(0))
		SKIP(return, "no fault injection in this kernel");
	self->seed = bosh_seed();
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict_vram", "1"));
	vram_disarm_all(0);
}

FIXTURE_TEARDOWN(vram_fault)
{
	vram_disarm_all(0);
	close(self->fd);
}

TEST_F(vram_fault, a_failed_move_leaves_every_bo_intact)
{
	uint64_t n = self->total;
	uint32_t x, y, kx = bosh_key(), ky = bosh_key();
	struct drm_bosh_bo_info info;
	long failed;

	x = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, kx, 1);
	y = filled_bo(self->fd, n / 2, BOSH_PLACE_VRAM, self->seed, ky, 1);
	ASSERT_TRUE(x && y);
	ASSERT_EQ(0, vram_validate(self->fd, x, 0));
	ASSERT_EQ(0, vram_arm(0, variant->point, 1));
	failed = bosh_stat(0, "vram_validate_failed_total");
	EXPECT_EQ(-ENOMEM, vram_validate(self->fd, y, 0));
	EXPECT_EQ(0, vram_armed_left(0, variant->point)) TH_LOG("%s never fired", variant->point);
	EXPECT_EQ(1, bosh_stat(0, "vram_validate_failed_total") - failed);
	EXPECT_TRUE(vram_in(self->fd, x));
	EXPECT_EQ(variant->victim_stuck ? (long)n : 0, bosh_stat(0, "vram_pages_pinned"));
	if (variant->victim_stuck)
		EXPECT_EQ((long)n, vram_debugfs_value(0, "pages_stuck"));
	ASSERT_EQ(0, bosh_info(self->fd, y, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_EQ(n / 2, info.resident);

	/* Nothing armed now: the victim moves, and nothing was lost. */
	ASSERT_EQ(0, vram_validate(self->fd, y, 0));
	EXPECT_TRUE(vram_in(self->fd, y));
	EXPECT_FALSE(vram_in(self->fd, x));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_pinned"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, x, n, self->seed, kx, 1))
		TH_LOG("seed %llu", (unsigned long long)self->seed);
	EXPECT_EQ(0, bosh_check_bo(self->fd, y, n / 2, self->seed, ky, 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, x));
	EXPECT_EQ(0, bosh_close_bo(self->fd, y));
}

/*
 * Injected ww backoffs are retried, never returned; past the bounded
 * walk's limit (64) the fallback decides; the fallback's own point
 * forces it. Each injected backoff costs the walk one victim (it takes
 * the contended one first when it retries), so the BOs are many.
 */
#define NVICTIMS	128

TEST_F(vram, backoffs_retried_and_the_fallback_decides)
{
	uint64_t q = self->total / NVICTIMS;
	uint32_t v[NVICTIMS], k[NVICTIMS], y, z, ky = bosh_key(), kz = bosh_key();
	long backoffs, fallbacks;
	int i;

	if (!vram_has_fault_points(0))
		SKIP(return, "no fault injection in this kernel");
	for (i = 0; i < NVICTIMS; i++) {
		k[i] = bosh_key();
		v[i] = filled_bo(self->fd, q, BOSH_PLACE_VRAM, self->seed, k[i], 1);
		ASSERT_NE(0, v[i]);
		ASSERT_EQ(0, vram_validate(self->fd, v[i], 0));
	}
	/* Filled in system memory: their validations below do the moving. */
	y = filled_bo(self->fd, 4 * q, BOSH_PLACE_SYSTEM, self->seed, ky, 1);
	z = filled_bo(self->fd, 80 * q, BOSH_PLACE_SYSTEM, self->seed, kz, 1);
	ASSERT_TRUE(y && z);

	backoffs = bosh_stat(0, "vram_backoffs_total");
	fallbacks = bosh_stat(0, "vram_fallbacks_total");
	ASSERT_EQ(0, vram_arm(0, "fail_vram_backoff", 3));
	EXPECT_EQ(0, vram_validate_once(self->fd, y, BOSH_PLACE_VRAM));
	EXPECT_EQ(0, vram_armed_left(0, "fail_vram_backoff"));
	/* At least those: DEBUG_WW_MUTEX_SLOWPATH injects backoffs too. */
	EXPECT_LE(3, bosh_stat(0, "vram_backoffs_total") - backoffs);
	EXPECT_EQ(0, bosh_stat(0, "vram_fallbacks_total") - fallbacks);
	EXPECT_TRUE(vram_in(self->fd, y));

	/* More backoffs than the bounded walk takes: the fallback's try. */
	backoffs = bosh_stat(0, "vram_backoffs_total");
	ASSERT_EQ(0, vram_arm(0, "fail_vram_backoff", 70));
	EXPECT_EQ(0, vram_validate_once(self->fd, z, BOSH_PLACE_VRAM));
	EXPECT_EQ(0, vram_armed_left(0, "fail_vram_backoff"));
	EXPECT_EQ(1, bosh_stat(0, "vram_fallbacks_total") - fallbacks);
	EXPECT_LE(70, bosh_stat(0, "vram_backoffs_total") - backoffs);
	EXPECT_TRUE(vram_in(self->fd, z));
	vram_disarm_all(0);

	ASSERT_EQ(0, vram_validate(self->fd, y, BOSH_PLACE_SYSTEM));
	ASSERT_EQ(0, vram_arm(0, "fail_vram_fallback", 1));
	EXPECT_EQ(0, vram_validate_once(self->fd, y, BOSH_PLACE_VRAM));
	EXPECT_EQ(0, vram_armed_left(0, "fail_vram_fallback"));
	EXPECT_EQ(2, bosh_stat(0, "vram_fallbacks_total") - fallbacks);
	EXPECT_TRUE(vram_in(self->fd, y));

	for (i = 0; i < NVICTIMS; i++) {
		EXPECT_EQ(0, bosh_check_bo(self->fd, v[i], q, self->seed, k[i], 1));
		EXPECT_EQ(0, bosh_close_bo(self->fd, v[i]));
	}
	EXPECT_EQ(0, bosh_check_bo(self->fd, y, 4 * q, self->seed, ky, 1));
	EXPECT_EQ(0, bosh_check_bo(self->fd, z, 80 * q, self->seed, kz, 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, y));
	EXPECT_EQ(0, bosh_close_bo(self->fd, z));
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

static void alarm_in_ms(int ms, bool restart)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { 0, ms * 1000 } };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * The only victim is busy: the validation waits for its fence, then
 * evicts it (TTM's open TODO). A signal during the wait stops the call
 * with everything as it was, or restarts it under SA_RESTART.
 */
TEST_F(vram, busy_victim_waited_for_never_evicted_busy)
{
	uint64_t n = self->total;
	uint32_t x, y, kx = bosh_key(), ky = bosh_key();
	struct drm_bosh_bo_info info;

	x = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, kx, 1);
	y = filled_bo(self->fd, n / 2, BOSH_PLACE_VRAM, self->seed, ky, 1);
	ASSERT_TRUE(x && y);
	ASSERT_EQ(0, vram_validate(self->fd, x, 0));

	/* A signal without SA_RESTART during the wait: EINTR, nothing moved. */
	ASSERT_EQ(0, bosh_busy(self->fd, x, 3000000));
	alarms = 0;
	alarm_in_ms(100, false);
	EXPECT_EQ(-EINTR, vram_validate_once(self->fd, y, 0));
	EXPECT_EQ(1, alarms);
	ASSERT_EQ(0, bosh_info(self->fd, x, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_BUSY);
	EXPECT_TRUE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_FALSE(vram_in(self->fd, y));

	/* With SA_RESTART the call goes on and waits the fence out. */
	alarm_in_ms(100, true);
	EXPECT_EQ(0, vram_validate_once(self->fd, y, 0));
	EXPECT_EQ(2, alarms);
	/* Evicted, so it was waited for: the fence has signalled. */
	ASSERT_EQ(0, bosh_info(self->fd, x, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_BUSY);
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_TRUE(vram_in(self->fd, y));
	signal(SIGALRM, SIG_DFL);
	EXPECT_EQ(0, bosh_check_bo(self->fd, x, n, self->seed, kx, 1));
	EXPECT_EQ(0, bosh_check_bo(self->fd, y, n / 2, self->seed, ky, 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, x));
	EXPECT_EQ(0, bosh_close_bo(self->fd, y));
}

struct mover {
	int fd;
	uint32_t other;		/* a BO whose validation evicts the mapped one */
	uint32_t mapped;
	volatile int stop;
	long moves;
	int err;
};

static void *mover_thread(void *arg)
{
	struct mover *m = arg;

	while (!m->stop) {
		int ret = bosh_debugfs_write(0, "evict_vram", "1");

		if (!ret)
			ret = vram_validate(m->fd, m->mapped, 0);
		if (!ret)
			ret = vram_validate(m->fd, m->other, 0);
		if (ret && !m->err)
			m->err = ret;
		m->moves++;
	}
	return NULL;
}

/*
 * Writes through a mapping and through BO_RW, each pass a new generation,
 * while another thread moves the BO in and out of VRAM (evict_vram, its
 * own validation, another BO's): every pass reads back exactly.
 */
TEST_F(vram, writes_race_moves_between_tiers)
{
	uint64_t n = self->total / 2, i;
	uint32_t key = bosh_key(), kr = bosh_key();
	long evicted = bosh_stat(0, "vram_evicted_total");
	struct mover m = { .fd = self->fd };
	pthread_t t;
	uint32_t gen;
	char *map, *buf;
	long overlapped = 0;

	m.mapped = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, key, 1);
	m.other = filled_bo(self->fd, self->total - n / 2, BOSH_PLACE_VRAM, self->seed, kr, 1);
	ASSERT_TRUE(m.mapped && m.other);
	map = bosh_mmap(self->fd, m.mapped, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	buf = malloc(n * BOSH_PAGE);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pthread_create(&t, NULL, mover_thread, &m));
	for (gen = 2; gen < 2 + 200 && overlapped < 6; gen++) {
		long before = m.moves;

		/* Half the passes through the mapping, half through BO_RW. */
		if (gen & 1) {
			for (i = 0; i < n; i++)
				bosh_pattern_page(map + i * BOSH_PAGE, self->seed, key, i, gen);
		} else {
			bosh_pattern_fill(buf, n, self->seed, key, gen);
			ASSERT_EQ(0, bosh_rw(self->fd, m.mapped, BOSH_RW_WRITE, 0, n * BOSH_PAGE, buf));
		}
		ASSERT_EQ(0, bosh_pattern_check(map, n, self->seed, key, gen))
			TH_LOG("seed %llu gen %u", (unsigned long long)self->seed, gen);
		ASSERT_EQ(0, bosh_check_bo(self->fd, m.mapped, n, self->seed, key, gen));
		if (m.moves - before >= 1)
			overlapped++;
	}
	m.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, m.err);
	/* The race happened: passes with a move inside them, and moves. */
	EXPECT_LE(6, overlapped) TH_LOG("%ld passes overlapped a move", overlapped);
	EXPECT_LT(0, bosh_stat(0, "vram_evicted_total") - evicted);
	EXPECT_EQ(0, bosh_check_bo(self->fd, m.mapped, n, self->seed, key, gen - 1));
	EXPECT_EQ(0, bosh_check_bo(self->fd, m.other, self->total - n / 2, self->seed, kr, 1));
	munmap(map, n * BOSH_PAGE);
	free(buf);
	EXPECT_EQ(0, bosh_close_bo(self->fd, m.mapped));
	EXPECT_EQ(0, bosh_close_bo(self->fd, m.other));
}

/* Each page in exactly one fdinfo region. */
TEST_F(vram, fdinfo_counts_each_page_in_one_region)
{
	uint64_t ns = 64, nv = 128;
	uint32_t s, v, ks = bosh_key(), kv = bosh_key();
	int fd = bosh_open(0);

	ASSERT_LE(0, fd);
	s = filled_bo(fd, ns, BOSH_PLACE_SYSTEM, self->seed, ks, 1);
	v = filled_bo(fd, nv, BOSH_PLACE_VRAM, self->seed, kv, 1);
	ASSERT_TRUE(s && v);
	ASSERT_EQ(0, vram_validate(fd, v, 0));
	EXPECT_EQ((long)nv * 4, vram_fdinfo_kib(fd, "drm-total-vram0"));
	EXPECT_EQ((long)nv * 4, vram_fdinfo_kib(fd, "drm-resident-vram0"));
	EXPECT_EQ((long)ns * 4, vram_fdinfo_kib(fd, "drm-total-memory"));
	EXPECT_EQ((long)ns * 4, vram_fdinfo_kib(fd, "drm-resident-memory"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict_vram", "1"));
	EXPECT_EQ(0, vram_fdinfo_kib(fd, "drm-total-vram0"));
	EXPECT_EQ(0, vram_fdinfo_kib(fd, "drm-resident-vram0"));
	EXPECT_EQ((long)(ns + nv) * 4, vram_fdinfo_kib(fd, "drm-total-memory"));
	EXPECT_EQ((long)(ns + nv) * 4, vram_fdinfo_kib(fd, "drm-resident-memory"));
	close(fd);
}

/*
 * A foreign import of a BO in VRAM moves it to system memory (the
 * importer maps system pages); one its owner pinned in VRAM is shared
 * where it is. Content reads back through the import either way.
 */
TEST_F(vram, prime_import_of_a_vram_bo)
{
	uint64_t n = 32;
	uint32_t a, b, ia, ib, ka = bosh_key(), kb = bosh_key();
	struct drm_bosh_bo_info info;
	int fd1 = bosh_open(1), dbuf;

	if (fd1 < 0)
		SKIP(return, "needs a second device (devices=2)");
	a = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, ka, 1);
	b = filled_bo(self->fd, n, BOSH_PLACE_VRAM, self->seed, kb, 1);
	ASSERT_TRUE(a && b);
	ASSERT_EQ(0, vram_validate(self->fd, a, 0));
	ASSERT_EQ(0, vram_validate(self->fd, b, 0));
	ASSERT_EQ(0, bosh_pin(self->fd, b, BOSH_PIN));

	dbuf = bosh_export(self->fd, a);
	ASSERT_LE(0, dbuf);
	ASSERT_EQ(0, bosh_import(fd1, dbuf, &ia));
	close(dbuf);
	ASSERT_EQ(0, bosh_info(self->fd, a, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_IN_VRAM);
	EXPECT_TRUE(info.flags & BOSH_BO_PINNED);
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, bosh_check_bo(fd1, ia, n, self->seed, ka, 1));
	/* Pinned by the attachment: it cannot go back into VRAM. */
	EXPECT_EQ(-EBUSY, vram_validate(self->fd, a, BOSH_PLACE_VRAM));

	dbuf = bosh_export(self->fd, b);
	ASSERT_LE(0, dbuf);
	ASSERT_EQ(0, bosh_import(fd1, dbuf, &ib));
	close(dbuf);
	EXPECT_TRUE(vram_in(self->fd, b));
	EXPECT_EQ(0, bosh_check_bo(fd1, ib, n, self->seed, kb, 1));

	EXPECT_EQ(0, bosh_close_bo(fd1, ia));
	EXPECT_EQ(0, bosh_close_bo(fd1, ib));
	ASSERT_EQ(0, bosh_info(self->fd, a, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PINNED);
	ASSERT_EQ(0, bosh_pin(self->fd, b, BOSH_UNPIN));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_pinned"));
	EXPECT_EQ(0, bosh_close_bo(self->fd, a));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
	close(fd1);
}

/*
 * Unplug with BOs in VRAM, one of them mapped: the mapping faults
 * SIGBUS... is the unplug test's; here the device is released by the
 * last close with its VRAM all freed (a leak WARNs at release), and the
 * device that binds again has all of its VRAM.
 */
TEST(unplug_with_bos_in_vram)
{
	uint32_t h[3];
	long total = bosh_stat(1, "vram_pages_total");
	char *map;
	int fd, i;

	if (total <= 0)
		SKIP(return, "bosh.1 has no VRAM (load with vram_mb and devices=2)");
	fd = bosh_open(1);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vram_create(fd, total / 4 * BOSH_PAGE, BOSH_PLACE_VRAM, &h[i]));
		ASSERT_EQ(0, vram_validate(fd, h[i], 0));
	}
	ASSERT_EQ(0, bosh_pin(fd, h[2], BOSH_PIN));
	map = bosh_mmap(fd, h[0], total / 4 * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 1;
	EXPECT_EQ(3 * (total / 4), bosh_stat(1, "vram_pages_used"));
	EXPECT_EQ(0, bosh_write_file(DRIVER_DIR "/unbind", "bosh.1"));
	munmap(map, total / 4 * BOSH_PAGE);
	close(fd);
	ASSERT_EQ(0, bosh_write_file(DRIVER_DIR "/bind", "bosh.1"));
	EXPECT_EQ(total, bosh_stat(1, "vram_pages_total"));
	EXPECT_EQ(0, bosh_stat(1, "vram_pages_used"));
	EXPECT_EQ(0, bosh_stat(1, "vram_pages_pinned"));
	EXPECT_EQ(total, vram_debugfs_value(1, "buddy_avail_pages"));
}

/*
 * The owner of the only victim is at its memcg's limit with no swap: the
 * victim cannot be moved to system pages (they would be charged to its
 * owner). Another client's validation fails with ENOMEM, everything
 * intact, and the victim counts as pinned (stuck) VRAM. Once the owner
 * has room, the same validation succeeds, and the copy is charged to the
 * owner's memcg, not to the client that caused it.
 */
static int cg_file_write(const char *cg, const char *file, const char *val)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return bosh_write_file(path, val);
}

static long cg_file_read(const char *cg, const char *file)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return bosh_read_long(path);
}

TEST_F(vram, victim_whose_owner_cannot_take_it_back)
{
	uint64_t n = self->total;
	uint32_t y, ky = bosh_key(), kx = bosh_key();
	int to_child[2], to_parent[2];
	char cg[PATH_MAX], c = 0, max[32];
	long cur, stuck_before;
	pid_t pid;

	if (access("/sys/fs/cgroup/cgroup.subtree_control", W_OK))
		SKIP(return, "no cgroup v2");
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/bosh-vram-%d", getpid());
	ASSERT_EQ(0, bosh_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(cg, 0755));
	ASSERT_EQ(0, cg_file_write(cg, "memory.swap.max", "0"));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char me[16];
		uint32_t x;
		int fd;

		snprintf(me, sizeof(me), "%d", getpid());
		if (cg_file_write(cg, "cgroup.procs", me))
			_exit(2);
		fd = bosh_open(0);
		x = fd < 0 ? 0 : filled_bo(fd, n, BOSH_PLACE_VRAM, self->seed, kx, 1);
		if (!x || vram_validate(fd, x, 0) || !vram_in(fd, x))
			_exit(3);
		c = 1;
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(4);
		/* The parent is done: every byte of x is still there. */
		c = bosh_check_bo(fd, x, n, self->seed, kx, 1) ? 'b' : 'g';
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	/* The owner's memcg at its limit: no room for x's system pages. */
	cur = cg_file_read(cg, "memory.current");
	ASSERT_LT(0, cur);
	snprintf(max, sizeof(max), "%ld", cur + (256 << 10));
	ASSERT_EQ(0, cg_file_write(cg, "memory.max", max));

	stuck_before = bosh_stat(0, "vram_pages_pinned");
	y = filled_bo(self->fd, n / 2, BOSH_PLACE_VRAM, self->seed, ky, 1);
	ASSERT_NE(0, y);
	EXPECT_EQ(-ENOMEM, vram_validate(self->fd, y, 0));
	EXPECT_FALSE(vram_in(self->fd, y));
	EXPECT_EQ((long)n, bosh_stat(0, "vram_pages_pinned") - stuck_before);
	EXPECT_EQ((long)n, vram_debugfs_value(0, "pages_stuck"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, y, n / 2, self->seed, ky, 1));

	/* Room for the owner: the validation succeeds, charged to the owner. */
	cur = cg_file_read(cg, "memory.current");
	ASSERT_EQ(0, cg_file_write(cg, "memory.max", "max"));
	EXPECT_EQ(0, vram_validate(self->fd, y, 0));
	EXPECT_TRUE(vram_in(self->fd, y));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_pinned"));
	EXPECT_LE(cur + (long)n / 2 * (long)BOSH_PAGE, cg_file_read(cg, "memory.current"))
		TH_LOG("the eviction copy was not charged to the victim's owner");

	c = 1;
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_EQ('g', c) TH_LOG("the victim lost content (seed %llu)",
				 (unsigned long long)self->seed);
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	EXPECT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, y));
	rmdir(cg);
}

/*
 * Progress: PROGRESS_PROCS processes loop over their own BOs (one page to
 * a quarter of VRAM, together 3x VRAM), validating each into VRAM alone,
 * under a signal storm (half of them restart, half see EINTR and retry)
 * and injected backoffs, with pinned VRAM held just under its cap. No
 * validation fails: each BO fits VRAM minus pinned. Every process does
 * its first rounds within ten times its uncontended run (at least 10 s;
 * a liveness bound, not a speed figure: make bench measures speed);
 * the rounds go on until real contention happened
 * (more backoffs than were injected); the fallback decides under 5 % of
 * the validations; every byte reads back.
 */
#define PROGRESS_PROCS	4
#define PROGRESS_ROUNDS	5
/* Rounds go on until real contention was seen, up to this many. */
#define PROGRESS_MAX_ROUNDS	60
#define PROGRESS_MAX_BOS	64

struct progress_stats {
	volatile int stop;	/* set by the parent: contention seen */
	long rounds;
	double first_rounds_s;	/* PROGRESS_ROUNDS rounds took this long */
	long validations;
	long einval_or_other;	/* errors other than the two below */
	long enospc;
	long enomem;
	long eintr;		/* EINTR seen and retried */
	long bad_pages;
	long signals;
	double seconds;
};

static volatile sig_atomic_t storm_signals;

static void on_storm(int sig)
{
	storm_signals++;
}

static void storm_start(bool restart)
{
	struct sigaction sa = { .sa_handler = on_storm };
	struct itimerval it = { .it_interval = { 0, 2000 }, .it_value = { 0, 2000 } };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void storm_stop(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_IGN);
}

/* The sizes of one process's BOs: 1 page to VRAM/4, together @want pages. */
static int progress_sizes(uint64_t seed, long total, long want, long *sizes)
{
	long sum = 0;
	int n = 0;

	sizes[n++] = 1;
	sizes[n++] = total / 4;
	sum = 1 + total / 4;
	while (sum < want && n < PROGRESS_MAX_BOS) {
		long s = 1 + bosh_mix(seed ^ n) % (total / 4);

		if (s > want - sum)
			s = want - sum;
		sizes[n++] = s;
		sum += s;
	}
	return n;
}

/* One process's workload; @storm: 0 none, 1 restarting, 2 interrupting. */
static void progress_run(int fd, uint64_t seed, long total, int storm,
			 struct progress_stats *st)
{
	long sizes[PROGRESS_MAX_BOS], maxn = total / 4;
	uint32_t h[PROGRESS_MAX_BOS], key[PROGRESS_MAX_BOS], gen[PROGRESS_MAX_BOS];
	char *buf = malloc(maxn * BOSH_PAGE);
	double t0 = bosh_now();
	int n, i, r;

	st->rounds = st->validations = st->einval_or_other = st->enospc = 0;
	st->enomem = st->eintr = st->bad_pages = st->signals = 0;
	n = progress_sizes(seed, total, 3 * total / PROGRESS_PROCS, sizes);
	for (i = 0; i < n; i++) {
		key[i] = bosh_key();
		gen[i] = 1;
		h[i] = filled_bo(fd, sizes[i], BOSH_PLACE_VRAM, seed, key[i], 1);
		if (!h[i] || !buf) {
			st->einval_or_other++;
			return;
		}
	}
	storm_signals = 0;
	if (storm)
		storm_start(storm == 1);
	for (r = 0; r < PROGRESS_MAX_ROUNDS; r++) {
		if (r == PROGRESS_ROUNDS)
			st->first_rounds_s = bosh_now() - t0;
		if (r >= PROGRESS_ROUNDS && st->stop)
			break;
		st->rounds++;
		for (i = 0; i < n; i++) {
			int b = (i * 7 + r * 3) % n, ret;
			uint64_t page = bosh_mix(seed ^ (r << 8 | i)) % sizes[b];

			do {
				ret = vram_validate_once(fd, h[b], 0);
				st->eintr += ret == -EINTR;
			} while (ret == -EINTR);
			st->validations++;
			if (ret == -ENOSPC)
				st->enospc++;
			else if (ret == -ENOMEM)
				st->enomem++;
			else if (ret)
				st->einval_or_other++;
			/* One page checked after each validation, one BO rewritten. */
			if (bosh_rw(fd, h[b], BOSH_RW_READ, page * BOSH_PAGE, BOSH_PAGE, buf))
				st->einval_or_other++;
			else
				st->bad_pages += bosh_pattern_check_at(buf, page, 1, seed, key[b], gen[b]);
			if (i == r % n) {
				gen[b]++;
				bosh_pattern_fill(buf, sizes[b], seed, key[b], gen[b]);
				if (bosh_rw(fd, h[b], BOSH_RW_WRITE, 0, sizes[b] * BOSH_PAGE, buf))
					st->einval_or_other++;
			}
		}
	}
	if (!st->first_rounds_s)
		st->first_rounds_s = bosh_now() - t0;
	if (storm)
		storm_stop();
	st->signals = storm_signals;
	for (i = 0; i < n; i++) {
		st->bad_pages += bosh_check_bo(fd, h[i], sizes[i], seed, key[i], gen[i]);
		bosh_close_bo(fd, h[i]);
	}
	free(buf);
	st->seconds = bosh_now() - t0;
}

TEST(progress_under_contention)
{
	long total = bosh_stat(0, "vram_pages_total");
	long cap_mb, pin_pages, injected, left;
	long before[4], after[4];
	static const char *const keys[4] = {
		"vram_backoffs_total", "vram_fallbacks_total", "vram_evicted_total",
		"vram_validate_failed_total",
	};
	struct progress_stats *st, alone = { 0 };
	uint64_t seed = bosh_seed();
	double deadline, alone_max = 0;
	pid_t pids[PROGRESS_PROCS];
	uint32_t pin_h;
	long validations = 0;
	int fd, i, status;
	bool faults;

	if (total <= 0)
		SKIP(return, "bosh.0 has no VRAM (load with vram_mb)");
	fd = bosh_open(0);
	ASSERT_LE(0, fd);
	faults = vram_has_fault_points(0);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict_vram", "1"));

	/* Pinned VRAM just under the cap (1 MiB below it). */
	cap_mb = bosh_sysfs_read(0, "max_vram_pinned_mb");
	ASSERT_LT(1, cap_mb);
	pin_pages = (cap_mb - 1) << (20 - 12);
	ASSERT_EQ(0, vram_create(fd, pin_pages * BOSH_PAGE, BOSH_PLACE_VRAM, &pin_h));
	ASSERT_EQ(0, vram_validate(fd, pin_h, 0));
	ASSERT_EQ(0, bosh_pin(fd, pin_h, BOSH_PIN));
	/* Every BO (at most a quarter of VRAM) fits VRAM minus pinned. */
	ASSERT_LE(total / 4, total - pin_pages);

	/* Each workload alone, without signals or faults: the reference. */
	for (i = 0; i < PROGRESS_PROCS; i++) {
		alone.stop = 1;
		progress_run(fd, seed + i, total, 0, &alone);
		ASSERT_EQ(0, alone.enospc + alone.enomem + alone.einval_or_other + alone.bad_pages);
		if (alone.first_rounds_s > alone_max)
			alone_max = alone.first_rounds_s;
	}
	/*
	 * Ten times the uncontended run, and at least 10 s: an alone run of
	 * a fraction of a second (the stock kernel's) is within the noise
	 * of the scheduler and the signal storm.
	 */
	deadline = 10 * alone_max < 10 ? 10 : 10 * alone_max;

	st = mmap(NULL, PROGRESS_PROCS * sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st);
	memset(st, 0, PROGRESS_PROCS * sizeof(*st));
	for (i = 0; i < 4; i++)
		before[i] = bosh_stat(0, keys[i]);
	if (faults) {
		ASSERT_EQ(0, vram_fault_set(0, "fail_vram_backoff", "verbose", 0));
		ASSERT_EQ(0, vram_fault_set(0, "fail_vram_backoff", "interval", 1));
		ASSERT_EQ(0, vram_fault_set(0, "fail_vram_backoff", "times", 200));
		ASSERT_EQ(0, vram_fault_set(0, "fail_vram_backoff", "probability", 10));
	}
	double t0 = bosh_now();

	for (i = 0; i < PROGRESS_PROCS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			int cfd = bosh_open(0);

			if (cfd < 0)
				_exit(2);
			progress_run(cfd, seed + i, total, 1 + (i & 1), &st[i]);
			_exit(0);
		}
	}
	/*
	 * Every process does its first PROGRESS_ROUNDS rounds by the
	 * deadline, or the test fails. The rounds go on until more backoffs
	 * than were injected show that the processes really contended.
	 */
	for (;;) {
		bool all_done = true, late = false;
		long seen = bosh_stat(0, keys[0]) - before[0];
		long fired = faults ? 200 - vram_armed_left(0, "fail_vram_backoff") : 0;

		for (i = 0; i < PROGRESS_PROCS; i++) {
			if (pids[i] && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
				pids[i] = 0;
			}
			all_done &= !pids[i];
			late |= pids[i] && st[i].rounds <= PROGRESS_ROUNDS &&
				bosh_now() - t0 > deadline;
		}
		if (seen > fired)
			for (i = 0; i < PROGRESS_PROCS; i++)
				st[i].stop = 1;
		if (late) {
			for (i = 0; i < PROGRESS_PROCS; i++)
				if (pids[i])
					kill(pids[i], SIGKILL);
			while (wait(NULL) > 0)
				;
			ASSERT_TRUE(false) TH_LOG("a process was not through %d rounds after %.1f s (alone: %.1f s)",
						  PROGRESS_ROUNDS, deadline, alone_max);
		}
		if (all_done)
			break;
		usleep(100000);
	}
	left = faults ? vram_armed_left(0, "fail_vram_backoff") : 200;
	injected = 200 - left;
	vram_disarm_all(0);
	for (i = 0; i < 4; i++)
		after[i] = bosh_stat(0, keys[i]);

	for (i = 0; i < PROGRESS_PROCS; i++) {
		printf("# process %d: %ld rounds, %ld validations in %.1f s (first %d rounds %.1f s), %ld EINTR retried, %ld signals, enospc %ld enomem %ld other %ld bad pages %ld\n",
		       i, st[i].rounds, st[i].validations, st[i].seconds, PROGRESS_ROUNDS,
		       st[i].first_rounds_s, st[i].eintr, st[i].signals,
		       st[i].enospc, st[i].enomem, st[i].einval_or_other, st[i].bad_pages);
		validations += st[i].validations;
		EXPECT_EQ(0, st[i].enospc);
		EXPECT_EQ(0, st[i].enomem);
		EXPECT_EQ(0, st[i].einval_or_other);
		EXPECT_EQ(0, st[i].bad_pages) TH_LOG("seed %llu", (unsigned long long)(seed + i));
		EXPECT_LT(0, st[i].signals);
	}
	printf("# %d processes, VRAM %ld pages (%ld pinned), BOs 3x VRAM: %ld validations, %ld evicted pages, %ld backoffs (%ld injected), %ld fallbacks, %ld failed; alone at most %.1f s, deadline %.1f s\n",
	       PROGRESS_PROCS, total, pin_pages, validations, after[2] - before[2],
	       after[0] - before[0], injected, after[1] - before[1], after[3] - before[3],
	       alone_max, deadline);
	/* Real contention happened: backoffs beyond the injected ones. */
	EXPECT_LT(injected, after[0] - before[0]);
	EXPECT_LT((after[1] - before[1]) * 20, validations);
	EXPECT_EQ(0, after[3] - before[3]);
	EXPECT_LT(0, after[2] - before[2]);

	ASSERT_EQ(0, bosh_pin(fd, pin_h, BOSH_UNPIN));
	EXPECT_EQ(0, bosh_close_bo(fd, pin_h));
	munmap(st, PROGRESS_PROCS * sizeof(*st));
	close(fd);
}

TEST_HARNESS_MAIN
