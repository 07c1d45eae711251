// SPDX-License-Identifier: GPL-2.0
/*
 * bosh-hold: keep something of bosh alive until stdin closes, so a test
 * can check that the module cannot go away under it.
 *
 * usage: bosh-hold [DEV]
 *	a BO of bosh.DEV and its mapping, the render-node fd closed; exits
 *	0 if the mapping still reads what was written
 *
 *        bosh-hold --sync-file
 *	a sync_file holding a BO_BUSY fence of bosh.0, taken from the BO's
 *	dma-buf; the BO's handle, the dma-buf and the render-node fd are
 *	closed and the fence has signalled before "ready" is printed. At a
 *	line (or end of input) on stdin, queries the sync_file with
 *	SYNC_IOC_FILE_INFO, which calls the fence's ops; exits 0 if that
 *	succeeds and shows one signalled fence of driver "bosh"
 */
#include <poll.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "bosh_lib.h"

/* Long enough to still be pending when the sync_file is exported. */
#define HOLD_BUSY_US	1000000
#define HOLD_SIGNAL_MS	10000

/* Fills @fi with the sync_file's one fence; returns 0 or -errno. */
static int sync_file_info(int fd, struct sync_file_info *info,
			  struct sync_fence_info *fi)
{
	memset(info, 0, sizeof(*info));
	memset(fi, 0, sizeof(*fi));
	info->num_fences = 1;
	info->sync_fence_info = (uintptr_t)fi;
	return bosh_ioctl(fd, SYNC_IOC_FILE_INFO, info);
}

static int hold_sync_file(void)
{
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_RW, .fd = -1 };
	struct sync_fence_info fi;
	struct sync_file_info info;
	struct pollfd pfd;
	int fd = bosh_open(0), dmabuf, ret;
	char line[64];
	uint32_t h;

	if (fd < 0 || bosh_create(fd, BOSH_PAGE, &h) ||
	    bosh_busy(fd, h, HOLD_BUSY_US)) {
		fprintf(stderr, "bosh-hold: cannot make a busy BO on bosh.0\n");
		return 2;
	}
	dmabuf = bosh_export(fd, h);
	if (dmabuf < 0 || bosh_ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp)) {
		fprintf(stderr, "bosh-hold: cannot export a sync_file: %s\n",
			strerror(errno));
		return 2;
	}
	/* The sync_file must hold bosh's fence itself, not a stub. */
	ret = sync_file_info(exp.fd, &info, &fi);
	if (ret || info.num_fences != 1 || strcmp(fi.driver_name, "bosh")) {
		fprintf(stderr, "bosh-hold: the sync_file holds %u fences, driver '%s' (%s)\n",
			info.num_fences, fi.driver_name, ret ? strerror(-ret) : "ok");
		return 2;
	}
	/* Only the sync_file keeps the fence from here on. */
	if (bosh_close_bo(fd, h) || close(dmabuf) || close(fd)) {
		fprintf(stderr, "bosh-hold: cannot close the BO, dma-buf or fd\n");
		return 2;
	}
	pfd.fd = exp.fd;
	pfd.events = POLLIN;
	do {
		ret = poll(&pfd, 1, HOLD_SIGNAL_MS);
	} while (ret < 0 && errno == EINTR);
	if (ret != 1) {
		fprintf(stderr, "bosh-hold: the fence did not signal within %d ms\n",
			HOLD_SIGNAL_MS);
		return 2;
	}
	printf("ready: a signalled bosh fence held by sync_file fd %d\n", exp.fd);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;

	ret = sync_file_info(exp.fd, &info, &fi);
	printf("# SYNC_IOC_FILE_INFO: %s, status %d, %u fences, driver '%s', timeline '%s', fence status %d\n",
	       ret ? strerror(-ret) : "ok", info.status, info.num_fences,
	       fi.driver_name, fi.obj_name, fi.status);
	if (close(exp.fd))
		return 1;
	return !ret && info.status == 1 && info.num_fences == 1 && fi.status == 1 &&
	       !strcmp(fi.driver_name, "bosh") ? 0 : 1;
}

int main(int argc, char **argv)
{
	int dev, fd;
	uint32_t h;
	char *map;
	char c;

	if (argc > 1 && !strcmp(argv[1], "--sync-file"))
		return hold_sync_file();
	dev = argc > 1 ? atoi(argv[1]) : 0;
	fd = bosh_open(dev);
	if (fd < 0 || bosh_create(fd, 16 * BOSH_PAGE, &h))
		return 1;
	map = bosh_mmap(fd, h, 16 * BOSH_PAGE, MAP_SHARED);
	if (map == MAP_FAILED)
		return 1;
	map[0] = 1;
	/* The mapping alone must keep the BO: close the fd first. */
	close(fd);
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return map[0] == 1 ? 0 : 2;
}
