// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 6, memory overhead: the bytes per slot of an
 * unpopulated 4 GiB BO, and the slab per BO from the scaling run.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

/* @per_bo: section 4's slab growth per BO of its largest resident set. */
void bench_overhead(double per_bo)
{
	uint64_t npages = 1UL << 20;	/* a 4 GiB BO, never populated */
	long free0, vm0, slab0, d_free, d_vm, d_slab;
	uint32_t h;

	drop_caches();
	sleep(1);
	free0 = bosh_meminfo_kib("MemFree");
	vm0 = bosh_meminfo_kib("VmallocUsed");
	slab0 = bosh_meminfo_kib("Slab");
	if (bosh_create(bench_fd, npages * BOSH_PAGE, &h)) {
		printf("# overhead: 4 GiB create failed: %s\n", strerror(errno));
		return;
	}
	d_free = free0 - bosh_meminfo_kib("MemFree");
	d_vm = bosh_meminfo_kib("VmallocUsed") - vm0;
	d_slab = bosh_meminfo_kib("Slab") - slab0;
	bosh_close_bo(bench_fd, h);

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
