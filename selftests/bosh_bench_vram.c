// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 10, the VRAM tier (bosh loaded with vram_mb): a
 * BO's move out of VRAM (debugfs evict_vram: new system pages, copied
 * into) and into it (BO_VALIDATE with BOSH_PLACE_VRAM of a resident BO:
 * buddy blocks, copied into, the system pages freed), per page, each
 * against the allocate-and-copy floor measured between them; then the
 * contended case: BENCH_VRAM_CLIENTS processes validating their own BOs
 * (together 3x VRAM) for BENCH_VRAM_SECONDS: completed validations per
 * second, backoffs per validation, and the share of the clients' time
 * spent backing off (vram_backoff_us_total).
 */
#define _GNU_SOURCE

#include "bosh_bench.h"

#define VRAM_MAX_BOS	64

/* One client of the contended run: validations done, into @done. */
static void vram_client(int idx, long total, double seconds, long *done)
{
	uint32_t h[VRAM_MAX_BOS];
	long want = 3 * total / env_long("BENCH_VRAM_CLIENTS", 4), sum = 0;
	int fd = bosh_open(0), n = 0, i = 0;
	double end;

	if (fd < 0)
		_exit(2);
	while (sum < want && n < VRAM_MAX_BOS) {
		long s = 1 + bosh_mix(bench_seed ^ (idx << 8 | n)) % (total / 4);
		struct drm_bosh_bo_create c = { .flags = BOSH_PLACE_VRAM };

		if (s > want - sum)
			s = want - sum;
		c.size = s * BOSH_PAGE;
		if (bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_CREATE, &c) ||
		    bo_fill(fd, c.handle, s, idx << 8 | n, 1))
			_exit(3);
		h[n++] = c.handle;
		sum += s;
	}
	end = bosh_now() + seconds;
	while (bosh_now() < end) {
		struct drm_bosh_bo_validate v = { .handle = h[i++ % n], .flags = BOSH_PLACE_VRAM };

		if (bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v))
			_exit(4);
		(*done)++;
	}
	_exit(0);
}

