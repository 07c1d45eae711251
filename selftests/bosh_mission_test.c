// SPDX-License-Identifier: GPL-2.0
/*
 * The mission in one run: BOs worth twice the guest's RAM with seeded
 * content, of both backing models on each device (every odd BO of a
 * worker shmem-native, the others the copy model), writeback on, swap on a virtio disk, stress-ng memory
 * stressors beside them, all five fault points of both devices firing at
 * a low rate in the test's own tasks and in kswapd, a signal storm on the
 * restoring workers, two workers per device, and debugfs shrink, evict
 * and drop_caches from the side. The random phase validates, reads,
 * rewrites through BO_RW and through mappings (new generations), reads
 * through mappings, and turns DONTNEED BOs WILLNEED again, reading back
 * those retained; it makes at least MIN_RANDOM_OPS calls per worker.
 * Then it proves it had teeth: the shrinker was called by kswapd, by
 * direct reclaim, by debugfs and by drop_caches; on each device pages
 * were scanned by kswapd, backed up, purged and restored, and store pages
 * sat in swap as the final check began, with pswpin growing over it;
 * every fault point fired, one at least in kswapd's own context; real
 * signals (not the fault point) interrupted restores; each device's
 * workers saw EINTR, EIO and ENOMEM no more often than fail_restore_intr,
 * fail_restore and fail_alloc fired there (no other errno is retried),
 * and a SIGBUS only where a fault fired, the page then read back right.
 * And it shows what was kept: no page wrong, the final check read
 * exactly every page of every retained BO of either model, no OOM kill,
 * no BO left after the clients closed.
 * The run's lifecycle checks (gauges zero, unload, kmemleak) and vm-run's
 * splat scan follow it.
 *
 * Meant for the debug kernel in a small guest, e.g.
 *   scripts/vm-run --mem 256M --swap 2G --devices 2 -- ...
 * BOSH_PRESSURE_SECONDS bounds the random phase (default 30).
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "bosh_lib.h"
#include "bosh_workload.h"
#include "kselftest_harness.h"

#define DEVICES		2
#define WORKERS		4	/* two per device */
#define MAX_KSWAPD	8

static const char *const points[] = {
	"fail_alloc", "fail_backup", "fail_writeback", "fail_restore", "fail_restore_intr",
};
#define NPOINTS		(sizeof(points) / sizeof(points[0]))

/* Counters whose growth the run asserts, per device. */
static const char *const counters[] = {
	"scans_kswapd_total", "scans_direct_total", "scans_memcg_total",
	"scans_debugfs_total", "scans_shrinker_debug_total", "backed_up_total",
	"written_back_total", "restored_total", "purged_total", "backup_errors_total",
	"restore_errors_total", "restore_interrupted_total",
};
#define NCOUNTERS	(sizeof(counters) / sizeof(counters[0]))

static const char *const vm_events[] = { "oom_kill", "pswpout", "pswpin" };
#define NVM_EVENTS	(sizeof(vm_events) / sizeof(vm_events[0]))

/* What the workers tell the test, in memory shared across fork(). */
struct mission_results {
	struct workload_counts n[WORKERS];
	volatile int checking[WORKERS];
};

static unsigned int pressure_seconds(void)
{
	const char *s = getenv("BOSH_PRESSURE_SECONDS");

	return s && atoi(s) > 0 ? atoi(s) : 30;
}

/* The pids of the kswapd threads, one per node. */
static int kswapd_pids(pid_t *pids, int max)
{
	char path[PATH_MAX], comm[32];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "kswapd", 6))
			pids[n++] = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

static int make_it_fail(pid_t pid, int on)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", (int)pid);
	return bosh_write_file(path, on ? "1" : "0");
}

/*
 * Arms (or disarms) every fault point of every device: one call in
 * @interval draws, failing with 1% probability, only in tasks marked
 * make-it-fail.
 */
