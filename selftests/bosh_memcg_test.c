// SPDX-License-Identifier: GPL-2.0
/*
 * memcg: a BO's pages, and its store pages once backed up, are charged to
 * the memcg of the process that created it, whoever allocates them; the
 * shrinker is memcg-aware, so a cgroup at its limit, or asked through
 * memory.reclaim, gets bosh's scan for its own BOs only.
 *
 * Each test makes a cgroup v2 subtree bosh-memcg-<pid>/{a,b} with the
 * memory controller on, and runs clients there: forked processes that
 * join a cgroup, then create BOs on bosh.0, fill them with seeded
 * patterns, report what BO_INFO says of them, and check their content
 * when asked. A client's exit status says how it ended (EXIT_*), so an
 * OOM kill (SIGKILL) or an ENOMEM cannot pass for success.
 *
 * Run as root in a guest with swap (the debug section of make check).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "bosh_lib.h"
#include "kselftest_harness.h"

/* Under TCG, with KASAN, reading swap back is slow. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

#define CG_ROOT		"/sys/fs/cgroup"
#define MEMCG_PARAM	"/sys/module/bosh/parameters/memcg_reclaim"
#define MIB_PAGES	(1024 * 1024 / BOSH_PAGE)
/* A busy BO's fences: each this long, a new one every BUSY_RENEW_S. */
#define BUSY_US		(5 * 1000 * 1000)
#define BUSY_RENEW_S	2

/* A client's exit statuses. */
#define EXIT_OK		0
#define EXIT_SETUP	2
#define EXIT_BAD	3
#define EXIT_ENOMEM	4

/*
 * Pattern keys: each test runs in a process of its own, and its clients'
 * BOs get keys from disjoint ranges of the test's pid.
 */
#define KEY(client, i)	((uint32_t)getppid() << 12 ^ (uint32_t)((client) << 8 | (i)))

/* What a client reports of its BOs, through a pipe. */
struct client_report {
	long created;		/* BOs created and filled */
	long enomem;		/* BO calls that failed with ENOMEM */
	long resident;		/* pages, from BO_INFO */
	long backed_up;
	long in_ram;		/* of backed_up, pages still in RAM */
	long purged;		/* DONTNEED BOs found purged */
	long willneed_backed_up; /* pages of WILLNEED BOs in the store */
	long bad;		/* pages whose content did not match */
};

struct client {
	const char *cg;		/* cgroup directory to join */
	int id;			/* for the pattern keys */
	int nbos;		/* at most this many BOs */
	int bo_mib;		/* MiB each */
	int dontneed;		/* the first this many are DONTNEED once filled */
	int stop_at_enomem;	/* an ENOMEM ends the filling, reported */
	int busy;		/* the last this many stay busy until checked */
	uint64_t seed;
	pid_t pid;
	int cmd;		/* parent -> client */
	int rep;		/* client -> parent */
};

/* Reads a "key value" line of a cgroup file; -1 when missing. */
static long cg_keyed(const char *cg, const char *file, const char *key)
{
	char path[PATH_MAX], line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ' ')
			v = atol(line + len + 1);
	fclose(f);
	return v;
}

static long cg_read(const char *cg, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return bosh_read_long(path);
}

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return bosh_write_file(path, val);
}

static void report_bos(int fd, uint32_t *h, int n, int dontneed,
		       struct client_report *r)
{
	struct drm_bosh_bo_info info;
	int i;

	r->resident = r->backed_up = r->in_ram = r->purged = r->willneed_backed_up = 0;
	for (i = 0; i < n; i++) {
		if (bosh_info(fd, h[i], &info))
			continue;
		r->resident += info.resident;
		r->backed_up += info.backed_up;
		r->in_ram += info.backed_up_in_ram;
		if (i < dontneed && (info.flags & BOSH_BO_PURGED))
			r->purged++;
		if (i >= dontneed)
			r->willneed_backed_up += info.backed_up;
	}
}

struct busy_keeper {
	int fd;
	uint32_t *h;
	int first, n;
	volatile int stop;
};

/* Keeps BOs busy, as a GPU that keeps submitting to them, until stopped. */
static void *busy_keeper_main(void *arg)
{
	struct busy_keeper *k = arg;
	int i;

	while (!k->stop) {
		for (i = k->first; i < k->n; i++)
			if (bosh_busy(k->fd, k->h[i], BUSY_US))
				_exit(EXIT_SETUP);
		sleep(BUSY_RENEW_S);
	}
	return NULL;
}

