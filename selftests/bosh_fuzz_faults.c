// SPDX-License-Identifier: GPL-2.0
/*
 * What bosh_fuzz arms and puts back: the bosh fault points (debugfs
 * fault attributes), fail-nth, the sysfs knobs and timer signals that
 * interrupt a restore; and the operations that arm them.
 */
#define _GNU_SOURCE
#include "bosh_fuzz.h"

static const char *const fz_points[FP_COUNT] = {
	FZ_DRI "/fail_alloc", FZ_DRI "/fail_backup", FZ_DRI "/fail_writeback",
	FZ_DRI "/fail_restore", FZ_DRI "/fail_restore_intr", BOSH_FAILSLAB,
	BOSH_FAIL_PAGE_ALLOC,
};

/* The times each point was armed with: what is left tells what fired. */
static long fz_armed_times[FP_COUNT];
static uint64_t fz_nth_fired;

static const char *const fz_knobs[FZ_NKNOBS] = {
	"shrinker_enabled", "writeback", "swap_reserve_mb", "max_bo_mb",
	"max_pinned_mb",
};

__thread sigjmp_buf fz_jmp;
__thread volatile sig_atomic_t fz_jmp_armed;

/* ---- files: fault attributes, knobs, fail-nth ------------------------------- */

/*
 * The fuzzer's own file writes and reads (fault attributes, knobs,
 * counters, its buffers) run quiet: no fail-nth and no make-it-fail, so
 * only the calls under test meet the core fault points.
 */
void fz_quiet_begin(void)
{
	char val[16] = "";

	if (fz.quiet++)
		return;
	fz.nth_saved = 0;
	if (fz.nth_fd >= 0 && fz.nth_now && pread(fz.nth_fd, val, sizeof(val) - 1, 0) > 0)
		fz.nth_saved = atol(val);
	if (fz.nth_saved)
		fz_nth_write(0);
	if (fz.mif_fd >= 0 && pwrite(fz.mif_fd, "0", 1, 0) != 1)
		fz_fail("make-it-fail: %s", strerror(errno));
}

void fz_quiet_end(void)
{
	if (--fz.quiet)
		return;
	if (fz.nth_saved)
		fz_nth_write(fz.nth_saved);
	if (fz.mif_fd >= 0 && pwrite(fz.mif_fd, "1", 1, 0) != 1)
		fz_fail("make-it-fail: %s", strerror(errno));
}

/* A buffer of the fuzzer's own: an injected failure retries quiet. */
void *fz_alloc(size_t len)
{
	void *p = malloc(len);

	if (!p) {
		fz_quiet_begin();
		p = malloc(len);
		fz_quiet_end();
	}
	if (!p)
		fz_fail("out of memory");
	return p;
}

static void fz_fault_set(int p, const char *attr, long v)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "%s/%s", fz_points[p], attr);
	snprintf(val, sizeof(val), "%ld", v);
	fz_quiet_begin();
	bosh_write_file(path, val);
	fz_quiet_end();
}

static void fz_fault_disarm(int p)
{
	char path[PATH_MAX];
	long left;

	fz_quiet_begin();
	snprintf(path, sizeof(path), "%s/times", fz_points[p]);
	left = bosh_read_long(path);
	fz_fault_set(p, "probability", 0);
	fz_fault_set(p, "times", 0);
	fz_fault_set(p, "interval", 1);
	fz_fault_set(p, "space", 0);
	fz_quiet_end();
	if (fz_armed_times[p] > 0 && left >= 0 && left <= fz_armed_times[p])
		fz.injected[p] += fz_armed_times[p] - left;
	fz_armed_times[p] = 0;
}

static void fz_knob_set(unsigned int k, long v)
{
	char val[32];
	int err;

	snprintf(val, sizeof(val), "%ld", v);
	fz_quiet_begin();
	err = bosh_sysfs_write(0, fz_knobs[k], val);
	fz_quiet_end();
	if (err)
		fz_fail("knob %s = %ld: %s", fz_knobs[k], v, strerror(-err));
}

