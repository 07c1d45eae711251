// SPDX-License-Identifier: GPL-2.0
/*
 * SVM: ranges of the test's own address space migrated into bosh's VRAM
 * as device-private pages, beside BOs. Every migrated page's content is
 * checked from the CPU after every round trip (seeded patterns keyed by
 * never-reused serials, a generation per write). BOs evict SVM pages and
 * SVM evicts BOs, in one LRU order; munmap, MADV_DONTNEED, mremap, exit
 * and fork; the fault points fail_svm_fault_alloc (SIGBUS, counted) and
 * fail_svm_page (partial migration, an eviction that gives up: pinned
 * VRAM, then ENOSPC for a BO); many threads faulting one page; a CPU
 * fault racing evictions; unplug with ranges bound; BO/SVM ping-pong
 * with VRAM overcommitted, each side's progress asserted.
 *
 * Run as root in a guest whose bosh has VRAM on two devices, on a kernel
 * with CONFIG_DEVICE_PRIVATE (make check's debug_svm section). Where the
 * kernel has no SVM, or a device no VRAM, svm_ioctls_need_svm asserts
 * EOPNOTSUPP and every other test skips.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "bosh_lib.h"
#include "bosh_vram.h"
#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

#define DRIVER_DIR	"/sys/bus/platform/drivers/bosh"

/*
 * Does the running kernel have what bosh's SVM needs? Read from the
 * kernel, not from bosh: make_device_exclusive_range() is built only with
 * CONFIG_DEVICE_PRIVATE, hmm_range_fault() only with CONFIG_HMM_MIRROR.
 */
static bool kernel_has_svm(void)
{
	static int has = -1;
	char line[256];
	FILE *f;

	if (has >= 0)
		return has;
	has = 0;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && has != 3) {
		if (strstr(line, " make_device_exclusive_range\n"))
			has |= 1;
		if (strstr(line, " hmm_range_fault\n"))
			has |= 2;
	}
	fclose(f);
	has = has == 3;
	return has;
}

static int svm_bind(int fd, void *addr, uint64_t size, uint32_t flags)
{
	struct drm_bosh_svm_bind b = {
		.addr = (uintptr_t)addr, .size = size, .flags = flags,
	};

	return bosh_ioctl(fd, DRM_IOCTL_BOSH_SVM_BIND, &b);
}

/* SVM_MIGRATE; returns the pages moved or -errno. */
static long svm_migrate(int fd, void *addr, uint64_t size, uint32_t placement)
{
	struct drm_bosh_svm_migrate m = {
		.addr = (uintptr_t)addr, .size = size, .placement = placement,
	};
	int ret = bosh_ioctl(fd, DRM_IOCTL_BOSH_SVM_MIGRATE, &m);

	return ret ? ret : (long)m.migrated;
}

static int svm_rw(int fd, void *addr, uint64_t size, void *buf, uint32_t op)
{
	struct drm_bosh_svm_rw rw = {
		.addr = (uintptr_t)addr, .size = size, .data = (uintptr_t)buf, .op = op,
	};

	return bosh_ioctl(fd, DRM_IOCTL_BOSH_SVM_RW, &rw);
}

static int svm_info(int fd, void *addr, uint64_t size, uint64_t *vram, uint64_t *sys)
{
	struct drm_bosh_svm_info i = { .addr = (uintptr_t)addr, .size = size };
	int ret = bosh_ioctl(fd, DRM_IOCTL_BOSH_SVM_INFO, &i);

	if (vram)
		*vram = i.vram_pages;
	if (sys)
		*sys = i.system_pages;
	return ret;
}

static uint64_t svm_vram_pages(int fd, void *addr, uint64_t size)
{
	uint64_t v = 0;

	return svm_info(fd, addr, size, &v, NULL) ? ~0ULL : v;
}

