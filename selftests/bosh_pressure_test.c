// SPDX-License-Identifier: GPL-2.0
/*
 * bosh under real memory pressure: BOs worth twice the guest's RAM,
 * touched in random order through mmap, BO_RW and BO_VALIDATE while the
 * mm reclaims, with stress-ng, injected faults and signals, and several
 * workers at once. Every retained BO's content is checked; each worker
 * runs in its own process whose exit status shows an OOM kill.
 *
 * Run in a small guest with swap on a disk, e.g.
 *   scripts/vm-run --mem 640M --swap 3G --devices 2 -- ...
 * BOSH_PRESSURE_SECONDS bounds each random phase (default 10). Only the
 * overcommit tests use twice the RAM: under TCG every byte costs several
 * emulated copies (reading 2 MiB back from swap takes about 2 s in a
 * KASAN guest), so the others use half the RAM beside what the kernel,
 * stress-ng and the other workers hold.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "bosh_lib.h"
#include "bosh_workload.h"
#include "kselftest_harness.h"

static uint64_t mem_total_kib(void)
{
	long kib = bosh_meminfo_kib("MemTotal");

	return kib > 0 ? kib : 0;
}

static unsigned int pressure_seconds(void)
{
	const char *s = getenv("BOSH_PRESSURE_SECONDS");

	return s && atoi(s) > 0 ? atoi(s) : 10;
}

/* The worker the signal storm aims at, while one runs. */
static volatile pid_t storm_target;
/* Workers make no DONTNEED BO: nothing purgeable hides admission's count. */
static int workers_all_willneed;

