// SPDX-License-Identifier: GPL-2.0
/*
 * Every error path by injection: fail_alloc, fail_backup, fail_writeback,
 * fail_restore and fail_restore_intr, and a fail-nth sweep over the
 * ioctls. Each checks the errno, the counters and that no byte of BO
 * content is lost after a retry with injection off. Skips on kernels
 * without CONFIG_FAULT_INJECTION_DEBUG_FS.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>

#include "bosh_lib.h"
#include "kselftest_harness.h"

/* Under TCG, with KASAN, the harness default of 30 s is too short. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define FAULT_DIR "/sys/kernel/debug/dri/bosh.0"

static int fault_set(const char *point, const char *knob, long v)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), FAULT_DIR "/%s/%s", point, knob);
	snprintf(val, sizeof(val), "%ld", v);
	return bosh_write_file(path, val);
}

/* Fail the @interval-th call, @times times (-1: forever), quietly. */
static int fault_arm(const char *point, long interval, long times)
{
	return fault_set(point, "verbose", 0) ?:
	       fault_set(point, "interval", interval) ?:
	       fault_set(point, "times", times) ?:
	       fault_set(point, "probability", 100);
}

static void fault_disarm(const char *point)
{
	fault_set(point, "probability", 0);
	fault_set(point, "interval", 1);
	fault_set(point, "times", 1);
}

static const char *const fault_points[] = {
	"fail_alloc", "fail_backup", "fail_writeback", "fail_restore",
	"fail_restore_intr",
};

/*
 * Does the point have a site in the BOs' model? fail_backup fails the
 * copy into the store, which a shmem-native backup never makes.
 */
static bool fault_point_applies(const char *point)
{
	return !bosh_model_shmem() || strcmp(point, "fail_backup");
}

/* Tests of every backing model: each runs for both. */
FIXTURE(fault) {
	int fd;
	uint64_t seed;
};

BOSH_MODEL_VARIANTS(fault);

/*
 * The copy into the store (fail_backup) alone: a shmem-native backup
 * copies nothing and allocates nothing, so that point has nothing to fail
 * there.
 */
FIXTURE(store_fault) {
	int fd;
	uint64_t seed;
};

static void fault_fixture_setup(struct __test_metadata *_metadata, int *fd,
				uint64_t *seed)
{
	char path[PATH_MAX];
	unsigned int i;

	snprintf(path, sizeof(path), FAULT_DIR "/fail_backup/probability");
	if (access(path, F_OK))
		SKIP(return, "no fault injection in this kernel (CONFIG_FAULT_INJECTION_DEBUG_FS)");
	for (i = 0; i < sizeof(fault_points) / sizeof(fault_points[0]); i++)
		fault_disarm(fault_points[i]);
	*fd = bosh_open(0);
	ASSERT_GE(*fd, 0);
	*seed = bosh_seed();
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
}

static void fault_fixture_teardown(int fd)
{
	unsigned int i;

	for (i = 0; i < sizeof(fault_points) / sizeof(fault_points[0]); i++)
		fault_disarm(fault_points[i]);
	if (fd > 0)
		close(fd);
}

FIXTURE_SETUP(fault)
{
	bosh_create_flags = variant->create_flags;
	fault_fixture_setup(_metadata, &self->fd, &self->seed);
}

FIXTURE_TEARDOWN(fault)
{
	fault_fixture_teardown(self->fd);
}

FIXTURE_SETUP(store_fault)
{
	bosh_create_flags = 0;
	fault_fixture_setup(_metadata, &self->fd, &self->seed);
}

FIXTURE_TEARDOWN(store_fault)
{
	fault_fixture_teardown(self->fd);
}

TEST_F(fault, points_have_standard_knobs)
{
	static const char *const knobs[] = {
		"probability", "interval", "times", "space", "verbose", "task-filter",
	};
	char path[PATH_MAX];
	unsigned int i, j;

	for (i = 0; i < sizeof(fault_points) / sizeof(fault_points[0]); i++)
		for (j = 0; j < sizeof(knobs) / sizeof(knobs[0]); j++) {
			snprintf(path, sizeof(path), FAULT_DIR "/%s/%s",
				 fault_points[i], knobs[j]);
			EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s missing", path);
		}
}