static int arm_faults(int on, const char *interval)
{
	char times[32];
	int dev, err = 0;
	unsigned int i;

	snprintf(times, sizeof(times), "%ld", on ? FAULT_TIMES : 1);
	for (dev = 0; dev < DEVICES; dev++) {
		for (i = 0; i < NPOINTS; i++) {
			err |= workload_fault_point(dev, points[i], "verbose", "0");
			err |= workload_fault_point(dev, points[i], "task-filter", on ? "Y" : "N");
			err |= workload_fault_point(dev, points[i], "interval", on ? interval : "1");
			err |= workload_fault_point(dev, points[i], "times", times);
			err |= workload_fault_point(dev, points[i], "probability", on ? "1" : "0");
		}
	}
	return err;
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

static pid_t start_stress_ng(uint64_t ram, unsigned int secs)
{
	char cmd[512];
	pid_t pid = fork();

	if (pid)
		return pid;
	/* stress-ng never calls bosh: faults stay with the test's tasks. */
	make_it_fail(getpid(), 0);
	/* Sized to fit beside the BOs' working set: they need not OOM. */
	snprintf(cmd, sizeof(cmd),
		 "exec nice -n 19 stress-ng --temp-path /tmp --vm 1 --vm-bytes %luM --vm-keep "
		 "--page-in -t %us --quiet",
		 (unsigned long)(ram >> 20) / 8, secs);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void on_usr1(int sig)
{
}

struct side_threads {
	volatile int stop;
	struct mission_results *res;
	pid_t workers[WORKERS];
	pid_t kswapd[MAX_KSWAPD];
	int nkswapd;
	long signals, shrinks, evicts, evict_errors, drops;
};

/*
 * SIGUSR1 to the workers, one every 5 ms in turn: each worker gets one
 * every 20 ms, several per restore of a BO in the debug guest.
 */
static void *signal_storm(void *arg)
{
	struct side_threads *st = arg;
	unsigned int k = 0;

	while (!st->stop) {
		if (st->workers[k % WORKERS] > 0 && !kill(st->workers[k % WORKERS], SIGUSR1))
			st->signals++;
		k++;
		usleep(5000);
	}
	return NULL;
}

static int all_checking(struct side_threads *st)
{
	int k;

	for (k = 0; k < WORKERS; k++)
		if (!st->res->checking[k])
			return 0;
	return 1;
}

/*
 * debugfs from the side, in turn on each device, until every worker is in
 * its final check (then they would only write out what was just checked):
 * a small shrink twice a second, an evict every 4 s, drop_caches every 8 s,
 * the first of each within 1.5 s (a run must see them).
 * This thread is make-it-fail too, so an evict may meet an injected
 * backup fault: it still backs up the other BOs and then reports the
 * fault's errno (EIO or ENOMEM). Any other errno counts as an error.
 */
static void *side_reclaim(void *arg)
{
	struct side_threads *st = arg;
	unsigned long k;

	for (k = 0; !st->stop; k++) {
		int dev = k % DEVICES;

		usleep(500000);
		if (all_checking(st))
			continue;
		if (!bosh_debugfs_write(dev, "shrink", "256"))
			st->shrinks++;
		if (k % 8 == 1) {
			/* k is odd here: the device alternates by k / 8 */
			int edev = (k / 8) % DEVICES;
			int err = bosh_debugfs_write(edev, "evict", "1");

			if (!err || err == -EIO || err == -ENOMEM) {
				st->evicts++;
			} else {
				st->evict_errors++;
				printf("# evict of bosh.%d: %s\n", edev, strerror(-err));
			}
		}
		if (k % 16 == 2 && !bosh_write_file("/proc/sys/vm/drop_caches", "2"))
			st->drops++;
	}
	return NULL;
}

/* Prints the kernel stacks of every thread of @pid. */
static void print_stacks(pid_t pid)
{
	char path[PATH_MAX], line[256];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, de->d_name);
		f = fopen(path, "re");
		if (f && fgets(line, sizeof(line), f))
			printf("# stalled: %s", line);
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)pid, de->d_name);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			printf("#   %s", line);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

/*
 * Under TCG a slow run and a stuck one look alike: a status line a
 * minute, and the stacks of the test's tasks and kswapd when nothing
 * moved for two.
 */
