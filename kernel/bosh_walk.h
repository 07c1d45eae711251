/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The walks over a device's groups and their LRU lists (bosh_walk.c).
 */
#ifndef _BOSH_WALK_H_
#define _BOSH_WALK_H_

#include <linux/types.h>

struct bosh_bo;
struct bosh_device;
struct bosh_group;
struct bosh_shrunk;
enum bosh_shrink_mode;

void bosh_walk_visit_bos(struct bosh_device *bdev, void *arg,
			 void (*fn)(struct bosh_bo *bo, void *arg));
long bosh_walk_scan(struct bosh_group *g, enum bosh_shrink_mode mode,
		    long nr_to_take, gfp_t gfp, long *examined, struct bosh_shrunk *s);
int bosh_walk_waiting(struct bosh_group *g, enum bosh_shrink_mode mode,
		      u64 walk, long *taken);

#endif /* _BOSH_WALK_H_ */
