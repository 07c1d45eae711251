// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 3, against core-mm reclaim: bosh's evict with
 * writeback and its restore from swap, through one BO_VALIDATE and
 * through mmap faults, next to MADV_PAGEOUT and swap-in of anonymous
 * memory (4 KiB pages) and of a memfd, on the same swap device.
 *
 * A repetition makes four objects of the same size and pattern (a BO on
 * bosh.0 restored by BO_VALIDATE, a BO on bosh.1 restored by faults of a
 * mapping: evict is per device, so each BO goes out on its own), pages
 * them out one by one, squeezes the swap cache out once, swaps them in
 * one by one, checks every page and frees them. The order of the four is
 * reversed every other repetition.
 */
#define _GNU_SOURCE
#include <stddef.h>

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

/*
 * bosh's objects: the copy model's and the shmem-native model's, each
 * swapped in through BO_VALIDATE (on bosh.0) and through mmap faults (on
 * bosh.1).
 */
enum swap_kind { SK_BOSH_V, SK_BOSH_M, SK_ANON, SK_MEMFD, SK_SHM_V, SK_SHM_M, SK_N };

static const char *const sk_name[SK_N] = {
	"bosh_validate", "bosh_mmap", "anon", "memfd", "shmem_validate", "shmem_mmap",
};

static bool sk_bosh(enum swap_kind k)
{
	return k == SK_BOSH_V || k == SK_BOSH_M || k == SK_SHM_V || k == SK_SHM_M;
}

static bool sk_mmap(enum swap_kind k)
{
	return k == SK_BOSH_M || k == SK_SHM_M;
}

/* One object of a repetition. */
struct swap_obj {
	enum swap_kind kind;
	int fd, dev;		/* bosh: the device's fd; memfd: the file */
	uint32_t h;
	char *map;		/* anon, memfd, bosh_mmap */
	size_t len;
};

/* Each kind's figures, one entry per repetition. */
struct swap_figs {
	double out_pps[BENCH_MAX_REPS], in_pps[BENCH_MAX_REPS];
	double out_per_req[BENCH_MAX_REPS], in_per_req[BENCH_MAX_REPS];
	double in_alloc[BENCH_MAX_REPS], freed[BENCH_MAX_REPS];
	double written[BENCH_MAX_REPS], swapped_in[BENCH_MAX_REPS];
	long bad;
};

/* Disk requests and sectors since @ios0 and @sectors0, as pages a request. */
static double pages_per_req(int write, long ios0, long sectors0)
{
	long ios, sectors;

	disk_stat(write, &ios, &sectors);
	return ios > ios0 ? (sectors - sectors0) / 8.0 / (ios - ios0) : NAN;
}

static int obj_make(struct swap_obj *o, enum swap_kind kind, int dev1_fd, uint64_t npages)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->len = npages * BOSH_PAGE;
	o->fd = -1;
	switch (kind) {
	case SK_BOSH_V:
	case SK_BOSH_M:
	case SK_SHM_V:
	case SK_SHM_M:
		o->dev = sk_mmap(kind);
		o->fd = o->dev ? dev1_fd : bench_fd;
		bosh_create_flags = kind >= SK_SHM_V ? BOSH_BO_CREATE_SHMEM : 0;
		if (bosh_create(o->fd, o->len, &o->h) || bo_fill(o->fd, o->h, npages, 2 + kind, 0)) {
			bosh_create_flags = 0;
			return -1;
		}
		bosh_create_flags = 0;
		if (sk_mmap(kind)) {
			o->map = bosh_mmap(o->fd, o->h, o->len, MAP_SHARED);
			if (o->map == MAP_FAILED)
				return -1;
		}
		return 0;
	case SK_ANON:
		o->map = anon_4k(o->len);
		break;
	case SK_MEMFD:
		o->fd = memfd_create("bosh-bench", MFD_CLOEXEC);
		if (o->fd < 0 || ftruncate(o->fd, o->len))
			return -1;
		o->map = mmap(NULL, o->len, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd, 0);
		break;
	default:
		return -1;
	}
	if (!o->map || o->map == MAP_FAILED)
		return -1;
	bosh_pattern_fill(o->map, npages, bench_seed, 2 + kind, 0);
	return 0;
}