static void *watch(void *arg)
{
	struct side_threads *st = arg;
	long last = -1, now;
	int quiet = 0, k;

	while (!st->stop) {
		for (k = 0; k < 60 && !st->stop; k++)
			sleep(1);
		now = bosh_stat_all_devices("backed_up_total") +
		      bosh_stat_all_devices("restored_total") +
		      bosh_stat_all_devices("restore_errors_total") +
		      bosh_stat_all_devices("restore_interrupted_total");
		printf("# status: backed_up %ld restored %ld written_back %ld scans kswapd %ld direct %ld debugfs %ld, MemFree %ld kB, SwapFree %ld kB, pswpin %ld pswpout %ld\n",
		       bosh_stat_all_devices("backed_up_total"),
		       bosh_stat_all_devices("restored_total"),
		       bosh_stat_all_devices("written_back_total"),
		       bosh_stat_all_devices("scans_kswapd_total"),
		       bosh_stat_all_devices("scans_direct_total"),
		       bosh_stat_all_devices("scans_debugfs_total"),
		       bosh_meminfo_kib("MemFree"), bosh_meminfo_kib("SwapFree"),
		       bosh_vmstat("pswpin"), bosh_vmstat("pswpout"));
		quiet = now == last ? quiet + 1 : 0;
		last = now;
		if (quiet == 2) {
			print_stacks(getpid());
			for (k = 0; k < WORKERS; k++)
				if (st->workers[k] > 0)
					print_stacks(st->workers[k]);
			for (k = 0; k < st->nkswapd; k++)
				print_stacks(st->kswapd[k]);
		}
		fflush(stdout);
	}
	return NULL;
}

/* A worker: its own process, whose exit status shows an OOM kill. */
static pid_t start_worker(int k, uint64_t bytes, struct mission_results *res)
{
	pid_t pid = fork();
	struct workload *w;
	int ret;

	if (pid)
		return pid;
	w = calloc(1, sizeof(*w));
	if (!w)
		_exit(3);
	workload_sigbus_handler();
	bosh_write_file("/proc/self/oom_score_adj", "1000");
	w->dev = k % DEVICES;
	w->fd = bosh_open(w->dev);
	/* Workers on one device must not share keys: the pid keeps them apart. */
	w->seed = bosh_mix(bosh_seed() ^ (uint64_t)getpid() << 32 ^ w->dev);
	printf("# worker %d (pid %d) on bosh.%d: seed %llu\n", k, (int)getpid(), w->dev,
	       (unsigned long long)w->seed);
	w->seconds = pressure_seconds();
	w->retry_eio = 1;
	w->checking = &res->checking[k];
	if (w->fd < 0)
		_exit(3);
	ret = workload_setup(w, bytes);
	if (ret)
		printf("# worker %d: setup failed: %s\n", k, strerror(-ret));
	else
		ret = workload_run(w);
	res->n[k] = w->n;
	_exit(ret == -ENOMEM ? EXIT_ENOMEM : ret == -EBADMSG ? 1 : ret ? 2 : 0);
}

FIXTURE(mission) {
	pid_t kswapd[MAX_KSWAPD];
	int nkswapd;
	long knobs[DEVICES][3];
};

static const char *const knob_names[] = { "writeback", "swap_reserve_mb", "max_bo_mb" };

FIXTURE_SETUP(mission)
{
	int dev, i, fd;

	for (dev = 0; dev < DEVICES; dev++) {
		fd = bosh_open(dev);
		ASSERT_LE(0, fd) TH_LOG("the mission needs two devices (devices=2)");
		close(fd);
		for (i = 0; i < 3; i++)
			self->knobs[dev][i] = bosh_sysfs_read(dev, knob_names[i]);
	}
	self->nkswapd = kswapd_pids(self->kswapd, MAX_KSWAPD);
}

FIXTURE_TEARDOWN(mission)
{
	char v[32];
	int dev, i;

	arm_faults(0, "1");
	for (i = 0; i < self->nkswapd; i++)
		make_it_fail(self->kswapd[i], 0);
	for (dev = 0; dev < DEVICES; dev++) {
		for (i = 0; i < 3; i++) {
			snprintf(v, sizeof(v), "%ld", self->knobs[dev][i]);
			if (self->knobs[dev][i] >= 0)
				bosh_sysfs_write(dev, knob_names[i], v);
		}
	}
}

