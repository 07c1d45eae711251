// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 4: how the shrinker's count (a read of debugfs
 * stats) and scan (a debugfs shrink of one page) scale with the number
 * of 1-page BOs.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

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
	slab0 = bosh_meminfo_kib("Slab");
	t0 = bosh_now();
	for (n = 0; n < nbos; n++) {
		if (bosh_create(fd, BOSH_PAGE, &h[n])) {
			printf("# scale: create %ld failed: %s\n", n, strerror(errno));
			break;
		}
	}
	r->create_us = (bosh_now() - t0) * 1e6 / nbos;
	r->slab_per_bo = (bosh_meminfo_kib("Slab") - slab0) * 1024.0 / nbos;
	nbos = n;
	for (n = 0; n < nbos; n++)
		bosh_rw(fd, h[n], BOSH_RW_WRITE, 0, BOSH_PAGE, page);

	/*
	 * count: the stats file computes pages_shrinkable as the count does.
	 * Medians per call: TCG timing is noisy.
	 */
	scans0 = bosh_stat(0, "scans_total");
	kswapd0 = bosh_vmstat("pgscan_kswapd");
	stfd = open(BOSH_DEBUGFS "/bosh.0/stats", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < reps; i++) {
		t0 = bosh_now();
		lseek(stfd, 0, SEEK_SET);
		if (read(stfd, buf, sizeof(buf)) <= 0)
			break;
		tv[i] = bosh_now() - t0;
	}
	r->count_us = sec_median(tv, i) * 1e6;
	close(stfd);

	/* scan: debugfs shrink of one page per call, as reclaim would run it */
	sfd = open(BOSH_DEBUGFS "/bosh.0/shrink", O_RDWR | O_CLOEXEC);
	freed0 = bosh_stat(0, "freed_total");
	for (i = 0; i < calls; i++) {
		t0 = bosh_now();
		if (pwrite(sfd, "1", 1, 0) != 1)
			break;
		tv[i] = bosh_now() - t0;
		if (nbos == 1)
			bosh_validate(fd, h[0]);
	}
	r->scan_us = sec_median(tv, i) * 1e6;
	r->freed = bosh_stat(0, "freed_total") - freed0;
	/* Scans the mm ran meanwhile (ours are the debugfs calls). */
	r->mm_scans = bosh_stat(0, "scans_total") - scans0 - i;
	r->kswapd_scanned = bosh_vmstat("pgscan_kswapd") - kswapd0;
	close(sfd);
	close(fd);	/* frees every BO of this fd */
	free(h);
}

void bench_scale(struct scale_result *res, int *nres)
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