static void *anon(uint64_t npages)
{
	void *p = mmap(NULL, npages * BOSH_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Pages of @buf that are not all zero. */
static uint64_t nonzero_pages(const char *buf, uint64_t npages)
{
	static const char zero[BOSH_PAGE];
	uint64_t i, n = 0;

	for (i = 0; i < npages; i++)
		n += !!memcmp(buf + i * BOSH_PAGE, zero, BOSH_PAGE);
	return n;
}

/* Reads the range through the device's view and checks it. */
static uint64_t device_check(int fd, void *addr, uint64_t npages, uint64_t seed,
			     uint32_t key, uint32_t gen)
{
	char *buf = malloc(npages * BOSH_PAGE);
	uint64_t bad = npages;

	if (buf && !svm_rw(fd, addr, npages * BOSH_PAGE, buf, BOSH_RW_READ))
		bad = bosh_pattern_check(buf, npages, seed, key, gen);
	free(buf);
	return bad;
}

static void svm_disarm_all(int dev)
{
	vram_disarm_all(dev);
	vram_fault_set(dev, "fail_svm_fault_alloc", "probability", 0);
	vram_fault_set(dev, "fail_svm_page", "probability", 0);
}

FIXTURE(svm) {
	int fd;
	uint64_t seed;
	long total;	/* VRAM pages of bosh.0 */
};

FIXTURE_SETUP(svm)
{
	self->fd = bosh_open(0);
	ASSERT_LE(0, self->fd);
	self->total = bosh_stat(0, "vram_pages_total");
	if (self->total <= 0 || !kernel_has_svm())
		SKIP(return, "no SVM: bosh.0 without VRAM or a kernel without DEVICE_PRIVATE");
	self->seed = bosh_seed();
	svm_disarm_all(0);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict_vram", "1"));
	ASSERT_EQ(0, bosh_stat(0, "vram_pages_used"));
	ASSERT_EQ(0, bosh_stat(0, "svm_pages"));
	ASSERT_EQ(0, bosh_stat(0, "vram_pages_pinned"));
}

FIXTURE_TEARDOWN(svm)
{
	if (self->total > 0 && kernel_has_svm()) {
		svm_disarm_all(0);
		bosh_debugfs_write(0, "evict_vram", "1");
	}
	close(self->fd);
}

/*
 * Where bosh has no SVM (no DEVICE_PRIVATE, or no VRAM) every SVM ioctl
 * fails with EOPNOTSUPP; where it has, bind and info work.
 */
TEST(svm_ioctls_need_svm)
{
	int fd = bosh_open(0);
	char *p = anon(4);
	char buf[16];
	bool svm;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	svm = kernel_has_svm() && bosh_stat(0, "vram_pages_total") > 0;
	printf("# SVM %s\n", svm ? "supported" : "not supported");
	if (!svm) {
		EXPECT_EQ(-EOPNOTSUPP, svm_bind(fd, p, 4 * BOSH_PAGE, 0));
		EXPECT_EQ(-EOPNOTSUPP, svm_migrate(fd, p, 4 * BOSH_PAGE, BOSH_PLACE_VRAM));
		EXPECT_EQ(-EOPNOTSUPP, svm_rw(fd, p, 16, buf, BOSH_RW_READ));
		EXPECT_EQ(-EOPNOTSUPP, svm_info(fd, p, 4 * BOSH_PAGE, NULL, NULL));
	} else {
		EXPECT_EQ(0, svm_bind(fd, p, 4 * BOSH_PAGE, 0));
		EXPECT_EQ(0, svm_vram_pages(fd, p, 4 * BOSH_PAGE));
	}
	close(fd);
	munmap(p, 4 * BOSH_PAGE);
}

/* Bad input: a documented errno, and nothing changes. */
TEST_F(svm, bad_input_changes_nothing)
{
	uint64_t n = 8, v, s;
	char *p = anon(2 * n), buf[64];
	struct drm_bosh_svm_bind b = { .addr = (uintptr_t)p, .size = n * BOSH_PAGE };
	struct drm_bosh_svm_migrate m = { .addr = (uintptr_t)p, .size = BOSH_PAGE,
					   .placement = BOSH_PLACE_VRAM };
	struct drm_bosh_svm_rw rw = { .addr = (uintptr_t)p, .size = 8,
				      .data = (uintptr_t)buf };
	struct drm_bosh_svm_info in = { .addr = (uintptr_t)p, .size = BOSH_PAGE };
	pid_t pid;
	int st, i;

	ASSERT_NE(NULL, p);
	memset(p, 0x5a, 2 * n * BOSH_PAGE);
	/* Nothing bound yet. */
	EXPECT_EQ(-ENOENT, svm_migrate(self->fd, p, BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_EQ(-ENOENT, svm_bind(self->fd, p, n * BOSH_PAGE, BOSH_SVM_UNBIND));

	b.flags = 2;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_BIND, &b));
	b.flags = 0;
	b.pad = 1;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_BIND, &b));
	b.pad = 0;
	EXPECT_EQ(-EINVAL, svm_bind(self->fd, p + 1, n * BOSH_PAGE, 0));
	EXPECT_EQ(-EINVAL, svm_bind(self->fd, p, n * BOSH_PAGE + 1, 0));
	EXPECT_EQ(-EINVAL, svm_bind(self->fd, p, 0, 0));
	EXPECT_EQ(-EINVAL, svm_bind(self->fd, (void *)-BOSH_PAGE, 2 * BOSH_PAGE, 0));

	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	EXPECT_EQ(-EEXIST, svm_bind(self->fd, p + BOSH_PAGE, n * BOSH_PAGE, 0));
	EXPECT_EQ(-ENOENT, svm_bind(self->fd, p, BOSH_PAGE, BOSH_SVM_UNBIND));

	/* Outside the bound range, or across its end. */
	EXPECT_EQ(-ENOENT, svm_migrate(self->fd, p + n * BOSH_PAGE, BOSH_PAGE,
				       BOSH_PLACE_VRAM));
	EXPECT_EQ(-ENOENT, svm_migrate(self->fd, p, (n + 1) * BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_EQ(-ENOENT, svm_rw(self->fd, p + n * BOSH_PAGE - 4, 8, buf, BOSH_RW_READ));
	EXPECT_EQ(-ENOENT, svm_info(self->fd, p + n * BOSH_PAGE, BOSH_PAGE, NULL, NULL));

	m.placement = 0;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_MIGRATE, &m));
	m.placement = BOSH_PLACE_MASK;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_MIGRATE, &m));
	m.placement = BOSH_PLACE_VRAM;
	m.pad = 1;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_MIGRATE, &m));
	EXPECT_EQ(-EINVAL, svm_migrate(self->fd, p + 1, BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_EQ(-EINVAL, svm_migrate(self->fd, p, 0, BOSH_PLACE_VRAM));
	rw.op = 2;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_RW, &rw));
	rw.op = BOSH_RW_READ;
	rw.pad = 1;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_RW, &rw));
	rw.pad = 0;
	rw.data = 8;
	EXPECT_EQ(-EFAULT, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_RW, &rw));
	in.pad = 1;
	EXPECT_EQ(-EINVAL, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_SVM_INFO, &in));

	/* Another process's address space through the same file. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(svm_bind(self->fd, p + n * BOSH_PAGE, BOSH_PAGE, 0) != -EPERM ||
		      svm_info(self->fd, p, BOSH_PAGE, NULL, NULL) != -EPERM);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);

	/* Nothing moved, nothing counted. */
	ASSERT_EQ(0, svm_info(self->fd, p, n * BOSH_PAGE, &v, &s));
	EXPECT_EQ(0, v);
	EXPECT_EQ(n, s);
	EXPECT_EQ(0, bosh_stat(0, "svm_pages"));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_used"));
	for (i = 0; i < (int)(n * BOSH_PAGE); i++)
		if (p[i] != 0x5a)
			break;
	EXPECT_EQ((int)(n * BOSH_PAGE), i);

	/* Unbind exactly, then the range is free again; the cap holds. */
	EXPECT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, BOSH_SVM_UNBIND));
	EXPECT_EQ(-ENOENT, svm_info(self->fd, p, BOSH_PAGE, NULL, NULL));
	for (i = 0; i < BOSH_SVM_MAX_RANGES; i++)
		ASSERT_EQ(0, svm_bind(self->fd, (char *)0x100000000ULL + i * 2 * BOSH_PAGE,
				      BOSH_PAGE, 0));
	EXPECT_EQ(-ENOSPC, svm_bind(self->fd, p, BOSH_PAGE, 0));
	munmap(p, 2 * n * BOSH_PAGE);
}

