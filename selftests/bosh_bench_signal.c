// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_bench section 7, BO_RW under a signal storm: a BO evicted into
 * the RAM store (writeback off) brought back by one BO_VALIDATE, and by
 * one BO_RW read of the whole BO into a user buffer, while a SIGALRM
 * arrives every 200 us (setitimer(ITIMER_REAL), as X servers and game
 * engines do). An interrupted restore restarts: the kernel restarts the
 * ioctl for an SA_RESTART handler, otherwise the caller retries on EINTR
 * as libdrm's drmIoctl() does. Each BO_RW attempt checks its whole user
 * range again before it restores anything, so what matters is how much
 * each attempt restores before it stops.
 *
 * Per size, three modes: no signals (the control), SA_RESTART, and no
 * SA_RESTART with the EINTR retry. A repetition runs, in each mode, one
 * BO_VALIDATE and one BO_RW, each of the freshly evicted BO: the modes in
 * turn, their order reversed and the order of the two calls swapped
 * every other repetition. Ratios are taken within a repetition: BO_RW /
 * BO_VALIDATE in each mode, and each call under the storm / the same call
 * without signals. The content is checked after every restore.
 */
#define _GNU_SOURCE
#include <sys/time.h>

#include "bosh_bench.h"

enum sig_mode { SIG_NONE, SIG_RESTART, SIG_EINTR, SIG_MODES };

static const char *const mode_name[SIG_MODES] = { "none", "restart", "eintr" };
static const char *const mode_label[SIG_MODES] = {
	"no signals", "SA_RESTART", "no SA_RESTART, EINTR retried",
};

static volatile sig_atomic_t sig_ticks;

static void sig_tick(int sig)
{
	sig_ticks++;
}

/* One timed call: its time, the signals it saw, its stops and EINTRs. */
struct sig_call {
	double s;
	long ticks, intr, eintr;
	int err;
};

/* The figures of one size and mode, one entry per repetition. */
struct sig_fig {
	double val[BENCH_MAX_REPS], rw[BENCH_MAX_REPS], ratio[BENCH_MAX_REPS];
	double val_quiet[BENCH_MAX_REPS], rw_quiet[BENCH_MAX_REPS];
	double rate[BENCH_MAX_REPS];
	double intr_val[BENCH_MAX_REPS], intr_rw[BENCH_MAX_REPS];
	double eintr_val[BENCH_MAX_REPS], eintr_rw[BENCH_MAX_REPS];
	int reps, errors;
};