/* A BO of @n pages populated in one chunk where possible, then filled. */
/* A BO of @n pages filled with its own key's pattern, generation 0. */
static uint32_t chunked_bo(struct __test_metadata *_metadata, int fd,
			   uint64_t n, uint64_t seed, uint32_t *key)
{
	uint32_t h;

	*key = bosh_key();
	ASSERT_EQ(0, bosh_create(fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_validate(fd, h));
	ASSERT_EQ(0, bosh_fill_bo(fd, h, n, seed, *key, 0));
	return h;
}

TEST_F(store_fault, backup_failure_is_partial_and_loses_nothing)
{
	uint64_t n = 64, seed = self->seed;
	long errors = bosh_stat(0, "backup_errors_total");
	struct drm_bosh_bo_info info;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);

	/* The 10th copy into the store fails: 9 pages backed up. */
	ASSERT_EQ(0, fault_arm("fail_backup", 10, 1));
	EXPECT_EQ(-ENOMEM, bosh_debugfs_write(0, "evict", "1"));
	fault_disarm("fail_backup");
	EXPECT_EQ(errors + 1, bosh_stat(0, "backup_errors_total"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(9, info.backed_up);
	EXPECT_EQ(n - 9, info.resident);
	/* A partly backed-up BO stays shrinkable. */
	EXPECT_EQ((long)(n - 9), bosh_stat(0, "pages_shrinkable"));
	EXPECT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * A backup failure stops the BO it hit, not the pass: evict goes on to
 * the next BO and backs it up whole, then reports the failure. A is
 * used first, so the walk meets it first, and its first copy fails.
 */
TEST_F(store_fault, backup_failure_moves_on_to_the_next_bo)
{
	uint64_t n = 32, seed = self->seed;
	struct drm_bosh_bo_info info;
	uint32_t ka, kb, a, b;

	a = chunked_bo(_metadata, self->fd, n, seed, &ka);
	b = chunked_bo(_metadata, self->fd, n, seed, &kb);
	ASSERT_EQ(0, fault_arm("fail_backup", 1, 1));
	EXPECT_EQ(-ENOMEM, bosh_debugfs_write(0, "evict", "1"));
	fault_disarm("fail_backup");
	ASSERT_EQ(0, bosh_info(self->fd, a, &info));
	EXPECT_EQ(0, info.backed_up);
	EXPECT_EQ(n, info.resident);
	ASSERT_EQ(0, bosh_info(self->fd, b, &info));
	EXPECT_EQ(n, info.backed_up) TH_LOG("the pass stopped at the failed BO");
	EXPECT_EQ(0, bosh_check_bo(self->fd, a, n, seed, ka, 0));
	EXPECT_EQ(0, bosh_check_bo(self->fd, b, n, seed, kb, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, a));
	EXPECT_EQ(0, bosh_close_bo(self->fd, b));
}

TEST_F(store_fault, backup_failure_in_reclaim_shrink)
{
	uint64_t n = 128, seed = self->seed;
	long errors = bosh_stat(0, "backup_errors_total");
	long backed = bosh_stat(0, "backed_up_total");
	struct drm_bosh_bo_info info;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);

	ASSERT_EQ(0, fault_arm("fail_backup", 1, -1));
	EXPECT_EQ(0, bosh_debugfs_write(0, "shrink", "1000"));
	fault_disarm("fail_backup");
	/* The scan met the failure (counted) and took nothing. */
	EXPECT_LT(errors, bosh_stat(0, "backup_errors_total"));
	EXPECT_EQ(backed, bosh_stat(0, "backed_up_total"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(fault, writeback_failure_keeps_page_in_store)
{
	uint64_t n = 32, seed = self->seed;
	long written = bosh_stat(0, "written_back_total");
	struct drm_bosh_bo_info info;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);

	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	ASSERT_EQ(0, fault_arm("fail_writeback", 1, -1));
	EXPECT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	fault_disarm("fail_writeback");
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	EXPECT_EQ(written, bosh_stat(0, "written_back_total"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(n, info.backed_up);
	/* Every backed-up page stayed in RAM: none went to swap. */
	EXPECT_EQ(n, info.backed_up_in_ram);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(fault, restore_failure_keeps_progress_and_content)
{
	uint64_t n = 64, seed = self->seed;
	long errors = bosh_stat(0, "restore_errors_total");
	struct drm_bosh_bo_info info;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);

	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, fault_arm("fail_restore", 5, 1));
	EXPECT_EQ(-EIO, bosh_validate(self->fd, h));
	fault_disarm("fail_restore");
	EXPECT_EQ(errors + 1, bosh_stat(0, "restore_errors_total"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(4, info.resident);
	EXPECT_EQ(n - 4, info.backed_up);
	EXPECT_EQ(0, bosh_validate(self->fd, h));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* Attaching restores the BO: a failed restore fails the import, losing nothing. */
TEST_F(fault, restore_failure_in_foreign_import)
{
	uint64_t n = 64, seed = self->seed;
	long pinned = bosh_stat(0, "pages_pinned");
	struct drm_bosh_bo_info info;
	int other = bosh_open(1), dmabuf;
	uint32_t key, h, hi;

	if (other < 0)
		SKIP(return, "needs a second device (modprobe bosh devices=2)");
	h = chunked_bo(_metadata, self->fd, n, seed, &key);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	dmabuf = bosh_export(self->fd, h);
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, fault_arm("fail_restore", 5, 1));
	EXPECT_EQ(-EIO, bosh_import(other, dmabuf, &hi));
	fault_disarm("fail_restore");
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_FALSE(info.flags & BOSH_BO_PINNED);
	EXPECT_EQ(4, info.resident);
	EXPECT_EQ(n - 4, info.backed_up);
	EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned"));
	ASSERT_EQ(0, bosh_import(other, dmabuf, &hi));
	EXPECT_EQ(0, bosh_check_bo(other, hi, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(other, hi));
	close(dmabuf);
	close(other);
	EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned"));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(fault, restore_failure_in_rw)
{
	uint64_t n = 16, seed = self->seed;
	char buf[BOSH_PAGE];
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);

	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, fault_arm("fail_restore", 1, 1));
	EXPECT_EQ(-EIO, bosh_rw(self->fd, h, BOSH_RW_READ, 0, sizeof(buf), buf));
	fault_disarm("fail_restore");
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(fault, injected_interrupt_returns_eintr)
{
	uint64_t n = 64, seed = self->seed;
	long intr = bosh_stat(0, "restore_interrupted_total");
	struct drm_bosh_bo_validate v = { 0 };
	struct drm_bosh_bo_info info;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);

	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, fault_arm("fail_restore_intr", 8, 1));
	v.handle = h;
	EXPECT_EQ(-EINTR, bosh_ioctl_once(self->fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v));
	fault_disarm("fail_restore_intr");
	EXPECT_EQ(intr + 1, bosh_stat(0, "restore_interrupted_total"));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_LT(0, info.resident);
	EXPECT_GT(n, info.resident);
	EXPECT_EQ(n, info.resident + info.backed_up);
	EXPECT_EQ(0, bosh_validate(self->fd, h));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * Progress means pages restored by this call: a resident prefix skipped
 * is none. The interrupt point armed to fire at its first chance stops
 * BO_VALIDATE only after the first page past the prefix came back.
 */
TEST_F(fault, interrupt_after_a_resident_prefix_still_restores)
{
	uint64_t n = 64, half = 32, seed = self->seed;
	struct drm_bosh_bo_validate v = { 0 };
	struct drm_bosh_bo_info info;
	char *buf = malloc(half * BOSH_PAGE);
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_rw(self->fd, h, BOSH_RW_READ, 0, half * BOSH_PAGE, buf));
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	ASSERT_EQ(half, info.resident);
	ASSERT_EQ(0, fault_arm("fail_restore_intr", 1, 1));
	v.handle = h;
	EXPECT_EQ(-EINTR, bosh_ioctl_once(self->fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v));
	fault_disarm("fail_restore_intr");
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(half + 1, info.resident);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	free(buf);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(fault, alloc_failure_populating_returns_enomem)
{
	struct drm_bosh_bo_info info;
	char zero[BOSH_PAGE] = { 0 }, buf[BOSH_PAGE];
	uint32_t h;

	ASSERT_EQ(0, bosh_create(self->fd, 16 * BOSH_PAGE, &h));
	ASSERT_EQ(0, fault_arm("fail_alloc", 1, 1));
	EXPECT_EQ(-ENOMEM, bosh_validate(self->fd, h));
	fault_disarm("fail_alloc");
	ASSERT_EQ(0, bosh_info(self->fd, h, &info));
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, bosh_validate(self->fd, h));
	EXPECT_EQ(0, bosh_rw(self->fd, h, BOSH_RW_READ, 5 * BOSH_PAGE, BOSH_PAGE, buf));
	EXPECT_EQ(0, memcmp(zero, buf, BOSH_PAGE));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

static sigjmp_buf fault_jmp;

static void fault_sigbus(int sig)
{
	siglongjmp(fault_jmp, 1);
}

/* Arm a point at @prob percent; "always" is bounded by times. */
static void fault_prob(const char *point, int prob)
{
	fault_set(point, "verbose", 0);
	fault_set(point, "interval", 1);
	fault_set(point, "times", prob == 100 ? 20 : -1);
	fault_set(point, "probability", prob);
}

static const char *const restore_points[] = {
	"fail_alloc", "fail_restore", "fail_restore_intr",
};

/* Restore by @way until it succeeds: every failure keeps the content. */
static int restore_by(int fd, uint32_t h, uint64_t n, char *map, int way,
		      int *failures)
{
	struct drm_bosh_bo_validate v = { .handle = h };
	char buf[BOSH_PAGE];
	uint64_t p;
	int tries, ret = 0;

	for (tries = 0; tries < 10000; tries++) {
		switch (way) {
		case 0:
			ret = bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v);
			break;
		case 1:
			for (p = 0, ret = 0; p < n && !ret; p++)
				ret = bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_RW,
					&(struct drm_bosh_bo_rw){ .handle = h,
					.op = BOSH_RW_READ, .offset = p * BOSH_PAGE,
					.size = BOSH_PAGE, .data = (uintptr_t)buf });
			break;
		default:
			/* CPU faults: a failed restore is a SIGBUS, retried. */
			for (p = 0, ret = 0; p < n && !ret; p++) {
				if (sigsetjmp(fault_jmp, 1))
					ret = -EFAULT;
				else
					(void)*(volatile char *)(map + p * BOSH_PAGE);
			}
			break;
		}
		if (!ret)
			return 0;
		if (ret != -ENOMEM && ret != -EIO && ret != -EINTR && ret != -EFAULT)
			return ret;
		(*failures)++;
	}
	return ret;
}

TEST_F(fault, matrix_every_way_in_rare_to_always)
{
	static const int probs[] = { 1, 10, 50, 100 };
	struct sigaction sa = { .sa_handler = fault_sigbus, .sa_flags = SA_NODEFER }, old;
	uint64_t n = 32, seed = self->seed;
	long berr = bosh_stat(0, "backup_errors_total");
	unsigned int pi, way, k;
	uint32_t key, h, gen = 0;
	int failures = 0;
	char *map;

	h = chunked_bo(_metadata, self->fd, n, seed, &key);
	map = bosh_mmap(self->fd, h, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	sigaction(SIGBUS, &sa, &old);
	for (pi = 0; pi < 4; pi++) {
		for (way = 0; way < 3; way++) {
			/* New content each round: an old copy cannot pass. */
			ASSERT_EQ(0, bosh_fill_bo(self->fd, h, n, seed, key, ++gen));
			/* Back up with backup/writeback failing, by shrink and evict. */
			ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", way == 1 ? "1" : "0"));
			fault_prob("fail_backup", probs[pi]);
			fault_prob("fail_writeback", probs[pi]);
			bosh_debugfs_write(0, "shrink", "16");
			bosh_debugfs_write(0, "evict", "1");
			fault_disarm("fail_backup");
			fault_disarm("fail_writeback");
			ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
			/* Restore with every restore point failing. */
			for (k = 0; k < 3; k++)
				fault_prob(restore_points[k], probs[pi]);
			EXPECT_EQ(0, restore_by(self->fd, h, n, map, way, &failures))
				TH_LOG("probability %d way %u", probs[pi], way);
			for (k = 0; k < 3; k++)
				fault_disarm(restore_points[k]);
			EXPECT_EQ(0, bosh_pattern_check(map, n, seed, key, gen))
				TH_LOG("probability %d way %u gen %u", probs[pi], way, gen);
		}
	}
	sigaction(SIGBUS, &old, NULL);
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	TH_LOG("%d injected restore failures, %ld backup errors", failures,
	       bosh_stat(0, "backup_errors_total") - berr);
	EXPECT_LT(0, failures);
	if (fault_point_applies("fail_backup")) {
		EXPECT_LT(berr, bosh_stat(0, "backup_errors_total"));
	} else {
		EXPECT_EQ(berr, bosh_stat(0, "backup_errors_total"));
	}
	munmap(map, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * The backup, restore and allocation functions are open to fail_function
 * and BPF. Arming fail_function itself is not done here: on a lockdep
 * kernel its kprobe handler calls should_fail_ex() -> get_random_u8()
 * from int3 (NMI) context, and lockdep rightly reports the
 * batched_entropy lock as {IN-NMI} (a core-kernel problem, not bosh's).
 */
TEST_F(fault, functions_are_error_injectable)
{
	static const char *const fns[] = {
		"bosh_backup_copy", "bosh_backup_read", "bosh_pages_alloc",
	};
	char line[256];
	unsigned int i, found = 0;
	FILE *f = fopen("/sys/kernel/debug/error_injection/list", "re");

	if (!f)
		SKIP(return, "no CONFIG_FUNCTION_ERROR_INJECTION");
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < 3; i++)
			/* "name [bosh]\tTYPE": %ps adds the module name. */
			if (!strncmp(line, fns[i], strlen(fns[i])) &&
			    (line[strlen(fns[i])] == ' ' || line[strlen(fns[i])] == '\t'))
				found |= 1U << i;
	fclose(f);
	EXPECT_EQ(7U, found);
}


TEST_F(fault, cpu_fault_restore_failure_sigbus_then_intact)
{
	uint64_t n = 8, seed = self->seed;
	struct sigaction sa = { .sa_handler = fault_sigbus }, old;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);
	volatile int sigbus = 0;
	char *map;

	map = bosh_mmap(self->fd, h, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, fault_arm("fail_restore", 1, 1));
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(fault_jmp, 1))
		sigbus = 1;
	else
		(void)*(volatile char *)(map + 3 * BOSH_PAGE);
	sigaction(SIGBUS, &old, NULL);
	fault_disarm("fail_restore");
	EXPECT_EQ(1, sigbus);
	EXPECT_EQ(0, bosh_pattern_check(map, n, seed, key, 0));
	munmap(map, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/*
 * The fail-nth file stays open, as syzkaller keeps it: closing it runs
 * code that may itself consume the armed failure.
 */
static int fail_nth_fd = -1;

static int fail_nth(int n)
{
	char path[64], val[16];
	int len;

	if (fail_nth_fd < 0) {
		snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
			 (long)syscall(SYS_gettid));
		fail_nth_fd = open(path, O_RDWR | O_CLOEXEC);
		if (fail_nth_fd < 0)
			return -errno;
	}
	len = snprintf(val, sizeof(val), "%d", n);
	return pwrite(fail_nth_fd, val, len, 0) == len ? 0 : -errno;
}

/*
 * Disarms fail-nth; returns true when the armed failure was injected.
 * A call may survive an injected failure (an allocation with a fallback,
 * such as kmemleak's object pool), so a sweep ends only when a call made
 * fewer fault-site checks than n, not at its first success.
 */
static bool fail_nth_fired(void)
{
	char val[16] = "";
	ssize_t len = pread(fail_nth_fd, val, sizeof(val) - 1, 0);

	fail_nth(0);
	return len > 0 && atoi(val) == 0;
}

/*
 * The end of a fail-nth sweep: some injected failures failed the call, and
 * the last call, which consumed no failure, succeeded.
 */
static void sweep_done(struct __test_metadata *_metadata, const char *what,
		       int nth, int failed, bool fired, int ret)
{
	bosh_core_faults_all_gfp(0);
	TH_LOG("%s: %d fault sites, %d of them failed the call", what, nth - 2, failed);
	EXPECT_LT(0, failed);
	EXPECT_FALSE(fired);
	EXPECT_EQ(0, ret);
}

/*
 * A call of a restoring sweep failed at step @nth: only for the failure
 * injected there, and with a restore's errno.
 */
static void sweep_failed(struct __test_metadata *_metadata, int nth, int ret,
			 bool fired, int *failed)
{
	(*failed)++;
	EXPECT_TRUE(fired) TH_LOG("nth %d: %d with no injected failure", nth, ret);
	EXPECT_TRUE(ret == -ENOMEM || ret == -EIO || ret == -EINTR)
		TH_LOG("nth %d: %d", nth, ret);
}

TEST_F(fault, fail_nth_sweep_create)
{
	long bos = bosh_stat(0, "bos");
	int n, ret = -1, failed = 0;
	bool fired = true;
	uint32_t h;

	bosh_core_faults_all_gfp(1);
	for (n = 1; n < 1000 && fired; n++) {
		ASSERT_EQ(0, fail_nth(n));
		ret = bosh_create(self->fd, 64 * BOSH_PAGE, &h);
		fired = fail_nth_fired();
		if (!ret) {
			/* Survived (or not hit): a whole BO, closed again. */
			EXPECT_EQ(bos + 1, bosh_stat(0, "bos"));
			EXPECT_EQ(0, bosh_close_bo(self->fd, h));
			continue;
		}
		failed++;
		EXPECT_TRUE(fired) TH_LOG("nth %d: %d with no injected failure", n, ret);
		EXPECT_EQ(-ENOMEM, ret) TH_LOG("nth %d: %d", n, ret);
		EXPECT_EQ(bos, bosh_stat(0, "bos"));
	}
	sweep_done(_metadata, "create", n, failed, fired, ret);
	EXPECT_EQ(bos, bosh_stat(0, "bos"));
}

/*
 * One fail-nth sweep of a CPU fault on page 5 of @h, mapped afresh at a
 * 2 MiB region of its own at each step (the @first-th and on above
 * @base: a table freed with its mapping is not freed at once, so no
 * region is used twice), backed up whole first. With @warm, an anonymous page at the region's end is touched
 * first, so the page table is there before the fault; without it, the
 * fault allocates the table. Checks that SIGBUS comes only where a
 * failure was injected and that the page then reads back right; returns
 * the SIGBUS count and sets *@sites to the number of failure sites.
 */
static int sweep_mmap_fault(struct __test_metadata *_metadata, int fd, uint32_t h,
			    uint64_t offset, uintptr_t base, uint64_t seed, uint32_t key,
			    int first, bool warm, int *sites)
{
	const uintptr_t region = 2UL << 20;
	const uint64_t n = 16;
	struct sigaction sa = { .sa_handler = fault_sigbus }, old;
	volatile int sigbus;
	bool fired = true;
	int nth, ret, failed = 0;
	char *map, *anchor;

	sigaction(SIGBUS, &sa, &old);
	for (nth = 1; nth < 400 && fired; nth++) {
		uintptr_t at = base + (first + nth) * region;

		EXPECT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
		map = mmap((void *)at, n * BOSH_PAGE, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_FIXED, fd, offset);
		EXPECT_EQ((void *)at, map);
		anchor = mmap((void *)(at + region - BOSH_PAGE), BOSH_PAGE,
			      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			      -1, 0);
		EXPECT_EQ((void *)(at + region - BOSH_PAGE), anchor);
		if (map != (void *)at || anchor == MAP_FAILED)
			break;
		if (warm)
			*(volatile char *)anchor = 1;
		sigbus = 0;
		bosh_core_faults_all_gfp(1);
		ret = fail_nth(nth);
		EXPECT_EQ(0, ret) TH_LOG("fail-nth %d not armed", nth);
		if (ret) {
			bosh_core_faults_all_gfp(0);
			break;
		}
		if (sigsetjmp(fault_jmp, 1))
			sigbus = 1;
		else
			(void)*(volatile char *)(map + 5 * BOSH_PAGE);
		fired = fail_nth_fired();
		bosh_core_faults_all_gfp(0);
		if (sigbus) {
			failed++;
			EXPECT_TRUE(fired) TH_LOG("nth %d: SIGBUS with no injected failure", nth);
		}
		EXPECT_EQ(0, bosh_pattern_check_at(map + 5 * BOSH_PAGE, 5, 1, seed, key, 0))
			TH_LOG("nth %d", nth);
		munmap(anchor, BOSH_PAGE);
		munmap(map, n * BOSH_PAGE);
	}
	sigaction(SIGBUS, &old, NULL);
	EXPECT_FALSE(fired);
	*sites = nth - 2;
	return failed;
}

/*
 * A CPU fault under fail-nth: a failure on the fault's way (the restore's
 * page, the store's read, the page table vmf_insert_pfn() allocates)
 * gives SIGBUS only where one was injected, and the page then reads back
 * right. The sweep runs twice: with the page table already there, then
 * with the fault allocating it. The second meets more failure sites:
 * the core mm's preallocated table, whose failure is a VM_FAULT_OOM that
 * the core retries on its own ("VM_FAULT_OOM leaked out" in the log),
 * and vmf_insert_pfn()'s table (the page and, on the debug kernel, its
 * split page-table lock), whose VM_FAULT_OOM bosh turns into SIGBUS
 * (VM_FAULT_OOM would send the OOM killer after somebody else). So the
 * second sweep has more SIGBUS than the first: left to the core, those
 * failures would be retried too, and the counts would be equal.
 */
TEST_F(fault, fail_nth_sweep_mmap_fault)
{
	const uintptr_t gib = 1UL << 30;
	uint64_t n = 16, seed = self->seed;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);
	struct drm_bosh_bo_mmap_offset o = { .handle = h };
	int warm, cold, warm_sites, cold_sites;
	uintptr_t base;
	char *res;

	ASSERT_EQ(0, bosh_ioctl(self->fd, DRM_IOCTL_BOSH_BO_MMAP_OFFSET, &o));
	res = mmap(NULL, 4 * gib, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	base = ((uintptr_t)res + gib - 1) & ~(gib - 1);
	/* An anchor page keeps the levels above the page tables in place. */
	ASSERT_EQ((void *)base, mmap((void *)base, BOSH_PAGE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	*(volatile char *)base = 1;
	/* 4 GiB from a 1 GiB boundary on: 3 GiB, 1536 regions, 400 a sweep. */
	warm = sweep_mmap_fault(_metadata, self->fd, h, o.offset, base, seed, key,
				0, true, &warm_sites);
	cold = sweep_mmap_fault(_metadata, self->fd, h, o.offset, base, seed, key,
				400, false, &cold_sites);
	TH_LOG("mmap fault: page table there: %d fault sites, %d gave SIGBUS; "
	       "page table allocated: %d sites, %d gave SIGBUS", warm_sites, warm,
	       cold_sites, cold);
	EXPECT_LT(0, warm);
	EXPECT_LT(warm, cold) TH_LOG("vmf_insert_pfn()'s failures must be SIGBUS");
	munmap(res, 4 * gib);
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

TEST_F(fault, fail_nth_sweep_validate_and_rw)
{
	static char rw_buf[16 * BOSH_PAGE];
	uint64_t n = 16, seed = self->seed;
	uint32_t key, h = chunked_bo(_metadata, self->fd, n, seed, &key);
	int nth, ret = -1, failed = 0;
	bool fired = true;

	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	bosh_core_faults_all_gfp(1);
	for (nth = 1; nth < 2000 && fired; nth++) {
		ASSERT_EQ(0, fail_nth(nth));
		ret = bosh_ioctl_once(self->fd, DRM_IOCTL_BOSH_BO_VALIDATE,
				      &(struct drm_bosh_bo_validate){ .handle = h });
		fired = fail_nth_fired();
		if (ret)
			sweep_failed(_metadata, nth, ret, fired, &failed);
		/* Back to fully backed up for the next step of the sweep. */
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	}
	sweep_done(_metadata, "validate", nth, failed, fired, ret);

	/*
	 * The same sweep through BO_RW: a read of the whole BO, from fully
	 * backed up each time. A read that succeeds, failures injected on
	 * its way or not, read every page right.
	 */
	failed = 0;
	fired = true;
	ret = -1;
	bosh_core_faults_all_gfp(1);
	for (nth = 1; nth < 2000 && fired; nth++) {
		memset(rw_buf, 0, sizeof(rw_buf));
		ASSERT_EQ(0, fail_nth(nth));
		ret = bosh_ioctl_once(self->fd, DRM_IOCTL_BOSH_BO_RW,
				      &(struct drm_bosh_bo_rw){
					.handle = h, .op = BOSH_RW_READ,
					.size = n * BOSH_PAGE,
					.data = (uintptr_t)rw_buf });
		fired = fail_nth_fired();
		if (ret) {
			sweep_failed(_metadata, nth, ret, fired, &failed);
		} else {
			EXPECT_EQ(0, bosh_pattern_check(rw_buf, n, seed, key, 0))
				TH_LOG("nth %d: a read that succeeded (seed %llu)", nth,
				       (unsigned long long)seed);
		}
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	}
	sweep_done(_metadata, "rw", nth, failed, fired, ret);
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* Every allocation on the import path fails in turn; each unwinds the pin. */
TEST_F(fault, fail_nth_sweep_foreign_import)
{
	uint64_t n = 16, seed = self->seed;
	long pinned = bosh_stat(0, "pages_pinned");
	int other = bosh_open(1), dmabuf, nth, ret = -1, failed = 0;
	struct drm_prime_handle p = { 0 };
	bool fired = true;
	uint32_t key, h;

	if (other < 0)
		SKIP(return, "needs a second device (modprobe bosh devices=2)");
	h = chunked_bo(_metadata, self->fd, n, seed, &key);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	dmabuf = bosh_export(self->fd, h);
	ASSERT_LE(0, dmabuf);
	bosh_core_faults_all_gfp(1);
	for (nth = 1; nth < 2000 && fired; nth++) {
		p.fd = dmabuf;
		ASSERT_EQ(0, fail_nth(nth));
		ret = bosh_ioctl_once(other, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);
		fired = fail_nth_fired();
		if (!ret) {
			/* Survived (or not hit): pinned, intact, then detached. */
			EXPECT_EQ(pinned + (long)n, bosh_stat(0, "pages_pinned"));
			EXPECT_EQ(0, bosh_check_bo(other, p.handle, n, seed, key, 0));
			EXPECT_EQ(0, bosh_close_bo(other, p.handle));
		} else {
			failed++;
			EXPECT_TRUE(fired) TH_LOG("nth %d: %d with no injected failure", nth, ret);
			EXPECT_TRUE(ret == -ENOMEM || ret == -EIO || ret == -EINTR)
				TH_LOG("nth %d: %d", nth, ret);
		}
		EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned")) TH_LOG("nth %d", nth);
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	}
	sweep_done(_metadata, "import", nth, failed, fired, ret);
	close(dmabuf);
	close(other);
	EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned"));
	EXPECT_EQ(0, bosh_check_bo(self->fd, h, n, seed, key, 0));
	EXPECT_EQ(0, bosh_close_bo(self->fd, h));
}

/* ---- a campaign: at least 10,000 injected faults, no byte lost ---- */

#define CAMPAIGN_BOS	16
#define CAMPAIGN_PAGES	16
#define CAMPAIGN_FAULTS	10000
#define CAMPAIGN_TIMES	1000000

static long fault_get(const char *point, const char *knob)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), FAULT_DIR "/%s/%s", point, knob);
	return bosh_read_long(path);
}

/* Faults each point injected since it was armed with CAMPAIGN_TIMES. */
static long campaign_injected(long *per_point)
{
	long sum = 0;
	unsigned int i;

	for (i = 0; i < sizeof(fault_points) / sizeof(fault_points[0]); i++) {
		per_point[i] = CAMPAIGN_TIMES - fault_get(fault_points[i], "times");
		sum += per_point[i];
	}
	return sum;
}

/* Bad pages of a read of a whole campaign BO, each page at its generation. */
static uint64_t campaign_check(const char *buf, uint64_t seed, uint32_t key,
			       const uint32_t *gen)
{
	uint64_t p, bad = 0;

	for (p = 0; p < CAMPAIGN_PAGES; p++)
		bad += bosh_pattern_check_at(buf + p * BOSH_PAGE, p, 1, seed, key, gen[p]);
	return bad;
}

/*
 * Every point armed at once, at 30 % (fail_alloc at 10 %), while BOs are
 * evicted (with and without writeback), validated, read back and
 * rewritten page by page with a new generation, until the points have
 * injected at least 10,000 faults, each point some. Each failing call
 * returns a documented errno and a failed one-page write leaves the page
 * as it was; each read that succeeds matches the pattern of every page's
 * last generation; after injection stops, every BO reads back exactly.
 */
TEST_F_TIMEOUT(fault, campaign_10k_faults, 1200)
{
	static char buf[CAMPAIGN_PAGES * BOSH_PAGE];
	static uint32_t gen[CAMPAIGN_BOS][CAMPAIGN_PAGES];
	static const int prob[] = { 10, 30, 30, 30, 30 };
	uint64_t seed = self->seed, bytes = 0, bad = 0, writes = 0;
	long per_point[5] = { 0 }, injected = 0;
	uint32_t h[CAMPAIGN_BOS], key[CAMPAIGN_BOS];
	unsigned int i;
	long round;
	int ret;

	for (i = 0; i < CAMPAIGN_BOS; i++)
		h[i] = chunked_bo(_metadata, self->fd, CAMPAIGN_PAGES, seed, &key[i]);
	for (i = 0; i < sizeof(fault_points) / sizeof(fault_points[0]); i++) {
		ASSERT_EQ(0, fault_set(fault_points[i], "verbose", 0));
		ASSERT_EQ(0, fault_set(fault_points[i], "interval", 1));
		ASSERT_EQ(0, fault_set(fault_points[i], "times", CAMPAIGN_TIMES));
		ASSERT_EQ(0, fault_set(fault_points[i], "probability", prob[i]));
	}
	for (round = 0; round < 200000 && injected < CAMPAIGN_FAULTS; round++) {
		unsigned int b = round % CAMPAIGN_BOS, p = (round / 4) % CAMPAIGN_PAGES;

		switch (round % 4) {
		case 0:
			/* Writeback in every other stretch of 96 rounds. */
			if (round % 96 == 0)
				bosh_sysfs_write(0, "writeback", round % 192 ? "1" : "0");
			ret = bosh_debugfs_write(0, "evict", "1");
			EXPECT_TRUE(!ret || ret == -ENOMEM || ret == -EIO)
				TH_LOG("evict: %d", ret);
			break;
		case 1:
			ret = bosh_validate(self->fd, h[b]);
			EXPECT_TRUE(!ret || ret == -ENOMEM || ret == -EIO)
				TH_LOG("validate: %d", ret);
			break;
		case 2:
			/* One page, so a failure leaves all of it as it was. */
			bosh_pattern_page(buf, seed, key[b], p, gen[b][p] + 1);
			ret = bosh_rw(self->fd, h[b], BOSH_RW_WRITE, p * BOSH_PAGE,
				      BOSH_PAGE, buf);
			EXPECT_TRUE(!ret || ret == -ENOMEM || ret == -EIO)
				TH_LOG("write: %d", ret);
			if (!ret) {
				gen[b][p]++;
				writes++;
			}
			break;
		default:
			ret = bosh_rw(self->fd, h[b], BOSH_RW_READ, 0, sizeof(buf), buf);
			EXPECT_TRUE(!ret || ret == -ENOMEM || ret == -EIO)
				TH_LOG("read: %d", ret);
			if (!ret) {
				bad += campaign_check(buf, seed, key[b], gen[b]);
				bytes += sizeof(buf);
			}
		}
		if (round % 64 == 63)
			injected = campaign_injected(per_point);
	}
	injected = campaign_injected(per_point);
	for (i = 0; i < sizeof(fault_points) / sizeof(fault_points[0]); i++)
		fault_disarm(fault_points[i]);
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));

	for (i = 0; i < CAMPAIGN_BOS; i++) {
		ASSERT_EQ(0, bosh_rw(self->fd, h[i], BOSH_RW_READ, 0, sizeof(buf), buf));
		bad += campaign_check(buf, seed, key[i], gen[i]);
		bytes += sizeof(buf);
		EXPECT_EQ(0, bosh_close_bo(self->fd, h[i]));
	}
	TH_LOG("%ld faults in %ld rounds: alloc %ld, backup %ld, writeback %ld, restore %ld, restore_intr %ld; %llu page writes, %llu bytes checked, %llu bad pages (seed %llu)",
	       injected, round, per_point[0], per_point[1], per_point[2], per_point[3],
	       per_point[4], (unsigned long long)writes, (unsigned long long)bytes,
	       (unsigned long long)bad, (unsigned long long)seed);
	EXPECT_LE(CAMPAIGN_FAULTS, injected);
	for (i = 0; i < sizeof(fault_points) / sizeof(fault_points[0]); i++) {
		const char *point = fault_points[i];

		/* A point without a site in the model is never even consulted. */
		if (fault_point_applies(point)) {
			EXPECT_LT(0, per_point[i]) TH_LOG("%s never fired", point);
		} else {
			EXPECT_EQ(0, per_point[i]) TH_LOG("%s fired", point);
		}
	}
	EXPECT_LT(0, writes);
	EXPECT_EQ(0, bad);
}

/* ---- a fail-nth sweep over every ioctl that takes a BO ---- */

#define SWEEP_PAGES	8

static uint64_t sweep_seed;
/* The key of the BO under test: each sweep step's BO has its own. */
static uint32_t sweep_key;

static int sweep_rw(int fd, uint32_t h, int op)
{
	static char buf[SWEEP_PAGES * BOSH_PAGE];
	struct drm_bosh_bo_rw rw = {
		.handle = h, .op = op, .size = sizeof(buf), .data = (uintptr_t)buf,
	};

	/* A write puts back the content the BO already has. */
	if (op == BOSH_RW_WRITE)
		bosh_pattern_fill(buf, SWEEP_PAGES, sweep_seed, sweep_key, 0);
	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_RW, &rw);
}

static int sweep_read(int fd, uint32_t h) { return sweep_rw(fd, h, BOSH_RW_READ); }
static int sweep_write(int fd, uint32_t h) { return sweep_rw(fd, h, BOSH_RW_WRITE); }

static int sweep_mmap_offset(int fd, uint32_t h)
{
	struct drm_bosh_bo_mmap_offset o = { .handle = h };

	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_MMAP_OFFSET, &o);
}

static int sweep_validate(int fd, uint32_t h)
{
	struct drm_bosh_bo_validate v = { .handle = h };

	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v);
}

static int sweep_madvise(int fd, uint32_t h)
{
	struct drm_bosh_bo_madvise m = { .handle = h, .madv = BOSH_MADV_WILLNEED };

	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_MADVISE, &m);
}

static int sweep_pin(int fd, uint32_t h)
{
	struct drm_bosh_bo_pin p = { .handle = h, .op = BOSH_PIN };

	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_PIN, &p);
}

static int sweep_busy(int fd, uint32_t h)
{
	struct drm_bosh_bo_busy b = { .handle = h, .usecs = 1 };

	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_BUSY, &b);
}

