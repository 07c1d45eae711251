// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 5, overcommit: twice the RAM in 2 MiB BOs with
 * writeback on, filled then read in a fixed random order, next to the
 * same with anonymous memory; each in a child that may be OOM-killed.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

struct oc_shared {
	volatile long filled, touched, bad, resident_kb, pswpin;
	volatile double fill_s, touch_s;
};

static uint64_t stamp(uint64_t page)
{
	return bosh_mix(bench_seed ^ bosh_mix(page));
}

static void stamp_page(char *p, uint64_t page)
{
	uint64_t s = stamp(page);

	memset(p, (int)(s & 0xff) | 1, BOSH_PAGE);
	memcpy(p, &s, 8);
	s = ~s;
	memcpy(p + BOSH_PAGE - 8, &s, 8);
}

static int stamp_ok(const char *p, uint64_t page)
{
	uint64_t s = stamp(page), a, b;

	memcpy(&a, p, 8);
	memcpy(&b, p + BOSH_PAGE - 8, 8);
	return a == s && b == ~s && p[BOSH_PAGE / 2] == (char)((s & 0xff) | 1);
}

/* The fixed random order: a seeded Fisher-Yates permutation. */
static uint32_t *permutation(uint64_t n)
{
	uint32_t *perm = malloc(n * sizeof(*perm));
	uint64_t i, x = 0x243f6a8885a308d3ULL;

	if (!perm)
		return NULL;
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		uint64_t j;

		x = bosh_mix(x);
		j = x % (i + 1);
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	return perm;
}

#define OC_BO_PAGES	512UL	/* 2 MiB BOs */

static void oc_child_bosh(uint64_t npages, uint64_t touches, struct oc_shared *sh)
{
	uint64_t nbos = npages / OC_BO_PAGES, i, p;
	static char buf[OC_BO_PAGES * BOSH_PAGE];
	uint32_t *h = calloc(nbos, sizeof(*h)), *perm;
	double t0 = bosh_now();
	int fd = bosh_open(0);

	if (fd < 0 || !h)
		_exit(3);
	for (i = 0; i < nbos; i++) {
		if (bosh_create(fd, OC_BO_PAGES * BOSH_PAGE, &h[i]))
			_exit(4);
		for (p = 0; p < OC_BO_PAGES; p++)
			stamp_page(buf + p * BOSH_PAGE, i * OC_BO_PAGES + p);
		if (bosh_rw(fd, h[i], BOSH_RW_WRITE, 0, sizeof(buf), buf))
			_exit(5);
		sh->filled = (i + 1) * OC_BO_PAGES;
	}
	sh->fill_s = bosh_now() - t0;
	perm = permutation(npages);
	if (!perm)
		_exit(3);
	sh->resident_kb = bosh_stat(0, "pages_resident") * 4;
	sh->pswpin = bosh_vmstat("pswpin");
	t0 = bosh_now();
	for (i = 0; i < touches; i++) {
		p = perm[i];
		if (bosh_rw(fd, h[p / OC_BO_PAGES], BOSH_RW_READ,
			    (p % OC_BO_PAGES) * BOSH_PAGE, BOSH_PAGE, buf))
			_exit(6);
		if (!stamp_ok(buf, p))
			sh->bad++;
		sh->touched = i + 1;
	}
	sh->touch_s = bosh_now() - t0;
	sh->pswpin = bosh_vmstat("pswpin") - sh->pswpin;
	_exit(sh->bad ? 2 : 0);
}

static void oc_child_anon(uint64_t npages, uint64_t touches, struct oc_shared *sh)
{
	size_t len = npages * BOSH_PAGE;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	static char buf[BOSH_PAGE];
	double t0 = bosh_now();
	uint32_t *perm;
	uint64_t i, p;

	if (m == MAP_FAILED)
		_exit(3);
	for (p = 0; p < npages; p++) {
		stamp_page(buf, p);
		memcpy(m + p * BOSH_PAGE, buf, BOSH_PAGE);
		if ((p + 1) % OC_BO_PAGES == 0)
			sh->filled = p + 1;
	}
	sh->fill_s = bosh_now() - t0;
	perm = permutation(npages);
	if (!perm)
		_exit(3);
	sh->resident_kb = bosh_proc_value("/proc/self/status", "VmRSS");
	sh->pswpin = bosh_vmstat("pswpin");
	t0 = bosh_now();
	for (i = 0; i < touches; i++) {
		p = perm[i];
		memcpy(buf, m + p * BOSH_PAGE, BOSH_PAGE);
		if (!stamp_ok(buf, p))
			sh->bad++;
		sh->touched = i + 1;
	}
	sh->touch_s = bosh_now() - t0;
	sh->pswpin = bosh_vmstat("pswpin") - sh->pswpin;
	_exit(sh->bad ? 2 : 0);
}

struct oc_result {
	double fill_s, touch_s, wall_s, touch_pps;
	long filled, touched, bad, oom_kills, status;
	int killed_by_oom, timed_out;
	long swap_peak_kb, backed_up, written, resident_kb, pswpin;
};