static void sig_timer(long us)
{
	struct itimerval it = { { 0, us }, { 0, us } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * Evict the BO, then time one call of @req on it under @mode's storm,
 * retried on EINTR as drmIoctl() does. Content is checked afterwards,
 * with the timer off.
 */
static void sig_call(enum sig_mode mode, long us, unsigned long req, void *arg,
		     struct sig_call *c)
{
	long intr0;
	double t0;
	int ret;

	memset(c, 0, sizeof(*c));
	if (bosh_debugfs_write(0, "evict", "1"))
		printf("# signal: evict failed: %s\n", strerror(errno));
	intr0 = bosh_stat(0, "restore_interrupted_total");
	sig_ticks = 0;
	if (mode != SIG_NONE)
		sig_timer(us);
	t0 = bosh_now();
	for (;;) {
		ret = ioctl(bench_fd, req, arg);
		if (!ret || (errno != EINTR && errno != EAGAIN))
			break;
		c->eintr++;
	}
	c->s = bosh_now() - t0;
	sig_timer(0);
	c->ticks = sig_ticks;
	c->err = ret ? errno : 0;
	c->intr = bosh_stat(0, "restore_interrupted_total") - intr0;
}

/* One BO_VALIDATE, then a check of the BO through BO_RW (no restore left). */
static void sig_validate(enum sig_mode mode, long us, uint32_t h, uint64_t npages,
			 uint32_t key, struct sig_call *c, uint64_t *bad)
{
	struct drm_bosh_bo_validate v = { .handle = h };

	sig_call(mode, us, DRM_IOCTL_BOSH_BO_VALIDATE, &v, c);
	*bad += bo_check(bench_fd, h, npages, key, 0);
}

/* One BO_RW read of the whole BO into @buf, which is then checked. */
static void sig_rw(enum sig_mode mode, long us, uint32_t h, uint64_t npages,
		   uint32_t key, char *buf, struct sig_call *c, uint64_t *bad)
{
	struct drm_bosh_bo_rw rw = {
		.handle = h, .op = BOSH_RW_READ, .size = npages * BOSH_PAGE,
		.data = (uintptr_t)buf,
	};

	memset(buf, 0, npages * BOSH_PAGE);
	sig_call(mode, us, DRM_IOCTL_BOSH_BO_RW, &rw, c);
	*bad += c->err ? npages : bosh_pattern_check(buf, npages, bench_seed, key, 0);
}

/* One BO_VALIDATE and one BO_RW in @mode, the order swapped in odd @rep. */
static void sig_pair(enum sig_mode mode, long us, int rep, uint32_t h,
		     uint64_t npages, uint32_t key, char *buf,
		     struct sig_fig *f, uint64_t *bad)
{
	struct sigaction sa = { .sa_handler = sig_tick };
	struct sig_call v, r;

	sa.sa_flags = mode == SIG_RESTART ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	if (rep % 2)
		sig_rw(mode, us, h, npages, key, buf, &r, bad);
	sig_validate(mode, us, h, npages, key, &v, bad);
	if (!(rep % 2))
		sig_rw(mode, us, h, npages, key, buf, &r, bad);
	signal(SIGALRM, SIG_DFL);
	f->errors += !!v.err + !!r.err;
	f->val[rep] = v.s;
	f->rw[rep] = r.s;
	f->rate[rep] = r.s > 0 ? r.ticks / r.s : NAN;
	f->intr_val[rep] = v.intr;
	f->intr_rw[rep] = r.intr;
	f->eintr_val[rep] = v.eintr;
	f->eintr_rw[rep] = r.eintr;
	printf("# signal %llu pages, %s, rep %d: BO_VALIDATE %.3f s (%ld stops, %ld EINTR), BO_RW %.3f s (%ld stops, %ld EINTR, %ld signals)\n",
	       (unsigned long long)npages, mode_name[mode], rep, v.s, v.intr, v.eintr,
	       r.s, r.intr, r.eintr, r.ticks);
}

/* Repetitions of the three modes, interleaved. */
static void sig_size_run(long us, int reps, uint32_t h, uint64_t npages, uint32_t key,
			char *buf, struct sig_fig *f, uint64_t *bad)
{
	int i, k, m;

	for (i = 0; i < reps && !bench_over_budget(i); i++)
		for (k = 0; k < SIG_MODES; k++) {
			m = i % 2 ? SIG_MODES - 1 - k : k;
			sig_pair(m, us, i, h, npages, key, buf, &f[m], bad);
		}
	for (m = 0; m < SIG_MODES; m++) {
		f[m].reps = i;
		ratios(f[m].ratio, f[m].rw, f[m].val, i);
		ratios(f[m].rw_quiet, f[m].rw, f[SIG_NONE].rw, i);
		ratios(f[m].val_quiet, f[m].val, f[SIG_NONE].val, i);
	}
}

static void sig_report(uint64_t npages, enum sig_mode mode, struct sig_fig *f)
{
	unsigned long mb = npages / PAGES_PER_MB;
	char name[96];
	int n = f->reps;

	snprintf(name, sizeof(name), "%lu MiB, %s: BO_VALIDATE", mb, mode_label[mode]);
	tspread(name, f->val, n, "s", NULL);
	snprintf(name, sizeof(name), "%lu MiB, %s: BO_RW read", mb, mode_label[mode]);
	tspread(name, f->rw, n, "s", NULL);
	tspread("  ratio: BO_RW / BO_VALIDATE", f->ratio, n, "x",
		mode == SIG_NONE ? "(control)" : "(goal: <= 2)");
	if (mode != SIG_NONE) {
		tspread("  ratio: BO_RW / BO_RW without signals", f->rw_quiet, n, "x", NULL);
		tspread("  ratio: BO_VALIDATE / BO_VALIDATE without signals", f->val_quiet, n,
			"x", NULL);
		tspread("  handlers run per second during BO_RW", f->rate, n, "1/s",
			"(pending SIGALRMs merge)");
		tspread("  restores stopped, BO_VALIDATE", f->intr_val, n, "stops",
			"(restore_interrupted_total delta)");
		tspread("  restores stopped, BO_RW", f->intr_rw, n, "stops",
			"(restore_interrupted_total delta)");
	}
	if (mode == SIG_EINTR) {
		tspread("  EINTRs retried, BO_VALIDATE", f->eintr_val, n, "calls", NULL);
		tspread("  EINTRs retried, BO_RW", f->eintr_rw, n, "calls", NULL);
	}
	if (f->errors)
		tline("  calls that failed", f->errors, "calls", NULL);

	jobj(mode_name[mode]);
	jint("reps", n);
	jspread("validate_s", f->val, n);
	jspread("rw_s", f->rw, n);
	jspread("ratio_rw_to_validate", f->ratio, n);
	jspread("ratio_rw_to_rw_without_signals", f->rw_quiet, n);
	jspread("ratio_validate_to_validate_without_signals", f->val_quiet, n);
	jspread("rw_handlers_per_s", f->rate, n);
	jspread("validate_restores_stopped", f->intr_val, n);
	jspread("rw_restores_stopped", f->intr_rw, n);
	jspread("validate_eintr", f->eintr_val, n);
	jspread("rw_eintr", f->eintr_rw, n);
	jint("failed_calls", f->errors);
	jend_obj();
}

void bench_signal(void)
{
	const char *sizes = getenv("BENCH_SIGNAL_MB");
	long us = env_long("BENCH_SIGNAL_US", 200);
	int reps = bench_reps(1), first = 1;
	static struct sig_fig f[SIG_MODES];
	char list[128], *tok, *save;
	uint64_t bad = 0;

	bosh_sysfs_write(0, "writeback", "0");
	snprintf(list, sizeof(list), "%s", sizes && *sizes ? sizes : "4,16");
	jobj("signal");
	jint("interval_us", us);
	jarr("sizes");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t npages = strtoul(tok, NULL, 0) * PAGES_PER_MB, bad0 = bad;
		uint32_t h, key = bosh_key();
		char *buf;
		int m;

		if (!npages)
			continue;
		buf = anon_4k(npages * BOSH_PAGE);
		if (!buf || bosh_create(bench_fd, npages * BOSH_PAGE, &h)) {
			printf("# signal: %llu pages: create failed\n", (unsigned long long)npages);
			continue;
		}
		if (bo_fill(bench_fd, h, npages, key, 0)) {
			printf("# signal: fill failed\n");
			bosh_close_bo(bench_fd, h);
			continue;
		}
		memset(f, 0, sizeof(f));
		sig_size_run(us, reps, h, npages, key, buf, f, &bad);
		bosh_close_bo(bench_fd, h);
		munmap(buf, npages * BOSH_PAGE);

		if (first) {
			trow("\n== 7. BO_RW under a signal storm (RAM store, writeback off; SIGALRM every %ld us) ==\n",
			     us);
			trow("   (a repetition: in each mode, evict and one BO_VALIDATE, evict and one BO_RW\n");
			trow("    read of the whole BO; modes and calls in alternating order; EINTR retried\n");
			trow("    as drmIoctl does; ratios per repetition; user buffer: populated 4 KiB pages)\n");
			first = 0;
		}
		jobj(NULL);
		jint("pages", npages);
		for (m = 0; m < SIG_MODES; m++)
			sig_report(npages, m, &f[m]);
		jint("content_bad_pages", bad - bad0);
		jend_obj();
	}
	jend_arr();
	jint("content_bad_pages", bad);
	jend_obj();
	tline("  content errors (every call, every size)", bad, "pages", NULL);
}
