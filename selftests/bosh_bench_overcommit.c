// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 5, overcommit: 2 MiB BOs (writeback on) and an
 * anonymous mapping of 4 KiB pages, together worth twice the RAM, live
 * side by side in one child that may be OOM-killed. The fill alternates
 * between them in segments; then rounds of random 4 KiB reads, each of
 * pages not read before, in a fixed seeded order: bosh through BO_RW,
 * anon, bosh through an mmap of the same BOs, anon; the next repetition
 * starts with the mmap round. Every bosh round follows an anon round, so
 * each starts from what the other side left resident. The run is made
 * once with the copy model's BOs and once with shmem-native ones
 * (BENCH_OC_MODELS: copy,shmem by default).
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

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

enum oc_round { OC_RW, OC_MMAP, OC_ANON, OC_N };

static const char *const oc_name[OC_N] = { "bosh_rw", "bosh_mmap", "anon" };

/* What the child reports, per fill segment and per round kind and rep. */
struct oc_shared {
	volatile double fill_pps[2][BENCH_MAX_REPS];
	volatile double pps[OC_N][BENCH_MAX_REPS], rss_mib[OC_N][BENCH_MAX_REPS];
	volatile double swapin[OC_N][BENCH_MAX_REPS];
	volatile long bad, segments, reps;
	volatile double anon_pps2[BENCH_MAX_REPS];
};

/* The child's two data sets and where each is in its random order. */
struct oc_data {
	int fd;
	uint64_t bo_pages, anon_pages, nbos;	/* bo_pages: of all BOs */
	uint32_t *h, *perm_b, *perm_a;
	char **map, *anon;
	uint64_t next_b, next_a;
};

static int oc_alloc(struct oc_data *d)
{
	uint64_t i;

	d->nbos = d->bo_pages / OC_BO_PAGES;
	d->fd = bosh_open(0);
	d->h = calloc(d->nbos, sizeof(*d->h));
	d->map = calloc(d->nbos, sizeof(*d->map));
	d->anon = anon_4k(d->anon_pages * BOSH_PAGE);
	d->perm_b = permutation(d->bo_pages);
	d->perm_a = permutation(d->anon_pages);
	if (d->fd < 0 || !d->h || !d->map || !d->anon || !d->perm_b || !d->perm_a)
		return -1;
	for (i = 0; i < d->nbos; i++) {
		if (bosh_create(d->fd, OC_BO_PAGES * BOSH_PAGE, &d->h[i]))
			return -1;
		d->map[i] = bosh_mmap(d->fd, d->h[i], OC_BO_PAGES * BOSH_PAGE, MAP_SHARED);
		if (d->map[i] == MAP_FAILED)
			return -1;
	}
	return 0;
}

/* BOs [from, to) written through BO_RW, one 2 MiB call each; pages/s. */
static double fill_bosh(struct oc_data *d, uint64_t from, uint64_t to)
{
	static char buf[OC_BO_PAGES * BOSH_PAGE];
	double t0 = bosh_now();
	uint64_t i, p;

	for (i = from; i < to; i++) {
		for (p = 0; p < OC_BO_PAGES; p++)
			stamp_page(buf + p * BOSH_PAGE, i * OC_BO_PAGES + p);
		int ret = bosh_rw(d->fd, d->h[i], BOSH_RW_WRITE, 0, sizeof(buf), buf);

		if (ret) {
			printf("# overcommit: filling BO %llu of %llu: %s (MemAvailable %ld KiB, MemFree %ld, SwapCached %ld, SwapFree %ld, AnonPages %ld, Shmem %ld; bosh.0 pages_resident %ld, pages_backed_up %ld, store_unwritten %ld, shmem_unwritten %ld)\n",
			       (unsigned long long)i, (unsigned long long)d->nbos,
			       strerror(-ret), bosh_meminfo_kib("MemAvailable"),
			       bosh_meminfo_kib("MemFree"), bosh_meminfo_kib("SwapCached"),
			       bosh_meminfo_kib("SwapFree"), bosh_meminfo_kib("AnonPages"),
			       bosh_meminfo_kib("Shmem"), bosh_stat(0, "pages_resident"),
			       bosh_stat(0, "pages_backed_up"), bosh_stat(0, "store_unwritten"),
			       bosh_stat(0, "shmem_unwritten"));
			fflush(stdout);
			_exit(5);
		}
	}
	return (to - from) * OC_BO_PAGES / (bosh_now() - t0);
}

