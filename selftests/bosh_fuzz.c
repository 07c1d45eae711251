// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_fuzz: the error-path fuzzer. Runs seeded random sequences of every
 * bosh ioctl (valid and invalid), mmap and touch, partial munmap, mremap,
 * mprotect, fork with mappings (the parent evicting under the child),
 * threads racing on one fd,
 * GEM_CLOSE, PRIME, madvise, pin, busy, signals, debugfs shrink/purge/
 * evict, sysfs knobs and fault injection, against a user-space model of
 * each BO's content and state. Stops at the first divergence with the
 * seed, the step and the last steps.
 *
 * Determinism: each step draws its op and the seed of its own stream
 * from the main PRNG; the op draws its choices from that stream before
 * the kernel's answer is known. The digest is an FNV-1a hash of the main
 * stream's draws, so the same seed and iteration count give the same
 * digest whatever the kernel answered, and the same seed replays the
 * same ops with the same arguments. What timing may change (purges by
 * reclaim, busy fences, the core fault points' probability mode, the
 * threads' interleaving, reclaim in the pressure mode) is accepted by
 * the model as sets ("maybe purged", "page is one of these contents").
 *
 * usage: bosh_fuzz [-s SEED] [-n ITERATIONS] [-d SECONDS] [-p PROCS] [-v]
 *                  [-x OP,...]   (leave out ops by name, e.g. -x pin,fork)
 *                  [-P]          (real memory pressure: a process beside
 *                                 the fuzzer takes what memory is
 *                                 available; reclaim must call the scan)
 *
 * The program, one concern a file:
 *   bosh_fuzz.c         this: the PRNG and digest, reporting, the op
 *                       table and loop, set-up, stress mode, main
 *   bosh_fuzz_model.c   documented errnos, the content model, BO state
 *   bosh_fuzz_ops.c     the BO operations, fork, debugfs triggers
 *   bosh_fuzz_threads.c threads on one fd: close during a fault or a
 *                       BO_RW, pins racing unpins
 *   bosh_fuzz_prime.c   the PRIME operations
 *   bosh_fuzz_faults.c  fault points, fail-nth, knobs, signals
 *   bosh_fuzz.h         what they share
 */
#define _GNU_SOURCE
#include "bosh_fuzz.h"

struct fz_state fz = { .fd = -1, .fd2 = -1, .fd_other = -1, .nth_fd = -1, .mif_fd = -1 };

/* -x NAME,...: leave ops out (a known bug need not stop the rest). */
static const char *fz_exclude;

/* ---- randomness and the digest ---------------------------------------- */

static void fz_hash(uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		fz.digest ^= (v >> (i * 8)) & 0xff;
		fz.digest *= 0x100000001b3ULL;
	}
}

static uint64_t fz_draw(uint64_t *state, uint64_t n)
{
	uint64_t v;

	*state += 0x9e3779b97f4a7c15ULL;
	v = bosh_mix(*state);
	return n ? v % n : v;
}

/*
 * The sequence: each step draws its op and the seed of its own stream
 * from the main stream, and only these draws feed the digest. An op's
 * own choices come from the step's stream, so an op that stops early on
 * what the kernel answered (a failed create leaves a slot empty) or a
 * thread's timing cannot shift the steps after it.
 */
uint64_t rnd_main(uint64_t n)
{
	uint64_t v = fz_draw(&fz.rng, n);

	fz_hash(v);
	return v;
}

/* The op's choices: the step's stream. */
uint64_t rnd(uint64_t n)
{
	return fz_draw(&fz.sub, n);
}

uint64_t rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd(hi - lo + 1);
}

/* ---- reporting -------------------------------------------------------- */

void fz_log(const char *fmt, ...)
{
	char *line = fz.ring[fz.step % FZ_RING];
	size_t n;
	va_list ap;

	n = snprintf(line, sizeof(fz.ring[0]), "step %" PRIu64 ": ", fz.step);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(fz.ring[0]) - n, fmt, ap);
	va_end(ap);
}

