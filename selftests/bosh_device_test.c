// SPDX-License-Identifier: GPL-2.0
/*
 * The device is there and its control surface has the documented names
 * and permissions: debugfs root-only, sysfs knobs writable by root only,
 * bad writes rejected without effect.
 */
#include "bosh_lib.h"
#include "kselftest_harness.h"

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

TEST_HARNESS_MAIN