/* Check every page, then free the object. */
static long obj_check_free(struct swap_obj *o, uint64_t npages)
{
	long bad;

	if (sk_bosh(o->kind) && !sk_mmap(o->kind))
		bad = bo_check(o->fd, o->h, npages, 2 + o->kind, 0);
	else
		bad = bosh_pattern_check(o->map, npages, bench_seed, 2 + o->kind, 0);
	if (o->map && o->map != MAP_FAILED)
		munmap(o->map, o->len);
	if (sk_bosh(o->kind))
		bosh_close_bo(o->fd, o->h);
	else if (o->kind == SK_MEMFD)
		close(o->fd);
	return bad;
}

static void page_out(struct swap_obj *o)
{
	if (sk_bosh(o->kind)) {
		bosh_sysfs_write(o->dev, "writeback", "1");
		if (bosh_debugfs_write(o->dev, "evict", "1"))
			printf("# evict (writeback) failed: %s\n", strerror(errno));
		bosh_sysfs_write(o->dev, "writeback", "0");
	} else if (madvise(o->map, o->len, MADV_PAGEOUT)) {
		printf("# MADV_PAGEOUT failed: %s\n", strerror(errno));
	}
}

/* bosh_validate: one ioctl; the others: a read of one byte a page. */
static void swap_in(struct swap_obj *o)
{
	volatile char sink;
	size_t off;

	if (sk_bosh(o->kind) && !sk_mmap(o->kind)) {
		if (bosh_validate(o->fd, o->h))
			printf("# validate failed\n");
		return;
	}
	for (off = 0; off < o->len; off += BOSH_PAGE)
		sink = o->map[off];
	(void)sink;
}

/* Page out, timed until the swap writeback drained. */
static void timed_out(struct swap_obj *o, struct swap_figs *f, int rep)
{
	long free_kb, pswpout, ios, sectors;
	double t0;

	sync();
	wait_writeback();
	free_kb = bosh_meminfo_kib("MemFree");
	pswpout = bosh_vmstat("pswpout");
	disk_stat(1, &ios, &sectors);
	t0 = bosh_now();
	page_out(o);
	wait_writeback();
	f->out_pps[rep] = o->len / BOSH_PAGE / (bosh_now() - t0);
	f->written[rep] = bosh_vmstat("pswpout") - pswpout;
	f->freed[rep] = (bosh_meminfo_kib("MemFree") - free_kb) / 4.0;
	f->out_per_req[rep] = pages_per_req(1, ios, sectors);
}

static void timed_in(struct swap_obj *o, struct swap_figs *f, int rep)
{
	long pages = o->len / BOSH_PAGE, alloc = pgalloc(), pswpin = bosh_vmstat("pswpin");
	long ios, sectors;
	double t0;

	disk_stat(0, &ios, &sectors);
	t0 = bosh_now();
	swap_in(o);
	f->in_pps[rep] = pages / (bosh_now() - t0);
	f->in_alloc[rep] = (double)(pgalloc() - alloc) / pages;
	f->swapped_in[rep] = bosh_vmstat("pswpin") - pswpin;
	f->in_per_req[rep] = pages_per_req(0, ios, sectors);
}

