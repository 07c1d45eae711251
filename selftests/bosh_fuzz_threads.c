// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_fuzz's threads on one fd: a GEM_CLOSE while another thread's CPU
 * fault restores the BO, a BO_RW while another thread closes its handle,
 * and pins racing unpins. The interleaving is not reproducible; the
 * choices are (drawn before the threads start), and so is what the model
 * holds afterwards whatever the interleaving was.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "bosh_fuzz.h"

#define FZ_RACE_MAX	4	/* pins (and unpins) per racing thread */

struct fz_thread {
	pthread_t tid;
	void *(*fn)(void *arg);
	struct fz_bo *b;
	unsigned int kind, n;
	uint64_t first, npages, delay_us;
	char *buf;
	int err[FZ_RACE_MAX];
	int sig;
};

/* Reads pages [first, first + npages) through the mapping. */
static void *fz_thread_touch(void *arg)
{
	struct fz_thread *t = arg;

	fz_jmp_armed = 1;
	t->sig = sigsetjmp(fz_jmp, 1);
	if (!t->sig)
		memcpy(t->buf, t->b->map + t->first * BOSH_PAGE, t->npages * BOSH_PAGE);
	fz_jmp_armed = 0;
	return NULL;
}

static void *fz_thread_rw(void *arg)
{
	struct fz_thread *t = arg;
	struct drm_bosh_bo_rw rw = {
		.handle = t->b->handle, .op = BOSH_RW_READ, .offset = t->first * BOSH_PAGE,
		.size = t->npages * BOSH_PAGE, .data = (uintptr_t)t->buf,
	};

	t->err[0] = ioctl(fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw) ? errno : 0;
	return NULL;
}

static void *fz_thread_close(void *arg)
{
	struct fz_thread *t = arg;
	struct drm_gem_close c = { .handle = t->b->handle };

	usleep(t->delay_us);
	t->err[0] = ioctl(fz.fd, DRM_IOCTL_GEM_CLOSE, &c) ? errno : 0;
	return NULL;
}

static void *fz_thread_pin(void *arg)
{
	struct fz_thread *t = arg;
	struct drm_bosh_bo_pin p = { .handle = t->b->handle, .op = t->kind };
	unsigned int i;

	for (i = 0; i < t->n; i++)
		t->err[i] = ioctl(fz.fd, DRM_IOCTL_BOSH_BO_PIN, &p) ? errno : 0;
	return NULL;
}

/* Take part in the core points' probability mode, as the fuzzer does. */
static void *fz_thread_main(void *arg)
{
	struct fz_thread *t = arg;
	int fd;

	if (fz.mif_fd >= 0) {
		fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				perror("make-it-fail");
			close(fd);
		}
	}
	return t->fn(t);
}

/* Created quiet: a failed clone tells nothing of bosh. */
static void fz_start(struct fz_thread *t, void *(*fn)(void *))
{
	int err;

	t->fn = fn;
	fz_quiet_begin();
	err = pthread_create(&t->tid, NULL, fz_thread_main, t);
	fz_quiet_end();
	if (err)
		fz_fail("pthread_create: %s", strerror(err));
}

static void fz_join(struct fz_thread *t)
{
	pthread_join(t->tid, NULL);
}

/*
 * Close the handle while another thread reads the BO, through its
 * mapping (the fault restores what evict backed up) or through BO_RW:
 * the reader gets the content, or (BO_RW) ENOENT if the close came
 * first; the close always succeeds.
 */
static void fz_race_close(struct fz_bo *b, bool by_map, uint64_t first, uint64_t npages,
			  uint64_t delay_us)
{
	struct fz_thread rd = { .b = b, .first = first, .npages = npages };
	struct fz_thread cl = { .b = b, .delay_us = delay_us };
	int err;

	err = fz_debugfs("evict", "1");
	if (err && !(fz_injecting() && fz_restore_errs(err)))
		fz_fail("evict: %s", strerror(err));
	rd.buf = fz_alloc(npages * BOSH_PAGE);
	fz_start(&rd, by_map ? fz_thread_touch : fz_thread_rw);
	fz_start(&cl, fz_thread_close);
	fz_join(&rd);
	fz_join(&cl);
	fz_log_more(" | close");
	fz_note_errno(OP_CLOSE, cl.err[0]);
	fz_expect("close beside a reader", cl.err[0], 0);
	if (by_map) {
		fz_log_more(" | fault %s", rd.sig ? strsignal(rd.sig) : "ok");
		if (rd.sig && (rd.sig != SIGBUS ||
			       (!b->maybe_purged && !b->dead && !fz_injecting())))
			fz_fail("%s reading a BO's mapping while its handle closes",
				strsignal(rd.sig));
		if (!rd.sig && b->dead)
			fz_fail("a purged BO's mapping read without SIGBUS");
		if (!rd.sig)
			fz_check_range(b, first * BOSH_PAGE, npages * BOSH_PAGE, rd.buf,
				       "mapping read while the handle closes");
	} else {
		fz_log_more(" | rw");
		fz_note_errno(OP_RW, rd.err[0]);
		if (rd.err[0] != ENOENT)
			fz_check_read(b, rd.err[0], first * BOSH_PAGE, npages * BOSH_PAGE,
				      rd.buf, "BO_RW while the handle closes");
	}
	free(rd.buf);
	fz_forget(b);
}