/*
 * Round trips: into VRAM (the gauges count every page), read and written
 * through the device's view there, back by CPU faults and by SVM_MIGRATE,
 * content checked from the CPU after each.
 */
TEST_F(svm, round_trips_keep_every_byte)
{
	uint64_t n = 256, v, s;
	uint32_t key = bosh_key(), gen;
	long faulted = bosh_stat(0, "svm_faulted_total");
	long migrated = bosh_stat(0, "svm_migrated_total");
	char *p = anon(n), *buf = malloc(n * BOSH_PAGE);

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	for (gen = 1; gen <= 4; gen++) {
		bosh_pattern_fill(p, n, self->seed, key, gen);
		ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
		ASSERT_EQ(0, svm_info(self->fd, p, n * BOSH_PAGE, &v, &s));
		EXPECT_EQ(n, v);
		EXPECT_EQ(0, s);
		EXPECT_EQ((long)n, bosh_stat(0, "svm_pages"));
		EXPECT_EQ((long)n, bosh_stat(0, "vram_pages_used"));
		EXPECT_EQ(0, device_check(self->fd, p, n, self->seed, key, gen));
		/* The device writes the next generation where the pages are. */
		bosh_pattern_fill(buf, n, self->seed, key, gen + 100);
		ASSERT_EQ(0, svm_rw(self->fd, p, n * BOSH_PAGE, buf, BOSH_RW_WRITE));
		EXPECT_EQ(n, svm_vram_pages(self->fd, p, n * BOSH_PAGE));
		if (gen & 1) {
			/* Back by CPU faults, page by page. */
			EXPECT_EQ(0, bosh_pattern_check(p, n, self->seed, key, gen + 100));
		} else {
			EXPECT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE,
						       BOSH_PLACE_SYSTEM));
			EXPECT_EQ(0, bosh_pattern_check(p, n, self->seed, key, gen + 100));
		}
		EXPECT_EQ(0, svm_vram_pages(self->fd, p, n * BOSH_PAGE));
		EXPECT_EQ(0, bosh_stat(0, "svm_pages"));
		EXPECT_EQ(0, bosh_stat(0, "vram_pages_used"));
	}
	EXPECT_EQ(4 * (long)n, bosh_stat(0, "svm_migrated_total") - migrated);
	EXPECT_EQ(2 * (long)n, bosh_stat(0, "svm_faulted_total") - faulted);
	/* Unaligned device access across pages. */
	bosh_pattern_fill(p, n, self->seed, key, 7);
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	ASSERT_EQ(0, svm_rw(self->fd, p + 100, 3 * BOSH_PAGE, buf, BOSH_RW_READ));
	EXPECT_EQ(0, memcmp(buf, p + 100, 3 * BOSH_PAGE));
	free(buf);
	munmap(p, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_stat(0, "svm_pages"));
}

/* VRAM a BO left is never seen by a page migrated in untouched. */
TEST_F(svm, untouched_pages_come_in_zeroed)
{
	uint64_t n = self->total;
	uint32_t h, key = bosh_key();
	char *p = anon(n);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vram_create(self->fd, n * BOSH_PAGE, BOSH_PLACE_VRAM, &h));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, self->seed, key, 1));
	ASSERT_TRUE(vram_in(self->fd, h));
	ASSERT_EQ(0, bosh_close_bo(self->fd, h));
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_EQ(0, nonzero_pages(p, n));
	munmap(p, n * BOSH_PAGE);
}

/*
 * SVM filling VRAM that BOs hold evicts the BOs, and a BO's validation
 * into VRAM full of SVM pages evicts them, oldest first. Nothing is lost
 * on either side.
 */
TEST_F(svm, bos_and_svm_evict_each_other)
{
	uint64_t n = self->total, half = n / 2;
	uint32_t a, b, ka = bosh_key(), kb = bosh_key(), ks = bosh_key();
	long evicted = bosh_stat(0, "svm_evicted_total");
	char *p = anon(n);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vram_create(self->fd, half * BOSH_PAGE, BOSH_PLACE_VRAM, &a));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, a, half, self->seed, ka, 1));
	ASSERT_TRUE(vram_in(self->fd, a));

	/* SVM wants all of VRAM: the BO goes to system memory. */
	bosh_pattern_fill(p, n, self->seed, ks, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_FALSE(vram_in(self->fd, a));
	EXPECT_EQ(n, (uint64_t)bosh_stat(0, "vram_pages_used"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, a, half, self->seed, ka, 1));
	EXPECT_EQ(0, device_check(self->fd, p, n, self->seed, ks, 1));

	/* A BO's validation: the oldest SVM pages, the first half, go. */
	ASSERT_EQ(0, vram_create(self->fd, half * BOSH_PAGE, BOSH_PLACE_VRAM, &b));
	ASSERT_EQ(0, bosh_fill_bo(self->fd, b, half, self->seed, kb, 1));
	EXPECT_TRUE(vram_in(self->fd, b));
	EXPECT_EQ((long)half, bosh_stat(0, "svm_evicted_total") - evicted);
	EXPECT_EQ(0, svm_vram_pages(self->fd, p, half * BOSH_PAGE));
	EXPECT_EQ(n - half, svm_vram_pages(self->fd, p + half * BOSH_PAGE,
					   (n - half) * BOSH_PAGE));
	EXPECT_EQ(0, bosh_pattern_check(p, n, self->seed, ks, 1));
	EXPECT_EQ(0, bosh_check_bo(self->fd, b, half, self->seed, kb, 1));
	bosh_close_bo(self->fd, a);
	bosh_close_bo(self->fd, b);
	munmap(p, n * BOSH_PAGE);
}

