// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_fuzz: the error-path fuzzer. Runs seeded random sequences of every
 * bosh ioctl (valid and invalid), mmap and touch, fork with mappings,
 * GEM_CLOSE, PRIME, madvise, pin, busy, signals, debugfs shrink/purge/
 * evict, sysfs knobs and fault injection, against a user-space model of
 * each BO's content and state. Stops at the first divergence with the
 * seed, the step and the last steps.
 *
 * Determinism: every random choice is drawn from one PRNG before the
 * kernel's answer is known, and no choice depends on an answer that
 * timing may change (purges by reclaim, busy fences, injected faults).
 * The digest is an FNV-1a hash of every draw, so the same seed and
 * iteration count give the same digest. Results that timing may change
 * are accepted by the model as sets ("maybe purged", "page is one of
 * these contents").
 *
 * usage: bosh_fuzz [-s SEED] [-n ITERATIONS] [-d SECONDS] [-p PROCS] [-v]
 *                  [-x OP,...]   (leave out ops by name, e.g. -x pin,fork)
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "bosh_lib.h"

#define FZ_SLOTS	24
#define FZ_RING		256
#define FZ_SHOW		24	/* steps printed on a divergence (-v: all kept) */
#define FZ_MAXPAGES	512
#define FZ_DRI		"/sys/kernel/debug/dri/bosh.0"
#define FZ_NCAND	3

/* One possible content of a page: zeros (gen 0) or a pattern. */
struct fz_key {
	uint32_t bo;
	uint32_t gen;
	uint32_t page;
};

/*
 * What a page may hold: usually one key. A write that failed part-way
 * leaves each page of its range holding the old or the new content,
 * so the model keeps both until a read tells which.
 */
struct fz_page {
	struct fz_key k[FZ_NCAND];
	uint8_t n;
	bool unknown;	/* too many candidates: any content passes once */
};

struct fz_bo {
	bool used;
	uint32_t handle;
	uint32_t serial;	/* the pattern's BO key, never reused */
	uint32_t gen;		/* last write generation */
	uint64_t npages;
	struct fz_page *pages;
	unsigned int madv;
	bool maybe_purged;	/* DONTNEED while unpinned: reclaim may purge */
	bool dead;		/* observed purged */
	unsigned int pins;
	char *map;
	int dmabuf;
};

enum { FP_ALLOC, FP_BACKUP, FP_WRITEBACK, FP_RESTORE, FP_INTR, FP_COUNT };
static const char *const fz_points[FP_COUNT] = {
	"fail_alloc", "fail_backup", "fail_writeback", "fail_restore",
	"fail_restore_intr",
};

static const char *const fz_knobs[] = {
	"shrinker_enabled", "writeback", "swap_reserve_mb", "max_bo_mb",
	"max_pinned_mb",
};
#define FZ_NKNOBS (sizeof(fz_knobs) / sizeof(fz_knobs[0]))

static struct {
	uint64_t seed, iterations;
	unsigned int duration, procs, worker;
	bool stress, verbose, have_faults;
	int fd, fd2, fd_other, nth_fd;
	uint64_t rng, digest, step;
	struct fz_bo bo[FZ_SLOTS];
	uint32_t next_serial;
	unsigned int armed;		/* fault points possibly armed */
	bool nth_next, nth_now;		/* fail-nth for the next op */
	unsigned int nth_val;
	bool sig_now;			/* a timer signal may hit this op */
	long knob_orig[FZ_NKNOBS];
	long max_bo_mb, max_pinned_mb;
	uint64_t base_bytes, base_pinned;	/* other users' share */
	char ring[FZ_RING][200];
	timer_t tmr_intr, tmr_restart;
	uint64_t ops, ioctls;
	uint64_t errs[140];
} fz = { .fd = -1, .fd2 = -1, .fd_other = -1, .nth_fd = -1 };

/* -x NAME,...: leave ops out (a known bug need not stop the rest). */
static const char *fz_exclude;
static sigjmp_buf fz_jmp;
static volatile sig_atomic_t fz_jmp_armed, fz_signals;

/* ---- randomness and the digest ---------------------------------------- */

static void fz_hash(uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		fz.digest ^= (v >> (i * 8)) & 0xff;
		fz.digest *= 0x100000001b3ULL;
	}
}

/* Every draw feeds the digest: the digest is the sequence. */
static uint64_t rnd(uint64_t n)
{
	uint64_t v;

	fz.rng += 0x9e3779b97f4a7c15ULL;
	v = bosh_mix(fz.rng);
	v = n ? v % n : v;
	fz_hash(v);
	return v;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd(hi - lo + 1);
}

/* ---- reporting -------------------------------------------------------- */

static void fz_log(const char *fmt, ...)
{
	char *line = fz.ring[fz.step % FZ_RING];
	size_t n;
	va_list ap;

	n = snprintf(line, sizeof(fz.ring[0]), "step %" PRIu64 ": ", fz.step);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(fz.ring[0]) - n, fmt, ap);
	va_end(ap);
	if (fz.verbose)
		printf("# [%u] %s\n", fz.worker, line);
}

/* Append to the current step's line (the result). */
static void fz_log_more(const char *fmt, ...)
{
	char *line = fz.ring[fz.step % FZ_RING];
	size_t n = strlen(line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(fz.ring[0]) - n, fmt, ap);
	va_end(ap);
}

static void fz_restore_env(void);

static void __attribute__((noreturn, format(printf, 1, 2))) fz_fail(const char *fmt, ...)
{
	uint64_t show = fz.verbose ? FZ_RING - 1 : FZ_SHOW - 1;
	uint64_t first = fz.step >= show ? fz.step - show : 0;
	uint64_t s;
	va_list ap;

	printf("# DIVERGENCE worker %u seed %" PRIu64 " step %" PRIu64 ": ",
	       fz.worker, fz.seed, fz.step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# last steps:\n");
	for (s = first; s <= fz.step; s++)
		printf("#   %s\n", fz.ring[s % FZ_RING]);
	printf("# digest at divergence %016" PRIx64 "\n", fz.digest);
	printf("# replay: make fuzz SEED=%" PRIu64 " ITERATIONS=%" PRIu64 "%s%s\n",
	       fz.seed, fz.iterations, fz_exclude ? " FUZZ_EXCLUDE=" : "", fz_exclude ?: "");
	if (fz.stress)
		printf("#   (stress mode: the interleaving is not fixed)\n");
	fflush(stdout);
	fz_restore_env();
	exit(1);
}

/* ---- files: debugfs, sysfs, fault attributes, fail-nth ----------------- */

static int fz_write(const char *path, const char *val)
{
	return bosh_write_file(path, val);
}

static int fz_fault_set(int p, const char *attr, long v)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), FZ_DRI "/%s/%s", fz_points[p], attr);
	snprintf(val, sizeof(val), "%ld", v);
	return fz_write(path, val);
}

static void fz_fault_disarm(int p)
{
	fz_fault_set(p, "probability", 0);
	fz_fault_set(p, "times", 0);
	fz_fault_set(p, "interval", 1);
	fz_fault_set(p, "space", 0);
}

static void fz_knob_set(unsigned int k, long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%ld", v);
	bosh_sysfs_write(0, fz_knobs[k], val);
}

/*
 * The fail-nth file stays open while used: opening or closing it could
 * itself consume the armed failure.
 */
static void fz_nth_write(unsigned int n)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%u", n);

	if (fz.nth_fd >= 0 && pwrite(fz.nth_fd, val, len, 0) != len && n)
		fz_fail("fail-nth write: %s", strerror(errno));
}

static void fz_restore_env(void)
{
	unsigned int i;

	if (fz.nth_fd >= 0)
		fz_nth_write(0);
	/* Workers leave the shared settings to the parent. */
	if (fz.stress && fz.worker != ~0u)
		return;
	if (fz.have_faults)
		for (i = 0; i < FP_COUNT; i++)
			fz_fault_disarm(i);
	for (i = 0; i < FZ_NKNOBS; i++)
		if (fz.knob_orig[i] >= 0)
			fz_knob_set(i, fz.knob_orig[i]);
}

