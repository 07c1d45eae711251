// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 4: how the shrinker's count (a read of debugfs
 * stats) and scan (a debugfs shrink of one page) scale with the number
 * of 1-page BOs.
 *
 * The reference is one resident BO on bosh.1, a device of its own, so
 * it can be measured right next to the set on bosh.0 without building
 * either again: each repetition times a block of calls on each, the
 * order alternated, and a ratio is the median of the per-repetition
 * ratios. Two kinds of set:
 *
 * - best case: N resident BOs. The BO a scan backs up is validated at
 *   once, which puts it at the tail, so every walk starts at a candidate;
 * - worst case: N BOs that cannot be shrunk (pinned, empty, or purged)
 *   in front of one resident candidate, so every walk for one page
 *   passes all N first.
 */
#define _GNU_SOURCE
#include "bosh_bench.h"

#define SCALE_CALLS	15	/* calls a block, timed one by one */

enum set_kind { SET_RESIDENT, SET_PINNED, SET_EMPTY, SET_PURGED };

static const char *const set_name[] = { "resident", "pinned", "empty", "purged" };

/* The BOs of one device, all on one fd: closing it frees them all. */
struct bo_set {
	enum set_kind kind;
	int dev, fd, stfd, sfd;
	long n, next;
	uint32_t *h, cand;
	double create_us, slab_per_bo;
};

static int write_page(int fd, uint32_t h)
{
	static char page[BOSH_PAGE];

	memset(page, 0x6b, sizeof(page));
	return bosh_rw(fd, h, BOSH_RW_WRITE, 0, BOSH_PAGE, page);
}

/* Make the N BOs unshrinkable as @kind says; the purge is one pass. */
static int set_spoil(struct bo_set *s)
{
	long i;

	for (i = 0; i < s->n; i++) {
		if (s->kind == SET_RESIDENT && write_page(s->fd, s->h[i]))
			return -1;
		if (s->kind == SET_PINNED && bosh_pin(s->fd, s->h[i], BOSH_PIN))
			return -1;
		if (s->kind == SET_PURGED &&
		    bosh_madvise(s->fd, s->h[i], BOSH_MADV_DONTNEED, NULL))
			return -1;
	}
	if (s->kind == SET_PURGED && bosh_debugfs_write(s->dev, "purge", "1") < 0)
		return -1;
	return 0;
}

static int set_build(struct bo_set *s, int dev, long n, enum set_kind kind)
{
	char path[128];
	long slab0, i;
	double t0;

	memset(s, 0, sizeof(*s));
	s->dev = dev;
	s->n = n;
	s->kind = kind;
	s->fd = bosh_open(dev);
	s->h = calloc(n, sizeof(*s->h));
	if (s->fd < 0 || !s->h)
		return -1;
	slab0 = bosh_meminfo_kib("Slab");
	t0 = bosh_now();
	for (i = 0; i < n; i++)
		if (bosh_create(s->fd, BOSH_PAGE, &s->h[i]))
			return -1;
	s->create_us = (bosh_now() - t0) * 1e6 / n;
	s->slab_per_bo = (bosh_meminfo_kib("Slab") - slab0) * 1024.0 / n;
	if (set_spoil(s))
		return -1;
	/* The worst case's one candidate, created last: the LRU's tail. */
	if (kind != SET_RESIDENT &&
	    (bosh_create(s->fd, BOSH_PAGE, &s->cand) || write_page(s->fd, s->cand)))
		return -1;
	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.%d/stats", dev);
	s->stfd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.%d/shrink", dev);
	s->sfd = open(path, O_RDWR | O_CLOEXEC);
	return s->stfd < 0 || s->sfd < 0 ? -1 : 0;
}

static void set_free(struct bo_set *s)
{
	if (s->stfd > 0)
		close(s->stfd);
	if (s->sfd > 0)
		close(s->sfd);
	if (s->fd >= 0)
		close(s->fd);
	free(s->h);
}

/* Give back the page the last scan took: its BO becomes the tail. */
static void set_restore_taken(struct bo_set *s)
{
	if (s->kind != SET_RESIDENT)
		bosh_validate(s->fd, s->cand);
	else
		bosh_validate(s->fd, s->h[s->next++ % s->n]);
}

/* Median microseconds of SCALE_CALLS reads of stats, and of scans. */
static void set_block(struct bo_set *s, double *count_us, double *scan_us)
{
	double tv[SCALE_CALLS], t0;
	char buf[4096];
	int i;

	for (i = 0; i < SCALE_CALLS; i++) {
		t0 = bosh_now();
		if (pread(s->stfd, buf, sizeof(buf), 0) <= 0)
			break;
		tv[i] = bosh_now() - t0;
	}
	*count_us = i ? sec_median(tv, i) * 1e6 : NAN;
	for (i = 0; i < SCALE_CALLS; i++) {
		t0 = bosh_now();
		if (pwrite(s->sfd, "1", 1, 0) != 1)
			break;
		tv[i] = bosh_now() - t0;
		set_restore_taken(s);
	}
	*scan_us = i ? sec_median(tv, i) * 1e6 : NAN;
}

struct scale_fig {
	const char *kind;
	long bos;
	double count[BENCH_MAX_REPS], scan[BENCH_MAX_REPS];
	double count_r[BENCH_MAX_REPS], scan_r[BENCH_MAX_REPS];
	double create_us, slab_per_bo;
	long freed, mm_scans;
};