static int sweep_info(int fd, uint32_t h)
{
	struct drm_bosh_bo_info i = { .handle = h };

	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_INFO, &i);
}

static int sweep_export(int fd, uint32_t h)
{
	struct drm_prime_handle p = { .handle = h, .flags = DRM_CLOEXEC, .fd = -1 };
	int ret = bosh_ioctl_once(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	if (!ret)
		close(p.fd);
	return ret;
}

static int sweep_close(int fd, uint32_t h)
{
	struct drm_gem_close c = { .handle = h };

	return bosh_ioctl_once(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/*
 * Each call runs on a BO of its own, filled and backed up, so that
 * restores are on the path; the errnos are those bosh_drm.h documents
 * for the ioctl (and drm_prime.c for the export).
 */
static const struct sweep_op {
	const char *name;
	int (*call)(int fd, uint32_t h);
	int errs[4];
} sweep_ops[] = {
	{ "BO_MMAP_OFFSET", sweep_mmap_offset, { ENOMEM } },
	/* EFAULT: faulting in the user buffer allocates too. */
	{ "BO_RW read", sweep_read, { ENOMEM, EIO, EINTR, EFAULT } },
	{ "BO_RW write", sweep_write, { ENOMEM, EIO, EINTR, EFAULT } },
	{ "BO_VALIDATE", sweep_validate, { ENOMEM, EIO, EINTR } },
	{ "BO_MADVISE", sweep_madvise, { 0 } },
	{ "BO_PIN", sweep_pin, { ENOMEM, EIO, EINTR } },
	{ "BO_BUSY", sweep_busy, { ENOMEM, EINTR } },
	{ "BO_INFO", sweep_info, { 0 } },
	{ "PRIME_HANDLE_TO_FD", sweep_export, { ENOMEM, EMFILE } },
	{ "GEM_CLOSE", sweep_close, { 0 } },
};

static bool sweep_err_ok(const struct sweep_op *op, int ret)
{
	int i;

	for (i = 0; i < 4 && op->errs[i]; i++)
		if (ret == -op->errs[i])
			return true;
	return false;
}

/*
 * fail-nth over each ioctl, n = 1, 2, ... until the armed failure is no
 * longer consumed: a failing call returns one of its documented errnos and
 * leaves the BO's content, its pin state and the device's counters as they
 * were; the last call succeeds.
 */
TEST_F(fault, fail_nth_sweep_every_ioctl)
{
	long bos = bosh_stat(0, "bos"), pinned = bosh_stat(0, "pages_pinned");
	unsigned int k;

	sweep_seed = self->seed;
	for (k = 0; k < sizeof(sweep_ops) / sizeof(sweep_ops[0]); k++) {
		const struct sweep_op *op = &sweep_ops[k];
		int nth, ret = -1, failed = 0;
		bool fired = true;

		for (nth = 1; nth < 2000 && fired; nth++) {
			struct drm_bosh_bo_info info;
			uint32_t h;

			ASSERT_EQ(0, bosh_create(self->fd, SWEEP_PAGES * BOSH_PAGE, &h));
			sweep_key = bosh_key();
			ASSERT_EQ(0, bosh_fill_bo(self->fd, h, SWEEP_PAGES, sweep_seed, sweep_key, 0));
			ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
			bosh_core_faults_all_gfp(1);
			ASSERT_EQ(0, fail_nth(nth));
			ret = op->call(self->fd, h);
			fired = fail_nth_fired();
			bosh_core_faults_all_gfp(0);
			if (ret) {
				failed++;
				EXPECT_TRUE(fired) TH_LOG("%s nth %d: %d with no injected failure",
							  op->name, nth, ret);
				EXPECT_TRUE(sweep_err_ok(op, ret))
					TH_LOG("%s nth %d: %d is not documented", op->name, nth, ret);
			}
			if (op->call == sweep_close && !ret)
				continue;
			ASSERT_EQ(0, bosh_info(self->fd, h, &info));
			if (op->call == sweep_pin && !ret) {
				EXPECT_TRUE(info.flags & BOSH_BO_PINNED);
				EXPECT_EQ(0, bosh_pin(self->fd, h, BOSH_UNPIN));
			} else {
				EXPECT_FALSE(info.flags & BOSH_BO_PINNED)
					TH_LOG("%s nth %d: left pinned", op->name, nth);
			}
			EXPECT_EQ(0, bosh_check_bo(self->fd, h, SWEEP_PAGES, sweep_seed, sweep_key, 0))
				TH_LOG("%s nth %d: content changed", op->name, nth);
			EXPECT_EQ(0, bosh_close_bo(self->fd, h));
			EXPECT_EQ(pinned, bosh_stat(0, "pages_pinned"));
		}
		TH_LOG("%s: %d fault sites, %d of them failed the call", op->name, nth - 2, failed);
		EXPECT_FALSE(fired);
		EXPECT_EQ(0, ret) TH_LOG("%s: the last call failed", op->name);
		EXPECT_EQ(bos, bosh_stat(0, "bos"));
	}
}

TEST_HARNESS_MAIN