TEST_F_TIMEOUT(mission, reclaim_faults_signals_two_devices, 3000)
{
	long before[DEVICES][NCOUNTERS], grew[NCOUNTERS] = { 0 }, grew_dev[DEVICES][NCOUNTERS];
	struct workload_counts dsum[DEVICES] = { 0 };
	long kswapd_fires;
	long vm_before[NVM_EVENTS], vm_grew[NVM_EVENTS];
	long fired[NPOINTS] = { 0 }, fired_dev[DEVICES][NPOINTS];
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct side_threads side = { 0 };
	struct mission_results *res;
	struct workload_counts sum = { 0 };
	uint64_t ram = (uint64_t)bosh_meminfo_kib("MemTotal") << 10;
	uint64_t retained_pages = 0;
	pthread_t storm, reclaim, watcher;
	int dev, i, k, st, failed = 0, stress_alive;
	pid_t stress;
	char mb[32];

	if (access(BOSH_DEBUGFS "/bosh.0/fail_restore", F_OK))
		SKIP(return, "no fault injection in this kernel");
	if (system("command -v stress-ng >/dev/null 2>&1"))
		SKIP(return, "stress-ng not installed");
	for (i = 0; i < NVM_EVENTS; i++) {
		vm_before[i] = bosh_vmstat(vm_events[i]);
		ASSERT_LE(0, vm_before[i]) TH_LOG("/proc/vmstat has no %s", vm_events[i]);
	}
	ASSERT_LT(0, self->nkswapd);
	ASSERT_LT(0, (long)ram);
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	snprintf(mb, sizeof(mb), "%lu", (unsigned long)(4 * ram >> 20));
	for (dev = 0; dev < DEVICES; dev++) {
		ASSERT_EQ(0, bosh_sysfs_write(dev, "writeback", "1"));
		ASSERT_EQ(0, bosh_sysfs_write(dev, "swap_reserve_mb", "64"));
		ASSERT_EQ(0, bosh_sysfs_write(dev, "max_bo_mb", mb));
		for (i = 0; i < NCOUNTERS; i++) {
			before[dev][i] = bosh_stat(dev, counters[i]);
			ASSERT_LE(0, before[dev][i]) TH_LOG("stats has no %s", counters[i]);
		}
	}
	bosh_write_file("/proc/self/oom_score_adj", "-1000");
	TH_LOG("guest RAM %lu MiB, BOs %lu MiB in %d workers on %d devices, %u s random phase",
	       (unsigned long)(ram >> 20), (unsigned long)(2 * ram >> 20), WORKERS, DEVICES,
	       pressure_seconds());

	stress = start_stress_ng(ram, 3600);
	ASSERT_LT(0, stress);
	/* The fault points fire in this test's tasks and kswapd's only. */
	kswapd_fires = bosh_read_long(BOSH_DEBUGFS "/faults_in_kswapd");
	ASSERT_LE(0, kswapd_fires);
	ASSERT_EQ(0, arm_faults(1, "4"));
	ASSERT_EQ(0, make_it_fail(getpid(), 1));
	for (i = 0; i < self->nkswapd; i++)
		ASSERT_EQ(0, make_it_fail(self->kswapd[i], 1));
	/* The workers inherit the SA_RESTART handler the storm hits. */
	sigaction(SIGUSR1, &sa, NULL);
	side.res = res;
	for (k = 0; k < WORKERS; k++)
		side.workers[k] = start_worker(k, 2 * ram / WORKERS, res);
	pthread_create(&storm, NULL, signal_storm, &side);
	pthread_create(&reclaim, NULL, side_reclaim, &side);
	memcpy(side.kswapd, self->kswapd, sizeof(side.kswapd));
	side.nkswapd = self->nkswapd;
	pthread_create(&watcher, NULL, watch, &side);

	for (k = 0; k < WORKERS; k++) {
		ASSERT_EQ(side.workers[k], waitpid(side.workers[k], &st, 0));
		side.workers[k] = 0;
		if (WIFSIGNALED(st))
			TH_LOG("worker %d killed by signal %d", k, WTERMSIG(st));
		else if (WEXITSTATUS(st))
			TH_LOG("worker %d exit %d (%s)", k, WEXITSTATUS(st),
			       WEXITSTATUS(st) == EXIT_ENOMEM ? "ENOMEM past the retries" :
			       WEXITSTATUS(st) == 1 ? "content wrong" : "a call failed");
		failed += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	side.stop = 1;
	pthread_join(storm, NULL);
	pthread_join(reclaim, NULL);
	pthread_join(watcher, NULL);
	for (dev = 0; dev < DEVICES; dev++)
		for (i = 0; i < NPOINTS; i++) {
			fired_dev[dev][i] = workload_fault_fired(dev, points[i]);
			fired[i] += fired_dev[dev][i];
		}
	arm_faults(0, "1");
	for (i = 0; i < self->nkswapd; i++)
		make_it_fail(self->kswapd[i], 0);
	/*
	 * stress-ng must have run beside the whole load, and end only when
	 * stopped: by the SIGINT sent here, with its own exit 0 or by that
	 * signal itself (the guest's stress-ng 0.15 does either).
	 */
	stress_alive = waitpid(stress, &st, WNOHANG) == 0;
	EXPECT_TRUE(stress_alive) TH_LOG("stress-ng ended before the workers: %s",
					 WIFEXITED(st) ? stress_ng_status(WEXITSTATUS(st)) :
					 strsignal(WTERMSIG(st)));
	if (stress_alive) {
		kill(stress, SIGINT);
		ASSERT_EQ(stress, waitpid(stress, &st, 0));
		TH_LOG("stress-ng: %s", WIFEXITED(st) ? stress_ng_status(WEXITSTATUS(st)) :
		       strsignal(WTERMSIG(st)));
		EXPECT_TRUE((WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
			    (WIFSIGNALED(st) && WTERMSIG(st) == SIGINT));
	}

	kswapd_fires = bosh_read_long(BOSH_DEBUGFS "/faults_in_kswapd") - kswapd_fires;
	for (k = 0; k < WORKERS; k++) {
		struct workload_counts *n = &res->n[k], *d = &dsum[k % DEVICES];

		d->enomem += n->enomem;
		d->eintr += n->eintr;
		d->eio += n->eio;
		d->swapped_at_check = n->swapped_at_check > d->swapped_at_check ?
				      n->swapped_at_check : d->swapped_at_check;
		d->pswpin_check += n->pswpin_check;
		sum.random_pages += n->random_pages;
		sum.final_pages += n->final_pages;
		sum.mmap_writes += n->mmap_writes;
		sum.willneed_read += n->willneed_read;
		sum.sigbus_reread += n->sigbus_reread;
		/* A floor on the random phase's work, per worker. */
		EXPECT_LE(MIN_RANDOM_OPS, n->ops) TH_LOG("worker %d made %llu random calls", k,
							 (unsigned long long)n->ops);
		sum.ops += n->ops;
		sum.bad += n->bad;
		sum.pages_verified += n->pages_verified;
		sum.sigbus_injected += n->sigbus_injected;
		sum.enomem += n->enomem;
		sum.eintr += n->eintr;
		sum.eio += n->eio;
		sum.retained += n->retained;
		sum.shmem_retained += n->shmem_retained;
		sum.nbos += n->nbos;
		retained_pages += (uint64_t)n->retained * BO_PAGES;
	}
	for (dev = 0; dev < DEVICES; dev++) {
		EXPECT_EQ(0, workload_bos_after_close(dev));
		for (i = 0; i < NCOUNTERS; i++) {
			grew_dev[dev][i] = bosh_stat(dev, counters[i]) - before[dev][i];
			grew[i] += grew_dev[dev][i];
		}
	}
	for (i = 0; i < NVM_EVENTS; i++)
		vm_grew[i] = bosh_vmstat(vm_events[i]) - vm_before[i];

	TH_LOG("workers: %lu ops, %u of %u BOs retained (%u shmem-native), %lu bytes verified (%lu pages), %lu bad pages, %lu SIGBUS on injected faults",
	       (unsigned long)sum.ops, sum.retained, sum.nbos, sum.shmem_retained,
	       (unsigned long)sum.pages_verified * BOSH_PAGE, (unsigned long)sum.pages_verified,
	       (unsigned long)sum.bad, (unsigned long)sum.sigbus_injected);
	TH_LOG("random phase: %lu pages verified, %lu mmap rewrites, %lu WILLNEED read back; final check: %lu pages of %lu retained; %lu SIGBUS pages read again",
	       (unsigned long)sum.random_pages, (unsigned long)sum.mmap_writes,
	       (unsigned long)sum.willneed_read, (unsigned long)sum.final_pages,
	       (unsigned long)retained_pages, (unsigned long)sum.sigbus_reread);
	for (dev = 0; dev < DEVICES; dev++)
		TH_LOG("bosh.%d: retried %lu ENOMEM, %lu EINTR, %lu EIO; %ld store pages in swap as the check began, pswpin +%ld over it",
		       dev, (unsigned long)dsum[dev].enomem, (unsigned long)dsum[dev].eintr,
		       (unsigned long)dsum[dev].eio, (long)dsum[dev].swapped_at_check,
		       (long)dsum[dev].pswpin_check);
	for (i = 0; i < NCOUNTERS; i++)
		TH_LOG("%s +%ld (bosh.0 +%ld, bosh.1 +%ld)", counters[i], grew[i],
		       grew_dev[0][i], grew_dev[1][i]);
	TH_LOG("fault points fired in kswapd: %ld", kswapd_fires);
	for (i = 0; i < NPOINTS; i++)
		TH_LOG("%s fired %ld (bosh.0 %ld, bosh.1 %ld)", points[i], fired[i],
		       fired_dev[0][i], fired_dev[1][i]);
	for (i = 0; i < NVM_EVENTS; i++)
		TH_LOG("vmstat %s +%ld", vm_events[i], vm_grew[i]);
	TH_LOG("side: %ld signals, %ld shrinks, %ld evicts (%ld failed), %ld drop_caches",
	       side.signals, side.shrinks, side.evicts, side.evict_errors, side.drops);

	/* Nothing lost, nobody killed. */
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, sum.bad);
	EXPECT_EQ(WORKERS * (2 * ram / WORKERS / (BO_PAGES * BOSH_PAGE)), sum.nbos);
	/* The final check read every page of every retained BO, once. */
	EXPECT_EQ(retained_pages, sum.final_pages);
	/* The random phase worked, through mappings and madvise too. */
	EXPECT_LT(0, sum.random_pages);
	EXPECT_LT(0, sum.mmap_writes);
	EXPECT_LT(0, sum.willneed_read);
	/* Both backing models kept content through all of it. */
	EXPECT_LT(0, sum.shmem_retained);
	EXPECT_LT(sum.shmem_retained, sum.retained);
	EXPECT_EQ(0, vm_grew[0]);	/* oom_kill */
	/* Every caller of the scan, by bosh's own count. */
	EXPECT_LT(0, grew[0]);		/* kswapd */
	EXPECT_LT(0, grew[1]);		/* direct reclaim */
	EXPECT_LT(0, grew[3]);		/* debugfs shrink */
	EXPECT_LT(0, grew[4]);		/* drop_caches */
	/* Pages went out to swap and came back. */
	EXPECT_LT(0, grew[5]);		/* backed up */
	EXPECT_LT(0, grew[6]);		/* written back */
	EXPECT_LT(0, grew[7]);		/* restored */
	EXPECT_LT(0, grew[8]);		/* purged */
	EXPECT_LT(0, vm_grew[1]);	/* pswpout */
	EXPECT_LT(0, vm_grew[2]);	/* pswpin */
	/* Every fault point fired, and real signals interrupted restores. */
	for (i = 0; i < NPOINTS; i++) {
		EXPECT_LT(0, fired[i]) TH_LOG("%s never fired", points[i]);
	}
	EXPECT_LT(fired[4], grew[11]) TH_LOG("no restore was interrupted by a signal");
	/* At least one point fired in kswapd's own context. */
	EXPECT_LT(0, kswapd_fires);
	for (dev = 0; dev < DEVICES; dev++) {
		/* Each device, not only the sum, met reclaim, purge and restore. */
		EXPECT_LT(0, grew_dev[dev][0]) TH_LOG("bosh.%d: no kswapd scan", dev);
		EXPECT_LT(0, grew_dev[dev][5]) TH_LOG("bosh.%d: nothing backed up", dev);
		EXPECT_LT(0, grew_dev[dev][7]) TH_LOG("bosh.%d: nothing restored", dev);
		EXPECT_LT(0, grew_dev[dev][8]) TH_LOG("bosh.%d: nothing purged", dev);
		/* Pages in swap as the check began, read back from the device. */
		EXPECT_LT(0, dsum[dev].swapped_at_check);
		EXPECT_LT(0, dsum[dev].pswpin_check);
		/*
		 * No errno but the injected ones: EINTR only from
		 * fail_restore_intr (real signals restart, SA_RESTART),
		 * EIO only from fail_restore, ENOMEM only from fail_alloc
		 * (swap had room: admission refused nothing).
		 */
		EXPECT_GE(fired_dev[dev][4], (long)dsum[dev].eintr) TH_LOG("bosh.%d", dev);
		EXPECT_GE(fired_dev[dev][3], (long)dsum[dev].eio) TH_LOG("bosh.%d", dev);
		EXPECT_GE(fired_dev[dev][0], (long)dsum[dev].enomem) TH_LOG("bosh.%d", dev);
	}
	EXPECT_LT(0, sum.sigbus_injected + sum.eio);
	/* The side's debugfs triggers ran, and an evict failed only by injection. */
	EXPECT_LT(0, side.shrinks);
	EXPECT_LT(0, side.evicts);
	EXPECT_EQ(0, side.evict_errors);
	EXPECT_LT(0, side.signals);
}

TEST_HARNESS_MAIN
