// SPDX-License-Identifier: GPL-2.0
/*
 * bosh-hold: keep a BO and its mapping alive until stdin closes, so a
 * test can check that the module cannot go away under them.
 */
#include "bosh_lib.h"

int main(int argc, char **argv)
{
	int dev = argc > 1 ? atoi(argv[1]) : 0;
	int fd = bosh_open(dev);
	uint32_t h;
	char *map;
	char c;

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
