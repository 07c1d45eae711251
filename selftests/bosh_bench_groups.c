// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 9, restore with many memcg groups on the device
 * (issue 26 item 3). A device keeps its BOs in one group per owning
 * memcg; admission used to sum every group under a spinlock for each
 * restored page, and now reads the device's counters.
 *
 * A group is made by a helper process in a cgroup of its own under
 * /sys/fs/cgroup/bosh-bench-<pid>/: it opens bosh.0, creates a 1-page
 * BO (never written: evict has nothing to take from it) and waits. With
 * 1, 200 and 1000 groups on bosh.0 (the bench's own and the helpers';
 * fewer where a quarter of the RAM cannot hold the helpers, and BOs of
 * 1/16 of the RAM, as in make check's 256 MiB guest), a 32 MiB BO is
 * evicted into the RAM store (writeback off) and brought back by one
 * BO_VALIDATE; and a fresh 32 MiB BO is populated through
 * mmap faults, one page a fault, each admitted on its own (a restore
 * from the RAM store is admitted without the check). The reference is
 * the same on bosh.1, which keeps 1 group: helpers can only be added,
 * so the group counts run one after the other, and each repetition
 * times bosh.0 and bosh.1 side by side, the order alternated; the ratio
 * is bosh.0 / bosh.1 per repetition. At 1 group it is the noise between
 * two equal devices.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>

#include "bosh_bench.h"

#define GROUPS_MB	32
/* MemAvailable a helper takes (process, cgroup, DRM file, BO): 145-158 KiB measured */
#define GROUPS_HELPER_KB	160
#define CG_ROOT		"/sys/fs/cgroup"

#define NCOUNTS		3
static const int group_counts[NCOUNTS] = { 1, 200, 1000 };

struct helpers {
	char base[PATH_MAX];
	pid_t pid[1000];
	int n;
};

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return bosh_write_file(path, val);
}

/*
 * Start helpers up to @n, all at once so the two vCPUs share the work;
 * each reports one byte on @pipe, 0 once its BO exists. Returns the
 * helpers that failed.
 */