/* One LRU: BO A, then SVM S, then BO B; a new BO evicts A, then S, never B. */
TEST_F(svm, one_lru_order_for_bos_and_svm)
{
	uint64_t q = self->total / 4;
	uint32_t a, b, c, d, k = bosh_key();
	char *p = anon(2 * q);

	ASSERT_NE(NULL, p);
	bosh_pattern_fill(p, 2 * q, self->seed, k, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, 2 * q * BOSH_PAGE, 0));
	ASSERT_EQ(0, vram_create(self->fd, q * BOSH_PAGE, BOSH_PLACE_VRAM, &a));
	ASSERT_EQ(0, vram_validate(self->fd, a, 0));
	ASSERT_EQ((long)(2 * q), svm_migrate(self->fd, p, 2 * q * BOSH_PAGE,
					     BOSH_PLACE_VRAM));
	ASSERT_EQ(0, vram_create(self->fd, q * BOSH_PAGE, BOSH_PLACE_VRAM, &b));
	ASSERT_EQ(0, vram_validate(self->fd, b, 0));
	ASSERT_EQ(4 * q, (uint64_t)bosh_stat(0, "vram_pages_used"));

	ASSERT_EQ(0, vram_create(self->fd, q * BOSH_PAGE, BOSH_PLACE_VRAM, &c));
	ASSERT_EQ(0, vram_validate(self->fd, c, 0));
	EXPECT_FALSE(vram_in(self->fd, a));
	EXPECT_EQ(2 * q, svm_vram_pages(self->fd, p, 2 * q * BOSH_PAGE));
	EXPECT_TRUE(vram_in(self->fd, b));

	ASSERT_EQ(0, vram_create(self->fd, q * BOSH_PAGE, BOSH_PLACE_VRAM, &d));
	ASSERT_EQ(0, vram_validate(self->fd, d, 0));
	EXPECT_GT(2 * q, svm_vram_pages(self->fd, p, 2 * q * BOSH_PAGE));
	EXPECT_TRUE(vram_in(self->fd, b));
	EXPECT_TRUE(vram_in(self->fd, c));
	EXPECT_EQ(0, bosh_pattern_check(p, 2 * q, self->seed, k, 1));
	munmap(p, 2 * q * BOSH_PAGE);
}

/* Migrating pages that are in VRAM already moves nothing and evicts nothing. */
TEST_F(svm, pages_in_vram_again_evict_nothing)
{
	uint64_t half = self->total / 2;
	long evicted = bosh_stat(0, "vram_evicted_total");
	uint32_t a, k = bosh_key();
	char *p = anon(half);

	ASSERT_NE(NULL, p);
	bosh_pattern_fill(p, half, self->seed, k, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, half * BOSH_PAGE, 0));
	ASSERT_EQ(0, vram_create(self->fd, half * BOSH_PAGE, BOSH_PLACE_VRAM, &a));
	ASSERT_EQ(0, vram_validate(self->fd, a, 0));
	ASSERT_EQ((long)half, svm_migrate(self->fd, p, half * BOSH_PAGE, BOSH_PLACE_VRAM));
	ASSERT_EQ(self->total, bosh_stat(0, "vram_pages_used"));
	/* VRAM is full; the BO is the oldest entry: nothing may touch it. */
	EXPECT_EQ(0, svm_migrate(self->fd, p, half * BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_TRUE(vram_in(self->fd, a));
	EXPECT_EQ(0, bosh_stat(0, "vram_evicted_total") - evicted);
	EXPECT_EQ(half, svm_vram_pages(self->fd, p, half * BOSH_PAGE));
	EXPECT_EQ(0, bosh_pattern_check(p, half, self->seed, k, 1));
	bosh_close_bo(self->fd, a);
	munmap(p, half * BOSH_PAGE);
}

/* The process's memcg keeps the charge of its pages in VRAM. */
TEST_F(svm, memcg_charge_stays_with_the_process)
{
	uint64_t n = 2048;
	char cg[PATH_MAX], path[PATH_MAX + 32], pid[32];
	long before, in_vram, back;
	char *p;

	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/bosh-svm-%d", getpid());
	ASSERT_EQ(0, bosh_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(cg, 0755));
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, bosh_write_file(path, pid));
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	p = anon(n);
	ASSERT_NE(NULL, p);
	bosh_pattern_fill(p, n, self->seed, bosh_key(), 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	before = bosh_read_long(path);
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	in_vram = bosh_read_long(path);
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_SYSTEM));
	back = bosh_read_long(path);
	printf("# memory.current: %ld before, %ld in VRAM, %ld back\n", before, in_vram, back);
	/* 8 MiB moved: the charge may not drop by more than 1 MiB of noise. */
	EXPECT_LT(before - (1L << 20), in_vram);
	EXPECT_LT(before - (1L << 20), back);
	munmap(p, n * BOSH_PAGE);
	bosh_write_file("/sys/fs/cgroup/cgroup.procs", pid);
	rmdir(cg);
}

