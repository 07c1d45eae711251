// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs knobs on the platform device (/sys/class/drm/cardN/device/),
 * writable by root only. Bad values are rejected with -EINVAL and change
 * nothing.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "bosh_sysfs.h"

/**
 * struct bosh_knob - one unsigned knob of &struct bosh_device
 * @attr: the sysfs attribute
 * @offset: offset of the knob in &struct bosh_device
 * @min: smallest value accepted
 * @max: largest value accepted
 */
struct bosh_knob {
	struct device_attribute attr;
	size_t offset;
	unsigned int min;
	unsigned int max;
};

static unsigned int *bosh_knob_ptr(struct device *dev,
				   struct device_attribute *attr)
{
	struct bosh_knob *knob = container_of(attr, struct bosh_knob, attr);

	return (void *)dev_get_drvdata(dev) + knob->offset;
}

static ssize_t bosh_knob_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(*bosh_knob_ptr(dev, attr)));
}

static ssize_t bosh_knob_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct bosh_knob *knob = container_of(attr, struct bosh_knob, attr);
	unsigned int v;

	if (kstrtouint(buf, 10, &v) || v < knob->min || v > knob->max)
		return -EINVAL;
	WRITE_ONCE(*bosh_knob_ptr(dev, attr), v);
	return count;
}

static struct bosh_knob bosh_knobs[] = {
	{
		.attr = __ATTR(shrinker_enabled, 0644, bosh_knob_show, bosh_knob_store),
		.offset = offsetof(struct bosh_device, shrinker_enabled),
		.min = 0,
		.max = 1,
	},
	{
		.attr = __ATTR(writeback, 0644, bosh_knob_show, bosh_knob_store),
		.offset = offsetof(struct bosh_device, writeback),
		.min = 0,
		.max = 1,
	},
	{
		.attr = __ATTR(swap_reserve_mb, 0644, bosh_knob_show, bosh_knob_store),
		.offset = offsetof(struct bosh_device, swap_reserve_mb),
		.min = 0,
		.max = BOSH_KNOB_MB_MAX,
	},
	{
		.attr = __ATTR(max_bo_mb, 0644, bosh_knob_show, bosh_knob_store),
		.offset = offsetof(struct bosh_device, max_bo_mb),
		.min = 1,
		.max = BOSH_KNOB_MB_MAX,
	},
	{
		.attr = __ATTR(max_pinned_mb, 0644, bosh_knob_show, bosh_knob_store),
		.offset = offsetof(struct bosh_device, max_pinned_mb),
		.min = 0,
		.max = BOSH_KNOB_MB_MAX,
	},	{
		/* Defaults to half of vram_mb; pins only, not stuck VRAM. */
		.attr = __ATTR(max_vram_pinned_mb, 0644, bosh_knob_show, bosh_knob_store),
		.offset = offsetof(struct bosh_device, max_vram_pinned_mb),
		.min = 0,
		.max = BOSH_KNOB_MB_MAX,
	},
};

static struct attribute *bosh_sysfs_attrs[] = {
	&bosh_knobs[0].attr.attr,
	&bosh_knobs[1].attr.attr,
	&bosh_knobs[2].attr.attr,
	&bosh_knobs[3].attr.attr,
	&bosh_knobs[4].attr.attr,
	&bosh_knobs[5].attr.attr,
	NULL
};

static const struct attribute_group bosh_sysfs_group = {
	.attrs = bosh_sysfs_attrs,
};

const struct attribute_group *bosh_sysfs_groups[] = {
	&bosh_sysfs_group,
	NULL
};
