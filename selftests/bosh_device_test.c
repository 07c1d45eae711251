// SPDX-License-Identifier: GPL-2.0
/*
 * The device is there and its control surface has the documented names
 * and permissions: debugfs root-only, sysfs knobs writable by root only,
 * bad writes rejected without effect.
 */
#include "bosh_lib.h"
#include "kselftest_harness.h"

#define DRIVER_DIR	"/sys/bus/platform/drivers/bosh"

/* Under TCG, with KASAN, the harness default of 30 s is too short. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

static const char *const bosh_debugfs_files[] = {
	"stats", "objects", "shrink", "purge", "evict",
};

static const char *const bosh_stat_keys[] = {
	"bos", "pages_total", "pages_resident", "pages_backed_up",
	"pages_purgeable", "pages_shrinkable", "pages_pinned", "purged_total",
	"backed_up_total", "restored_total", "written_back_total",
	"scans_total", "scanned_total", "freed_total", "backup_errors_total",
	"restore_errors_total", "restore_interrupted_total",
	"skipped_busy_total", "skipped_locked_total", "pages_purgeable_backed_up",
	"scans_kswapd_total", "scans_direct_total", "scans_memcg_total",
	"scans_debugfs_total", "scans_shrinker_debug_total",
	"backup_slots_visited_total", "backup_pages_zapped_total",
};

static const char *const bosh_knobs[] = {
	"shrinker_enabled", "writeback", "swap_reserve_mb", "max_bo_mb",
	"max_pinned_mb",
};

TEST(render_node_is_bosh)
{
	int fd = bosh_open(0);

	ASSERT_GE(fd, 0);
	close(fd);
}

TEST(debugfs_dir_and_alias)
{
	struct stat a, b;

	ASSERT_EQ(0, stat("/sys/kernel/debug/dri/bosh.0", &a));
	ASSERT_EQ(0, stat(BOSH_DEBUGFS "/bosh.0", &b));
	ASSERT_TRUE(S_ISDIR(a.st_mode));
	EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(debugfs_files_root_only)
{
	char path[PATH_MAX];
	unsigned int i;
	struct stat st;

	for (i = 0; i < sizeof(bosh_debugfs_files) / sizeof(bosh_debugfs_files[0]); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.0/%s",
			 bosh_debugfs_files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s missing", path);
		EXPECT_EQ(0, st.st_mode & 077) TH_LOG("%s mode %o", path, st.st_mode);
		EXPECT_EQ(0, st.st_uid);
	}
}

TEST(stats_has_every_key)
{
	unsigned int i;

	for (i = 0; i < sizeof(bosh_stat_keys) / sizeof(bosh_stat_keys[0]); i++)
		EXPECT_LE(0, bosh_stat(0, bosh_stat_keys[i]))
			TH_LOG("stats key %s missing", bosh_stat_keys[i]);
}

TEST(sysfs_knobs_root_writable_only)
{
	char path[PATH_MAX];
	unsigned int i;
	struct stat st;

	for (i = 0; i < sizeof(bosh_knobs) / sizeof(bosh_knobs[0]); i++) {
		ASSERT_EQ(0, bosh_sysfs_path(0, bosh_knobs[i], path, sizeof(path)))
			TH_LOG("%s missing", bosh_knobs[i]);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(0, st.st_mode & 022) TH_LOG("%s mode %o", path, st.st_mode);
		EXPECT_EQ(0200, st.st_mode & 0200);
	}
	EXPECT_EQ(128, bosh_sysfs_read(0, "swap_reserve_mb"));
	EXPECT_EQ(1, bosh_sysfs_read(0, "shrinker_enabled"));
}

TEST(sysfs_bad_writes_rejected)
{
	/* A zero-length write never reaches a sysfs store: not tested. */
	static const char *const bad[] = { "x", "-1", "2", "1x", "99999999999999999999" };
	unsigned int i;
	long before = bosh_sysfs_read(0, "shrinker_enabled");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, bosh_sysfs_write(0, "shrinker_enabled", bad[i]))
			TH_LOG("value '%s' accepted", bad[i]);
		EXPECT_EQ(-EINVAL, bosh_sysfs_write(0, "writeback", bad[i]));
	}
	EXPECT_EQ(-EINVAL, bosh_sysfs_write(0, "max_bo_mb", "0"));
	EXPECT_EQ(-EINVAL, bosh_sysfs_write(0, "swap_reserve_mb", "-5"));
	EXPECT_EQ(before, bosh_sysfs_read(0, "shrinker_enabled"));
	EXPECT_EQ(128, bosh_sysfs_read(0, "swap_reserve_mb"));
}

TEST(debugfs_bad_writes_rejected)
{
	static const char *const bad[] = { "x", "-1", "1x", "", "99999999999999999999999" };
	long scans = bosh_stat(0, "scans_total");
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, bosh_debugfs_write(0, "shrink", bad[i]))
			TH_LOG("shrink '%s' accepted", bad[i]);
		EXPECT_EQ(-EINVAL, bosh_debugfs_write(0, "purge", bad[i]));
		EXPECT_EQ(-EINVAL, bosh_debugfs_write(0, "evict", bad[i]));
	}
	EXPECT_EQ(-EINVAL, bosh_debugfs_write(0, "shrink", "0"));
	EXPECT_EQ(-EINVAL, bosh_debugfs_write(0, "purge", "2"));
	EXPECT_EQ(-EINVAL, bosh_debugfs_write(0, "evict", "0"));
	EXPECT_EQ(scans, bosh_stat(0, "scans_total"));
}