/* ---- errnos: what the header documents ---------------------------------- */

enum fz_op {
	OP_CREATE, OP_MMAP_OFFSET, OP_RW, OP_VALIDATE, OP_MADVISE, OP_PIN,
	OP_BUSY, OP_INFO, OP_CLOSE, OP_H2FD, OP_FD2H, OP_NOPS,
};
static const char *const fz_op_names[OP_NOPS] = {
	"BO_CREATE", "BO_MMAP_OFFSET", "BO_RW", "BO_VALIDATE", "BO_MADVISE",
	"BO_PIN", "BO_BUSY", "BO_INFO", "GEM_CLOSE", "PRIME_HANDLE_TO_FD",
	"PRIME_FD_TO_HANDLE",
};
static const int fz_documented[OP_NOPS][10] = {
	[OP_CREATE] = { EINVAL, ENOSPC, ENOMEM },
	[OP_MMAP_OFFSET] = { ENOENT, EINVAL, EOPNOTSUPP, ENOMEM, ENOSPC },
	[OP_RW] = { ENOENT, EINVAL, EFAULT, ENODATA, ENOMEM, EIO, EINTR },
	[OP_VALIDATE] = { ENOENT, EINVAL, ENODATA, ENOMEM, EIO, EINTR },
	[OP_MADVISE] = { ENOENT, EINVAL, EOPNOTSUPP, EINTR },
	[OP_PIN] = { ENOENT, EINVAL, ENOSPC, ENODATA, ENOMEM, EIO, EINTR, EOPNOTSUPP,
		     EOVERFLOW },
	[OP_BUSY] = { ENOENT, EINVAL, EINTR, EBUSY, ENOMEM },
	[OP_INFO] = { ENOENT, EINVAL, EINTR },
	/* The core GEM/PRIME ioctls, as drm_gem.c and drm_prime.c return. */
	[OP_CLOSE] = { EINVAL },
	[OP_H2FD] = { ENOENT, EINVAL, ENOMEM, EMFILE },
	/* A foreign import pins: BO_PIN's errors too. */
	[OP_FD2H] = { EBADF, EINVAL, ENOMEM, ENOSPC, ENODATA, EIO, EINTR, EOVERFLOW },
};

static bool fz_is_documented(enum fz_op op, int err)
{
	int i;

	for (i = 0; i < 10 && fz_documented[op][i]; i++)
		if (fz_documented[op][i] == err)
			return true;
	return false;
}

/*
 * Any errno leaving an ioctl is checked against the header first; then
 * the caller checks it against what the model expects.
 */
static int fz_ioctl(enum fz_op op, int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg) ? errno : 0;

	fz.ioctls++;
	if (ret < 140)
		fz.errs[ret]++;
	fz_log_more(" -> %s", ret ? strerror(ret) : "ok");
	if (ret && !fz_is_documented(op, ret))
		fz_fail("%s returned %s (%d), not in its documented errno set",
			fz_op_names[op], strerror(ret), ret);
	return ret;
}

/* Injected failures the model must tolerate for this step. */
static bool fz_injecting(void)
{
	return fz.stress || fz.nth_now || fz.armed;
}

static bool fz_restore_errs(int err)
{
	return err == ENOMEM || err == EIO || err == EINTR;
}

static void fz_expect(const char *what, int err, int want)
{
	if (err != want)
		fz_fail("%s: got %s, want %s", what, err ? strerror(err) : "success",
			want ? strerror(want) : "success");
}

/* ---- the content model --------------------------------------------------- */

static void fz_key_fill(const struct fz_key *k, void *dst)
{
	if (!k->gen)
		memset(dst, 0, BOSH_PAGE);
	else
		bosh_pattern_page(dst, fz.seed, k->bo, k->page, k->gen);
}

static void fz_page_set(struct fz_page *pg, struct fz_key k)
{
	pg->k[0] = k;
	pg->n = 1;
	pg->unknown = false;
}

/* After a failed write: the page holds its old content or @k. */
static void fz_page_add(struct fz_page *pg, struct fz_key k)
{
	int i;

	for (i = 0; i < pg->n; i++)
		if (!memcmp(&pg->k[i], &k, sizeof(k)))
			return;
	if (pg->n == FZ_NCAND)
		pg->unknown = true;
	else
		pg->k[pg->n++] = k;
}

/*
 * Check @len bytes at @off of page @p of @b against the model, and narrow
 * the page's candidates to those that match.
 */
static void fz_check_piece(struct fz_bo *b, uint64_t p, size_t off, size_t len,
			   const char *got, const char *how)
{
	static __thread char want[BOSH_PAGE];
	struct fz_page *pg = &b->pages[p];
	struct fz_key keep[FZ_NCAND];
	int i, n = 0;

	if (pg->unknown)
		return;
	for (i = 0; i < pg->n; i++) {
		fz_key_fill(&pg->k[i], want);
		if (!memcmp(want + off, got, len))
			keep[n++] = pg->k[i];
	}
	if (!n) {
		size_t j = 0;

		fz_key_fill(&pg->k[0], want);
		while (j < len && want[off + j] == got[j])
			j++;
		fz_fail("content mismatch (%s): slot bo serial %u handle %u page %" PRIu64
			" byte %zu: got 0x%02x want 0x%02x (key bo %u page %u gen %u, %d candidates)%s",
			how, b->serial, b->handle, p, off + j, (uint8_t)got[j],
			(uint8_t)want[off + j], pg->k[0].bo, pg->k[0].page, pg->k[0].gen,
			pg->n, b->maybe_purged ? ", BO was DONTNEED" : "");
	}
	/* A partial read may match several: narrow only on a full page. */
	if (len == BOSH_PAGE || n == 1) {
		memcpy(pg->k, keep, n * sizeof(keep[0]));
		pg->n = n;
	}
}

static void fz_check_range(struct fz_bo *b, uint64_t off, uint64_t len,
			   const char *buf, const char *how)
{
	while (len) {
		uint64_t p = off / BOSH_PAGE;
		size_t o = off % BOSH_PAGE, l = BOSH_PAGE - o;

		if (l > len)
			l = len;
		fz_check_piece(b, p, o, l, buf, how);
		off += l;
		buf += l;
		len -= l;
	}
}

static struct fz_key fz_new_key(struct fz_bo *b, uint64_t p, uint32_t gen)
{
	return (struct fz_key){ .bo = b->serial, .gen = gen, .page = (uint32_t)p };
}

/* ---- signals ------------------------------------------------------------- */

static void fz_sigbus(int sig)
{
	if (fz_jmp_armed)
		siglongjmp(fz_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fz_sig_count(int sig)
{
	fz_signals++;
}

static void fz_signals_init(void)
{
	struct sigaction sa = { 0 };
	struct sigevent ev = { 0 };

	sa.sa_handler = fz_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	/* SIGALRM interrupts (EINTR reaches us), SIGUSR1 restarts. */
	sa.sa_handler = fz_sig_count;
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

/* ---- BO helpers -------------------------------------------------------- */

static uint64_t fz_bytes_live(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used)
			n += fz.bo[i].npages * BOSH_PAGE;
	return n;
}

static uint64_t fz_pinned_live(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used && fz.bo[i].pins)
			n += fz.bo[i].npages;
	return n;
}

/* A handle that names no BO of ours. */
static uint32_t fz_bad_handle(void)
{
	uint32_t h = rnd(2) ? 0 : 0x7fff0000u + (uint32_t)rnd(1000);
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.bo[i].used && fz.bo[i].handle == h)
			return 0;
	return h;
}

static struct fz_bo *fz_pick(void)
{
	struct fz_bo *b = &fz.bo[rnd(FZ_SLOTS)];

