// SPDX-License-Identifier: GPL-2.0
/*
 * One client's workload under memory pressure: see bosh_workload.h.
 */
#include <setjmp.h>
#include <signal.h>

#include "bosh_lib.h"
#include "bosh_workload.h"

uint64_t workload_rnd(uint64_t *s)
{
	*s = bosh_mix(*s);
	return *s;
}

/*
 * Retry a call that may fail by injection, interruption or reclaim
 * falling behind, at most RETRY_MAX times, counting each failure.
 */
static int retry(struct workload *w, int ret, int (*fn)(struct workload *, uint32_t),
		 uint32_t i)
{
	int tries = 0;

	while ((ret == -EIO || ret == -ENOMEM || ret == -EINTR) && w->retry_eio &&
	       tries++ < RETRY_MAX) {
		if (ret == -ENOMEM) {
			w->n.enomem++;
			usleep(10000);	/* let reclaim catch up */
		} else if (ret == -EINTR) {
			w->n.eintr++;
		} else {
			w->n.eio++;
		}
		ret = fn(w, i);
	}
	return ret;
}

int workload_fault_point(int dev, const char *point, const char *knob, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.%d/%s/%s", dev, point, knob);
	return bosh_write_file(path, val);
}

/* Faults @point of bosh.@dev fired since it was armed with FAULT_TIMES. */
long workload_fault_fired(int dev, const char *point)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.%d/%s/times", dev, point);
	return FAULT_TIMES - bosh_read_long(path);
}

/*
 * BOs of bosh.@dev once every client closed: a reclaim pass may hold the
 * last reference for a moment, so wait up to 10 s for it.
 */
long workload_bos_after_close(int dev)
{
	long bos = bosh_stat(dev, "bos");
	int i;

	for (i = 0; i < 100 && bos > 0; i++) {
		usleep(100000);
		bos = bosh_stat(dev, "bos");
	}
	return bos;
}

/* Faults that can make a mapping's access SIGBUS, fired so far. */
static long sigbus_faults_fired(int dev)
{
	return workload_fault_fired(dev, "fail_alloc") + workload_fault_fired(dev, "fail_restore");
}

static int do_validate(struct workload *w, uint32_t i)
{
	return bosh_ioctl_once(w->fd, DRM_IOCTL_BOSH_BO_VALIDATE,
			       &(struct drm_bosh_bo_validate){ .handle = w->bo[i].handle });
}

static int do_check(struct workload *w, uint32_t i)
{
	static __thread char *buf;
	int ret;

	if (!buf)
		buf = malloc(BO_PAGES * BOSH_PAGE);
	ret = bosh_ioctl_once(w->fd, DRM_IOCTL_BOSH_BO_RW, &(struct drm_bosh_bo_rw){
		.handle = w->bo[i].handle, .op = BOSH_RW_READ,
		.size = BO_PAGES * BOSH_PAGE, .data = (uintptr_t)buf });
	if (ret)
		return ret;
	if (bosh_pattern_check(buf, BO_PAGES, w->seed, i, w->bo[i].gen))
		w->n.bad++;
	else
		w->n.pages_verified += BO_PAGES;
	return 0;
}

static int do_write(struct workload *w, uint32_t i)
{
	static __thread char *buf;

	if (!buf)
		buf = malloc(BO_PAGES * BOSH_PAGE);
	bosh_pattern_fill(buf, BO_PAGES, w->seed, i, w->bo[i].gen);
	return bosh_ioctl_once(w->fd, DRM_IOCTL_BOSH_BO_RW, &(struct drm_bosh_bo_rw){
		.handle = w->bo[i].handle, .op = BOSH_RW_WRITE,
		.size = BO_PAGES * BOSH_PAGE, .data = (uintptr_t)buf });
}

/* Both backing models on every device: every odd BO is shmem-native. */
static uint32_t bo_model_flags(uint32_t i)
{
	return i % 2 ? BOSH_BO_CREATE_SHMEM : 0;
}