/* The client process: never returns. */
static void client_main(struct client *c)
{
	uint64_t pages = (uint64_t)c->bo_mib * MIB_PAGES;
	struct busy_keeper keeper = { .stop = 0 };
	struct client_report r = { 0 };
	struct drm_bosh_bo_info info;
	pthread_t keeper_thread;
	uint32_t h[256];
	char cmd;
	int fd, i, n = 0, ret;

	if (cg_write(c->cg, "cgroup.procs", "0"))
		_exit(EXIT_SETUP);
	fd = bosh_open(0);
	if (fd < 0 || c->nbos > 256)
		_exit(EXIT_SETUP);
	for (i = 0; i < c->nbos; i++) {
		ret = bosh_create(fd, pages * BOSH_PAGE, &h[n]);
		if (!ret) {
			ret = bosh_fill_bo(fd, h[n], pages, c->seed, KEY(c->id, i), 0);
			if (ret)
				bosh_close_bo(fd, h[n]);
		}
		if (ret == -ENOMEM) {
			r.enomem++;
			if (c->stop_at_enomem)
				break;
			_exit(EXIT_ENOMEM);
		}
		if (ret)
			_exit(EXIT_SETUP);
		if (i < c->dontneed && bosh_madvise(fd, h[n], BOSH_MADV_DONTNEED, NULL))
			_exit(EXIT_SETUP);
		n++;
	}
	if (c->busy) {
		keeper = (struct busy_keeper){ .fd = fd, .h = h, .first = n - c->busy,
					       .n = n };
		if (keeper.first < 0 ||
		    pthread_create(&keeper_thread, NULL, busy_keeper_main, &keeper))
			_exit(EXIT_SETUP);
		/* Busy before the first report. */
		while (!keeper.stop && bosh_info(fd, h[n - 1], &info) == 0 &&
		       !(info.flags & BOSH_BO_BUSY))
			usleep(1000);
	}
	r.created = n;
	report_bos(fd, h, n, c->dontneed, &r);
	if (write(c->rep, &r, sizeof(r)) != sizeof(r))
		_exit(EXIT_SETUP);
	/*
	 * 'r': report again; 'c': check the WILLNEED BOs (restoring them),
	 * then report.
	 */
	while (read(c->cmd, &cmd, 1) == 1 && (cmd == 'r' || cmd == 'c')) {
		if (cmd == 'c' && c->busy && !keeper.stop) {
			keeper.stop = 1;
			pthread_join(keeper_thread, NULL);
		}
		for (i = c->dontneed; cmd == 'c' && i < n; i++) {
			void *buf = malloc(pages * BOSH_PAGE);

			if (!buf)
				_exit(EXIT_SETUP);
			ret = bosh_rw(fd, h[i], BOSH_RW_READ, 0, pages * BOSH_PAGE, buf);
			if (ret == -ENOMEM)
				_exit(EXIT_ENOMEM);
			if (ret)
				_exit(EXIT_SETUP);
			r.bad += bosh_pattern_check(buf, pages, c->seed, KEY(c->id, i), 0);
			free(buf);
		}
		report_bos(fd, h, n, c->dontneed, &r);
		if (write(c->rep, &r, sizeof(r)) != sizeof(r))
			_exit(EXIT_SETUP);
	}
	_exit(r.bad ? EXIT_BAD : EXIT_OK);
}

