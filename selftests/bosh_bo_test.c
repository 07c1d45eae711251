// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer objects through every ioctl: content survives backup, restore
 * and faults; purged BOs are dead; pinned and busy BOs are never shrunk;
 * bad input gets its documented errno and changes nothing; interrupted
 * restores lose nothing; counters return to zero.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <dirent.h>

#include "bosh_lib.h"
#include "kselftest_harness.h"

/* Under TCG, with KASAN, the harness default of 30 s is too short. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

/*
 * Pattern keys: GEM handles are reused from test to test, so a stale page
 * of an earlier test could pass a check keyed by handle alone. Each test
 * runs in a process of its own: its pid makes its keys its own.
 */
#define KEY(n)	((uint32_t)getpid() << 12 ^ (uint32_t)(n))

/* A key no other BO of this run has: above the handles' range. */
static uint32_t next_serial(void)
{
	static uint32_t serial = 0x800;

	return KEY(++serial);
}

/* Knobs a test may change: each test's teardown puts back what it read. */
static const char *const bo_knobs[] = {
	"swap_reserve_mb", "max_bo_mb", "max_pinned_mb", "max_vram_pinned_mb",
};
#define NR_BO_KNOBS	(sizeof(bo_knobs) / sizeof(bo_knobs[0]))

/* What the fixtures of this file hold. */
#define BO_FIXTURE_MEMBERS	\
	int fd;			\
	uint64_t seed;		\
	long knobs[NR_BO_KNOBS]

/* Tests of every backing model: each runs for both. */
FIXTURE(bo) {
	BO_FIXTURE_MEMBERS;
};

BOSH_MODEL_VARIANTS(bo);

/*
 * Tests of the copy model's store alone, which the shmem-native model
 * does not have: each says why it does not apply there.
 */
FIXTURE(store) {
	BO_FIXTURE_MEMBERS;
};

static void bo_fixture_setup(struct __test_metadata *_metadata, int *fd,
		     uint64_t *seed, long *knobs)
{
	unsigned int i;

	for (i = 0; i < NR_BO_KNOBS; i++)
		knobs[i] = -1;
	for (i = 0; i < NR_BO_KNOBS; i++) {
		knobs[i] = bosh_sysfs_read(0, bo_knobs[i]);
		ASSERT_LE(0, knobs[i]) TH_LOG("knob %s", bo_knobs[i]);
	}
	*fd = bosh_open(0);
	ASSERT_GE(*fd, 0);
	*seed = bosh_seed();
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "1"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
}

static void bo_fixture_teardown(struct __test_metadata *_metadata, int fd,
			const long *knobs)
{
	char val[32];
	unsigned int i;

	/* Also after a failed assertion, which skips the test's own reset. */
	for (i = 0; i < NR_BO_KNOBS; i++) {
		if (knobs[i] < 0)
			continue;
		snprintf(val, sizeof(val), "%ld", knobs[i]);
		EXPECT_EQ(0, bosh_sysfs_write(0, bo_knobs[i], val));
		EXPECT_EQ(knobs[i], bosh_sysfs_read(0, bo_knobs[i]));
	}
	bosh_sysfs_write(0, "writeback", "0");
	close(fd);
}

FIXTURE_SETUP(bo)
{
	bosh_create_flags = variant->create_flags;
	bo_fixture_setup(_metadata, &self->fd, &self->seed, self->knobs);
}

FIXTURE_TEARDOWN(bo)
{
	bo_fixture_teardown(_metadata, self->fd, self->knobs);
}

FIXTURE_SETUP(store)
{
	bosh_create_flags = 0;
	bo_fixture_setup(_metadata, &self->fd, &self->seed, self->knobs);
}

FIXTURE_TEARDOWN(store)
{
	bo_fixture_teardown(_metadata, self->fd, self->knobs);
}

static void gauges_add_up(struct __test_metadata *_metadata)
{
	long total = bosh_stat(0, "pages_total");
	long res = bosh_stat(0, "pages_resident");
	long bak = bosh_stat(0, "pages_backed_up");

	EXPECT_LE(res + bak, total);
	EXPECT_LE(0, res);
	EXPECT_LE(0, bak);
}

TEST_F(bo, create_info_close)
{
	struct drm_bosh_bo_info info;
	uint32_t h;

	ASSERT_EQ(0, bosh_create(self->fd, 64 * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(64 * BOSH_PAGE, info.size);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, info.backed_up);
	EXPECT_EQ(0, info.backed_up_in_ram);
	EXPECT_EQ(bosh_model_info_flags(), info.flags);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	EXPECT_EQ(-ENOENT, bosh_info(self->fd, h, &info));
}

TEST_F(bo, create_bad_input)
{
	struct drm_bosh_bo_create c = { .size = BOSH_PAGE, .flags = 0x8 };
	long bos = bosh_stat(0, "bos");
	uint32_t h;

	/* Bits beyond the placement's (0x1, 0x2) and the model's (0x4). */
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_CREATE, &c));
	c.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_CREATE, &c));
	/* A shmem-native BO never enters VRAM, with or without a fallback. */
	c.flags = BOSH_BO_CREATE_SHMEM | BOSH_PLACE_VRAM;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_CREATE, &c));
	c.flags = BOSH_BO_CREATE_SHMEM | BOSH_PLACE_MASK;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_CREATE, &c));
	EXPECT_EQ(-EINVAL, bosh_create(self->fd, 0, &h));
	EXPECT_EQ(-EINVAL, bosh_create(self->fd, 100, &h));
	EXPECT_EQ(-EINVAL, bosh_create(self->fd, BOSH_PAGE + 1, &h));
	EXPECT_EQ(-ENOSPC, bosh_create(self->fd, 1ULL << 60, &h));
	EXPECT_EQ(-ENOSPC, bosh_create(self->fd, UINT64_MAX & ~(BOSH_PAGE - 1), &h));
	EXPECT_EQ(bos, bosh_stat(0, "bos"));
}

TEST_F(bo, create_cap)
{
	long cap = bosh_sysfs_read(0, "max_bo_mb");
	char old[32];
	uint32_t a, b;

	ASSERT_LT(0, cap);
	snprintf(old, sizeof(old), "%ld", cap);
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_bo_mb", "4"));
	EXPECT_EQ(0, bosh_create(self->fd, 3 << 20, &a));
	EXPECT_EQ(-ENOSPC, bosh_create(self->fd, 2 << 20, &b));
	EXPECT_EQ(0, bosh_close_bo(self->fd, a));
	EXPECT_EQ(0, bosh_create(self->fd, 4 << 20, &b));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_bo_mb", old));
}

TEST_F(bo, bad_handles)
{
	struct drm_bosh_bo_info info;
	char buf[16];

	EXPECT_EQ(-ENOENT, bosh_info(self->fd, 12345, &info));
	EXPECT_EQ(-ENOENT, bosh_rw(self->fd, 12345, BOSH_RW_READ, 0, 16, buf));
	EXPECT_EQ(-ENOENT, bosh_validate(self->fd, 12345));
	EXPECT_EQ(-ENOENT, bosh_madvise(self->fd, 12345, BOSH_MADV_DONTNEED, NULL));
	EXPECT_EQ(-ENOENT, bosh_pin(self->fd, 12345, BOSH_PIN));
	EXPECT_EQ(-ENOENT, bosh_busy(self->fd, 12345, 10));
	EXPECT_EQ(MAP_FAILED, bosh_mmap(self->fd, 12345, BOSH_PAGE, MAP_SHARED));
}

TEST_F(bo, rw_bad_input_changes_nothing)
{
	uint64_t n = 4, seed = self->seed;
	struct drm_bosh_bo_rw rw = { 0 };
	struct drm_bosh_bo_info info;
	char buf[64];
	uint32_t h;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	EXPECT_EQ(-EINVAL, bosh_rw(self->fd, h, 2, 0, 16, buf));
	EXPECT_EQ(-EINVAL, bosh_rw(self->fd, h, BOSH_RW_WRITE, n * BOSH_PAGE - 8, 16, buf));
	EXPECT_EQ(-EINVAL, bosh_rw(self->fd, h, BOSH_RW_WRITE, UINT64_MAX - 4, 16, buf));
	EXPECT_EQ(-EINVAL, bosh_rw(self->fd, h, BOSH_RW_READ, 8, UINT64_MAX, buf));
	EXPECT_EQ(-EFAULT, bosh_rw(self->fd, h, BOSH_RW_WRITE, 0, 16, (void *)8));
	EXPECT_EQ(-EFAULT, bosh_rw(self->fd, h, BOSH_RW_READ, 0, 16, (void *)8));
	rw.handle = h;
	rw.op = BOSH_RW_WRITE;
	rw.size = 16;
	rw.data = (uintptr_t)buf;
	rw.offset = 1ULL << 63;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_RW, &rw));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, other_bad_input)
{
	struct drm_bosh_bo_validate v = { 0 };
	struct drm_bosh_bo_madvise m = { 0 };
	struct drm_bosh_bo_busy b = { 0 };
	struct drm_bosh_bo_info info;
	uint32_t h;

	ASSERT_EQ(0, bosh_create(self->fd, BOSH_PAGE, &h));
	v.handle = h;
	v.flags = 0x4;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v));
	v.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v));
	EXPECT_EQ(-EINVAL, bosh_madvise(self->fd, h, 2, NULL));
	m.handle = h;
	m.pad = 1;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_MADVISE, &m));
	EXPECT_EQ(-EINVAL, bosh_pin(self->fd, h, 2));
	EXPECT_EQ(-EINVAL, bosh_pin(self->fd, h, BOSH_UNPIN));
	EXPECT_EQ(-EINVAL, bosh_busy(self->fd, h, 0));
	EXPECT_EQ(-EINVAL, bosh_busy(self->fd, h, BOSH_BUSY_MAX_US + 1));
	b.handle = h;
	b.usecs = 1;
	b.flags = 4;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_BUSY, &b));
	memset(&info, 0, sizeof(info));
	info.handle = h;
	info.pad = 1;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_INFO, &info));
	/* VRAM alone for a BO that cannot go there. */
	v.flags = BOSH_PLACE_VRAM;
	if (bosh_model_shmem())
		EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(bosh_model_info_flags(), info.flags);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, content_survives_evict_and_restore)
{
	uint64_t n = 1000, seed = self->seed;
	struct drm_bosh_bo_info info;
	long restored;
	uint32_t h;
	uint32_t gen;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	for (gen = 0; gen < 3; gen++) {
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), gen));
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		EXPECT_EQ(0, info.resident);
		EXPECT_EQ(n, info.backed_up);
		gauges_add_up(_metadata);
		restored = bosh_stat(0, "restored_total");
		if (gen == 1)
			ASSERT_EQ(0, bosh_validate(self->fd, h));
		EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), gen));
		EXPECT_EQ(restored + (long)n, bosh_stat(0, "restored_total"));
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		EXPECT_EQ(n, info.resident);
		EXPECT_EQ(0, info.backed_up);
	}
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, content_survives_evict_with_writeback)
{
	uint64_t n = 512, seed = self->seed;
	long written = bosh_stat(0, "written_back_total");
	uint32_t h;

	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 7));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	EXPECT_LT(written, bosh_stat(0, "written_back_total"))
		TH_LOG("no page written to swap (is swap on?)");
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 7));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
}

static sigjmp_buf bosh_jmp;

static void bosh_sigbus(int sig)
{
	siglongjmp(bosh_jmp, 1);
}

/* Touch one byte; returns 1 if it raised SIGBUS. */
static int touch_sigbus(volatile char *p)
{
	struct sigaction sa = { .sa_handler = bosh_sigbus }, old;
	int hit = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bosh_jmp, 1))
		hit = 1;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

