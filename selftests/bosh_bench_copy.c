// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 1, the limit: memcpy between two anonymous buffers
 * for 2 s, in pages/s, the ceiling for any backup or restore that copies.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

double bench_copy(void)
{
	size_t len = (size_t)env_long("BENCH_COPY_MB", 64) << 20;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, dt, copy_pps;
	long iters = 0;

	if (a == MAP_FAILED || b == MAP_FAILED) {
		printf("# copy: mmap failed\n");
		return 0;
	}
	memset(a, 0x33, len);
	memset(b, 0, len);
	memcpy(b, a, len);
	t0 = bosh_now();
	do {
		memcpy(b, a, len);
		a[iters % len]++;
		iters++;
	} while ((dt = bosh_now() - t0) < 2.0);
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
	return copy_pps;
}