/* munmap, MADV_DONTNEED, mremap and exit free the device pages. */
TEST_F(svm, unmapping_frees_vram)
{
	uint64_t n = 64;
	uint32_t k = bosh_key();
	char *p = anon(4 * n), *q;
	pid_t pid;
	int st;

	ASSERT_NE(NULL, p);
	/* The window past the first n pages stays ours, unmapped, for mremap. */
	ASSERT_EQ(0, munmap(p + n * BOSH_PAGE, 3 * n * BOSH_PAGE));
	bosh_pattern_fill(p, n, self->seed, k, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, 4 * n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	ASSERT_EQ(0, madvise(p, n / 2 * BOSH_PAGE, MADV_DONTNEED)) {
		TH_LOG("madvise: %s", strerror(errno));
	}
	EXPECT_EQ((long)(n / 2), bosh_stat(0, "svm_pages"));
	EXPECT_EQ((long)(n / 2), bosh_stat(0, "vram_pages_used"));
	EXPECT_EQ(0, nonzero_pages(p, n / 2));

	/* mremap moves the device pages; the content follows them. */
	q = mremap(p + n / 2 * BOSH_PAGE, n / 2 * BOSH_PAGE, n / 2 * BOSH_PAGE,
		   MREMAP_MAYMOVE | MREMAP_FIXED, p + 2 * n * BOSH_PAGE);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(n / 2, svm_vram_pages(self->fd, q, n / 2 * BOSH_PAGE));
	EXPECT_EQ(0, bosh_pattern_check_at(q, n / 2, n / 2, self->seed, k, 1));
	EXPECT_EQ(0, bosh_stat(0, "svm_pages"));

	ASSERT_EQ((long)(n / 2), svm_migrate(self->fd, q, n / 2 * BOSH_PAGE, BOSH_PLACE_VRAM));
	ASSERT_EQ(0, munmap(q, n / 2 * BOSH_PAGE));
	EXPECT_EQ(0, bosh_stat(0, "svm_pages"));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_used"));
	munmap(p, n / 2 * BOSH_PAGE);

	/* A process that exits with pages in VRAM gives them back. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = bosh_open(0);
		char *c = anon(n);

		if (fd < 0 || !c || svm_bind(fd, c, n * BOSH_PAGE, 0))
			_exit(1);
		memset(c, 1, n * BOSH_PAGE);
		_exit(svm_migrate(fd, c, n * BOSH_PAGE, BOSH_PLACE_VRAM) != (long)n);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, bosh_stat(0, "svm_pages"));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_used"));
}

/* After fork() with pages in VRAM, parent and child each see their own. */
TEST_F(svm, fork_keeps_each_side_its_content)
{
	uint64_t n = 64;
	uint32_t k = bosh_key();
	char *p = anon(n);
	pid_t pid;
	int st;

	ASSERT_NE(NULL, p);
	bosh_pattern_fill(p, n, self->seed, k, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int bad = bosh_pattern_check(p, n, self->seed, k, 1) != 0;

		bosh_pattern_fill(p, n, self->seed, k, 2);
		bad |= (bosh_pattern_check(p, n, self->seed, k, 2) != 0) << 1;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, bosh_pattern_check(p, n, self->seed, k, 1));
	/* And once more with the parent writing first, pages in VRAM. */
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		_exit(bosh_pattern_check(p, n, self->seed, k, 1) != 0);
	}
	bosh_pattern_fill(p, n, self->seed, k, 3);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, bosh_pattern_check(p, n, self->seed, k, 3));
	munmap(p, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_stat(0, "svm_pages"));
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/* Reads one byte; returns false when the read raised SIGBUS. */
static bool touch(volatile char *p, char *out)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool ok = true;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1))
		ok = false;
	else
		*out = *p;
	sigaction(SIGBUS, &old, NULL);
	return ok;
}

/*
 * The system page of a fault's migration cannot be had: that fault gets
 * SIGBUS, counted, the page stays in VRAM, and the next access works.
 */
