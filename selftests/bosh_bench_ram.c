// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 2: backup and restore in RAM (writeback off),
 * debugfs evict then BO_VALIDATE, each repetition interleaved with a
 * memcpy and an allocate-and-copy pass, the order alternated, and
 * reported as ratios to them.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

struct ram_rep {
	double evict, restore;
	long alloc, restored, slab_kb;
};

/* One evict and one restore of the whole BO, in pages/s. */
static void ram_cycle(uint32_t h, struct ram_rep *r)
{
	long b0 = bosh_stat(0, "backed_up_total");
	long r0 = bosh_stat(0, "restored_total");
	long a0, s0;
	double t0 = bosh_now();

	if (bosh_debugfs_write(0, "evict", "1"))
		printf("# evict failed: %s\n", strerror(errno));
	r->evict = (bosh_stat(0, "backed_up_total") - b0) / (bosh_now() - t0);
	a0 = pgalloc();
	s0 = bosh_meminfo_kib("Slab");
	t0 = bosh_now();
	if (bosh_validate(bench_fd, h))
		printf("# validate failed\n");
	r->restore = (bosh_stat(0, "restored_total") - r0) / (bosh_now() - t0);
	r->alloc = pgalloc() - a0;
	r->slab_kb = bosh_meminfo_kib("Slab") - s0;
	r->restored = bosh_stat(0, "restored_total") - r0;
}

void bench_ram(void)
{
	uint64_t npages = (uint64_t)env_long("BENCH_RAM_MB", 128) * PAGES_PER_MB;
	size_t len = (size_t)env_long("BENCH_COPY_MB", 64) << 20;
	double ev[BENCH_MAX_REPS], rs[BENCH_MAX_REPS], cp[BENCH_MAX_REPS], ac[BENCH_MAX_REPS];
	double ev_ac[BENCH_MAX_REPS], rs_ac[BENCH_MAX_REPS];
	double ev_cp[BENCH_MAX_REPS], rs_cp[BENCH_MAX_REPS];
	long alloc = 0, restored = 0, slab_kb = 0;
	char *a = anon_4k(len), *b = anon_4k(len);
	int i, n = bench_reps(0);
	struct ram_rep r;
	uint64_t bad;
	uint32_t h;

	bosh_sysfs_write(0, "writeback", "0");
	if (!a || !b || bosh_create(bench_fd, npages * BOSH_PAGE, &h) ||
	    bo_fill(bench_fd, h, npages, 1, 0)) {
		printf("# ram: create/fill failed\n");
		return;
	}
	memset(a, 0x44, len);
	memset(b, 0, len);
	for (i = 0; i < n; i++) {
		if (i % 2)
			ram_cycle(h, &r);
		cp[i] = memcpy_pps(b, a, len);
		ac[i] = alloc_copy_pps(a, len);
		if (!(i % 2))
			ram_cycle(h, &r);
		ev[i] = r.evict;
		rs[i] = r.restore;
		alloc += r.alloc;
		restored += r.restored;
		slab_kb += r.slab_kb;
	}
	bad = bo_check(bench_fd, h, npages, 1, 0);
	bosh_close_bo(bench_fd, h);
	munmap(a, len);
	munmap(b, len);
	ratios(ev_ac, ev, ac, n);
	ratios(rs_ac, rs, ac, n);
	ratios(ev_cp, ev, cp, n);
	ratios(rs_cp, rs, cp, n);

	trow("\n== 2. backup and restore in RAM, writeback off (%llu pages, %d repetitions) ==\n",
	     (unsigned long long)npages, n);
	tspread("evict (debugfs evict, writeback=0)", ev, n, "pages/s", NULL);
	tspread("restore (BO_VALIDATE from store)", rs, n, "pages/s", NULL);
	tspread("alloc+copy floor (same repetitions)", ac, n, "pages/s", NULL);
	tspread("copy limit (same repetitions)", cp, n, "pages/s", NULL);
	tspread("  ratio: evict / alloc+copy floor", ev_ac, n, "x", NULL);
	tspread("  ratio: restore / alloc+copy floor", rs_ac, n, "x", NULL);
	tspread("  ratio: evict / copy limit", ev_cp, n, "x", NULL);
	tspread("  ratio: restore / copy limit", rs_cp, n, "x", NULL);
	tline("  page allocations per restored page", (double)alloc / restored,
	      "pages", "(1.0 = destination page only)");
	tline("  content errors after all cycles", bad, "pages", NULL);

	jobj("ram");
	jint("pages", npages);
	jint("reps", n);
	jspread("evict_pages_per_s", ev, n);
	jspread("restore_pages_per_s", rs, n);
	jspread("alloc_copy_pages_per_s", ac, n);
	jspread("memcpy_pages_per_s", cp, n);
	jspread("evict_ratio_to_floor", ev_ac, n);
	jspread("restore_ratio_to_floor", rs_ac, n);
	jspread("evict_ratio_to_copy", ev_cp, n);
	jspread("restore_ratio_to_copy", rs_cp, n);
	jnum("restore_pgalloc_per_page", (double)alloc / restored);
	jnum("restore_slab_kb_delta", (double)slab_kb / n);
	jint("content_bad_pages", bad);
	jend_obj();
}
