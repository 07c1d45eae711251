/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by bosh's selftests: find a device, call its ioctls,
 * read its debugfs counters, and fill and check BO content with seeded
 * patterns keyed by (seed, BO, page, write generation).
 *
 * Only the uAPI header is used; nothing here knows kernel internals.
 */
#ifndef BOSH_LIB_H
#define BOSH_LIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <drm/bosh_drm.h>

#define BOSH_PAGE	4096UL
#define BOSH_DEBUGFS	"/sys/kernel/debug/bosh"

/*
 * An ioctl, retried on EINTR as libdrm's drmIoctl() does, but not for
 * ever: a call that a signal storm stops BOSH_IOCTL_MAX_EINTR times in a
 * row fails with EINTR. EAGAIN is not a bosh errno: it fails, not
 * retried. bosh_ioctl_eintr_retries counts the retries of this file's
 * calls, for tests that bound them.
 */
#define BOSH_IOCTL_MAX_EINTR	100000
static unsigned long bosh_ioctl_eintr_retries;

static inline int bosh_ioctl(int fd, unsigned long req, void *arg)
{
	unsigned long tries = 0;
	int ret;

	while ((ret = ioctl(fd, req, arg)) == -1 && errno == EINTR &&
	       tries++ < BOSH_IOCTL_MAX_EINTR)
		bosh_ioctl_eintr_retries++;
	return ret ? -errno : 0;
}

/* One attempt, no retry on EINTR: for tests of interruption. */
static inline int bosh_ioctl_once(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* Open the render node of bosh.<index>; -1 if there is none. */
static inline int bosh_open(int index)
{
	char path[PATH_MAX], want[32], link[PATH_MAX];
	int minor;

	snprintf(want, sizeof(want), "bosh.%d", index);
	for (minor = 128; minor < 192; minor++) {
		struct drm_version v = { 0 };
		char name[16] = { 0 };
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/sys/class/drm/renderD%d/device", minor);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link, want))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", minor);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -1;
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) || strcmp(name, "bosh")) {
			close(fd);
			return -1;
		}
		return fd;
	}
	return -1;
}

/*
 * The backing model bosh_create() asks for: 0 (the copy model) or
 * BOSH_BO_CREATE_SHMEM. A fixture variant sets it, so every test of the
 * fixture runs for each model it lists.
 */
static uint32_t bosh_create_flags;

/*
 * A fixture's two variants, one per backing model (kselftest_harness.h
 * macros, expanded where the harness is included): its setup sets
 * bosh_create_flags from variant->create_flags.
 */
#define BOSH_MODEL_VARIANTS(fixture)					\
	FIXTURE_VARIANT(fixture) {					\
		uint32_t create_flags;					\
	};								\
	FIXTURE_VARIANT_ADD(fixture, copy) {				\
		.create_flags = 0,					\
	};								\
	FIXTURE_VARIANT_ADD(fixture, shmem) {				\
		.create_flags = BOSH_BO_CREATE_SHMEM,			\
	}

static inline bool bosh_model_shmem(void)
{
	return bosh_create_flags & BOSH_BO_CREATE_SHMEM;
}

/* The BO_INFO flag every BO of the model has. */
static inline uint32_t bosh_model_info_flags(void)
{
	return bosh_model_shmem() ? BOSH_BO_SHMEM : 0;
}

/*
 * Pages a backup of @n pages releases: all of them in the copy model
 * (the BO's pages are freed once copied), none in the shmem-native one
 * (unpinning frees nothing; reclaim frees the pages later).
 */
static inline long bosh_backup_frees(long n)
{
	return bosh_model_shmem() ? 0 : n;
}

static inline int bosh_create(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_bosh_bo_create c = { .size = size, .flags = bosh_create_flags };
	int ret = bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_CREATE, &c);

	*handle = c.handle;
	return ret;
}

static inline int bosh_close_bo(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return bosh_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static inline int bosh_rw(int fd, uint32_t handle, int op, uint64_t offset,
			  uint64_t size, void *data)
{
	struct drm_bosh_bo_rw rw = {
		.handle = handle, .op = op, .offset = offset, .size = size,
		.data = (uintptr_t)data,
	};

	return bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_RW, &rw);
}