TEST_F(bo, mmap_faults_restore_content)
{
	uint64_t n = 300, seed = self->seed, i;
	struct drm_bosh_bo_info info;
	char *map;
	uint32_t h;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	map = bosh_mmap(self->fd, h, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	bosh_pattern_fill(map, n, seed, KEY(h), 0);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up);
	/* A fault restores the faulting page only. */
	EXPECT_EQ(0, bosh_pattern_check_at(map + 5 * BOSH_PAGE, 5, 1, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(1, info.resident);
	EXPECT_EQ(n - 1, info.backed_up);
	EXPECT_EQ(0, bosh_pattern_check(map, n, seed, KEY(h), 0));
	/* Rewrite through the mapping, evict again, check through BO_RW. */
	for (i = 0; i < n; i++)
		bosh_pattern_page(map + i * BOSH_PAGE, seed, KEY(h), i, 1);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 1));
	munmap(map, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, map_private_refused)
{
	uint32_t h;

	ASSERT_EQ(0, bosh_create(self->fd, BOSH_PAGE, &h));
	EXPECT_EQ(MAP_FAILED, bosh_mmap(self->fd, h, BOSH_PAGE, MAP_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, purge_kills_dontneed_bo)
{
	uint64_t n = 64, seed = self->seed;
	struct drm_bosh_bo_info info;
	uint32_t h, keep, retained;
	long purged = bosh_stat(0, "purged_total");
	char *map, buf[16];

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &keep));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, keep, n, seed, KEY(keep), 0));
	map = bosh_mmap(self->fd, h, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, touch_sigbus(map));

	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, &retained));
	EXPECT_EQ(1, retained);
	EXPECT_EQ((long)n, bosh_stat(0, "pages_purgeable"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	EXPECT_EQ(purged + (long)n, bosh_stat(0, "purged_total"));

	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PURGED);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_WILLNEED, &retained));
	EXPECT_EQ(0, retained);
	EXPECT_EQ(-ENODATA, bosh_rw(self->fd, h, BOSH_RW_READ, 0, 16, buf));
	EXPECT_EQ(-ENODATA, bosh_validate(self->fd, h));
	EXPECT_EQ(-ENODATA, bosh_pin(self->fd, h, BOSH_PIN));
	EXPECT_EQ(1, touch_sigbus(map + BOSH_PAGE));
	/* The WILLNEED BO was not touched. */
	EXPECT_EQ(0, bosh_check_bo(self->fd, keep, n, seed, KEY(keep), 0));
	munmap(map, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	EXPECT_EQ(0, bosh_close_bo(self->fd, keep));
}

TEST_F(bo, madvise_willneed_again_keeps_content)
{
	uint64_t n = 16, seed = self->seed;
	uint32_t h, retained;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 3));
	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, &retained));
	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_WILLNEED, &retained));
	EXPECT_EQ(1, retained);
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 3));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * A reclaim call whose pass takes nothing gets SHRINK_STOP, and the mm
 * asks no more of it. drop_caches asks a shrinker for twice the pages it
 * counts, in batches of 128 (SHRINK_BATCH), one call per memcg with a
 * count: a busy BO of 4096 pages is counted but never taken, so a pass
 * answering 0 instead would be asked 64 times in the one call. drop_slab()
 * calls again while the other shrinkers free much (1 to 3 calls seen):
 * at most 16 scans in all.
 */
TEST_F(bo, pass_taking_nothing_stops_the_reclaim_call)
{
	const uint64_t n = 4096;
	uint32_t h, key = next_serial();
	struct drm_bosh_bo_info info;
	long scans, skips;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 0));
	ASSERT_EQ(0, bosh_busy(self->fd, h, BOSH_BUSY_MAX_US));
	ASSERT_LE((long)n, bosh_stat(0, "pages_shrinkable"));
	scans = bosh_stat(0, "scans_total");
	skips = bosh_stat(0, "skipped_busy_total");
	ASSERT_EQ(0, bosh_write_file("/proc/sys/vm/drop_caches", "2"));
	scans = bosh_stat(0, "scans_total") - scans;
	skips = bosh_stat(0, "skipped_busy_total") - skips;
	TH_LOG("drop_caches: %ld scans, %ld busy BOs skipped", scans, skips);
	EXPECT_LT(0, skips);
	EXPECT_LE(1, scans);
	EXPECT_GE(16, scans) TH_LOG("the mm went on asking after a pass took nothing");
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, info.backed_up);
	/* Closed busy: the fence lives on by itself. */
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* A shrink as reclaim runs it meets a busy BO and skips it. */
static void shrink_skips_busy(struct __test_metadata *_metadata)
{
	long busy_skips = bosh_stat(0, "skipped_busy_total");

	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	EXPECT_LT(busy_skips, bosh_stat(0, "skipped_busy_total"));
}

/*
 * A BO the scan skips as busy goes to the tail of its list, as msm
 * rotates: the next scan meets the idle BOs behind it first instead of
 * paying for the busy one again. A (busy), B and C, used in that order;
 * each scan asks for one BO's pages. The first skips A and takes B; the
 * second must take C without meeting A.
 */
TEST_F(bo, busy_bo_rotated_behind_idle_ones)
{
	uint64_t n = 16, seed = self->seed;
	struct drm_bosh_bo_info info;
	uint32_t h[3];
	char want[16];
	long busy;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h[i]));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h[i], n, seed, KEY(h[i]), 0));
	}
	ASSERT_EQ(0, bosh_busy(self->fd, h[0], 5000000));
	snprintf(want, sizeof(want), "%llu", (unsigned long long)n);
	busy = bosh_stat(0, "skipped_busy_total");
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", want));
	EXPECT_EQ(busy + 1, bosh_stat(0, "skipped_busy_total"));
	ASSERT_EQ(0, bosh_info(self->fd, h[1], &info));
	EXPECT_EQ(n, info.backed_up);
	busy = bosh_stat(0, "skipped_busy_total");
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", want));
	EXPECT_EQ(busy, bosh_stat(0, "skipped_busy_total"))
		TH_LOG("the second scan met the busy BO first again");
	ASSERT_EQ(0, bosh_info(self->fd, h[2], &info));
	EXPECT_EQ(n, info.backed_up);
	ASSERT_EQ(0, bosh_info(self->fd, h[0], &info));
	EXPECT_EQ(n, info.resident);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, bosh_check_bo(self->fd, h[i], n, seed, KEY(h[i]), 0));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, bosh_close_bo(self->fd, h[i]));
}

TEST_F(bo, pinned_and_busy_never_shrunk)
{
	uint64_t n = 32, seed = self->seed;
	struct drm_bosh_bo_info info;
	uint32_t p, b;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &p));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &b));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, p, n, seed, KEY(p), 0));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, b, n, seed, KEY(b), 0));
	ASSERT_EQ(0, bosh_pin(self->fd, p, BOSH_PIN));
	EXPECT_EQ((long)n, bosh_stat(0, "pages_pinned"));
	ASSERT_EQ(0, bosh_busy(self->fd, b, 5000000));
	ASSERT_EQ(0, bosh_info(self->fd, b, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_BUSY);

	shrink_skips_busy(_metadata);
	ASSERT_EQ(0, bosh_info(self->fd, p, &info));
	EXPECT_EQ(n, info.resident);
	EXPECT_TRUE(info.flags & BOSH_BO_PINNED);
	ASSERT_EQ(0, bosh_info(self->fd, b, &info));
	EXPECT_EQ(n, info.resident);

	/* evict waits for the busy BO, then backs it up; the pinned one stays. */
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, b, &info));
	EXPECT_EQ(0, info.resident);
	ASSERT_EQ(0, bosh_info(self->fd, p, &info));
	EXPECT_EQ(n, info.resident);

	ASSERT_EQ(0, bosh_pin(self->fd, p, BOSH_UNPIN));
	EXPECT_EQ(0, bosh_stat(0, "pages_pinned"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, p, &info));
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, bosh_check_bo(self->fd, p, n, seed, KEY(p), 0));
	EXPECT_EQ(0, bosh_check_bo(self->fd, b, n, seed, KEY(b), 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, p));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
}

TEST_F(bo, pin_cap)
{
	long cap = bosh_sysfs_read(0, "max_pinned_mb");
	char old[32];
	uint32_t a, b;

	ASSERT_LT(0, cap);
	snprintf(old, sizeof(old), "%ld", cap);
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_pinned_mb", "1"));
	ASSERT_EQ(0, bosh_create(self->fd, 1 << 20, &a));
	ASSERT_EQ(0, bosh_create(self->fd, BOSH_PAGE, &b));
	EXPECT_EQ(0, bosh_pin(self->fd, a, BOSH_PIN));
	EXPECT_EQ(-ENOSPC, bosh_pin(self->fd, b, BOSH_PIN));
	EXPECT_EQ(0, bosh_pin(self->fd, a, BOSH_UNPIN));
	EXPECT_EQ(0, bosh_pin(self->fd, b, BOSH_PIN));
	EXPECT_EQ(0, bosh_close_bo(self->fd, a));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_pinned_mb", old));
	EXPECT_EQ(0, bosh_stat(0, "pages_pinned"));
}

TEST_F(bo, shrink_frees_at_most_n_plus_a_chunk)
{
	uint64_t n = 2048, seed = self->seed;
	char buf[32] = { 0 };
	long freed;
	uint32_t h;
	int fd;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100"));
	fd = open(BOSH_DEBUGFS "/bosh.0/shrink", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	freed = atol(buf);
	if (bosh_model_shmem()) {
		struct drm_bosh_bo_info info;

		/* The whole BO is let go of, and none of it released. */
		EXPECT_EQ(0, freed);
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		EXPECT_EQ(n, info.backed_up);
		EXPECT_EQ(0, info.resident);
	} else {
		EXPECT_LT(0, freed);
		EXPECT_GE(100 + 512, freed);
	}
	gauges_add_up(_metadata);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * Faults taken reading one byte of each page of [@first, @last) of a
 * mapping: a page whose mapping was zapped faults again. (pagemap and
 * mincore skip VM_PFNMAP mappings: the fault count is what shows it.)
 */
static long faults_touching(volatile char *map, uint64_t first, uint64_t last)
{
	struct rusage before, after;
	uint64_t i;

	getrusage(RUSAGE_SELF, &before);
	for (i = first; i < last; i++)
		(void)map[i * BOSH_PAGE];
	getrusage(RUSAGE_SELF, &after);
	return (after.ru_minflt - before.ru_minflt) + (after.ru_majflt - before.ru_majflt);
}

/*
 * The cost of a scan call is bounded by what it asks, not by the BO's
 * size or what earlier calls backed up: per 128-page debugfs shrink of a
 * mapped, touched BO, the slots the backup visited and the pages whose
 * mappings it zapped stay within 128 plus one chunk (512 pages), and
 * every page still resident keeps its mapping. For a BO of a quarter of
 * the RAM (at most BOSH_LARGE_BO_MB where set) and one of 1/128. The
 * copy model's promise: a shmem-native BO is backed up whole
 * (bo.shrink_frees_at_most_n_plus_a_chunk shows it).
 */
TEST_F_TIMEOUT(store, backup_call_cost_bounded_by_its_size, 900)
{
	const long ask = 128, chunk = 512, calls = 16;
	uint64_t ram = (uint64_t)bosh_meminfo_kib("MemTotal") * 1024;
	const char *cap = getenv("BOSH_LARGE_BO_MB");
	uint64_t sizes[2] = { ram / 4, ram / 128 };
	int s;

	ASSERT_LT(0, (long)(ram >> 20));
	if (cap && atol(cap) > 0 && sizes[0] > (uint64_t)atol(cap) << 20)
		sizes[0] = (uint64_t)atol(cap) << 20;
	for (s = 0; s < 2; s++) {
		uint64_t n = sizes[s] / BOSH_PAGE, i, bad;
		long worst_visit = 0, worst_zap = 0, refaults, c;
		char want[BOSH_PAGE];
		struct drm_bosh_bo_info info;
		uint32_t h, key = next_serial();
		volatile char *map;

		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 1));
		map = bosh_mmap(self->fd, h, n * BOSH_PAGE, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, map);
		ASSERT_LE((long)n, faults_touching(map, 0, n));
		ASSERT_GT(16, faults_touching(map, 0, n));
		for (c = 0; c < calls && c * chunk < (long)n / 2; c++) {
			long v = bosh_stat(0, "backup_slots_visited_total");
			long z = bosh_stat(0, "backup_pages_zapped_total");

			ASSERT_LE(0, v);
			ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "128"));
			v = bosh_stat(0, "backup_slots_visited_total") - v;
			z = bosh_stat(0, "backup_pages_zapped_total") - z;
			worst_visit = v > worst_visit ? v : worst_visit;
			worst_zap = z > worst_zap ? z : worst_zap;
		}
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		refaults = faults_touching(map, info.backed_up, n);
		TH_LOG("BO of %llu MiB: %ld calls backed up %llu pages; worst call visited %ld slots, zapped %ld pages; %ld faults reading the %llu resident",
		       (unsigned long long)(sizes[s] >> 20), c,
		       (unsigned long long)info.backed_up, worst_visit, worst_zap,
		       refaults, (unsigned long long)info.resident);
		EXPECT_LT(ask * (c - 1), (long)info.backed_up);
		EXPECT_GE(ask + chunk, worst_visit);
		EXPECT_GE(ask + chunk, worst_zap);
		EXPECT_LT(0, worst_zap);
		/* Only what was backed up lost its mapping. */
		EXPECT_EQ(n, info.resident + info.backed_up);
		EXPECT_GT(16, refaults);
		/*
		 * And what was backed up did lose it: read through the mapping,
		 * every page is the BO's (a page freed under a live mapping
		 * would not be).
		 */
		for (i = 0, bad = 0; i < n; i++) {
			bosh_pattern_page(want, self->seed, key, i, 1);
			bad += !!memcmp((const void *)(map + i * BOSH_PAGE), want, BOSH_PAGE);
		}
		EXPECT_EQ(0, bad) TH_LOG("pages read wrong through the mapping (seed %llu)",
					 (unsigned long long)self->seed);
		/* Writes through it land in the BO, not in a freed page. */
		ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "128"));
		for (i = 0; i < n; i++)
			bosh_pattern_page((char *)map + i * BOSH_PAGE, self->seed, key, i, 2);
		munmap((void *)map, n * BOSH_PAGE);
		EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 2))
			TH_LOG("seed %llu", (unsigned long long)self->seed);
		EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	}
}

