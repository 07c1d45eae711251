// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 2: backup and restore in RAM (writeback off),
 * debugfs evict then BO_VALIDATE, as ratios to the copy limit.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

/* @copy_pps: section 1's limit, the reference of the ratios. */
void bench_ram(double copy_pps)
{
	uint64_t npages = (uint64_t)env_long("BENCH_RAM_MB", 128) * PAGES_PER_MB;
	double ev[3], rs[3], evict_pps, restore_pps, er, rr, ev_first;
	long restore_alloc = 0, restore_slab = 0, restored = 0;
	uint64_t bad;
	uint32_t h;
	char vs[64];
	int i;

	bosh_sysfs_write(0, "writeback", "0");
	if (bosh_create(bench_fd, npages * BOSH_PAGE, &h) || bo_fill(bench_fd, h, npages, 1, 0)) {
		printf("# ram: create/fill failed\n");
		return;
	}
	for (i = 0; i < 3; i++) {
		long b0 = bosh_stat(0, "backed_up_total");
		long r0 = bosh_stat(0, "restored_total");
		long a0, s0;
		double t0 = bosh_now();

		if (bosh_debugfs_write(0, "evict", "1"))
			printf("# evict failed: %s\n", strerror(errno));
		ev[i] = (bosh_stat(0, "backed_up_total") - b0) / (bosh_now() - t0);
		a0 = pgalloc();
		s0 = bosh_meminfo_kib("Slab");
		t0 = bosh_now();
		if (bosh_validate(bench_fd, h))
			printf("# validate failed\n");
		rs[i] = (bosh_stat(0, "restored_total") - r0) / (bosh_now() - t0);
		restore_alloc += pgalloc() - a0;
		restore_slab += bosh_meminfo_kib("Slab") - s0;
		restored += bosh_stat(0, "restored_total") - r0;
	}
	bad = bo_check(bench_fd, h, npages, 1, 0);
	bosh_close_bo(bench_fd, h);
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
