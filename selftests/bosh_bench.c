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
 */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "bosh_lib.h"

#define PAGES_PER_MB	((1UL << 20) / BOSH_PAGE)

static int g_fd = -1;
static uint64_t g_seed;

/* ---------------------------------------------------------------- util */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : def;
}

/* A /proc/meminfo field in kB, or -1. */
static long meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* A /proc/vmstat counter; with a trailing '*', the sum of the prefix. */
static long vmstat(const char *key)
{
	char k[128];
	size_t klen = strlen(key);
	int prefix = klen && key[klen - 1] == '*';
	long v, sum = 0;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	if (prefix)
		klen--;
	while (fscanf(f, "%127s %ld", k, &v) == 2) {
		if (prefix ? !strncmp(k, key, klen) : !strcmp(k, key))
			sum += v;
	}
	fclose(f);
	return sum;
}

/* Requests and sectors of the swap disk: read (0) or write (1). */
static void disk_stat(int write, long *ios, long *sectors)
{
	long v[11] = { 0 };
	FILE *f = fopen("/sys/block/vda/stat", "re");
	int i;

	*ios = *sectors = 0;
	if (!f)
		return;
	for (i = 0; i < 11; i++)
		if (fscanf(f, "%ld", &v[i]) != 1)
			break;
	fclose(f);
	*ios = v[write ? 4 : 0];
	*sectors = v[write ? 6 : 2];
}

static void drop_caches(void)
{
	sync();
	bosh_write_file("/proc/sys/vm/drop_caches", "3");
}

/* Wait until no page is under writeback (swap I/O finished). */
static void wait_writeback(void)
{
	double t0 = now();

	while (meminfo("Writeback") > 0 && now() - t0 < 120)
		usleep(1000);
}

static double sec_median(double *v, int n)
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
 * Push clean swap-cache pages out of RAM, so that the following swap-in
 * really reads the disk: a child touches anonymous memory until
 * SwapCached is (almost) gone, then exits and gives it all back.
 */