static double fill_anon(struct oc_data *d, uint64_t from, uint64_t to)
{
	double t0 = bosh_now();
	uint64_t p;

	for (p = from; p < to; p++)
		stamp_page(d->anon + p * BOSH_PAGE, p);
	return (to - from) / (bosh_now() - t0);
}

/* The fill in @segs segments, bosh first in the even ones. */
static void oc_fill(struct oc_data *d, int segs, struct oc_shared *sh)
{
	int s;

	for (s = 0; s < segs; s++) {
		uint64_t b0 = d->nbos * s / segs, b1 = d->nbos * (s + 1) / segs;
		uint64_t a0 = d->anon_pages * s / segs, a1 = d->anon_pages * (s + 1) / segs;

		if (s % 2)
			sh->fill_pps[1][s] = fill_anon(d, a0, a1);
		sh->fill_pps[0][s] = fill_bosh(d, b0, b1);
		if (!(s % 2))
			sh->fill_pps[1][s] = fill_anon(d, a0, a1);
		sh->segments = s + 1;
	}
}

/* Read one page of the round's kind into @buf and check its stamp. */
static int oc_read(struct oc_data *d, enum oc_round kind, char *buf)
{
	uint64_t p, off;

	if (kind == OC_ANON) {
		p = d->perm_a[d->next_a++];
		memcpy(buf, d->anon + p * BOSH_PAGE, BOSH_PAGE);
		return stamp_ok(buf, p);
	}
	p = d->perm_b[d->next_b++];
	off = (p % OC_BO_PAGES) * BOSH_PAGE;
	if (kind == OC_MMAP)
		memcpy(buf, d->map[p / OC_BO_PAGES] + off, BOSH_PAGE);
	else if (bosh_rw(d->fd, d->h[p / OC_BO_PAGES], BOSH_RW_READ, off, BOSH_PAGE, buf))
		_exit(6);
	return stamp_ok(buf, p);
}

/* One round of @touches reads; returns pages/s and notes the rest. */
static double oc_round(struct oc_data *d, enum oc_round kind, uint64_t touches,
		       struct oc_shared *sh, int rep)
{
	static char buf[BOSH_PAGE];
	long pswpin = bosh_vmstat("pswpin");
	double t0, pps;
	uint64_t i;

	sh->rss_mib[kind][rep] = kind == OC_ANON ?
		bosh_proc_value("/proc/self/status", "RssAnon") / 1024.0 :
		bosh_stat(0, "pages_resident") * 4 / 1024.0;
	t0 = bosh_now();
	for (i = 0; i < touches; i++)
		if (!oc_read(d, kind, buf))
			sh->bad++;
	pps = touches / (bosh_now() - t0);
	sh->swapin[kind][rep] = (double)(bosh_vmstat("pswpin") - pswpin) / touches;
	return pps;
}

static void oc_child(uint64_t bo_pages, uint64_t anon_pages, uint64_t touches, int reps,
		     struct oc_shared *sh)
{
	struct oc_data d = { .bo_pages = bo_pages, .anon_pages = anon_pages };
	int r;

	if (oc_alloc(&d))
		_exit(3);
	oc_fill(&d, reps, sh);
	for (r = 0; r < reps && !bench_over_budget(r); r++) {
		enum oc_round first = r % 2 ? OC_MMAP : OC_RW;

		sh->pps[first][r] = oc_round(&d, first, touches, sh, r);
		sh->pps[OC_ANON][r] = oc_round(&d, OC_ANON, touches, sh, r);
		sh->pps[OC_RW + OC_MMAP - first][r] =
			oc_round(&d, OC_RW + OC_MMAP - first, touches, sh, r);
		sh->anon_pps2[r] = oc_round(&d, OC_ANON, touches, sh, r);
		sh->reps = r + 1;
	}
	_exit(sh->bad ? 2 : 0);
}

struct oc_result {
	double wall_s;
	long oom_kills, status, swap_peak_kb, backed_up, written;
	int killed_by_oom, timed_out;
};

