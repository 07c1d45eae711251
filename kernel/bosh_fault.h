/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault-injection points, one set per device, driven by the kernel's
 * fault-injection framework. Without CONFIG_FAULT_INJECTION they compile
 * out and never fire.
 */
#ifndef _BOSH_FAULT_H_
#define _BOSH_FAULT_H_

#include <linux/fault-inject.h>
#include <linux/mm.h>

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

static inline bool bosh_fail(struct fault_attr *attr)
{
	return should_fail(attr, PAGE_SIZE);
}

void bosh_faults_init(struct bosh_faults *f);
void bosh_faults_debugfs(struct bosh_faults *f, struct dentry *dir);

#endif /* _BOSH_FAULT_H_ */