static int do_create(struct workload *w, uint32_t i)
{
	struct drm_bosh_bo_create c = {
		.size = BO_PAGES * BOSH_PAGE, .flags = bo_model_flags(i),
	};
	int ret = bosh_ioctl(w->fd, DRM_IOCTL_BOSH_BO_CREATE, &c);

	w->bo[i].handle = c.handle;
	return ret;
}

/* BO_INFO names the model the BO was created with. */
static int bo_model_ok(struct workload *w, uint32_t i)
{
	struct drm_bosh_bo_info info;

	if (bosh_info(w->fd, w->bo[i].handle, &info))
		return 0;
	return !!(info.flags & BOSH_BO_SHMEM) == !!bo_model_flags(i);
}

static __thread sigjmp_buf sigbus_jmp;
static __thread volatile int sigbus_armed;

static void on_sigbus(int sig)
{
	if (sigbus_armed)
		siglongjmp(sigbus_jmp, 1);
	abort();
}

/* A SIGBUS of do_mmap_check() returns -EFAULT from it; any other aborts. */
void workload_sigbus_handler(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus, .sa_flags = SA_NODEFER };

	sigaction(SIGBUS, &sa, NULL);
}

/* Map BO @i once: the mapping is kept until the final check. */
static int map_bo(struct workload *w, uint32_t i)
{
	struct bo_model *b = &w->bo[i];

	if (b->map)
		return 0;
	b->map = bosh_mmap(w->fd, b->handle, BO_PAGES * BOSH_PAGE, MAP_SHARED);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return -errno;
	}
	return 0;
}

/* Check a few pages through the mapping; faults restore them. */
static int do_mmap_check(struct workload *w, uint32_t i, uint64_t *s)
{
	struct bo_model *b = &w->bo[i];
	volatile uint64_t p = 0;
	int k, ret;

	ret = map_bo(w, i);
	if (ret)
		return ret;
	sigbus_armed = 1;
	if (sigsetjmp(sigbus_jmp, 1)) {
		sigbus_armed = 0;
		w->sigbus_page = p;
		return -EFAULT;		/* SIGBUS: purged, or an injected failure */
	}
	for (k = 0; k < 8; k++) {
		p = workload_rnd(s) % BO_PAGES;
		if (bosh_pattern_check_at(b->map + p * BOSH_PAGE, p, 1, w->seed, i, b->gen))
			w->n.bad++;
		else
			w->n.pages_verified++;
	}
	sigbus_armed = 0;
	return 0;
}

/*
 * Read page @p of BO @i through its mapping again after an excused
 * SIGBUS: the fault that failed must not have cost the page. Another
 * SIGBUS is excused only if a fault fired on the device meanwhile.
 */
static int reread_page(struct workload *w, uint32_t i, uint64_t p)
{
	struct bo_model *b = &w->bo[i];
	volatile int tries = 0;
	volatile long injected = sigbus_faults_fired(w->dev);

	sigbus_armed = 1;
	if (sigsetjmp(sigbus_jmp, 1)) {
		if (sigbus_faults_fired(w->dev) == injected || ++tries > RETRY_MAX) {
			sigbus_armed = 0;
			return -EFAULT;
		}
		injected = sigbus_faults_fired(w->dev);
	}
	if (bosh_pattern_check_at(b->map + p * BOSH_PAGE, p, 1, w->seed, i, b->gen)) {
		w->n.bad++;
	} else {
		w->n.pages_verified++;
		w->n.sigbus_reread++;
	}
	sigbus_armed = 0;
	return 0;
}

/*
 * Rewrite BO @i whole through its mapping, with a new generation. A
 * SIGBUS part way (an injected fault) leaves pages of both generations:
 * the whole write is made again, so the BO ends in the new one.
 */
