// SPDX-License-Identifier: GPL-2.0
/*
 * Admission: a BO takes new pages only while what can be had covers them
 * with RAM/64 to spare, so a client's population fails with ENOMEM (or
 * SIGBUS in a fault) before anyone else meets the OOM killer. But a
 * restore from a store copy in RAM gives that copy back: it is admitted
 * under any pressure. Here the copies stay in RAM (writeback off, swap
 * off), a hog leaves MemAvailable below RAM/128, and every page of a
 * mapped, backed-up BO still comes back intact through faults; the first
 * touch of a never-populated BO under the same pressure is refused.
 *
 * Run as root in a guest with swap (the debug section of make check);
 * the test turns swap off and on again.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

#include "bosh_lib.h"
#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

static sigjmp_buf jmp;

static void on_sigbus(int sig)
{
	siglongjmp(jmp, 1);
}

/* Read a page through a mapping; 1 on SIGBUS, else whether it matched. */
static int touch_page(volatile char *p, const char *want, int *sigbus)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int same = 0;

	*sigbus = 0;
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(jmp, 1))
		*sigbus = 1;
	else
		same = !memcmp((const void *)p, want, BOSH_PAGE);
	sigaction(SIGBUS, &old, NULL);
	return same;
}

/*
 * A child that takes anonymous memory (no swap: it stays) until
 * MemAvailable is below @target_kib, says so on @ready, and waits to be
 * killed. Big steps first, populated by the kernel, then 1 MiB ones.
 */
static void hog(long target_kib, int ready)
{
	long step = 64 << 20;
	char c = 1;

	bosh_write_file("/proc/self/oom_score_adj", "1000");
	for (;;) {
		long avail = bosh_meminfo_kib("MemAvailable");

		if (avail < 0)
			_exit(2);
		if (avail < target_kib)
			break;
		if ((avail - target_kib) * 1024 < 4 * step && step > (1 << 20))
			step >>= 1;
		if (mmap(NULL, step, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) == MAP_FAILED)
			_exit(3);
	}
	if (write(ready, &c, 1) != 1)
		_exit(4);
	pause();
	_exit(0);
}

TEST(restore_from_ram_copies_admitted_when_memavailable_is_low)
{
	const uint64_t n = 1024;	/* 4 MiB */
	uint64_t seed = bosh_seed();
	uint32_t key = bosh_key(), h, fresh;
	long ram_kib = bosh_meminfo_kib("MemTotal"), avail = -1;
	char swaps[8][128], want[BOSH_PAGE], c;
	volatile char *map, *fresh_map;
	long sigbus = 0, bad = 0, refused, boost;
	int fd, nswaps, pfd[2], st, hit;
	struct drm_bosh_bo_info info;
	pid_t pid;
	uint64_t i;

	ASSERT_LT(0, ram_kib);
	fd = bosh_open(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "1"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	ASSERT_EQ(0, bosh_create(fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(fd, h, n, seed, key, 1));
	map = bosh_mmap(fd, h, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < n; i++)
		(void)map[i * BOSH_PAGE];
	ASSERT_EQ(0, bosh_create(fd, 16 * BOSH_PAGE, &fresh));
	fresh_map = bosh_mmap(fd, fresh, 16 * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, fresh_map);

	/*
	 * Watermark boosting (a fallback of an allocation to another
	 * migratetype raises the watermarks, up to 150 % of high) would keep
	 * free memory above MemAvailable's floor, and the hog would meet the
	 * OOM killer before MemAvailable gets low: off for this test, which
	 * make check runs first in its guest, before others fragment memory.
	 */
	boost = bosh_read_long("/proc/sys/vm/watermark_boost_factor");
	if (boost > 0)
		ASSERT_EQ(0, bosh_write_file("/proc/sys/vm/watermark_boost_factor", "0"));

	/* The BO's pages go to the store, whose copies stay in RAM. */
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	ASSERT_EQ(0, bosh_info(fd, h, &info));
	ASSERT_EQ(n, info.backed_up);
	nswaps = swaps_off(swaps);
	ASSERT_LE(0, nswaps);
	EXPECT_LE((long)n, bosh_stat(0, "store_unwritten"));

	ASSERT_EQ(0, pipe(pfd));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		hog(ram_kib / 128, pfd[1]);
	close(pfd[1]);
	if (read(pfd[0], &c, 1) == 1) {
		avail = bosh_meminfo_kib("MemAvailable");
		/* The control: a first touch is a new page, and is refused. */
		memset(want, 0, sizeof(want));
		touch_page(fresh_map, want, &hit);
		refused = hit;
		for (i = 0; i < n; i++) {
			bosh_pattern_page(want, seed, key, i, 1);
			if (!touch_page(map + i * BOSH_PAGE, want, &hit))
				bad++;
			sigbus += hit;
		}
	} else {
		refused = -1;
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(pfd[0]);
	EXPECT_EQ(0, swaps_on(swaps, nswaps));
	if (boost > 0) {
		char v[32];

		snprintf(v, sizeof(v), "%ld", boost);
		EXPECT_EQ(0, bosh_write_file("/proc/sys/vm/watermark_boost_factor", v));
	}

	TH_LOG("MemAvailable %ld KiB of %ld (RAM/64 is %ld): %ld SIGBUS, %ld bad of %llu pages; first touch %s",
	       avail, ram_kib, ram_kib / 64, sigbus, bad, (unsigned long long)n,
	       refused == 1 ? "refused" : refused ? "not reached" : "admitted");
	ASSERT_LT(0, avail) TH_LOG("the hog did not get there (exit status %d)", st);
	EXPECT_GT(ram_kib / 64, avail);
	EXPECT_EQ(0, sigbus);
	EXPECT_EQ(0, bad) TH_LOG("seed %llu", (unsigned long long)seed);
	EXPECT_EQ(1, refused);
	ASSERT_EQ(0, bosh_info(fd, h, &info));
	EXPECT_EQ(n, info.resident);
	EXPECT_EQ(0, bosh_check_bo(fd, h, n, seed, key, 1))
		TH_LOG("seed %llu", (unsigned long long)seed);
	munmap((void *)map, n * BOSH_PAGE);
	munmap((void *)fresh_map, 16 * BOSH_PAGE);
	EXPECT_EQ(0, bosh_close_bo(fd, h));
	EXPECT_EQ(0, bosh_close_bo(fd, fresh));
	close(fd);
}

TEST_HARNESS_MAIN
