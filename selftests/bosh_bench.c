// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench: bosh's throughput, scaling and overhead, side by side with
 * the copy limit and core-mm reclaim, in one guest run.
 *
 * Measurements only: nothing here asserts a time. Content is still
 * checked after every restore, so a fast but wrong path cannot hide.
 *
 * usage: bosh_bench [JSON-PATH]
 *
 * The results go to stdout as a table, then as JSON between the lines
 * "BOSH-BENCH-JSON-BEGIN" and "BOSH-BENCH-JSON-END" (and to JSON-PATH if
 * given and writable). scripts/bench runs it in the stock-kernel VM and
 * extracts the blocks.
 *
 * Sizes come from the environment (MiB unless noted):
 *   BENCH_COPY_MB (64)   memcpy buffers for the copy limit
 *   BENCH_RAM_MB (128)   BO for evict/restore with writeback off
 *   BENCH_SWAP_MB (256)  pages for the swap comparisons
 *   BENCH_SCALE_MAX (100000) largest BO count for the scaling run
 *   BENCH_OC_FACTOR (2)  overcommit size as a multiple of MemTotal
 *   BENCH_OC_TOUCHES (0 = every page) random page touches
 *   BENCH_OC_TIMEOUT (300, seconds) per overcommit workload
 *
 * Must run as root (debugfs, sysfs, drop_caches); needs swap for the
 * swap and overcommit sections.
 *
 * The program, one section a file:
 *   bosh_bench.c             this: main, the JSON and the table
 *   bosh_bench_util.c        helpers the sections share
 *   bosh_bench_copy.c        1. the copy limit
 *   bosh_bench_ram.c         2. backup and restore in RAM
 *   bosh_bench_swap.c        3. against core-mm reclaim
 *   bosh_bench_scale.c       4. scaling with the number of BOs
 *   bosh_bench_overcommit.c  5. overcommit
 *   bosh_bench_overhead.c    6. memory overhead
 *   bosh_bench.h             what they share
 */
#define _GNU_SOURCE
#include <sys/utsname.h>

#include "bosh_bench.h"

int bench_fd = -1;
uint64_t bench_seed;

/* ---------------------------------------------------------------- JSON */

static char *js;
static size_t js_len, js_cap;
static int js_comma;

static void jraw(const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(js + js_len, js_cap - js_len, fmt, ap);
		va_end(ap);
		if (n >= 0 && js_len + n < js_cap)
			break;
		js_cap = js_cap ? js_cap * 2 : 65536;
		js = realloc(js, js_cap);
		if (!js)
			exit(1);
	}
	js_len += n;
}

static void jkey(const char *key)
{
	if (js_comma)
		jraw(",");
	if (key)
		jraw("\"%s\":", key);
	js_comma = 1;
}

void jobj(const char *key)
{
	jkey(key);
	jraw("{");
	js_comma = 0;
}

void jarr(const char *key)
{
	jkey(key);
	jraw("[");
	js_comma = 0;
}

void jend_obj(void)
{
	jraw("}");
	js_comma = 1;
}

void jend_arr(void)
{
	jraw("]");
	js_comma = 1;
}

void jnum(const char *key, double v)
{
	jkey(key);
	if (v != v)
		jraw("null");
	else
		jraw("%.6g", v);
}

void jint(const char *key, long long v)
{
	jkey(key);
	jraw("%lld", v);
}

void jstr(const char *key, const char *v)
{
	jkey(key);
	jraw("\"");
	for (; *v; v++)
		jraw(*v == '"' || *v == '\\' ? "\\%c" : "%c", *v);
	jraw("\"");
}

/* ---------------------------------------------------------------- table */

static char table[32768];
static size_t table_len;

void trow(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(table + table_len, sizeof(table) - table_len, fmt, ap);
	va_end(ap);
	if (n > 0 && table_len + n < sizeof(table))
		table_len += n;
	/* Progress: rows are shown as they are measured, too. */
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void tline(const char *name, double v, const char *unit, const char *vs)
{
	trow("%-54s %12.4g %-9s %s\n", name, v, unit, vs ? vs : "");
}

double ratio_str(char *s, size_t n, double v, double ref, const char *what)
{
	double r = ref > 0 ? v / ref : NAN;

	snprintf(s, n, "%.3f x %s", r, what);
	return r;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	struct scale_result scale[8] = { 0 };
	double t_start = bosh_now();
	struct utsname u;
	char date[64];
	time_t t = time(NULL);
	int nscale = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_seed = bosh_seed();
	bench_fd = bosh_open(0);
	if (bench_fd < 0) {
		printf("# no bosh device\n");
		return 1;
	}
	/* max_bo_mb defaults to half the RAM: the overcommit needs more. */
	if (bosh_sysfs_write(0, "max_bo_mb", "1048576")) {
		printf("# cannot raise max_bo_mb\n");
		return 1;
	}
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));

	jobj(NULL);
	jstr("date", date);
	jstr("kernel", u.release);
	jint("cpus", sysconf(_SC_NPROCESSORS_ONLN));
	jint("mem_total_kb", bosh_meminfo_kib("MemTotal"));
	jint("swap_total_kb", bosh_meminfo_kib("SwapTotal"));
	jstr("note", "QEMU TCG guest: absolute numbers are emulation speed; compare ratios");
	jint("seed", bench_seed);

	bench_ram(bench_copy());
	bench_swap();
	bench_scale(scale, &nscale);
	bench_overcommit();
	bench_overhead(scale, nscale);

	jnum("run_s", bosh_now() - t_start);
	jend_obj();

	printf("\nBOSH-BENCH-TABLE-BEGIN\n");
	printf("bosh benchmarks, %s, kernel %s, %ld CPUs, MemTotal %ld kB (QEMU TCG: absolute numbers are emulation speed)\n",
	       date, u.release, sysconf(_SC_NPROCESSORS_ONLN), bosh_meminfo_kib("MemTotal"));
	printf("%-54s %12s %-9s %s\n", "metric", "value", "unit", "ratio");
	fputs(table, stdout);
	printf("BOSH-BENCH-TABLE-END\n");

	printf("BOSH-BENCH-JSON-BEGIN\n");
	fwrite(js, 1, js_len, stdout);
	printf("\nBOSH-BENCH-JSON-END\n");
	if (argc > 1) {
		FILE *f = fopen(argv[1], "we");

		if (f) {
			fwrite(js, 1, js_len, f);
			fputc('\n', f);
			fclose(f);
		}
	}

	close(bench_fd);
	return 0;
}