/* Append to the current step's line (the result). */
void fz_log_more(const char *fmt, ...)
{
	char *line = fz.ring[fz.step % FZ_RING];
	size_t n = strlen(line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(fz.ring[0]) - n, fmt, ap);
	va_end(ap);
}

void fz_fail(const char *fmt, ...)
{
	uint64_t show = fz.verbose ? FZ_RING - 1 : FZ_SHOW - 1;
	uint64_t first = fz.step >= show ? fz.step - show : 0;
	uint64_t s;
	va_list ap;

	fz_quiet_begin();
	printf("# DIVERGENCE worker %u seed %" PRIu64 " step %" PRIu64 ": ",
	       fz.worker, fz.seed, fz.step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# last steps:\n");
	for (s = first; s <= fz.step; s++)
		printf("#   %s\n", fz.ring[s % FZ_RING]);
	printf("# digest at divergence %016" PRIx64 "\n", fz.digest);
	printf("# replay: make fuzz SEED=%" PRIu64 " ITERATIONS=%" PRIu64 " DURATION=%u%s%s%s\n",
	       fz.seed, fz.iterations, fz.duration, fz.pressure ? " PRESSURE=1" : "",
	       fz_exclude ? " FUZZ_EXCLUDE=" : "", fz_exclude ?: "");
	if (fz.stress)
		printf("#   (stress mode: the interleaving is not fixed)\n");
	fflush(stdout);
	fz_restore_env();
	exit(1);
}

/* ---- the loop -------------------------------------------------------------------- */

struct fz_entry {
	void (*fn)(void);
	unsigned int weight;
	const char *name;
};

/* Weights: cheap ioctls dominate, so a minute in TCG runs 100k steps. */
static const struct fz_entry fz_table[] = {
	{ op_create, 96, "op_create" }, { op_create_bad, 32, "op_create_bad" }, { op_close, 40, "op_close" }, { op_close_bad, 16, "op_close_bad" },
	{ op_mmap, 40, "op_mmap" }, { op_munmap, 8, "op_munmap" }, { op_touch, 160, "op_touch" }, { op_rw_write, 128, "op_rw_write" },
	{ op_rw_read, 128, "op_rw_read" }, { op_rw_bad, 64, "op_rw_bad" }, { op_rw_map, 32, "op_rw_map" }, { op_validate, 64, "op_validate" },
	{ op_madvise, 64, "op_madvise" }, { op_pin, 64, "op_pin" }, { op_busy, 40, "op_busy" }, { op_info, 128, "op_info" },
	{ op_bad_ioctl, 16, "op_bad_ioctl" }, { op_prime, 48, "op_prime" }, { op_prime_other_file, 12, "op_prime_other_file" },
	{ op_fork, 1, "op_fork" }, { op_debugfs, 4, "op_debugfs" }, { op_knob, 2, "op_knob" }, { op_fault, 4, "op_fault" },
	{ op_verify_all, 1, "op_verify_all" }, { op_fail_nth, 48, "op_fail_nth" }, { op_signal, 1, "op_signal" },
	{ op_mremap, 8, "op_mremap" }, { op_mprotect, 8, "op_mprotect" },
	{ op_threads, 4, "op_threads" },
};
#define FZ_NTABLE (sizeof(fz_table) / sizeof(fz_table[0]))

static double fz_op_time[64];
static uint64_t fz_op_count[64];

/* An op drawn alike among those not left out: what guided mutation inserts. */
unsigned int fz_any_op(void)
{
	unsigned int i;

	do
		i = rnd_main(FZ_NTABLE);
	while (fz_exclude && strstr(fz_exclude, fz_table[i].name + 3));
	return i;
}

/* A step drawn from the main stream: its op, by weight, and its choices' seed. */
void fz_fresh_step(unsigned int *op, uint64_t *sub)
{
	static unsigned int total;
	static unsigned int weight[FZ_NTABLE];
	unsigned int i, r;

	if (!total) {
		for (i = 0; i < FZ_NTABLE; i++) {
			bool out = fz_exclude && strstr(fz_exclude, fz_table[i].name + 3);

			weight[i] = out ? 0 : fz_table[i].weight;
			total += weight[i];
		}
	}
	r = rnd_main(total);
	*sub = rnd_main(0);
	for (i = 0; r >= weight[i]; i++)
		r -= weight[i];
	*op = i;
}

static void fz_step(void)
{
	static uint64_t found;
	double t;
	unsigned int i;

	if (fz.guided)
		fz_guided_next(found, &i, &fz.sub);
	else
		fz_fresh_step(&i, &fz.sub);

	fz.nth_now = fz.nth_next;
	fz.nth_next = false;
	if (fz.nth_now)
		fz_nth_write(fz.nth_val);
	t = bosh_now();
	fz_kcov_begin();
	fz_table[i].fn();
	found = fz_kcov_end();
	fz_op_time[i] += bosh_now() - t;
	fz_op_count[i]++;
	if (fz.nth_now) {
		fz_nth_done();
		fz.nth_now = false;
	}
	fz.ops++;
}

/* A cheap check after every fourth step: one page of one retained BO. */
static void fz_spot_check(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t p = rnd(FZ_MAXPAGES);

	if (!b || b->dead || (fz.step & 3))
		return;
	fz_verify_pages(b, p % b->npages, 1, "spot check");
}

static void fz_setup(void)
{
	unsigned int i;

	fz.fd = bosh_open(0);
	if (fz.fd < 0) {
		printf("# no bosh device\n");
		exit(4);
	}
	fz.fd2 = bosh_open(0);
	fz.fd_other = bosh_open(1);
	fz_faults_setup();
	for (i = 0; i < FZ_SLOTS; i++)
		fz.bo[i].dmabuf = -1;
	fz.max_bo_mb = bosh_sysfs_read(0, "max_bo_mb");
	fz.vram_pages = bosh_stat(0, "vram_pages_total");
	fz.max_pinned_mb = bosh_sysfs_read(0, "max_pinned_mb");
	fz.base_bytes = fz.stress ? 0 : bosh_stat(0, "pages_total") * BOSH_PAGE;
	fz.base_pinned = fz.stress ? 0 : bosh_stat(0, "pages_pinned");
	fz.base_bos = fz.stress ? 0 : bosh_stat(0, "bos");
	fz_signals_init();
}

static void fz_teardown(void)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used)
			fz_forget(&fz.bo[i]);
	close(fz.fd);
	if (fz.fd2 >= 0)
		close(fz.fd2);
	if (fz.fd_other >= 0)
		close(fz.fd_other);
}