/*
 * The fail-nth file stays open while used: opening or closing it could
 * itself consume the armed failure.
 */
void fz_nth_write(unsigned int n)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%u", n);

	if (fz.nth_fd >= 0 && pwrite(fz.nth_fd, val, len, 0) != len && n)
		fz_fail("fail-nth write: %s", strerror(errno));
}

/* After a step: was its fail-nth consumed? */
void fz_nth_done(void)
{
	char val[16] = "";

	if (fz.nth_fd >= 0 && pread(fz.nth_fd, val, sizeof(val) - 1, 0) > 0 && !atol(val))
		fz_nth_fired++;
	fz_nth_write(0);
}

/* Disarm every fault point. */
void fz_faults_disarm(void)
{
	unsigned int i;

	for (i = 0; i < FP_COUNT; i++)
		if ((i < FP_BOSH && fz.have_faults) || (i >= FP_BOSH && fz.have_core))
			fz_fault_disarm(i);
	fz.armed = 0;
}

/* What was injected, per kind. */
void fz_faults_report(void)
{
	unsigned int i;

	printf("# faults injected:");
	for (i = 0; i < FP_COUNT; i++)
		printf(" %s=%" PRIu64, strrchr(fz_points[i], '/') + 1, fz.injected[i]);
	printf(" fail-nth=%" PRIu64 "\n", fz_nth_fired);
}

/* Put back what the run changed: fail-nth, the fault points, the knobs. */
void fz_restore_env(void)
{
	unsigned int i;

	if (fz.nth_fd >= 0)
		fz_nth_write(0);
	if (fz.mif_fd >= 0 && pwrite(fz.mif_fd, "0", 1, 0) != 1)
		perror("make-it-fail");
	fz.quiet = 1;
	/* Workers leave the shared settings to the parent. */
	if (fz.stress && fz.worker != ~0u)
		return;
	fz_faults_disarm();
	if (fz.have_core)
		bosh_core_faults_all_gfp(0);
	for (i = 0; i < FZ_NKNOBS; i++)
		if (fz.knob_orig[i] >= 0)
			fz_knob_set(i, fz.knob_orig[i]);
}

/* Which fault points this kernel has (the stress mode's parent too). */
void fz_faults_probe(void)
{
	fz.have_faults = !access(FZ_DRI "/fail_alloc/times", F_OK);
	fz.have_core = !access(BOSH_FAILSLAB "/task-filter", F_OK) &&
		       !access(BOSH_FAIL_PAGE_ALLOC "/task-filter", F_OK);
}

/*
 * Open this thread's fail-nth file, see whether the bosh fault points
 * exist, and keep every point quiet: fail-nth fires through all of them.
 */
void fz_faults_setup(void)
{
	char path[64];
	unsigned int i;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	fz.nth_fd = open(path, O_RDWR | O_CLOEXEC);
	fz_faults_probe();
	for (i = 0; fz.have_faults && i < FP_BOSH; i++)
		fz_fault_set(i, "verbose", 0);
	bosh_write_file(BOSH_FAILSLAB "/verbose", "0");
	bosh_write_file(BOSH_FAIL_PAGE_ALLOC "/verbose", "0");
	if (!fz.have_core)
		return;
	/*
	 * The core points fail sleeping and highmem allocations of any
	 * order, in the fuzzer's tasks only: task-filter, and make-it-fail
	 * on this task, which its threads and children inherit.
	 */
	bosh_core_faults_all_gfp(1);
	bosh_write_file(BOSH_FAILSLAB "/task-filter", "Y");
	bosh_write_file(BOSH_FAIL_PAGE_ALLOC "/task-filter", "Y");
	fz.mif_fd = open("/proc/self/make-it-fail", O_RDWR | O_CLOEXEC);
	if (fz.mif_fd < 0 || pwrite(fz.mif_fd, "1", 1, 0) != 1)
		fz_fail("make-it-fail: %s", strerror(errno));
}