static int client_read(struct client *c, struct client_report *r)
{
	return read(c->rep, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

/*
 * A test that hangs shows where: past @secs, a watchdog prints the state
 * and kernel stack of every bosh_memcg_test process (the test and its
 * clients), then exits.
 */
static pid_t watchdog_start(unsigned int secs)
{
	char path[64], line[256];
	struct dirent *de;
	pid_t pid;
	DIR *d;

	fflush(stdout);
	pid = fork();
	if (pid)
		return pid;
	sleep(secs);
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		int p = atoi(de->d_name);
		FILE *f;

		if (p <= 0 || p == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", p);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f) || strncmp(line, "bosh_memcg_test", 15)) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/stat", p);
		f = fopen(path, "re");
		if (f && fgets(line, sizeof(line), f))
			fprintf(stderr, "# watchdog: %s", line);
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/stack", p);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			fprintf(stderr, "#   %s", line);
		if (f)
			fclose(f);
	}
	_exit(0);
}

/* Starts @c and waits for its first report. Returns 0 or -1. */
static int client_start(struct client *c, struct client_report *r)
{
	int cmd[2], rep[2];

	if (pipe(cmd) || pipe(rep))
		return -1;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (!c->pid) {
		int fd;

		/* Another client's pipe ends held here would hide its EOF. */
		for (fd = 3; fd < 1024; fd++)
			if (fd != cmd[0] && fd != rep[1])
				close(fd);
		c->cmd = cmd[0];
		c->rep = rep[1];
		client_main(c);
	}
	close(cmd[0]);
	close(rep[1]);
	c->cmd = cmd[1];
	c->rep = rep[0];
	return client_read(c, r);
}

/* Asks @c to report (@cmd 'r') or to check its content first ('c'). */
static int client_ask(struct client *c, char cmd, struct client_report *r)
{
	return write(c->cmd, &cmd, 1) == 1 ? client_read(c, r) : -1;
}

static int client_check(struct client *c, struct client_report *r)
{
	return client_ask(c, 'c', r);
}

/* Ends @c; returns its exit status, or 128 + signal. */
static int client_end(struct client *c)
{
	int st;

	if (c->pid <= 0)
		return -1;
	close(c->cmd);
	close(c->rep);
	if (waitpid(c->pid, &st, 0) != c->pid)
		return -1;
	c->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

FIXTURE(memcg) {
	char base[PATH_MAX];
	char a[PATH_MAX + 8];
	char b[PATH_MAX + 8];
	uint64_t seed;
	long writeback;
	struct client ca, cb;
	pid_t watchdog;
};

/* Each test runs for both backing models. */
BOSH_MODEL_VARIANTS(memcg);

/*
 * The memory.stat key a BO's pages are charged under: kernel memory for
 * the copy model's pages (__GFP_ACCOUNT), shmem for a shmem-native BO's.
 */
static const char *bo_pages_stat_key(void)
{
	return bosh_model_shmem() ? "shmem" : "kernel";
}

FIXTURE_SETUP(memcg)
{
	bosh_create_flags = variant->create_flags;
	if (access(CG_ROOT "/cgroup.subtree_control", W_OK))
		SKIP(return, "no cgroup v2 at " CG_ROOT);
	if (access(MEMCG_PARAM, W_OK))
		SKIP(return, "no bosh module parameter memcg_reclaim");
	self->seed = bosh_seed();
	snprintf(self->base, sizeof(self->base), CG_ROOT "/bosh-memcg-%d", getpid());
	snprintf(self->a, sizeof(self->a), "%s/a", self->base);
	snprintf(self->b, sizeof(self->b), "%s/b", self->base);
	ASSERT_EQ(0, cg_write(CG_ROOT, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(self->base, 0755));
	ASSERT_EQ(0, cg_write(self->base, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->b, 0755));
	ASSERT_EQ(0, bosh_write_file(MEMCG_PARAM, "Y"));
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "1"));
	self->writeback = bosh_sysfs_read(0, "writeback");
	/* Memcg reclaim frees store pages by swapping them out: at once here. */
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	self->watchdog = watchdog_start(TEST_TIMEOUT_DEFAULT / 2);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->watchdog > 0) {
		kill(self->watchdog, SIGKILL);
		waitpid(self->watchdog, NULL, 0);
	}
	if (self->ca.pid > 0) {
		kill(self->ca.pid, SIGKILL);
		client_end(&self->ca);
	}
	if (self->cb.pid > 0) {
		kill(self->cb.pid, SIGKILL);
		client_end(&self->cb);
	}
	bosh_write_file(MEMCG_PARAM, "Y");
	if (self->writeback >= 0) {
		char v[24];

		snprintf(v, sizeof(v), "%ld", self->writeback);
		bosh_sysfs_write(0, "writeback", v);
	}
	rmdir(self->a);
	rmdir(self->b);
	rmdir(self->base);
}

static void log_cg(struct __test_metadata *_metadata, const char *when,
		   const char *cg)
{
	TH_LOG("%s %s: memory.current %ld, kernel %ld, shmem %ld, swap.current %ld, oom_kill %ld",
	       when, strrchr(cg, '/') + 1, cg_read(cg, "memory.current"),
	       cg_keyed(cg, "memory.stat", "kernel"), cg_keyed(cg, "memory.stat", "shmem"),
	       cg_read(cg, "memory.swap.current"), cg_keyed(cg, "memory.events", "oom_kill"));
}

/*
 * Pages a client populates are charged to its cgroup, under the model's
 * memory.stat key (bo_pages_stat_key()), and uncharged when it closes
 * them.
 */
TEST_F(memcg, bo_pages_are_charged_to_the_creator)
{
	struct client_report r;
	long before = cg_read(self->a, "memory.current"), kernel, after;
	long key_before = cg_keyed(self->a, "memory.stat", bo_pages_stat_key());

	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 8, .bo_mib = 4,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &r));
	kernel = cg_keyed(self->a, "memory.stat", bo_pages_stat_key()) - key_before;
	TH_LOG("memory.stat %s grew by %ld", bo_pages_stat_key(), kernel);
	log_cg(_metadata, "filled", self->a);
	EXPECT_EQ(8, r.created);
	EXPECT_EQ(32 * MIB_PAGES, r.resident);
	/* 32 MiB of BO pages, beside which the client itself is small. */
	EXPECT_LE(before + (32L << 20), cg_read(self->a, "memory.current"));
	EXPECT_LE(32L << 20, kernel);
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
	after = cg_read(self->a, "memory.current");
	log_cg(_metadata, "closed", self->a);
	EXPECT_GT(before + (8L << 20), after);
}

/*
 * A client whose BOs are worth 2.5 times its cgroup's memory.max
 * completes: memcg reclaim scans its BOs (scans_memcg_total), backs them
 * up and the mm writes them to swap; no OOM kill, nothing lost. A
 * sibling's BOs, resident the whole time, are not touched.
 */