TEST_F(bo, shrinker_disabled_frees_nothing)
{
	uint64_t n = 64, seed = self->seed;
	struct drm_bosh_bo_info info;
	uint32_t h;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "0"));
	EXPECT_EQ(0, bosh_stat(0, "pages_shrinkable"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "1000"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.resident);
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "1"));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

static volatile sig_atomic_t bosh_ticks;

static void bosh_tick(int sig)
{
	bosh_ticks++;
}

/*
 * A timer signal every 200 us while BO_VALIDATE restores 16 MiB: with
 * SA_RESTART the kernel restarts the ioctl, which completes, keeping what
 * each interrupted attempt restored. The timer only drives the load:
 * rounds repeat until the signals have met a restore, and the count of
 * interrupted restores is what the test asserts.
 */
TEST_F(bo, signal_storm_during_validate)
{
	uint64_t n = 4096, seed = self->seed;	/* 16 MiB */
	struct itimerval it = { { 0, 200 }, { 0, 200 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = bosh_tick, .sa_flags = SA_RESTART };
	long intr = bosh_stat(0, "restore_interrupted_total");
	uint32_t h, key = next_serial();
	struct drm_bosh_bo_info info;
	int round;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	sigaction(SIGALRM, &sa, NULL);
	for (round = 0; round < 20 &&
	     bosh_stat(0, "restore_interrupted_total") == intr; round++) {
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, key, round));
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
		setitimer(ITIMER_REAL, &it, NULL);
		EXPECT_EQ(0, bosh_ioctl_once(self->fd, DRM_IOCTL_BOSH_BO_VALIDATE,
					     &(struct drm_bosh_bo_validate){ .handle = h }));
		setitimer(ITIMER_REAL, &off, NULL);
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		EXPECT_EQ(n, info.resident);
		EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, round))
			TH_LOG("round %d (seed %llu)", round, (unsigned long long)seed);
	}
	TH_LOG("%d rounds, %d signals, %ld interruptions", round, (int)bosh_ticks,
	       bosh_stat(0, "restore_interrupted_total") - intr);
	EXPECT_LT(intr, bosh_stat(0, "restore_interrupted_total"));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * The storm on one BO_RW read of a whole evicted 4 MiB BO: an SA_RESTART
 * handler in even rounds, a plain one in odd rounds with EINTR retried
 * as drmIoctl() does. Every attempt checks the whole user range again
 * before it restores, so its restore runs on through signals for as long
 * as that check took instead of stopping after one page. The test asserts
 * counts: each read completes with the content intact and the BO
 * resident; the signals met restores (rounds repeat until they did, two
 * at least, so both handlers run); and no round stops its restore as
 * often as once every 4 pages, which a restore that stops at each signal
 * does (about once a page: the call quadratic in the range).
 */
TEST_F(bo, signal_storm_during_rw_read)
{
	uint64_t n = 1024, seed = self->seed;	/* 4 MiB */
	struct itimerval it = { { 0, 200 }, { 0, 200 } }, off = { 0 };
	long intr0 = bosh_stat(0, "restore_interrupted_total"), intr, most = 0;
	uint32_t h, key = next_serial();
	struct drm_bosh_bo_info info;
	struct drm_bosh_bo_rw rw = { .op = BOSH_RW_READ, .size = n * BOSH_PAGE };
	char *buf = malloc(n * BOSH_PAGE);
	int round, eintr = 0, ret;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	rw.handle = h;
	rw.data = (uintptr_t)buf;
	for (round = 0; round < 20 && (round < 2 ||
	     bosh_stat(0, "restore_interrupted_total") == intr0); round++) {
		struct sigaction sa = {
			.sa_handler = bosh_tick, .sa_flags = round % 2 ? 0 : SA_RESTART,
		};

		ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, key, round));
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
		memset(buf, 0, n * BOSH_PAGE);
		intr = bosh_stat(0, "restore_interrupted_total");
		setitimer(ITIMER_REAL, &it, NULL);
		while ((ret = bosh_ioctl_once(self->fd, DRM_IOCTL_BOSH_BO_RW, &rw)) == -EINTR)
			eintr++;
		setitimer(ITIMER_REAL, &off, NULL);
		intr = bosh_stat(0, "restore_interrupted_total") - intr;
		most = intr > most ? intr : most;
		EXPECT_EQ(0, ret);
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		EXPECT_EQ(n, info.resident);
		EXPECT_EQ(0, bosh_pattern_check(buf, n, seed, key, round))
			TH_LOG("round %d (seed %llu)", round, (unsigned long long)seed);
		EXPECT_GT((long)n / 4, intr)
			TH_LOG("round %d: %ld restores stopped for %llu pages", round, intr,
			       (unsigned long long)n);
	}
	signal(SIGALRM, SIG_DFL);
	TH_LOG("%d rounds, %d signals, %ld interruptions (at most %ld a round), %d EINTRs",
	       round, (int)bosh_ticks, bosh_stat(0, "restore_interrupted_total") - intr0,
	       most, eintr);
	EXPECT_LT(intr0, bosh_stat(0, "restore_interrupted_total"));
	free(buf);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

struct writer_args {
	char *map;
	uint64_t npages;
	volatile int stop;
	uint64_t rounds;
};

static void *mmap_writer(void *p)
{
	struct writer_args *a = p;
	uint64_t i;

	while (!a->stop) {
		for (i = 0; i < a->npages; i++)
			((volatile uint64_t *)(a->map + i * BOSH_PAGE))[i % 512] = a->rounds + 1;
		a->rounds++;
	}
	return NULL;
}

TEST_F(bo, mmap_writes_survive_evict_loop)
{
	struct writer_args a = { .npages = 64 };
	long restored = bosh_stat(0, "restored_total");
	uint64_t i, bad = 0;
	pthread_t t;
	uint32_t h;
	int k;

	ASSERT_EQ(0, bosh_create(self->fd, a.npages * BOSH_PAGE, &h));
	a.map = bosh_mmap(self->fd, h, a.npages * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a.map);
	ASSERT_EQ(0, pthread_create(&t, NULL, mmap_writer, &a));
	/* Until the race has surely happened: evicts while the writer writes. */
	for (k = 0; k < 20000 && (k < 50 || a.rounds < 20); k++)
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	a.stop = 1;
	pthread_join(t, NULL);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	/* The last complete round's value is in every page. */
	for (i = 0; i < a.npages; i++) {
		uint64_t v = ((volatile uint64_t *)(a.map + i * BOSH_PAGE))[i % 512];

		if (v != a.rounds && v != a.rounds + 1)
			bad++;
	}
	restored = bosh_stat(0, "restored_total") - restored;
	TH_LOG("%llu writer rounds over %d evicts, %ld pages restored by its faults",
	       (unsigned long long)a.rounds, k, restored);
	EXPECT_LE(20, a.rounds);
	EXPECT_LT(0, restored);
	EXPECT_EQ(0, bad);
	munmap(a.map, a.npages * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, fdinfo_memory)
{
	char path[64], line[256], unit[8];
	long total = -1, resident = -1, v;
	uint32_t h;
	FILE *f;

	ASSERT_EQ(0, bosh_create(self->fd, 256 * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, 128, self->seed, KEY(h), 0));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->fd);
	f = fopen(path, "re");
	ASSERT_NE(NULL, f);
	/* Sizes are printed in the largest unit that divides them. */
	while (fgets(line, sizeof(line), f)) {
		long *dst = NULL;

		if (sscanf(line, "drm-total-memory: %ld %7s", &v, unit) == 2)
			dst = &total;
		else if (sscanf(line, "drm-resident-memory: %ld %7s", &v, unit) == 2)
			dst = &resident;
		if (dst)
			*dst = !strcmp(unit, "MiB") ? v << 10 :
			       !strcmp(unit, "GiB") ? v << 20 :
			       !strcmp(unit, "KiB") ? v : v >> 10;
	}
	fclose(f);
	EXPECT_EQ(1024, total);		/* KiB */
	EXPECT_EQ(512, resident);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* One drm-*-memory figure of a file's fdinfo, in KiB; -1 if missing. */
static long fdinfo_kib(int fd, const char *key)
{
	char path[64], line[256], unit[8], fmt[96];
	long v, kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(fmt, sizeof(fmt), "%s: %%ld %%7s", key);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v, unit) == 2)
			kib = !strcmp(unit, "MiB") ? v << 10 : !strcmp(unit, "GiB") ? v << 20 :
			      !strcmp(unit, "KiB") ? v : v >> 10;
	fclose(f);
	return kib;
}

/*
 * A pinned DONTNEED BO is not purgeable: fdinfo does not count it as
 * such, and neither the scan nor debugfs purge takes it; once unpinned
 * it is both.
 */
TEST_F(bo, pinned_dontneed_bo_is_not_purgeable)
{
	uint64_t n = 256;
	struct drm_bosh_bo_info info;
	uint32_t h, key = next_serial(), retained;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 1));
	ASSERT_EQ(0, bosh_pin(self->fd, h, BOSH_PIN));
	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, &retained));
	EXPECT_EQ(1, retained);
	/* DRM prints drm-purgeable only while some object is purgeable. */
	EXPECT_GE(0, fdinfo_kib(self->fd, "drm-purgeable-memory"));
	EXPECT_EQ(0, bosh_stat(0, "pages_purgeable"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PURGED);
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 1))
		TH_LOG("seed %llu", (unsigned long long)self->seed);

	ASSERT_EQ(0, bosh_pin(self->fd, h, BOSH_UNPIN));
	EXPECT_EQ((long)n * 4, fdinfo_kib(self->fd, "drm-purgeable-memory"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PURGED);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * swap_reserve_mb is in MiB: with the reserve just above the free swap
 * in MiB (a number of pages far below the free swap), the scan backs
 * nothing up; just below it, it does.
 */
TEST_F(bo, swap_reserve_is_in_mib)
{
	long reserve = bosh_sysfs_read(0, "swap_reserve_mb");
	long free_mb = bosh_meminfo_kib("SwapFree") >> 10;
	uint64_t n = 512;
	struct drm_bosh_bo_info info;
	char old[32], val[32];
	uint32_t h, key = next_serial();

	if (free_mb < 256)
		SKIP(return, "needs 256 MiB of free swap (have %ld)", free_mb);
	ASSERT_LE(0, reserve);
	snprintf(old, sizeof(old), "%ld", reserve);
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 1));

	snprintf(val, sizeof(val), "%ld", free_mb + 16);
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", val));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "512"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(0, info.backed_up) TH_LOG("backed up with %s MiB reserved of %ld MiB free",
					      val, free_mb);

	snprintf(val, sizeof(val), "%ld", free_mb - 64);
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", val));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "512"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up);

	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", old));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 1))
		TH_LOG("seed %llu", (unsigned long long)self->seed);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * A fatal signal stops a restore at once: the task is dying, and its
 * allocations must not dig further into memory. A child
 * restores a large BO from the store (RAM, writeback off) and is
 * SIGKILLed once the restore has begun: it must die with the BO mostly
 * still in the store. The debug guest only (test hooks present), where a
 * restore of this size takes seconds; on a fast kernel the kill could
 * land after the end.
 */