static int do_mmap_write(struct workload *w, uint32_t i)
{
	struct bo_model *b = &w->bo[i];
	volatile int tries = 0;
	volatile long injected;
	int ret;

	if (b->dontneed)
		return 0;
	ret = map_bo(w, i);
	if (ret)
		return ret;
	b->gen++;
	injected = sigbus_faults_fired(w->dev);
	sigbus_armed = 1;
	if (sigsetjmp(sigbus_jmp, 1)) {
		if (!w->retry_eio || sigbus_faults_fired(w->dev) == injected ||
		    ++tries > RETRY_MAX) {
			sigbus_armed = 0;
			return -EFAULT;
		}
		w->n.sigbus_injected++;
		injected = sigbus_faults_fired(w->dev);
	}
	bosh_pattern_fill(b->map, BO_PAGES, w->seed, i, b->gen);
	sigbus_armed = 0;
	w->n.mmap_writes++;
	return 0;
}

/*
 * DONTNEED -> WILLNEED under pressure: a DONTNEED BO is madvised
 * WILLNEED again; a WILLNEED one goes DONTNEED and at once WILLNEED
 * again (reclaim purges DONTNEED BOs first, so a longer window would
 * rarely leave one to read). Either way, if it was retained, every page
 * must read back as it was; if not, it is purged, its content gone, and
 * is treated as the DONTNEED BOs are from then on.
 */
static int do_madvise_flip(struct workload *w, uint32_t i)
{
	struct bo_model *b = &w->bo[i];
	uint64_t before;
	uint32_t r;
	int ret;

	if (w->all_willneed)
		return 0;
	if (!b->dontneed) {
		ret = bosh_madvise(w->fd, b->handle, BOSH_MADV_DONTNEED, NULL);
		if (ret)
			return ret;
		b->dontneed = 1;
	}
	ret = bosh_madvise(w->fd, b->handle, BOSH_MADV_WILLNEED, &r);
	if (ret || !r)
		return ret;
	b->dontneed = 0;
	before = w->n.pages_verified;
	ret = retry(w, do_check(w, i), do_check, i);
	if (!ret && w->n.pages_verified == before + BO_PAGES)
		w->n.willneed_read++;
	return ret;
}

static int bo_purged(struct workload *w, uint32_t i)
{
	struct drm_bosh_bo_info info;

	return !bosh_info(w->fd, w->bo[i].handle, &info) && (info.flags & BOSH_BO_PURGED);
}

/* A call on a DONTNEED BO may find it purged: that is the contract. */
static int handle_result(struct workload *w, uint32_t i, int ret)
{
	if (!ret)
		return 0;
	if (w->bo[i].dontneed && bo_purged(w, i)) {
		w->n.purged_seen++;
		return 0;
	}
	printf("# bo %u op failed: %d (%s)\n", i, ret, strerror(-ret));
	return ret;
}

/* Progress under TCG can be slow: show it, with what the shrinker did. */
static void progress(struct workload *w, const char *what, uint32_t i, time_t start)
{
	printf("# bosh.%d %s %u/%u after %lds: backed_up_total %ld restored_total %ld "
	       "written_back_total %ld backup_errors_total %ld restore_errors_total %ld "
	       "restore_interrupted_total %ld scans_total %ld purged_total %ld\n",
	       w->dev, what, i, w->nbos, (long)(time(NULL) - start),
	       bosh_stat(w->dev, "backed_up_total"), bosh_stat(w->dev, "restored_total"),
	       bosh_stat(w->dev, "written_back_total"),
	       bosh_stat(w->dev, "backup_errors_total"),
	       bosh_stat(w->dev, "restore_errors_total"),
	       bosh_stat(w->dev, "restore_interrupted_total"), bosh_stat(w->dev, "scans_total"),
	       bosh_stat(w->dev, "purged_total"));
	fflush(stdout);
}

/**
 * workload_setup() - create and fill the worker's BOs
 * @w: the workload, its device, fd, seed and retry policy set
 * @bytes: how much BO memory to make, in 2 MiB BOs
 *
 * Every 8th BO is madvised DONTNEED and may be purged from then on,
 * unless @w->all_willneed.
 *
 * Return: 0 or the negative errno of the call that failed.
 */
