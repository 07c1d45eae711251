// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 2: backup and restore in RAM (writeback off),
 * debugfs evict then BO_VALIDATE, each repetition interleaved with a
 * memcpy and an allocate-and-copy pass, the order alternated, and
 * reported as ratios to them. The copy model's BO is on bosh.0; a
 * shmem-native BO of the same size on bosh.1 (so each device's evict
 * takes one BO) goes through the same cycle in the same repetitions.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

struct ram_rep {
	double evict, restore;
	long alloc, restored, slab_kb;
	long evict_alloc, evict_freed_kb;
};

/* One evict and one restore of the whole BO on @dev, in pages/s. */
static void ram_cycle(int dev, int fd, uint32_t h, struct ram_rep *r)
{
	long b0 = bosh_stat(dev, "backed_up_total");
	long r0 = bosh_stat(dev, "restored_total");
	long a0 = pgalloc(), f0 = bosh_meminfo_kib("MemFree"), s0;
	double t0 = bosh_now();

	if (bosh_debugfs_write(dev, "evict", "1"))
		printf("# evict failed: %s\n", strerror(errno));
	r->evict = (bosh_stat(dev, "backed_up_total") - b0) / (bosh_now() - t0);
	/* What a backup allocates, and the RAM it gives back at once. */
	r->evict_alloc = pgalloc() - a0;
	r->evict_freed_kb = bosh_meminfo_kib("MemFree") - f0;
	a0 = pgalloc();
	s0 = bosh_meminfo_kib("Slab");
	t0 = bosh_now();
	if (bosh_validate(fd, h))
		printf("# validate failed\n");
	r->restore = (bosh_stat(dev, "restored_total") - r0) / (bosh_now() - t0);
	r->alloc = pgalloc() - a0;
	r->slab_kb = bosh_meminfo_kib("Slab") - s0;
	r->restored = bosh_stat(dev, "restored_total") - r0;
}

void bench_ram(void)
{
	uint64_t npages = (uint64_t)env_long("BENCH_RAM_MB", 128) * PAGES_PER_MB;
	size_t len = (size_t)env_long("BENCH_COPY_MB", 64) << 20;
	double ev[BENCH_MAX_REPS], rs[BENCH_MAX_REPS], cp[BENCH_MAX_REPS], ac[BENCH_MAX_REPS];
	double ev_ac[BENCH_MAX_REPS], rs_ac[BENCH_MAX_REPS];
	double ev_cp[BENCH_MAX_REPS], rs_cp[BENCH_MAX_REPS];
	double sev[BENCH_MAX_REPS], srs[BENCH_MAX_REPS];
	double ev_sc[BENCH_MAX_REPS], rs_sc[BENCH_MAX_REPS];
	double ev_alloc[BENCH_MAX_REPS], sev_alloc[BENCH_MAX_REPS];
	double ev_freed[BENCH_MAX_REPS], sev_freed[BENCH_MAX_REPS];
	long alloc = 0, restored = 0, slab_kb = 0, salloc = 0, srestored = 0;
	char *a = anon_4k(len), *b = anon_4k(len);
	int i, n = bench_reps(0), fd1 = bosh_open(1);
	struct ram_rep r, sr;
	uint64_t bad;
	uint32_t h, sh;

	bosh_sysfs_write(0, "writeback", "0");
	bosh_sysfs_write(1, "writeback", "0");
	if (!a || !b || fd1 < 0 || bosh_create(bench_fd, npages * BOSH_PAGE, &h) ||
	    bo_fill(bench_fd, h, npages, 1, 0)) {
		printf("# ram: create/fill failed\n");
		return;
	}
	bosh_create_flags = BOSH_BO_CREATE_SHMEM;
	if (bosh_create(fd1, npages * BOSH_PAGE, &sh) || bo_fill(fd1, sh, npages, 11, 0)) {
		bosh_create_flags = 0;
		printf("# ram: shmem-native create/fill failed\n");
		return;
	}
	bosh_create_flags = 0;
	memset(a, 0x44, len);
	memset(b, 0, len);
	for (i = 0; i < n; i++) {
		if (i % 2) {
			ram_cycle(0, bench_fd, h, &r);
			ram_cycle(1, fd1, sh, &sr);
		}
		cp[i] = memcpy_pps(b, a, len);
		ac[i] = alloc_copy_pps(a, len);
		if (!(i % 2)) {
			ram_cycle(1, fd1, sh, &sr);
			ram_cycle(0, bench_fd, h, &r);
		}
		ev[i] = r.evict;
		rs[i] = r.restore;
		sev[i] = sr.evict;
		srs[i] = sr.restore;
		ev_alloc[i] = (double)r.evict_alloc / npages;
		sev_alloc[i] = (double)sr.evict_alloc / npages;
		ev_freed[i] = r.evict_freed_kb / 4.0;
		sev_freed[i] = sr.evict_freed_kb / 4.0;
		alloc += r.alloc;
		restored += r.restored;
		salloc += sr.alloc;
		srestored += sr.restored;
		slab_kb += r.slab_kb;
	}
	bad = bo_check(bench_fd, h, npages, 1, 0) + bo_check(fd1, sh, npages, 11, 0);
	bosh_close_bo(bench_fd, h);
	bosh_close_bo(fd1, sh);
	close(fd1);
	munmap(a, len);
	munmap(b, len);
	ratios(ev_ac, ev, ac, n);
	ratios(rs_ac, rs, ac, n);
	ratios(ev_cp, ev, cp, n);
	ratios(rs_cp, rs, cp, n);
	ratios(ev_sc, sev, ev, n);
	ratios(rs_sc, srs, rs, n);

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
	tspread("  page allocations per page, evict", ev_alloc, n, "pages",
		"(the store's copies)");
	tspread("  MemFree gained by the evict", ev_freed, n, "pages", NULL);
	trow("   shmem-native BO, same size, on bosh.1, in the same repetitions:\n");
	tspread("evict, shmem-native (unpin)", sev, n, "pages/s", NULL);
	tspread("restore, shmem-native (pin again, BO_VALIDATE)", srs, n, "pages/s", NULL);
	tspread("  ratio: shmem-native / copy, evict", ev_sc, n, "x", NULL);
	tspread("  ratio: shmem-native / copy, restore", rs_sc, n, "x", NULL);
	tline("  page allocations per restored page, shmem-native",
	      srestored ? (double)salloc / srestored : 0, "pages", "(0 = re-pinned in place)");
	tspread("  page allocations per page, evict, shmem-native", sev_alloc, n, "pages", NULL);
	tspread("  MemFree gained by the evict, shmem-native", sev_freed, n, "pages",
		"(unpinned pages stay until reclaim)");
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
	jspread("evict_pgalloc_per_page", ev_alloc, n);
	jspread("evict_memfree_gain_pages", ev_freed, n);
	jobj("shmem");
	jspread("evict_pages_per_s", sev, n);
	jspread("restore_pages_per_s", srs, n);
	jspread("evict_ratio_to_copy", ev_sc, n);
	jspread("restore_ratio_to_copy", rs_sc, n);
	jnum("restore_pgalloc_per_page", srestored ? (double)salloc / srestored : 0);
	jspread("evict_pgalloc_per_page", sev_alloc, n);
	jspread("evict_memfree_gain_pages", sev_freed, n);
	jend_obj();
	jnum("restore_slab_kb_delta", (double)slab_kb / n);
	jint("content_bad_pages", bad);
	jend_obj();
}
