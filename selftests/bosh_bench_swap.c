// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 3, against core-mm reclaim: bosh's evict with
 * writeback and its restore from swap, next to MADV_PAGEOUT and swap-in
 * of anonymous memory and of a memfd, on the same swap device.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

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

/* Wait until no page is under writeback (swap I/O finished). */
static void wait_writeback(void)
{
	double t0 = bosh_now();

	while (bosh_meminfo_kib("Writeback") > 0 && bosh_now() - t0 < 120)
		usleep(1000);
}

/*
 * Push clean swap-cache pages out of RAM, so that the following swap-in
 * really reads the disk: a child touches anonymous memory until
 * SwapCached is (almost) gone, then exits and gives it all back.
 */
static void flush_swapcache(void)
{
	long start_cached = bosh_meminfo_kib("SwapCached");
	long limit_kb = bosh_meminfo_kib("MemFree") + start_cached + 32768;
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
			if (bosh_meminfo_kib("SwapCached") < 1024 + start_cached / 100)
				break;
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

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
	m->free_kb = bosh_meminfo_kib("MemFree");
	m->pswpout = bosh_vmstat("pswpout");
	disk_stat(1, &m->ios, &m->sectors);
	m->t0 = bosh_now();
}

static void out_end(struct out_mark *m, struct swap_result *r, uint64_t npages)
{
	r->out_call_s = bosh_now() - m->t0;
	wait_writeback();
	r->out_drain_s = bosh_now() - m->t0;
	r->written_pages = bosh_vmstat("pswpout") - m->pswpout;
	r->freed_pages = (bosh_meminfo_kib("MemFree") - m->free_kb) / 4.0;
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
	m->pswpin = bosh_vmstat("pswpin");
	disk_stat(0, &m->ios, &m->sectors);
	m->t0 = bosh_now();
}

static void in_end(struct in_mark *m, struct swap_result *r, uint64_t npages)
{
	r->in_s = bosh_now() - m->t0;
	r->in_pps = npages / r->in_s;
	r->in_pgalloc_per_page = (double)(pgalloc() - m->pgalloc) / npages;
	r->in_major = bosh_vmstat("pswpin") - m->pswpin;
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

	if (bosh_create(bench_fd, npages * BOSH_PAGE, &h) || bo_fill(bench_fd, h, npages, 2, 0)) {
		printf("# swap bosh: create/fill failed\n");
		r->bad = -1;
		return;
	}
	bosh_sysfs_write(0, "writeback", "1");
	w0 = bosh_stat(0, "written_back_total");
	out_begin(&om);
	if (bosh_debugfs_write(0, "evict", "1"))
		printf("# evict (writeback) failed: %s\n", strerror(errno));
	out_end(&om, r, npages);
	bosh_sysfs_write(0, "writeback", "0");
	printf("# bosh written_back_total delta %ld\n", bosh_stat(0, "written_back_total") - w0);

	in_begin(&im);
	if (bosh_validate(bench_fd, h))
		printf("# validate failed\n");
	in_end(&im, r, npages);
	r->bad = bo_check(bench_fd, h, npages, 2, 0);
	bosh_close_bo(bench_fd, h);
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
	bosh_pattern_fill(p, npages, bench_seed, 3, 0);
	if (!memfd)
		r->anon_huge_kb = bosh_meminfo_kib("AnonHugePages");

	out_begin(&om);
	if (madvise(p, len, MADV_PAGEOUT))
		printf("# MADV_PAGEOUT failed: %s\n", strerror(errno));
	out_end(&om, r, npages);

	in_begin(&im);
	for (i = 0; i < npages; i++)
		sink = p[i * BOSH_PAGE];
	(void)sink;
	in_end(&im, r, npages);
	r->bad = bosh_pattern_check(p, npages, bench_seed, 3, 0);
	munmap(p, len);
	if (fd >= 0)
		close(fd);
}

void bench_swap(void)
{
	uint64_t npages = (uint64_t)env_long("BENCH_SWAP_MB", 256) * PAGES_PER_MB;
	struct swap_result b = { 0 }, a = { 0 }, m = { 0 };
	char vs[64];

	b.anon_huge_kb = -1;
	if (bosh_meminfo_kib("SwapTotal") <= 0) {
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