static bool fz_counts_every_step;

/* One fuzzing process; fz.step is the number of steps run. */
static void fz_run(uint64_t seed)
{
	fz_counts_every_step = getenv("BOSH_FUZZ_COUNTS");
	double end = bosh_now() + fz.duration;
	int i;

	fz.rng = seed;
	fz.digest = 0xcbf29ce484222325ULL;
	fz_setup();
	if (fz.kcov && !fz_kcov_open())
		exit(4);
	for (fz.step = 0; fz.step < fz.iterations; fz.step++) {
		if (!(fz.step & 63) && fz.duration && bosh_now() > end)
			break;
		/* Edges over time: what a guided run gains, and when. */
		if (fz.kcov && fz.step && !(fz.step % 2000))
			fz_kcov_report(fz.guided ? "guided" : "blind", false);
		fz_step();
		fz_spot_check();
		/* To find the step that set a count wrong (slow). */
		if (fz_counts_every_step)
			fz_check_counts();
		/* -v: each step with its results, as it ended. */
		if (fz.verbose)
			printf("# [%u] %s\n", fz.worker, fz.ring[fz.step % FZ_RING]);
	}
	if (fz.kcov) {
		fz_kcov_report(fz.guided ? "guided" : "blind", true);
		fz_kcov_close();
	}
	/* Final word: injection off, every retained BO intact. */
	fz_log("final verify");
	if (fz.have_faults && !fz.stress)
		fz_faults_disarm();
	if (!fz.stress)
		for (i = 0; i < FZ_SLOTS; i++)
			if (fz.bo[i].used && !fz.bo[i].dead)
				fz_verify_pages(&fz.bo[i], 0, fz.bo[i].npages, "final");
	fz_teardown();
}