TEST_F_TIMEOUT(bo, fatal_signal_stops_a_restore, 600)
{
	uint64_t n = 64 * 1024;	/* 256 MiB */
	long before, restored;
	int pfd[2], st, i;
	char c;
	pid_t pid;

	if (access("/sys/kernel/debug/dri/bosh.0/test_hold_lock", W_OK))
		SKIP(return, "restores too fast to interrupt on this kernel (no test hooks)");
	ASSERT_EQ(0, pipe(pfd));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint32_t h;
		int fd = bosh_open(0);

		if (fd < 0 || bosh_create(fd, n * BOSH_PAGE, &h) || bosh_validate(fd, h) ||
		    bosh_debugfs_write(0, "evict", "1") || write(pfd[1], "r", 1) != 1)
			_exit(2);
		bosh_validate(fd, h);
		_exit(3);
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	before = bosh_stat(0, "restored_total");
	for (i = 0; i < 10000 && bosh_stat(0, "restored_total") == before; i++)
		usleep(1000);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(pfd[0]);
	restored = bosh_stat(0, "restored_total") - before;
	TH_LOG("%ld of %llu pages restored before the kill took", restored,
	       (unsigned long long)n);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("status %#x", st);
	EXPECT_LT(0, restored);
	EXPECT_GT((long)n / 2, restored);
	for (i = 0; i < 100 && bosh_stat(0, "bos") > 0; i++)
		usleep(100000);
	EXPECT_EQ(0, bosh_stat(0, "bos"));
}

/*
 * Population stops for a fatal signal too: only restores stop for any
 * signal (populating a zeroed page is cheap), so the fatal check is all
 * that keeps a dying task from taking a whole large BO's pages first.
 * A child validates a never-populated BO of its parent's file (the BO
 * outlives it) and is SIGKILLed once population has begun; the BO must
 * be left mostly unpopulated. The debug guest only, as above.
 */
TEST_F_TIMEOUT(bo, fatal_signal_stops_a_population, 600)
{
	uint64_t n = 64 * 1024;	/* 256 MiB */
	struct drm_bosh_bo_info info;
	long before;
	int st, i;
	uint32_t h;
	pid_t pid;

	if (access("/sys/kernel/debug/dri/bosh.0/test_hold_lock", W_OK))
		SKIP(return, "populates too fast to interrupt on this kernel (no test hooks)");
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	before = bosh_stat(0, "pages_resident");
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		bosh_validate(self->fd, h);
		_exit(3);
	}
	for (i = 0; i < 100000 && bosh_stat(0, "pages_resident") == before; i++)
		usleep(100);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	TH_LOG("%llu of %llu pages populated before the kill took",
	       (unsigned long long)info.resident, (unsigned long long)n);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("status %#x", st);
	EXPECT_LT(0, info.resident);
	EXPECT_GT(n / 2, info.resident);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, counters_zero_after_close)
{
	uint32_t h[8];
	int i;

	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, bosh_create(self->fd, (i + 1) * 16 * BOSH_PAGE, &h[i]));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h[i], (i + 1) * 16, self->seed, KEY(h[i]), 0));
	}
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "200"));
	ASSERT_EQ(0, bosh_madvise(self->fd, h[0], BOSH_MADV_DONTNEED, NULL));
	ASSERT_EQ(0, bosh_pin(self->fd, h[1], BOSH_PIN));
	close(self->fd);
	self->fd = bosh_open(0);
	EXPECT_EQ(0, bosh_stat(0, "bos"));
	EXPECT_EQ(0, bosh_stat(0, "pages_total"));
	EXPECT_EQ(0, bosh_stat(0, "pages_resident"));
	EXPECT_EQ(0, bosh_stat(0, "pages_backed_up"));
	EXPECT_EQ(0, bosh_stat(0, "pages_purgeable"));
	EXPECT_EQ(0, bosh_stat(0, "pages_pinned"));
	EXPECT_EQ(0, bosh_stat(0, "pages_shrinkable"));
	EXPECT_EQ(0, bosh_stat(0, "store_pages"));
}

/*
 * BOSH_LARGE_BO_MB (default 256) through backup and restore, without and
 * with writeback. make check uses the default on the stock kernel and a
 * smaller BO in the KASAN guest, which reads swap back at about 1 MiB/s.
 */
static uint64_t large_bo_pages(void)
{
	const char *s = getenv("BOSH_LARGE_BO_MB");
	uint64_t mb = s ? strtoull(s, NULL, 0) : 256;

	return (mb ? mb : 256) << (20 - 12);
}

static void large_bo_round_trip(struct __test_metadata *_metadata, int fd,
				uint64_t seed, int writeback)
{
	const uint64_t n = large_bo_pages(), chunk = 4096;
	long written = bosh_stat(0, "written_back_total");
	struct drm_bosh_bo_info info;
	char *buf = malloc(chunk * BOSH_PAGE);
	uint64_t off, bad = 0;
	uint32_t h;

	ASSERT_NE(NULL, buf);
	TH_LOG("%lu MiB BO, writeback %d", (unsigned long)(n >> 8), writeback);
	ASSERT_EQ(0, n % chunk);
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", writeback ? "1" : "0"));
	ASSERT_EQ(0, bosh_create(fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_validate(fd, h));
	for (off = 0; off < n; off += chunk) {
		uint64_t i;

		for (i = 0; i < chunk; i++)
			bosh_pattern_page(buf + i * BOSH_PAGE, seed, KEY(h), off + i, writeback);
		ASSERT_EQ(0, bosh_rw(fd, h, BOSH_RW_WRITE, off * BOSH_PAGE,
				     chunk * BOSH_PAGE, buf));
	}
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(fd, h, &info));
	EXPECT_EQ(n, info.backed_up);
	if (writeback)
		EXPECT_LT(written, bosh_stat(0, "written_back_total"));
	ASSERT_EQ(0, bosh_validate(fd, h));
	for (off = 0; off < n; off += chunk) {
		ASSERT_EQ(0, bosh_rw(fd, h, BOSH_RW_READ, off * BOSH_PAGE,
				     chunk * BOSH_PAGE, buf));
		bad += bosh_pattern_check_at(buf, off, chunk, seed, KEY(h), writeback);
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, bosh_close_bo(fd, h));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	free(buf);
}

TEST_F_TIMEOUT(bo, large_bo_backup_restore, 900)
{
	large_bo_round_trip(_metadata, self->fd, self->seed, 0);
}

TEST_F_TIMEOUT(bo, large_bo_writeback_restore, 900)
{
	large_bo_round_trip(_metadata, self->fd, self->seed, 1);
}

TEST_F(bo, prime_export_import)
{
	uint64_t n = 16, seed = self->seed;
	struct drm_prime_handle exp = { 0 }, imp = { 0 };
	struct drm_bosh_bo_info info;
	int fd2 = bosh_open(0);
	uint32_t h;
	void *map;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	exp.handle = h;
	exp.flags = DRM_CLOEXEC | DRM_RDWR;
	ASSERT_EQ(0, bosh_ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp));
	/* No CPU mapping through the dma-buf: it would escape the zap. */
	map = mmap(NULL, n * BOSH_PAGE, PROT_READ, MAP_SHARED, exp.fd, 0);
	EXPECT_EQ(MAP_FAILED, map);
	/* Another client of the same device gets the same BO. */
	imp.fd = exp.fd;
	ASSERT_EQ(0, bosh_ioctl(fd2, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	EXPECT_EQ(0, bosh_check_bo(fd2, imp.handle, n, seed, KEY(h), 0));
	/* A self-import is the same BO: it takes no pin. */
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PINNED);
	close(exp.fd);
	close(fd2);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * bosh.1 imports a BO of bosh.0: the attachment restores and pins it, the
 * importer reads and writes the exporter's pages, and closing the import
 * unpins it. Needs two devices (make check loads devices=2).
 */
TEST_F(bo, prime_foreign_import_pins_while_attached)
{
	uint64_t n = 64, seed = self->seed;
	long pinned = bosh_stat(0, "pages_pinned");
	struct drm_bosh_bo_madvise madv = { 0 };
	struct drm_bosh_bo_mmap_offset off = { 0 };
	struct drm_bosh_bo_pin pin = { 0 };
	struct drm_bosh_bo_info info;
	int other = bosh_open(1), dmabuf;
	uint32_t h, hi;

	if (other < 0)
		SKIP(return, "needs a second device (modprobe bosh devices=2)");
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	ASSERT_EQ(n, info.backed_up);

	dmabuf = bosh_export(self->fd, h);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, bosh_import(other, dmabuf, &hi));
	/* Attaching restored every page and pinned the BO. */
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PINNED);
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, info.backed_up);
	EXPECT_EQ(pinned + (long)n, bosh_stat(0, "pages_pinned"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.resident);
	/* The attachment's pin is not the exporter client's to drop. */
	EXPECT_EQ(-EINVAL, bosh_pin(self->fd, h, BOSH_UNPIN));

	ASSERT_EQ(0, bosh_info(other, hi, &info));
	EXPECT_EQ(BOSH_BO_IMPORTED, info.flags);
	EXPECT_EQ(n * BOSH_PAGE, info.size);
	EXPECT_EQ(0, bosh_check_bo(other, hi, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_fill_bo(other, hi, n, seed, KEY(h), 1));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 1));
	EXPECT_EQ(0, bosh_validate(other, hi));
	/* State belongs to the exporter: the import refuses to change it. */
	off.handle = hi;
	EXPECT_EQ(-EOPNOTSUPP, bosh_ioctl(other, DRM_IOCTL_BOSH_BO_MMAP_OFFSET, &off));
	madv.handle = hi;
	madv.madv = BOSH_MADV_DONTNEED;
	EXPECT_EQ(-EOPNOTSUPP, bosh_ioctl(other, DRM_IOCTL_BOSH_BO_MADVISE, &madv));
	pin.handle = hi;
	EXPECT_EQ(-EOPNOTSUPP, bosh_ioctl(other, DRM_IOCTL_BOSH_BO_PIN, &pin));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_DONTNEED);

	/* The last reference to the import detaches: unpinned, shrinkable. */
	EXPECT_EQ(0, bosh_close_bo(other, hi));
	close(dmabuf);
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PINNED);
	EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 1));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	close(other);
}

/*
 * BO_BUSY on an import puts the importer's fence on the exporter's resv:
 * once the import is closed (unpinned), the exporter's BO stays busy,
 * the shrinker skips it, and evict waits for the fence, then backs it up.
 */
TEST_F(bo, prime_foreign_import_busy_fence_on_shared_resv)
{
	uint64_t n = 16, seed = self->seed;
	struct drm_bosh_bo_info info;
	int other = bosh_open(1), dmabuf;
	uint32_t h, hi;

	if (other < 0)
		SKIP(return, "needs a second device (modprobe bosh devices=2)");
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	dmabuf = bosh_export(self->fd, h);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, bosh_import(other, dmabuf, &hi));
	ASSERT_EQ(0, bosh_busy(other, hi, 5000000));
	ASSERT_EQ(0, bosh_info(other, hi, &info));
	EXPECT_EQ(BOSH_BO_IMPORTED | BOSH_BO_BUSY, info.flags);
	EXPECT_EQ(0, bosh_close_bo(other, hi));
	close(dmabuf);

	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PINNED);
	EXPECT_TRUE(info.flags & BOSH_BO_BUSY);
	shrink_skips_busy(_metadata);
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.resident);

	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_BUSY);
	EXPECT_EQ(n, info.backed_up);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	close(other);
}

/* An import that cannot pin fails as BO_PIN would and changes nothing. */
TEST_F(bo, prime_foreign_import_errors)
{
	uint64_t n = 512, seed = self->seed;
	long cap = bosh_sysfs_read(0, "max_pinned_mb");
	struct drm_bosh_bo_info info;
	int other = bosh_open(1), dmabuf;
	uint32_t h, hi, retained;
	char old[32];

	if (other < 0)
		SKIP(return, "needs a second device (modprobe bosh devices=2)");
	/* Over the exporter's pin cap: ENOSPC, the BO stays backed up. */
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	dmabuf = bosh_export(self->fd, h);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_pinned_mb", "1"));
	EXPECT_EQ(-ENOSPC, bosh_import(other, dmabuf, &hi));
	snprintf(old, sizeof(old), "%ld", cap);
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_pinned_mb", old));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PINNED);
	EXPECT_EQ(n, info.backed_up);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 0));

	/* A purged BO cannot be attached: ENODATA. */
	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, &retained));
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	EXPECT_EQ(-ENODATA, bosh_import(other, dmabuf, &hi));
	close(dmabuf);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	close(other);
}

