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
extern double bench_t0;		/* when main() started */

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

/*
 * Repeated figures. Every comparison is made of repetitions interleaved
 * with its peer's in one run, the order alternated, because the host
 * moves under the guest: a ratio of two separate runs is mostly noise.
 * A figure is reported as the median of its repetitions with their min
 * and max; a ratio as the median of the per-repetition ratios.
 */
#define BENCH_MAX_REPS	64

struct spread {
	double med, min, max;
	int n;
};

struct spread spread_of(const double *v, int n);
void ratios(double *out, const double *a, const double *b, int n);
void jspread(const char *key, const double *v, int n);
void tspread(const char *name, const double *v, int n, const char *unit, const char *note);

/* bosh_bench_util.c */
long env_long(const char *name, long def);
int bench_reps(int slow);
int bench_over_budget(int done);
void drop_caches(void);
double sec_median(double *v, int n);
void *anon_4k(size_t len);
double alloc_copy_pps(const char *src, size_t len);
double memcpy_pps(char *dst, const char *src, size_t len);
int bo_fill(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen);
uint64_t bo_check(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen);
long pgalloc(void);

/* The sections, in the order main() runs them: one file each. */
void bench_copy(void);
void bench_ram(void);
void bench_swap(void);
double bench_scale(void);
void bench_overcommit(void);
void bench_overhead(double slab_per_bo);
void bench_signal(void);
void bench_reclaim(void);
void bench_groups(void);
void bench_vram(void);

#endif /* BOSH_BENCH_H */