/* ---- real memory pressure (-P) ----------------------------------------- */

static pid_t fz_hog_pid = -1;
static long fz_scans0[2];
static const char *const fz_scan_keys[2] = { "scans_kswapd_total", "scans_direct_total" };

/*
 * A process beside the fuzzer that holds a BO of a quarter of the guest's
 * RAM on the fuzzer's device (so the device's shrinker count is large
 * enough for kswapd to call its scan, which meets the fuzzer's BOs on the
 * same LRU) and keeps taking what memory is available (anonymous memory,
 * written, then let go). It reads a chunk of its BO back after each round
 * (a restore under pressure) and checks it: exit 1 on a mismatch. It has
 * no make-it-fail and draws nothing: the sequence is the same without it.
 *
 * How far past MemAvailable a round reaches grows by FZ_HOG_STEP_MIB each
 * round until reclaim has called a scan: kswapd at its gentlest priority
 * asks a shrinker for freeable >> 12 objects per pass, deferred until a
 * batch is due, so a few mild rounds (TCG guests run few in 30 s) can end
 * with anonymous swap-out alone having met the watermarks.
 */
#define FZ_HOG_CHUNK	64
#define FZ_HOG_STEP_MIB	16

static long fz_reclaim_scans(void)
{
	return bosh_stat_all_devices(fz_scan_keys[0]) +
	       bosh_stat_all_devices(fz_scan_keys[1]);
}

static void fz_hog(int ready)
{
	static char buf[FZ_HOG_CHUNK * BOSH_PAGE];
	long total_mib = bosh_meminfo_kib("MemTotal") / 1024, over_mib = FZ_HOG_STEP_MIB;
	uint64_t npages = total_mib * 1024 / 4 / (BOSH_PAGE / 1024), i, n, r = 0;
	long scans0 = fz_reclaim_scans();
	uint32_t h;
	int fd = bosh_open(0);

	npages -= npages % FZ_HOG_CHUNK;
	if (fd < 0 || bosh_create(fd, npages * BOSH_PAGE, &h))
		_exit(3);
	for (i = 0; i < npages; i += FZ_HOG_CHUNK) {
		bosh_pattern_fill_at(buf, i, FZ_HOG_CHUNK, fz.seed, 0xb0b, 1);
		if (bosh_rw(fd, h, BOSH_RW_WRITE, i * BOSH_PAGE, sizeof(buf), buf))
			_exit(3);
	}
	if (write(ready, "r", 1) != 1)
		_exit(3);
	for (;;) {
		long avail = bosh_meminfo_kib("MemAvailable");
		/* Past what is available: reclaim must find the rest. */
		size_t len = ((avail > 0 ? avail / 1024 : 0) + over_mib) << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (fz_reclaim_scans() == scans0 && over_mib < total_mib / 2)
			over_mib += FZ_HOG_STEP_MIB;

		if (p != MAP_FAILED) {
			for (n = 0; n < len; n += BOSH_PAGE)
				p[n] = (char)n;
			munmap(p, len);
		}
		/* The fuzzer's fault points may fail the read: only content counts. */
		i = bosh_mix(++r) % (npages / FZ_HOG_CHUNK) * FZ_HOG_CHUNK;
		if (!bosh_rw(fd, h, BOSH_RW_READ, i * BOSH_PAGE, sizeof(buf), buf) &&
		    bosh_pattern_check_at(buf, i, FZ_HOG_CHUNK, fz.seed, 0xb0b, 1))
			_exit(1);
		usleep(100000);
	}
}