/* The SHRINKER_DEBUG file @file of bosh.0's shrinker; -ENOENT without one. */
static int shrinker_debug_path(const char *file, char *path, size_t len)
{
	DIR *d = opendir("/sys/kernel/debug/shrinker");
	struct dirent *de;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d)) && strncmp(de->d_name, "bosh.0-", 7))
		;
	if (de)
		snprintf(path, len, "/sys/kernel/debug/shrinker/%s/%s", de->d_name, file);
	closedir(d);
	return de ? 0 : -ENOENT;
}

/* One scan of @nr pages of bosh.0: debugfs shrink, or SHRINKER_DEBUG's scan. */
static int scan_by(int how, uint64_t nr)
{
	char path[PATH_MAX], val[48];

	if (!how) {
		snprintf(val, sizeof(val), "%lu", (unsigned long)nr);
		return bosh_debugfs_write(0, "shrink", val);
	}
	if (shrinker_debug_path("scan", path, sizeof(path)))
		return -ENOENT;
	/*
	 * "<memcg inode> <node> <nr_to_scan>": bosh's shrinker is memcg-aware,
	 * and our BOs belong to our own cgroup.
	 */
	snprintf(val, sizeof(val), "%lu 0 %lu", bosh_cgroup_ino(), (unsigned long)nr);
	return bosh_write_file(path, val);
}

TEST_F(bo, shrinker_debugfs_count_and_scan)
{
	uint64_t n = 256, seed = self->seed;
	char path[PATH_MAX], line[128];
	long count = 0, freed_before, backed, sd_scans, dbg_scans;
	uint32_t h;
	FILE *f;

	if (shrinker_debug_path("count", path, sizeof(path)))
		SKIP(return, "no CONFIG_SHRINKER_DEBUG");
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	f = fopen(path, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		long a, b;

		if (sscanf(line, "%ld %ld", &a, &b) == 2)
			count += b;
	}
	fclose(f);
	EXPECT_EQ(bosh_stat(0, "pages_shrinkable"), count);
	EXPECT_EQ((long)n, count);
	/* The scan file runs the scan with plain GFP_KERNEL. */
	freed_before = bosh_stat(0, "freed_total");
	backed = bosh_stat(0, "backed_up_total");
	sd_scans = bosh_stat(0, "scans_shrinker_debug_total");
	dbg_scans = bosh_stat(0, "scans_debugfs_total");
	ASSERT_EQ(0, scan_by(1, 64));
	backed = bosh_stat(0, "backed_up_total") - backed;
	EXPECT_LT(0, backed);
	EXPECT_EQ(freed_before + bosh_backup_frees(backed), bosh_stat(0, "freed_total"));
	/* Each caller is counted apart: this one has no reclaim context. */
	EXPECT_EQ(sd_scans + 1, bosh_stat(0, "scans_shrinker_debug_total"));
	EXPECT_EQ(dbg_scans, bosh_stat(0, "scans_debugfs_total"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "1"));
	EXPECT_EQ(sd_scans + 1, bosh_stat(0, "scans_shrinker_debug_total"));
	EXPECT_EQ(dbg_scans + 1, bosh_stat(0, "scans_debugfs_total"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, KEY(h), 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(bo, tracepoints_fire)
{
	const char *tr = "/sys/kernel/tracing";
	uint64_t n = 32, seed = self->seed;
	char path[PATH_MAX], line[512];
	int seen[4] = { 0 };
	uint32_t h;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/bosh/enable", tr);
	if (access(path, F_OK))
		SKIP(return, "no tracefs or no bosh events");
	snprintf(path, sizeof(path), "%s/trace", tr);
	bosh_write_file(path, "");
	f = fopen(path, "w");
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/events/bosh/enable", tr);
	ASSERT_EQ(0, bosh_write_file(path, "1"));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "8"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_validate(self->fd, h));
	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, NULL));
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	ASSERT_EQ(0, bosh_write_file(path, "0"));
	snprintf(path, sizeof(path), "%s/trace", tr);
	f = fopen(path, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		seen[0] |= !!strstr(line, "bosh_shrink: dev=0");
		seen[1] |= !!strstr(line, "bosh_backup: dev=0");
		seen[2] |= !!strstr(line, "bosh_restore: dev=0");
		seen[3] |= !!strstr(line, "bosh_purge: dev=0");
	}
	fclose(f);
	EXPECT_TRUE(seen[0]);
	EXPECT_TRUE(seen[1]);
	EXPECT_TRUE(seen[2]);
	EXPECT_TRUE(seen[3]);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* Negative control: a corrupted restored byte must be caught. */
TEST_F(bo, verifier_catches_corrupted_restore)
{
	uint64_t n = 64, seed = self->seed;
	char path[PATH_MAX];
	uint32_t h;

	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.0/test_corrupt_restore");
	if (access(path, F_OK))
		SKIP(return, "module built without BOSH_TEST_HOOKS");
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_write_file(path, "1"));
	EXPECT_EQ(1, bosh_check_bo(self->fd, h, n, seed, KEY(h), 0));
	ASSERT_EQ(0, bosh_write_file(path, "0"));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

static void wait_idle(struct __test_metadata *_metadata, int fd, uint32_t h)
{
	struct drm_bosh_bo_info info;
	int i;

	for (i = 0; i < 600; i++) {
		ASSERT_EQ(0, bosh_info(fd, h, &info));
		if (!(info.flags & BOSH_BO_BUSY))
			return;
		usleep(50000);
	}
	ASSERT_TRUE(0) TH_LOG("BO %u still busy after 30 s", h);
}

/*
 * Pins nest up to BOSH_PIN_MAX, user pins and foreign attachments
 * together: the count can never wrap to 0 and hand the shrinker a BO
 * an importer still uses.
 */
TEST_F_TIMEOUT(bo, pin_count_bounded, 900)
{
	uint32_t h, ih, key = next_serial();
	struct drm_bosh_bo_info info;
	int fd1, dmabuf = -1;
	unsigned int i;

	ASSERT_EQ(0, bosh_create(self->fd, BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, 1, self->seed, key, 0));
	for (i = 0; i < BOSH_PIN_MAX; i++)
		ASSERT_EQ(0, bosh_pin(self->fd, h, BOSH_PIN)) TH_LOG("pin %u", i);
	EXPECT_EQ(-EOVERFLOW, bosh_pin(self->fd, h, BOSH_PIN));

	fd1 = bosh_open(1);
	if (fd1 >= 0) {
		/* An attachment pins too: refused at the limit, then it takes a slot. */
		dmabuf = bosh_export(self->fd, h);
		ASSERT_LE(0, dmabuf);
		EXPECT_EQ(-EOVERFLOW, bosh_import(fd1, dmabuf, &ih));
		ASSERT_EQ(0, bosh_pin(self->fd, h, BOSH_UNPIN));
		ASSERT_EQ(0, bosh_import(fd1, dmabuf, &ih));
		EXPECT_EQ(-EOVERFLOW, bosh_pin(self->fd, h, BOSH_PIN));
		EXPECT_EQ(0, bosh_close_bo(fd1, ih));
		close(dmabuf);
		ASSERT_EQ(0, bosh_pin(self->fd, h, BOSH_PIN));
		close(fd1);
	}

	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PINNED);
	EXPECT_EQ(1, info.resident);
	for (i = 0; i < BOSH_PIN_MAX; i++)
		ASSERT_EQ(0, bosh_pin(self->fd, h, BOSH_UNPIN)) TH_LOG("unpin %u", i);
	EXPECT_EQ(-EINVAL, bosh_pin(self->fd, h, BOSH_UNPIN));
	EXPECT_EQ(0, bosh_stat(0, "pages_pinned"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, 1, self->seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * BO_BUSY fences signal in timer order: a short job after a long one
 * must not make the BO look idle while the long one still runs, and the
 * scan skips the BO. The long fence starts at 1 s; an attempt counts
 * only if the BO is still busy after the scan, so the fence outlived
 * every check, and a guest that stalled past it tries again with a
 * fence twice as long, up to BOSH_BUSY_MAX_US. A shorter fence that
 * replaced the long one fails every attempt.
 */
TEST_F(bo, busy_fences_overlap_long_one_keeps_bo_busy)
{
	uint64_t n = 16, usecs = 1000000;
	uint32_t h, key = next_serial();
	struct drm_bosh_bo_info info;
	bool busy_before, busy_after;
	long skips;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 0));
	for (;;) {
		skips = bosh_stat(0, "skipped_busy_total");
		ASSERT_EQ(0, bosh_busy(self->fd, h, usecs));
		ASSERT_EQ(0, bosh_busy(self->fd, h, 1));
		/* Long enough for the 1 us fence, however slow the guest. */
		usleep(100000);
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		busy_before = info.flags & BOSH_BO_BUSY;
		ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
		ASSERT_EQ(0, bosh_info(self->fd, h, &info));
		busy_after = info.flags & BOSH_BO_BUSY;
		if (busy_after || usecs == BOSH_BUSY_MAX_US)
			break;
		TH_LOG("the BO was idle after the scan under a %llu us fence: again, longer",
		       (unsigned long long)usecs);
		/* A scan that took the BO took it whole: in again, checked. */
		ASSERT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 0));
		usecs = usecs * 2 < BOSH_BUSY_MAX_US ? usecs * 2 : BOSH_BUSY_MAX_US;
	}
	TH_LOG("long fence of %llu us", (unsigned long long)usecs);
	EXPECT_TRUE(busy_before);
	EXPECT_TRUE(busy_after);
	EXPECT_EQ(0, info.backed_up);
	EXPECT_EQ(n, info.resident);
	EXPECT_LT(skips, bosh_stat(0, "skipped_busy_total"));

	wait_idle(_metadata, self->fd, h);
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* Nothing replaces an unsignalled fence: their number is bounded. */
TEST_F(bo, busy_fences_bounded)
{
	uint32_t h;
	int i;

	ASSERT_EQ(0, bosh_create(self->fd, BOSH_PAGE, &h));
	for (i = 0; i < BOSH_BUSY_MAX_FENCES; i++)
		ASSERT_EQ(0, bosh_busy(self->fd, h, 2000000)) TH_LOG("fence %d", i);
	EXPECT_EQ(-EBUSY, bosh_busy(self->fd, h, 2000000));
	wait_idle(_metadata, self->fd, h);
	EXPECT_EQ(0, bosh_busy(self->fd, h, 1));
	wait_idle(_metadata, self->fd, h);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * Every use moves a BO to the LRU's tail: a one-page scan right after a
 * validate (or a pin) takes from the BO idle for longer.
 */
TEST_F(bo, validate_and_pin_count_as_use)
{
	uint64_t n = 8;
	uint32_t a, b, ka = next_serial(), kb = next_serial();
	struct drm_bosh_bo_info ia, ib;
	int round;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &a));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &b));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, a, n, self->seed, ka, 0));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, b, n, self->seed, kb, 0));
	for (round = 0; round < 2; round++) {
		/* a is the older BO; then it is used, by validate or by pin. */
		ASSERT_EQ(0, bosh_validate(self->fd, b));
		if (!round) {
			ASSERT_EQ(0, bosh_validate(self->fd, a));
		} else {
			ASSERT_EQ(0, bosh_pin(self->fd, a, BOSH_PIN));
			ASSERT_EQ(0, bosh_pin(self->fd, a, BOSH_UNPIN));
		}
		ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "1"));
		ASSERT_EQ(0, bosh_info(self->fd, a, &ia));
		ASSERT_EQ(0, bosh_info(self->fd, b, &ib));
		EXPECT_EQ(0, ia.backed_up) TH_LOG("round %d: the BO just used was taken", round);
		EXPECT_LT(0, ib.backed_up) TH_LOG("round %d: the idle BO was not taken", round);
	}
	EXPECT_EQ(0, bosh_check_bo(self->fd, a, n, self->seed, ka, 0));
	EXPECT_EQ(0, bosh_check_bo(self->fd, b, n, self->seed, kb, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, a));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
}

/*
 * A DONTNEED BO whose pages all sit in the store still holds store
 * memory or swap: the scan purges it, and the count shows it.
 */