/* One repetition: the four objects out, the swap cache squeezed, in. */
static int swap_rep(int rep, uint64_t npages, int dev1_fd, struct swap_figs *f)
{
	struct swap_obj o[SK_N];
	int i, k;

	drop_caches();
	for (k = 0; k < SK_N; k++)
		if (obj_make(&o[k], k, dev1_fd, npages)) {
			printf("# swap: making %s failed: %s\n", sk_name[k], strerror(errno));
			/* The ones made are freed: later sections need the memory. */
			while (k-- > 0)
				obj_check_free(&o[k], npages);
			return -1;
		}
	for (i = 0; i < SK_N; i++) {
		bool pinned[SK_N] = { false };
		int j;

		k = rep % 2 ? SK_N - 1 - i : i;
		/*
		 * A device's evict takes every BO on it: another BO there not
		 * yet paged out (later in this repetition's order) is pinned
		 * out of its way, untimed.
		 */
		for (j = 0; j < SK_N; j++) {
			int later = rep % 2 ? j < k : j > k;

			if (later && sk_bosh(j) && sk_bosh(k) && o[j].dev == o[k].dev)
				pinned[j] = !bosh_pin(o[j].fd, o[j].h, BOSH_PIN);
		}
		timed_out(&o[k], &f[k], rep);
		for (j = 0; j < SK_N; j++)
			if (pinned[j])
				bosh_pin(o[j].fd, o[j].h, BOSH_UNPIN);
	}
	flush_swapcache();
	for (i = 0; i < SK_N; i++) {
		k = rep % 2 ? SK_N - 1 - i : i;
		timed_in(&o[k], &f[k], rep);
	}
	for (k = 0; k < SK_N; k++)
		f[k].bad += obj_check_free(&o[k], npages);
	printf("# swap rep %d: out", rep);
	for (k = 0; k < SK_N; k++)
		printf(" %.0f", f[k].out_pps[rep]);
	printf(", in");
	for (k = 0; k < SK_N; k++)
		printf(" %.0f", f[k].in_pps[rep]);
	printf(" pages/s (%s", sk_name[0]);
	for (k = 1; k < SK_N; k++)
		printf(", %s", sk_name[k]);
	printf(")\n");
	return 0;
}

static void swap_json(const char *name, struct swap_figs *f, int n)
{
	jobj(name);
	jspread("out_pages_per_s", f->out_pps, n);
	jspread("in_pages_per_s", f->in_pps, n);
	jspread("out_pages_per_disk_write", f->out_per_req, n);
	jspread("in_pages_per_disk_read", f->in_per_req, n);
	jspread("in_pgalloc_per_page", f->in_alloc, n);
	jspread("out_memfree_gain_pages", f->freed, n);
	jspread("out_pswpout_pages", f->written, n);
	jspread("in_pswpin_pages", f->swapped_in, n);
	jint("content_bad_pages", f->bad);
	jend_obj();
}

/* One ratio row and its JSON key: a's figure over b's, per repetition. */
static void swap_ratio(const char *name, const char *key, const double *a, const double *b, int n)
{
	double r[BENCH_MAX_REPS];

	ratios(r, a, b, n);
	tspread(name, r, n, "x", NULL);
	jspread(key, r, n);
}

static void swap_per_kind(const char *what, struct swap_figs *f, size_t field, int n,
			  const char *unit)
{
	char name[96];
	int k;

	for (k = 0; k < SK_N; k++) {
		snprintf(name, sizeof(name), "  %s: %s", what, sk_name[k]);
		tspread(name, (const double *)((const char *)&f[k] + field), n, unit, NULL);
	}
}