static inline int bosh_validate(int fd, uint32_t handle)
{
	struct drm_bosh_bo_validate v = { .handle = handle };

	return bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_VALIDATE, &v);
}

static inline int bosh_madvise(int fd, uint32_t handle, uint32_t madv,
			       uint32_t *retained)
{
	struct drm_bosh_bo_madvise m = { .handle = handle, .madv = madv };
	int ret = bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_MADVISE, &m);

	if (retained)
		*retained = m.retained;
	return ret;
}

static inline int bosh_pin(int fd, uint32_t handle, uint32_t op)
{
	struct drm_bosh_bo_pin p = { .handle = handle, .op = op };

	return bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_PIN, &p);
}

static inline int bosh_busy(int fd, uint32_t handle, uint64_t usecs)
{
	struct drm_bosh_bo_busy b = { .handle = handle, .usecs = usecs };

	return bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_BUSY, &b);
}

static inline int bosh_info(int fd, uint32_t handle, struct drm_bosh_bo_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_INFO, info);
}

/* PRIME export of @handle; returns the dma-buf fd or -errno. */
static inline int bosh_export(int fd, uint32_t handle)
{
	struct drm_prime_handle p = {
		.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR, .fd = -1,
	};
	int ret = bosh_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	return ret ? ret : p.fd;
}

/* PRIME import of @dmabuf into the client @fd; returns 0 or -errno. */
static inline int bosh_import(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };
	int ret = bosh_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	*handle = p.handle;
	return ret;
}

static inline void *bosh_mmap(int fd, uint32_t handle, uint64_t size, int flags)
{
	struct drm_bosh_bo_mmap_offset o = { .handle = handle };

	if (bosh_ioctl(fd, DRM_IOCTL_BOSH_BO_MMAP_OFFSET, &o))
		return MAP_FAILED;
	return mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, o.offset);
}

/* Write a string to a file; returns 0 or -errno. */
static inline int bosh_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static inline int bosh_debugfs_write(int dev, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.%d/%s", dev, file);
	return bosh_write_file(path, val);
}

static inline int bosh_sysfs_path(int dev, const char *knob, char *path, size_t len)
{
	snprintf(path, len, "/sys/bus/platform/devices/bosh.%d/%s", dev, knob);
	return access(path, F_OK) ? -errno : 0;
}

static inline int bosh_sysfs_write(int dev, const char *knob, const char *val)
{
	char path[PATH_MAX];

	bosh_sysfs_path(dev, knob, path, sizeof(path));
	return bosh_write_file(path, val);
}

/*
 * The inode number of the calling process's cgroup (v2), which names a
 * memcg to SHRINKER_DEBUG's scan file; 0 without cgroup v2.
 */
static inline unsigned long bosh_cgroup_ino(void)
{
	char line[PATH_MAX], path[PATH_MAX + 32];
	FILE *f = fopen("/proc/self/cgroup", "re");
	unsigned long ino = 0;
	struct stat st;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s", line + 3);
		if (!stat(path, &st))
			ino = st.st_ino;
	}
	fclose(f);
	return ino;
}

/* The number a file starts with; -1 when missing. */
static inline long bosh_read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static inline long bosh_sysfs_read(int dev, const char *knob)
{
	char path[PATH_MAX];

	bosh_sysfs_path(dev, knob, path, sizeof(path));
	return bosh_read_long(path);
}

