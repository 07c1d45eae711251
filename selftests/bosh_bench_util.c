// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers more than one bosh_bench section uses: sizes from the
 * environment, dropping caches, medians, page allocations, and BO fill
 * and check in 1 MiB chunks with the seeded pattern.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : def;
}

void drop_caches(void)
{
	sync();
	bosh_write_file("/proc/sys/vm/drop_caches", "3");
}

double sec_median(double *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* Fill or check a BO in 1 MiB chunks with the seeded pattern. */
int bo_fill(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen)
{
	static char buf[1 << 20];
	uint64_t per = sizeof(buf) / BOSH_PAGE, p, n;
	int ret;

	for (p = 0; p < npages; p += n) {
		n = npages - p < per ? npages - p : per;
		bosh_pattern_fill_at(buf, p, n, bench_seed, bo, gen);
		ret = bosh_rw(fd, h, BOSH_RW_WRITE, p * BOSH_PAGE, n * BOSH_PAGE, buf);
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t bo_check(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen)
{
	static char buf[1 << 20];
	uint64_t per = sizeof(buf) / BOSH_PAGE, p, n, bad = 0;

	for (p = 0; p < npages; p += n) {
		n = npages - p < per ? npages - p : per;
		if (bosh_rw(fd, h, BOSH_RW_READ, p * BOSH_PAGE, n * BOSH_PAGE, buf))
			return npages;
		bad += bosh_pattern_check_at(buf, p, n, bench_seed, bo, gen);
	}
	return bad;
}

/* Page allocations so far: the sum of /proc/vmstat's pgalloc_* (per zone). */
long pgalloc(void)
{
	char k[64];
	long v, sum = 0;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strncmp(k, "pgalloc_", 8))
			sum += v;
	fclose(f);
	return sum;
}
