// SPDX-License-Identifier: GPL-2.0-only
#include <linux/debugfs.h>

#include "bosh_fault.h"

/* Fires of any device's fault points in kswapd's context. */
atomic_long_t bosh_faults_in_kswapd = ATOMIC_LONG_INIT(0);

/**
 * bosh_faults_init() - reset a device's fault points to "never"
 * @f: the fault points
 */
void bosh_faults_init(struct bosh_faults *f)
{
#ifdef CONFIG_FAULT_INJECTION
	static const struct fault_attr off = FAULT_ATTR_INITIALIZER;

	f->alloc = off;
	f->restore_intr = off;
#endif
}

/**
 * bosh_faults_debugfs() - expose the fault points as fault attributes
 * @f: the fault points
 * @dir: the device's debugfs directory
 */
void bosh_faults_debugfs(struct bosh_faults *f, struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_alloc", dir, &f->alloc);
	fault_create_debugfs_attr("fail_restore_intr", dir, &f->restore_intr);
#endif
}