	return b->used ? b : NULL;
}

static void fz_forget(struct fz_bo *b)
{
	if (b->map)
		munmap(b->map, b->npages * BOSH_PAGE);
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	free(b->pages);
	memset(b, 0, sizeof(*b));
	b->dmabuf = -1;
}

/* A read may fail with these and change nothing. */
static bool fz_read_may_fail(struct fz_bo *b, int err)
{
	if (err == ENODATA && (b->maybe_purged || b->dead)) {
		b->dead = true;
		return true;
	}
	if (err == EINTR && fz.sig_now)
		return true;
	return fz_injecting() && fz_restore_errs(err);
}

/* Read @npages pages at @p through BO_RW and check them. */
static void fz_verify_pages(struct fz_bo *b, uint64_t p, uint64_t npages, const char *how)
{
	char *buf = malloc(npages * BOSH_PAGE);
	struct drm_bosh_bo_rw rw = {
		.handle = b->handle, .op = BOSH_RW_READ, .offset = p * BOSH_PAGE,
		.size = npages * BOSH_PAGE, .data = (uintptr_t)buf,
	};
	int err;

	if (!buf)
		fz_fail("out of memory");
	fz_log_more(" | verify h%u p%" PRIu64 "+%" PRIu64, b->handle, p, npages);
	err = fz_ioctl(OP_RW, fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw);
	if (!err) {
		if (b->dead)
			fz_fail("read of a purged BO succeeded");
		fz_check_range(b, p * BOSH_PAGE, npages * BOSH_PAGE, buf, how);
	} else if (b->dead) {
		fz_expect("read of a purged BO", err, ENODATA);
	} else if (!fz_read_may_fail(b, err)) {
		fz_fail("verify read failed: %s", strerror(err));
	}
	free(buf);
}

/* ---- the operations ------------------------------------------------------ */

static uint64_t fz_draw_npages(void)
{
	uint64_t r = rnd(100);

	if (r < 70)
		return rnd_range(1, 16);
	if (r < 98)
		return rnd_range(17, 128);
	return rnd_range(129, FZ_MAXPAGES);
}

static void op_create(void)
{
	struct fz_bo *b = &fz.bo[rnd(FZ_SLOTS)];
	uint64_t npages = fz_draw_npages(), cap;
	struct drm_bosh_bo_create c = { .size = npages * BOSH_PAGE };
	uint64_t i;
	int err;

	fz_log("create slot %ld pages %" PRIu64, (long)(b - fz.bo), npages);
	if (b->used)
		return;
	err = fz_ioctl(OP_CREATE, fz.fd, DRM_IOCTL_BOSH_BO_CREATE, &c);
	cap = (uint64_t)fz.max_bo_mb << 20;
	if (err == ENOSPC) {
		/* Under the cap, only another user's BOs could explain it. */
		if (!fz.stress && fz.base_bytes + fz_bytes_live() + c.size <= cap)
			fz_fail("create refused with ENOSPC under max_bo_mb %ld (live %" PRIu64 ")",
				fz.max_bo_mb, fz_bytes_live());
		return;
	}
	if (err == ENOMEM && fz_injecting())
		return;
	fz_expect("create", err, 0);
	if (!fz.stress && fz.base_bytes + fz_bytes_live() + c.size > cap)
		fz_fail("create of %" PRIu64 " bytes succeeded past max_bo_mb %ld (live %" PRIu64 ")",
			(uint64_t)c.size, fz.max_bo_mb, fz_bytes_live());
	b->used = true;
	b->handle = c.handle;
	b->serial = ++fz.next_serial;
	b->npages = npages;
	b->dmabuf = -1;
	b->pages = calloc(npages, sizeof(*b->pages));
	if (!b->pages)
		fz_fail("out of memory");
	for (i = 0; i < npages; i++)
		fz_page_set(&b->pages[i], (struct fz_key){ 0 });
	fz_log_more(" h%u", c.handle);
}

static void op_create_bad(void)
{
	struct drm_bosh_bo_create c = { .size = BOSH_PAGE };
	uint64_t kind = rnd(5);
	int want = EINVAL, err;

	switch (kind) {
	case 0: c.size = 0; break;
	case 1: c.size = rnd_range(1, BOSH_PAGE - 1) + BOSH_PAGE * rnd(4); break;
	case 2: c.flags = 1u << rnd(32); break;
	case 3: c.size = ~0ULL & ~(BOSH_PAGE - 1); want = ENOSPC; break;
	default: c.size = (uint64_t)(fz.max_bo_mb + 1) << 20; want = ENOSPC; break;
	}
	fz_log("create-bad kind %" PRIu64 " size 0x%llx flags 0x%x", kind,
	       (unsigned long long)c.size, c.flags);
	err = fz_ioctl(OP_CREATE, fz.fd, DRM_IOCTL_BOSH_BO_CREATE, &c);
	if (!err) {
		struct drm_gem_close cl = { .handle = c.handle };

		ioctl(fz.fd, DRM_IOCTL_GEM_CLOSE, &cl);
		fz_fail("invalid create succeeded");
	}
	fz_expect("invalid create", err, want);
}

static void op_close(void)
{
	struct fz_bo *b = fz_pick();
	bool touch_after = rnd(2);
	struct drm_gem_close c;
	int err;

	fz_log("close %s", b ? "" : "(empty)");
	if (!b)
		return;
	fz_log_more("h%u%s", b->handle, b->map && touch_after ? " then touch map" : "");
	c.handle = b->handle;
	c.pad = 0;
	err = fz_ioctl(OP_CLOSE, fz.fd, DRM_IOCTL_GEM_CLOSE, &c);
	fz_expect("close", err, 0);
	/* The mapping keeps the object alive after its handle is gone. */
	if (b->map && touch_after && !b->maybe_purged && !b->dead && !fz_injecting()) {
		fz_jmp_armed = 1;
		if (sigsetjmp(fz_jmp, 1)) {
			fz_jmp_armed = 0;
			fz_fail("SIGBUS reading a closed BO's mapping");
		}
		fz_check_range(b, 0, BOSH_PAGE, b->map, "mmap after close");
		fz_jmp_armed = 0;
	}
	fz_forget(b);
}

static void op_close_bad(void)
{
	struct drm_gem_close c = { .handle = fz_bad_handle() };

	fz_log("close-bad h%u", c.handle);
	fz_expect("close of a bad handle",
		  fz_ioctl(OP_CLOSE, fz.fd, DRM_IOCTL_GEM_CLOSE, &c), EINVAL);
}

static void op_mmap(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(8);
	struct drm_bosh_bo_mmap_offset o = { 0 };
	size_t len;
	void *p;
	int err;

	fz_log("mmap kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	o.handle = b->handle;
	if (kind == 0)
		o.pad = 1;
	err = fz_ioctl(OP_MMAP_OFFSET, fz.fd, DRM_IOCTL_BOSH_BO_MMAP_OFFSET, &o);
	if (kind == 0) {
		fz_expect("mmap_offset with pad", err, EINVAL);
		return;
	}
	if (err == ENOMEM && fz_injecting())
		return;
	fz_expect("mmap_offset", err, 0);
	len = b->npages * BOSH_PAGE;
	if (kind == 1 || kind == 2) {
		/* Private mappings and mappings past the end are refused. */
		p = mmap(NULL, kind == 1 ? len : len + BOSH_PAGE, PROT_READ | PROT_WRITE,
			 kind == 1 ? MAP_PRIVATE : MAP_SHARED, fz.fd, o.offset);
		fz_log_more(" %s mmap -> %s", kind == 1 ? "private" : "oversized",
			    p == MAP_FAILED ? strerror(errno) : "mapped");
		if (p != MAP_FAILED) {
			munmap(p, kind == 1 ? len : len + BOSH_PAGE);
			fz_fail("%s mmap succeeded", kind == 1 ? "MAP_PRIVATE" : "oversized");
		}
		if (errno != EINVAL)
			fz_fail("bad mmap failed with %s, want EINVAL", strerror(errno));
		return;
	}
	if (b->map)
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fz.fd, o.offset);
	fz_log_more(" mmap -> %s", p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p == MAP_FAILED) {
		if (errno == ENOMEM && fz_injecting())
			return;
		fz_fail("mmap failed: %s", strerror(errno));
	}
	b->map = p;
}