TEST_F(memcg, squeezed_client_completes_by_memcg_reclaim)
{
	long memcg_scans = bosh_stat(0, "scans_memcg_total");
	long backed = bosh_stat(0, "backed_up_total");
	struct client_report ra, rb;

	self->cb = (struct client){ .cg = self->b, .id = 2, .nbos = 4, .bo_mib = 2,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->cb, &rb));
	ASSERT_EQ(4, rb.created);
	ASSERT_EQ(0, cg_write(self->a, "memory.max", "16M"));
	log_cg(_metadata, "before", self->a);
	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 40, .bo_mib = 1,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &ra));
	log_cg(_metadata, "filled", self->a);
	TH_LOG("a: %ld BOs, %ld pages resident, %ld backed up; scans_memcg_total +%ld",
	       ra.created, ra.resident, ra.backed_up,
	       bosh_stat(0, "scans_memcg_total") - memcg_scans);
	EXPECT_EQ(40, ra.created);
	EXPECT_LT(0, ra.backed_up);
	EXPECT_LT(memcg_scans, bosh_stat(0, "scans_memcg_total"));
	EXPECT_LT(backed, bosh_stat(0, "backed_up_total"));
	/*
	 * Not memory.current <= memory.max, which the memcg enforces
	 * whatever bosh does: the pages a's BOs hold are charged to a
	 * (uncharged pages would let the client outgrow its limit).
	 */
	EXPECT_LE(ra.resident * BOSH_PAGE, cg_read(self->a, "memory.current"));

	/* b's BOs, before b's check would restore anything. */
	ASSERT_EQ(0, client_ask(&self->cb, 'r', &rb));
	EXPECT_EQ(0, rb.backed_up);
	EXPECT_EQ(4 * 2 * MIB_PAGES, rb.resident);
	ASSERT_EQ(0, client_check(&self->ca, &ra));
	EXPECT_EQ(0, ra.bad);
	ASSERT_EQ(0, client_check(&self->cb, &rb));
	EXPECT_EQ(0, rb.bad);
	log_cg(_metadata, "checked", self->a);
	EXPECT_EQ(0, cg_keyed(self->a, "memory.events", "oom_kill"));
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
	EXPECT_EQ(EXIT_OK, client_end(&self->cb));
}

/*
 * memory.reclaim on one cgroup makes bosh scan that memcg: its idle BOs
 * are backed up and its memory.current drops; a sibling's BOs are
 * untouched, though more is asked than the cgroup holds and half of the
 * cgroup's BOs are busy, so its count stays above 0 and the scan is
 * called for it until the reclaim gives up.
 */
TEST_F(memcg, memory_reclaim_scans_only_that_memcg)
{
	long memcg_scans = bosh_stat(0, "scans_memcg_total"), cur, ret;
	struct client_report ra, rb;

	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 8, .bo_mib = 2,
				    .busy = 4, .seed = self->seed };
	self->cb = (struct client){ .cg = self->b, .id = 2, .nbos = 8, .bo_mib = 2,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &ra));
	ASSERT_EQ(0, client_start(&self->cb, &rb));
	cur = cg_read(self->a, "memory.current");
	log_cg(_metadata, "before", self->a);
	ret = cg_write(self->a, "memory.reclaim", "64M");
	if (ret)
		TH_LOG("memory.reclaim: %s (reclaimed less than asked)", strerror(-ret));
	log_cg(_metadata, "after", self->a);
	EXPECT_LT(memcg_scans, bosh_stat(0, "scans_memcg_total"));
	EXPECT_GT(cur, cg_read(self->a, "memory.current"));

	ASSERT_EQ(0, client_ask(&self->ca, 'r', &ra));
	ASSERT_EQ(0, client_ask(&self->cb, 'r', &rb));
	TH_LOG("a: %ld pages backed up (its 4 idle BOs: %lu); b: %ld", ra.backed_up,
	       4 * 2 * MIB_PAGES, rb.backed_up);
	EXPECT_EQ(4 * 2 * MIB_PAGES, ra.backed_up);
	EXPECT_EQ(0, rb.backed_up);
	EXPECT_EQ(8 * 2 * MIB_PAGES, rb.resident);
	ASSERT_EQ(0, client_check(&self->cb, &rb));
	EXPECT_EQ(0, rb.bad);
	ASSERT_EQ(0, client_check(&self->ca, &ra));
	EXPECT_EQ(0, ra.bad);
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
	EXPECT_EQ(EXIT_OK, client_end(&self->cb));
}

/*
 * While shrinker_enabled is 0 the count says 0 for every memcg, not
 * SHRINK_EMPTY: the mm would clear the memcg's shrinker bit, which only
 * a new group sets again, and the memcg's reclaim would never reach its
 * BOs after the shrinker is enabled. A memory.reclaim of a while
 * disabled, then one after enabling, must scan a's BOs.
 */
TEST_F(memcg, disabled_shrinker_keeps_the_memcg_reachable)
{
	long memcg_scans;
	struct client_report ra;
	int ret;

	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 8, .bo_mib = 2,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &ra));
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "0"));
	cg_write(self->a, "memory.reclaim", "8M");
	ret = bosh_sysfs_write(0, "shrinker_enabled", "1");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, client_ask(&self->ca, 'r', &ra));
	EXPECT_EQ(0, ra.backed_up);
	memcg_scans = bosh_stat(0, "scans_memcg_total");
	cg_write(self->a, "memory.reclaim", "8M");
	ASSERT_EQ(0, client_ask(&self->ca, 'r', &ra));
	TH_LOG("after enabling: scans_memcg_total +%ld, %ld pages backed up",
	       bosh_stat(0, "scans_memcg_total") - memcg_scans, ra.backed_up);
	EXPECT_LT(memcg_scans, bosh_stat(0, "scans_memcg_total"));
	EXPECT_LT(0, ra.backed_up);
	ASSERT_EQ(0, client_check(&self->ca, &ra));
	EXPECT_EQ(0, ra.bad);
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
}

