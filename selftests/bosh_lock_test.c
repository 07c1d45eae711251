// SPDX-License-Identifier: GPL-2.0
/*
 * Who waits for a BO's lock, and what they hold while they wait. A CPU
 * fault waits with mmap_lock dropped (and has the fault retried), so the
 * rest of the process can still mmap(); an ioctl waits outside DRM's
 * unplug section, so unbinding any bosh device does not wait for it.
 *
 * Both tests hold a BO's lock through the test hooks' test_hold_lock
 * (which lets go by itself after 10 s), start the waiter, then the call
 * that must not wait behind it. The call must return while the lock is
 * still held: with the waiter holding mmap_lock or the unplug SRCU, it
 * could not return before the hold ends, so the check does not depend
 * on how fast the guest runs, only on the call finishing within the 6 s
 * the hold still lasts.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "bosh_lib.h"
#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define HOLD_FILE	"/sys/kernel/debug/dri/bosh.0/test_hold_lock"
#define DRIVER_DIR	"/sys/bus/platform/drivers/bosh"
/* Well below the hook's own 10 s limit on a hold. */
#define WAIT_MS		6000

struct waiter {
	volatile char *map;	/* fault on this, or */
	int fd;			/* BO_VALIDATE this handle */
	uint32_t handle;
	uint64_t seed;
	uint32_t key;
	volatile pid_t tid;
	volatile int done;
	int result;
};

/* A thread's scheduler state letter from /proc, 0 if unknown. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Wait until the thread sleeps (in the lock wait), up to WAIT_MS. */
static int wait_sleeping(struct waiter *w)
{
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += 5) {
		if (w->tid && !w->done && thread_state(w->tid) == 'S')
			return 0;
		usleep(5000);
	}
	return -1;
}

/* Wait for *@flag, up to WAIT_MS; returns it. */
static int wait_flag(volatile int *flag)
{
	int ms;

	for (ms = 0; ms < WAIT_MS && !*flag; ms += 5)
		usleep(5000);
	return *flag;
}

static void *fault_thread(void *arg)
{
	struct waiter *w = arg;
	char want[BOSH_PAGE];

	w->tid = syscall(SYS_gettid);
	bosh_pattern_page(want, w->seed, w->key, 0, 1);
	w->result = memcmp((const void *)w->map, want, BOSH_PAGE) ? -EIO : 0;
	w->done = 1;
	return NULL;
}

struct mapper {
	volatile int done;
	void *p;
};

