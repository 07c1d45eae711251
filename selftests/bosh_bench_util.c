// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers more than one bosh_bench section uses: sizes from the
 * environment, dropping caches, medians, page allocations, the copy
 * references, and BO fill and check in 1 MiB chunks with the seeded
 * pattern.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : def;
}

/* Repetitions of a figure: @slow for the swap and overcommit sections. */
int bench_reps(int slow)
{
	long n = slow ? env_long("BENCH_REPS", 5) : env_long("BENCH_FAST_REPS", 9);

	return n < 1 ? 1 : n > BENCH_MAX_REPS ? BENCH_MAX_REPS : n;
}

/*
 * Should a slow section stop after @done repetitions? Only past
 * BENCH_BUDGET_S seconds of run (default 1200, under scripts/bench's VM
 * timeout) and with 3 done: fewer repetitions, shown in each figure's n,
 * beat a guest killed with all its results. A budget, not a timing check.
 */
int bench_over_budget(int done)
{
	if (done < 3 || bosh_now() - bench_t0 < env_long("BENCH_BUDGET_S", 1200))
		return 0;
	printf("# over the time budget: stopping after %d repetitions\n", done);
	return 1;
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

/*
 * An anonymous mapping of 4 KiB pages: a peer compared page for page
 * with bosh, whose pages are 4 KiB here, must not fault in THPs.
 */
void *anon_4k(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* One memcpy of @len into pages that are already there: the copy limit. */
double memcpy_pps(char *dst, const char *src, size_t len)
{
	double t0 = bosh_now();

	memcpy(dst, src, len);
	return len / BOSH_PAGE / (bosh_now() - t0);
}

/*
 * The floor of a design that copies into fresh pages, as a restore or a
 * backup does: allocate 4 KiB pages (zeroed by the kernel, once, with or
 * without init_on_alloc) and copy into them. The unmap is not timed.
 */
double alloc_copy_pps(const char *src, size_t len)
{
	char *dst = anon_4k(len);
	double t0, dt;

	if (!dst)
		return NAN;
	t0 = bosh_now();
	if (madvise(dst, len, MADV_POPULATE_WRITE))
		memset(dst, 0, len);	/* older kernels: fault in by hand */
	memcpy(dst, src, len);
	dt = bosh_now() - t0;
	munmap(dst, len);
	return len / BOSH_PAGE / dt;
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