TEST_F(bo, scan_purges_dontneed_bo_backed_up_whole)
{
	uint64_t n = 64;
	long backed = bosh_stat(0, "pages_backed_up");
	long purged = bosh_stat(0, "purged_total");
	struct drm_bosh_bo_info info;
	uint32_t h, retained;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, next_serial(), 0));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, &retained));
	ASSERT_EQ(1, retained);
	EXPECT_EQ((long)n, bosh_stat(0, "pages_purgeable_backed_up"));
	EXPECT_LE((long)n, bosh_stat(0, "pages_shrinkable"));
	EXPECT_EQ(backed + (long)n, bosh_stat(0, "pages_backed_up"));

	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PURGED);
	EXPECT_EQ(0, info.backed_up);
	EXPECT_EQ(backed, bosh_stat(0, "pages_backed_up"));
	EXPECT_EQ(0, bosh_stat(0, "pages_purgeable_backed_up"));
	EXPECT_EQ(purged + (long)n, bosh_stat(0, "purged_total"));
	EXPECT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_WILLNEED, &retained));
	EXPECT_EQ(0, retained);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * Direct reclaim calls the scan and is counted as such: memory.reclaim of
 * the root cgroup reclaims in the writer's own context (PF_MEMALLOC, not
 * kswapd). Asking for more than the guest can give takes reclaim down to
 * the priority that asks bosh for all of its pages, so the DONTNEED BO is
 * purged.
 */
TEST_F(bo, direct_reclaim_calls_the_scan)
{
	uint64_t n = 256;
	long direct = bosh_stat(0, "scans_direct_total");
	struct drm_bosh_bo_info info;
	uint32_t h, retained;
	int cg = open("/sys/fs/cgroup/memory.reclaim", O_WRONLY | O_CLOEXEC);

	if (cg < 0)
		SKIP(return, "no cgroup2 memory.reclaim: %s", strerror(errno));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, next_serial(), 0));
	ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, &retained));
	/* EAGAIN when less than asked could be had: expected here. */
	if (write(cg, "1G", 2) < 0)
		EXPECT_EQ(EAGAIN, errno);
	close(cg);
	EXPECT_LT(direct, bosh_stat(0, "scans_direct_total"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_TRUE(info.flags & BOSH_BO_PURGED);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

static volatile sig_atomic_t held_signals;

static void held_on_signal(int sig)
{
	held_signals++;
}

struct held_fault {
	const char *map;
	uint64_t seed;
	uint32_t key;
	uint64_t bad;
};

static void *held_fault_thread(void *arg)
{
	struct held_fault *f = arg;

	f->bad = bosh_pattern_check(f->map, 1, f->seed, f->key, 1);
	return NULL;
}

/*
 * A signal that meets a call waiting for a BO's lock ends the wait: each
 * ioctl that takes the lock fails with EINTR (no SA_RESTART) and changes
 * nothing, and a CPU fault is retried until the lock is free, then reads
 * the content. The test hooks' test_hold_lock holds the lock from a
 * kernel worker for as long as the test needs.
 */
TEST_F(bo, signal_while_waiting_for_the_lock)
{
	const uint64_t n = 13;	/* a size no other BO here has */
	struct sigaction sa = { .sa_handler = held_on_signal };
	struct itimerval it = { .it_value = { .tv_usec = 50000 } };
	struct drm_bosh_bo_info info, after;
	char id[32], page[BOSH_PAGE];
	struct held_fault hf;
	uint32_t h, key = next_serial();
	unsigned int i, eintr = 0, calls;
	pthread_t t;
	long bo_id;

	if (access("/sys/kernel/debug/dri/bosh.0/test_hold_lock", W_OK))
		SKIP(return, "no test hooks in this module");
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 1));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	bo_id = bosh_object_id(0, n * BOSH_PAGE);
	ASSERT_LT(0, bo_id);
	snprintf(id, sizeof(id), "%ld", bo_id);
	hf.map = bosh_mmap(self->fd, h, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, hf.map);
	hf.seed = self->seed;
	hf.key = key;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	/* The hook's own bad input: not a number, no such BO, a second hold. */
	EXPECT_EQ(-EINVAL, bosh_debugfs_write(0, "test_hold_lock", "x"));
	EXPECT_EQ(-ENOENT, bosh_debugfs_write(0, "test_hold_lock", "4000000000"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "test_hold_lock", id));
	EXPECT_EQ(-EBUSY, bosh_debugfs_write(0, "test_hold_lock", id));
	calls = 0;
	{
		struct drm_bosh_bo_info in = { .handle = h };
		struct drm_bosh_bo_validate va = { .handle = h };
		struct drm_bosh_bo_rw rw = { .handle = h, .op = BOSH_RW_READ,
					     .size = BOSH_PAGE, .data = (uintptr_t)page };
		struct drm_bosh_bo_madvise ma = { .handle = h, .madv = BOSH_MADV_DONTNEED };
		struct drm_bosh_bo_pin pi = { .handle = h, .op = BOSH_PIN };
		struct drm_bosh_bo_busy bu = { .handle = h, .usecs = 1000 };
		struct { unsigned long req; void *arg; const char *name; } c[] = {
			{ DRM_IOCTL_BOSH_BO_INFO, &in, "BO_INFO" },
			{ DRM_IOCTL_BOSH_BO_VALIDATE, &va, "BO_VALIDATE" },
			{ DRM_IOCTL_BOSH_BO_RW, &rw, "BO_RW" },
			{ DRM_IOCTL_BOSH_BO_MADVISE, &ma, "BO_MADVISE" },
			{ DRM_IOCTL_BOSH_BO_PIN, &pi, "BO_PIN" },
			{ DRM_IOCTL_BOSH_BO_BUSY, &bu, "BO_BUSY" },
		};

		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++, calls++) {
			ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
			if (bosh_ioctl_once(self->fd, c[i].req, c[i].arg) == -EINTR)
				eintr++;
			else
				TH_LOG("%s did not fail with EINTR", c[i].name);
		}
	}
	/* The fault waits until the lock is let go, through signals. */
	held_signals = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, held_fault_thread, &hf));
	for (i = 0; i < 10; i++) {
		usleep(20000);
		pthread_kill(t, SIGUSR1);
	}
	ASSERT_EQ(0, bosh_debugfs_write(0, "test_hold_lock", "0"));
	ASSERT_EQ(0, pthread_join(t, NULL));

	EXPECT_EQ(calls, eintr);
	EXPECT_LE(10, held_signals);
	EXPECT_EQ(0, hf.bad) TH_LOG("seed %llu", (unsigned long long)self->seed);
	/* Nothing changed: not pinned, not DONTNEED, not busy, same content. */
	ASSERT_EQ(0, bosh_info(self->fd, h, &after));
	EXPECT_EQ(info.flags, after.flags);
	EXPECT_EQ(-EINVAL, bosh_pin(self->fd, h, BOSH_UNPIN));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 1))
		TH_LOG("seed %llu", (unsigned long long)self->seed);
	munmap((void *)hf.map, n * BOSH_PAGE);
	signal(SIGALRM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* The scan reports the pages it looked at, not the pages it was asked for. */
TEST_F(bo, scan_reports_pages_examined)
{
	uint64_t n = 64;
	long scanned = bosh_stat(0, "scanned_total");
	long freed = bosh_stat(0, "freed_total");
	uint32_t h, p, key = next_serial();

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &p));
	ASSERT_EQ(0, bosh_validate(self->fd, p));
	ASSERT_EQ(0, bosh_pin(self->fd, p, BOSH_PIN));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 0));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	/* The pinned BO is not a candidate; the other one gives all it has. */
	EXPECT_EQ(freed + bosh_backup_frees(n), bosh_stat(0, "freed_total"));
	EXPECT_EQ(scanned + (long)n, bosh_stat(0, "scanned_total"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	EXPECT_EQ(0, bosh_close_bo(self->fd, p));
}

/*
 * Past BOSH_BO_MAX_SIZE the slot array would pass INT_MAX bytes: refused
 * with EINVAL even when max_bo_mb allows it, before any allocation.
 */
TEST_F(bo, create_beyond_max_size_refused)
{
	long cap = bosh_sysfs_read(0, "max_bo_mb"), bos = bosh_stat(0, "bos");
	char old[32];
	uint32_t h;

	ASSERT_LT(0, cap);
	snprintf(old, sizeof(old), "%ld", cap);
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_bo_mb", "1048576"));
	EXPECT_EQ(-EINVAL, bosh_create(self->fd, 1ULL << 40, &h));
	EXPECT_EQ(-EINVAL, bosh_create(self->fd, BOSH_BO_MAX_SIZE + BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_bo_mb", old));
	EXPECT_EQ(-ENOSPC, bosh_create(self->fd, BOSH_BO_MAX_SIZE + BOSH_PAGE, &h));
	EXPECT_EQ(bos, bosh_stat(0, "bos"));
}

/* The default cap is a share of RAM (half, per device), not a constant. */
TEST_F(bo, default_cap_is_half_of_ram)
{
	long kib = bosh_meminfo_kib("MemTotal");
	long cap = bosh_sysfs_read(0, "max_bo_mb");

	ASSERT_LT(0, kib);
	/* Every test that changes the cap puts the old value back. */
	EXPECT_EQ((long)(kib / 2 / 1024), cap);
}

static long oom_reports(void)
{
	FILE *p = popen("dmesg | grep -c 'invoked oom-killer'", "r");
	long n = -1;

	if (p) {
		if (fscanf(p, "%ld", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

/*
 * An unprivileged client that populates BOs past the RAM, in a guest
 * without swap, gets ENOMEM from its own calls: BO pages are allocated
 * with __GFP_RETRY_MAYFAIL, so the OOM killer is never sent after an
 * innocent process on its behalf.
 */
TEST_F_TIMEOUT(bo, unprivileged_overcommit_gets_enomem_not_oom, 900)
{
	long oom = bosh_vmstat("oom_kill"), reports = oom_reports();
	long cap = bosh_sysfs_read(0, "max_bo_mb");
	uint64_t kib = bosh_meminfo_kib("MemTotal");
	char swaps[8][128], mb[32], old[32];
	int nswaps, status, i;
	pid_t pid;

	if (oom < 0)
		SKIP(return, "no oom_kill in /proc/vmstat (CONFIG_VM_EVENT_COUNTERS off)");
	ASSERT_LT(0, (long)kib);
	/* No swap: nothing but ENOMEM or the OOM killer can end this. */
	nswaps = swaps_off(swaps);
	ASSERT_LE(0, nswaps);
	snprintf(old, sizeof(old), "%ld", cap);
	snprintf(mb, sizeof(mb), "%lu", (unsigned long)(2 * kib / 1024));
	ASSERT_EQ(0, bosh_sysfs_write(0, "max_bo_mb", mb));
	ASSERT_EQ(0, system("chmod 0666 /dev/dri/renderD*"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint64_t made = 0;
		uint32_t h;
		int fd, ret = 0;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = bosh_open(0);
		if (fd < 0)
			_exit(11);
		/* 16 MiB at a time, up to twice the RAM: ENOMEM must come first. */
		while (made < 2 * kib * 1024 && !ret) {
			ret = bosh_create(fd, 16 << 20, &h);
			if (!ret)
				ret = bosh_validate(fd, h);
			made += 16 << 20;
		}
		printf("# client: %s after %lu MiB\n", ret ? strerror(-ret) : "no error",
		       (unsigned long)(made >> 20));
		fflush(stdout);
		_exit(ret == -ENOMEM ? 0 : ret ? 12 : 13);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	bosh_sysfs_write(0, "max_bo_mb", old);
	EXPECT_EQ(0, swaps_on(swaps, nswaps));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("client killed by signal %d", WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("10-11 setup, 12 other error, 13 no ENOMEM");
	EXPECT_EQ(oom, bosh_vmstat("oom_kill"));
	EXPECT_EQ(reports, oom_reports());
	for (i = 0; i < 100 && bosh_stat(0, "bos") > 0; i++)
		usleep(100000);
	EXPECT_EQ(0, bosh_stat(0, "bos"));
}

/*
 * swapoff while BO content sits in swap: the mm reads the store's pages
 * back into RAM and every BO still reads its pattern (what a scan does
 * without swap is scan_without_swap_backs_up_nothing's).
 */
TEST_F_TIMEOUT(bo, swapoff_with_bos_in_swap_keeps_content, 600)
{
	enum { NBOS = 4 };
	uint64_t n = 512;
	long written = bosh_stat(0, "written_back_total");
	uint32_t h[NBOS], key[NBOS];
	char swaps[8][128];
	int nswaps, i;

	if (bosh_meminfo_kib("SwapTotal") <= 0)
		SKIP(return, "no swap in this guest");
	for (i = 0; i < NBOS; i++) {
		key[i] = next_serial();
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h[i]));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h[i], n, self->seed, key[i], 1));
	}
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	written = bosh_stat(0, "written_back_total") - written;
	ASSERT_EQ((long)(NBOS * n), written);

	nswaps = swaps_off(swaps);
	ASSERT_LT(0, nswaps);
	/* Everything came back into RAM, into the store or the BOs' files. */
	EXPECT_EQ(bosh_backup_held(0), bosh_backup_unwritten(0));
	EXPECT_EQ((long)(NBOS * n), bosh_backup_held(0));

	/* A restore reads the store's RAM copy back. */
	ASSERT_EQ(0, bosh_validate(self->fd, h[0]));

	EXPECT_EQ(0, swaps_on(swaps, nswaps));
	for (i = 0; i < NBOS; i++) {
		EXPECT_EQ(0, bosh_check_bo(self->fd, h[i], n, self->seed, key[i], 1))
			TH_LOG("BO %d (seed %llu)", i, (unsigned long long)self->seed);
		EXPECT_EQ(0, bosh_close_bo(self->fd, h[i]));
	}
}

/*
 * A full swap device: with writeback on, evict hands the store's copies
 * to swap until it is full; the rest stay in the store's RAM (shmem
 * re-dirties what it cannot place), nothing is lost, and a scan then
 * backs up nothing more since no free swap is left above the reserve.
 * The small swap device is a zram disk of 2 MiB, the guest's own swap
 * off meanwhile.
 */
TEST_F_TIMEOUT(bo, full_swap_device_keeps_content, 600)
{
	enum { NBOS = 4 };
	uint64_t n = 256;
	long reserve = bosh_sysfs_read(0, "swap_reserve_mb");
	long written, backed;
	uint32_t h[NBOS], key[NBOS];
	char swaps[8][128], old[32];
	int nswaps, i;

	if (access("/sys/block/zram0", F_OK) && system("modprobe zram 2>/dev/null"))
		SKIP(return, "no zram in this kernel");
	if (access("/sys/block/zram0/disksize", F_OK))
		SKIP(return, "no zram0");
	ASSERT_LE(0, reserve);
	snprintf(old, sizeof(old), "%ld", reserve);
	nswaps = swaps_off(swaps);
	ASSERT_LE(0, nswaps);
	bosh_write_file("/sys/block/zram0/reset", "1");
	ASSERT_EQ(0, bosh_write_file("/sys/block/zram0/disksize", "2M"));
	ASSERT_EQ(0, system("mkswap /dev/zram0 >/dev/null && swapon /dev/zram0"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", "0"));

	for (i = 0; i < NBOS; i++) {
		key[i] = next_serial();
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h[i]));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h[i], n, self->seed, key[i], 2));
	}
	written = bosh_stat(0, "written_back_total");
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	EXPECT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	written = bosh_stat(0, "written_back_total") - written;
	EXPECT_EQ((long)(NBOS * n), bosh_backup_held(0));
	/* 2 MiB of swap holds at most 511 of the 1024 pages. */
	TH_LOG("%ld of %lu pages went to swap", written, (unsigned long)(NBOS * n));
	EXPECT_LT(0, written);
	EXPECT_GT((long)(NBOS * n / 2), written);

	/* Full: a scan backs nothing up; BO 0, made resident again, stays. */
	ASSERT_EQ(0, bosh_validate(self->fd, h[0]));
	backed = bosh_stat(0, "backed_up_total");
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	EXPECT_EQ(backed, bosh_stat(0, "backed_up_total"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));

	for (i = 0; i < NBOS; i++) {
		EXPECT_EQ(0, bosh_check_bo(self->fd, h[i], n, self->seed, key[i], 2))
			TH_LOG("BO %d (seed %llu)", i, (unsigned long long)self->seed);
		EXPECT_EQ(0, bosh_close_bo(self->fd, h[i]));
	}
	EXPECT_EQ(0, system("swapoff /dev/zram0"));
	bosh_write_file("/sys/block/zram0/reset", "1");
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", old));
	EXPECT_EQ(0, swaps_on(swaps, nswaps));
}

/*
 * A user buffer that turns bad on its second page: EFAULT, and neither
 * the BO (content, residency) nor the user buffer changed.
 */
TEST_F(bo, rw_efault_on_second_page_changes_nothing)
{
	uint64_t n = 4;
	uint32_t h, key = next_serial();
	struct drm_bosh_bo_info info;
	char *buf, *junk;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 0));
	buf = mmap(NULL, 2 * BOSH_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	junk = malloc(BOSH_PAGE);
	ASSERT_NE(NULL, junk);
	memset(buf, 0x5a, BOSH_PAGE);
	memset(junk, 0x5a, BOSH_PAGE);

	/* Write from a buffer whose second page is gone, BO resident, then evicted. */
	ASSERT_EQ(0, munmap(buf + BOSH_PAGE, BOSH_PAGE));
	EXPECT_EQ(-EFAULT, bosh_rw(self->fd, h, BOSH_RW_WRITE, 0, 2 * BOSH_PAGE, buf));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	EXPECT_EQ(-EFAULT, bosh_rw(self->fd, h, BOSH_RW_WRITE, BOSH_PAGE, 2 * BOSH_PAGE, buf));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up) TH_LOG("a failed write restored pages");

	/* Read into a buffer whose second page is read-only. */
	ASSERT_NE(MAP_FAILED, mmap(buf + BOSH_PAGE, BOSH_PAGE, PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	EXPECT_EQ(-EFAULT, bosh_rw(self->fd, h, BOSH_RW_READ, 0, 2 * BOSH_PAGE, buf));
	EXPECT_EQ(0, memcmp(buf, junk, BOSH_PAGE)) TH_LOG("a failed read wrote the buffer");
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up) TH_LOG("a failed read restored pages");

	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, self->seed, key, 0));
	munmap(buf, 2 * BOSH_PAGE);
	free(junk);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * Purge zaps the mappings: a page mapped before the purge faults with
 * SIGBUS after it, by debugfs purge and by the scan alike, never reads
 * the freed page.
 */
TEST_F(bo, purge_zaps_every_mapped_page)
{
	uint64_t n = 8, i;
	int how;

	for (how = 0; how < 2; how++) {
		uint32_t h, key = next_serial(), retained;
		char *map;

		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 0));
		map = bosh_mmap(self->fd, h, n * BOSH_PAGE, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, map);
		for (i = 0; i < n; i++)
			ASSERT_EQ(0, bosh_pattern_check_at(map + i * BOSH_PAGE, i, 1,
							   self->seed, key, 0));
		ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_DONTNEED, &retained));
		ASSERT_EQ(0, bosh_debugfs_write(0, how ? "shrink" : "purge", how ? "100000" : "1"));
		ASSERT_EQ(0, bosh_madvise(self->fd, h, BOSH_MADV_WILLNEED, &retained));
		EXPECT_EQ(0, retained) TH_LOG("%s did not purge", how ? "shrink" : "purge");
		for (i = 0; i < n; i++)
			EXPECT_EQ(1, touch_sigbus(map + i * BOSH_PAGE))
				TH_LOG("%s: page %lu still mapped", how ? "shrink" : "purge",
				       (unsigned long)i);
		munmap(map, n * BOSH_PAGE);
		EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	}
}

