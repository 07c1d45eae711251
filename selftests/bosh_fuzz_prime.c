// SPDX-License-Identifier: GPL-2.0
/*
 * bosh_fuzz's PRIME operations: export, self-import, import on the other
 * device (which pins the exporter's BO while it lives), import on a
 * second file of the same device, and the refusals (dma-buf mmap, bad
 * handles, flags and fds).
 */
#define _GNU_SOURCE
#include "bosh_fuzz.h"

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

void op_prime(void)
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
void op_prime_other_file(void)
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

		if (!noted && !fz.worker && !fz_injecting())
			printf("# note: import of a bosh dma-buf on a second file of the same device fails with %s\n",
			       strerror(err));
		noted = noted || !fz_injecting();
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