/* Repetitions of the set against the reference, the order alternated. */
static void scale_config(struct bo_set *ref, long n, enum set_kind kind, int reps,
			 struct scale_fig *f)
{
	double rc[BENCH_MAX_REPS], rsc[BENCH_MAX_REPS];
	long scans0, freed0;
	struct bo_set s;
	int i;

	f->kind = set_name[kind];
	f->bos = n;
	if (set_build(&s, 0, n, kind)) {
		printf("# scale: building %ld %s BOs failed: %s\n", n, f->kind, strerror(errno));
		set_free(&s);
		for (i = 0; i < reps; i++) {
			f->count[i] = NAN;
			f->scan[i] = NAN;
			f->count_r[i] = NAN;
			f->scan_r[i] = NAN;
		}
		return;
	}
	scans0 = bosh_stat(0, "scans_total");
	freed0 = bosh_stat(0, "freed_total");
	for (i = 0; i < reps; i++) {
		if (i % 2)
			set_block(&s, &f->count[i], &f->scan[i]);
		set_block(ref, &rc[i], &rsc[i]);
		if (!(i % 2))
			set_block(&s, &f->count[i], &f->scan[i]);
	}
	f->freed = bosh_stat(0, "freed_total") - freed0;
	/* Scans the mm ran meanwhile (ours are the debugfs calls). */
	f->mm_scans = bosh_stat(0, "scans_total") - scans0 - (long)reps * SCALE_CALLS;
	f->create_us = s.create_us;
	f->slab_per_bo = s.slab_per_bo;
	set_free(&s);
	ratios(f->count_r, f->count, rc, reps);
	ratios(f->scan_r, f->scan, rsc, reps);
	printf("# scale %ld %s: scan %.1f us/page (x%.2f), count %.1f us (x%.2f), mm scans %ld\n",
	       n, f->kind, spread_of(f->scan, reps).med, spread_of(f->scan_r, reps).med,
	       spread_of(f->count, reps).med, spread_of(f->count_r, reps).med, f->mm_scans);
}

static void scale_report(struct scale_fig *f, int reps)
{
	char name[96];

	snprintf(name, sizeof(name), "scan, %ld %s BOs%s", f->bos, f->kind,
		 strcmp(f->kind, "resident") ? " + 1 candidate behind" : "");
	tspread(name, f->scan, reps, "us/page", NULL);
	tspread("  ratio: scan / scan of 1 BO (bosh.1)", f->scan_r, reps, "x", NULL);
	snprintf(name, sizeof(name), "count, %ld %s BOs", f->bos, f->kind);
	tspread(name, f->count, reps, "us/call", NULL);
	tspread("  ratio: count / count of 1 BO (bosh.1)", f->count_r, reps, "x", NULL);

	jobj(NULL);
	jstr("kind", f->kind);
	jint("bos", f->bos);
	jspread("scan_us_per_page", f->scan, reps);
	jspread("scan_ratio", f->scan_r, reps);
	jspread("count_us", f->count, reps);
	jspread("count_ratio", f->count_r, reps);
	jnum("create_us_per_bo", f->create_us);
	jnum("slab_bytes_per_bo", f->slab_per_bo);
	jint("scan_freed_pages", f->freed);
	jint("background_bosh_scans", f->mm_scans);
	jend_obj();
}

/* Returns the slab bytes per BO of the largest resident set. */
double bench_scale(void)
{
	long max = env_long("BENCH_SCALE_MAX", 100000), n;
	static const enum set_kind worst[] = { SET_PINNED, SET_EMPTY, SET_PURGED };
	struct rlimit rl = { 1 << 20, 1 << 20 };
	static struct scale_fig f[16];
	int i, k = 0, reps = bench_reps(0);
	double slab = NAN;
	struct bo_set ref;

	/* GEM handles are not fds, but raise the limit anyway for children. */
	setrlimit(RLIMIT_NOFILE, &rl);
	bosh_sysfs_write(0, "writeback", "0");
	bosh_sysfs_write(1, "writeback", "0");
	/* N pinned one-page BOs: more than the default max_pinned_mb. */
	bosh_sysfs_write(0, "max_pinned_mb", "1048576");
	drop_caches();
	if (set_build(&ref, 1, 1, SET_RESIDENT)) {
		printf("# scale: no reference BO on bosh.1\n");
		set_free(&ref);
		return NAN;
	}
	for (n = 1; n <= max; n = n == 1 ? 1000 : n * 10) {
		scale_config(&ref, n, SET_RESIDENT, reps, &f[k]);
		if (n == max || n * 10 > max)
			slab = f[k].slab_per_bo;
		k++;
	}
	for (i = 0; i < 3; i++)
		scale_config(&ref, max, worst[i], reps, &f[k++]);
	set_free(&ref);

	trow("\n== 4. scaling with the number of 1-page BOs (writeback off), %d repetitions ==\n",
	     reps);
	trow("   (a repetition: the median of %d calls on bosh.0's set and of %d on bosh.1's BO;\n",
	     SCALE_CALLS, SCALE_CALLS);
	trow("    count: a read of debugfs stats, which computes the shrinker's count;\n");
	trow("    scan: a debugfs shrink of 1 page; 1 resident BO on bosh.0 is the control,\n");
	trow("    its ratio is the noise between two equal devices)\n");
	jarr("scaling");
	for (i = 0; i < k; i++)
		scale_report(&f[i], reps);
	jend_arr();
	return slab;
}