static void *mmap_thread(void *arg)
{
	struct mapper *m = arg;

	m->p = mmap(NULL, BOSH_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->done = 1;
	return NULL;
}

static long hold_bo(uint64_t npages)
{
	char id[32];
	long bo_id = bosh_object_id(0, npages * BOSH_PAGE);

	if (bo_id <= 0)
		return -1;
	snprintf(id, sizeof(id), "%ld", bo_id);
	return bosh_debugfs_write(0, "test_hold_lock", id) ? -1 : bo_id;
}

/* What race_held_lock() saw. */
struct race {
	int waited;		/* the waiter slept in the lock wait */
	int other_first;	/* the other call returned while the lock was held */
	int waiter_then;	/* the waiter had finished by then (it must not) */
};

/*
 * With the lock of the BO of @npages pages held, start @waiter_fn on @w
 * and wait until it sleeps, then start @other_fn on @other and give it
 * WAIT_MS to set *@other_done; then let the lock go and join both.
 * Returns 0, or -1 when the hold or a thread could not be had.
 */
static int race_held_lock(uint64_t npages, void *(*waiter_fn)(void *), struct waiter *w,
			  void *(*other_fn)(void *), void *other,
			  volatile int *other_done, struct race *r)
{
	pthread_t tw, to;
	int ret = 0;

	if (hold_bo(npages) < 0)
		return -1;
	if (pthread_create(&tw, NULL, waiter_fn, w)) {
		bosh_debugfs_write(0, "test_hold_lock", "0");
		return -1;
	}
	r->waited = !wait_sleeping(w);
	if (pthread_create(&to, NULL, other_fn, other))
		ret = -1;
	r->other_first = ret ? 0 : wait_flag(other_done);
	r->waiter_then = w->done;
	if (bosh_debugfs_write(0, "test_hold_lock", "0"))
		ret = -1;
	if (!ret)
		pthread_join(to, NULL);
	pthread_join(tw, NULL);
	return ret;
}

/*
 * Thread B faults on a BO whose lock is held; thread C's mmap() in the
 * same process returns before the lock is let go, and B then reads the
 * BO's content.
 */
TEST(fault_waits_for_the_lock_without_mmap_lock)
{
	const uint64_t n = 19;	/* a size no other BO here has */
	uint64_t seed = bosh_seed();
	struct waiter b = { .seed = seed, .key = bosh_key() };
	struct mapper c = { 0 };
	struct race r;
	uint32_t h;
	int fd;

	if (access(HOLD_FILE, W_OK))
		SKIP(return, "no test hooks in this module");
	fd = bosh_open(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bosh_create(fd, n * BOSH_PAGE, &h));
	ASSERT_EQ(0, bosh_fill_bo(fd, h, n, seed, b.key, 1));
	b.map = bosh_mmap(fd, h, n * BOSH_PAGE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b.map);

	ASSERT_EQ(0, race_held_lock(n, fault_thread, &b, mmap_thread, &c, &c.done, &r));
	EXPECT_TRUE(r.waited) TH_LOG("the fault never waited");
	EXPECT_TRUE(r.other_first) TH_LOG("mmap() waited for a fault that waited for the BO's lock");
	EXPECT_FALSE(r.waiter_then) TH_LOG("the fault did not wait for the held lock");
	EXPECT_NE(MAP_FAILED, c.p);
	EXPECT_EQ(0, b.result) TH_LOG("page 0 read wrong (seed %llu)", (unsigned long long)seed);
	munmap(c.p, BOSH_PAGE);
	munmap((void *)b.map, n * BOSH_PAGE);
	EXPECT_EQ(0, bosh_check_bo(fd, h, n, seed, b.key, 1))
		TH_LOG("seed %llu", (unsigned long long)seed);
	EXPECT_EQ(0, bosh_close_bo(fd, h));
	close(fd);
}

static void *validate_thread(void *arg)
{
	struct waiter *w = arg;

	w->tid = syscall(SYS_gettid);
	w->result = bosh_validate(w->fd, w->handle);
	w->done = 1;
	return NULL;
}

struct unbinder {
	volatile int done;
	int result;
};

static void *unbind_thread(void *arg)
{
	struct unbinder *u = arg;

	u->result = bosh_write_file(DRIVER_DIR "/unbind", "bosh.1");
	u->done = 1;
	return NULL;
}

/*
 * A BO_VALIDATE on bosh.0 waits for its BO's lock; unbinding bosh.1
 * (drm_dev_unplug() waits for every device's unplug sections) returns
 * before the lock is let go. bosh.1 is bound again afterwards.
 */
TEST(unplug_does_not_wait_for_a_lock_waiter)
{
	const uint64_t n = 23;
	uint64_t seed = bosh_seed();
	struct waiter a = { .seed = seed, .key = bosh_key() };
	struct unbinder u = { 0 };
	struct race r;
	int fd1;

	if (access(HOLD_FILE, W_OK))
		SKIP(return, "no test hooks in this module");
	fd1 = bosh_open(1);
	if (fd1 < 0)
		SKIP(return, "needs a second device (devices=2)");
	close(fd1);
	a.fd = bosh_open(0);
	ASSERT_LE(0, a.fd);
	ASSERT_EQ(0, bosh_create(a.fd, n * BOSH_PAGE, &a.handle));
	ASSERT_EQ(0, bosh_fill_bo(a.fd, a.handle, n, seed, a.key, 1));
	ASSERT_EQ(0, bosh_debugfs_write(0, "evict", "1"));

	ASSERT_EQ(0, race_held_lock(n, validate_thread, &a, unbind_thread, &u, &u.done, &r));
	EXPECT_EQ(0, bosh_write_file(DRIVER_DIR "/bind", "bosh.1"));
	EXPECT_TRUE(r.waited) TH_LOG("BO_VALIDATE never waited");
	EXPECT_TRUE(r.other_first) TH_LOG("unbind of bosh.1 waited for a BO_VALIDATE on bosh.0");
	EXPECT_FALSE(r.waiter_then) TH_LOG("BO_VALIDATE did not wait for the held lock");
	EXPECT_EQ(0, u.result);
	EXPECT_EQ(0, a.result);
	EXPECT_EQ(0, bosh_check_bo(a.fd, a.handle, n, seed, a.key, 1))
		TH_LOG("seed %llu", (unsigned long long)seed);
	EXPECT_EQ(0, bosh_close_bo(a.fd, a.handle));
	close(a.fd);
	fd1 = bosh_open(1);
	EXPECT_LE(0, fd1) TH_LOG("bosh.1 did not come back");
	if (fd1 >= 0)
		close(fd1);
}

TEST_HARNESS_MAIN
