// SPDX-License-Identifier: GPL-2.0
/*
 * The backup store when shmem hands out huge folios: with
 * /sys/kernel/mm/transparent_hugepage/shmem_enabled at always,
 * within_size or force, BO content survives backup and restore, with
 * and without writeback, and the store costs what it costs with small
 * pages: no page goes to swap but the ones bosh wrote back, nothing is
 * read back from swap while backing up, the store keeps no huge folio,
 * and nothing is left in RAM or swap once every BO is closed.
 *
 * Skips where the kernel has no shmem THP (the debug kernel) or no
 * vmstat event counters.
 */
#include "bosh_lib.h"
#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

#define SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HPAGE_PAGES	512
/* Pages the rest of the guest may swap or allocate meanwhile. */
#define SLACK_PAGES	64
/* Swap slots each CPU's slot cache may hold: used, though no page is there. */
#define SWAP_SLOTS_CACHE	64

static long vmstat(const char *key)
{
	return bosh_vmstat(key);
}

static long meminfo_pages(const char *key)
{
	long kb = bosh_meminfo_kib(key);

	return kb < 0 ? kb : kb / 4;
}

/* The bracketed word of shmem_enabled, e.g. "never". */
static int shmem_enabled_read(char *mode, size_t len)
{
	char buf[256], *l, *r;
	FILE *f = fopen(SHMEM_ENABLED, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return -EINVAL;
	*r = 0;
	snprintf(mode, len, "%s", l + 1);
	return 0;
}

struct costs {
	long thp_alloc, thp_fallback, thp_split, pswpout, pswpin;
	long backed_up, written, restored;
	long shmem, shmem_huge, swap_used;
};

static void costs_read(struct costs *c)
{
	c->thp_alloc = vmstat("thp_file_alloc");
	c->thp_fallback = vmstat("thp_file_fallback");
	c->thp_split = vmstat("thp_split_page");
	c->pswpout = vmstat("pswpout");
	c->pswpin = vmstat("pswpin");
	c->backed_up = bosh_stat(0, "backed_up_total");
	c->written = bosh_stat(0, "written_back_total");
	c->restored = bosh_stat(0, "restored_total");
	c->shmem = meminfo_pages("Shmem");
	c->shmem_huge = meminfo_pages("ShmemHugePages");
	c->swap_used = meminfo_pages("SwapTotal") - meminfo_pages("SwapFree");
}

static void costs_sub(struct costs *d, const struct costs *a, const struct costs *b)
{
	d->thp_alloc = a->thp_alloc - b->thp_alloc;
	d->thp_fallback = a->thp_fallback - b->thp_fallback;
	d->thp_split = a->thp_split - b->thp_split;
	d->pswpout = a->pswpout - b->pswpout;
	d->pswpin = a->pswpin - b->pswpin;
	d->backed_up = a->backed_up - b->backed_up;
	d->written = a->written - b->written;
	d->restored = a->restored - b->restored;
	d->shmem = a->shmem - b->shmem;
	d->shmem_huge = a->shmem_huge - b->shmem_huge;
	d->swap_used = a->swap_used - b->swap_used;
}

static void costs_log(const char *mode, int writeback, const char *phase,
		      const struct costs *d)
{
	printf("# %s wb=%d %-7s backed_up %ld written %ld restored %ld | thp_file_alloc %ld fallback %ld thp_split %ld pswpout %ld pswpin %ld | shmem %+ld huge %+ld swap_used %+ld pages\n",
	       mode, writeback, phase, d->backed_up, d->written, d->restored,
	       d->thp_alloc, d->thp_fallback, d->thp_split, d->pswpout,
	       d->pswpin, d->shmem, d->shmem_huge, d->swap_used);
}

/* Drop clean page cache, so only pages that hold data (or leak) count. */
static void drop_caches(void)
{
	sync();
	bosh_write_file("/proc/sys/vm/drop_caches", "1");
}

FIXTURE(thp) {
	int fd;
	uint64_t seed;
	char saved[32];
};

FIXTURE_VARIANT(thp) {
	const char *mode;
};

FIXTURE_VARIANT_ADD(thp, always) {
	.mode = "always",
};

FIXTURE_VARIANT_ADD(thp, within_size) {
	.mode = "within_size",
};

FIXTURE_VARIANT_ADD(thp, force) {
	.mode = "force",
};

FIXTURE_SETUP(thp)
{
	static const char * const keys[] = {
		"thp_file_alloc", "thp_file_fallback", "thp_split_page",
		"pswpout", "pswpin",
	};
	int err;
	size_t i;

	if (access(SHMEM_ENABLED, F_OK))
		SKIP(return, "no %s (kernel without THP)", SHMEM_ENABLED);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (vmstat(keys[i]) < 0)
			SKIP(return, "no %s in /proc/vmstat", keys[i]);
	self->fd = bosh_open(0);
	ASSERT_GE(self->fd, 0);
	self->seed = bosh_seed();
	ASSERT_EQ(0, shmem_enabled_read(self->saved, sizeof(self->saved)));
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "1"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	err = bosh_write_file(SHMEM_ENABLED, variant->mode);
	if (err == -EINVAL)
		SKIP(return, "shmem_enabled refuses %s", variant->mode);
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(thp)
{
	EXPECT_EQ(0, bosh_write_file(SHMEM_ENABLED, self->saved));
	bosh_sysfs_write(0, "writeback", "0");
	close(self->fd);
}

/*
 * BOs of odd sizes, so store ranges start and end inside 2 MiB
 * blocks: a first backup lands mid-block and a BO shares a block with
 * its neighbours.
 */
static const uint64_t bo_pages[] = { 3, 1500, 700, 1029 };
#define NR_BOS ARRAY_SIZE(bo_pages)

static void round_trip(struct __test_metadata *_metadata, FIXTURE_DATA(thp) *self,
		       const char *mode, int writeback)
{
	long slack = SLACK_PAGES + SWAP_SLOTS_CACHE * sysconf(_SC_NPROCESSORS_ONLN);
	struct costs base, evicted, restored, closed, d;
	uint32_t h[NR_BOS], gen = 1 + writeback;
	uint64_t total = 0, bad = 0, blocks;
	size_t i;

	if (writeback && meminfo_pages("SwapTotal") <= 0)
		SKIP(return, "no swap");
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", writeback ? "1" : "0"));
	for (i = 0; i < NR_BOS; i++) {
		ASSERT_EQ(0, bosh_create(self->fd, bo_pages[i] * BOSH_PAGE, &h[i]));
		ASSERT_EQ(0, bosh_fill_bo(self->fd, h[i], bo_pages[i], self->seed,
					  h[i], gen));
		total += bo_pages[i];
	}
	/* Every 2 MiB block the store range touches, plus a partial one. */
	blocks = total / HPAGE_PAGES + 2;

	drop_caches();
	costs_read(&base);
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	drop_caches();
	costs_read(&evicted);
	costs_sub(&d, &evicted, &base);
	costs_log(mode, writeback, "evict", &d);
	EXPECT_EQ(total, d.backed_up);
	if (writeback) {
		EXPECT_LT(0, d.written) TH_LOG("nothing written back (swap on?)");
	} else {
		EXPECT_EQ(0, d.written);
	}
	/* Swap traffic: only the pages bosh wrote back, none read back. */
	EXPECT_LE(d.pswpout, d.written + SLACK_PAGES);
	EXPECT_LE(d.pswpin, SLACK_PAGES);
	/* Each 2 MiB block of the store is split at most once, on purpose. */
	EXPECT_LE(d.thp_alloc, blocks);
	if (strcmp(mode, "force")) {
		EXPECT_EQ(0, d.thp_alloc);
	} else {
		/*
		 * force: shmem did hand the store huge folios (else this run
		 * tested small pages only), and the store split each one.
		 */
		EXPECT_LT(0, d.thp_alloc) TH_LOG("no huge folio (fallbacks %ld)",
						 d.thp_fallback);
		EXPECT_LE(d.thp_alloc, d.thp_split);
	}
	/* The store keeps no huge folio. */
	EXPECT_LE(d.shmem_huge, 0);
	/* What the store keeps in RAM or swap is what was backed up. */
	EXPECT_LE(d.shmem + d.swap_used, (long)total + slack);

	for (i = 0; i < NR_BOS; i++)
		bad += bosh_check_bo(self->fd, h[i], bo_pages[i], self->seed, h[i], gen);
	costs_read(&restored);
	costs_sub(&d, &restored, &evicted);
	costs_log(mode, writeback, "restore", &d);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(total, d.restored);
	EXPECT_LE(d.pswpout, SLACK_PAGES);
	EXPECT_LE(d.pswpin, (long)total + SLACK_PAGES);

	for (i = 0; i < NR_BOS; i++)
		EXPECT_EQ(0, bosh_close_bo(self->fd, h[i]));
	drop_caches();
	costs_read(&closed);
	costs_sub(&d, &closed, &base);
	costs_log(mode, writeback, "closed", &d);
	EXPECT_EQ(0, bosh_stat(0, "store_pages"));
	/* Nothing left behind in RAM or in swap. */
	EXPECT_LE(d.shmem + d.swap_used, slack);
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
}

TEST_F(thp, backup_restore)
{
	round_trip(_metadata, self, variant->mode, 0);
}

TEST_F(thp, writeback_restore)
{
	round_trip(_metadata, self, variant->mode, 1);
}

TEST_HARNESS_MAIN
