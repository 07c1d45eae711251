// SPDX-License-Identifier: GPL-2.0
/*
 * bosh-demo: the story `make run` tells. BOs are filled with a seeded
 * pattern, the shrinker is forced through debugfs, the counters are shown
 * before and after, one DONTNEED BO is purged, the rest evicted, and all
 * retained content is read back and checked. BOs are named by the id
 * debugfs objects lists (its first column), the one numbering the reader
 * sees; the GEM handles are shown once beside them.
 */
#include "bosh_lib.h"

#define DEMO_BOS	4
#define DEMO_PAGES	4096	/* 16 MiB each */

static const char *const demo_keys[] = {
	"bos", "pages_total", "pages_resident", "pages_backed_up",
	"pages_purgeable", "pages_shrinkable", "backed_up_total",
	"restored_total", "purged_total", "freed_total",
};

static void show_stats(const char *when)
{
	unsigned int i;

	printf("  stats %s:", when);
	for (i = 0; i < sizeof(demo_keys) / sizeof(demo_keys[0]); i++)
		printf("%s %s=%ld", i % 4 ? "" : "\n   ", demo_keys[i],
		       bosh_stat(0, demo_keys[i]));
	printf("\n");
}

/*
 * The id of the BO created last: the largest in debugfs objects (ids grow
 * per device and the demo is the only client in its guest); -1 if none.
 */
static long newest_bo_id(void)
{
	FILE *f = fopen(BOSH_DEBUGFS "/bosh.0/objects", "r");
	char line[256];
	long id, max = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld ", &id) == 1 && id > max)
			max = id;
	fclose(f);
	return max;
}

static int shell(const char *cmd)
{
	printf("  $ %s\n", cmd);
	fflush(stdout);
	return system(cmd);
}

int main(void)
{
	uint64_t seed = bosh_seed();
	uint32_t h[DEMO_BOS], retained;
	long id[DEMO_BOS];
	struct drm_bosh_bo_info info;
	uint64_t bad = 0;
	int fd, i;

	fd = bosh_open(0);
	if (fd < 0) {
		fprintf(stderr, "bosh-demo: no bosh device (is the module loaded?)\n");
		return 1;
	}
	printf("1. %d BOs of %d MiB, filled with a pattern from seed %llu\n",
	       DEMO_BOS, DEMO_PAGES / 256, (unsigned long long)seed);
	for (i = 0; i < DEMO_BOS; i++) {
		if (bosh_create(fd, DEMO_PAGES * BOSH_PAGE, &h[i]) ||
		    bosh_validate(fd, h[i]) ||
		    bosh_fill_bo(fd, h[i], DEMO_PAGES, seed, i, 0)) {
			perror("bosh-demo: create/fill");
			return 1;
		}
		id[i] = newest_bo_id();
		if (id[i] < 0) {
			fprintf(stderr, "bosh-demo: no BO in %s/bosh.0/objects\n", BOSH_DEBUGFS);
			return 1;
		}
	}
	printf("  BO ids");
	for (i = 0; i < DEMO_BOS; i++)
		printf(" %ld", id[i]);
	printf(" (the id column of debugfs objects; GEM handles");
	for (i = 0; i < DEMO_BOS; i++)
		printf(" %u", h[i]);
	printf(")\n");
	show_stats("before");

	printf("2. force the shrinker, as reclaim would run it\n");
	shell("echo 8192 > /sys/kernel/debug/bosh/bosh.0/shrink");
	shell("cat /sys/kernel/debug/bosh/bosh.0/shrink");
	show_stats("after shrink");

	printf("3. BO id %ld is DONTNEED: purge drops it without backup\n", id[3]);
	bosh_madvise(fd, h[3], BOSH_MADV_DONTNEED, NULL);
	shell("echo 1 > /sys/kernel/debug/bosh/bosh.0/purge");
	bosh_madvise(fd, h[3], BOSH_MADV_WILLNEED, &retained);
	printf("  BO id %ld retained=%u (purged BOs are dead: BO_RW gives ENODATA)\n",
	       id[3], retained);

	printf("4. evict everything else to the backup store\n");
	shell("echo 1 > /sys/kernel/debug/bosh/bosh.0/evict");
	show_stats("after evict");
	shell("cat /sys/kernel/debug/bosh/bosh.0/objects");

	printf("5. read every retained BO back (restored on use) and check it\n");
	for (i = 0; i < DEMO_BOS - 1; i++) {
		uint64_t b = bosh_check_bo(fd, h[i], DEMO_PAGES, seed, i, 0);

		bosh_info(fd, h[i], &info);
		printf("  BO id %ld: %llu bad pages, %llu resident after read\n", id[i],
		       (unsigned long long)b, (unsigned long long)info.resident);
		bad += b;
	}
	show_stats("after restore");
	close(fd);
	printf("%s: %llu bad pages in %d retained BOs (seed %llu)\n",
	       bad ? "FAIL" : "OK", (unsigned long long)bad, DEMO_BOS - 1,
	       (unsigned long long)seed);
	return bad ? 1 : 0;
}
