// SPDX-License-Identifier: GPL-2.0
/*
 * bosh-unplug-client: what a client holds when its device is unbound
 * under it, and what it must see afterwards.
 *
 * Without arguments: on bosh.0, create a BO, fill it with a seeded
 * pattern, map it and read it through the mapping, export it as a
 * dma-buf and import that into bosh.1 (which pins bosh.0's BO). Print
 * "ready" and wait for a line (or end of input) on stdin; the caller
 * unbinds bosh.0 meanwhile. Then check, one "# ok:" or "# FAIL:" line
 * each:
 *
 *   - every ioctl on the old render-node fd fails with ENODEV
 *   - a new mmap of the BO's offset fails with ENODEV
 *   - reading and writing the existing mapping raise SIGBUS
 *   - the dma-buf fd closes
 *   - BO_RW on the import, through bosh.1, still reads the pattern
 *   - the import's handle and every fd close
 *
 * Exits 0 only if all hold.
 *
 * --roundtrip: on a (fresh) bosh.0, fill a BO, evict it through debugfs,
 * read it back through BO_RW, and check the content and the exact
 * pages_backed_up and restored_total counts. Exits 0 only if all hold.
 *
 * BOSH_SEED sets the seed; it is always printed.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>

#include "bosh_lib.h"

#define UNPLUG_PAGES	16
#define ROUNDTRIP_PAGES	64

static int failures;

static void expect(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static sigjmp_buf bus_env;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_env, 1);
}

/*
 * Read one byte, or write @val to it; returns 1 if that raised SIGBUS, 0
 * if it did not.
 */
static int touch_raises_sigbus(volatile char *p, int write, char val)
{
	if (sigsetjmp(bus_env, 1))
		return 1;
	if (write)
		*p = val;
	else
		(void)*p;
	return 0;
}

/* One ioctl on the unplugged device's fd: must fail with ENODEV. */
static void expect_enodev(int fd, unsigned long req, void *arg, const char *name)
{
	int ret = bosh_ioctl_once(fd, req, arg);

	expect(ret == -ENODEV, "%s on the old fd: %s (want ENODEV)", name,
	       ret ? strerror(-ret) : "succeeded");
}

static int unplug_client(void)
{
	uint64_t size = UNPLUG_PAGES * BOSH_PAGE, seed = bosh_seed();
	struct drm_bosh_bo_mmap_offset mo = { 0 };
	struct drm_bosh_bo_create create = { .size = BOSH_PAGE };
	struct drm_bosh_bo_info info = { 0 };
	struct drm_gem_close gclose = { 0 };
	struct drm_prime_handle prime = { 0 };
	struct drm_version version = { 0 };
	struct sigaction sa = { 0 };
	int fd0, fd1, dmabuf, ret;
	uint32_t h, ih;
	char *map, *map2, line[64];
	void *buf;

	fd0 = bosh_open(0);
	fd1 = bosh_open(1);
	if (fd0 < 0 || fd1 < 0) {
		fprintf(stderr, "bosh-unplug-client: needs bosh.0 and bosh.1\n");
		return 2;
	}
	buf = malloc(size);
	if (!buf)
		return 2;
	if (bosh_create(fd0, size, &h) || bosh_fill_bo(fd0, h, UNPLUG_PAGES, seed, 0, 1)) {
		fprintf(stderr, "bosh-unplug-client: cannot create and fill a BO\n");
		return 2;
	}
	mo.handle = h;
	if (bosh_ioctl(fd0, DRM_IOCTL_BOSH_BO_MMAP_OFFSET, &mo))
		return 2;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd0, mo.offset);
	if (map == MAP_FAILED)
		return 2;
	/* Fault every page in: the unplug must zap live PTEs. */
	if (bosh_pattern_check(map, UNPLUG_PAGES, seed, 0, 1)) {
		fprintf(stderr, "bosh-unplug-client: the mapping does not show the pattern\n");
		return 2;
	}
	dmabuf = bosh_export(fd0, h);
	if (dmabuf < 0 || bosh_import(fd1, dmabuf, &ih)) {
		fprintf(stderr, "bosh-unplug-client: PRIME export or import failed\n");
		return 2;
	}
	if (bosh_check_bo(fd1, ih, UNPLUG_PAGES, seed, 0, 1)) {
		fprintf(stderr, "bosh-unplug-client: the import does not show the pattern\n");
		return 2;
	}
	printf("ready: BO %u of %d pages on bosh.0, mapped, exported, imported into bosh.1 as %u\n",
	       h, UNPLUG_PAGES, ih);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;

	/* The device is gone: DRM core refuses every ioctl. */
	info.handle = h;
	expect_enodev(fd0, DRM_IOCTL_BOSH_BO_INFO, &info, "BO_INFO");
	{
		struct drm_bosh_bo_rw rw = {
			.handle = h, .op = BOSH_RW_READ, .size = size,
			.data = (uintptr_t)buf,
		};

		expect_enodev(fd0, DRM_IOCTL_BOSH_BO_RW, &rw, "BO_RW");
	}
	expect_enodev(fd0, DRM_IOCTL_BOSH_BO_CREATE, &create, "BO_CREATE");
	expect_enodev(fd0, DRM_IOCTL_BOSH_BO_MMAP_OFFSET, &mo, "BO_MMAP_OFFSET");
	prime.handle = h;
	prime.flags = DRM_CLOEXEC | DRM_RDWR;
	prime.fd = -1;
	expect_enodev(fd0, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime, "PRIME_HANDLE_TO_FD");
	expect_enodev(fd0, DRM_IOCTL_VERSION, &version, "VERSION");
	gclose.handle = h;
	expect_enodev(fd0, DRM_IOCTL_GEM_CLOSE, &gclose, "GEM_CLOSE");

	map2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd0, mo.offset);
	expect(map2 == MAP_FAILED && errno == ENODEV,
	       "new mmap of the BO on the old fd: %s (want ENODEV)",
	       map2 == MAP_FAILED ? strerror(errno) : "succeeded");
	if (map2 != MAP_FAILED)
		munmap(map2, size);

	/* The unplug zapped the mapping; the fault handler must refuse. */
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		return 2;
	expect(touch_raises_sigbus(map, 0, 0), "reading the old mapping raises SIGBUS");
	/* The pattern's own byte: a write that gets through changes nothing. */
	bosh_pattern_page(buf, seed, 0, UNPLUG_PAGES - 1, 1);
	expect(touch_raises_sigbus(map + size - 1, 1, ((char *)buf)[BOSH_PAGE - 1]),
	       "writing the old mapping raises SIGBUS");
	signal(SIGBUS, SIG_DFL);

	ret = close(dmabuf);
	expect(ret == 0, "closing the dma-buf fd: %s", ret ? strerror(errno) : "done");

	/* bosh.1's import pins bosh.0's BO: its content is still there. */
	ret = bosh_rw(fd1, ih, BOSH_RW_READ, 0, size, buf);
	expect(ret == 0, "BO_RW on the import through bosh.1: %s",
	       ret ? strerror(-ret) : "done");
	if (!ret) {
		uint64_t bad = bosh_pattern_check(buf, UNPLUG_PAGES, seed, 0, 1);

		expect(!bad, "the import still holds the pattern: %llu bad pages of %d",
		       (unsigned long long)bad, UNPLUG_PAGES);
	}

	ret = munmap(map, size);
	expect(ret == 0, "unmapping the old mapping: %s", ret ? strerror(errno) : "done");
	ret = close(fd0);
	expect(ret == 0, "closing the old render-node fd: %s", ret ? strerror(errno) : "done");
	ret = bosh_close_bo(fd1, ih);
	expect(ret == 0, "closing the import's handle on bosh.1: %s",
	       ret ? strerror(-ret) : "done");
	ret = close(fd1);
	expect(ret == 0, "closing bosh.1's fd: %s", ret ? strerror(errno) : "done");
	free(buf);
	printf("# %d failed\n", failures);
	return failures ? 1 : 0;
}