/*
 * With memory.swap.max 0 nothing of the cgroup's may go to swap: its
 * DONTNEED BOs are purged, its WILLNEED BOs are never backed up, and the
 * client gets ENOMEM from its own BO calls; nobody is OOM-killed.
 */
/*
 * A client squeezed at 16M with no swap allowed to @swap_cg (its own
 * cgroup or an ancestor): reclaim purges its DONTNEED BOs and backs up
 * nothing, and it gets ENOMEM, not the OOM killer.
 */
static void squeezed_without_swap(struct __test_metadata *_metadata,
				  FIXTURE_DATA(memcg) *self, const char *swap_cg)
{
	struct client_report r;
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/memory.swap.max", swap_cg);
	if (access(path, F_OK))
		SKIP(return, "no memory.swap.max (swap accounting off)");
	ASSERT_EQ(0, cg_write(self->a, "memory.max", "16M"));
	ASSERT_EQ(0, cg_write(swap_cg, "memory.swap.max", "0"));
	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 40, .bo_mib = 1,
				    .dontneed = 8, .stop_at_enomem = 1,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &r));
	log_cg(_metadata, "filled", self->a);
	TH_LOG("a: %ld BOs, ENOMEM %ld, DONTNEED purged %ld of 8, WILLNEED pages backed up %ld",
	       r.created, r.enomem, r.purged, r.willneed_backed_up);
	EXPECT_EQ(1, r.enomem);
	EXPECT_EQ(8, r.purged);
	EXPECT_EQ(0, r.willneed_backed_up);
	EXPECT_EQ(0, cg_keyed(self->a, "memory.events", "oom_kill"));
	ASSERT_EQ(0, client_check(&self->ca, &r));
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
	cg_write(swap_cg, "memory.swap.max", "max");
}

TEST_F(memcg, no_swap_allowed_purges_only)
{
	squeezed_without_swap(_metadata, self, self->a);
}

/* The limit of an ancestor binds as the cgroup's own does. */
TEST_F(memcg, ancestor_swap_max_honoured)
{
	squeezed_without_swap(_metadata, self, self->base);
}

/*
 * Negative control: with memcg_reclaim off, reclaim of the cgroup never
 * scans its BOs, and the squeezed client of the test above fails: ENOMEM
 * from its own BO calls (exit status EXIT_ENOMEM), or, when its own
 * anonymous memory is what meets the limit first, the cgroup's own OOM
 * killer (SIGKILL, counted in the cgroup's oom_kill). Either way that
 * test's success is bosh's doing.
 */
TEST_F(memcg, negative_control_without_memcg_reclaim)
{
	long memcg_scans = bosh_stat(0, "scans_memcg_total"), ooms;
	struct client_report r;
	int st;

	ASSERT_EQ(0, bosh_write_file(MEMCG_PARAM, "N"));
	ASSERT_EQ(0, cg_write(self->a, "memory.max", "16M"));
	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 40, .bo_mib = 1,
				    .seed = self->seed };
	/* The client dies before it reports. */
	EXPECT_NE(0, client_start(&self->ca, &r));
	st = client_end(&self->ca);
	ooms = cg_keyed(self->a, "memory.events", "oom_kill");
	log_cg(_metadata, "failed", self->a);
	TH_LOG("client exit status %d, oom_kill %ld", st, ooms);
	EXPECT_TRUE(st == EXIT_ENOMEM || (st == 128 + SIGKILL && ooms >= 1));
	EXPECT_EQ(memcg_scans, bosh_stat(0, "scans_memcg_total"));
}

/*
 * Backed-up pages stay charged to the BO's owner, whoever runs the
 * backup: a task of the sibling cgroup runs the scan (debugfs shrink, as
 * reclaim in its context). Copy model: the copies land in the owner's
 * shmem, not in the sibling's, and the BO pages' kernel charge goes.
 * Shmem-native: the pages were the owner's shmem already, and stay so.
 */