void fz_read_knobs(void)
{
	unsigned int i;

	for (i = 0; i < FZ_NKNOBS; i++)
		fz.knob_orig[i] = bosh_sysfs_read(0, fz_knobs[i]);
}

/* ---- signals ------------------------------------------------------------- */

static void fz_sigbus(int sig)
{
	if (fz_jmp_armed)
		siglongjmp(fz_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* SIGALRM and SIGUSR1 need only to arrive. */
static void fz_sig_ignore(int sig)
{
}

void fz_signals_init(void)
{
	struct sigaction sa = { 0 };
	struct sigevent ev = { 0 };

	sa.sa_handler = fz_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	/* SIGALRM interrupts (EINTR reaches us), SIGUSR1 restarts. */
	sa.sa_handler = fz_sig_ignore;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);

	ev.sigev_notify = SIGEV_THREAD_ID;
	ev._sigev_un._tid = syscall(SYS_gettid);
	ev.sigev_signo = SIGALRM;
	if (timer_create(CLOCK_MONOTONIC, &ev, &fz.tmr_intr))
		fz_fail("timer_create: %s", strerror(errno));
	ev.sigev_signo = SIGUSR1;
	if (timer_create(CLOCK_MONOTONIC, &ev, &fz.tmr_restart))
		fz_fail("timer_create: %s", strerror(errno));
}

static void fz_timer(timer_t t, long usecs)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = usecs / 1000000;
	its.it_value.tv_nsec = (usecs % 1000000) * 1000;
	timer_settime(t, 0, &its, NULL);
}

/* ---- the operations ------------------------------------------------------ */

void op_knob(void)
{
	uint64_t k = rnd(FZ_NKNOBS), kind = rnd(6);
	static const long bo_caps[] = { 4, 16, 64, 8192 };
	static const long pin_caps[] = { 0, 1, 4, 256 };
	char path[PATH_MAX];
	long v;
	int err;

	switch (k) {
	case 0: case 1: v = rnd(2); break;
	case 2: v = rnd(2) ? 0 : 128; break;
	/* Above what others hold (the pressure mode's hog holds a BO). */
	case 3: v = bo_caps[rnd(4)] + (long)((fz.base_bytes + (1 << 20) - 1) >> 20); break;
	default: v = pin_caps[rnd(4)]; break;
	}
	fz_log("knob %s kind %" PRIu64 " = %ld", fz_knobs[k], kind, v);
	bosh_sysfs_path(0, fz_knobs[k], path, sizeof(path));
	if (kind == 0) {
		/* Out of range or not a number: refused, nothing changes. */
		err = -bosh_write_file(path, k < 2 ? "2" : k == 3 ? "0" : "junk");
		fz_log_more(" bad -> %s", err ? strerror(err) : "ok");
		if (err == ENOMEM && fz_injecting())
			return;	/* the open met an injected failure */
		fz_expect("bad knob value", err, EINVAL);
		return;
	}
	fz_knob_set(k, v);
	if (k == 3)
		fz.max_bo_mb = v;
	if (k == 4)
		fz.max_pinned_mb = v;
}

/*
 * Arm a fault point, deterministically (probability 100, every
 * interval-th call, times failures, after space bytes), or in stress
 * mode randomly. The model then tolerates injected errors until the
 * point is disarmed and content is checked in full.
 */