static void op_munmap(void)
{
	struct fz_bo *b = fz_pick();

	fz_log("munmap %s", b && b->map ? "" : "(none)");
	if (!b || !b->map)
		return;
	munmap(b->map, b->npages * BOSH_PAGE);
	b->map = NULL;
}

/*
 * Touch one page through the mapping: check it, or write a new
 * generation. A purged BO, or a restore failing under injection, gives
 * SIGBUS.
 */
static void op_touch(void)
{
	struct fz_bo *b = fz_pick();
	bool write = rnd(2);
	uint64_t p = rnd(FZ_MAXPAGES);
	static char buf[BOSH_PAGE];
	struct fz_key k;

	fz_log("touch %s %s", write ? "write" : "read", b && b->map ? "" : "(unmapped)");
	if (!b || !b->map)
		return;
	p %= b->npages;
	k = fz_new_key(b, p, ++b->gen);
	fz_log_more("h%u p%" PRIu64, b->handle, p);
	if (write)
		fz_key_fill(&k, buf);
	fz_jmp_armed = 1;
	if (sigsetjmp(fz_jmp, 1)) {
		fz_jmp_armed = 0;
		fz_log_more(" -> SIGBUS");
		if (!b->maybe_purged && !b->dead && !fz_injecting())
			fz_fail("SIGBUS touching a retained BO");
		if (write)
			fz_page_add(&b->pages[p], k);
		return;
	}
	if (write) {
		memcpy(b->map + p * BOSH_PAGE, buf, BOSH_PAGE);
	} else {
		memcpy(buf, b->map + p * BOSH_PAGE, BOSH_PAGE);
	}
	fz_jmp_armed = 0;
	fz_log_more(" -> ok");
	if (b->dead)
		fz_fail("touching a purged BO did not SIGBUS");
	if (write)
		fz_page_set(&b->pages[p], k);
	else
		fz_check_range(b, p * BOSH_PAGE, BOSH_PAGE, buf, "mmap read");
}

/* A write of whole pages [p, p+n) with a new generation. */
static void op_rw_write(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t p = rnd(FZ_MAXPAGES), n = rnd_range(1, 8), i;
	struct drm_bosh_bo_rw rw = { .op = BOSH_RW_WRITE };
	uint32_t gen;
	char *buf;
	int err;

	fz_log("rw-write %s", b ? "" : "(empty)");
	if (!b)
		return;
	p %= b->npages;
	if (n > b->npages - p)
		n = b->npages - p;
	gen = ++b->gen;
	buf = malloc(n * BOSH_PAGE);
	if (!buf)
		fz_fail("out of memory");
	for (i = 0; i < n; i++) {
		struct fz_key k = fz_new_key(b, p + i, gen);

		fz_key_fill(&k, buf + i * BOSH_PAGE);
	}
	rw.handle = b->handle;
	rw.offset = p * BOSH_PAGE;
	rw.size = n * BOSH_PAGE;
	rw.data = (uintptr_t)buf;
	fz_log_more("h%u p%" PRIu64 "+%" PRIu64 " gen %u", b->handle, p, n, gen);
	err = fz_ioctl(OP_RW, fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw);
	free(buf);
	if (!err) {
		if (b->dead)
			fz_fail("write to a purged BO succeeded");
		for (i = 0; i < n; i++)
			fz_page_set(&b->pages[p + i], fz_new_key(b, p + i, gen));
		/* Negative control: a model that is wrong must be caught. */
		if (getenv("BOSH_FUZZ_NEGATIVE"))
			fz_page_set(&b->pages[p], fz_new_key(b, p, gen + 1));
		return;
	}
	if (b->dead) {
		fz_expect("write to a purged BO", err, ENODATA);
		return;
	}
	if (!fz_read_may_fail(b, err))
		fz_fail("write failed: %s", strerror(err));
	/* Pages written before the failure stay written. */
	for (i = 0; i < n; i++)
		fz_page_add(&b->pages[p + i], fz_new_key(b, p + i, gen));
}

/* A read of an arbitrary byte range, checked against the model. */
static void op_rw_read(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t off = rnd(FZ_MAXPAGES * BOSH_PAGE), len = rnd_range(1, 4 * BOSH_PAGE);
	struct drm_bosh_bo_rw rw = { .op = BOSH_RW_READ };
	char *buf;
	int err;

	fz_log("rw-read %s", b ? "" : "(empty)");
	if (!b)
		return;
	off %= b->npages * BOSH_PAGE;
	if (len > b->npages * BOSH_PAGE - off)
		len = b->npages * BOSH_PAGE - off;
	buf = malloc(len);
	if (!buf)
		fz_fail("out of memory");
	rw.handle = b->handle;
	rw.offset = off;
	rw.size = len;
	rw.data = (uintptr_t)buf;
	fz_log_more("h%u off 0x%" PRIx64 " len 0x%" PRIx64, b->handle, off, len);
	err = fz_ioctl(OP_RW, fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw);
	if (!err) {
		if (b->dead)
			fz_fail("read of a purged BO succeeded");
		fz_check_range(b, off, len, buf, "BO_RW read");
	} else if (b->dead) {
		fz_expect("read of a purged BO", err, ENODATA);
	} else if (!fz_read_may_fail(b, err)) {
		fz_fail("read failed: %s", strerror(err));
	}
	free(buf);
}

/* Invalid BO_RW: each changes nothing and gets its errno. */
static void op_rw_bad(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(7);
	static char buf[2 * BOSH_PAGE];
	struct drm_bosh_bo_rw rw = { .op = BOSH_RW_READ, .size = BOSH_PAGE };
	static const char ro[BOSH_PAGE] __attribute__((aligned(4096)));
	int want = EINVAL, err;

	rw.op = rnd(2);
	fz_log("rw-bad kind %" PRIu64 " op %u %s", kind, rw.op, b ? "" : "(empty)");
	if (!b)
		return;
	rw.handle = b->handle;
	rw.data = (uintptr_t)buf;
	switch (kind) {
	case 0: rw.op = 2 + rnd(1000); break;
	case 1: rw.handle = fz_bad_handle(); want = ENOENT; break;
	case 2: rw.offset = b->npages * BOSH_PAGE - rnd(BOSH_PAGE); break;
	case 3: rw.offset = ~0ULL - rnd(BOSH_PAGE); break;
	case 4: rw.data = rnd(2) ? 0 : 0xffffffff80000000ULL; want = EFAULT; break;
	case 5:
		/* Reading into read-only memory faults before anything changes. */
		rw.op = BOSH_RW_READ;
		rw.data = (uintptr_t)ro;
		want = EFAULT;
		break;
	default: rw.size = ~0ULL - rnd(BOSH_PAGE); break;
	}
	fz_log_more(" h%u off 0x%llx data 0x%llx", rw.handle,
		    (unsigned long long)rw.offset, (unsigned long long)rw.data);
	err = fz_ioctl(OP_RW, fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw);
	if (want == EFAULT && b->dead && err == ENODATA)
		return;
	fz_expect("invalid BO_RW", err, want);
}

/*
 * BO_RW whose user buffer is another BO's mapping: the copy faults that
 * BO in while bosh holds (or has just dropped) the target's lock, which
 * is where mmap_lock against dma_resv ordering shows.
 */