int workload_setup(struct workload *w, uint64_t bytes)
{
	time_t start = time(NULL);
	uint32_t i;
	int ret;

	w->nbos = bytes / (BO_PAGES * BOSH_PAGE);
	if (w->nbos > MAX_BOS)
		w->nbos = MAX_BOS;
	w->n.nbos = w->nbos;
	printf("# %u BOs of %lu MiB (%lu MiB) on bosh.%d\n", w->nbos,
	       BO_PAGES * BOSH_PAGE >> 20, (w->nbos * BO_PAGES * BOSH_PAGE) >> 20, w->dev);
	for (i = 0; i < w->nbos; i++) {
		if (i && !(i % 16))
			progress(w, "filled", i, start);
		ret = retry(w, do_create(w, i), do_create, i);
		if (ret)
			return ret;
		ret = retry(w, do_write(w, i), do_write, i);
		if (ret)
			return ret;
		if (i % 8 == 7 && !w->all_willneed) {
			w->bo[i].dontneed = 1;
			ret = bosh_madvise(w->fd, w->bo[i].handle, BOSH_MADV_DONTNEED, NULL);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* From BO @i on, the first one not DONTNEED, or @i if all are. */
static uint32_t first_willneed(struct workload *w, uint32_t i)
{
	uint32_t k;

	for (k = 0; k < w->nbos; k++)
		if (!w->bo[(i + k) % w->nbos].dontneed)
			return (i + k) % w->nbos;
	return i;
}

/* The kinds of call of the random phase, random_op()'s cases. */
#define OP_KINDS	6
#define OP_MMAP_WRITE	3
#define OP_MADVISE_FLIP	4
_Static_assert(MIN_RANDOM_OPS >= OP_KINDS, "the floor must cover one call of each kind");

/* One call of kind @kind of the random phase on BO @i. */
static int random_op(struct workload *w, uint32_t i, unsigned int kind, uint64_t *s)
{
	long injected;
	int ret;

	switch (kind) {
	case 0:
		return retry(w, do_validate(w, i), do_validate, i);
	case 1:
		return retry(w, do_check(w, i), do_check, i);
	case 2:
		injected = w->retry_eio ? sigbus_faults_fired(w->dev) : 0;
		ret = do_mmap_check(w, i, s);
		/*
		 * A SIGBUS on a live BO is allowed only where a restore or an
		 * allocation was made to fail meanwhile, and the page must
		 * then read back right.
		 */
		if (ret == -EFAULT && !(w->bo[i].dontneed && bo_purged(w, i)) &&
		    w->retry_eio && sigbus_faults_fired(w->dev) > injected) {
			w->n.sigbus_injected++;
			ret = reread_page(w, i, w->sigbus_page);
		}
		return ret;
	case OP_MMAP_WRITE:
		return do_mmap_write(w, i);
	case OP_MADVISE_FLIP:
		return do_madvise_flip(w, i);
	default:
		if (w->bo[i].dontneed)
			return 0;
		w->bo[i].gen++;
		return retry(w, do_write(w, i), do_write, i);
	}
}

/**
 * workload_run() - the random phase, then every BO checked
 * @w: a workload after workload_setup()
 *
 * Random calls for @w->seconds; then every BO is read back whole and
 * checked, madvised WILLNEED, whose answer must agree with BO_INFO and
 * keep every BO that was never DONTNEED, and closed.
 *
 * Return: 0, -EBADMSG when a page was wrong, or the errno of a call
 * that failed.
 */
int workload_run(struct workload *w)
{
	uint64_t s = w->seed ^ 0x5eed;
	time_t end = time(NULL) + w->seconds;
	uint32_t i;
	int ret;

	while (time(NULL) < end ||
	       (w->n.ops < MIN_RANDOM_OPS && time(NULL) < end + 19 * (time_t)w->seconds)) {
		unsigned int kind;

		i = workload_rnd(&s) % w->nbos;
		/*
		 * Every kind once first, so that each worker's floor of calls
		 * covers them all: a mapped rewrite and a flip on a BO still
		 * WILLNEED, where both do their work.
		 */
		if (w->n.ops < OP_KINDS) {
			kind = w->n.ops;
			if (kind == OP_MMAP_WRITE || kind == OP_MADVISE_FLIP)
				i = first_willneed(w, i);
		} else {
			kind = workload_rnd(&s) % OP_KINDS;
		}
		ret = random_op(w, i, kind, &s);
		if (handle_result(w, i, ret))
			return ret;
		w->n.ops++;
	}
	progress(w, "random phase over", w->nbos, end - w->seconds);
	w->n.random_pages = w->n.pages_verified;
	/*
	 * The final check keeps the random phase's retry policy: where no
	 * fault is armed, an ENOMEM, EIO or EINTR of a restore fails it.
	 */
	if (w->checking)
		*w->checking = 1;
	/* What the final check's restores can bring back from swap. */
	w->n.swapped_at_check = bosh_stat(w->dev, "store_pages") -
				bosh_stat(w->dev, "store_unwritten");
	w->n.pswpin_check = -bosh_vmstat("pswpin");
	end = time(NULL);
	for (i = 0; i < w->nbos; i++) {
		uint64_t before = w->n.pages_verified;
		uint32_t r;

		if (i && !(i % 16))
			progress(w, "checked", i, end);
		ret = retry(w, do_check(w, i), do_check, i);
		if (handle_result(w, i, ret))
			return ret;
		ret = bosh_madvise(w->fd, w->bo[i].handle, BOSH_MADV_WILLNEED, &r);
		if (ret)
			return ret;
		if (!w->bo[i].dontneed && !r) {
			printf("# bo %u: WILLNEED BO reported purged\n", i);
			return -EINVAL;
		}
		if (r != !bo_purged(w, i)) {
			printf("# bo %u: retained %u disagrees with BO_INFO\n", i, r);
			return -EINVAL;
		}
		if (!bo_model_ok(w, i)) {
			printf("# bo %u: BO_INFO disagrees with its backing model\n", i);
			return -EINVAL;
		}
		w->n.retained += r;
		w->n.shmem_retained += r && bo_model_flags(i);
		if (r)
			w->n.final_pages += w->n.pages_verified - before;
		/*
		 * A checked BO is let go: the rest of the check then restores
		 * into memory it frees rather than backing up what it just read.
		 */
		if (w->bo[i].map)
			munmap(w->bo[i].map, BO_PAGES * BOSH_PAGE);
		w->bo[i].map = NULL;
		ret = bosh_close_bo(w->fd, w->bo[i].handle);
		if (ret)
			return ret;
	}
	w->n.pswpin_check += bosh_vmstat("pswpin");
	workload_report(w);
	return w->n.bad ? -EBADMSG : 0;
}

/* One line of what the worker did. */
void workload_report(const struct workload *w)
{
	const struct workload_counts *n = &w->n;

	printf("# bosh.%d: %llu ops, %u/%u BOs retained (%u shmem-native), %llu purged seen, %llu SIGBUS on injected faults (%llu pages read again), %llu pages verified (%llu in the random phase, %llu in the final check), %llu mmap rewrites, %llu WILLNEED read back, %llu bad pages, retried %llu ENOMEM %llu EINTR %llu EIO; swapped store pages %lld and pswpin +%lld over the check\n",
	       w->dev, (unsigned long long)n->ops, n->retained, n->nbos, n->shmem_retained,
	       (unsigned long long)n->purged_seen, (unsigned long long)n->sigbus_injected,
	       (unsigned long long)n->sigbus_reread,
	       (unsigned long long)n->pages_verified, (unsigned long long)n->random_pages,
	       (unsigned long long)n->final_pages, (unsigned long long)n->mmap_writes,
	       (unsigned long long)n->willneed_read, (unsigned long long)n->bad,
	       (unsigned long long)n->enomem, (unsigned long long)n->eintr,
	       (unsigned long long)n->eio, (long long)n->swapped_at_check,
	       (long long)n->pswpin_check);
	fflush(stdout);
}
