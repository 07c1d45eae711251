/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault-injection points, one set per device, driven by the kernel's
 * fault-injection framework. Without CONFIG_FAULT_INJECTION they compile
 * out and never fire.
 */
#ifndef _BOSH_FAULT_H_
#define _BOSH_FAULT_H_

#include <linux/atomic.h>
#include <linux/fault-inject.h>
#include <linux/mm.h>
#include <linux/swap.h>

struct dentry;

/**
 * struct bosh_faults - a device's fault points, besides its store's
 * @alloc: page allocation when populating or restoring
 * @restore_intr: an ioctl restore stops as if a signal arrived
 *
 * Without CONFIG_FAULT_INJECTION, struct fault_attr is empty and
 * should_fail() is a stub that returns false.
 */
struct bosh_faults {
	struct fault_attr alloc;
	struct fault_attr restore_intr;
};

extern atomic_long_t bosh_faults_in_kswapd;

/*
 * Does fault point @attr fire now? Every point of bosh asks here, so that
 * a test can prove a point fired in kswapd's own context, where reclaim
 * runs the scan, and not only in the test's tasks: the fires there are
 * counted, in debugfs's bosh/faults_in_kswapd.
 */
static inline bool bosh_fault_fires(struct fault_attr *attr, ssize_t size)
{
	if (!should_fail(attr, size))
		return false;
	if (current_is_kswapd())
		atomic_long_inc(&bosh_faults_in_kswapd);
	return true;
}

void bosh_faults_init(struct bosh_faults *f);
void bosh_faults_debugfs(struct bosh_faults *f, struct dentry *dir);

#endif /* _BOSH_FAULT_H_ */