/* Wait for the child, noting the swap in use, killing it at @timeout. */
static void oc_wait(pid_t pid, double timeout, struct oc_result *r)
{
	long swap_total = bosh_meminfo_kib("SwapTotal");
	double t0 = bosh_now();
	int status = 0;

	while (pid > 0) {
		long used = swap_total - bosh_meminfo_kib("SwapFree");

		if (used > r->swap_peak_kb)
			r->swap_peak_kb = used;
		if (waitpid(pid, &status, WNOHANG) == pid)
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
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void oc_run(uint64_t bo_pages, uint64_t anon_pages, uint64_t touches, int reps,
		   double timeout, struct oc_shared *sh, struct oc_result *r)
{
	long oom0 = bosh_vmstat("oom_kill"), b0 = bosh_stat(0, "backed_up_total");
	long w0 = bosh_stat(0, "written_back_total");
	pid_t pid;

	memset(r, 0, sizeof(*r));
	drop_caches();
	pid = fork();
	if (pid == 0) {
		bosh_write_file("/proc/self/oom_score_adj", "1000");
		oc_child(bo_pages, anon_pages, touches, reps, sh);
		_exit(1);
	}
	oc_wait(pid, timeout, r);
	r->oom_kills = bosh_vmstat("oom_kill") - oom0;
	r->killed_by_oom = !r->timed_out && r->status == 128 + SIGKILL && r->oom_kills > 0;
	r->backed_up = bosh_stat(0, "backed_up_total") - b0;
	r->written = bosh_stat(0, "written_back_total") - w0;
	/* Let the freed swap and the fd's BOs settle. */
	sleep(1);
}

/* The two anon rounds of a repetition as one rate: both halves count. */
static void anon_rate(double *out, struct oc_shared *sh, int n)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = 2 / (1 / sh->pps[OC_ANON][i] + 1 / sh->anon_pps2[i]);
}

static void oc_ratio(const char *name, const char *key, const double *a, const double *b,
		     int n)
{
	double r[BENCH_MAX_REPS];

	ratios(r, a, b, n);
	tspread(name, r, n, "x", NULL);
	jspread(key, r, n);
}

static void oc_report(struct oc_shared *sh, struct oc_result *r)
{
	int n = sh->reps, segs = sh->segments, k;
	double anon[BENCH_MAX_REPS], v[OC_N][BENCH_MAX_REPS];
	char name[96], note[128];

	anon_rate(anon, sh, n);
	memcpy(v, (const void *)sh->pps, sizeof(v));
	tspread("fill, sequential: bosh BO_RW 2 MiB writes", (const double *)sh->fill_pps[0], segs,
		"pages/s", "(per segment)");
	tspread("fill, sequential: anon stores", (const double *)sh->fill_pps[1], segs, "pages/s",
		"(per segment)");
	oc_ratio("  ratio: bosh fill / anon fill", "fill_ratio_bosh_to_anon",
		 (const double *)sh->fill_pps[0], (const double *)sh->fill_pps[1], segs);
	tspread("random reads: bosh BO_RW (one page a call)", v[OC_RW], n, "pages/s", NULL);
	tspread("random reads: bosh mmap (memcpy from the BO's mapping)", v[OC_MMAP], n,
		"pages/s", NULL);
	tspread("random reads: anon (memcpy, both rounds of a rep)", anon, n, "pages/s", NULL);
	oc_ratio("  ratio: bosh BO_RW / anon", "read_ratio_bosh_rw_to_anon", v[OC_RW], anon, n);
	oc_ratio("  ratio: bosh mmap / anon", "read_ratio_bosh_mmap_to_anon", v[OC_MMAP], anon, n);
	oc_ratio("  ratio: bosh mmap / bosh BO_RW", "read_ratio_bosh_mmap_to_rw", v[OC_MMAP],
		 v[OC_RW], n);
	for (k = 0; k < OC_N; k++) {
		snprintf(name, sizeof(name), "  resident before a round: %s", oc_name[k]);
		tspread(name, (const double *)sh->rss_mib[k], n, "MiB",
			k == OC_ANON ? "(RssAnon)" : "(bosh pages_resident)");
		snprintf(name, sizeof(name), "  pages read from swap per read: %s", oc_name[k]);
		tspread(name, (const double *)sh->swapin[k], n, "pages", NULL);
	}
	snprintf(note, sizeof(note), "status %ld, oom_kill %ld%s%s, bad %ld", r->status,
		 r->oom_kills, r->killed_by_oom ? " (child OOM-killed)" : "",
		 r->timed_out ? " (timed out)" : "", sh->bad);
	tline("  exit status / OOM kills", r->oom_kills, "kills", note);
}

static void oc_json(struct oc_shared *sh, struct oc_result *r)
{
	int n = sh->reps, k;

	jspread("fill_bosh_pages_per_s", (const double *)sh->fill_pps[0], sh->segments);
	jspread("fill_anon_pages_per_s", (const double *)sh->fill_pps[1], sh->segments);
	for (k = 0; k < OC_N; k++) {
		jobj(oc_name[k]);
		jspread("read_pages_per_s", (const double *)sh->pps[k], n);
		jspread("resident_mib_before", (const double *)sh->rss_mib[k], n);
		jspread("pswpin_per_read", (const double *)sh->swapin[k], n);
		jend_obj();
	}
	jspread("anon_second_round_pages_per_s", (const double *)sh->anon_pps2, n);
	jint("content_bad_pages", sh->bad);
	jint("exit_status", r->status);
	jint("oom_kills", r->oom_kills);
	jint("killed_by_oom", r->killed_by_oom);
	jint("timed_out", r->timed_out);
	jnum("wall_s", r->wall_s);
	jint("swap_peak_kb", r->swap_peak_kb);
	jint("bosh_backed_up_pages", r->backed_up);
	jint("bosh_written_back_pages", r->written);
}

/* One overcommit run with BOs of one backing model. */
static void oc_model(const char *model, uint32_t create_flags)
{
	long factor = env_long("BENCH_OC_FACTOR", 2);
	uint64_t half = (uint64_t)bosh_meminfo_kib("MemTotal") * factor / 4 / 2;
	uint64_t touches = env_long("BENCH_OC_TOUCHES", 4000);
	double timeout = env_long("BENCH_OC_TIMEOUT", 600);
	int reps = bench_reps(1);
	struct oc_shared *sh;
	struct oc_result r;
	char key[32];

	half -= half % OC_BO_PAGES;
	/* Every round reads pages no round read before. */
	if (touches * 2 * reps > half)
		touches = half / 2 / reps;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return;
	memset(sh, 0, sizeof(*sh));
	bosh_write_file("/proc/self/oom_score_adj", "-1000");
	bosh_sysfs_write(0, "writeback", "1");
	bosh_create_flags = create_flags;
	oc_run(half, half, touches, reps, timeout, sh, &r);
	bosh_create_flags = 0;
	bosh_sysfs_write(0, "writeback", "0");
	printf("# overcommit (%s): status %ld, %ld segments, %ld reps, oom %ld, %.0f s\n",
	       model, r.status, sh->segments, sh->reps, r.oom_kills, r.wall_s);

	trow("\n== 5. overcommit, %s BOs: %llu pages in 2 MiB BOs + %llu anon pages (%ldx MemTotal) ==\n",
	     model, (unsigned long long)half, (unsigned long long)half, factor);
	trow("   (%ld interleaved repetitions of rounds of %llu random 4 KiB reads)\n", sh->reps,
	     (unsigned long long)touches);
	snprintf(key, sizeof(key), create_flags ? "overcommit_%s" : "overcommit", model);
	jobj(key);
	jint("bo_pages", half);
	jint("anon_pages", half);
	jint("factor_of_memtotal", factor);
	jint("reads_per_round", touches);
	jint("reps", sh->reps);
	oc_report(sh, &r);	/* the ratios' JSON keys go inside the object */
	oc_json(sh, &r);
	jend_obj();
	munmap(sh, sizeof(*sh));
}

void bench_overcommit(void)
{
	const char *models = getenv("BENCH_OC_MODELS");

	if (!models || !*models)
		models = "copy,shmem";
	if (bosh_meminfo_kib("SwapTotal") <= 0) {
		printf("# no swap: section 5 skipped\n");
		return;
	}
	if (strstr(models, "copy"))
		oc_model("copy", 0);
	if (strstr(models, "shmem"))
		oc_model("shmem", BOSH_BO_CREATE_SHMEM);
}