void bench_swap(void)
{
	uint64_t npages = (uint64_t)env_long("BENCH_SWAP_MB", 64) * PAGES_PER_MB;
	static struct swap_figs f[SK_N];
	int n = bench_reps(1), rep, dev1_fd = bosh_open(1);
	long bad = 0;

	if (bosh_meminfo_kib("SwapTotal") <= 0 || dev1_fd < 0) {
		printf("# no swap or no bosh.1: section 3 skipped\n");
		return;
	}
	for (rep = 0; rep < n && !bench_over_budget(rep); rep++)
		if (swap_rep(rep, npages, dev1_fd, f))
			break;
	n = rep;
	close(dev1_fd);

	trow("\n== 3. against core-mm reclaim, same swap device (virtio), %llu pages each ==\n",
	     (unsigned long long)npages);
	trow("   (%d interleaved repetitions; page-out timed until swap writeback drained;\n", n);
	trow("    swap-in after the swap cache was squeezed out)\n");
	jobj("swap");
	jint("pages", npages);
	jint("reps", n);
	tspread("bosh page-out (debugfs evict, writeback=1)", f[SK_BOSH_V].out_pps, n, "pages/s",
		NULL);
	tspread("anon MADV_PAGEOUT (4 KiB pages)", f[SK_ANON].out_pps, n, "pages/s", NULL);
	tspread("memfd (shmem) MADV_PAGEOUT", f[SK_MEMFD].out_pps, n, "pages/s", NULL);
	swap_ratio("  ratio: bosh page-out / anon", "out_ratio_bosh_to_anon",
		   f[SK_BOSH_V].out_pps, f[SK_ANON].out_pps, n);
	swap_ratio("  ratio: bosh page-out / memfd", "out_ratio_bosh_to_memfd",
		   f[SK_BOSH_V].out_pps, f[SK_MEMFD].out_pps, n);
	tspread("bosh swap-in, one BO_VALIDATE", f[SK_BOSH_V].in_pps, n, "pages/s", NULL);
	tspread("bosh swap-in, mmap faults (read a byte a page)", f[SK_BOSH_M].in_pps, n,
		"pages/s", NULL);
	tspread("anon swap-in, faults (read a byte a page)", f[SK_ANON].in_pps, n, "pages/s", NULL);
	tspread("memfd swap-in, faults (read a byte a page)", f[SK_MEMFD].in_pps, n, "pages/s",
		NULL);
	swap_ratio("  ratio: bosh BO_VALIDATE / anon", "in_ratio_bosh_to_anon",
		   f[SK_BOSH_V].in_pps, f[SK_ANON].in_pps, n);
	swap_ratio("  ratio: bosh BO_VALIDATE / memfd", "in_ratio_bosh_to_memfd",
		   f[SK_BOSH_V].in_pps, f[SK_MEMFD].in_pps, n);
	swap_ratio("  ratio: bosh mmap faults / anon", "in_ratio_bosh_mmap_to_anon",
		   f[SK_BOSH_M].in_pps, f[SK_ANON].in_pps, n);
	swap_ratio("  ratio: bosh mmap faults / memfd", "in_ratio_bosh_mmap_to_memfd",
		   f[SK_BOSH_M].in_pps, f[SK_MEMFD].in_pps, n);
	trow("   shmem-native BOs, in the same repetitions:\n");
	tspread("shmem-native page-out (debugfs evict, writeback=1)", f[SK_SHM_V].out_pps, n,
		"pages/s", NULL);
	swap_ratio("  ratio: shmem-native page-out / memfd", "out_ratio_shmem_to_memfd",
		   f[SK_SHM_V].out_pps, f[SK_MEMFD].out_pps, n);
	swap_ratio("  ratio: shmem-native page-out / copy model", "out_ratio_shmem_to_copy",
		   f[SK_SHM_V].out_pps, f[SK_BOSH_V].out_pps, n);
	tspread("shmem-native swap-in, one BO_VALIDATE", f[SK_SHM_V].in_pps, n, "pages/s",
		NULL);
	tspread("shmem-native swap-in, mmap faults", f[SK_SHM_M].in_pps, n, "pages/s", NULL);
	swap_ratio("  ratio: shmem-native BO_VALIDATE / memfd", "in_ratio_shmem_to_memfd",
		   f[SK_SHM_V].in_pps, f[SK_MEMFD].in_pps, n);
	swap_ratio("  ratio: shmem-native BO_VALIDATE / copy model", "in_ratio_shmem_to_copy",
		   f[SK_SHM_V].in_pps, f[SK_BOSH_V].in_pps, n);
	swap_ratio("  ratio: shmem-native mmap faults / memfd", "in_ratio_shmem_mmap_to_memfd",
		   f[SK_SHM_M].in_pps, f[SK_MEMFD].in_pps, n);
	swap_ratio("  ratio: shmem-native mmap faults / copy model",
		   "in_ratio_shmem_mmap_to_copy_mmap", f[SK_SHM_M].in_pps, f[SK_BOSH_M].in_pps, n);
	swap_per_kind("page allocs per page, swap-in", f, offsetof(struct swap_figs, in_alloc), n,
		      "pages");
	swap_per_kind("pages per disk write request", f, offsetof(struct swap_figs, out_per_req),
		      n, "pages");
	swap_per_kind("pages per disk read request", f, offsetof(struct swap_figs, in_per_req), n,
		      "pages");
	swap_per_kind("MemFree gained after page-out", f, offsetof(struct swap_figs, freed), n,
		      "pages");
	for (rep = 0; rep < SK_N; rep++) {
		swap_json(sk_name[rep], &f[rep], n);
		bad += f[rep].bad;
	}
	tline("  content errors (all objects, all repetitions)", bad, "pages", NULL);
	jend_obj();
}
