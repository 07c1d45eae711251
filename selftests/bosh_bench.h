/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of bosh_bench share: the device and seed of the run,
 * the JSON and table writers (bosh_bench.c), the helpers several
 * sections use (bosh_bench_util.c) and each section's entry point.
 */
#ifndef BOSH_BENCH_H
#define BOSH_BENCH_H

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bosh_lib.h"

#define PAGES_PER_MB	((1UL << 20) / BOSH_PAGE)

/* bosh.0, opened once by main(), and the seed of the patterns. */
extern int bench_fd;
extern uint64_t bench_seed;

/* bosh_bench.c: the JSON result, built as the sections run */
void jobj(const char *key);
void jarr(const char *key);
void jend_obj(void);
void jend_arr(void);
void jnum(const char *key, double v);
void jint(const char *key, long long v);
void jstr(const char *key, const char *v);

/* bosh_bench.c: the table, one row per figure, shown as measured too */
void trow(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tline(const char *name, double v, const char *unit, const char *vs);
double ratio_str(char *s, size_t n, double v, double ref, const char *what);

/* bosh_bench_util.c */
long env_long(const char *name, long def);
void drop_caches(void);
double sec_median(double *v, int n);
int bo_fill(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen);
uint64_t bo_check(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen);
long pgalloc(void);

/* One run of section 4, kept for section 6's slab per BO. */
struct scale_result {
	long bos;
	double count_us, scan_us, create_us, slab_per_bo;
	long freed, mm_scans, kswapd_scanned;
};

/* The sections, in the order main() runs them: one file each. */
double bench_copy(void);
void bench_ram(double copy_pps);
void bench_swap(void);
void bench_scale(struct scale_result *res, int *nres);
void bench_overcommit(void);
void bench_overhead(struct scale_result *res, int nres);

#endif /* BOSH_BENCH_H */