static void oc_run(int bosh, uint64_t npages, uint64_t touches, double timeout,
		   struct oc_result *r)
{
	struct oc_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long oom0 = bosh_vmstat("oom_kill"), b0 = bosh_stat(0, "backed_up_total");
	long w0 = bosh_stat(0, "written_back_total"), swap_total = bosh_meminfo_kib("SwapTotal");
	double t0 = bosh_now();
	int status = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	drop_caches();
	pid = fork();
	if (pid == 0) {
		bosh_write_file("/proc/self/oom_score_adj", "1000");
		if (bosh)
			oc_child_bosh(npages, touches, sh);
		else
			oc_child_anon(npages, touches, sh);
		_exit(1);
	}
	while (pid > 0) {
		long used = swap_total - bosh_meminfo_kib("SwapFree");
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (used > r->swap_peak_kb)
			r->swap_peak_kb = used;
		if (w == pid)
			break;
		if (bosh_now() - t0 > timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->timed_out = 1;
			break;
		}
		usleep(200000);
	}
	r->wall_s = bosh_now() - t0;
	r->fill_s = sh->fill_s;
	r->touch_s = sh->touch_s;
	r->filled = sh->filled;
	r->touched = sh->touched;
	r->bad = sh->bad;
	r->resident_kb = sh->resident_kb;
	r->pswpin = sh->pswpin;
	r->oom_kills = bosh_vmstat("oom_kill") - oom0;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->killed_by_oom = !r->timed_out && WIFSIGNALED(status) &&
			   WTERMSIG(status) == SIGKILL && r->oom_kills > 0;
	r->touch_pps = r->touch_s > 0 ? r->touched / r->touch_s : NAN;
	r->backed_up = bosh_stat(0, "backed_up_total") - b0;
	r->written = bosh_stat(0, "written_back_total") - w0;
	munmap(sh, sizeof(*sh));
	/* Let the freed swap and the fd's BOs settle. */
	sleep(1);
}

static void oc_json(const char *name, struct oc_result *r)
{
	jobj(name);
	jnum("fill_s", r->fill_s);
	jnum("touch_s", r->touch_s);
	jnum("wall_s", r->wall_s);
	jnum("touch_pages_per_s", r->touch_pps);
	jint("filled_pages", r->filled);
	jint("touched_pages", r->touched);
	jint("content_bad_pages", r->bad);
	jint("exit_status", r->status);
	jint("oom_kills", r->oom_kills);
	jint("killed_by_oom", r->killed_by_oom);
	jint("timed_out", r->timed_out);
	jint("swap_peak_kb", r->swap_peak_kb);
	jint("resident_kb_before_touches", r->resident_kb);
	jint("pswpin_during_touches", r->pswpin);
	jint("bosh_backed_up_pages", r->backed_up);
	jint("bosh_written_back_pages", r->written);
	jend_obj();
}

static void oc_rows(const char *name, struct oc_result *r, struct oc_result *ref)
{
	char n[96], vs[64];

	snprintf(n, sizeof(n), "%s: fill (sequential write)", name);
	tline(n, r->fill_s, "s", NULL);
	snprintf(n, sizeof(n), "%s: random touches", name);
	if (ref)
		ratio_str(vs, sizeof(vs), r->touch_pps, ref->touch_pps, "anon");
	tline(n, r->touch_pps, "pages/s", ref ? vs : NULL);
	snprintf(n, sizeof(n), "%s: data resident before touches", name);
	tline(n, r->resident_kb / 1024.0, "MiB", NULL);
	snprintf(n, sizeof(n), "%s: pages read from swap per touch", name);
	tline(n, r->touched ? (double)r->pswpin / r->touched : NAN, "pages", NULL);
	snprintf(n, sizeof(n), "%s: exit status / OOM kills", name);
	snprintf(vs, sizeof(vs), "status %ld, oom_kill %ld%s%s, bad %ld", r->status,
		 r->oom_kills, r->killed_by_oom ? " (child OOM-killed)" : "",
		 r->timed_out ? " (timed out)" : "", r->bad);
	tline(n, r->oom_kills, "kills", vs);
}

void bench_overcommit(void)
{
	long factor = env_long("BENCH_OC_FACTOR", 2);
	uint64_t npages = (uint64_t)bosh_meminfo_kib("MemTotal") * factor / 4;
	long touches_env = env_long("BENCH_OC_TOUCHES", 0);
	double timeout = env_long("BENCH_OC_TIMEOUT", 300);
	struct oc_result b, a;
	uint64_t touches;

	npages -= npages % OC_BO_PAGES;
	touches = touches_env > 0 && (uint64_t)touches_env < npages ? touches_env : npages;
	if (bosh_meminfo_kib("SwapTotal") <= 0) {
		printf("# no swap: section 5 skipped\n");
		return;
	}
	bosh_write_file("/proc/self/oom_score_adj", "-1000");
	bosh_sysfs_write(0, "writeback", "1");
	oc_run(1, npages, touches, timeout, &b);
	bosh_sysfs_write(0, "writeback", "0");
	printf("# overcommit bosh: status %ld fill %.1fs touch %.1fs touched %ld oom %ld\n",
	       b.status, b.fill_s, b.touch_s, b.touched, b.oom_kills);
	oc_run(0, npages, touches, timeout, &a);
	printf("# overcommit anon: status %ld fill %.1fs touch %.1fs touched %ld oom %ld\n",
	       a.status, a.fill_s, a.touch_s, a.touched, a.oom_kills);

	trow("\n== 5. overcommit: %llu pages (%ldx MemTotal) in 2 MiB BOs, %llu random 4 KiB reads ==\n",
	     (unsigned long long)npages, factor, (unsigned long long)touches);
	oc_rows("bosh (BO_RW, writeback=1)", &b, &a);
	oc_rows("anon (memcpy from mapping)", &a, NULL);

	jobj("overcommit");
	jint("pages", npages);
	jint("factor_of_memtotal", factor);
	jint("touches", touches);
	jint("bo_pages", OC_BO_PAGES);
	oc_json("bosh", &b);
	oc_json("anon", &a);
	jend_obj();
}
