// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_fuzz's operations on BOs: create, close, mmap and touch, BO_RW
 * (through plain buffers and through another BO's mapping), VALIDATE,
 * MADVISE, PIN, BUSY, INFO, unknown ioctls, fork with mappings and the
 * debugfs shrink, purge and evict triggers. Each draws all its choices
 * first, then checks the kernel's answer against the model.
 */
#define _GNU_SOURCE
#include "bosh_fuzz.h"

static uint64_t fz_draw_npages(void)
{
	uint64_t r = rnd(100);

	if (r < 70)
		return rnd_range(1, 16);
	if (r < 98)
		return rnd_range(17, 128);
	return rnd_range(129, FZ_MAXPAGES);
}

void op_create(void)
{
	struct fz_bo *b = &fz.bo[rnd(FZ_SLOTS)];
	uint64_t npages = fz_draw_npages(), cap;
	/* Either backing model, per BO: the model's checks are the same. */
	bool shmem = rnd(2);
	struct drm_bosh_bo_create c = {
		.size = npages * BOSH_PAGE,
		.flags = shmem ? BOSH_BO_CREATE_SHMEM : 0,
	};
	uint64_t i;
	int err;

	fz_log("create slot %ld pages %" PRIu64 "%s", (long)(b - fz.bo), npages,
	       shmem ? " shmem" : "");
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
	b->shmem = shmem;
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

void op_create_bad(void)
{
	struct drm_bosh_bo_create c = { .size = BOSH_PAGE };
	uint64_t kind = rnd(6);
	int want = EINVAL, err;

	switch (kind) {
	case 0: c.size = 0; break;
	case 1: c.size = rnd_range(1, BOSH_PAGE - 1) + BOSH_PAGE * rnd(4); break;
	/* A bit beyond the placement's and the model's. */
	case 2: c.flags = 1u << rnd_range(3, 31); break;
	/* A shmem-native BO in VRAM, with or without a fallback. */
	case 5: c.flags = BOSH_BO_CREATE_SHMEM | (rnd(2) ? BOSH_PLACE_VRAM : BOSH_PLACE_MASK); break;
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

void op_close(void)
{
	struct fz_bo *b = fz_pick();
	bool touch_after = rnd(2);
	struct drm_gem_close c;
	int err;

	fz_log("close %s", b ? "" : "(empty)");
	if (!b)
		return;
	fz_log_more("h%u%s", b->handle, fz_mapped(b, b->map_lo, 1) && touch_after ?
		    " then touch map" : "");
	c.handle = b->handle;
	c.pad = 0;
	err = fz_ioctl(OP_CLOSE, fz.fd, DRM_IOCTL_GEM_CLOSE, &c);
	fz_expect("close", err, 0);
	/* The mapping keeps the object alive after its handle is gone. */
	if (fz_mapped(b, b->map_lo, 1) && touch_after && !b->maybe_purged && !b->dead &&
	    !fz_injecting()) {
		fz_jmp_armed = 1;
		if (sigsetjmp(fz_jmp, 1)) {
			fz_jmp_armed = 0;
			fz_fail("SIGBUS reading a closed BO's mapping");
		}
		fz_check_range(b, b->map_lo * BOSH_PAGE, BOSH_PAGE,
			       b->map + b->map_lo * BOSH_PAGE, "mmap after close");
		fz_jmp_armed = 0;
	}
	fz_forget(b);
}

void op_close_bad(void)
{
	struct drm_gem_close c = { .handle = fz_bad_handle() };

	fz_log("close-bad h%u", c.handle);
	fz_expect("close of a bad handle",
		  fz_ioctl(OP_CLOSE, fz.fd, DRM_IOCTL_GEM_CLOSE, &c), EINVAL);
}

void op_mmap(void)
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
		if (errno != EINVAL && !(errno == ENOMEM && fz_injecting()))
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
	b->map_lo = 0;
	b->map_hi = b->npages;
	b->hole_lo = b->hole_hi = 0;
	b->ro = false;
}

/*
 * Unmap all of the mapping, or only its first or last pages, or a hole
 * in its middle (two VMAs of one BO then: each holds the object).
 */
void op_munmap(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(4), k = rnd(FZ_MAXPAGES), lo, hi;
	int err;

	fz_log("munmap kind %" PRIu64 " %s", kind, b && b->map ? "" : "(none)");
	if (!b || !b->map)
		return;
	lo = b->map_lo;
	hi = b->map_hi;
	if (kind == 0 || hi - lo < 3 || b->hole_hi > b->hole_lo) {
		fz_unmap(b);
		return;
	}
	k = 1 + k % (hi - lo - 2);
	if (kind == 1) {
		hi = lo + k;
		b->map_lo = hi;
	} else if (kind == 2) {
		lo = hi - k;
		b->map_hi = lo;
	} else {
		lo += 1 + k / 2 % (hi - lo - 2);
		hi = lo + 1;
		b->hole_lo = lo;
		b->hole_hi = hi;
	}
	fz_log_more(" h%u pages %" PRIu64 "-%" PRIu64, b->handle, lo, hi);
	err = munmap(b->map + lo * BOSH_PAGE, (hi - lo) * BOSH_PAGE) ? errno : 0;
	fz_log_more(" -> %s", err ? strerror(err) : "ok");
	if (!err)
		return;
	/* Splitting a VMA allocates: the mapping is as it was. */
	if (err != ENOMEM || !fz_injecting())
		fz_fail("partial munmap: %s", strerror(err));
	if (kind == 1)
		b->map_lo = lo;
	else if (kind == 2)
		b->map_hi = hi;
	else
		b->hole_lo = b->hole_hi = 0;
}

/*
 * mremap of the whole mapping (no hole): move it elsewhere, shrink it,
 * or grow it, which a BO mapping refuses (VM_DONTEXPAND: EFAULT).
 */
void op_mremap(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(3), k = rnd(FZ_MAXPAGES), len;
	char *old, *to, *p;
	int err;

	fz_log("mremap kind %" PRIu64 " %s", kind, b && b->map ? "" : "(none)");
	if (!b || !b->map || b->hole_hi > b->hole_lo)
		return;
	old = b->map + b->map_lo * BOSH_PAGE;
	len = (b->map_hi - b->map_lo) * BOSH_PAGE;
	fz_log_more(" h%u pages %" PRIu64 "-%" PRIu64, b->handle, b->map_lo, b->map_hi);
	if (kind == 2) {
		p = mremap(old, len, len + BOSH_PAGE, MREMAP_MAYMOVE);
		err = p == MAP_FAILED ? errno : 0;
		fz_log_more(" grow -> %s", err ? strerror(err) : "ok");
		if (!err)
			fz_fail("mremap grew a BO mapping");
		fz_expect("mremap grow", err, EFAULT);
		return;
	}
	if (kind == 1) {
		if (b->map_hi - b->map_lo < 2)
			return;
		k = 1 + k % (b->map_hi - b->map_lo - 1);
		p = mremap(old, len, len - k * BOSH_PAGE, 0);
		err = p == MAP_FAILED ? errno : 0;
		fz_log_more(" shrink by %" PRIu64 " -> %s", k, err ? strerror(err) : "ok");
		if (!err)
			b->map_hi -= k;
		else if (err != ENOMEM || !fz_injecting())
			fz_fail("mremap shrink: %s", strerror(err));
		return;
	}
	/* A moved mapping: FIXED onto a reserved range, so it does move. */
	to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (to == MAP_FAILED) {
		if (errno != ENOMEM || !fz_injecting())
			fz_fail("mmap of a range to move to: %s", strerror(errno));
		return;
	}
	p = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	err = p == MAP_FAILED ? errno : 0;
	fz_log_more(" move -> %s", err ? strerror(err) : "ok");
	if (err) {
		munmap(to, len);
		if (err != ENOMEM || !fz_injecting())
			fz_fail("mremap move: %s", strerror(err));
		return;
	}
	if (p != to)
		fz_fail("mremap moved to %p, not %p", p, to);
	b->map = to - b->map_lo * BOSH_PAGE;
}

/* Read-only or read-write again, the whole mapping (each piece). */
void op_mprotect(void)
{
	struct fz_bo *b = fz_pick();
	bool ro = rnd(2);
	int prot = ro ? PROT_READ : PROT_READ | PROT_WRITE, err = 0;
	uint64_t lo, hi;

	fz_log("mprotect %s %s", ro ? "ro" : "rw", b && b->map ? "" : "(none)");
	if (!b || !b->map)
		return;
	lo = b->map_lo;
	hi = b->map_hi;
	if (b->hole_hi > b->hole_lo) {
		err = mprotect(b->map + lo * BOSH_PAGE, (b->hole_lo - lo) * BOSH_PAGE, prot) ?
		      errno : 0;
		lo = b->hole_hi;
	}
	if (!err)
		err = mprotect(b->map + lo * BOSH_PAGE, (hi - lo) * BOSH_PAGE, prot) ? errno : 0;
	fz_log_more(" h%u -> %s", b->handle, err ? strerror(err) : "ok");
	if (!err) {
		b->ro = ro;
		return;
	}
	if (err != ENOMEM || !fz_injecting())
		fz_fail("mprotect: %s", strerror(err));
	/* Part may have changed: no mapping is simpler than a guess. */
	fz_quiet_begin();
	fz_unmap(b);
	fz_quiet_end();
}

/*
 * Touch one page through the mapping: check it, or write a new
 * generation. A purged BO, or a restore failing under injection, gives
 * SIGBUS.
 */
void op_touch(void)
{
	struct fz_bo *b = fz_pick();
	bool write = rnd(2);
	uint64_t p = rnd(FZ_MAXPAGES);
	static char buf[BOSH_PAGE];
	struct fz_key k;

	int sig;

	fz_log("touch %s %s", write ? "write" : "read", b && b->map ? "" : "(unmapped)");
	if (!b || !b->map)
		return;
	p %= b->npages;
	if (!fz_mapped(b, p, 1))
		return;
	k = fz_new_key(b, p, ++b->gen);
	fz_log_more("h%u p%" PRIu64, b->handle, p);
	if (write)
		fz_key_fill(&k, buf);
	fz_jmp_armed = 1;
	sig = sigsetjmp(fz_jmp, 1);
	if (sig) {
		fz_jmp_armed = 0;
		fz_log_more(" -> %s", strsignal(sig));
		/* A write to a read-only mapping never reaches the BO. */
		if (write && b->ro && sig == SIGSEGV)
			return;
		if (sig != SIGBUS)
			fz_fail("%s touching a BO mapping", strsignal(sig));
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
	if (write && b->ro)
		fz_fail("a write through a read-only mapping went through");
	if (b->dead)
		fz_fail("touching a purged BO did not SIGBUS");
	if (write)
		fz_page_set(&b->pages[p], k);
	else
		fz_check_range(b, p * BOSH_PAGE, BOSH_PAGE, buf, "mmap read");
}

/* A write of whole pages [p, p+n) with a new generation. */
void op_rw_write(void)
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
	buf = fz_alloc(n * BOSH_PAGE);
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
void op_rw_read(void)
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
	buf = fz_alloc(len);
	rw.handle = b->handle;
	rw.offset = off;
	rw.size = len;
	rw.data = (uintptr_t)buf;
	fz_log_more("h%u off 0x%" PRIx64 " len 0x%" PRIx64, b->handle, off, len);
	err = fz_ioctl(OP_RW, fz.fd, DRM_IOCTL_BOSH_BO_RW, &rw);
	fz_check_read(b, err, off, len, buf, "BO_RW read");
	free(buf);
}

/* Invalid BO_RW: each changes nothing and gets its errno. */
void op_rw_bad(void)
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
void op_rw_map(void)
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
	if (!fz_mapped(m, mp, n))
		return;
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
		if (!write && m->ro)
			fz_fail("BO_RW read into a read-only mapping succeeded");
		for (i = 0; i < n; i++) {
			struct fz_page *s = &src->pages[sp + i];

			dst->pages[dp + i] = *s;
		}
		return;
	}
	if (t->dead && err == ENODATA)
		return;
	if (err == EFAULT && !write && m->ro)
		return;	/* nothing was written: the page is read-only */
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
int fz_validate(struct fz_bo *b, uint32_t flags)
{
	struct drm_bosh_bo_validate v = { .handle = b->handle, .flags = flags };

	return fz_ioctl(OP_VALIDATE, fz.fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v);
}

void op_validate(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(8);

	fz_log("validate kind %" PRIu64 " %s", kind, b ? "" : "(empty)");
	if (!b)
		return;
	fz_log_more("h%u", b->handle);
	if (kind == 0) {
		fz_expect("validate with flags", fz_validate(b, 1u << rnd_range(2, 31)),
			  EINVAL);
		return;
	}
	/* VRAM alone for a shmem-native BO, which never goes there. */
	if (kind == 2 && b->shmem) {
		fz_expect("validate of a shmem-native BO into VRAM",
			  fz_validate(b, BOSH_PLACE_VRAM), EINVAL);
		return;
	}
	/* VRAM alone on a device without: ENOSPC, and nothing changes. */
	if (kind == 2 && fz.vram_pages <= 0) {
		fz_expect("validate into VRAM without VRAM", fz_validate(b, BOSH_PLACE_VRAM),
			  ENOSPC);
		return;
	}
	/* System memory named, or allowed beside VRAM: as no placement. */
	if (kind == 3) {
		fz_check_restore_result(b, fz_validate(b, rnd(2) ? BOSH_PLACE_SYSTEM :
							   BOSH_PLACE_MASK), "validate");
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

void op_madvise(void)
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

void op_pin(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t kind = rnd(10);
	struct drm_bosh_bo_pin p = { 0 };
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
	if (fz_pin_over_cap(b)) {
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

void op_busy(void)
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

void op_info(void)
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
	if (!!(i.flags & BOSH_BO_SHMEM) != b->shmem)
		fz_fail("info SHMEM flag disagrees with the model created");
	if (i.backed_up_in_ram > i.backed_up)
		fz_fail("info backed up in RAM %llu > backed up %llu",
			(unsigned long long)i.backed_up_in_ram,
			(unsigned long long)i.backed_up);
	if (b->pins && (i.resident != b->npages || i.backed_up))
		fz_fail("pinned BO not fully resident: %llu of %llu, %llu backed up",
			(unsigned long long)i.resident, (unsigned long long)b->npages,
			(unsigned long long)i.backed_up);
	if (i.flags & ~(BOSH_BO_DONTNEED | BOSH_BO_PURGED | BOSH_BO_PINNED | BOSH_BO_BUSY |
			BOSH_BO_IN_VRAM | BOSH_BO_SHMEM))
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
void op_bad_ioctl(void)
{
	uint64_t nr = rnd_range(DRM_BOSH_SVM_INFO + 1, 0x3f);
	char buf[64] = { 0 };
	int err;

	fz_log("bad-ioctl nr 0x%" PRIx64, nr);
	err = ioctl(fz.fd, DRM_IOWR(DRM_COMMAND_BASE + nr, char[16]), buf) ? errno : 0;
	fz_log_more(" -> %s", err ? strerror(err) : "ok");
	if (err != EINVAL)
		fz_fail("unknown driver ioctl: got %s, want EINVAL", err ? strerror(err) : "ok");
}

/* ---- fork with mappings -------------------------------------------------------- */

/* The child's side of op_fork(): 0 ok, 1 mismatch, 2 SIGBUS. */
static int fz_fork_child(struct fz_bo *b, uint64_t rp, uint64_t wp, struct fz_key *k,
			 int ready, int passes)
{
	static char buf[BOSH_PAGE], want[BOSH_PAGE];
	int i, pass;

	fz.nth_fd = -1;
	fz.worker = 0;
	fz.stress = true;	/* the child never restores settings */
	fz_jmp_armed = 1;
	if (sigsetjmp(fz_jmp, 1))
		return 2;
	if (ready >= 0 && write(ready, "r", 1) != 1)
		return 3;
	for (pass = 0; pass < passes; pass++) {
		memcpy(buf, b->map + rp * BOSH_PAGE, BOSH_PAGE);
		if (b->pages[rp].unknown)
			continue;
		for (i = 0; i < b->pages[rp].n; i++) {
			fz_key_fill(&b->pages[rp].k[i], want);
			if (!memcmp(want, buf, BOSH_PAGE))
				break;
		}
		if (i == b->pages[rp].n) {
			printf("# child: page %" PRIu64 " of h%u does not match\n", rp, b->handle);
			return 1;
		}
	}
	fz_key_fill(k, b->map + wp * BOSH_PAGE);
	fz_jmp_armed = 0;
	return 0;
}

/*
 * The child inherits the shared mapping: it checks one page and writes
 * another, then exits; the parent sees the write through the model. Or
 * the child reads its page over and over while the parent evicts the
 * BO under it, so the child's faults restore what the parent backs up.
 */
void op_fork(void)
{
	struct fz_bo *b = fz_pick();
	uint64_t rp = rnd(FZ_MAXPAGES), wp = rnd(FZ_MAXPAGES), evicts = rnd(3);
	int status, pfd[2] = { -1, -1 }, err;
	struct fz_key k;
	uint64_t i;
	pid_t pid;
	char c;

	fz_log("fork %s", b && b->map ? "" : "(unmapped)");
	if (!b || !b->map || b->ro)
		return;
	rp %= b->npages;
	wp %= b->npages;
	if (!fz_mapped(b, rp, 1) || !fz_mapped(b, wp, 1))
		return;
	k = fz_new_key(b, wp, ++b->gen);
	fz_log_more("h%u read p%" PRIu64 " write p%" PRIu64 " evicts %" PRIu64,
		    b->handle, rp, wp, evicts);
	fflush(stdout);
	if (evicts && pipe(pfd)) {
		if (errno != ENOMEM && errno != ENFILE)
			fz_fail("pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		/* An injected failure of the copy of mm or task. */
		err = errno;
		fz_log_more(" -> fork %s", strerror(err));
		if (pfd[0] >= 0) {
			close(pfd[0]);
			close(pfd[1]);
		}
		if ((err == ENOMEM || err == EAGAIN) && fz_injecting())
			return;
		fz_fail("fork: %s", strerror(err));
	}
	if (!pid)
		_exit(fz_fork_child(b, rp, wp, &k, pfd[1], evicts ? 64 : 1));
	if (evicts) {
		close(pfd[1]);
		/* The child has started reading; evict under it. */
		if (read(pfd[0], &c, 1) == 1)
			for (i = 0; i < evicts; i++) {
				err = fz_debugfs("evict", "1");
				if (err && !(fz_injecting() && fz_restore_errs(err)))
					fz_fail("evict beside a child: %s", strerror(err));
			}
		close(pfd[0]);
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

/* ---- debugfs triggers ------------------------------------------------------------ */

int fz_debugfs(const char *file, const char *val)
{
	int err = -bosh_debugfs_write(0, file, val);

	fz_log_more(" -> %s", err ? strerror(err) : "ok");
	return err;
}

/* A bad value: EINVAL, or an injected failure to open the file. */
static void fz_expect_bad(const char *what, int err)
{
	if (err == ENOMEM && fz_injecting())
		return;
	fz_expect(what, err, EINVAL);
}

void op_debugfs(void)
{
	uint64_t kind = rnd(10), n = rnd_range(1, 512);
	char val[32];
	int err;

	snprintf(val, sizeof(val), "%" PRIu64, n);
	fz_log("debugfs kind %" PRIu64 " n %" PRIu64, kind, n);
	switch (kind) {
	case 0: case 1: case 2: case 3:
		fz_log_more(" shrink");
		err = fz_debugfs("shrink", val);
		/* Opening the file may meet an injected failure. */
		if (err == ENOMEM && fz_injecting())
			return;
		fz_expect("shrink", err, 0);
		return;
	case 4: case 5:
		fz_log_more(" purge");
		err = fz_debugfs("purge", "1");
		if ((err == EINTR && fz.sig_now) || (err == ENOMEM && fz_injecting()))
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
		fz_expect_bad("shrink 0", fz_debugfs("shrink", "0"));
		fz_expect_bad("shrink junk", fz_debugfs("shrink", "junk"));
		fz_expect_bad("purge 2", fz_debugfs("purge", "2"));
		fz_expect_bad("evict -1", fz_debugfs("evict", "-1"));
		return;
	}
}