/* Runs the workload in a child: an OOM kill shows as SIGKILL. */
static int run_child(int dev, uint64_t bytes, unsigned int seconds, int faults,
		     int *killed)
{
	pid_t pid = fork();
	int status, ret;

	if (!pid) {
		struct workload *w = calloc(1, sizeof(*w));

		workload_sigbus_handler();
		bosh_write_file("/proc/self/oom_score_adj", "1000");
		w->dev = dev;
		w->fd = bosh_open(dev);
		/*
		 * Workers on one device must not share keys: a page of one
		 * could pass the other's check. The worker's pid keeps them apart.
		 */
		w->seed = bosh_mix(bosh_seed() ^ (uint64_t)getpid() << 32 ^ dev);
		printf("# worker %d on bosh.%d: seed %llu\n", (int)getpid(), dev,
		       (unsigned long long)w->seed);
		w->seconds = seconds;
		w->retry_eio = faults;
		w->all_willneed = workers_all_willneed;
		if (w->fd < 0)
			_exit(3);
		ret = workload_setup(w, bytes);
		if (ret) {
			printf("# setup failed: %s\n", strerror(-ret));
			_exit(ret == -ENOMEM ? EXIT_ENOMEM : 2);
		}
		ret = workload_run(w);
		_exit(ret == -ENOMEM ? EXIT_ENOMEM : ret ? 1 : 0);
	}
	storm_target = pid;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	storm_target = 0;
	*killed = WIFSIGNALED(status);
	if (*killed)
		printf("# worker killed by signal %d\n", WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

FIXTURE(pressure) {
	uint64_t ram;
	long max_bo_mb[2];
};

FIXTURE_SETUP(pressure)
{
	int fd = bosh_open(0);

	ASSERT_LE(0, fd);
	close(fd);
	bosh_write_file("/proc/self/oom_score_adj", "-1000");
	self->ram = mem_total_kib() << 10;
	ASSERT_LT(0, self->ram);
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "1"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", "64"));
	/* max_bo_mb defaults to half the RAM: the overcommit needs more. */
	for (int dev = 0; dev < 2; dev++) {
		char mb[32];

		self->max_bo_mb[dev] = bosh_sysfs_read(dev, "max_bo_mb");
		snprintf(mb, sizeof(mb), "%lu", (unsigned long)(4 * self->ram >> 20));
		if (self->max_bo_mb[dev] > 0)
			ASSERT_EQ(0, bosh_sysfs_write(dev, "max_bo_mb", mb));
	}
}

FIXTURE_TEARDOWN(pressure)
{
	for (int dev = 0; dev < 2; dev++) {
		char mb[32];

		snprintf(mb, sizeof(mb), "%ld", self->max_bo_mb[dev]);
		if (self->max_bo_mb[dev] > 0)
			bosh_sysfs_write(dev, "max_bo_mb", mb);
	}
	bosh_sysfs_write(0, "shrinker_enabled", "1");
	bosh_sysfs_write(0, "swap_reserve_mb", "128");
	bosh_sysfs_write(0, "writeback", "0");
}

/*
 * What a run on bosh.0 did, from deltas (earlier tests' counts do not
 * pass for this one's), and that bosh.1, which it never touched, was
 * left alone.
 */
struct dev_audit {
	long backed_up, restored, written, other_backed_up, other_restored;
};

static void audit_begin(struct dev_audit *a)
{
	a->backed_up = bosh_stat(0, "backed_up_total");
	a->restored = bosh_stat(0, "restored_total");
	a->written = bosh_stat(0, "written_back_total");
	a->other_backed_up = bosh_stat(1, "backed_up_total");
	a->other_restored = bosh_stat(1, "restored_total");
}

static void audit_end(struct __test_metadata *_metadata, struct dev_audit *a)
{
	a->backed_up = bosh_stat(0, "backed_up_total") - a->backed_up;
	a->restored = bosh_stat(0, "restored_total") - a->restored;
	a->written = bosh_stat(0, "written_back_total") - a->written;
	TH_LOG("bosh.0: backed up %ld, restored %ld, written back %ld",
	       a->backed_up, a->restored, a->written);
	if (bosh_stat(1, "bos") >= 0) {
		EXPECT_EQ(0, bosh_stat(1, "bos"));
		EXPECT_EQ(a->other_backed_up, bosh_stat(1, "backed_up_total"));
		EXPECT_EQ(a->other_restored, bosh_stat(1, "restored_total"));
	}
}

TEST_F_TIMEOUT(pressure, overcommit_twice_ram, 1200)
{
	struct dev_audit a;
	int killed = 0;

	audit_begin(&a);
	EXPECT_EQ(0, run_child(0, 2 * self->ram, pressure_seconds(), 0, &killed));
	EXPECT_EQ(0, killed);
	audit_end(_metadata, &a);
	EXPECT_LT(0, a.backed_up);
	EXPECT_LT(0, a.restored);
	EXPECT_EQ(0, workload_bos_after_close(0));
}

TEST_F_TIMEOUT(pressure, overcommit_with_writeback, 1200)
{
	struct dev_audit a;
	int killed = 0;

	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	audit_begin(&a);
	EXPECT_EQ(0, run_child(0, self->ram, pressure_seconds() / 2, 0, &killed));
	EXPECT_EQ(0, killed);
	audit_end(_metadata, &a);
	EXPECT_LT(0, a.written);
	EXPECT_LT(0, a.backed_up);
}

/*
 * Negative control: without the shrinker the same run cannot succeed,
 * and it fails the way the contract says: BO pages are allocated with
 * __GFP_RETRY_MAYFAIL, so the client gets ENOMEM from its own BO calls
 * (its own exit status), not an OOM kill.
 */
TEST_F_TIMEOUT(pressure, shrinker_disabled_overcommit_fails, 1200)
{
	int killed = 0, ret;

	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "0"));
	ret = run_child(0, 2 * self->ram, 1, 0, &killed);
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "1"));
	TH_LOG("without the shrinker: status %d, killed %d", ret, killed);
	EXPECT_EQ(EXIT_ENOMEM, ret);
	EXPECT_EQ(0, killed);
	EXPECT_EQ(0, workload_bos_after_close(0));
}

/* stress-ng exit codes: 0 ok; anything else is a failure, never a skip. */
static const char *stress_ng_status(int st)
{
	switch (st) {
	case 0: return "success";
	case 1: return "failure";
	case 2: return "a stressor failed";
	case 3: return "a stressor had no resources";
	case 4: return "a stressor was not implemented";
	case 5: return "killed by a signal";
	case 6: return "untrustworthy metrics";
	default: return "unknown";
	}
}