static int roundtrip(void)
{
	uint64_t seed = bosh_seed(), bad;
	struct drm_bosh_bo_info info;
	long backed0, backed1, backed2, restored0, restored2;
	int fd = bosh_open(0), ret;
	uint32_t h;

	if (fd < 0) {
		fprintf(stderr, "bosh-unplug-client: no bosh.0\n");
		return 2;
	}
	ret = bosh_create(fd, ROUNDTRIP_PAGES * BOSH_PAGE, &h);
	expect(ret == 0, "BO_CREATE of %d pages: %s", ROUNDTRIP_PAGES,
	       ret ? strerror(-ret) : "done");
	if (ret)
		return 1;
	ret = bosh_fill_bo(fd, h, ROUNDTRIP_PAGES, seed, 0, 1);
	expect(ret == 0, "filling the BO: %s", ret ? strerror(-ret) : "done");

	backed0 = bosh_stat(0, "pages_backed_up");
	restored0 = bosh_stat(0, "restored_total");
	expect(backed0 >= 0 && restored0 >= 0,
	       "stats: pages_backed_up %ld restored_total %ld", backed0, restored0);

	ret = bosh_debugfs_write(0, "evict", "1");
	expect(ret == 0, "evict: %s", ret ? strerror(-ret) : "done");
	backed1 = bosh_stat(0, "pages_backed_up");
	expect(backed1 == backed0 + ROUNDTRIP_PAGES,
	       "pages_backed_up after evict: %ld (want %ld)", backed1,
	       backed0 + ROUNDTRIP_PAGES);
	ret = bosh_info(fd, h, &info);
	expect(!ret && info.backed_up == ROUNDTRIP_PAGES && info.resident == 0,
	       "BO_INFO after evict: backed up %llu resident %llu (want %d, 0)",
	       (unsigned long long)info.backed_up,
	       (unsigned long long)info.resident, ROUNDTRIP_PAGES);

	bad = bosh_check_bo(fd, h, ROUNDTRIP_PAGES, seed, 0, 1);
	expect(!bad, "content after the restore: %llu bad pages of %d",
	       (unsigned long long)bad, ROUNDTRIP_PAGES);
	backed2 = bosh_stat(0, "pages_backed_up");
	restored2 = bosh_stat(0, "restored_total");
	expect(backed2 == backed0, "pages_backed_up after the restore: %ld (want %ld)",
	       backed2, backed0);
	expect(restored2 == restored0 + ROUNDTRIP_PAGES,
	       "restored_total after the restore: %ld (want %ld)", restored2,
	       restored0 + ROUNDTRIP_PAGES);

	ret = bosh_close_bo(fd, h);
	expect(ret == 0, "GEM_CLOSE: %s", ret ? strerror(-ret) : "done");
	close(fd);
	printf("# %d failed\n", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--roundtrip"))
		return roundtrip();
	if (argc > 1) {
		fprintf(stderr, "usage: bosh-unplug-client [--roundtrip]\n");
		return 2;
	}
	return unplug_client();
}