TEST_F(memcg, store_pages_charged_to_the_owner)
{
	long a_shmem, b_shmem, a_kernel;
	struct client_report r;
	pid_t pid;
	int st;

	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 8, .bo_mib = 2,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &r));
	a_shmem = cg_keyed(self->a, "memory.stat", "shmem");
	a_kernel = cg_keyed(self->a, "memory.stat", "kernel");
	b_shmem = cg_keyed(self->b, "memory.stat", "shmem");
	log_cg(_metadata, "filled", self->a);
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(cg_write(self->b, "cgroup.procs", "0") ||
		      bosh_debugfs_write(0, "shrink", "1000000") ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, st);
	log_cg(_metadata, "backed up by b", self->a);
	log_cg(_metadata, "backed up by b", self->b);
	ASSERT_EQ(0, client_ask(&self->ca, 'r', &r));
	EXPECT_EQ(8 * 2 * MIB_PAGES, r.backed_up);
	EXPECT_EQ(8 * 2 * MIB_PAGES, r.in_ram);
	if (bosh_model_shmem()) {
		EXPECT_LE(16L << 20, a_shmem);
		EXPECT_LE(a_shmem - (1L << 20), cg_keyed(self->a, "memory.stat", "shmem"));
	} else {
		EXPECT_LE(a_shmem + (15L << 20), cg_keyed(self->a, "memory.stat", "shmem"));
		EXPECT_GT(a_kernel - (15L << 20), cg_keyed(self->a, "memory.stat", "kernel"));
	}
	EXPECT_GT(b_shmem + (1L << 20), cg_keyed(self->b, "memory.stat", "shmem"));
	ASSERT_EQ(0, client_check(&self->ca, &r));
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
}

/*
 * The owner's cgroup is removed while its BOs live: the mm moves the
 * BOs' kernel memory charge and bosh's group to the parent, whose
 * reclaim then scans them; the content survives.
 */
TEST_F(memcg, removed_cgroup_bos_go_to_the_parent)
{
	long memcg_scans, base_before, base_after;
	struct client_report r;
	char pid[32];
	int i;

	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 8, .bo_mib = 2,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &r));
	/* The client leaves for b, so a can go. */
	snprintf(pid, sizeof(pid), "%d", self->ca.pid);
	ASSERT_EQ(0, cg_write(self->b, "cgroup.procs", pid));
	ASSERT_EQ(0, rmdir(self->a));
	base_before = cg_read(self->base, "memory.current");
	log_cg(_metadata, "a removed", self->base);
	memcg_scans = bosh_stat(0, "scans_memcg_total");
	cg_write(self->base, "memory.reclaim", "8M");
	base_after = cg_read(self->base, "memory.current");
	log_cg(_metadata, "parent reclaimed", self->base);
	EXPECT_LT(memcg_scans, bosh_stat(0, "scans_memcg_total"));
	EXPECT_GT(base_before, base_after);
	ASSERT_EQ(0, client_ask(&self->ca, 'r', &r));
	TH_LOG("a's BOs: %ld pages backed up through the parent", r.backed_up);
	EXPECT_LT(0, r.backed_up);
	ASSERT_EQ(0, client_check(&self->ca, &r));
	TH_LOG("after the check: %ld pages resident, %ld backed up", r.resident, r.backed_up);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(8 * 2 * MIB_PAGES, r.resident);
	EXPECT_LE(1, cg_keyed(self->base, "cgroup.stat", "nr_dying_descendants"));
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
	/*
	 * With its BOs closed, nothing of bosh holds a: it is freed (a
	 * leaked reference would keep it dying, invisible to kmemleak).
	 */
	for (i = 0; i < 300 && cg_keyed(self->base, "cgroup.stat", "nr_dying_descendants"); i++)
		usleep(100000);
	EXPECT_EQ(0, cg_keyed(self->base, "cgroup.stat", "nr_dying_descendants"))
		TH_LOG("a removed cgroup stays dying after its BOs are closed");
}

/* Attach 10 s fences to @h round-robin until one fails; returns its errno. */
static int busy_until_error(int fd, uint32_t *h, int nbos, long max, long *made)
{
	struct drm_bosh_bo_busy b = { .usecs = 10 * 1000 * 1000 };
	int ret = 0;

	for (*made = 0; *made < max && !ret; ) {
		b.handle = h[*made / BOSH_BUSY_MAX_FENCES % nbos];
		ret = bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_BUSY, &b);
		if (!ret)
			(*made)++;
	}
	return ret;
}

/*
 * What a client makes the kernel hold is charged to it: BO_BUSY fences
 * grow its cgroup's kernel memory; one file has at most
 * BOSH_BUSY_MAX_FILE_FENCES outstanding (EBUSY after); with its cgroup at
 * memory.max, BO_BUSY fails with ENOMEM and the client is not killed.
 */