/*
 * The scan purges DONTNEED BOs before it backs anything up, least
 * recently used first, then backs up the least recently used WILLNEED
 * BO: through debugfs shrink and through SHRINKER_DEBUG's scan (the
 * mm's own entry point), when the kernel has it.
 */
TEST_F(bo, scan_purges_first_then_backs_up_in_lru_order)
{
	char path[PATH_MAX];
	uint64_t n = 16;
	int how, hows = shrinker_debug_path("scan", path, sizeof(path)) ? 1 : 2;

	for (how = 0; how < hows; how++) {
		uint32_t w1, d1, w2, d2, kw1 = next_serial(), kw2 = next_serial();
		struct drm_bosh_bo_info i1, i2, i3, i4;

		/* Oldest first: w1, d1, w2, d2. */
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &w1));
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &d1));
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &w2));
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &d2));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, w1, n, self->seed, kw1, 0));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, d1, n, self->seed, next_serial(), 0));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, w2, n, self->seed, kw2, 0));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, d2, n, self->seed, next_serial(), 0));
		ASSERT_EQ(0, bosh_madvise(self->fd, d1, BOSH_MADV_DONTNEED, NULL));
		ASSERT_EQ(0, bosh_madvise(self->fd, d2, BOSH_MADV_DONTNEED, NULL));

		/* One BO's worth: the older DONTNEED BO, nothing backed up. */
		ASSERT_EQ(0, scan_by(how, n));
		ASSERT_EQ(0, bosh_info(self->fd, w1, &i1));
		ASSERT_EQ(0, bosh_info(self->fd, d1, &i2));
		ASSERT_EQ(0, bosh_info(self->fd, w2, &i3));
		ASSERT_EQ(0, bosh_info(self->fd, d2, &i4));
		EXPECT_TRUE(i2.flags & BOSH_BO_PURGED) TH_LOG("how %d", how);
		EXPECT_FALSE(i4.flags & BOSH_BO_PURGED) TH_LOG("how %d", how);
		EXPECT_EQ(0, i1.backed_up);
		EXPECT_EQ(0, i3.backed_up);

		/* Then the other DONTNEED BO, still before any backup. */
		ASSERT_EQ(0, scan_by(how, n));
		ASSERT_EQ(0, bosh_info(self->fd, d2, &i4));
		ASSERT_EQ(0, bosh_info(self->fd, w1, &i1));
		ASSERT_EQ(0, bosh_info(self->fd, w2, &i3));
		EXPECT_TRUE(i4.flags & BOSH_BO_PURGED) TH_LOG("how %d", how);
		EXPECT_EQ(0, i1.backed_up);
		EXPECT_EQ(0, i3.backed_up);

		/* Nothing left to purge: the least recently used WILLNEED BO. */
		ASSERT_EQ(0, scan_by(how, n));
		ASSERT_EQ(0, bosh_info(self->fd, w1, &i1));
		ASSERT_EQ(0, bosh_info(self->fd, w2, &i3));
		EXPECT_EQ(n, i1.backed_up) TH_LOG("how %d", how);
		EXPECT_EQ(0, i3.backed_up) TH_LOG("how %d", how);

		EXPECT_EQ(0, bosh_check_bo(self->fd, w1, n, self->seed, kw1, 0));
		EXPECT_EQ(0, bosh_check_bo(self->fd, w2, n, self->seed, kw2, 0));
		EXPECT_EQ(0, bosh_close_bo(self->fd, w1));
		EXPECT_EQ(0, bosh_close_bo(self->fd, d1));
		EXPECT_EQ(0, bosh_close_bo(self->fd, w2));
		EXPECT_EQ(0, bosh_close_bo(self->fd, d2));
	}
}

/*
 * At a quiet point every device gauge equals the sum of its BOs' BO_INFO
 * figures, and the store holds exactly the backed-up pages.
 */