/*
 * @n pins in one thread against @n unpins in another. An unpin may find
 * the count at zero (EINVAL); a pin may meet the cap when the count was
 * at zero. The model's count is what succeeded, and INFO must agree.
 */
static void fz_race_pin(struct fz_bo *b, unsigned int n)
{
	struct fz_thread pin = { .b = b, .kind = BOSH_PIN, .n = n };
	struct fz_thread unpin = { .b = b, .kind = BOSH_UNPIN, .n = n };
	uint64_t cap = (uint64_t)fz.max_pinned_mb << 8;
	bool cap_hit = fz.base_pinned + fz_pinned_live() - (b->pins ? b->npages : 0) +
		       b->npages > cap;
	struct drm_bosh_bo_info info = { .handle = b->handle };
	long pins = b->pins;
	unsigned int i;
	int err;

	fz_start(&pin, fz_thread_pin);
	fz_start(&unpin, fz_thread_pin);
	fz_join(&pin);
	fz_join(&unpin);
	fz_log_more(" | pins");
	for (i = 0; i < n; i++) {
		err = pin.err[i];
		fz_note_errno(OP_PIN, err);
		if (!err) {
			if (b->dead)
				fz_fail("pin of a purged BO succeeded");
			pins++;
		} else if (err == ENOSPC) {
			if (!cap_hit && !fz.stress)
				fz_fail("racing pin refused with ENOSPC under max_pinned_mb %ld",
					fz.max_pinned_mb);
		} else if (err == ENODATA && (b->maybe_purged || b->dead)) {
			b->dead = true;
		} else if (!(fz_injecting() && fz_restore_errs(err))) {
			fz_fail("racing pin: %s", strerror(err));
		}
	}
	fz_log_more(" | unpins");
	for (i = 0; i < n; i++) {
		err = unpin.err[i];
		fz_note_errno(OP_PIN, err);
		if (!err)
			pins--;
		else if (err != EINVAL)
			fz_fail("racing unpin: %s", strerror(err));
	}
	if (pins < 0)
		fz_fail("more unpins succeeded than there were pins");
	if (!pins && b->pins && b->madv == BOSH_MADV_DONTNEED)
		b->maybe_purged = true;
	b->pins = pins;
	err = fz_ioctl(OP_INFO, fz.fd, DRM_IOCTL_BOSH_BO_INFO, &info);
	fz_expect("info after racing pins", err, 0);
	if (!!(info.flags & BOSH_BO_PINNED) != !!pins)
		fz_fail("info PINNED flag disagrees with %ld pins after the race", pins);
}

void op_threads(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(3), first = rnd(FZ_MAXPAGES), npages = rnd_range(1, 8);
	uint64_t delay_us = rnd(200), n = rnd_range(1, FZ_RACE_MAX);

	fz_log("threads kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	first %= b->npages;
	npages = npages > b->npages - first ? b->npages - first : npages;
	fz_log_more("h%u p%" PRIu64 "+%" PRIu64, b->handle, first, npages);
	switch (kind) {
	case 0:
		if (!fz_mapped(b, first, npages))
			return;
		fz_log_more(" close during a fault");
		fz_race_close(b, true, first, npages, delay_us);
		return;
	case 1:
		fz_log_more(" BO_RW during close");
		fz_race_close(b, false, first, npages, delay_us);
		return;
	default:
		fz_log_more(" %" PRIu64 " pins against %" PRIu64 " unpins", n, n);
		fz_race_pin(b, n);
		return;
	}
}