TEST_F(svm, fault_without_memory_gets_sigbus)
{
	uint64_t n = 4;
	uint32_t k = bosh_key();
	long sigbus = bosh_stat(0, "svm_fault_sigbus_total");
	char *p = anon(n), c;

	ASSERT_NE(NULL, p);
	if (!vram_has_fault_points(0))
		SKIP(return, "no fault injection in this kernel");
	bosh_pattern_fill(p, n, self->seed, k, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	ASSERT_EQ(0, vram_arm(0, "fail_svm_fault_alloc", 1));
	EXPECT_FALSE(touch(p, &c));
	EXPECT_EQ(0, vram_armed_left(0, "fail_svm_fault_alloc"));
	EXPECT_EQ(1, bosh_stat(0, "svm_fault_sigbus_total") - sigbus);
	EXPECT_EQ(n, svm_vram_pages(self->fd, p, n * BOSH_PAGE));
	EXPECT_TRUE(touch(p, &c));
	EXPECT_EQ(0, bosh_pattern_check(p, n, self->seed, k, 1));
	EXPECT_EQ(1, bosh_stat(0, "svm_fault_sigbus_total") - sigbus);
	munmap(p, n * BOSH_PAGE);
}

/*
 * Pages a migration cannot take stay behind (fail_svm_page stands for a
 * pinned page); an eviction that cannot move pages retries, then gives
 * up on them: counted, pinned VRAM, and a BO that needs that space fails
 * with ENOSPC. Once the CPU takes them back, the pin is gone.
 */
TEST_F(svm, pages_left_behind_and_given_up)
{
	uint64_t n = self->total / 2, v, s;
	uint32_t h, k = bosh_key();
	long gave_up = bosh_stat(0, "svm_gave_up_total");
	char *p = anon(n);

	ASSERT_NE(NULL, p);
	if (!vram_has_fault_points(0))
		SKIP(return, "no fault injection in this kernel");
	bosh_pattern_fill(p, n, self->seed, k, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ(0, vram_arm(0, "fail_svm_page", 3));
	ASSERT_EQ((long)n - 3, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	ASSERT_EQ(0, svm_info(self->fd, p, n * BOSH_PAGE, &v, &s));
	EXPECT_EQ(n - 3, v);
	EXPECT_EQ(3, s);
	EXPECT_EQ(0, device_check(self->fd, p, n, self->seed, k, 1));

	/* Every eviction of these pages fails: the walk gives up on them. */
	ASSERT_EQ(0, vram_arm(0, "fail_svm_page", -1));
	ASSERT_EQ(0, vram_create(self->fd, self->total * BOSH_PAGE, BOSH_PLACE_VRAM, &h));
	EXPECT_EQ(-ENOSPC, vram_validate(self->fd, h, 0));
	EXPECT_EQ((long)n - 3, bosh_stat(0, "svm_gave_up_total") - gave_up);
	EXPECT_EQ((long)n - 3, bosh_stat(0, "vram_pages_pinned"));
	EXPECT_EQ((long)n - 3, vram_debugfs_value(0, "pages_stuck"));
	EXPECT_EQ(n - 3, svm_vram_pages(self->fd, p, n * BOSH_PAGE));
	svm_disarm_all(0);
	/* The CPU takes them back: nothing pinned, nothing lost. */
	EXPECT_EQ(0, bosh_pattern_check(p, n, self->seed, k, 1));
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_pinned"));
	EXPECT_EQ(0, vram_validate(self->fd, h, 0));
	bosh_close_bo(self->fd, h);
	munmap(p, n * BOSH_PAGE);
}

/*
 * No system page for an eviction of SVM pages: a BO's validation fails
 * with ENOMEM and nothing moved or was given up on; no VRAM for an SVM
 * step: ENOMEM, nothing moved. With the points off both succeed.
 */
TEST_F(svm, eviction_without_memory_is_enomem_and_intact)
{
	uint64_t n = self->total;
	uint32_t h, k = bosh_key();
	long gave_up = bosh_stat(0, "svm_gave_up_total");
	char *p = anon(n + 1);

	ASSERT_NE(NULL, p);
	if (!vram_has_fault_points(0))
		SKIP(return, "no fault injection in this kernel");
	bosh_pattern_fill(p, n + 1, self->seed, k, 1);
	ASSERT_EQ(0, svm_bind(self->fd, p, (n + 1) * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	ASSERT_EQ(0, vram_create(self->fd, BOSH_PAGE, BOSH_PLACE_VRAM, &h));
	ASSERT_EQ(0, vram_arm(0, "fail_vram_evict", -1));
	EXPECT_EQ(-ENOMEM, vram_validate(self->fd, h, 0));
	EXPECT_EQ(n, svm_vram_pages(self->fd, p, n * BOSH_PAGE));
	EXPECT_EQ(0, bosh_stat(0, "svm_gave_up_total") - gave_up);
	EXPECT_EQ(0, bosh_stat(0, "vram_pages_pinned"));
	svm_disarm_all(0);
	ASSERT_EQ(0, vram_validate(self->fd, h, 0));
	EXPECT_TRUE(vram_in(self->fd, h));

	ASSERT_EQ(0, vram_arm(0, "fail_vram_alloc", 1));
	EXPECT_EQ(-ENOMEM, svm_migrate(self->fd, p + n * BOSH_PAGE, BOSH_PAGE,
				       BOSH_PLACE_VRAM));
	EXPECT_EQ(0, vram_armed_left(0, "fail_vram_alloc"));
	EXPECT_EQ(0, svm_vram_pages(self->fd, p + n * BOSH_PAGE, BOSH_PAGE));
	EXPECT_EQ(1, svm_migrate(self->fd, p + n * BOSH_PAGE, BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_EQ(0, bosh_pattern_check(p, n + 1, self->seed, k, 1));
	bosh_close_bo(self->fd, h);
	munmap(p, (n + 1) * BOSH_PAGE);
}

struct faulter {
	volatile char *page;
	pthread_barrier_t *go;
	char seen;
};

static void *fault_one(void *arg)
{
	struct faulter *f = arg;

	pthread_barrier_wait(f->go);
	f->seen = *f->page;
	return NULL;
}

/*
 * Sixteen threads fault one device page at once: each either wins the
 * page's migration or refaults; all finish, the content is right, and
 * no fault gave up with SIGBUS. A livelock fails the deadline.
 */
TEST_F(svm, many_threads_fault_one_page)
{
	enum { THREADS = 16, ROUNDS = 20 };
	long sigbus = bosh_stat(0, "svm_fault_sigbus_total");
	struct faulter f[THREADS];
	pthread_barrier_t go;
	pthread_t t[THREADS];
	double t0 = bosh_now(), worst = 0;
	char *p = anon(1);
	int r, i;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, svm_bind(self->fd, p, BOSH_PAGE, 0));
	for (r = 0; r < ROUNDS; r++) {
		double t1;

		memset(p, 'a' + r, BOSH_PAGE);
		ASSERT_EQ(1, svm_migrate(self->fd, p, BOSH_PAGE, BOSH_PLACE_VRAM));
		pthread_barrier_init(&go, NULL, THREADS);
		for (i = 0; i < THREADS; i++) {
			f[i] = (struct faulter){ .page = p + i * 64, .go = &go };
			ASSERT_EQ(0, pthread_create(&t[i], NULL, fault_one, &f[i]));
		}
		t1 = bosh_now();
		for (i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			EXPECT_EQ('a' + r, f[i].seen);
		}
		if (bosh_now() - t1 > worst)
			worst = bosh_now() - t1;
		pthread_barrier_destroy(&go);
		EXPECT_EQ(0, svm_vram_pages(self->fd, p, BOSH_PAGE));
	}
	printf("# %d rounds of %d threads: %.2f s, slowest round %.3f s\n",
	       ROUNDS, THREADS, bosh_now() - t0, worst);
	EXPECT_EQ(0, bosh_stat(0, "svm_fault_sigbus_total") - sigbus);
	/* A liveness bound, not a speed figure: a livelock never ends. */
	EXPECT_GT(60.0, worst);
	munmap(p, BOSH_PAGE);
}

struct racer {
	int fd;
	char *p;
	uint64_t n;
	volatile bool stop;
	long rounds;
};

static void *evict_loop(void *arg)
{
	struct racer *r = arg;

	while (!r->stop) {
		svm_migrate(r->fd, r->p, r->n * BOSH_PAGE, BOSH_PLACE_VRAM);
		bosh_debugfs_write(0, "evict_vram", "1");
		r->rounds++;
	}
	return NULL;
}

/* CPU faults race migrations in and evictions out of the same pages. */
TEST_F(svm, cpu_faults_race_evictions)
{
	uint64_t n = 32, bad = 0;
	uint32_t k = bosh_key(), gen;
	long sigbus = bosh_stat(0, "svm_fault_sigbus_total");
	long faulted = bosh_stat(0, "svm_faulted_total");
	long evicted = bosh_stat(0, "svm_evicted_total");
	struct racer r = { .fd = self->fd, .n = n };
	pthread_t t;

	r.p = anon(n);
	ASSERT_NE(NULL, r.p);
	ASSERT_EQ(0, svm_bind(self->fd, r.p, n * BOSH_PAGE, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, evict_loop, &r));
	/* At least 40 generations, and until the other side ran 20 rounds. */
	for (gen = 1; gen <= 40 || (r.rounds < 20 && gen < 100000); gen++) {
		bosh_pattern_fill(r.p, n, self->seed, k, gen);
		bad += bosh_pattern_check(r.p, n, self->seed, k, gen);
	}
	r.stop = true;
	pthread_join(t, NULL);
	printf("# %ld migrate/evict rounds raced %u generations: %ld pages faulted back, %ld evicted\n",
	       r.rounds, gen - 1, bosh_stat(0, "svm_faulted_total") - faulted,
	       bosh_stat(0, "svm_evicted_total") - evicted);
	EXPECT_EQ(0, bad);
	EXPECT_LE(20, r.rounds);
	/* Both ways happened: the CPU took pages back, evictions moved some. */
	EXPECT_LT(0, bosh_stat(0, "svm_faulted_total") - faulted);
	EXPECT_LT(0, bosh_stat(0, "svm_evicted_total") - evicted);
	EXPECT_EQ(0, bosh_stat(0, "svm_fault_sigbus_total") - sigbus);
	munmap(r.p, n * BOSH_PAGE);
}

/* Unplug with ranges bound and pages in VRAM: they come back, intact. */
TEST(unplug_with_svm_pages_in_vram)
{
	long total = bosh_stat(1, "vram_pages_total");
	uint64_t n = 128, seed = bosh_seed();
	uint32_t k = bosh_key();
	char *p;
	int fd;

	if (total <= 0 || !kernel_has_svm())
		SKIP(return, "no SVM on bosh.1");
	fd = bosh_open(1);
	ASSERT_LE(0, fd);
	p = anon(n);
	ASSERT_NE(NULL, p);
	bosh_pattern_fill(p, n, seed, k, 1);
	ASSERT_EQ(0, svm_bind(fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_EQ((long)n, bosh_stat(1, "svm_pages"));
	EXPECT_EQ(0, bosh_write_file(DRIVER_DIR "/unbind", "bosh.1"));
	EXPECT_EQ(-ENODEV, svm_info(fd, p, n * BOSH_PAGE, NULL, NULL));
	EXPECT_EQ(0, bosh_pattern_check(p, n, seed, k, 1));
	close(fd);
	ASSERT_EQ(0, bosh_write_file(DRIVER_DIR "/bind", "bosh.1"));
	EXPECT_EQ(0, bosh_stat(1, "svm_pages"));
	EXPECT_EQ(0, bosh_stat(1, "vram_pages_used"));
	EXPECT_EQ(total, vram_debugfs_value(1, "buddy_avail_pages"));

	/*
	 * The file closed first, the pages still in VRAM: what module
	 * unload does to each device (bosh_remove()) brings them back too.
	 */
	fd = bosh_open(1);
	ASSERT_LE(0, fd);
	bosh_pattern_fill(p, n, seed, k, 2);
	ASSERT_EQ(0, svm_bind(fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	close(fd);
	EXPECT_EQ((long)n, bosh_stat(1, "svm_pages"));
	EXPECT_EQ(0, bosh_write_file(DRIVER_DIR "/unbind", "bosh.1"));
	EXPECT_EQ(0, bosh_pattern_check(p, n, seed, k, 2));
	ASSERT_EQ(0, bosh_write_file(DRIVER_DIR "/bind", "bosh.1"));
	EXPECT_EQ(0, bosh_stat(1, "svm_pages"));
	munmap(p, n * BOSH_PAGE);
}

/*
 * Ping-pong with VRAM overcommitted 2x: one process validates PP_ITEMS
 * BOs that together fill VRAM, in turn, another migrates PP_ITEMS SVM
 * ranges that together fill VRAM, in turn. In each of the
 * intervals both sides complete operations (no starvation), nothing is
 * lost, and no call fails.
 */
#define PP_ITEMS	4
#define PP_INTERVALS	4
#define PP_INTERVAL_S	4.0
#define PP_MIN_OPS	2

static void pp_side(bool svm_side, uint64_t total, uint64_t seed, int out, int go)
{
	long ops[PP_INTERVALS] = { 0 }, errors = 0, bad = 0;
	uint64_t n = total / PP_ITEMS;
	double t0;
	int fd = bosh_open(0), i = 0;
	uint32_t h[PP_ITEMS], k = bosh_key();
	char *p = NULL;

	if (fd < 0)
		_exit(1);
	if (svm_side) {
		p = anon(PP_ITEMS * n);
		if (!p || svm_bind(fd, p, PP_ITEMS * n * BOSH_PAGE, 0))
			_exit(1);
		bosh_pattern_fill(p, PP_ITEMS * n, seed, k, 1);
	} else {
		for (i = 0; i < PP_ITEMS; i++)
			if (vram_create(fd, n * BOSH_PAGE, BOSH_PLACE_VRAM, &h[i]) ||
			    bosh_fill_bo(fd, h[i], n, seed, k + i, 1))
				_exit(1);
	}
	/* Both sides set up: they start together, so each interval is contended. */
	if (write(out, "r", 1) != 1 || read(go, &i, 1) != 1)
		_exit(1);
	t0 = bosh_now();
	for (i = 0; bosh_now() - t0 < PP_INTERVALS * PP_INTERVAL_S;
	     i = (i + 1) % PP_ITEMS) {
		int slot = (int)((bosh_now() - t0) / PP_INTERVAL_S);
		long ret;

		if (svm_side)
			ret = svm_migrate(fd, p + i * n * BOSH_PAGE, n * BOSH_PAGE,
					  BOSH_PLACE_VRAM);
		else
			ret = vram_validate(fd, h[i], 0);
		if (ret < 0)
			errors++;
		else if (slot < PP_INTERVALS)
			ops[slot]++;
	}
	if (svm_side)
		bad = bosh_pattern_check(p, PP_ITEMS * n, seed, k, 1);
	else
		for (i = 0; i < PP_ITEMS; i++)
			bad += bosh_check_bo(fd, h[i], n, seed, k + i, 1);
	printf("# %s: ops per interval %ld %ld %ld %ld, errors %ld, bad pages %ld\n",
	       svm_side ? "svm" : "bo", ops[0], ops[1], ops[2], ops[3], errors, bad);
	if (write(out, ops, sizeof(ops)) != sizeof(ops) ||
	    write(out, &errors, sizeof(errors)) != sizeof(errors) ||
	    write(out, &bad, sizeof(bad)) != sizeof(bad))
		_exit(1);
	_exit(0);
}

TEST_F(svm, bo_and_svm_ping_pong_both_progress)
{
	int pipes[2][2], go[2], side, st, i;
	pid_t pid[2];
	char c;

	ASSERT_EQ(0, pipe(go));
	for (side = 0; side < 2; side++) {
		ASSERT_EQ(0, pipe(pipes[side]));
		pid[side] = fork();
		ASSERT_LE(0, pid[side]);
		if (!pid[side]) {
			close(pipes[side][0]);
			close(go[1]);
			pp_side(side, self->total, self->seed, pipes[side][1], go[0]);
		}
		close(pipes[side][1]);
	}
	close(go[0]);
	for (side = 0; side < 2; side++)
		ASSERT_EQ(1, read(pipes[side][0], &c, 1));
	ASSERT_EQ(2, write(go[1], "gg", 2));
	close(go[1]);
	for (side = 0; side < 2; side++) {
		long ops[PP_INTERVALS], errors = -1, bad = -1;

		ASSERT_EQ(sizeof(ops), read(pipes[side][0], ops, sizeof(ops)));
		ASSERT_EQ(sizeof(errors), read(pipes[side][0], &errors, sizeof(errors)));
		ASSERT_EQ(sizeof(bad), read(pipes[side][0], &bad, sizeof(bad)));
		ASSERT_EQ(pid[side], waitpid(pid[side], &st, 0));
		EXPECT_EQ(0, st);
		EXPECT_EQ(0, errors);
		EXPECT_EQ(0, bad);
		for (i = 0; i < PP_INTERVALS; i++)
			EXPECT_LE(PP_MIN_OPS, ops[i]) {
				TH_LOG("%s side starved in interval %d",
				       side ? "svm" : "bo", i);
			}
	}
	EXPECT_LT(0, bosh_stat(0, "svm_evicted_total"));
	EXPECT_LT(0, bosh_stat(0, "vram_evicted_total"));
}

/* debugfs vram shows the SVM pages and their chunks on the LRU. */
TEST_F(svm, debugfs_vram_shows_svm)
{
	uint64_t n = 600;
	char *p = anon(n), line[256], path[PATH_MAX];
	long chunks = 0, pages = 0;
	bool in_svm = false;
	FILE *f;

	ASSERT_NE(NULL, p);
	memset(p, 3, n * BOSH_PAGE);
	ASSERT_EQ(0, svm_bind(self->fd, p, n * BOSH_PAGE, 0));
	ASSERT_EQ((long)n, svm_migrate(self->fd, p, n * BOSH_PAGE, BOSH_PLACE_VRAM));
	EXPECT_EQ((long)n, vram_debugfs_value(0, "svm_pages"));
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.0/vram");
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int id;
		long live, stuck;

		if (!strncmp(line, "svm lru:", 8)) {
			in_svm = true;
			continue;
		}
		if (in_svm && sscanf(line, "%u %ld %ld", &id, &live, &stuck) == 3) {
			chunks++;
			pages += live;
		}
	}
	fclose(f);
	/* 600 pages: a chunk of 512 and one of 88. */
	EXPECT_EQ(2, chunks);
	EXPECT_EQ((long)n, pages);
	munmap(p, n * BOSH_PAGE);
}

TEST_HARNESS_MAIN