static void flush_swapcache(void)
{
	long start_cached = meminfo("SwapCached");
	long limit_kb = meminfo("MemFree") + start_cached + 32768;
	pid_t pid;

	if (start_cached < 1024)
		return;
	pid = fork();
	if (pid == 0) {
		size_t step = 8UL << 20, done = 0;

		bosh_write_file("/proc/self/oom_score_adj", "1000");
		while ((long)(done >> 10) < limit_kb) {
			char *p = mmap(NULL, step, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				break;
			madvise(p, step, MADV_NOHUGEPAGE);
			memset(p, 0x5a, step);
			done += step;
			if (meminfo("SwapCached") < 1024 + start_cached / 100)
				break;
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

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

static void jobj(const char *key)
{
	jkey(key);
	jraw("{");
	js_comma = 0;
}

static void jarr(const char *key)
{
	jkey(key);
	jraw("[");
	js_comma = 0;
}

static void jend_obj(void)
{
	jraw("}");
	js_comma = 1;
}

static void jend_arr(void)
{
	jraw("]");
	js_comma = 1;
}

static void jnum(const char *key, double v)
{
	jkey(key);
	if (v != v)
		jraw("null");
	else
		jraw("%.6g", v);
}

static void jint(const char *key, long long v)
{
	jkey(key);
	jraw("%lld", v);
}

static void jstr(const char *key, const char *v)
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

static void trow(const char *fmt, ...)
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

static void tline(const char *name, double v, const char *unit,
		  const char *vs)
{
	trow("%-54s %12.4g %-9s %s\n", name, v, unit, vs ? vs : "");
}

/* ---------------------------------------------------------------- BOs */

/* Fill or check a BO in 1 MiB chunks with the seeded pattern. */
static int bo_fill(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen)
{
	static char buf[1 << 20];
	uint64_t per = sizeof(buf) / BOSH_PAGE, p, n, i;
	int ret;

	for (p = 0; p < npages; p += n) {
		n = npages - p < per ? npages - p : per;
		for (i = 0; i < n; i++)
			bosh_pattern_page(buf + i * BOSH_PAGE, g_seed, bo, p + i, gen);
		ret = bosh_rw(fd, h, BOSH_RW_WRITE, p * BOSH_PAGE, n * BOSH_PAGE, buf);
		if (ret)
			return ret;
	}
	return 0;
}

static uint64_t bo_check(int fd, uint32_t h, uint64_t npages, uint32_t bo, uint32_t gen)
{
	static char buf[1 << 20];
	uint64_t per = sizeof(buf) / BOSH_PAGE, p, n, bad = 0;

	for (p = 0; p < npages; p += n) {
		n = npages - p < per ? npages - p : per;
		if (bosh_rw(fd, h, BOSH_RW_READ, p * BOSH_PAGE, n * BOSH_PAGE, buf))
			return npages;
		bad += bosh_pattern_check_at(buf, p, n, g_seed, bo, gen);
	}
	return bad;
}

static int dbg_write(const char *file, const char *val)
{
	return bosh_debugfs_write(0, file, val);
}

static long pgalloc(void)
{
	return vmstat("pgalloc_*");
}

/* ----------------------------------------------- 1. copy limit */

static double copy_pps;

static void bench_copy(void)
{
	size_t len = (size_t)env_long("BENCH_COPY_MB", 64) << 20;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, dt;
	long iters = 0;

	if (a == MAP_FAILED || b == MAP_FAILED) {
		printf("# copy: mmap failed\n");
		return;
	}
	memset(a, 0x33, len);
	memset(b, 0, len);
	memcpy(b, a, len);
	t0 = now();
	do {
		memcpy(b, a, len);
		a[iters % len]++;
		iters++;
	} while ((dt = now() - t0) < 2.0);
	copy_pps = (double)iters * len / BOSH_PAGE / dt;
	munmap(a, len);
	munmap(b, len);

	trow("\n== 1. limit (QEMU TCG guest) ==\n");
	tline("page copy (memcpy 64 MiB buffers)", copy_pps, "pages/s", "1.00 (limit)");
	jobj("copy");
	jint("buffer_bytes", len);
	jnum("pages_per_s", copy_pps);
	jnum("mib_per_s", copy_pps * BOSH_PAGE / (1 << 20));
	jend_obj();
}

/* ----------------------------------------------- 2. evict/restore in RAM */

static double ratio_str(char *s, size_t n, double v, double ref, const char *what)
{
	double r = ref > 0 ? v / ref : NAN;

	snprintf(s, n, "%.3f x %s", r, what);
	return r;
}

static void bench_ram(void)
{
	uint64_t npages = (uint64_t)env_long("BENCH_RAM_MB", 128) * PAGES_PER_MB;
	double ev[3], rs[3], evict_pps, restore_pps, er, rr, ev_first;
	long restore_alloc = 0, restore_slab = 0, restored = 0;
	uint64_t bad;
	uint32_t h;
	char vs[64];
	int i;

	bosh_sysfs_write(0, "writeback", "0");
	if (bosh_create(g_fd, npages * BOSH_PAGE, &h) || bo_fill(g_fd, h, npages, 1, 0)) {
		printf("# ram: create/fill failed\n");
		return;
	}
	for (i = 0; i < 3; i++) {
		long b0 = bosh_stat(0, "backed_up_total");
		long r0 = bosh_stat(0, "restored_total");
		long a0, s0;
		double t0 = now();

		if (dbg_write("evict", "1"))
			printf("# evict failed: %s\n", strerror(errno));
		ev[i] = (bosh_stat(0, "backed_up_total") - b0) / (now() - t0);
		a0 = pgalloc();
		s0 = meminfo("Slab");
		t0 = now();
		if (bosh_validate(g_fd, h))
			printf("# validate failed\n");
		rs[i] = (bosh_stat(0, "restored_total") - r0) / (now() - t0);
		restore_alloc += pgalloc() - a0;
		restore_slab += meminfo("Slab") - s0;
		restored += bosh_stat(0, "restored_total") - r0;
	}
	bad = bo_check(g_fd, h, npages, 1, 0);
	bosh_close_bo(g_fd, h);
	ev_first = ev[0];
	evict_pps = sec_median(ev, 3);
	restore_pps = sec_median(rs, 3);

	trow("\n== 2. backup and restore in RAM, writeback off (%llu pages, median of 3) ==\n",
	     (unsigned long long)npages);
	er = ratio_str(vs, sizeof(vs), evict_pps, copy_pps, "copy limit");
	tline("evict (debugfs evict, writeback=0)", evict_pps, "pages/s", vs);
	rr = ratio_str(vs, sizeof(vs), restore_pps, copy_pps, "copy limit");
	tline("restore (BO_VALIDATE from store)", restore_pps, "pages/s", vs);
	tline("  page allocations per restored page", (double)restore_alloc / restored,
	      "pages", "(1.0 = destination page only)");
	tline("  content errors after 3 cycles", bad, "pages", NULL);

	jobj("ram");
	jint("pages", npages);
	jnum("evict_pages_per_s", evict_pps);
	jnum("evict_ratio_to_copy", er);
	jnum("restore_pages_per_s", restore_pps);
	jnum("restore_ratio_to_copy", rr);
	jnum("evict_first_pages_per_s", ev_first);
	jnum("restore_pgalloc_per_page", (double)restore_alloc / restored);
	jnum("restore_slab_kb_delta", restore_slab / 3.0);
	jint("content_bad_pages", bad);
	jend_obj();
}

/* ----------------------------------------------- 3. against core mm */

struct swap_result {
	double out_call_s, out_drain_s, out_pps, freed_pages, written_pages;
	double in_s, in_pps, in_pgalloc_per_page, in_major;
	double out_pages_per_req, in_pages_per_req;
	long bad;
	long anon_huge_kb;
};

static void swap_json(const char *name, struct swap_result *r)
{
	jobj(name);
	jnum("out_call_s", r->out_call_s);
	jnum("out_drain_s", r->out_drain_s);
	jnum("out_pages_per_s", r->out_pps);
	jnum("out_written_pages", r->written_pages);
	jnum("out_memfree_gain_pages", r->freed_pages);
	jnum("out_pages_per_disk_write", r->out_pages_per_req);
	jnum("in_pages_per_disk_read", r->in_pages_per_req);
	jnum("in_s", r->in_s);
	jnum("in_pages_per_s", r->in_pps);
	jnum("in_pswpin_pages", r->in_major);
	jnum("in_pgalloc_per_page", r->in_pgalloc_per_page);
	jint("content_bad_pages", r->bad);
	if (r->anon_huge_kb >= 0)
		jint("anon_huge_kb", r->anon_huge_kb);
	jend_obj();
}

/* Page out, wait for the I/O, note what was written and freed. */
struct out_mark {
	double t0;
	long free_kb, pswpout, ios, sectors;
};

static void out_begin(struct out_mark *m)
{
	sync();
	wait_writeback();
	m->free_kb = meminfo("MemFree");
	m->pswpout = vmstat("pswpout");
	disk_stat(1, &m->ios, &m->sectors);
	m->t0 = now();
}

static void out_end(struct out_mark *m, struct swap_result *r, uint64_t npages)
{
	r->out_call_s = now() - m->t0;
	wait_writeback();
	r->out_drain_s = now() - m->t0;
	r->written_pages = vmstat("pswpout") - m->pswpout;
	r->freed_pages = (meminfo("MemFree") - m->free_kb) / 4.0;
	r->out_pps = npages / r->out_drain_s;
	{
		long ios, sectors;

		disk_stat(1, &ios, &sectors);
		r->out_pages_per_req = ios > m->ios ?
			(sectors - m->sectors) / 8.0 / (ios - m->ios) : NAN;
	}
}

struct in_mark {
	double t0;
	long pgalloc, pswpin, ios, sectors;
};

static void in_begin(struct in_mark *m)
{
	flush_swapcache();
	m->pgalloc = pgalloc();
	m->pswpin = vmstat("pswpin");
	disk_stat(0, &m->ios, &m->sectors);
	m->t0 = now();
}

static void in_end(struct in_mark *m, struct swap_result *r, uint64_t npages)
{
	r->in_s = now() - m->t0;
	r->in_pps = npages / r->in_s;
	r->in_pgalloc_per_page = (double)(pgalloc() - m->pgalloc) / npages;
	r->in_major = vmstat("pswpin") - m->pswpin;
	{
		long ios, sectors;

		disk_stat(0, &ios, &sectors);
		r->in_pages_per_req = ios > m->ios ?
			(sectors - m->sectors) / 8.0 / (ios - m->ios) : NAN;
	}
}

static void swap_bosh(uint64_t npages, struct swap_result *r)
{
	struct out_mark om;
	struct in_mark im;
	uint32_t h;
	long w0;

	if (bosh_create(g_fd, npages * BOSH_PAGE, &h) || bo_fill(g_fd, h, npages, 2, 0)) {
		printf("# swap bosh: create/fill failed\n");
		r->bad = -1;
		return;
	}
	bosh_sysfs_write(0, "writeback", "1");
	w0 = bosh_stat(0, "written_back_total");
	out_begin(&om);
	if (dbg_write("evict", "1"))
		printf("# evict (writeback) failed: %s\n", strerror(errno));
	out_end(&om, r, npages);
	bosh_sysfs_write(0, "writeback", "0");
	printf("# bosh written_back_total delta %ld\n", bosh_stat(0, "written_back_total") - w0);

	in_begin(&im);
	if (bosh_validate(g_fd, h))
		printf("# validate failed\n");
	in_end(&im, r, npages);
	r->bad = bo_check(g_fd, h, npages, 2, 0);
	bosh_close_bo(g_fd, h);
}

static void swap_mm(uint64_t npages, int memfd, struct swap_result *r)
{
	size_t len = npages * BOSH_PAGE;
	struct out_mark om;
	struct in_mark im;
	volatile char sink;
	char *p;
	int fd = -1;
	uint64_t i;

	r->anon_huge_kb = -1;
	if (memfd) {
		fd = memfd_create("bosh-bench", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, len)) {
			r->bad = -1;
			return;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (p == MAP_FAILED) {
		r->bad = -1;
		return;
	}
	bosh_pattern_fill(p, npages, g_seed, 3, 0);
	if (!memfd)
		r->anon_huge_kb = meminfo("AnonHugePages");

	out_begin(&om);
	if (madvise(p, len, MADV_PAGEOUT))
		printf("# MADV_PAGEOUT failed: %s\n", strerror(errno));
	out_end(&om, r, npages);

	in_begin(&im);
	for (i = 0; i < npages; i++)
		sink = p[i * BOSH_PAGE];
	(void)sink;
	in_end(&im, r, npages);
	r->bad = bosh_pattern_check(p, npages, g_seed, 3, 0);
	munmap(p, len);
	if (fd >= 0)
		close(fd);
}

static void bench_swap(void)
{
	uint64_t npages = (uint64_t)env_long("BENCH_SWAP_MB", 256) * PAGES_PER_MB;
	struct swap_result b = { 0 }, a = { 0 }, m = { 0 };
	char vs[64];

	b.anon_huge_kb = -1;
	if (meminfo("SwapTotal") <= 0) {
		printf("# no swap: section 3 skipped\n");
		return;
	}
	drop_caches();
	swap_bosh(npages, &b);
	drop_caches();
	swap_mm(npages, 0, &a);
	drop_caches();
	swap_mm(npages, 1, &m);

	trow("\n== 3. against core-mm reclaim, same swap device (virtio disk), %llu pages ==\n",
	     (unsigned long long)npages);
	trow("   (page-out timed until swap writeback drained; swap-in after the swap cache was squeezed out)\n");
	ratio_str(vs, sizeof(vs), b.out_pps, a.out_pps, "anon");
	tline("bosh shrink to swap (evict, writeback=1)", b.out_pps, "pages/s", vs);
	ratio_str(vs, sizeof(vs), b.out_pps, m.out_pps, "memfd");
	tline("  (same) against memfd", b.out_pps, "pages/s", vs);
	tline("anon MADV_PAGEOUT", a.out_pps, "pages/s", NULL);
	tline("memfd (shmem) MADV_PAGEOUT", m.out_pps, "pages/s", NULL);
	ratio_str(vs, sizeof(vs), b.in_pps, a.in_pps, "anon");
	tline("bosh restore from swap (BO_VALIDATE)", b.in_pps, "pages/s", vs);
	ratio_str(vs, sizeof(vs), b.in_pps, m.in_pps, "memfd");
	tline("  (same) against memfd", b.in_pps, "pages/s", vs);
	tline("anon swap-in (touch each page)", a.in_pps, "pages/s", NULL);
	tline("memfd swap-in (touch each page)", m.in_pps, "pages/s", NULL);
	tline("  MemFree gained after page-out: bosh", b.freed_pages / npages, "x pages", NULL);
	tline("  MemFree gained after page-out: anon", a.freed_pages / npages, "x pages", NULL);
	tline("  MemFree gained after page-out: memfd", m.freed_pages / npages, "x pages", NULL);
	tline("  page allocs per page, swap-in: bosh", b.in_pgalloc_per_page, "pages", NULL);
	tline("  page allocs per page, swap-in: anon", a.in_pgalloc_per_page, "pages", NULL);
	tline("  page allocs per page, swap-in: memfd", m.in_pgalloc_per_page, "pages", NULL);
	tline("  pages per disk write request: bosh", b.out_pages_per_req, "pages", NULL);
	tline("  pages per disk write request: anon", a.out_pages_per_req, "pages", NULL);
	tline("  pages per disk write request: memfd", m.out_pages_per_req, "pages", NULL);
	tline("  pages per disk read request: bosh", b.in_pages_per_req, "pages", NULL);
	tline("  pages per disk read request: anon", a.in_pages_per_req, "pages", NULL);
	tline("  pages per disk read request: memfd", m.in_pages_per_req, "pages", NULL);
	tline("  content errors (bosh+anon+memfd)", b.bad + a.bad + m.bad, "pages", NULL);

	jobj("swap");
	jint("pages", npages);
	swap_json("bosh", &b);
	swap_json("anon", &a);
	swap_json("memfd", &m);
	jnum("out_ratio_bosh_to_anon", b.out_pps / a.out_pps);
	jnum("out_ratio_bosh_to_memfd", b.out_pps / m.out_pps);
	jnum("in_ratio_bosh_to_anon", b.in_pps / a.in_pps);
	jnum("in_ratio_bosh_to_memfd", b.in_pps / m.in_pps);
	jend_obj();
}

/* ----------------------------------------------- 4. scaling */

struct scale_result {
	long bos;
	double count_us, scan_us, create_us, slab_per_bo;
	long freed, mm_scans, kswapd_scanned;
};

static void scale_one(long nbos, struct scale_result *r)
{
	int fd = bosh_open(0), sfd, stfd, i, reps = 201, calls = 65;
	char page[BOSH_PAGE], buf[4096];
	double tv[256];
	long scans0, kswapd0;
	uint32_t *h = calloc(nbos, sizeof(*h));
	long slab0, freed0;
	double t0;
	long n;

	r->bos = nbos;
	if (fd < 0 || !h) {
		printf("# scale: open failed\n");
		free(h);
		return;
	}
	memset(page, 0x6b, sizeof(page));
	slab0 = meminfo("Slab");
	t0 = now();
	for (n = 0; n < nbos; n++) {
		if (bosh_create(fd, BOSH_PAGE, &h[n])) {
			printf("# scale: create %ld failed: %s\n", n, strerror(errno));
			break;
		}
	}
	r->create_us = (now() - t0) * 1e6 / nbos;
	r->slab_per_bo = (meminfo("Slab") - slab0) * 1024.0 / nbos;
	nbos = n;
	for (n = 0; n < nbos; n++)
		bosh_rw(fd, h[n], BOSH_RW_WRITE, 0, BOSH_PAGE, page);

	/*
	 * count: the stats file computes pages_shrinkable as the count does.
	 * Medians per call: TCG timing is noisy.
	 */
	scans0 = bosh_stat(0, "scans_total");
	kswapd0 = vmstat("pgscan_kswapd");
	stfd = open(BOSH_DEBUGFS "/bosh.0/stats", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < reps; i++) {
		t0 = now();
		lseek(stfd, 0, SEEK_SET);
		if (read(stfd, buf, sizeof(buf)) <= 0)
			break;
		tv[i] = now() - t0;
	}
	r->count_us = sec_median(tv, i) * 1e6;
	close(stfd);

	/* scan: debugfs shrink of one page per call, as reclaim would run it */
	sfd = open(BOSH_DEBUGFS "/bosh.0/shrink", O_RDWR | O_CLOEXEC);
	freed0 = bosh_stat(0, "freed_total");
	for (i = 0; i < calls; i++) {
		t0 = now();
		if (pwrite(sfd, "1", 1, 0) != 1)
			break;
		tv[i] = now() - t0;
		if (nbos == 1)
			bosh_validate(fd, h[0]);
	}
	r->scan_us = sec_median(tv, i) * 1e6;
	r->freed = bosh_stat(0, "freed_total") - freed0;
	/* Scans the mm ran meanwhile (ours are the debugfs calls). */
	r->mm_scans = bosh_stat(0, "scans_total") - scans0 - i;
	r->kswapd_scanned = vmstat("pgscan_kswapd") - kswapd0;
	close(sfd);
	close(fd);	/* frees every BO of this fd */
	free(h);
}

static void bench_scale(struct scale_result *res, int *nres)
{
	long max = env_long("BENCH_SCALE_MAX", 100000), n;
	struct rlimit rl = { 1 << 20, 1 << 20 };
	char vs[64];
	int i, k = 0;

	/* GEM handles are not fds, but raise the limit anyway for children. */
	setrlimit(RLIMIT_NOFILE, &rl);
	bosh_sysfs_write(0, "writeback", "0");
	drop_caches();
	for (n = 1; n <= max; n = n == 1 ? 1000 : n * 10) {
		scale_one(n, &res[k]);
		printf("# scale %ld BOs: count %.1f us, scan %.1f us/page, freed %ld, background scans %ld, kswapd scanned %ld\n",
		       n, res[k].count_us, res[k].scan_us, res[k].freed,
		       res[k].mm_scans, res[k].kswapd_scanned);
		k++;
	}
	*nres = k;

	trow("\n== 4. scaling with the number of 1-page BOs (writeback off) ==\n");
	trow("   (medians; count: read of debugfs stats, which computes the shrinker count; scan: debugfs shrink of 1 page)\n");
	jarr("scaling");
	for (i = 0; i < k; i++) {
		char name[64];

		snprintf(name, sizeof(name), "count, %ld BOs", res[i].bos);
		ratio_str(vs, sizeof(vs), res[i].count_us, res[0].count_us, "1 BO");
		tline(name, res[i].count_us, "us/call", vs);
		snprintf(name, sizeof(name), "scan, %ld BOs", res[i].bos);
		ratio_str(vs, sizeof(vs), res[i].scan_us, res[0].scan_us, "1 BO");
		tline(name, res[i].scan_us, "us/page", vs);
		jobj(NULL);
		jint("bos", res[i].bos);
		jnum("count_us", res[i].count_us);
		jnum("count_ratio", res[i].count_us / res[0].count_us);
		jnum("scan_us_per_page", res[i].scan_us);
		jnum("scan_ratio", res[i].scan_us / res[0].scan_us);
		jnum("create_us_per_bo", res[i].create_us);
		jnum("slab_bytes_per_bo", res[i].slab_per_bo);
		jint("scan_freed_pages", res[i].freed);
		jint("background_bosh_scans", res[i].mm_scans);
		jint("background_kswapd_scanned", res[i].kswapd_scanned);
		jend_obj();
	}
	jend_arr();
}

/* ----------------------------------------------- 5. overcommit */

struct oc_shared {
	volatile long filled, touched, bad, resident_kb, pswpin;
	volatile double fill_s, touch_s;
};

static long self_rss_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static uint64_t stamp(uint64_t page)
{
	return bosh_mix(g_seed ^ bosh_mix(page));
}

static void stamp_page(char *p, uint64_t page)
{
	uint64_t s = stamp(page);

	memset(p, (int)(s & 0xff) | 1, BOSH_PAGE);
	memcpy(p, &s, 8);
	s = ~s;
	memcpy(p + BOSH_PAGE - 8, &s, 8);
}

static int stamp_ok(const char *p, uint64_t page)
{
	uint64_t s = stamp(page), a, b;

	memcpy(&a, p, 8);
	memcpy(&b, p + BOSH_PAGE - 8, 8);
	return a == s && b == ~s && p[BOSH_PAGE / 2] == (char)((s & 0xff) | 1);
}

/* The fixed random order: a seeded Fisher-Yates permutation. */
static uint32_t *permutation(uint64_t n)
{
	uint32_t *perm = malloc(n * sizeof(*perm));
	uint64_t i, x = 0x243f6a8885a308d3ULL;

	if (!perm)
		return NULL;
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		uint64_t j;

		x = bosh_mix(x);
		j = x % (i + 1);
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	return perm;
}

#define OC_BO_PAGES	512UL	/* 2 MiB BOs */

static void oc_child_bosh(uint64_t npages, uint64_t touches, struct oc_shared *sh)
{
	uint64_t nbos = npages / OC_BO_PAGES, i, p;
	static char buf[OC_BO_PAGES * BOSH_PAGE];
	uint32_t *h = calloc(nbos, sizeof(*h)), *perm;
	double t0 = now();
	int fd = bosh_open(0);

	if (fd < 0 || !h)
		_exit(3);
	for (i = 0; i < nbos; i++) {
		if (bosh_create(fd, OC_BO_PAGES * BOSH_PAGE, &h[i]))
			_exit(4);
		for (p = 0; p < OC_BO_PAGES; p++)
			stamp_page(buf + p * BOSH_PAGE, i * OC_BO_PAGES + p);
		if (bosh_rw(fd, h[i], BOSH_RW_WRITE, 0, sizeof(buf), buf))
			_exit(5);
		sh->filled = (i + 1) * OC_BO_PAGES;
	}
	sh->fill_s = now() - t0;
	perm = permutation(npages);
	if (!perm)
		_exit(3);
	sh->resident_kb = bosh_stat(0, "pages_resident") * 4;
	sh->pswpin = vmstat("pswpin");
	t0 = now();
	for (i = 0; i < touches; i++) {
		p = perm[i];
		if (bosh_rw(fd, h[p / OC_BO_PAGES], BOSH_RW_READ,
			    (p % OC_BO_PAGES) * BOSH_PAGE, BOSH_PAGE, buf))
			_exit(6);
		if (!stamp_ok(buf, p))
			sh->bad++;
		sh->touched = i + 1;
	}
	sh->touch_s = now() - t0;
	sh->pswpin = vmstat("pswpin") - sh->pswpin;
	_exit(sh->bad ? 2 : 0);
}

static void oc_child_anon(uint64_t npages, uint64_t touches, struct oc_shared *sh)
{
	size_t len = npages * BOSH_PAGE;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	static char buf[BOSH_PAGE];
	double t0 = now();
	uint32_t *perm;
	uint64_t i, p;

	if (m == MAP_FAILED)
		_exit(3);
	for (p = 0; p < npages; p++) {
		stamp_page(buf, p);
		memcpy(m + p * BOSH_PAGE, buf, BOSH_PAGE);
		if ((p + 1) % OC_BO_PAGES == 0)
			sh->filled = p + 1;
	}
	sh->fill_s = now() - t0;
	perm = permutation(npages);
	if (!perm)
		_exit(3);
	sh->resident_kb = self_rss_kb();
	sh->pswpin = vmstat("pswpin");
	t0 = now();
	for (i = 0; i < touches; i++) {
		p = perm[i];
		memcpy(buf, m + p * BOSH_PAGE, BOSH_PAGE);
		if (!stamp_ok(buf, p))
			sh->bad++;
		sh->touched = i + 1;
	}
	sh->touch_s = now() - t0;
	sh->pswpin = vmstat("pswpin") - sh->pswpin;
	_exit(sh->bad ? 2 : 0);
}

struct oc_result {
	double fill_s, touch_s, wall_s, touch_pps;
	long filled, touched, bad, oom_kills, status;
	int killed_by_oom, timed_out;
	long swap_peak_kb, backed_up, written, resident_kb, pswpin;
};

static void oc_run(int bosh, uint64_t npages, uint64_t touches, double timeout,
		   struct oc_result *r)
{
	struct oc_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long oom0 = vmstat("oom_kill"), b0 = bosh_stat(0, "backed_up_total");
	long w0 = bosh_stat(0, "written_back_total"), swap_total = meminfo("SwapTotal");
	double t0 = now();
	int status = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	drop_caches();
	pid = fork();
	if (pid == 0) {
		bosh_write_file("/proc/self/oom_score_adj", "1000");
		if (bosh)
			oc_child_bosh(npages, touches, sh);
		else
			oc_child_anon(npages, touches, sh);
		_exit(1);
	}
	while (pid > 0) {
		long used = swap_total - meminfo("SwapFree");
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (used > r->swap_peak_kb)
			r->swap_peak_kb = used;
		if (w == pid)
			break;
		if (now() - t0 > timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->timed_out = 1;
			break;
		}
		usleep(200000);
	}
	r->wall_s = now() - t0;
	r->fill_s = sh->fill_s;
	r->touch_s = sh->touch_s;
	r->filled = sh->filled;
	r->touched = sh->touched;
	r->bad = sh->bad;
	r->resident_kb = sh->resident_kb;
	r->pswpin = sh->pswpin;
	r->oom_kills = vmstat("oom_kill") - oom0;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->killed_by_oom = !r->timed_out && WIFSIGNALED(status) &&
			   WTERMSIG(status) == SIGKILL && r->oom_kills > 0;
	r->touch_pps = r->touch_s > 0 ? r->touched / r->touch_s : NAN;
	r->backed_up = bosh_stat(0, "backed_up_total") - b0;
	r->written = bosh_stat(0, "written_back_total") - w0;
	munmap(sh, sizeof(*sh));
	/* Let the freed swap and the fd's BOs settle. */
	sleep(1);
}

static void oc_json(const char *name, struct oc_result *r)
{
	jobj(name);
	jnum("fill_s", r->fill_s);
	jnum("touch_s", r->touch_s);
	jnum("wall_s", r->wall_s);
	jnum("touch_pages_per_s", r->touch_pps);
	jint("filled_pages", r->filled);
	jint("touched_pages", r->touched);
	jint("content_bad_pages", r->bad);
	jint("exit_status", r->status);
	jint("oom_kills", r->oom_kills);
	jint("killed_by_oom", r->killed_by_oom);
	jint("timed_out", r->timed_out);
	jint("swap_peak_kb", r->swap_peak_kb);
	jint("resident_kb_before_touches", r->resident_kb);
	jint("pswpin_during_touches", r->pswpin);
	jint("bosh_backed_up_pages", r->backed_up);
	jint("bosh_written_back_pages", r->written);
	jend_obj();
}

static void oc_rows(const char *name, struct oc_result *r, struct oc_result *ref)
{
	char n[96], vs[64];

	snprintf(n, sizeof(n), "%s: fill (sequential write)", name);
	tline(n, r->fill_s, "s", NULL);
	snprintf(n, sizeof(n), "%s: random touches", name);
	if (ref)
		ratio_str(vs, sizeof(vs), r->touch_pps, ref->touch_pps, "anon");
	tline(n, r->touch_pps, "pages/s", ref ? vs : NULL);
	snprintf(n, sizeof(n), "%s: data resident before touches", name);
	tline(n, r->resident_kb / 1024.0, "MiB", NULL);
	snprintf(n, sizeof(n), "%s: pages read from swap per touch", name);
	tline(n, r->touched ? (double)r->pswpin / r->touched : NAN, "pages", NULL);
	snprintf(n, sizeof(n), "%s: exit status / OOM kills", name);
	snprintf(vs, sizeof(vs), "status %ld, oom_kill %ld%s%s, bad %ld", r->status,
		 r->oom_kills, r->killed_by_oom ? " (child OOM-killed)" : "",
		 r->timed_out ? " (timed out)" : "", r->bad);
	tline(n, r->oom_kills, "kills", vs);
}

static void bench_overcommit(void)
{
	long factor = env_long("BENCH_OC_FACTOR", 2);
	uint64_t npages = (uint64_t)meminfo("MemTotal") * factor / 4;
	long touches_env = env_long("BENCH_OC_TOUCHES", 0);
	double timeout = env_long("BENCH_OC_TIMEOUT", 300);
	struct oc_result b, a;
	uint64_t touches;

	npages -= npages % OC_BO_PAGES;
	touches = touches_env > 0 && (uint64_t)touches_env < npages ? touches_env : npages;
	if (meminfo("SwapTotal") <= 0) {
		printf("# no swap: section 5 skipped\n");
		return;
	}
	bosh_write_file("/proc/self/oom_score_adj", "-1000");
	bosh_sysfs_write(0, "writeback", "1");
	oc_run(1, npages, touches, timeout, &b);
	bosh_sysfs_write(0, "writeback", "0");
	printf("# overcommit bosh: status %ld fill %.1fs touch %.1fs touched %ld oom %ld\n",
	       b.status, b.fill_s, b.touch_s, b.touched, b.oom_kills);
	oc_run(0, npages, touches, timeout, &a);
	printf("# overcommit anon: status %ld fill %.1fs touch %.1fs touched %ld oom %ld\n",
	       a.status, a.fill_s, a.touch_s, a.touched, a.oom_kills);

	trow("\n== 5. overcommit: %llu pages (%ldx MemTotal) in 2 MiB BOs, %llu random 4 KiB reads ==\n",
	     (unsigned long long)npages, factor, (unsigned long long)touches);
	oc_rows("bosh (BO_RW, writeback=1)", &b, &a);
	oc_rows("anon (memcpy from mapping)", &a, NULL);

	jobj("overcommit");
	jint("pages", npages);
	jint("factor_of_memtotal", factor);
	jint("touches", touches);
	jint("bo_pages", OC_BO_PAGES);
	oc_json("bosh", &b);
	oc_json("anon", &a);
	jend_obj();
}

/* ----------------------------------------------- 6. overhead */

static void bench_overhead(struct scale_result *res, int nres)
{
	uint64_t npages = 1UL << 20;	/* a 4 GiB BO, never populated */
	long free0, vm0, slab0, d_free, d_vm, d_slab;
	double per_bo = NAN;
	uint32_t h;
	int i;

	drop_caches();
	sleep(1);
	free0 = meminfo("MemFree");
	vm0 = meminfo("VmallocUsed");
	slab0 = meminfo("Slab");
	if (bosh_create(g_fd, npages * BOSH_PAGE, &h)) {
		printf("# overhead: 4 GiB create failed: %s\n", strerror(errno));
		return;
	}
	d_free = free0 - meminfo("MemFree");
	d_vm = meminfo("VmallocUsed") - vm0;
	d_slab = meminfo("Slab") - slab0;
	bosh_close_bo(g_fd, h);
	for (i = 0; i < nres; i++)
		if (res[i].bos >= 10000)
			per_bo = res[i].slab_per_bo;

	trow("\n== 6. memory overhead ==\n");
	tline("per slot: unpopulated 4 GiB BO, MemFree drop", d_free * 1024.0 / npages,
	      "bytes", "(design: 8, one unsigned long)");
	tline("per slot: same, VmallocUsed growth", d_vm * 1024.0 / npages, "bytes", NULL);
	tline("per BO: Slab growth / BO (largest run)", per_bo, "bytes",
	      "(bosh_bo + GEM handle + slots array)");

	jobj("overhead");
	jint("slot_test_pages", npages);
	jnum("slot_bytes_memfree", d_free * 1024.0 / npages);
	jnum("slot_bytes_vmalloc", d_vm * 1024.0 / npages);
	jnum("slot_test_slab_kb", d_slab);
	jnum("bo_slab_bytes", per_bo);
	jend_obj();
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	struct scale_result scale[8] = { 0 };
	double t_start = now();
	struct utsname u;
	char date[64];
	time_t t = time(NULL);
	int nscale = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	g_seed = bosh_seed();
	g_fd = bosh_open(0);
	if (g_fd < 0) {
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
	jint("mem_total_kb", meminfo("MemTotal"));
	jint("swap_total_kb", meminfo("SwapTotal"));
	jstr("note", "QEMU TCG guest: absolute numbers are emulation speed; compare ratios");
	jint("seed", g_seed);

	bench_copy();
	bench_ram();
	bench_swap();
	bench_scale(scale, &nscale);
	bench_overcommit();
	bench_overhead(scale, nscale);

	jnum("run_s", now() - t_start);
	jend_obj();

	printf("\nBOSH-BENCH-TABLE-BEGIN\n");
	printf("bosh benchmarks, %s, kernel %s, %ld CPUs, MemTotal %ld kB (QEMU TCG: absolute numbers are emulation speed)\n",
	       date, u.release, sysconf(_SC_NPROCESSORS_ONLN), meminfo("MemTotal"));
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

	close(g_fd);
	return 0;
}