static void fz_pressure_start(void)
{
	int i, pfd[2];
	char c;

	for (i = 0; i < 2; i++)
		fz_scans0[i] = bosh_stat_all_devices(fz_scan_keys[i]);
	fflush(stdout);
	if (pipe(pfd))
		fz_fail("pipe: %s", strerror(errno));
	fz_hog_pid = fork();
	if (fz_hog_pid < 0)
		fz_fail("fork: %s", strerror(errno));
	if (!fz_hog_pid) {
		/* The OOM killer takes the hog first, never the fuzzer. */
		bosh_write_file("/proc/self/oom_score_adj", "1000");
		close(pfd[0]);
		fz_hog(pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		fz_fail("the memory hog did not start");
	close(pfd[0]);
}

/*
 * The scan must have been called by reclaim: kswapd or direct. A run too
 * short for the hog to get there keeps the hog going a while longer; the
 * wait is printed, so a run where reclaim met the fuzzer can be told from
 * one where it came after.
 */
#define FZ_PRESSURE_GRACE_S	180

static int fz_pressure_stop(void)
{
	long d[2];
	int i, st, waited = 0;
	pid_t gone = 0;

	while (fz_hog_pid > 0 && fz_reclaim_scans() == fz_scans0[0] + fz_scans0[1] &&
	       waited < FZ_PRESSURE_GRACE_S &&
	       !(gone = waitpid(fz_hog_pid, &st, WNOHANG))) {
		sleep(1);
		waited++;
	}
	if (waited)
		printf("# pressure: the hog ran %d s past the fuzzer before reclaim called the scan\n",
		       waited);
	if (fz_hog_pid > 0) {
		if (gone != fz_hog_pid) {
			kill(fz_hog_pid, SIGKILL);
			waitpid(fz_hog_pid, &st, 0);
		}
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
			printf("# pressure: the hog ended with status 0x%x%s\n", st,
			       WIFEXITED(st) && WEXITSTATUS(st) == 1 ?
			       " (its BO's content did not survive)" : "");
			return 1;
		}
	}
	for (i = 0; i < 2; i++)
		d[i] = bosh_stat_all_devices(fz_scan_keys[i]) - fz_scans0[i];
	printf("# pressure: scans by kswapd %ld, by direct reclaim %ld\n", d[0], d[1]);
	if (d[0] + d[1] > 0)
		return 0;
	printf("# pressure: reclaim never called the scan\n");
	return 1;
}

static void fz_print_errnos(void)
{
	int e;

	if (fz.verbose || getenv("BOSH_FUZZ_PROFILE"))
		for (e = 0; e < (int)FZ_NTABLE; e++)
			printf("# %-22s %6" PRIu64 " calls %7.3fs\n", fz_table[e].name,
			       fz_op_count[e], fz_op_time[e]);

	printf("# errnos seen:");
	for (e = 1; e < 140; e++)
		if (fz.errs[e])
			printf(" %s=%" PRIu64, strerrorname_np(e) ?: "?", fz.errs[e]);
	printf("\n");
}

static int fz_stress(void)
{
	uint64_t digest = 0xcbf29ce484222325ULL, steps = 0;
	int fails = 0;
	unsigned int w;
	int pfd[2];

	if (pipe(pfd))
		return 1;
	for (w = 0; w < fz.procs; w++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid) {
			uint64_t res[3];

			close(pfd[0]);
			fz.worker = w;
			fz.seed = bosh_mix(fz.seed + w + 1);
			res[0] = w;
			fz_run(fz.seed);
			res[1] = fz.step;
			res[2] = fz.digest;
			fz_print_errnos();
			if (write(pfd[1], res, sizeof(res)) != sizeof(res))
				_exit(3);
			_exit(0);
		}
	}
	close(pfd[1]);
	{
		uint64_t res[3], dig[64] = { 0 };

		while (read(pfd[0], res, sizeof(res)) == sizeof(res)) {
			steps += res[1];
			if (res[0] < 64)
				dig[res[0]] = res[2];
		}
		/* Combined in worker order, so it is independent of timing. */
		for (w = 0; w < fz.procs && w < 64; w++) {
			fz.digest = digest;
			fz_hash(dig[w]);
			digest = fz.digest;
		}
	}
	for (w = 0; w < fz.procs; w++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			fails++;
	}
	fz.digest = digest;
	fz.step = steps;
	return fails;
}