TEST_F(memcg, busy_fences_charged_to_the_client)
{
	enum { NBOS = BOSH_BUSY_MAX_FILE_FENCES / BOSH_BUSY_MAX_FENCES };
	/*
	 * The client reports through memory the parent touched: at its
	 * limit, any allocation of its own (a pipe buffer, a struct file)
	 * would be charged and could meet the cgroup's OOM killer, which is
	 * not what this tests. The parent lifts the limit and ends it.
	 */
	struct fence_report {
		long made1, err1, kernel_delta, made2, err2;
		volatile int done;
	} *rep;
	long oom = cg_keyed(self->a, "memory.events", "oom_kill");
	int st, ms;
	pid_t pid;

	rep = mmap(NULL, BOSH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, 0, sizeof(*rep));
	ASSERT_EQ(0, cg_write(self->a, "memory.max", "64M"));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static uint32_t h1[NBOS + 1], h2[NBOS];
		long k0, cur;
		int fd1, fd2, i;
		char max[32];

		if (cg_write(self->a, "cgroup.procs", "0"))
			_exit(EXIT_SETUP);
		fd1 = bosh_open(0);
		fd2 = bosh_open(0);
		if (fd1 < 0 || fd2 < 0)
			_exit(EXIT_SETUP);
		for (i = 0; i < NBOS; i++)
			if (bosh_create(fd1, BOSH_PAGE, &h1[i]) ||
			    bosh_create(fd2, BOSH_PAGE, &h2[i]))
				_exit(EXIT_SETUP);
		/* The fence past the file's cap goes to a BO with none. */
		if (bosh_create(fd1, BOSH_PAGE, &h1[NBOS]))
			_exit(EXIT_SETUP);
		k0 = cg_keyed(self->a, "memory.stat", "kernel");
		/* One file: up to its cap, then EBUSY. */
		rep->err1 = busy_until_error(fd1, h1, NBOS + 1, BOSH_BUSY_MAX_FILE_FENCES + 1,
					     &rep->made1);
		rep->kernel_delta = cg_keyed(self->a, "memory.stat", "kernel") - k0;
		/*
		 * The cgroup at its limit (room for a few fences more: not
		 * below what it uses, which would OOM-kill it): the other file
		 * gets ENOMEM.
		 */
		cur = cg_read(self->a, "memory.current");
		snprintf(max, sizeof(max), "%ld", cur + (256L << 10));
		if (cg_write(self->a, "memory.max", max))
			_exit(EXIT_SETUP);
		rep->err2 = busy_until_error(fd2, h2, NBOS, BOSH_BUSY_MAX_FILE_FENCES,
					     &rep->made2);
		rep->done = 1;
		for (;;)
			pause();
	}
	for (ms = 0; ms < 120000 && !rep->done && !waitpid(pid, &st, WNOHANG); ms += 10)
		usleep(10000);
	EXPECT_TRUE(rep->done) TH_LOG("the client did not get through");
	cg_write(self->a, "memory.max", "max");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	TH_LOG("fences: %ld on file 1 (then %s), kernel memory +%ld bytes; %ld on file 2 at memory.max (then %s)",
	       rep->made1, strerror(-rep->err1), rep->kernel_delta, rep->made2,
	       strerror(-rep->err2));
	EXPECT_EQ(oom, cg_keyed(self->a, "memory.events", "oom_kill"));
	EXPECT_EQ(BOSH_BUSY_MAX_FILE_FENCES, rep->made1);
	EXPECT_EQ(-EBUSY, rep->err1);
	/* Each fence is well over 64 bytes. */
	EXPECT_LE(64L * BOSH_BUSY_MAX_FILE_FENCES, rep->kernel_delta);
	EXPECT_EQ(-ENOMEM, rep->err2);
	munmap(rep, BOSH_PAGE);
	/* The fences outlive the client: let them signal before the next test. */
	sleep(11);
}

/*
 * A BO belongs to its creator's cgroup whoever touches it: a child
 * moved to cgroup b restores the BO (through the inherited file) and
 * the restored pages are charged to a, not b. Sizes in bytes of
 * memory.stat's "kernel", where BO pages are charged.
 */
TEST_F(memcg, restore_by_another_cgroup_charged_to_the_owner)
{
	const uint64_t n = 8 * MIB_PAGES;
	long got[4] = { 0 };
	int st, pfd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint32_t h, key = KEY(3, 0);
		int fd, cst;
		pid_t child;

		if (cg_write(self->a, "cgroup.procs", "0"))
			_exit(EXIT_SETUP);
		fd = bosh_open(0);
		if (fd < 0 || bosh_create(fd, n * BOSH_PAGE, &h) ||
		    bosh_fill_bo(fd, h, n, self->seed, key, 0) ||
		    bosh_debugfs_write(0, "evict", "1"))
			_exit(EXIT_SETUP);
		/*
		 * Unpinned shmem-native pages are still charged to a: only a
		 * swap-in charges anew, so they go to swap first.
		 */
		if (bosh_model_shmem())
			cg_write(self->a, "memory.reclaim", "16M");
		got[0] = cg_keyed(self->a, "memory.stat", bo_pages_stat_key());
		got[1] = cg_keyed(self->b, "memory.stat", bo_pages_stat_key());
		child = fork();
		if (child < 0)
			_exit(EXIT_SETUP);
		if (!child)
			_exit(cg_write(self->b, "cgroup.procs", "0") ||
			      bosh_validate(fd, h) ? EXIT_SETUP : EXIT_OK);
		if (waitpid(child, &cst, 0) != child || !WIFEXITED(cst) ||
		    WEXITSTATUS(cst) != EXIT_OK)
			_exit(EXIT_SETUP);
		got[2] = cg_keyed(self->a, "memory.stat", bo_pages_stat_key()) - got[0];
		got[3] = cg_keyed(self->b, "memory.stat", bo_pages_stat_key()) - got[1];
		if (write(pfd[1], got, sizeof(got)) != sizeof(got))
			_exit(EXIT_SETUP);
		_exit(bosh_check_bo(fd, h, n, self->seed, key, 0) ? EXIT_BAD : EXIT_OK);
	}
	close(pfd[1]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("client killed by signal %d", WTERMSIG(st));
	ASSERT_EQ(sizeof(got), read(pfd[0], got, sizeof(got)));
	close(pfd[0]);
	TH_LOG("restore by b: a's %s memory %+ld, b's %+ld bytes (BO of %llu MiB)",
	       bo_pages_stat_key(), got[2], got[3], (unsigned long long)(n / MIB_PAGES));
	EXPECT_EQ(EXIT_OK, WEXITSTATUS(st)) TH_LOG("seed %llu", (unsigned long long)self->seed);
	EXPECT_LE((long)(n * BOSH_PAGE) * 7 / 8, got[2]);
	EXPECT_GT((long)(n * BOSH_PAGE) / 8, got[3]);
}

