// SPDX-License-Identifier: GPL-2.0
/*
 * bosh-fixture: BOs for commands to act on. Creates WILLNEED BOs filled
 * with a seeded pattern and one DONTNEED BO on bosh.DEV, prints "ready",
 * then reads lines from stdin:
 *
 *   resident   make every BO resident again (a purged DONTNEED BO is
 *              replaced), so the next command finds pages to shrink
 *
 * At end of input it checks every WILLNEED BO against the pattern and
 * exits 0 only if no byte was lost, whatever the commands did meanwhile.
 *
 * usage: bosh-fixture [DEV [BOS [PAGES]]]; BOSH_SEED sets the seed.
 */
#include "bosh_lib.h"

#define FIXTURE_MAX_BOS	64

static int fixture_dontneed(int fd, uint32_t *h, uint64_t pages)
{
	uint32_t retained;

	return bosh_create(fd, pages * BOSH_PAGE, h) ?:
	       bosh_validate(fd, *h) ?:
	       bosh_madvise(fd, *h, BOSH_MADV_DONTNEED, &retained);
}

int main(int argc, char **argv)
{
	int dev = argc > 1 ? atoi(argv[1]) : 0;
	int nbos = argc > 2 ? atoi(argv[2]) : 4;
	uint64_t pages = argc > 3 ? strtoull(argv[3], NULL, 0) : 256;
	uint32_t h[FIXTURE_MAX_BOS], junk;
	uint64_t seed = bosh_seed(), bad = 0;
	int fd = bosh_open(dev), i;
	char line[64];

	if (fd < 0 || nbos < 1 || nbos > FIXTURE_MAX_BOS || !pages) {
		fprintf(stderr, "bosh-fixture: no bosh.%d or bad arguments\n", dev);
		return 2;
	}
	for (i = 0; i < nbos; i++)
		if (bosh_create(fd, pages * BOSH_PAGE, &h[i]) ||
		    bosh_fill_bo(fd, h[i], pages, seed, i, 0))
			return 2;
	if (fixture_dontneed(fd, &junk, pages))
		return 2;
	printf("ready: %d BOs of %llu pages and one DONTNEED BO on bosh.%d (seed %llu)\n",
	       nbos, (unsigned long long)pages, dev, (unsigned long long)seed);
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin)) {
		struct drm_bosh_bo_info info;
		int err = 0;

		if (strcmp(line, "resident\n")) {
			printf("error: unknown command\n");
			fflush(stdout);
			continue;
		}
		for (i = 0; i < nbos && !err; i++)
			err = bosh_validate(fd, h[i]);
		if (!err && !bosh_info(fd, junk, &info) && (info.flags & BOSH_BO_PURGED))
			err = bosh_close_bo(fd, junk) ?: fixture_dontneed(fd, &junk, pages);
		printf(err ? "error: %s\n" : "ok\n", strerror(-err));
		fflush(stdout);
	}

	for (i = 0; i < nbos; i++)
		bad += bosh_check_bo(fd, h[i], pages, seed, i, 0);
	printf("%s: %llu bad pages in %d BOs (seed %llu)\n", bad ? "FAIL" : "OK",
	       (unsigned long long)bad, nbos, (unsigned long long)seed);
	return bad ? 1 : 0;
}