/* One counter from debugfs stats; -1 when missing. */
static inline long bosh_stat(int dev, const char *key)
{
	char path[PATH_MAX], k[64];
	long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), BOSH_DEBUGFS "/bosh.%d/stats", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", k, &v) == 2) {
		if (!strcmp(k, key)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * Backed-up pages still in RAM, in the model's own count: the store's
 * copies (copy model) or unpinned pages (shmem-native).
 */
static inline long bosh_backup_unwritten(int dev)
{
	return bosh_stat(dev, bosh_model_shmem() ? "shmem_unwritten" :
						 "store_unwritten");
}

/*
 * Where the model holds backed-up pages: the store (copy model), or the
 * BOs' own files, counted by the pages_backed_up gauge (shmem-native).
 */
static inline long bosh_backup_held(int dev)
{
	return bosh_stat(dev, bosh_model_shmem() ? "pages_backed_up" : "store_pages");
}

/* Sum of one stat over every device present. */
static inline long bosh_stat_all_devices(const char *key)
{
	long sum = 0, v;
	int dev;

	for (dev = 0; (v = bosh_stat(dev, key)) >= 0; dev++)
		sum += v;
	return sum;
}

/* Pages the module holds from the page allocator, all devices; -1 if missing. */
static inline long bosh_pages_held(void)
{
	return bosh_read_long(BOSH_DEBUGFS "/pages_held");
}

/* One "key value" or "Key: value kB" line of a /proc file; -1 when missing. */
static inline long bosh_proc_value(const char *file, const char *key)
{
	char k[64], line[256];
	long v, found = -1;
	FILE *f = fopen(file, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^: ]%*[: ] %ld", k, &v) == 2 && !strcmp(k, key)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}

/* A /proc/meminfo field in kB, -1 when missing. */
static inline long bosh_meminfo_kib(const char *key)
{
	return bosh_proc_value("/proc/meminfo", key);
}

/* A /proc/vmstat counter, -1 when missing (no CONFIG_VM_EVENT_COUNTERS). */
static inline long bosh_vmstat(const char *key)
{
	return bosh_proc_value("/proc/vmstat", key);
}

#define BOSH_FAILSLAB		"/sys/kernel/debug/failslab"
#define BOSH_FAIL_PAGE_ALLOC	"/sys/kernel/debug/fail_page_alloc"

/*
 * Let failslab and fail_page_alloc fail sleeping allocations too, of any
 * order, highmem included (BO pages are GFP_HIGHUSER: __GFP_HIGHMEM is
 * set even on x86-64); @on 0 puts back the defaults. fail-nth and the
 * probability mode then reach every allocation a call makes.
 */
static inline void bosh_core_faults_all_gfp(int on)
{
	bosh_write_file(BOSH_FAILSLAB "/verbose", "0");
	bosh_write_file(BOSH_FAIL_PAGE_ALLOC "/verbose", "0");
	bosh_write_file(BOSH_FAILSLAB "/ignore-gfp-wait", on ? "N" : "Y");
	bosh_write_file(BOSH_FAIL_PAGE_ALLOC "/ignore-gfp-wait", on ? "N" : "Y");
	bosh_write_file(BOSH_FAIL_PAGE_ALLOC "/min-order", on ? "0" : "1");
	bosh_write_file(BOSH_FAIL_PAGE_ALLOC "/ignore-gfp-highmem", on ? "N" : "Y");
}

/* CLOCK_MONOTONIC in seconds. */
static inline double bosh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A pattern key no other BO shares: GEM handles are reused after a close
 * and other processes' BOs live beside ours, so a stale or misplaced page
 * of another BO cannot pass for this one's.
 */
static inline uint32_t bosh_key(void)
{
	static uint32_t serial;

	return (uint32_t)getpid() << 16 ^ ++serial;
}

/* The seed of this run: $BOSH_SEED, else the time; always printed. */
static inline uint64_t bosh_seed(void)
{
	static uint64_t seed;
	const char *s;

	if (seed)
		return seed;
	s = getenv("BOSH_SEED");
	seed = s && *s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	if (!seed)
		seed = 1;
	printf("# seed %llu (rerun with BOSH_SEED=%llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

static inline uint64_t bosh_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Fill one page with the pattern of (seed, bo, page, gen). */
static inline void bosh_pattern_page(void *dst, uint64_t seed, uint32_t bo,
				     uint64_t page, uint32_t gen)
{
	uint64_t s = bosh_mix(seed ^ bosh_mix(((uint64_t)bo << 32 | gen) ^
					      bosh_mix(page)));
	uint64_t *p = dst;
	size_t i;

	for (i = 0; i < BOSH_PAGE / 8; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		p[i] = s;
	}
}

/* Fill @npages pages, the first being page @first of the BO. */
static inline void bosh_pattern_fill_at(void *dst, uint64_t first, uint64_t npages,
					uint64_t seed, uint32_t bo, uint32_t gen)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		bosh_pattern_page((char *)dst + i * BOSH_PAGE, seed, bo, first + i, gen);
}

static inline void bosh_pattern_fill(void *dst, uint64_t npages, uint64_t seed,
				     uint32_t bo, uint32_t gen)
{
	bosh_pattern_fill_at(dst, 0, npages, seed, bo, gen);
}

/*
 * Check @npages pages, the first being page @first of the BO, against
 * the pattern. Returns the number of bad pages and prints the first one
 * with the seed, so a failure reproduces.
 */
static inline uint64_t bosh_pattern_check_at(const void *src, uint64_t first,
					     uint64_t npages, uint64_t seed,
					     uint32_t bo, uint32_t gen)
{
	static __thread uint64_t want[BOSH_PAGE / 8];
	uint64_t i, bad = 0;

	for (i = 0; i < npages; i++) {
		const char *p = (const char *)src + i * BOSH_PAGE;

		bosh_pattern_page(want, seed, bo, first + i, gen);
		if (memcmp(p, want, BOSH_PAGE)) {
			if (!bad)
				printf("# content mismatch: seed %llu bo %u page %llu gen %u\n",
				       (unsigned long long)seed, bo,
				       (unsigned long long)(first + i), gen);
			bad++;
		}
	}
	return bad;
}

static inline uint64_t bosh_pattern_check(const void *src, uint64_t npages,
					  uint64_t seed, uint32_t bo, uint32_t gen)
{
	return bosh_pattern_check_at(src, 0, npages, seed, bo, gen);
}

/* Read a whole BO through BO_RW and check it. */
static inline uint64_t bosh_check_bo(int fd, uint32_t handle, uint64_t npages,
				     uint64_t seed, uint32_t bo, uint32_t gen)
{
	void *buf = malloc(npages * BOSH_PAGE);
	uint64_t bad;

	if (!buf)
		return npages;
	if (bosh_rw(fd, handle, BOSH_RW_READ, 0, npages * BOSH_PAGE, buf)) {
		free(buf);
		return npages;
	}
	bad = bosh_pattern_check(buf, npages, seed, bo, gen);
	free(buf);
	return bad;
}

/*
 * The debugfs objects id of the one BO of bosh.@dev whose size is @size;
 * -1 if there is none or more than one.
 */
static inline long bosh_object_id(int dev, uint64_t size)
{
	char path[128], line[256];
	unsigned long long sz;
	unsigned int id;
	long found = -1;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/bosh.%d/objects", dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %llu", &id, &sz) == 2 && sz == size) {
			found = id;
			n++;
		}
	fclose(f);
	return n == 1 ? found : -1;
}

/* Write a whole BO with its pattern through BO_RW. */
static inline int bosh_fill_bo(int fd, uint32_t handle, uint64_t npages,
			       uint64_t seed, uint32_t bo, uint32_t gen)
{
	void *buf = malloc(npages * BOSH_PAGE);
	int ret;

	if (!buf)
		return -ENOMEM;
	bosh_pattern_fill(buf, npages, seed, bo, gen);
	ret = bosh_rw(fd, handle, BOSH_RW_WRITE, 0, npages * BOSH_PAGE, buf);
	free(buf);
	return ret;
}

/* Turns every swap device off; returns how many, their paths in @swaps. */
static inline int swaps_off(char swaps[8][128])
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < 8)
		if (line[0] == '/' && sscanf(line, "%127s", swaps[n]) == 1)
			n++;
	fclose(f);
	if (n && system("swapoff -a"))
		return -1;
	return n;
}

static inline int swaps_on(char swaps[8][128], int n)
{
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		char cmd[sizeof(swaps[i]) + 8] = "swapon ";

		strcat(cmd, swaps[i]);
		ret |= system(cmd);
	}
	return ret;
}

#endif /* BOSH_LIB_H */