/*
 * Writeback that the owner's memcg refuses swap for: shmem gets no swap
 * slot, re-dirties the store page and hands it back locked
 * (AOP_WRITEPAGE_ACTIVATE); bosh unlocks it, the copy stays in RAM and
 * the BO reads back whole.
 */
TEST_F(memcg, writeback_refused_by_the_owners_swap_max)
{
	const uint64_t n = 4 * MIB_PAGES;
	long written = bosh_stat(0, "written_back_total");
	struct client_report r;
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/memory.swap.max", self->a);
	if (access(path, F_OK))
		SKIP(return, "no memory.swap.max (swap accounting off)");
	ASSERT_EQ(0, cg_write(self->a, "memory.swap.max", "64K"));
	self->ca = (struct client){ .cg = self->a, .id = 4, .nbos = 1, .bo_mib = 4,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &r));
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "1"));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
	written = bosh_stat(0, "written_back_total") - written;
	TH_LOG("%ld of %llu pages went to swap under a 64K swap.max", written,
	       (unsigned long long)n);
	EXPECT_GT((long)n / 2, written);
	EXPECT_LE((long)n - written, bosh_backup_unwritten(0));
	ASSERT_EQ(0, client_check(&self->ca, &r));
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ((long)n, r.resident);
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
	cg_write(self->a, "memory.swap.max", "max");
}

/*
 * Who decides: with bosh's shrinker off, memory.reclaim of the owner's
 * cgroup still takes a shmem-native BO's unpinned pages to swap by
 * itself, as it would any shmem; a copy-model BO's pages are kernel
 * memory that only bosh's shrinker can copy out, so the same reclaim
 * leaves them resident (the control). Then the content reads back.
 */
TEST_F(memcg, memory_reclaim_alone_takes_only_unpinned_shmem_pages)
{
	const long pages = 4 * 2 * MIB_PAGES;
	long swap_before, swap_after, enabled = bosh_sysfs_read(0, "shrinker_enabled");
	long kernel_before;
	struct client_report r;

	ASSERT_LE(0, enabled);
	ASSERT_EQ(0, bosh_sysfs_write(0, "writeback", "0"));
	self->ca = (struct client){ .cg = self->a, .id = 1, .nbos = 4, .bo_mib = 2,
				    .seed = self->seed };
	ASSERT_EQ(0, client_start(&self->ca, &r));
	ASSERT_EQ(pages, r.resident);
	if (bosh_model_shmem()) {
		/* Unpinned, left in RAM: the mm's to take or leave. */
		ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));
		ASSERT_EQ(0, client_ask(&self->ca, 'r', &r));
		ASSERT_EQ(pages, r.backed_up);
		ASSERT_EQ(pages, r.in_ram);
	}
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", "0"));
	swap_before = cg_read(self->a, "memory.swap.current");
	kernel_before = cg_keyed(self->a, "memory.stat", "kernel");
	log_cg(_metadata, "before memory.reclaim", self->a);
	cg_write(self->a, "memory.reclaim", "32M");
	swap_after = cg_read(self->a, "memory.swap.current");
	log_cg(_metadata, "after memory.reclaim", self->a);
	ASSERT_EQ(0, client_ask(&self->ca, 'r', &r));
	TH_LOG("resident %ld, backed up %ld, in RAM %ld; swap.current %ld -> %ld",
	       r.resident, r.backed_up, r.in_ram, swap_before, swap_after);
	if (bosh_model_shmem()) {
		/* At least 3/4 of the BOs went to swap, with no shrinker. */
		EXPECT_GE(pages / 4, r.in_ram);
		EXPECT_LE(swap_before + pages * 3 / 4 * BOSH_PAGE, swap_after);
	} else {
		/*
		 * The BO pages stay, charged as kernel memory; what went to
		 * swap is the client's own memory, well under half the BOs.
		 */
		EXPECT_EQ(pages, r.resident);
		EXPECT_LE(kernel_before - (1L << 20), cg_keyed(self->a, "memory.stat", "kernel"));
		EXPECT_GT(swap_before + pages / 2 * BOSH_PAGE, swap_after);
	}
	ASSERT_EQ(0, bosh_sysfs_write(0, "shrinker_enabled", enabled ? "1" : "0"));
	ASSERT_EQ(0, client_check(&self->ca, &r));
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(EXIT_OK, client_end(&self->ca));
}

TEST_HARNESS_MAIN
