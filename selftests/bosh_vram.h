/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the VRAM tests (bosh_vram_test.c, bosh_vram_progress_test.c):
 * placement ioctls, the VRAM fault points of a device, debugfs vram and
 * fdinfo's figures.
 */
#ifndef _BOSH_VRAM_TEST_H_
#define _BOSH_VRAM_TEST_H_

#include <stdbool.h>

#include "bosh_lib.h"

static inline int vram_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle)
{
	struct drm_bosh_bo_create c = { .size = size, .flags = flags };
	int ret = bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_CREATE, &c);

	*handle = c.handle;
	return ret;
}

/* BO_VALIDATE with a placement, retried on EINTR. */
static inline int vram_validate(int fd, uint32_t handle, uint32_t flags)
{
	struct drm_bosh_bo_validate v = { .handle = handle, .flags = flags };

	return bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v);
}

/* One BO_VALIDATE, whatever a signal does to it. */
static inline int vram_validate_once(int fd, uint32_t handle, uint32_t flags)
{
	struct drm_bosh_bo_validate v = { .handle = handle, .flags = flags };

	return bosh_ioctl_once(fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v);
}

/* Is the BO in VRAM, with every page there? */
static inline bool vram_in(int fd, uint32_t handle)
{
	struct drm_bosh_bo_info info;

	if (bosh_info(fd, handle, &info))
		return false;
	return (info.flags & BOSH_BO_IN_VRAM) && info.vram_pages == info.size / BOSH_PAGE;
}

/* Pages of the BO that are not all zero, read through BO_RW. */
static inline uint64_t vram_nonzero_pages(int fd, uint32_t handle, uint64_t npages)
{
	static const char zero[BOSH_PAGE];
	char *buf = malloc(npages * BOSH_PAGE);
	uint64_t i, bad = 0;

	if (!buf || bosh_rw(fd, handle, BOSH_RW_READ, 0, npages * BOSH_PAGE, buf)) {
		free(buf);
		return npages;
	}
	for (i = 0; i < npages; i++)
		bad += !!memcmp(buf + i * BOSH_PAGE, zero, BOSH_PAGE);
	free(buf);
	return bad;
}

static inline int vram_fault_set(int dev, const char *point, const char *knob, long v)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.%d/%s/%s", dev, point, knob);
	snprintf(val, sizeof(val), "%ld", v);
	return bosh_write_file(path, val);
}

/* Does the kernel have fault injection (the debug kernel does)? */
static inline bool vram_has_fault_points(int dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.%d/fail_vram_evict", dev);
	return !access(path, F_OK);
}

/* Fail the next @times calls of @point (-1: forever), quietly. */
static inline int vram_arm(int dev, const char *point, long times)
{
	return vram_fault_set(dev, point, "verbose", 0) ?:
	       vram_fault_set(dev, point, "interval", 1) ?:
	       vram_fault_set(dev, point, "times", times) ?:
	       vram_fault_set(dev, point, "probability", 100);
}

/* Failures of @point still to come: 0 once all armed ones fired. */
static inline long vram_armed_left(int dev, const char *point)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.%d/%s/times", dev, point);
	return bosh_read_long(path);
}

static inline void vram_disarm_all(int dev)
{
	static const char *const points[] = {
		"fail_vram_alloc", "fail_vram_evict", "fail_vram_backoff",
		"fail_vram_fallback", "fail_alloc",
	};
	unsigned int i;

	for (i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		vram_fault_set(dev, points[i], "probability", 0);
		vram_fault_set(dev, points[i], "times", 1);
	}
}

/* A "key value" line of debugfs vram; -1 if missing. */
static inline long vram_debugfs_value(int dev, const char *key)
{
	char path[PATH_MAX], k[64];
	long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.%d/vram", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strcmp(k, key)) {
			found = v;
			break;
		}
	fclose(f);
	return found;
}

/*
 * The VRAM column (the last) of debugfs objects for the one BO of @size
 * on bosh.@dev; -1 if there is none or more than one.
 */
static inline long vram_objects_column(int dev, uint64_t size)
{
	char path[PATH_MAX], line[256];
	unsigned long long sz, vram;
	long found = -1;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.%d/objects", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %llu %*u %*u %*s %*u %*d %llu", &sz, &vram) == 2 &&
		    sz == size) {
			found = vram;
			n++;
		}
	fclose(f);
	return n == 1 ? found : -1;
}

/* One drm-* figure of a file's fdinfo, in KiB; -1 if missing. */
static inline long vram_fdinfo_kib(int fd, const char *key)
{
	char path[64], line[256], unit[8], fmt[96];
	long v, kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(fmt, sizeof(fmt), "%s: %%ld %%7s", key);
	f = fopen(path, "re");
	if (!f)
		return -1;
	/* DRM prints bytes without a unit: 0, or sizes not KiB-aligned. */
	while (fgets(line, sizeof(line), f)) {
		int got = sscanf(line, fmt, &v, unit);

		if (got == 1)
			kib = v >> 10;
		else if (got == 2)
			kib = !strcmp(unit, "MiB") ? v << 10 : !strcmp(unit, "GiB") ? v << 20 :
			      !strcmp(unit, "KiB") ? v : v >> 10;
	}
	fclose(f);
	return kib;
}

#endif /* _BOSH_VRAM_TEST_H_ */