TEST_F_TIMEOUT(pressure, stress_ng_alongside, 1200)
{
	unsigned int secs = pressure_seconds();
	char cmd[512];
	int killed = 0, st;
	pid_t pid;

	if (system("command -v stress-ng >/dev/null 2>&1"))
		SKIP(return, "stress-ng not installed");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Sized to fit beside the BOs' working set: they need not OOM. */
		snprintf(cmd, sizeof(cmd),
			 "exec stress-ng --temp-path /tmp --vm 1 --vm-bytes %luM --vm-keep "
			 "--page-in --pageswap 1 --oomable -t %us --quiet",
			 (unsigned long)(self->ram >> 20) / 4, secs + 60);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	EXPECT_EQ(0, run_child(0, self->ram / 2, secs, 0, &killed));
	EXPECT_EQ(0, killed);
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	TH_LOG("stress-ng: %s", WIFEXITED(st) ? stress_ng_status(WEXITSTATUS(st)) : "signalled");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void faults_low(int on)
{
	static const char *const points[] = { "fail_backup", "fail_restore", "fail_alloc" };
	char times[32];
	unsigned int i;

	snprintf(times, sizeof(times), "%ld", on ? FAULT_TIMES : 1);
	for (i = 0; i < 3; i++) {
		workload_fault_point(0, points[i], "verbose", "0");
		workload_fault_point(0, points[i], "times", times);
		workload_fault_point(0, points[i], "probability", on ? "1" : "0");
	}
	/* Interrupted restores must come from the signal storm alone. */
	workload_fault_point(0, "fail_restore_intr", "probability", "0");
}

static volatile sig_atomic_t storm_stop;

static void *signal_storm(void *arg)
{
	while (!storm_stop) {
		if (storm_target > 0)
			kill(storm_target, SIGUSR1);
		usleep(2000);
	}
	return NULL;
}

static void on_usr1(int sig)
{
}

/*
 * Half the RAM leaves most BOs resident: a small shrink twice a second
 * (512 KiB, least recently used first) makes the worker restore, so the
 * restore faults and the storm meet restores. Small and bounded in time:
 * the KASAN guest restores a few hundred pages a second under the storm.
 */
static void *shrink_some_loop(void *arg)
{
	time_t end = time(NULL) + 2 * pressure_seconds();

	while (!storm_stop && time(NULL) < end) {
		bosh_debugfs_write(0, "shrink", "128");
		usleep(500000);
	}
	return NULL;
}

TEST_F_TIMEOUT(pressure, faults_and_signals_under_pressure, 1200)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	long backup_err = bosh_stat(0, "backup_errors_total");
	long restore_err = bosh_stat(0, "restore_errors_total");
	long intr = bosh_stat(0, "restore_interrupted_total");
	int killed = 0, ret;
	pthread_t t, e;

	if (access("/sys/kernel/debug/dri/bosh.0/fail_restore", F_OK))
		SKIP(return, "no fault injection in this kernel");
	sigaction(SIGUSR1, &sa, NULL);
	faults_low(1);
	/* The worker inherits the SA_RESTART handler; the storm targets it. */
	storm_stop = 0;
	pthread_create(&t, NULL, signal_storm, NULL);
	pthread_create(&e, NULL, shrink_some_loop, NULL);
	ret = run_child(0, self->ram / 2, pressure_seconds(), 1, &killed);
	storm_stop = 1;
	pthread_join(t, NULL);
	pthread_join(e, NULL);
	faults_low(0);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, killed);
	backup_err = bosh_stat(0, "backup_errors_total") - backup_err;
	restore_err = bosh_stat(0, "restore_errors_total") - restore_err;
	intr = bosh_stat(0, "restore_interrupted_total") - intr;
	TH_LOG("backup errors %ld, restore errors %ld, interrupted %ld",
	       backup_err, restore_err, intr);
	/* The injected faults met both paths, and the storm met restores. */
	EXPECT_LT(0, backup_err);
	EXPECT_LT(0, restore_err);
	EXPECT_LT(0, intr);
}

struct shrinker_loop {
	volatile int stop;
	int dev;
	long loops;
};

static void *shrink_loop(void *p)
{
	struct shrinker_loop *l = p;

	while (!l->stop) {
		bosh_debugfs_write(l->dev, "shrink", "4096");
		bosh_debugfs_write(l->dev, l->loops % 5 ? "purge" : "evict", "1");
		l->loops++;
	}
	return NULL;
}