static void op_rw_map(void)
{
	struct fz_bo *t = fz_pick(), *m = fz_pick();
	bool write = rnd(2);
	uint64_t tp = rnd(FZ_MAXPAGES), mp = rnd(FZ_MAXPAGES), n = rnd_range(1, 8), i;
	struct drm_bosh_bo_rw rw = { .op = write ? BOSH_RW_WRITE : BOSH_RW_READ };
	struct fz_bo *src, *dst;
	uint64_t sp, dp;
	int err;

	fz_log("rw-map %s", write ? "write" : "read");
	if (!t || !m || t == m || !m->map)
		return;
	tp %= t->npages;
	mp %= m->npages;
	n = n > t->npages - tp ? t->npages - tp : n;
	n = n > m->npages - mp ? m->npages - mp : n;
	rw.handle = t->handle;
	rw.offset = tp * BOSH_PAGE;
	rw.size = n * BOSH_PAGE;
	rw.data = (uintptr_t)(m->map + mp * BOSH_PAGE);
	fz_log_more(" h%u p%" PRIu64 " <-> map h%u p%" PRIu64 " n %" PRIu64,
		    t->handle, tp, m->handle, mp, n);
	err = fz_ioctl(OP_RW, fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw);
	src = write ? m : t;
	dst = write ? t : m;
	sp = write ? mp : tp;
	dp = write ? tp : mp;
	if (!err) {
		if (t->dead || m->dead)
			fz_fail("copy with a purged BO succeeded");
		for (i = 0; i < n; i++) {
			struct fz_page *s = &src->pages[sp + i];

			dst->pages[dp + i] = *s;
		}
		return;
	}
	if (t->dead && err == ENODATA)
		return;
	if (!(err == EFAULT && (m->maybe_purged || m->dead || fz_injecting())) &&
	    !fz_read_may_fail(t, err))
		fz_fail("copy through a mapping failed: %s", strerror(err));
	for (i = 0; i < n; i++) {
		struct fz_page *s = &src->pages[sp + i], *d = &dst->pages[dp + i];
		int j;

		if (s->unknown)
			d->unknown = true;
		for (j = 0; j < s->n; j++)
			fz_page_add(d, s->k[j]);
	}
}

/* VALIDATE, PIN, and their signal-interrupted forms. */
static int fz_validate(struct fz_bo *b, uint32_t flags)
{
	struct drm_bosh_bo_validate v = { .handle = b->handle, .flags = flags };

	return fz_ioctl(OP_VALIDATE, fz.fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v);
}

static void fz_check_restore_result(struct fz_bo *b, int err, const char *what)
{
	if (!err) {
		if (b->dead)
			fz_fail("%s of a purged BO succeeded", what);
		return;
	}
	if (b->dead) {
		fz_expect(what, err, ENODATA);
		return;
	}
	if (!fz_read_may_fail(b, err))
		fz_fail("%s failed: %s", what, strerror(err));
}

