// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs knobs on the platform device (/sys/class/drm/cardN/device/),
 * writable by root only. Bad values are rejected with -EINVAL and change
 * nothing.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "bosh_drv.h"

/* Upper bound of the MiB knobs: 1 TiB. */
#define BOSH_KNOB_MB_MAX	(1U << 20)

static struct bosh_device *bosh_dev_from_device(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t bosh_knob_store(struct device *dev, const char *buf,
			       size_t count, unsigned int *knob,
			       unsigned int min, unsigned int max)
{
	unsigned int v;

	if (kstrtouint(buf, 10, &v) || v < min || v > max)
		return -EINVAL;
	WRITE_ONCE(*knob, v);
	return count;
}

#define BOSH_KNOB(name, min, max)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n",					\
			  READ_ONCE(bosh_dev_from_device(dev)->name));	\
}									\
static ssize_t name##_store(struct device *dev,				\
			    struct device_attribute *attr,		\
			    const char *buf, size_t count)		\
{									\
	return bosh_knob_store(dev, buf, count,				\
			       &bosh_dev_from_device(dev)->name, min, max); \
}									\
static DEVICE_ATTR_RW(name)

BOSH_KNOB(shrinker_enabled, 0, 1);
BOSH_KNOB(writeback, 0, 1);
BOSH_KNOB(swap_reserve_mb, 0, BOSH_KNOB_MB_MAX);
BOSH_KNOB(max_bo_mb, 1, BOSH_KNOB_MB_MAX);
BOSH_KNOB(max_pinned_mb, 0, BOSH_KNOB_MB_MAX);

static struct attribute *bosh_sysfs_attrs[] = {
	&dev_attr_shrinker_enabled.attr,
	&dev_attr_writeback.attr,
	&dev_attr_swap_reserve_mb.attr,
	&dev_attr_max_bo_mb.attr,
	&dev_attr_max_pinned_mb.attr,
	NULL
};

static const struct attribute_group bosh_sysfs_group = {
	.attrs = bosh_sysfs_attrs,
};

const struct attribute_group *bosh_sysfs_groups[] = {
	&bosh_sysfs_group,
	NULL
};