TEST_F(bo, gauges_equal_the_sum_of_bo_info)
{
	enum { NBOS = 6 };
	uint64_t pages[NBOS] = { 8, 16, 32, 64, 4, 12 };
	long resident = 0, backed = 0, total = 0, pinned = 0, purgeable = 0;
	long purgeable_bu = 0, backupable = 0, held;
	static char buf[32 * BOSH_PAGE];
	struct drm_bosh_bo_info info;
	uint32_t h[NBOS];
	int i;

	ASSERT_EQ(0, bosh_stat(0, "bos")) TH_LOG("BOs left over from an earlier test");
	for (i = 0; i < NBOS; i++)
		ASSERT_EQ(0, bosh_create(self->fd, pages[i] * BOSH_PAGE, &h[i]));
	/* 0 empty; 1 resident; 2 backed up; 3 half backed up; 4 pinned; 5 purged. */
	for (i = 1; i < NBOS; i++)
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h[i], pages[i], self->seed, next_serial(), 0));
	ASSERT_EQ(0, bosh_pin(self->fd, h[4], BOSH_PIN));
	ASSERT_EQ(0, bosh_pin(self->fd, h[1], BOSH_PIN));
	ASSERT_EQ(0, bosh_madvise(self->fd, h[5], BOSH_MADV_DONTNEED, NULL));
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_pin(self->fd, h[1], BOSH_UNPIN));
	ASSERT_EQ(0, bosh_rw(self->fd, h[3], BOSH_RW_READ, 0, pages[3] / 2 * BOSH_PAGE, buf));
	ASSERT_EQ(0, bosh_madvise(self->fd, h[2], BOSH_MADV_DONTNEED, NULL));

	for (i = 0; i < NBOS; i++) {
		ASSERT_EQ(0, bosh_info(self->fd, h[i], &info));
		resident += info.resident;
		backed += info.backed_up;
		total += info.size / BOSH_PAGE;
		if (info.flags & BOSH_BO_PINNED)
			pinned += info.size / BOSH_PAGE;
		else if ((info.flags & BOSH_BO_DONTNEED) && !(info.flags & BOSH_BO_PURGED))
			purgeable += info.resident, purgeable_bu += info.backed_up;
		else if (!(info.flags & BOSH_BO_PURGED))
			backupable += info.resident;
	}
	EXPECT_EQ(NBOS, bosh_stat(0, "bos"));
	EXPECT_EQ(total, bosh_stat(0, "pages_total"));
	EXPECT_EQ(resident, bosh_stat(0, "pages_resident"));
	EXPECT_EQ(backed, bosh_stat(0, "pages_backed_up"));
	EXPECT_EQ(backed, bosh_backup_held(0));
	EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned"));
	EXPECT_EQ(purgeable, bosh_stat(0, "pages_purgeable"));
	EXPECT_EQ(purgeable_bu, bosh_stat(0, "pages_purgeable_backed_up"));
	EXPECT_EQ(backupable, bosh_stat(0, "pages_backupable"));
	/*
	 * The module's own page account, independent of the gauges: a
	 * shmem-native BO's pages are shmem's, never bosh's.
	 */
	held = bosh_pages_held();
	EXPECT_EQ(bosh_model_shmem() ? 0 : bosh_stat_all_devices("pages_resident"),
		  held);
	/* Spot values, so that the sums cannot agree by being wrong alike. */
	EXPECT_EQ((long)(pages[3] / 2 + pages[1] + pages[4]), resident);
	EXPECT_EQ((long)(pages[2] + pages[3] - pages[3] / 2), backed);
	for (i = 0; i < NBOS; i++)
		EXPECT_EQ(0, bosh_close_bo(self->fd, h[i]));
	EXPECT_EQ(0, bosh_stat(0, "store_pages"));
	EXPECT_EQ(0, bosh_stat(0, "shmem_unwritten"));
	/* Every page of these BOs went back to the allocator. */
	EXPECT_EQ(held - (bosh_model_shmem() ? 0 : resident), bosh_pages_held());
}

/*
 * The gfp gates of the scan: without __GFP_FS (GFP_NOFS, GFP_NOIO) only
 * purge runs, since the store is a file; a swap reserve that free swap
 * cannot cover stops backup, not purge; with GFP_KERNEL and writeback on,
 * backed-up pages go to swap at once.
 */
TEST_F(bo, scan_honours_gfp_and_swap_reserve)
{
	uint64_t n = 16;
	uint32_t w, d[2], kw = next_serial();
	long written = bosh_stat(0, "written_back_total");
	long reserve = bosh_sysfs_read(0, "swap_reserve_mb");
	struct drm_bosh_bo_info iw, id;
	char path[PATH_MAX], old[32];
	int mask;

	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.0/test_shrink_gfp");
	if (access(path, F_OK))
		SKIP(return, "module built without BOSH_TEST_HOOKS");
	ASSERT_LE(0, reserve);
	snprintf(old, sizeof(old), "%ld", reserve);
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", "0"));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &w));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, w, n, self->seed, kw, 0));

	/* GFP_NOFS (1), GFP_NOIO (2): the DONTNEED BO is purged, no backup. */
	for (mask = 1; mask <= 2; mask++) {
		char m[4];

		snprintf(m, sizeof(m), "%d", mask);
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &d[mask - 1]));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, d[mask - 1], n, self->seed, next_serial(), 0));
		ASSERT_EQ(0, bosh_madvise(self->fd, d[mask - 1], BOSH_MADV_DONTNEED, NULL));
		ASSERT_EQ(0, bosh_write_file(path, m));
		ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
		ASSERT_EQ(0, bosh_info(self->fd, w, &iw));
		ASSERT_EQ(0, bosh_info(self->fd, d[mask - 1], &id));
		EXPECT_TRUE(id.flags & BOSH_BO_PURGED) TH_LOG("mask %d", mask);
		EXPECT_EQ(0, iw.backed_up) TH_LOG("mask %d backed up", mask);
	}

	/* Free swap below the reserve: no backup either, with GFP_KERNEL. */
	ASSERT_EQ(0, bosh_write_file(path, "0"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", "1048576"));
	EXPECT_EQ(0, bosh_stat(0, "pages_shrinkable"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	ASSERT_EQ(0, bosh_info(self->fd, w, &iw));
	EXPECT_EQ(0, iw.backed_up);

	/* GFP_KERNEL, reserve 0, writeback on: backed up and written to swap. */
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", "0"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	ASSERT_EQ(0, bosh_info(self->fd, w, &iw));
	EXPECT_EQ(n, iw.backed_up);
	if (bosh_meminfo_kib("SwapFree") > 0)
		EXPECT_LT(written, bosh_stat(0, "written_back_total"));

	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", old));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, w, n, self->seed, kw, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, w));
	EXPECT_EQ(0, bosh_close_bo(self->fd, d[0]));
	EXPECT_EQ(0, bosh_close_bo(self->fd, d[1]));
}

struct rw_racer {
	volatile int stop;
	int evictions, errors;
};

static void *evict_loop(void *p)
{
	struct rw_racer *r = p;

	while (!r->stop) {
		if (bosh_debugfs_write(0, "evict", "1"))
			r->errors++;
		r->evictions++;
	}
	return NULL;
}

/*
 * A BO_RW copy runs outside the BO's lock, its page held by the in-use
 * count: evict running beside it never backs up (or frees) a page under
 * a copy in flight, so every write reads back whole. The source is a
 * mapping of a second BO, evicted too, so the copy itself faults and
 * restores: the window for evict to meet a copy in flight is wide.
 */
TEST_F(bo, rw_races_evict_loses_nothing)
{
	const uint64_t n = 32;
	long in_use = bosh_stat(0, "skipped_in_use_total");
	struct rw_racer r = { 0 };
	uint32_t h, src, key = next_serial(), gen;
	uint64_t bad = 0, i;
	pthread_t t;
	char *map;

	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &src));
	map = bosh_mmap(self->fd, src, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, pthread_create(&t, NULL, evict_loop, &r));
	/*
	 * At least 60 generations, and on until an evict has met a copy in
	 * flight (skipped_in_use_total): the race this test is about.
	 */
	for (gen = 0; !bad && gen < 20000 &&
	     (gen < 60 || bosh_stat(0, "skipped_in_use_total") == in_use); gen++) {
		for (i = 0; i < n; i++)
			bosh_pattern_page(map + i * BOSH_PAGE, self->seed, key, i, gen);
		ASSERT_EQ(0, bosh_rw(self->fd, h, BOSH_RW_WRITE, 0, n * BOSH_PAGE, map));
		bad = bosh_check_bo(self->fd, h, n, self->seed, key, gen);
		EXPECT_EQ(0, bad) TH_LOG("generation %u: %lu bad pages", gen,
					 (unsigned long)bad);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	in_use = bosh_stat(0, "skipped_in_use_total") - in_use;
	TH_LOG("%u generations, %d evictions, %ld met a copy in flight", gen,
	       r.evictions, in_use);
	EXPECT_LT(0, in_use);
	EXPECT_LT(0, r.evictions);
	EXPECT_EQ(0, r.errors);
	munmap(map, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(self->fd, src));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * Without swap there is nowhere for the store to go: even with a reserve
 * of 0 the scan backs nothing up and the count leaves the backupable pages
 * out, while a DONTNEED BO is still purged.
 */
TEST_F(bo, scan_without_swap_backs_up_nothing)
{
	uint64_t n = 16;
	long reserve = bosh_sysfs_read(0, "swap_reserve_mb");
	uint32_t w, d, kw = next_serial();
	struct drm_bosh_bo_info iw, id;
	char swaps[8][128], old[32];
	int nswaps;

	ASSERT_LE(0, reserve);
	snprintf(old, sizeof(old), "%ld", reserve);
	nswaps = swaps_off(swaps);
	ASSERT_LE(0, nswaps);
	ASSERT_EQ(0, bosh_meminfo_kib("SwapTotal"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", "0"));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &w));
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &d));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, w, n, self->seed, kw, 0));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, d, n, self->seed, next_serial(), 0));
	ASSERT_EQ(0, bosh_madvise(self->fd, d, BOSH_MADV_DONTNEED, NULL));
	EXPECT_EQ((long)n, bosh_stat(0, "pages_shrinkable"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "shrink", "100000"));
	ASSERT_EQ(0, bosh_info(self->fd, w, &iw));
	ASSERT_EQ(0, bosh_info(self->fd, d, &id));
	EXPECT_EQ(0, iw.backed_up);
	EXPECT_EQ(n, iw.resident);
	EXPECT_TRUE(id.flags & BOSH_BO_PURGED);

	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", old));
	EXPECT_EQ(0, swaps_on(swaps, nswaps));
	EXPECT_EQ(0, bosh_check_bo(self->fd, w, n, self->seed, kw, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, w));
	EXPECT_EQ(0, bosh_close_bo(self->fd, d));
}

/*
 * Free memory in KiB: MemFree plus the pages on the per-CPU free lists
 * (/proc/zoneinfo's pagesets), which MemFree leaves out. With THP built
 * in, those lists also keep freed 2 MiB chunks: a BO's freed pages may
 * wait there, free, out of MemFree's count.
 */
static long free_kib(void)
{
	long memfree = bosh_meminfo_kib("MemFree"), pcp = 0, v;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "re");

	if (!f || memfree < 0)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &v) == 1)
			pcp += v;
	fclose(f);
	return memfree + pcp * (long)(BOSH_PAGE >> 10);
}

/*
 * Closing a BO gives its pages back to the system at once: free memory
 * returns to within a quarter of the BO's size of where it was.
 */
TEST_F(bo, closed_bo_gives_its_pages_back)
{
	const uint64_t mb = 128, n = mb << 8;
	long before, during, after;
	uint32_t h;

	before = free_kib();
	ASSERT_LT(0, before);
	ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_validate(self->fd, h));
	during = free_kib();
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
	after = free_kib();
	TH_LOG("free %ld KiB, %ld with the BO, %ld after close", before, during, after);
	EXPECT_LE((long)(mb << 10) * 3 / 4, before - during);
	EXPECT_LE(before - (long)(mb << 10) / 4, after);
}

/*
 * A BO never sees stale memory: the pages of a BO just closed, full of
 * its pattern, are the first the allocator hands out again, and a new
 * BO's pages read as zeros.
 */
TEST_F(bo, new_bo_reads_zeros_after_a_freed_one)
{
	const uint64_t n = 1024, chunk = 64;
	static char buf[64 * BOSH_PAGE];
	uint64_t off, i, dirty = 0;
	uint32_t h;
	int round;

	for (round = 0; round < 4; round++) {
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, next_serial(), 0));
		ASSERT_EQ(0, bosh_close_bo(self->fd, h));
		ASSERT_EQ(0, bosh_create(self->fd, n * BOSH_PAGE, &h));
		ASSERT_EQ(0, bosh_validate(self->fd, h));
		for (off = 0; off < n; off += chunk) {
			ASSERT_EQ(0, bosh_rw(self->fd, h, BOSH_RW_READ, off * BOSH_PAGE,
					     chunk * BOSH_PAGE, buf));
			for (i = 0; i < chunk * BOSH_PAGE; i += sizeof(uint64_t))
				if (*(uint64_t *)(buf + i)) {
					dirty++;
					break;
				}
		}
		ASSERT_EQ(0, bosh_close_bo(self->fd, h));
	}
	EXPECT_EQ(0, dirty) TH_LOG("%lu chunks of new BOs held old data",
				   (unsigned long)dirty);
}

TEST_HARNESS_MAIN