static int helpers_grow(struct helpers *hs, int n)
{
	int p[2], bad = 0, started = 0;
	char dir[PATH_MAX + 16], c;

	if (pipe2(p, O_CLOEXEC))
		return n - hs->n;
	fflush(stdout);
	for (; hs->n < n; hs->n++, started++) {
		pid_t pid;

		snprintf(dir, sizeof(dir), "%s/g%d", hs->base, hs->n);
		if (mkdir(dir, 0755))
			break;
		pid = fork();
		if (!pid) {
			uint32_t h;
			int fd;

			/* Never outlive the bench, whatever happens to it. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			c = cg_write(dir, "cgroup.procs", "0") ? 1 :
			    (fd = bosh_open(0)) < 0 ? 2 :
			    bosh_create(fd, BOSH_PAGE, &h) ? 3 : 0;
			if (write(p[1], &c, 1) != 1 || c)
				_exit(1);
			for (;;)
				pause();
		}
		if (pid < 0) {
			rmdir(dir);
			break;
		}
		hs->pid[hs->n] = pid;
	}
	close(p[1]);
	while (started-- > 0)
		if (read(p[0], &c, 1) != 1 || c)
			bad++;
	close(p[0]);
	return bad + n - hs->n;
}

static void helpers_end(struct helpers *hs)
{
	char dir[PATH_MAX + 16];
	int i, tries;

	for (i = 0; i < hs->n; i++)
		kill(hs->pid[i], SIGKILL);
	for (i = 0; i < hs->n; i++)
		waitpid(hs->pid[i], NULL, 0);
	/* A reaped task may leave its cgroup a moment later: retry. */
	for (i = 0; i < hs->n; i++) {
		snprintf(dir, sizeof(dir), "%s/g%d", hs->base, i);
		for (tries = 0; rmdir(dir) && errno == EBUSY && tries < 100; tries++)
			usleep(10000);
	}
	rmdir(hs->base);
}

/* Why the section cannot run here, or NULL. */
static const char *groups_setup(struct helpers *hs)
{
	char ctl[256] = "";
	FILE *f = fopen(CG_ROOT "/cgroup.controllers", "re");

	if (!f)
		return "no cgroup v2 at " CG_ROOT;
	if (!fgets(ctl, sizeof(ctl), f))
		ctl[0] = 0;
	fclose(f);
	if (!strstr(ctl, "memory"))
		return "no memory controller in " CG_ROOT "/cgroup.controllers";
	snprintf(hs->base, sizeof(hs->base), CG_ROOT "/bosh-bench-%d", getpid());
	if (cg_write(CG_ROOT, "cgroup.subtree_control", "+memory") ||
	    mkdir(hs->base, 0755))
		return "cannot enable +memory or make a cgroup under " CG_ROOT;
	if (cg_write(hs->base, "cgroup.subtree_control", "+memory")) {
		rmdir(hs->base);
		return "cannot enable +memory in the bench's cgroup";
	}
	return NULL;
}

struct gdev {
	int dev, fd, mb;
	uint32_t h, key;
};

/* Evict (not timed), then one timed BO_VALIDATE of the whole BO: MiB/s. */
static double restore_mibs(struct gdev *g)
{
	long r0;
	double t0, dt;

	if (bosh_debugfs_write(g->dev, "evict", "1"))
		return NAN;
	r0 = bosh_stat(g->dev, "restored_total");
	t0 = bosh_now();
	if (bosh_validate(g->fd, g->h))
		return NAN;
	dt = bosh_now() - t0;
	/* Only a full restore counts: nothing was left resident. */
	if (bosh_stat(g->dev, "restored_total") - r0 != g->mb * (long)PAGES_PER_MB)
		return NAN;
	return g->mb / dt;
}

/* A fresh BO populated by one write fault a page through its mapping: MiB/s. */
static double fault_mibs(struct gdev *g)
{
	size_t len = (size_t)g->mb << 20, off;
	double t0, dt;
	uint32_t h;
	char *m;

	if (bosh_create(g->fd, len, &h))
		return NAN;
	m = bosh_mmap(g->fd, h, len, MAP_SHARED);
	if (m == MAP_FAILED) {
		bosh_close_bo(g->fd, h);
		return NAN;
	}
	t0 = bosh_now();
	for (off = 0; off < len; off += BOSH_PAGE)
		m[off] = 1;
	dt = bosh_now() - t0;
	munmap(m, len);
	bosh_close_bo(g->fd, h);
	return g->mb / dt;
}

struct gfig {
	int groups, bos;
	long kb_per_helper;
	double rs[BENCH_MAX_REPS], rs_ref[BENCH_MAX_REPS], rs_r[BENCH_MAX_REPS];
	double fl[BENCH_MAX_REPS], fl_ref[BENCH_MAX_REPS], fl_r[BENCH_MAX_REPS];
	double build_s;
};

static void groups_measure(struct gdev *d0, struct gdev *d1, int reps, struct gfig *f)
{
	int i;

	for (i = 0; i < reps; i++) {
		struct gdev *a = i % 2 ? d1 : d0, *b = i % 2 ? d0 : d1;
		double ra = restore_mibs(a), rb = restore_mibs(b);
		double fa = fault_mibs(a), fb = fault_mibs(b);

		f->rs[i] = a == d0 ? ra : rb;
		f->rs_ref[i] = a == d0 ? rb : ra;
		f->fl[i] = a == d0 ? fa : fb;
		f->fl_ref[i] = a == d0 ? fb : fa;
	}
	ratios(f->rs_r, f->rs, f->rs_ref, reps);
	ratios(f->fl_r, f->fl, f->fl_ref, reps);
	printf("# groups %d: restore %.1f MiB/s (x%.2f of bosh.1), faults %.1f MiB/s (x%.2f)\n",
	       f->groups, spread_of(f->rs, reps).med, spread_of(f->rs_r, reps).med,
	       spread_of(f->fl, reps).med, spread_of(f->fl_r, reps).med);
}

static void groups_report(struct gfig *f, int reps)
{
	char name[96], note[32];

	snprintf(name, sizeof(name), "restore, %d groups on bosh.0 (BO_VALIDATE)", f->groups);
	snprintf(note, sizeof(note), "(%d BOs on bosh.0)", f->bos);
	tspread(name, f->rs, reps, "MiB/s", note);
	tspread("  same on bosh.1, 1 group (same repetitions)", f->rs_ref, reps, "MiB/s", NULL);
	tspread("  ratio: bosh.0 / bosh.1", f->rs_r, reps, "x", NULL);
	snprintf(name, sizeof(name), "populate by mmap faults, %d groups on bosh.0", f->groups);
	tspread(name, f->fl, reps, "MiB/s", NULL);
	tspread("  same on bosh.1, 1 group (same repetitions)", f->fl_ref, reps, "MiB/s", NULL);
	tspread("  ratio: bosh.0 / bosh.1", f->fl_r, reps, "x", NULL);

	jobj(NULL);
	jint("groups", f->groups);
	jint("bos_on_bosh0", f->bos);
	jnum("helpers_start_s", f->build_s);
	jint("mem_available_kb_per_helper", f->kb_per_helper);
	jspread("restore_mib_s", f->rs, reps);
	jspread("restore_ref_mib_s", f->rs_ref, reps);
	jspread("restore_ratio", f->rs_r, reps);
	jspread("fault_mib_s", f->fl, reps);
	jspread("fault_ref_mib_s", f->fl_ref, reps);
	jspread("fault_ratio", f->fl_r, reps);
	jend_obj();
}

void bench_groups(void)
{
	long mem_mb = bosh_meminfo_kib("MemTotal") / 1024, avail;
	struct gdev d0 = { .dev = 0, .fd = -1 }, d1 = { .dev = 1, .fd = -1 };
	static struct helpers hs;
	static struct gfig f[NCOUNTS];
	int i, k, n = 0, max, added, reps = bench_reps(1);
	const char *why = groups_setup(&hs);
	uint64_t npages, bad = 0;
	double t0;

	if (why) {
		printf("# groups: %s: section 9 skipped\n", why);
		trow("\n== 9. restore with many memcg groups: skipped (%s) ==\n", why);
		jobj("groups");
		jstr("skipped", why);
		jend_obj();
		return;
	}
	/*
	 * make check's short run boots 256 MiB: there the BOs shrink to
	 * 1/16 of the RAM, and the helpers to what a quarter of it holds.
	 */
	d0.mb = mem_mb / 16 < GROUPS_MB ? mem_mb / 16 : GROUPS_MB;
	d1.mb = d0.mb;
	max = mem_mb * 1024 / 4 / GROUPS_HELPER_KB;
	if (max > group_counts[NCOUNTS - 1])
		max = group_counts[NCOUNTS - 1];
	npages = d0.mb * PAGES_PER_MB;
	bosh_sysfs_write(0, "writeback", "0");
	bosh_sysfs_write(1, "writeback", "0");
	d0.fd = bosh_open(0);
	d1.fd = bosh_open(1);
	d0.key = bosh_key();
	d1.key = bosh_key();
	if (d0.fd < 0 || d1.fd < 0 ||
	    bosh_create(d0.fd, npages * BOSH_PAGE, &d0.h) ||
	    bosh_create(d1.fd, npages * BOSH_PAGE, &d1.h) ||
	    bo_fill(d0.fd, d0.h, npages, d0.key, 0) || bo_fill(d1.fd, d1.h, npages, d1.key, 0)) {
		printf("# groups: creating the %d MiB BOs failed\n", d0.mb);
		goto out;
	}
	for (k = 0; k < NCOUNTS; k++) {
		int want = group_counts[k] < max ? group_counts[k] : max;

		if (n && want == f[n - 1].groups)
			break;
		f[n].groups = want;
		avail = bosh_meminfo_kib("MemAvailable");
		t0 = bosh_now();
		/* The bench's own group is one of them: helpers make the rest. */
		added = helpers_grow(&hs, want - 1);
		if (added) {
			printf("# groups: %d of %d helpers did not start\n", added, want - 1);
			break;
		}
		f[n].build_s = bosh_now() - t0;
		added = want - (n ? f[n - 1].groups : 1);
		if (added > 0)
			f[n].kb_per_helper = (avail - bosh_meminfo_kib("MemAvailable")) / added;
		f[n].bos = bosh_stat(0, "bos");
		groups_measure(&d0, &d1, reps, &f[n]);
		n++;
	}
	bad = bo_check(d0.fd, d0.h, npages, d0.key, 0) +
	      bo_check(d1.fd, d1.h, npages, d1.key, 0);
out:
	helpers_end(&hs);
	if (d0.fd >= 0)
		close(d0.fd);
	if (d1.fd >= 0)
		close(d1.fd);

	trow("\n== 9. restore with many memcg groups, %d MiB BOs, writeback off, %d repetitions ==\n",
	     d0.mb, reps);
	trow("   (a group: a helper process in a cgroup of its own with a 1-page BO on bosh.0;\n");
	trow("    the counts in turn, helpers only added; each repetition times bosh.0 and\n");
	trow("    bosh.1, which keeps 1 group, side by side: evict then BO_VALIDATE, and a\n");
	trow("    fresh BO populated by one mmap write fault a page)\n");
	jobj("groups");
	jint("bo_pages", npages);
	jint("reps", reps);
	jarr("counts");
	for (i = 0; i < n; i++)
		groups_report(&f[i], reps);
	jend_arr();
	tline("  content errors (both BOs, all repetitions)", bad, "pages", NULL);
	jint("content_bad_pages", bad);
	jend_obj();
}