void bench_vram(void)
{
	long total = bosh_stat(0, "vram_pages_total");
	int reps = bench_reps(0), r, nclients = env_long("BENCH_VRAM_CLIENTS", 4);
	double out[BENCH_MAX_REPS], in[BENCH_MAX_REPS], floor[BENCH_MAX_REPS];
	double rout[BENCH_MAX_REPS], rin[BENCH_MAX_REPS];
	double seconds = env_long("BENCH_VRAM_SECONDS", 10);
	long backoffs, backoff_us, fallbacks, evicted, sum = 0, *done;
	uint64_t n;
	uint32_t h;
	char *src;
	pid_t pids[16];
	int i, st;

	printf("# 10. VRAM: moves per page against allocate-and-copy; %d clients at 3x VRAM\n",
	       nclients);
	jobj("vram");
	if (total <= 0) {
		jstr("skipped", "no VRAM (load bosh with vram_mb)");
		jend_obj();
		printf("# 10. skipped: no VRAM\n");
		return;
	}
	n = total / 2;
	jint("vram_pages", total);
	src = anon_4k(n * BOSH_PAGE);
	{
		struct drm_bosh_bo_create c = { .size = n * BOSH_PAGE, .flags = BOSH_PLACE_VRAM };

		if (!src || bosh_ioctl(bench_fd, DRM_IOCTL_BOSH_BO_CREATE, &c) ||
		    bo_fill(bench_fd, c.handle, n, 1, 1)) {
			jstr("error", "setup failed");
			jend_obj();
			return;
		}
		h = c.handle;
	}
	memset(src, 1, n * BOSH_PAGE);
	/* Its fill was its first use, which put it in VRAM: out, to start. */
	if (bosh_debugfs_write(0, "evict_vram", "1")) {
		jstr("error", "evict_vram failed");
		jend_obj();
		return;
	}
	for (r = 0; r < reps; r++) {
		struct drm_bosh_bo_validate v = { .handle = h, .flags = BOSH_PLACE_VRAM };
		double t0;

		/* Into VRAM from resident system pages, then out again. */
		t0 = bosh_now();
		if (bosh_ioctl(bench_fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v))
			break;
		in[r] = n / (bosh_now() - t0);
		floor[r] = alloc_copy_pps(src, n * BOSH_PAGE);
		t0 = bosh_now();
		if (bosh_debugfs_write(0, "evict_vram", "1"))
			break;
		out[r] = n / (bosh_now() - t0);
	}
	if (r < reps || bo_check(bench_fd, h, n, 1, 1)) {
		jstr("error", "a move failed or lost content");
		jend_obj();
		return;
	}
	ratios(rin, in, floor, reps);
	ratios(rout, out, floor, reps);
	jspread("validate_into_vram_pps", in, reps);
	jspread("evict_out_of_vram_pps", out, reps);
	jspread("alloc_copy_pps", floor, reps);
	jspread("validate_vs_alloc_copy", rin, reps);
	jspread("evict_vs_alloc_copy", rout, reps);
	tspread("vram: validate into VRAM", in, reps, "pages/s", "");
	tspread("vram: evict_vram out of VRAM", out, reps, "pages/s", "");
	tspread("vram: allocate-and-copy floor", floor, reps, "pages/s", "between them");
	tspread("vram: validate / floor", rin, reps, "ratio", "");
	tspread("vram: evict / floor", rout, reps, "ratio", "");
	bosh_close_bo(bench_fd, h);
	munmap(src, n * BOSH_PAGE);

	/* Contended: clients at 3x VRAM, each validating its own BOs. */
	done = mmap(NULL, 16 * sizeof(long), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (done == MAP_FAILED || nclients > 16) {
		jend_obj();
		return;
	}
	memset(done, 0, 16 * sizeof(long));
	backoffs = bosh_stat(0, "vram_backoffs_total");
	backoff_us = bosh_stat(0, "vram_backoff_us_total");
	fallbacks = bosh_stat(0, "vram_fallbacks_total");
	evicted = bosh_stat(0, "vram_evicted_total");
	for (i = 0; i < nclients; i++) {
		pids[i] = fork();
		if (!pids[i])
			vram_client(i, total, seconds, &done[i]);
	}
	st = 0;
	for (i = 0; i < nclients; i++) {
		int s;

		if (pids[i] < 0 || waitpid(pids[i], &s, 0) < 0 || !WIFEXITED(s) || WEXITSTATUS(s))
			st = 1;
		sum += done[i];
	}
	backoffs = bosh_stat(0, "vram_backoffs_total") - backoffs;
	backoff_us = bosh_stat(0, "vram_backoff_us_total") - backoff_us;
	fallbacks = bosh_stat(0, "vram_fallbacks_total") - fallbacks;
	evicted = bosh_stat(0, "vram_evicted_total") - evicted;
	jint("contended_clients", nclients);
	jnum("contended_evicted_pages_per_validation", sum ? (double)evicted / sum : NAN);
	jint("contended_ok", !st);
	jnum("contended_validations_per_s", sum / seconds);
	jnum("contended_backoffs_per_validation", sum ? (double)backoffs / sum : NAN);
	jnum("contended_backoff_time_share", backoff_us / (nclients * seconds * 1e6));
	jint("contended_fallbacks", fallbacks);
	tline("vram: contended validations", sum / seconds, "1/s",
	      st ? "a client failed" : "4 clients, 3x VRAM");
	tline("vram: backoffs per validation", sum ? (double)backoffs / sum : NAN, "ratio", "");
	tline("vram: time in backoff", backoff_us / (nclients * seconds * 1e6), "share",
	      "of the clients' time");
	tline("vram: pages evicted per validation", sum ? (double)evicted / sum : NAN,
	      "pages", "");
	tline("vram: fallbacks", fallbacks, "count", "");
	munmap(done, 16 * sizeof(long));
	jend_obj();
}