static void op_validate(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(8);

	fz_log("validate kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	fz_log_more("h%u", b->handle);
	if (kind == 0) {
		fz_expect("validate with flags", fz_validate(b, 1u << rnd(32)), EINVAL);
		return;
	}
	if (kind == 1) {
		struct drm_bosh_bo_validate v = { .handle = fz_bad_handle() };

		fz_expect("validate of a bad handle",
			  fz_ioctl(OP_VALIDATE, fz.fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v),
			  ENOENT);
		return;
	}
	fz_check_restore_result(b, fz_validate(b, 0), "validate");
}

static void op_madvise(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(10);
	struct drm_bosh_bo_madvise m = { 0 };
	int err;

	fz_log("madvise kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	m.handle = b->handle;
	m.madv = kind < 5 ? BOSH_MADV_DONTNEED : BOSH_MADV_WILLNEED;
	if (kind == 8)
		m.madv = 2 + rnd(100);
	if (kind == 9)
		m.pad = 1;
	if (kind == 7)
		m.handle = fz_bad_handle();
	fz_log_more("h%u madv %u", m.handle, m.madv);
	err = fz_ioctl(OP_MADVISE, fz.fd, DRM_IOCTL_BOSH_BO_MADVISE, &m);
	if (kind >= 7) {
		fz_expect("invalid madvise", err, kind == 7 ? ENOENT : EINVAL);
		return;
	}
	fz_expect("madvise", err, 0);
	fz_log_more(" retained %u", m.retained);
	if (m.retained > 1)
		fz_fail("madvise retained %u", m.retained);
	if (!m.retained) {
		if (!b->maybe_purged && !b->dead)
			fz_fail("madvise says purged, but the BO was never DONTNEED while unpinned");
		b->dead = true;
		return;
	}
	if (b->dead)
		fz_fail("madvise says retained, but the BO was seen purged");
	b->madv = m.madv;
	if (m.madv == BOSH_MADV_WILLNEED)
		b->maybe_purged = false;
	else if (!b->pins)
		b->maybe_purged = true;
}

static void op_pin(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(10);
	struct drm_bosh_bo_pin p = { 0 };
	uint64_t cap = (uint64_t)fz.max_pinned_mb << 8;
	int err;

	fz_log("pin kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	p.handle = kind == 8 ? fz_bad_handle() : b->handle;
	p.op = kind < 4 ? BOSH_PIN : BOSH_UNPIN;
	if (kind == 9)
		p.op = 2 + rnd(100);
	fz_log_more("h%u op %u pins %u", p.handle, p.op, b->pins);
	err = fz_ioctl(OP_PIN, fz.fd, DRM_IOCTL_BOSH_BO_PIN, &p);
	if (kind >= 8) {
		if (kind == 8 && err == ENOENT)
			return;
		fz_expect("invalid pin", err, kind == 8 ? ENOENT : EINVAL);
		return;
	}
	if (p.op == BOSH_UNPIN) {
		fz_expect("unpin", err, b->pins ? 0 : EINVAL);
		if (!err && !--b->pins && b->madv == BOSH_MADV_DONTNEED)
			b->maybe_purged = true;
		return;
	}
	if (!b->pins && !b->dead &&
	    fz.base_pinned + fz_pinned_live() + b->npages > cap) {
		/* Over the cap; a purged BO may be refused first. */
		if (err == ENODATA && b->maybe_purged) {
			b->dead = true;
			return;
		}
		if (!fz.stress)
			fz_expect("pin past max_pinned_mb", err, ENOSPC);
		return;
	}
	if (err == ENOSPC && !fz.stress)
		fz_fail("pin refused with ENOSPC under max_pinned_mb %ld", fz.max_pinned_mb);
	if (err == ENOSPC)
		return;	/* other workers' pins */
	fz_check_restore_result(b, err, "pin");
	if (!err)
		b->pins++;
}

static void op_busy(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(8), usecs = rnd_range(1, 3000);
	struct drm_bosh_bo_busy bb = { 0 };
	int want = EINVAL, err;

	fz_log("busy kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	bb.handle = b->handle;
	bb.usecs = usecs;
	switch (kind) {
	case 0: bb.usecs = 0; break;
	case 1: bb.usecs = BOSH_BUSY_MAX_US + 1 + rnd(1ULL << 40); break;
	case 2: bb.flags = 1u << rnd(32); break;
	case 3: bb.handle = fz_bad_handle(); want = ENOENT; break;
	default: want = 0; break;
	}
	fz_log_more("h%u usecs %llu", bb.handle, (unsigned long long)bb.usecs);
	err = fz_ioctl(OP_BUSY, fz.fd, DRM_IOCTL_BOSH_BO_BUSY, &bb);
	if (!want && err == ENOMEM && fz_injecting())
		return;
	/* BOSH_BUSY_MAX_FENCES short fences may still be pending. */
	if (!want && err == EBUSY)
		return;
	fz_expect("busy", err, want);
}

static void op_info(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(10);
	struct drm_bosh_bo_info i = { 0 };
	int err;

	fz_log("info kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	i.handle = kind == 0 ? fz_bad_handle() : b->handle;
	if (kind == 1)
		i.pad = 1 + rnd(1000);
	err = fz_ioctl(OP_INFO, fz.fd, DRM_IOCTL_BOSH_BO_INFO, &i);
	if (kind < 2) {
		fz_expect("invalid info", err, kind == 0 ? ENOENT : EINVAL);
		return;
	}
	fz_expect("info", err, 0);
	fz_log_more(" flags 0x%x res %llu bu %llu", i.flags,
		    (unsigned long long)i.resident, (unsigned long long)i.backed_up);
	if (i.size != b->npages * BOSH_PAGE)
		fz_fail("info size %llu, want %llu", (unsigned long long)i.size,
			(unsigned long long)(b->npages * BOSH_PAGE));
	if (i.resident + i.backed_up > b->npages)
		fz_fail("info resident %llu + backed up %llu > %llu pages",
			(unsigned long long)i.resident, (unsigned long long)i.backed_up,
			(unsigned long long)b->npages);
	if (!!(i.flags & BOSH_BO_DONTNEED) != (b->madv == BOSH_MADV_DONTNEED))
		fz_fail("info DONTNEED flag disagrees with madvise %u", b->madv);
	if (!!(i.flags & BOSH_BO_PINNED) != !!b->pins)
		fz_fail("info PINNED flag disagrees with %u pins", b->pins);
	if (b->pins && (i.resident != b->npages || i.backed_up))
		fz_fail("pinned BO not fully resident: %llu of %llu, %llu backed up",
			(unsigned long long)i.resident, (unsigned long long)b->npages,
			(unsigned long long)i.backed_up);
	if (i.flags & ~(BOSH_BO_DONTNEED | BOSH_BO_PURGED | BOSH_BO_PINNED | BOSH_BO_BUSY))
		fz_fail("info has unknown flags 0x%x", i.flags);
	if (i.flags & BOSH_BO_PURGED) {
		if (!b->maybe_purged && !b->dead)
			fz_fail("BO purged but never DONTNEED while unpinned");
		if (i.resident || i.backed_up)
			fz_fail("purged BO still holds pages");
		b->dead = true;
	} else if (b->dead) {
		fz_fail("BO seen purged, info says not");
	}
}

/* An ioctl number past bosh's table, and one with a wrong size. */
static void op_bad_ioctl(void)
{
	uint64_t nr = rnd_range(DRM_BOSH_BO_INFO + 1, 0x3f);
	char buf[64] = { 0 };
	int err;

	fz_log("bad-ioctl nr 0x%" PRIx64, nr);
	err = ioctl(fz.fd, DRM_IOWR(DRM_COMMAND_BASE + nr, char[16]), buf) ? errno : 0;
	fz_log_more(" -> %s", err ? strerror(err) : "ok");
	if (err != EINVAL)
		fz_fail("unknown driver ioctl: got %s, want EINVAL", err ? strerror(err) : "ok");
}

/* ---- PRIME ------------------------------------------------------------------- */

static int fz_h2fd(int fd, uint32_t handle, uint32_t flags, int *out)
{
	struct drm_prime_handle p = { .handle = handle, .flags = flags, .fd = -1 };
	int err = fz_ioctl(OP_H2FD, fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	*out = p.fd;
	return err;
}

static int fz_fd2h(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };
	int err = fz_ioctl(OP_FD2H, fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	*handle = p.handle;
	return err;
}

/* The exporter's pin cap refuses an import, as it refuses BO_PIN. */
static bool fz_pin_over_cap(struct fz_bo *b)
{
	uint64_t cap = (uint64_t)fz.max_pinned_mb << 8;

	return !b->pins && !b->dead &&
	       fz.base_pinned + fz_pinned_live() + b->npages > cap;
}

/*
 * Import @b on the other device, read and maybe write one page through
 * the import, close it. The attachment restores and pins @b for the
 * import's life only, so the model's pin count does not change.
 */
static void fz_foreign_import(struct fz_bo *b)
{
	struct drm_bosh_bo_rw rw = { .op = BOSH_RW_READ };
	struct drm_bosh_bo_info i = { 0 };
	struct drm_gem_close c = { 0 };
	uint64_t p = rnd(b->npages);
	bool write = rnd(2);
	char buf[BOSH_PAGE];
	uint32_t h;
	int err;

	err = fz_fd2h(fz.fd_other, b->dmabuf, &h);
	if (err == ENOSPC && fz_pin_over_cap(b) && !fz.stress)
		return;
	if (err == ENOSPC && !fz.stress)
		fz_fail("foreign import refused with ENOSPC under max_pinned_mb %ld",
			fz.max_pinned_mb);
	if (err == ENOSPC || (err == ENOMEM && fz_injecting()))
		return;
	if (!err && fz_pin_over_cap(b) && !fz.stress)
		fz_fail("foreign import past max_pinned_mb succeeded");
	fz_check_restore_result(b, err, "foreign import");
	if (err)
		return;
	i.handle = h;
	fz_expect("info of a foreign import",
		  fz_ioctl(OP_INFO, fz.fd_other, DRM_IOCTL_BOSH_BO_INFO, &i), 0);
	if ((i.flags & ~BOSH_BO_BUSY) != BOSH_BO_IMPORTED || i.size != b->npages * BOSH_PAGE)
		fz_fail("foreign import info: flags 0x%x size %llu", i.flags,
			(unsigned long long)i.size);
	rw.handle = h;
	rw.offset = p * BOSH_PAGE;
	rw.size = BOSH_PAGE;
	rw.data = (uintptr_t)buf;
	fz_log_more(" | read p%" PRIu64 "%s", p, write ? " and write" : "");
	fz_expect("read through a foreign import",
		  fz_ioctl(OP_RW, fz.fd_other, DRM_IOCTL_BOSH_BO_RW, &rw), 0);
	fz_check_range(b, p * BOSH_PAGE, BOSH_PAGE, buf, "foreign import read");
	if (write) {
		struct fz_key k = fz_new_key(b, p, ++b->gen);

		fz_key_fill(&k, buf);
		rw.op = BOSH_RW_WRITE;
		fz_expect("write through a foreign import",
			  fz_ioctl(OP_RW, fz.fd_other, DRM_IOCTL_BOSH_BO_RW, &rw), 0);
		fz_page_set(&b->pages[p], k);
	}
	c.handle = h;
	fz_expect("close of a foreign import",
		  fz_ioctl(OP_CLOSE, fz.fd_other, DRM_IOCTL_GEM_CLOSE, &c), 0);
}

static void op_prime(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(8);
	uint32_t h;
	int err, dfd;

	fz_log("prime kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	fz_log_more("h%u", b->handle);
	switch (kind) {
	case 0:	/* export */
		if (b->dmabuf >= 0)
			return;
		err = fz_h2fd(fz.fd, b->handle, DRM_CLOEXEC | DRM_RDWR, &dfd);
		if (err == ENOMEM && fz_injecting())
			return;
		fz_expect("prime export", err, 0);
		b->dmabuf = dfd;
		return;
	case 1:	/* self-import: the same object, the same handle */
		if (b->dmabuf < 0)
			return;
		err = fz_fd2h(fz.fd, b->dmabuf, &h);
		if (err == ENOMEM && fz_injecting())
			return;
		fz_expect("prime self-import", err, 0);
		if (h != b->handle)
			fz_fail("self-import gave handle %u, want %u", h, b->handle);
		return;
	case 2:	/* import on another device: pins it while the import lives */
		if (b->dmabuf < 0 || fz.fd_other < 0)
			return;
		fz_foreign_import(b);
		return;
	case 3:	/* mmap of the dma-buf is refused */
		if (b->dmabuf >= 0) {
			void *p = mmap(NULL, BOSH_PAGE, PROT_READ, MAP_SHARED, b->dmabuf, 0);

			fz_log_more(" mmap dmabuf -> %s", p == MAP_FAILED ? strerror(errno) : "mapped");
			if (p != MAP_FAILED) {
				munmap(p, BOSH_PAGE);
				fz_fail("mmap of a bosh dma-buf succeeded");
			}
		}
		return;
	case 4:	/* close the dma-buf */
		if (b->dmabuf >= 0)
			close(b->dmabuf);
		b->dmabuf = -1;
		return;
	case 5:
		fz_expect("export of a bad handle", fz_h2fd(fz.fd, fz_bad_handle(), DRM_CLOEXEC, &dfd),
			  ENOENT);
		return;
	case 6:
		fz_expect("export with bad flags", fz_h2fd(fz.fd, b->handle, 0x4, &dfd), EINVAL);
		return;
	default:
		/* A closed fd, then a file that is no dma-buf. */
		fz_expect("import of a bad fd", fz_fd2h(fz.fd, -1, &h), EBADF);
		fz_expect("import of a non-dma-buf", fz_fd2h(fz.fd, fz.fd, &h), EINVAL);
		return;
	}
}

/*
 * Import on a second open file of the same device. The contract says an
 * import on the exporting device yields the same object; check that if
 * it succeeds the object is the same, and report the errno otherwise.
 */
static void op_prime_other_file(void)
{
	struct fz_bo *b = fz_pick();
	struct drm_bosh_bo_info i = { 0 };
	struct drm_gem_close c = { 0 };
	uint32_t h;
	int err;

	fz_log("prime import on a second file %s", b && b->dmabuf >= 0 ? "" : "(no dmabuf)");
	if (!b || b->dmabuf < 0 || fz.fd2 < 0)
		return;
	err = fz_fd2h(fz.fd2, b->dmabuf, &h);
	if (err) {
		static bool noted;

		if (!noted && !fz.worker)
			printf("# note: import of a bosh dma-buf on a second file of the same device fails with %s\n",
			       strerror(err));
		noted = true;
		if (getenv("BOSH_FUZZ_STRICT_PRIME"))
			fz_fail("import on a second file of the same device: %s", strerror(err));
		return;
	}
	i.handle = h;
	fz_expect("info of the imported handle", fz_ioctl(OP_INFO, fz.fd2, DRM_IOCTL_BOSH_BO_INFO, &i), 0);
	if (i.size != b->npages * BOSH_PAGE)
		fz_fail("imported object has size %llu, want %llu",
			(unsigned long long)i.size, (unsigned long long)(b->npages * BOSH_PAGE));
	c.handle = h;
	fz_expect("close imported", fz_ioctl(OP_CLOSE, fz.fd2, DRM_IOCTL_GEM_CLOSE, &c), 0);
}

/* ---- fork with mappings -------------------------------------------------------- */

/*
 * The child inherits the shared mapping: it checks one page and writes
 * another, then exits; the parent sees the write through the model.
 * Exit 0: ok; 2: SIGBUS; 1: mismatch (the child printed it).
 */
static void op_fork(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t rp = rnd(FZ_MAXPAGES), wp = rnd(FZ_MAXPAGES);
	struct fz_key k;
	int status;
	pid_t pid;

	fz_log("fork %s", b && b->map ? "" : "(unmapped)");
	if (!b || !b->map)
		return;
	rp %= b->npages;
	wp %= b->npages;
	k = fz_new_key(b, wp, ++b->gen);
	fz_log_more("h%u read p%" PRIu64 " write p%" PRIu64, b->handle, rp, wp);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fz_fail("fork: %s", strerror(errno));
	if (!pid) {
		static char buf[BOSH_PAGE];

		fz.nth_fd = -1;
		fz.worker = 0;
		fz.stress = true;	/* the child never restores settings */
		fz_jmp_armed = 1;
		if (sigsetjmp(fz_jmp, 1))
			_exit(2);
		memcpy(buf, b->map + rp * BOSH_PAGE, BOSH_PAGE);
		fz_key_fill(&k, b->map + wp * BOSH_PAGE);
		fz_jmp_armed = 0;
		if (!b->pages[rp].unknown) {
			int i;

			for (i = 0; i < b->pages[rp].n; i++) {
				static char want[BOSH_PAGE];

				fz_key_fill(&b->pages[rp].k[i], want);
				if (!memcmp(want, buf, BOSH_PAGE))
					_exit(0);
			}
			printf("# child: page %" PRIu64 " of h%u does not match\n", rp, b->handle);
			_exit(1);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		fz_fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status))
		fz_fail("child died with status 0x%x", status);
	fz_log_more(" -> child %d", WEXITSTATUS(status));
	switch (WEXITSTATUS(status)) {
	case 0:
		if (b->dead)
			fz_fail("child touched a purged BO without SIGBUS");
		fz_page_set(&b->pages[wp], k);
		break;
	case 2:
		if (!b->maybe_purged && !b->dead && !fz_injecting())
			fz_fail("child got SIGBUS on a retained BO");
		fz_page_add(&b->pages[wp], k);
		break;
	default:
		fz_fail("child saw wrong content through the inherited mapping");
	}
}

/* ---- debugfs triggers, knobs, faults --------------------------------------------- */

static int fz_debugfs(const char *file, const char *val)
{
	int err = -bosh_debugfs_write(0, file, val);

	fz_log_more(" -> %s", err ? strerror(err) : "ok");
	return err;
}

/* After a purge every unpinned DONTNEED BO of ours is dead. */
static void fz_mark_purged(void)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++) {
		struct fz_bo *b = &fz.bo[i];

		if (b->used && !b->pins && b->madv == BOSH_MADV_DONTNEED)
			b->dead = true;
	}
}

static void op_debugfs(void)
{
	uint64_t kind = rnd(10), n = rnd_range(1, 512);
	char val[32];
	int err;

	snprintf(val, sizeof(val), "%" PRIu64, n);
	fz_log("debugfs kind %" PRIu64 " n %" PRIu64, kind, n);
	switch (kind) {
	case 0: case 1: case 2: case 3:
		fz_log_more(" shrink");
		fz_expect("shrink", fz_debugfs("shrink", val), 0);
		return;
	case 4: case 5:
		fz_log_more(" purge");
		err = fz_debugfs("purge", "1");
		if (err == EINTR && fz.sig_now)
			return;
		fz_expect("purge", err, 0);
		fz_mark_purged();
		return;
	case 6: case 7:
		fz_log_more(" evict");
		err = fz_debugfs("evict", "1");
		if (err && !((fz_injecting() && fz_restore_errs(err)) || (err == EINTR && fz.sig_now)))
			fz_fail("evict: %s", strerror(err));
		return;
	default:
		fz_log_more(" bad");
		fz_expect("shrink 0", fz_debugfs("shrink", "0"), EINVAL);
		fz_expect("shrink junk", fz_debugfs("shrink", "junk"), EINVAL);
		fz_expect("purge 2", fz_debugfs("purge", "2"), EINVAL);
		fz_expect("evict -1", fz_debugfs("evict", "-1"), EINVAL);
		return;
	}
}

static void op_knob(void)
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
	case 3: v = bo_caps[rnd(4)]; break;
	default: v = pin_caps[rnd(4)]; break;
	}
	fz_log("knob %s kind %" PRIu64 " = %ld", fz_knobs[k], kind, v);
	bosh_sysfs_path(0, fz_knobs[k], path, sizeof(path));
	if (kind == 0) {
		/* Out of range or not a number: refused, nothing changes. */
		err = -fz_write(path, k < 2 ? "2" : k == 3 ? "0" : "junk");
		fz_log_more(" bad -> %s", err ? strerror(err) : "ok");
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
static void op_fault(void)
{
	uint64_t p = rnd(FP_COUNT), kind = rnd(4), interval = rnd_range(1, 8);
	uint64_t times = rnd_range(1, 4), space = rnd(3) ? 0 : rnd_range(1, 8) * BOSH_PAGE;
	uint64_t prob = rnd_range(1, 30);

	fz_log("fault %s kind %" PRIu64, fz_points[p], kind);
	if (!fz.have_faults)
		return;
	if (kind == 0) {
		fz_fault_disarm(p);
		fz.armed &= ~(1u << p);
		fz_log_more(" disarm");
		return;
	}
	fz_fault_set(p, "verbose", 0);
	fz_fault_set(p, "space", space);
	if (fz.stress && kind == 1) {
		fz_fault_set(p, "interval", 1);
		fz_fault_set(p, "times", -1);
		fz_fault_set(p, "probability", prob);
		fz_log_more(" probability %" PRIu64, prob);
	} else {
		fz_fault_set(p, "interval", interval);
		fz_fault_set(p, "times", times);
		fz_fault_set(p, "probability", 100);
		fz_log_more(" interval %" PRIu64 " times %" PRIu64 " space %" PRIu64,
			    interval, times, space);
	}
	fz.armed |= 1u << p;
}

/* Disarm everything and check every retained BO in full. */
static void op_verify_all(void)
{
	int i;

	fz_log("verify-all");
	if (fz.have_faults && !fz.stress) {
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
}

static void op_fail_nth(void)
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
static void op_signal(void)
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
		else if (err != EINTR)
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
};
#define FZ_NTABLE (sizeof(fz_table) / sizeof(fz_table[0]))

static double fz_now(void);
static double fz_op_time[64];
static uint64_t fz_op_count[64];

static void fz_step(void)
{
	static unsigned int total;
	double t;
	unsigned int i, r;

	static unsigned int weight[FZ_NTABLE];

	if (!total) {
		for (i = 0; i < FZ_NTABLE; i++) {
			bool out = fz_exclude && strstr(fz_exclude, fz_table[i].name + 3);

			weight[i] = out ? 0 : fz_table[i].weight;
			total += weight[i];
		}
	}
	r = rnd(total);
	for (i = 0; r >= weight[i]; i++)
		r -= weight[i];

	fz.nth_now = fz.nth_next;
	fz.nth_next = false;
	if (fz.nth_now)
		fz_nth_write(fz.nth_val);
	t = fz_now();
	fz_table[i].fn();
	fz_op_time[i] += fz_now() - t;
	fz_op_count[i]++;
	if (fz.nth_now) {
		fz_nth_write(0);
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

static double fz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fz_open_bosh(int index)
{
	return bosh_open(index);
}

static void fz_setup(void)
{
	char path[64];
	unsigned int i;

	fz.fd = fz_open_bosh(0);
	if (fz.fd < 0) {
		printf("# no bosh device\n");
		exit(4);
	}
	fz.fd2 = fz_open_bosh(0);
	fz.fd_other = fz_open_bosh(1);
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	fz.nth_fd = open(path, O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), FZ_DRI "/fail_alloc/times");
	fz.have_faults = !access(path, F_OK);
	/* fail-nth fires through every point: none may dump a stack. */
	for (i = 0; fz.have_faults && i < FP_COUNT; i++)
		fz_fault_set(i, "verbose", 0);
	fz_write("/sys/kernel/debug/failslab/verbose", "0");
	fz_write("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	for (i = 0; i < FZ_SLOTS; i++)
		fz.bo[i].dmabuf = -1;
	fz.max_bo_mb = bosh_sysfs_read(0, "max_bo_mb");
	fz.max_pinned_mb = bosh_sysfs_read(0, "max_pinned_mb");
	fz.base_bytes = fz.stress ? 0 : bosh_stat(0, "pages_total") * BOSH_PAGE;
	fz.base_pinned = fz.stress ? 0 : bosh_stat(0, "pages_pinned");
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

/* One fuzzing process; returns the number of steps run. */
static uint64_t fz_run(uint64_t seed)
{
	double end = fz_now() + fz.duration;
	int i;

	fz.rng = seed;
	fz.digest = 0xcbf29ce484222325ULL;
	fz_setup();
	for (fz.step = 0; fz.step < fz.iterations; fz.step++) {
		if (!(fz.step & 63) && fz.duration && fz_now() > end)
			break;
		fz_step();
		fz_spot_check();
	}
	/* Final word: injection off, every retained BO intact. */
	fz_log("final verify");
	if (fz.have_faults && !fz.stress) {
		for (i = 0; i < FP_COUNT; i++)
			fz_fault_disarm(i);
		fz.armed = 0;
	}
	if (!fz.stress)
		for (i = 0; i < FZ_SLOTS; i++)
			if (fz.bo[i].used && !fz.bo[i].dead)
				fz_verify_pages(&fz.bo[i], 0, fz.bo[i].npages, "final");
	fz_teardown();
	return fz.step;
}

static void fz_print_errnos(void)
{
	int e;

	if (fz.verbose || getenv("BOSH_FUZZ_PROFILE"))
		for (e = 0; e < (int)FZ_NTABLE; e++)
			printf("# op %2d: %6" PRIu64 " calls %7.3fs\n", e, fz_op_count[e], fz_op_time[e]);

	printf("# errnos seen:");
	for (e = 1; e < 140; e++)
		if (fz.errs[e])
			printf(" %s=%" PRIu64, strerrorname_np(e) ?: "?", fz.errs[e]);
	printf("\n");
}

static void fz_read_knobs(void)
{
	unsigned int i;

	for (i = 0; i < FZ_NKNOBS; i++)
		fz.knob_orig[i] = bosh_sysfs_read(0, fz_knobs[i]);
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
			res[1] = fz_run(fz.seed);
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
	fprintf(stderr, "usage: bosh_fuzz [-s SEED] [-n ITERATIONS] [-d SECONDS] [-p PROCS] [-v] [-x OP,...]\n");
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
	while ((opt = getopt(argc, argv, "s:n:d:p:vx:")) != -1) {
		switch (opt) {
		case 's': fz.seed = strtoull(optarg, NULL, 0); break;
		case 'n': fz.iterations = strtoull(optarg, NULL, 0); break;
		case 'd': fz.duration = strtoul(optarg, NULL, 0); break;
		case 'p': fz.procs = strtoul(optarg, NULL, 0); break;
		case 'v': fz.verbose = true; break;
		case 'x': fz_exclude = optarg; break;
		default: fz_usage();
		}
	}
	if (!fz.seed)
		fz.seed = ((uint64_t)time(NULL) << 20) ^ getpid();
	if (!fz.procs)
		fz.procs = 1;
	fz.stress = fz.procs > 1;
	fz.worker = ~0u;
	if (fz_exclude)
		printf("# excluded ops: %s\n", fz_exclude);
	printf("# bosh_fuzz seed %" PRIu64 " iterations %" PRIu64 " duration %us procs %u (%s)\n",
	       fz.seed, fz.iterations, fz.duration, fz.procs,
	       fz.stress ? "stress: the seed fixes each sequence, not the interleaving" :
	       "deterministic");
	fz_read_knobs();
	t0 = fz_now();
	if (fz.stress) {
		fails = fz_stress();
		fz.worker = ~0u;
	} else {
		fz.worker = 0;
		fz_run(fz.seed);
		fz_print_errnos();
		fz.worker = ~0u;
	}
	dt = fz_now() - t0;
	fz_restore_env();
	/* In stress mode the ioctls were counted in the workers. */
	printf("# %" PRIu64 " ops, %" PRIu64 " ioctls (parent view) in %.1fs: %.0f ops/s\n",
	       fz.stress ? fz.step : fz.ops, fz.ioctls, dt, (fz.stress ? fz.step : fz.ops) / dt);
	printf("fuzz: seed %" PRIu64 " iterations %" PRIu64 " steps %" PRIu64
	       " digest %016" PRIx64 " %s\n", fz.seed, fz.iterations,
	       fz.stress ? fz.step : fz.step, fz.digest, fails ? "FAILED" : "ok");
	return fails ? 1 : 0;
}