static void fz_usage(void)
{
	fprintf(stderr, "usage: bosh_fuzz [-s SEED] [-n ITERATIONS] [-d SECONDS] [-p PROCS] [-v]\n"
		"                 [-x OP,...] [-P] [-K | -G]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *env;
	double t0, dt;
	int opt, fails = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fz.iterations = 100000;
	fz.duration = 60;
	fz.procs = 1;
	env = getenv("SEED");
	fz.seed = env && *env ? strtoull(env, NULL, 0) : 0;
	fz_exclude = getenv("FUZZ_EXCLUDE");
	if (fz_exclude && !*fz_exclude)
		fz_exclude = NULL;
	while ((opt = getopt(argc, argv, "s:n:d:p:vx:PKG")) != -1) {
		switch (opt) {
		case 's': fz.seed = strtoull(optarg, NULL, 0); break;
		case 'n': fz.iterations = strtoull(optarg, NULL, 0); break;
		case 'd': fz.duration = strtoul(optarg, NULL, 0); break;
		case 'p': fz.procs = strtoul(optarg, NULL, 0); break;
		case 'v': fz.verbose = true; break;
		case 'x': fz_exclude = optarg; break;
		case 'P': fz.pressure = true; break;
		case 'K': fz.kcov = true; break;
		case 'G': fz.kcov = fz.guided = true; break;
		default: fz_usage();
		}
	}
	if (!fz.seed)
		fz.seed = ((uint64_t)time(NULL) << 20) ^ getpid();
	if (!fz.procs)
		fz.procs = 1;
	fz.stress = fz.procs > 1;
	fz.worker = ~0u;
	if ((fz.pressure || fz.kcov) && fz.stress) {
		fprintf(stderr, "bosh_fuzz: -P, -K and -G run with one process\n");
		return 2;
	}
	if (fz_exclude)
		printf("# excluded ops: %s\n", fz_exclude);
	printf("# bosh_fuzz seed %" PRIu64 " iterations %" PRIu64 " duration %us procs %u (%s)\n",
	       fz.seed, fz.iterations, fz.duration, fz.procs,
	       fz.stress ? "stress: the seed fixes each sequence, not the interleaving" :
	       fz.guided ? "guided by kcov: the seed does not fix the sequence" :
	       "deterministic");
	fz_read_knobs();
	fz_faults_probe();
	if (fz.pressure)
		fz_pressure_start();
	t0 = bosh_now();
	if (fz.stress) {
		fails = fz_stress();
		fz.worker = ~0u;
	} else {
		fz.worker = 0;
		fz_run(fz.seed);
		fz_print_errnos();
		fz_faults_report();
		fz.worker = ~0u;
	}
	dt = bosh_now() - t0;
	fz_restore_env();
	if (fz.pressure)
		fails += fz_pressure_stop();
	/* In stress mode the ioctls were counted in the workers. */
	printf("# %" PRIu64 " ops, %" PRIu64 " ioctls (parent view) in %.1fs: %.0f ops/s\n",
	       fz.stress ? fz.step : fz.ops, fz.ioctls, dt, (fz.stress ? fz.step : fz.ops) / dt);
	printf("fuzz: seed %" PRIu64 " iterations %" PRIu64 " steps %" PRIu64
	       " digest %016" PRIx64 " %s\n", fz.seed, fz.iterations,
	       fz.step, fz.digest, fails ? "FAILED" : "ok");
	return fails ? 1 : 0;
}