TEST_F_TIMEOUT(pressure, concurrent_workers_two_devices, 1200)
{
	struct shrinker_loop l0 = { .dev = 0 }, l1 = { .dev = 1 };
	int ndev = bosh_open(1) >= 0 ? 2 : 1;
	int killed[4] = { 0 }, st[4], k, d;
	long backed[2], restored[2];
	pthread_t t0, t1;
	pid_t pid[4];

	/* make check's guests have two devices: both are audited. */
	ASSERT_EQ(2, ndev);
	for (d = 0; d < 2; d++) {
		backed[d] = bosh_stat(d, "backed_up_total");
		restored[d] = bosh_stat(d, "restored_total");
	}
	pthread_create(&t0, NULL, shrink_loop, &l0);
	if (ndev > 1)
		pthread_create(&t1, NULL, shrink_loop, &l1);
	for (k = 0; k < 4; k++) {
		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (!pid[k])
			_exit(run_child(k % ndev, self->ram / 8, pressure_seconds() / 2, 0,
					&killed[k]) || killed[k]);
	}
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &st[k], 0));
		EXPECT_TRUE(WIFEXITED(st[k]) && !WEXITSTATUS(st[k]))
			TH_LOG("worker %d status %#x", k, st[k]);
	}
	l0.stop = l1.stop = 1;
	pthread_join(t0, NULL);
	if (ndev > 1)
		pthread_join(t1, NULL);
	TH_LOG("%d devices, shrink loops %ld + %ld", ndev, l0.loops, l1.loops);
	EXPECT_LT(0, l0.loops);
	EXPECT_LT(0, l1.loops);
	for (d = 0; d < 2; d++) {
		backed[d] = bosh_stat(d, "backed_up_total") - backed[d];
		restored[d] = bosh_stat(d, "restored_total") - restored[d];
		TH_LOG("bosh.%d: backed up %ld, restored %ld", d, backed[d], restored[d]);
		EXPECT_LT(0, backed[d]);
		EXPECT_EQ(0, workload_bos_after_close(d));
	}
}

struct shrink_only_loop {
	volatile int stop;
	long loops;
};

static void *shrink_only(void *p)
{
	struct shrink_only_loop *l = p;

	while (!l->stop) {
		bosh_debugfs_write(0, "shrink", "1024");
		l->loops++;
		usleep(10000);
	}
	return NULL;
}

/*
 * The overcommit promise with nothing retried: two workers with BOs
 * worth twice the RAM between them, writeback off (the store's copies
 * stay in RAM until the mm swaps them), swap with room (1 GiB of it, the
 * rest held back by swap_reserve_mb), and a debugfs shrink loop beside
 * them; no BO is DONTNEED, so no purgeable pages
 * stand in for the memory admission must see. No call may fail: a restore gives its store
 * copy back, and copies the mm can swap count as memory to be had, so
 * admission must not refuse (a worker's ENOMEM is its exit status 4).
 */
TEST_F_TIMEOUT(pressure, overcommit_two_workers_no_enomem, 1200)
{
	struct shrink_only_loop l = { 0 };
	long swap_mb = bosh_meminfo_kib("SwapTotal") >> 10;
	struct dev_audit a;
	int killed[2] = { 0 }, st[2], k;
	char reserve[32];
	pthread_t t;
	pid_t pid[2];

	/*
	 * Swap room as with 1 GiB of swap, whatever the guest has: the scan
	 * stops backing up at the reserve, and the store's copies in RAM
	 * are what is left to be had.
	 */
	if (swap_mb > 1024) {
		snprintf(reserve, sizeof(reserve), "%ld", swap_mb - 1024 + 64);
		ASSERT_EQ(0, bosh_sysfs_write(0, "swap_reserve_mb", reserve));
	}
	workers_all_willneed = 1;
	audit_begin(&a);
	pthread_create(&t, NULL, shrink_only, &l);
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (!pid[k]) {
			int ret = run_child(0, self->ram, pressure_seconds(), 0, &killed[k]);

			_exit(killed[k] ? 100 : ret);
		}
	}
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &st[k], 0));
		EXPECT_TRUE(WIFEXITED(st[k]) && !WEXITSTATUS(st[k]))
			TH_LOG("worker %d status %#x (exit 4: ENOMEM, 100: killed)", k, st[k]);
	}
	l.stop = 1;
	pthread_join(t, NULL);
	audit_end(_metadata, &a);
	TH_LOG("shrink loops %ld", l.loops);
	EXPECT_LT(0, l.loops);
	EXPECT_LT(0, a.backed_up);
	EXPECT_LT(0, a.restored);
	EXPECT_EQ(0, workload_bos_after_close(0));
}

TEST_HARNESS_MAIN