/* The line of objects whose size is @size: 1 if found, 0 if not, -1 on error. */
static int bosh_objects_line(uint64_t size, uint64_t *resident, uint64_t *backed_up,
			     char *madv, unsigned int *pinned)
{
	FILE *f = fopen("/sys/kernel/debug/dri/bosh.0/objects", "re");
	char line[256], m[16];
	unsigned long long sz, res, bak, vram;
	unsigned int id, pin;
	int busy, found = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    strcmp(line, "id size resident backed_up madv pinned busy vram\n")) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		/* A device without VRAM has no BO in it: the column reads 0. */
		if (sscanf(line, "%u %llu %llu %llu %15s %u %d %llu", &id, &sz, &res, &bak, m,
			   &pin, &busy, &vram) != 8 || vram) {
			found = -1;
			break;
		}
		if (sz != size)
			continue;
		found++;
		*resident = res;
		*backed_up = bak;
		*pinned = pin;
		strcpy(madv, m);
	}
	fclose(f);
	return found;
}

/*
 * debugfs objects lists every BO once with its state, the same figures
 * BO_INFO gives: one pinned and resident, one backed up and DONTNEED, one
 * purged; a closed BO leaves the list. Sizes (3, 5, 7 pages) tell them
 * apart.
 */
TEST(objects_lists_each_bo_with_its_state)
{
	static const char *const want_madv[3] = { "willneed", "dontneed", "purged" };
	static const unsigned int want_pinned[3] = { 1, 0, 0 };
	struct drm_bosh_bo_info info;
	uint64_t res, bak, seed = bosh_seed();
	unsigned int i, pinned;
	uint32_t h[3];
	char madv[16];
	int fd = bosh_open(0);

	ASSERT_GE(fd, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, bosh_create(fd, (3 + 2 * i) * BOSH_PAGE, &h[i]));
		ASSERT_EQ(0, bosh_fill_bo(fd, h[i], 3 + 2 * i, seed, bosh_key(), 1));
	}
	ASSERT_EQ(0, bosh_pin(fd, h[0], BOSH_PIN));
	ASSERT_EQ(0, bosh_madvise(fd, h[2], BOSH_MADV_DONTNEED, NULL));
	ASSERT_EQ(0, bosh_debugfs_write(0, "purge", "1"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_madvise(fd, h[1], BOSH_MADV_DONTNEED, NULL));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, bosh_objects_line((3 + 2 * i) * BOSH_PAGE, &res, &bak, madv,
					       &pinned)) TH_LOG("BO of %u pages", 3 + 2 * i);
		EXPECT_STREQ(want_madv[i], madv);
		EXPECT_EQ(want_pinned[i], pinned);
		ASSERT_EQ(0, bosh_info(fd, h[i], &info));
		EXPECT_EQ(info.resident, res);
		EXPECT_EQ(info.backed_up, bak);
	}
	/* The pinned one stayed resident, the other went to the store. */
	EXPECT_EQ(3, bosh_objects_line(3 * BOSH_PAGE, &res, &bak, madv, &pinned) ? res : 0);
	EXPECT_EQ(5, bosh_objects_line(5 * BOSH_PAGE, &res, &bak, madv, &pinned) ? bak : 0);
	ASSERT_EQ(0, bosh_pin(fd, h[0], BOSH_UNPIN));
	close(fd);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, bosh_objects_line((3 + 2 * i) * BOSH_PAGE, &res, &bak, madv,
					       &pinned)) TH_LOG("closed BO still listed");
}

/*
 * The device can go with a BO still alive, and the BO's own reference to
 * it can be the last one: files, mappings and dma-bufs each hold the
 * device, so here the test hooks' test_hold_lock holds the BO (a scan's
 * deferred put would too). bosh.1's file is closed, bosh.1 unbound, and
 * the hold let go: the BO's free is then the device's release, and
 * nothing may touch the device after it (KASAN in the debug guest).
 * bosh.1 is bound again.
 */
TEST(unplug_with_a_bo_freed_last)
{
	const uint64_t n = 17;	/* a size no other BO of bosh.1 has */
	uint64_t seed = bosh_seed();
	uint32_t h, key = bosh_key();
	char id[32];
	long bo_id;
	int fd;

	if (access("/sys/kernel/debug/dri/bosh.0/test_hold_lock", W_OK))
		SKIP(return, "no test hooks in this module");
	fd = bosh_open(1);
	if (fd < 0)
		SKIP(return, "needs a second device (devices=2)");
	ASSERT_EQ(0, bosh_create(fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(fd, h, n, seed, key, 1));
	bo_id = bosh_object_id(1, n * BOSH_PAGE);
	ASSERT_LT(0, bo_id);
	snprintf(id, sizeof(id), "%ld", bo_id);
	ASSERT_EQ(0, bosh_debugfs_write(1, "test_hold_lock", id));
	close(fd);
	EXPECT_EQ(0, bosh_write_file(DRIVER_DIR "/unbind", "bosh.1"));
	/* The hold is the hooks' one: bosh.0's file lets it go. */
	ASSERT_EQ(0, bosh_debugfs_write(0, "test_hold_lock", "0"));
	ASSERT_EQ(0, bosh_write_file(DRIVER_DIR "/bind", "bosh.1"));
	fd = bosh_open(1);
	ASSERT_LE(0, fd) TH_LOG("bosh.1 did not come back");
	EXPECT_EQ(0, bosh_stat(1, "bos"));
	close(fd);
}

TEST_HARNESS_MAIN
