// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 1, the references: memcpy between two populated
 * anonymous buffers (the copy limit), and allocate-and-copy, fresh 4 KiB
 * pages populated then copied into (the floor of any design that copies
 * into new pages, as bosh's backup and restore do), interleaved. Also
 * whether the guest kernel zeroes every allocation (init_on_alloc),
 * which is part of that floor.
 */
#define _GNU_SOURCE
#include <sys/klog.h>
#include <sys/utsname.h>

#include "bosh_bench.h"

/* The value of init_on_alloc= on the kernel command line, or "unset". */
static void cmdline_init_on_alloc(char *val, size_t n)
{
	char line[4096] = "", *p;
	FILE *f = fopen("/proc/cmdline", "re");

	snprintf(val, n, "unset");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		p = strstr(line, "init_on_alloc=");
		if (p)
			snprintf(val, n, "%.*s", (int)strcspn(p + 14, "\n "), p + 14);
	}
	fclose(f);
}

/* CONFIG_INIT_ON_ALLOC_DEFAULT_ON of the running kernel: "y", "n" or "?" */
static const char *config_init_on_alloc(void)
{
	char path[300], line[256];
	const char *v = "?";
	struct utsname u;
	FILE *f;

	uname(&u);
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y\n"))
			v = "y";
		else if (strstr(line, "CONFIG_INIT_ON_ALLOC_DEFAULT_ON is not set"))
			v = "n";
	}
	fclose(f);
	return v;
}

/*
 * What the kernel itself said at boot ("mem auto-init: ..., heap
 * alloc:on, ..."): the setting in force, whatever its source.
 */
static void klog_auto_init(char *val, size_t n)
{
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *p;

	snprintf(val, n, "?");
	if (len <= 0)
		return;
	buf = malloc(len + 1);
	if (!buf)
		return;
	len = klogctl(3, buf, len);	/* SYSLOG_ACTION_READ_ALL */
	if (len > 0) {
		buf[len] = 0;
		p = strstr(buf, "mem auto-init:");
		if (p)
			snprintf(val, n, "%.*s", (int)strcspn(p, "\n"), p);
	}
	free(buf);
}

static void report_init_on_alloc(void)
{
	char cmd[32], klog[160], note[256];
	const char *cfg = config_init_on_alloc();
	int on;

	klog_auto_init(klog, sizeof(klog));
	on = !!strstr(klog, "heap alloc:on");
	cmdline_init_on_alloc(cmd, sizeof(cmd));
	snprintf(note, sizeof(note), "CONFIG_INIT_ON_ALLOC_DEFAULT_ON=%s, cmdline init_on_alloc=%s",
		 cfg, cmd);
	trow("   init_on_alloc in the guest: %s (kernel log: \"%s\"; %s)\n",
	     strcmp(klog, "?") ? (on ? "ON" : "off") : "unknown", klog, note);
	jobj("init_on_alloc");
	jint("on", strcmp(klog, "?") ? on : -1);
	jstr("kernel_log", klog);
	jstr("config_default_on", cfg);
	jstr("cmdline", cmd);
	jend_obj();
}

void bench_copy(void)
{
	size_t len = (size_t)env_long("BENCH_COPY_MB", 64) << 20;
	double cp[BENCH_MAX_REPS], ac[BENCH_MAX_REPS], r[BENCH_MAX_REPS];
	char *a = anon_4k(len), *b = anon_4k(len);
	int i, n = bench_reps(0);

	if (!a || !b) {
		printf("# copy: mmap failed\n");
		return;
	}
	memset(a, 0x33, len);
	memset(b, 0, len);
	for (i = 0; i < n; i++) {
		if (i % 2)
			ac[i] = alloc_copy_pps(a, len);
		cp[i] = memcpy_pps(b, a, len);
		if (!(i % 2))
			ac[i] = alloc_copy_pps(a, len);
	}
	munmap(a, len);
	munmap(b, len);
	ratios(r, ac, cp, n);

	trow("\n== 1. references (QEMU TCG guest), %d repetitions, %zu MiB ==\n",
	     n, len >> 20);
	tspread("copy limit: memcpy into populated 4 KiB pages", cp, n, "pages/s", NULL);
	tspread("alloc+copy floor: populate fresh 4 KiB pages, memcpy", ac, n, "pages/s", NULL);
	tspread("  ratio: floor / copy limit", r, n, "x", NULL);
	jobj("copy");
	jint("buffer_bytes", len);
	jspread("memcpy_pages_per_s", cp, n);
	jspread("alloc_copy_pages_per_s", ac, n);
	jspread("floor_ratio_to_memcpy", r, n);
	report_init_on_alloc();
	jend_obj();
}
