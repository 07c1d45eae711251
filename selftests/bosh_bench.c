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
 *   BENCH_REPS (5)       repetitions of the slow figures (swap, overcommit,
 *                        signal, reclaim, groups)
 *   BENCH_FAST_REPS (9)  repetitions of the fast ones (copy, RAM, scaling)
 *   BENCH_COPY_MB (64)   memcpy and allocate-and-copy buffers
 *   BENCH_RAM_MB (128)   BO for evict/restore with writeback off
 *   BENCH_SWAP_MB (64)   pages of each object of the swap comparisons
 *   BENCH_SCALE_MAX (100000) largest BO count for the scaling run
 *   BENCH_OC_FACTOR (2)  overcommit: bosh and anon data together, x MemTotal
 *   BENCH_OC_TOUCHES (4000) random page reads per overcommit round
 *   BENCH_OC_TIMEOUT (600, seconds) for the whole overcommit child
 *   BENCH_OC_MODELS (copy,shmem) the backing models the overcommit runs
 *   BENCH_SIGNAL_MB (4,16) signal storm: the BO sizes, comma-separated
 *   BENCH_SIGNAL_US (200) signal storm: the timer's interval in microseconds
 *   BENCH_BUDGET_S (1200) past this, swap, overcommit, signal and the
 *                        reclaim push-out stop repeating (after 3 at least)
 *   BENCH_RECLAIM_LARGE_MB (1024, or half of MemTotal if that does not
 *                        fit) the large BO of the reclaim section
 *   BENCH_ONLY (all)     comma-separated sections to run: copy, ram, swap,
 *                        scale, overcommit, overhead, signal, reclaim,
 *                        groups, vram (for working on one path)
 *   BENCH_VRAM_CLIENTS (4) processes of the VRAM section's contended run
 *   BENCH_VRAM_SECONDS (10) its length
 *
 * Must run as root (debugfs, sysfs, drop_caches), with two bosh devices
 * (bosh.0 and bosh.1); needs swap for the swap and overcommit sections.
 *
 * The program, one section a file:
 *   bosh_bench.c             this: main, the JSON and the table
 *   bosh_bench_util.c        helpers the sections share
 *   bosh_bench_copy.c        1. the copy limit and the allocate-and-copy floor
 *   bosh_bench_ram.c         2. backup and restore in RAM
 *   bosh_bench_swap.c        3. against core-mm reclaim
 *   bosh_bench_scale.c       4. scaling with the number of BOs
 *   bosh_bench_overcommit.c  5. overcommit
 *   bosh_bench_overhead.c    6. memory overhead
 *   bosh_bench_signal.c      7. BO_RW under a signal storm
 *   bosh_bench_reclaim.c     8. reclaim of a large BO, call by call
 *   bosh_bench_groups.c      9. restore with many memcg groups
 *   bosh_bench_vram.c       10. the VRAM tier: moves, and contention
 *   bosh_bench.h             what they share
 */
#define _GNU_SOURCE
#include <sys/utsname.h>

#include "bosh_bench.h"

int bench_fd = -1;
uint64_t bench_seed;
double bench_t0;

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

#define ROW_FMT	"%-54s %11.4g %11s %11s %-8s %s\n"
#define HEAD_FMT	"%-54s %11s %11s %11s %-8s %s\n"

/* A figure measured once, or derived: the value in the median column. */
void tline(const char *name, double v, const char *unit, const char *vs)
{
	trow(ROW_FMT, name, v, "", "", unit, vs ? vs : "");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* NaNs (a repetition that measured nothing) are left out. */
struct spread spread_of(const double *v, int n)
{
	struct spread s = { NAN, NAN, NAN, 0 };
	double w[BENCH_MAX_REPS];
	int i;

	for (i = 0; i < n && s.n < BENCH_MAX_REPS; i++)
		if (v[i] == v[i])
			w[s.n++] = v[i];
	if (!s.n)
		return s;
	qsort(w, s.n, sizeof(*w), cmp_double);
	s.min = w[0];
	s.max = w[s.n - 1];
	s.med = s.n % 2 ? w[s.n / 2] : (w[s.n / 2 - 1] + w[s.n / 2]) / 2;
	return s;
}

/* Per-repetition ratios a[i] / b[i]: each pair was measured side by side. */
void ratios(double *out, const double *a, const double *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = b[i] > 0 ? a[i] / b[i] : NAN;
}

void jspread(const char *key, const double *v, int n)
{
	struct spread s = spread_of(v, n);
	int i;

	jobj(key);
	jnum("median", s.med);
	jnum("min", s.min);
	jnum("max", s.max);
	jint("n", s.n);
	jarr("samples");
	for (i = 0; i < n; i++)
		jnum(NULL, v[i]);
	jend_arr();
	jend_obj();
}

void tspread(const char *name, const double *v, int n, const char *unit, const char *note)
{
	struct spread s = spread_of(v, n);
	char lo[16], hi[16];

	snprintf(lo, sizeof(lo), "%.4g", s.min);
	snprintf(hi, sizeof(hi), "%.4g", s.max);
	trow(ROW_FMT, name, s.med, lo, hi, unit, note ? note : "");
}

/* ---------------------------------------------------------------- main */

/* Is section @name selected by BENCH_ONLY (unset: every section)? */
static int bench_selected(const char *name)
{
	const char *only = getenv("BENCH_ONLY");
	size_t len = strlen(name);
	const char *p;

	if (!only || !*only)
		return 1;
	for (p = only; (p = strstr(p, name)); p += len)
		if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	double t_start = bosh_now(), slab_per_bo = 0;
	struct utsname u;
	char date[64];
	time_t t = time(NULL);

	bench_t0 = t_start;
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_seed = bosh_seed();
	bench_fd = bosh_open(0);
	if (bench_fd < 0) {
		printf("# no bosh device\n");
		return 1;
	}
	/*
	 * max_bo_mb defaults to half the RAM: the overcommit needs more.
	 * bosh.1 is the peer device of the comparisons that need two LRUs.
	 */
	if (bosh_sysfs_write(0, "max_bo_mb", "1048576") ||
	    bosh_sysfs_write(1, "max_bo_mb", "1048576")) {
		printf("# cannot raise max_bo_mb of bosh.0 and bosh.1 (two devices needed)\n");
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

	jint("reps", bench_reps(1));
	jint("fast_reps", bench_reps(0));

	if (bench_selected("copy"))
		bench_copy();
	if (bench_selected("ram"))
		bench_ram();
	if (bench_selected("swap"))
		bench_swap();
	if (bench_selected("scale"))
		slab_per_bo = bench_scale();
	if (bench_selected("overcommit"))
		bench_overcommit();
	if (bench_selected("overhead"))
		bench_overhead(slab_per_bo);
	if (bench_selected("signal"))
		bench_signal();
	if (bench_selected("reclaim"))
		bench_reclaim();
	if (bench_selected("groups"))
		bench_groups();
	if (bench_selected("vram"))
		bench_vram();

	jnum("run_s", bosh_now() - t_start);
	jend_obj();

	printf("\nBOSH-BENCH-TABLE-BEGIN\n");
	printf("bosh benchmarks, %s, kernel %s, %ld CPUs, MemTotal %ld kB\n", date, u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), bosh_meminfo_kib("MemTotal"));
	printf("(QEMU TCG: absolute figures are emulation speed; median, min, max of the reps)\n");
	printf(HEAD_FMT, "metric", "median", "min", "max", "unit", "note");
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