void op_fault(void)
{
	uint64_t p = rnd(FP_COUNT), kind = rnd(4), interval = rnd_range(1, 8);
	uint64_t times = rnd_range(1, 4), space = rnd(3) ? 0 : rnd_range(1, 8) * BOSH_PAGE;
	uint64_t prob = rnd_range(1, 30);
	bool core = p >= FP_BOSH;

	fz_log("fault %s kind %" PRIu64, strrchr(fz_points[p], '/') + 1, kind);
	if (core ? !fz.have_core : !fz.have_faults)
		return;
	if (kind == 0) {
		fz_fault_disarm(p);
		fz.armed &= ~(1u << p);
		fz_log_more(" disarm");
		return;
	}
	if (fz.armed & (1u << p))
		fz_fault_disarm(p);
	fz_quiet_begin();
	fz_fault_set(p, "verbose", 0);
	fz_fault_set(p, "space", core ? 0 : space);
	/*
	 * The core points' probability mode runs in the deterministic mode
	 * too (a few failures at a time, in the fuzzer's tasks only): which
	 * allocation fails is not reproducible, the sequence is.
	 */
	if ((fz.stress || core) && kind == 1) {
		prob = core ? prob / 3 + 1 : prob;
		times = core ? times * 2 : -1;
		fz_fault_set(p, "interval", 1);
		fz_fault_set(p, "times", times);
		fz_fault_set(p, "probability", prob);
		fz_log_more(" probability %" PRIu64, prob);
	} else {
		fz_fault_set(p, "interval", interval);
		fz_fault_set(p, "times", times);
		fz_fault_set(p, "probability", 100);
		fz_log_more(" interval %" PRIu64 " times %" PRIu64 " space %" PRIu64,
			    interval, times, core ? 0 : space);
	}
	fz_quiet_end();
	fz_armed_times[p] = (long)times;
	fz.armed |= 1u << p;
}

/* Disarm everything and check every retained BO in full. */
void op_verify_all(void)
{
	int i;

	fz_log("verify-all");
	if (!fz.stress) {
		for (i = 0; i < FP_COUNT; i++)
			if (fz.armed & (1u << i))
				fz_fault_disarm(i);
		fz.armed = 0;
	}
	for (i = 0; i < FZ_SLOTS; i++) {
		struct fz_bo *b = &fz.bo[i];

		if (b->used && !b->dead)
			fz_verify_pages(b, 0, b->npages, "verify-all");
	}
	fz_check_counts();
}

void op_fail_nth(void)
{
	uint64_t n = rnd_range(1, 8);

	fz_log("fail-nth %" PRIu64 " for the next step", n);
	if (fz.nth_fd < 0)
		return;
	fz.nth_next = true;
	fz.nth_val = n;
}

/*
 * A signal during a restore: evict the BO's pages, then arm a timer to
 * fire within the ioctl that brings them back.
 */
void op_signal(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(4), usecs = rnd_range(20, 2000);
	bool restart = rnd(2);
	int err;

	fz_log("signal kind %" PRIu64 " after %" PRIu64 "us %s %s", kind, usecs,
	       restart ? "SA_RESTART" : "no-restart", b ? "" : "(empty)");
	if (!b)
		return;
	fz_log_more(" h%u | evict", b->handle);
	err = fz_debugfs("evict", "1");
	if (err && !(fz_injecting() && fz_restore_errs(err)))
		fz_fail("evict: %s", strerror(err));
	fz.sig_now = true;
	fz_timer(restart ? fz.tmr_restart : fz.tmr_intr, usecs);
	switch (kind) {
	case 0:
		fz_check_restore_result(b, fz_validate(b, 0), "validate under signal");
		break;
	case 1: {
		struct drm_bosh_bo_busy bb = { .handle = b->handle, .usecs = 5000 };

		/* purge waits for the fence, interruptibly */
		fz_ioctl(OP_BUSY, fz.fd, DRM_IOCTL_BOSH_BO_BUSY, &bb);
		err = fz_debugfs("purge", "1");
		if (!err)
			fz_mark_purged();
		else if (err != EINTR && !(err == ENOMEM && fz_injecting()))
			fz_fail("purge under signal: %s", strerror(err));
		break;
	}
	default:
		fz_verify_pages(b, 0, b->npages, "read under signal");
		break;
	}
	fz_timer(restart ? fz.tmr_restart : fz.tmr_intr, 0);
	fz.sig_now = false;
}
